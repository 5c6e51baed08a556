/**
 * Symbolic-music classification: MIDI -> performance-event symbols (`midi.ts`) -> class. Feeds the
 * cross-disciplinary experiment (Kao & Lee 2021: a BERT pretrained on English fine-tuned on music; the runner maps
 * each symbol of the alphabet to a token id), so the defaults give a small, quick task.
 *
 * Data sets:
 * - `grooves` (default): the style grooves of Debian `mma`, rendered once by `ssbench data prepare mma-grooves`
 *   (`grooves.ts`); label = style family (the style file). Split by variant group (no layered copy of a test groove
 *   in train).
 * - `midi-dir`: MIDI files under `dir` labelled by a CSV/TSV (`labels`), e.g. MAESTRO's `maestro-v3.0.0.csv` with
 *   `midi_filename`, `canonical_composer` and `split`. The CSV's split column is used when present; otherwise a
 *   seeded split by file (or by `groupColumn`, e.g. `canonical_title`, so performances of one piece stay together).
 *
 * Each file or groove gives up to `windows` consecutive windows of `maxEvents` symbols from its start; all windows of
 * a file or group fall in one split. Exact duplicate windows are kept once (groups that share a window are merged
 * before splitting; with a CSV split only the copy in test, else in dev, is kept); windows that occur under two
 * different labels are dropped.
 *
 * Seeded splits deal each class's groups (`dealGroups`): the largest to train, then test and dev up to their shares.
 * Classes: with seeded splits a class needs at least 3 groups (one each for train, dev and test); with a CSV split
 * it needs train and test files. Then `minClassSize` (files or grooves), then the `topClasses` largest (ties by
 * name). `maxPerClass` caps training examples per class (seeded choice). Labels are sorted by name.
 * Splits depend only on `splitSeed` and the data, never on the experiment seed. Metrics: accuracy and macro F1.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ClassificationTask, DatasetInfo, DatasetStatus, JSONSchema, MetricSpec, Splits, SymbolInput, TaskContext, TaskPlugin } from '@ssbench/core';
import { Rng, SsbenchError, accuracy, checkLabelIds, precisionRecallF1 } from '@ssbench/core';
import { parseDelimited } from './csv';
import { GROOVES_DATASET, MMA_PACKAGE, RENDER, groovesCacheFile, locateMma, prepareGrooves, readGrooveCache } from './grooves';
import { type EncodeOptions, encodeMidi, eventAlphabet, windowsOf } from './midi';

/** The task's version: bump when data, encoding, splits or metrics change. */
export const MUSIC_TASK_VERSION = '1.0.0';

export type MusicDataset = 'grooves' | 'midi-dir';
export type SplitName = 'train' | 'dev' | 'test';

export interface MusicOptionsInput {
  dataset?: MusicDataset;
  dir?: string;
  labels?: string;
  fileColumn?: string;
  labelColumn?: string;
  splitColumn?: string | null;
  groupColumn?: string;
  maxEvents?: number;
  windows?: number;
  timeStepMs?: number;
  maxShiftSteps?: number;
  velocityBins?: number;
  drums?: 'tokens' | 'drop';
  sustain?: boolean;
  topClasses?: number;
  minClassSize?: number;
  maxPerClass?: number;
  split?: { dev?: number; test?: number };
  splitSeed?: number;
}

export interface MusicOptions {
  dataset: MusicDataset;
  /** midi-dir only. */
  dir?: string;
  labels?: string;
  fileColumn?: string;
  labelColumn?: string;
  splitColumn: string | null;
  groupColumn?: string;
  maxEvents: number;
  windows: number;
  encoding: EncodeOptions;
  topClasses: number;
  minClassSize: number;
  maxPerClass: number;
  split: { dev: number; test: number };
  splitSeed: number;
}

/** One window of events; `item` says which groove or file it came from, `window` which window of it. */
export interface MusicExample extends SymbolInput {
  symbols: string[];
  label: number;
  item: string;
  window: number;
}

export interface MusicSplits extends Splits<MusicExample> {
  train: MusicExample[];
  dev: MusicExample[];
  test: MusicExample[];
}

const int = (description: string, def: number, minimum: number, maximum?: number) => ({
  type: 'integer',
  default: def,
  minimum,
  ...(maximum === undefined ? {} : { maximum }),
  description,
});

export const musicOptionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Symbolic music classification options',
  type: 'object',
  additionalProperties: false,
  properties: {
    dataset: {
      enum: ['grooves', 'midi-dir'],
      default: 'grooves',
      description: 'grooves: Debian mma style grooves (label = style family); midi-dir: MIDI files labelled by a CSV/TSV.',
    },
    dir: { type: 'string', minLength: 1, description: 'midi-dir: directory the CSV file names are relative to.' },
    labels: { type: 'string', minLength: 1, description: 'midi-dir: CSV or TSV with a header row (e.g. maestro-v3.0.0.csv).' },
    fileColumn: { type: 'string', minLength: 1, description: 'midi-dir: column of MIDI file names (default midi_filename if present, else file).' },
    labelColumn: { type: 'string', minLength: 1, description: 'midi-dir: column of labels (default canonical_composer if present, else label).' },
    splitColumn: {
      type: ['string', 'null'],
      default: 'split',
      description: 'midi-dir: column of train / validation (or dev) / test, used when present; null: always split by splitSeed.',
    },
    groupColumn: { type: 'string', minLength: 1, description: 'midi-dir, seeded splits: rows with equal values (and label) stay in one split.' },
    maxEvents: int('Symbols per example (a window from the start); 126 + [CLS] + [SEP] fits a 128-token model.', 126, 8, 4096),
    windows: int('Consecutive windows taken from each file or groove (all in its split).', 4, 1, 256),
    timeStepMs: { type: 'number', exclusiveMinimum: 0, maximum: 1000, default: 10, description: 'TIME_SHIFT quantisation step in ms (Oore et al. 2018: 10).' },
    maxShiftSteps: int('Steps one TIME_SHIFT token covers at most (Oore et al.: 100 = 1 s).', 100, 1, 2000),
    velocityBins: int('VELOCITY bins (Oore et al.: 32); 0 leaves velocity out.', 0, 0, 128),
    drums: { enum: ['tokens', 'drop'], default: 'tokens', description: 'Channel 10 as DRUM_<key> tokens, or dropped.' },
    sustain: { type: 'boolean', default: true, description: 'Extend notes while the sustain pedal (CC 64) is down.' },
    topClasses: int('Keep the N classes with the most files/grooves (ties by name); 0 keeps all.', 10, 0),
    minClassSize: int('Drop classes with fewer files/grooves.', 1, 1),
    maxPerClass: int('Cap on training examples per class (seeded choice); 0: no cap.', 0, 0),
    split: {
      type: 'object',
      additionalProperties: false,
      properties: {
        dev: { type: 'number', minimum: 0, maximum: 1, default: 0.1 },
        test: { type: 'number', minimum: 0, maximum: 1, default: 0.2 },
      },
      default: { dev: 0.1, test: 0.2 },
      description: 'Seeded splits: fractions of each class (in windows, dealt by whole groups) for dev and test.',
    },
    splitSeed: { type: 'integer', default: 13, description: 'Seed of the split (independent of the experiment seed).' },
  },
};

// ---- options ------------------------------------------------------------------------------------------------

const optionsError = (pointer: string, message: string) => new SsbenchError('config', message, { pointer });

function intOption(input: MusicOptionsInput, key: keyof MusicOptionsInput, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = input[key] ?? def;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw optionsError(`/${key}`, `${key} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

/** Applies defaults and checks the options (also when the runner's schema validation did not run). */
export function resolveMusicOptions(input: MusicOptionsInput = {}): MusicOptions {
  const known = Object.keys(musicOptionsSchema.properties as object);
  for (const k of Object.keys(input)) if (!known.includes(k)) throw optionsError(`/${k}`, `unknown option "${k}" (known: ${known.join(', ')})`);
  const dataset = input.dataset ?? 'grooves';
  if (dataset !== 'grooves' && dataset !== 'midi-dir') throw optionsError('/dataset', `dataset must be "grooves" or "midi-dir", got ${JSON.stringify(dataset)}`);
  const dirKeys = ['dir', 'labels', 'fileColumn', 'labelColumn', 'groupColumn'] as const;
  for (const k of dirKeys) {
    const v = input[k];
    if (v === undefined) continue;
    if (dataset !== 'midi-dir') throw optionsError(`/${k}`, `${k} is a midi-dir option (dataset is "${dataset}")`);
    if (typeof v !== 'string' || v === '') throw optionsError(`/${k}`, `${k} must be a non-empty string`);
  }
  if (dataset === 'midi-dir') for (const k of ['dir', 'labels'] as const) if (input[k] === undefined) throw optionsError(`/${k}`, `dataset "midi-dir" needs "${k}"`);
  const splitColumn = input.splitColumn === undefined ? 'split' : input.splitColumn;
  if (splitColumn !== null && (typeof splitColumn !== 'string' || splitColumn === '')) throw optionsError('/splitColumn', 'splitColumn must be a column name or null');
  const timeStepMs = input.timeStepMs ?? 10;
  if (typeof timeStepMs !== 'number' || !(timeStepMs > 0 && timeStepMs <= 1000)) throw optionsError('/timeStepMs', `timeStepMs must be in (0, 1000], got ${JSON.stringify(timeStepMs)}`);
  const drums = input.drums ?? 'tokens';
  if (drums !== 'tokens' && drums !== 'drop') throw optionsError('/drums', `drums must be "tokens" or "drop", got ${JSON.stringify(drums)}`);
  const sustain = input.sustain ?? true;
  if (typeof sustain !== 'boolean') throw optionsError('/sustain', 'sustain must be true or false');
  const split = { dev: input.split?.dev ?? 0.1, test: input.split?.test ?? 0.2 };
  for (const k of ['dev', 'test'] as const)
    if (typeof split[k] !== 'number' || !(split[k] >= 0 && split[k] <= 1)) throw optionsError(`/split/${k}`, `split.${k} must be a fraction in [0, 1], got ${split[k]}`);
  if (split.dev + split.test >= 1) throw optionsError('/split', `split.dev + split.test is ${split.dev + split.test}: nothing left to train on`);
  const splitSeed = input.splitSeed ?? 13;
  if (!Number.isSafeInteger(splitSeed)) throw optionsError('/splitSeed', `splitSeed must be an integer, got ${splitSeed}`);
  return {
    dataset,
    ...(dataset === 'midi-dir'
      ? { dir: input.dir, labels: input.labels, fileColumn: input.fileColumn, labelColumn: input.labelColumn, groupColumn: input.groupColumn }
      : {}),
    splitColumn,
    maxEvents: intOption(input, 'maxEvents', 126, 8, 4096),
    windows: intOption(input, 'windows', 4, 1, 256),
    encoding: {
      timeStepMs,
      maxShiftSteps: intOption(input, 'maxShiftSteps', 100, 1, 2000),
      velocityBins: intOption(input, 'velocityBins', 0, 0, 128),
      drums,
      sustain,
    },
    topClasses: intOption(input, 'topClasses', 10, 0),
    minClassSize: intOption(input, 'minClassSize', 1, 1),
    maxPerClass: intOption(input, 'maxPerClass', 0, 0),
    split,
    splitSeed,
  };
}

// ---- items -> splits ----------------------------------------------------------------------------------------

/** A groove or file: its label, its group (splits keep groups whole), an optional given split, its windows. */
export interface MusicItem {
  id: string;
  label: string;
  group: string;
  split?: SplitName;
  windows: string[][];
}

export interface SplitPlan {
  labels: string[];
  splits: MusicSplits;
  /** Windows dropped as exact duplicates and as label conflicts. */
  dropped: { duplicates: number; conflicts: number };
}

/** Union-find over strings. */
class Groups {
  private readonly up = new Map<string, string>();
  find(x: string): string {
    let r = x;
    while (this.up.has(r) && this.up.get(r) !== r) r = this.up.get(r)!;
    this.up.set(x, r);
    return r;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // The smaller key becomes the root, so the result does not depend on the order of unions.
    if (ra < rb) this.up.set(rb, ra);
    else if (rb < ra) this.up.set(ra, rb);
  }
}

/**
 * Deals one class's groups (already shuffled) to test, dev and train by window counts. The largest group (the first
 * of equal ones) goes to train, so that train is never left with only a small variant. The others, in order: to
 * test while test is empty or stays within round(n * test), else to dev likewise, else to train; once the groups
 * left are just enough for the splits still empty, each goes to the first empty split. Needs at least 3 groups.
 */
export function dealGroups(groups: readonly { key: string; size: number }[], split: { dev: number; test: number }): Map<string, SplitName> {
  const n = groups.reduce((s, g) => s + g.size, 0);
  const want = { test: Math.round(n * split.test), dev: Math.round(n * split.dev) };
  const largest = groups.reduce((best, g, i) => (g.size > groups[best].size ? i : best), 0);
  const have = { test: 0, dev: 0, train: groups[largest].size };
  const out = new Map<string, SplitName>([[groups[largest].key, 'train']]);
  const rest = groups.filter((_, i) => i !== largest);
  rest.forEach((g, i) => {
    const left = rest.length - i;
    const empty = (['test', 'dev'] as const).filter((s) => have[s] === 0);
    let to: SplitName;
    if (left <= empty.length) to = empty[0];
    else if (have.test === 0 || have.test + g.size <= want.test) to = 'test';
    else if (have.dev === 0 || have.dev + g.size <= want.dev) to = 'dev';
    else to = 'train';
    have[to] += g.size;
    out.set(g.key, to);
  });
  return out;
}

const dupKey = (symbols: readonly string[]) => symbols.join(' ');

/** Items -> labelled, deduplicated, filtered and split examples (see the module comment). */
export function planSplits(items: readonly MusicItem[], options: MusicOptions, stream: string): SplitPlan {
  const root = new Rng(options.splitSeed).fork('task-music').fork(stream);
  const given = items.some((it) => it.split !== undefined);
  if (given && items.some((it) => it.split === undefined)) throw new Error('planSplits: either every item or none has a given split');
  // Label conflicts: a window that occurs under two labels is dropped everywhere.
  const labelsOf = new Map<string, Set<string>>();
  for (const it of items)
    for (const w of it.windows) {
      const k = dupKey(w);
      const s = labelsOf.get(k);
      if (s) s.add(it.label);
      else labelsOf.set(k, new Set([it.label]));
    }
  const conflict = (w: readonly string[]) => (labelsOf.get(dupKey(w))?.size ?? 0) > 1;
  // Groups are per label; with seeded splits, groups sharing a window are merged.
  const groupOf = (it: MusicItem) => `${it.label}\u0000${it.group}`;
  const groups = new Groups();
  if (!given) {
    const firstGroup = new Map<string, string>();
    for (const it of items)
      for (const w of it.windows) {
        if (conflict(w)) continue;
        const k = dupKey(w);
        const g = firstGroup.get(k);
        if (g === undefined) firstGroup.set(k, groupOf(it));
        else groups.union(g, groupOf(it));
      }
  }
  // Per class: items, groups, window counts.
  const byLabel = new Map<string, MusicItem[]>();
  for (const it of items) {
    if (it.windows.length === 0) continue;
    const xs = byLabel.get(it.label);
    if (xs) xs.push(it);
    else byLabel.set(it.label, [it]);
  }
  const eligible: { label: string; size: number }[] = [];
  for (const [label, xs] of byLabel) {
    const ok = given
      ? xs.some((it) => it.split === 'train') && xs.some((it) => it.split === 'test')
      : new Set(xs.map((it) => groups.find(groupOf(it)))).size >= 3;
    if (ok && xs.length >= options.minClassSize) eligible.push({ label, size: xs.length });
  }
  eligible.sort((a, b) => b.size - a.size || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  const kept = (options.topClasses > 0 ? eligible.slice(0, options.topClasses) : eligible).map((c) => c.label).sort();
  const labelId = new Map(kept.map((l, i) => [l, i]));
  // Split assignment.
  const splitOf = new Map<string, SplitName>(); // item id -> split
  for (const label of kept) {
    const xs = byLabel.get(label)!;
    if (given) {
      for (const it of xs) splitOf.set(it.id, it.split!);
      continue;
    }
    const sizes = new Map<string, number>();
    for (const it of xs) {
      const g = groups.find(groupOf(it));
      sizes.set(g, (sizes.get(g) ?? 0) + it.windows.length);
    }
    const order = root
      .fork(`deal/${label}`)
      .shuffle([...sizes.keys()].sort())
      .map((key) => ({ key, size: sizes.get(key)! }));
    const dealt = dealGroups(order, options.split);
    for (const it of xs) splitOf.set(it.id, dealt.get(groups.find(groupOf(it)))!);
  }
  // Examples, deduplicated: test first, then dev, then train keep a window seen before out.
  const out: MusicSplits = { train: [], dev: [], test: [] };
  const seen = new Set<string>();
  let duplicates = 0;
  let conflicts = 0;
  for (const part of ['test', 'dev', 'train'] as const)
    for (const it of items) {
      if (splitOf.get(it.id) !== part) continue;
      it.windows.forEach((w, window) => {
        if (conflict(w)) {
          conflicts++;
          return;
        }
        const k = dupKey(w);
        if (seen.has(k)) {
          duplicates++;
          return;
        }
        seen.add(k);
        out[part].push({ symbols: w, label: labelId.get(it.label)!, item: it.id, window });
      });
    }
  if (options.maxPerClass > 0) {
    const capped: MusicExample[] = [];
    for (let c = 0; c < kept.length; c++) {
      const xs = out.train.filter((e) => e.label === c);
      capped.push(...root.fork(`cap/${kept[c]}`).shuffle(xs).slice(0, options.maxPerClass));
    }
    out.train = capped;
  }
  for (const part of ['train', 'dev', 'test'] as const) out[part] = root.fork(`order/${part}`).shuffle(out[part]);
  return { labels: kept, splits: out, dropped: { duplicates, conflicts } };
}

// ---- data sets ----------------------------------------------------------------------------------------------

/** Grooves from the prepared cache as items (label = family, group = variant group). */
export function grooveItems(file: string, options: MusicOptions): { items: MusicItem[]; mmaVersion: string; grooves: number } {
  const { header, records } = readGrooveCache(file);
  const items = records.map((r) => {
    const id = `${r.family}/${r.groove}`;
    const symbols = encodeMidi(r.midi, `${file} (groove ${id})`, options.encoding, options.maxEvents * options.windows);
    return { id, label: r.family, group: r.group, windows: windowsOf(symbols, options.maxEvents, options.windows) };
  });
  return { items, mmaVersion: header.mmaVersion, grooves: header.grooves };
}

const SPLIT_NAMES: Record<string, SplitName> = { train: 'train', dev: 'dev', valid: 'dev', validation: 'dev', val: 'dev', test: 'test' };

/** MIDI files listed in a CSV/TSV as items. Errors name the label file and line, or the MIDI file. */
export function midiDirItems(options: MusicOptions): MusicItem[] {
  const dir = resolve(options.dir!);
  const labelFile = resolve(options.labels!);
  let text: string;
  try {
    text = readFileSync(labelFile, 'utf8');
  } catch (e) {
    throw new SsbenchError('data', `cannot read the label file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: labelFile });
  }
  const table = parseDelimited(text, labelFile);
  const pick = (explicit: string | undefined, defaults: string[], what: string): string => {
    const col = explicit ?? defaults.find((d) => table.header.includes(d));
    if (col === undefined || !table.header.includes(col))
      throw new SsbenchError('data', `no ${what} column ${col ? `"${col}"` : `(looked for ${defaults.map((d) => `"${d}"`).join(', ')})`}; columns: ${table.header.join(', ')}`, {
        file: labelFile,
        line: 1,
      });
    return col;
  };
  const fileCol = pick(options.fileColumn, ['midi_filename', 'file'], 'file');
  const labelCol = pick(options.labelColumn, ['canonical_composer', 'label'], 'label');
  const splitCol = options.splitColumn !== null && table.header.includes(options.splitColumn) ? options.splitColumn : null;
  const groupCol = options.groupColumn === undefined ? null : pick(options.groupColumn, [], 'group');
  const seen = new Map<string, number>();
  return table.rows.map(({ line, values }) => {
    const name = values[fileCol].trim();
    const label = values[labelCol].trim();
    if (name === '') throw new SsbenchError('data', `empty file name in column "${fileCol}"`, { file: labelFile, line });
    if (label === '') throw new SsbenchError('data', `empty label in column "${labelCol}" for ${name}`, { file: labelFile, line });
    if (seen.has(name)) throw new SsbenchError('data', `${name} is listed twice (first on line ${seen.get(name)})`, { file: labelFile, line });
    seen.set(name, line);
    let split: SplitName | undefined;
    if (splitCol !== null) {
      split = SPLIT_NAMES[values[splitCol].trim().toLowerCase()];
      if (split === undefined)
        throw new SsbenchError('data', `unknown split ${JSON.stringify(values[splitCol])} in column "${splitCol}" (expected train, validation/dev or test)`, { file: labelFile, line });
    }
    const path = join(dir, name);
    let bytes: Uint8Array;
    try {
      if (!statSync(path).isFile()) throw Object.assign(new Error('not a file'), { code: 'not a file' });
      bytes = new Uint8Array(readFileSync(path));
    } catch (e) {
      throw new SsbenchError('data', `MIDI file ${name} cannot be read under ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: labelFile, line });
    }
    const symbols = encodeMidi(bytes, path, options.encoding, options.maxEvents * options.windows);
    const group = groupCol === null ? name : values[groupCol].trim() || name;
    return { id: name, label, group, ...(split ? { split } : {}), windows: windowsOf(symbols, options.maxEvents, options.windows) };
  });
}

// ---- the task -----------------------------------------------------------------------------------------------

interface Built {
  plan: SplitPlan;
  source: string;
}

export class MusicTask implements ClassificationTask {
  readonly version = MUSIC_TASK_VERSION;
  readonly metrics: readonly MetricSpec[] = [
    { name: 'accuracy', higherIsBetter: true },
    { name: 'macro_f1', higherIsBetter: true },
  ];
  readonly input: { kind: 'symbols'; alphabet: readonly string[] };
  readonly options: MusicOptions;
  /** Labels come from the data (eligible and top classes), so they are read on first use. */
  readonly head: { kind: 'classification'; readonly labels: readonly string[] };
  private readonly dataDir: string;
  private built: Built | null = null;

  constructor(options: MusicOptions, ctx: TaskContext) {
    this.options = options;
    this.dataDir = ctx.dataDir;
    this.input = { kind: 'symbols', alphabet: eventAlphabet(options.encoding) };
    const build = () => this.build();
    this.head = {
      kind: 'classification',
      get labels() {
        return build().plan.labels;
      },
    };
  }

  /** Where the data came from; reads the data on first use. */
  get source(): string {
    return this.build().source;
  }

  private build(): Built {
    if (this.built) return this.built;
    const o = this.options;
    let items: MusicItem[];
    let source: string;
    if (o.dataset === 'grooves') {
      const file = groovesCacheFile(this.dataDir);
      const g = grooveItems(file, o);
      items = g.items;
      source =
        `Debian ${MMA_PACKAGE} ${g.mmaVersion} /usr/share/mma/lib/stdlib/*.mma: ${g.grooves} grooves rendered by mma ` +
        `(RndSeed ${RENDER.rndSeed}, ${RENDER.tempo} bpm, ${RENDER.chords.length} bars), label = style file; mma and its style library GPL-2+ (Bob van der Poel)`;
    } else {
      items = midiDirItems(o);
      source = `MIDI files under ${resolve(o.dir!)} labelled by ${resolve(o.labels!)}`;
    }
    const plan = planSplits(items, o, o.dataset);
    if (plan.labels.length < 2)
      throw new SsbenchError(
        'data',
        `only ${plan.labels.length} class(es) left after filtering (a class needs ${items.some((i) => i.split) ? 'train and test files' : '3 groups'} and minClassSize ${o.minClassSize})`,
        { file: o.dataset === 'grooves' ? groovesCacheFile(this.dataDir) : resolve(o.labels!) },
      );
    this.built = { plan, source };
    return this.built;
  }

  async load(): Promise<MusicSplits> {
    return this.build().plan.splits;
  }

  score(predicted: readonly number[], gold: readonly number[]): Record<string, number> {
    checkLabelIds(predicted, gold, this.head.labels.length);
    return {
      accuracy: accuracy(predicted, gold),
      macro_f1: precisionRecallF1(predicted, gold, { average: 'macro' }).f1,
    };
  }
}

// ---- the plugin ---------------------------------------------------------------------------------------------

export const musicDatasets: readonly DatasetInfo[] = [
  {
    name: GROOVES_DATASET,
    description: 'Style grooves of the mma accompaniment library rendered to MIDI (label = style family: swing, rhumba, waltz...)',
    source: `Debian ${MMA_PACKAGE} 21.09 /usr/share/mma/lib/stdlib/*.mma, rendered with mma (RndSeed ${RENDER.rndSeed}, ${RENDER.tempo} bpm, ${RENDER.chords.length} bars)`,
    licence: 'GPL-2+ (mma and its style library, Bob van der Poel)',
    size: '118 style files, 1,165 DefGroove lines = 1,163 grooves (1,162 produce MIDI; none/None is silent)',
    debianPackage: MMA_PACKAGE,
  },
];

function checkName(name: string): void {
  if (name !== GROOVES_DATASET) throw new SsbenchError('config', `unknown data set "${name}" (this task has: ${GROOVES_DATASET})`);
}

export async function musicDatasetStatus(name: string, ctx: TaskContext): Promise<DatasetStatus> {
  checkName(name);
  const file = groovesCacheFile(ctx.dataDir);
  try {
    const first = readFileSync(file, 'utf8').split('\n', 1)[0];
    const h = JSON.parse(first) as { format?: string; render?: { version?: number }; grooves?: number; mmaVersion?: string };
    if (h.format === 'ssbench-mma-grooves' && h.render?.version === RENDER.version)
      return { ready: true, detail: `${file}: ${h.grooves} grooves rendered by mma ${h.mmaVersion}` };
  } catch {
    // not prepared (or unreadable): fall through
  }
  const how = locateMma(ctx.dataDir)
    ? `run \`ssbench data prepare ${GROOVES_DATASET}\` (renders every groove with mma, a few minutes)`
    : `needs mma: \`apt-get install ${MMA_PACKAGE}\`, then \`ssbench data prepare ${GROOVES_DATASET}\` (which can also extract the package without installing it; needs python3)`;
  return { ready: false, detail: `not prepared (${file}): ${how}` };
}

export async function prepareMusicDataset(name: string, ctx: TaskContext): Promise<DatasetStatus> {
  checkName(name);
  const { file, header } = await prepareGrooves(ctx.dataDir);
  return { ready: true, detail: `${file}: ${header.grooves} grooves rendered by mma ${header.mmaVersion}` };
}

const plugin = {
  kind: 'task' as const,
  name: '@ssbench/task-music',
  version: MUSIC_TASK_VERSION,
  description: 'Symbolic-music classification from MIDI event sequences: mma style grooves (style family) or a labelled MIDI directory (e.g. MAESTRO composers).',
  optionsSchema: musicOptionsSchema,
  datasets: musicDatasets,
  datasetStatus: musicDatasetStatus,
  prepare: prepareMusicDataset,
  create: (options: MusicOptionsInput, ctx: TaskContext) => new MusicTask(resolveMusicOptions(options), ctx),
} satisfies TaskPlugin<MusicOptionsInput>;

export default plugin;

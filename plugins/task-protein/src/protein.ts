/**
 * Protein sequence classification (symbol input: amino acids), for the cross-disciplinary experiments of Kao & Lee
 * (2021, "Is BERT a Cross-Disciplinary Knowledge Learner?"), who fine-tune English-pretrained BERT on protein
 * tasks among others.
 *
 * Data sets (`dataset`), from prokka's genus databases (Debian `prokka`, prokka.ts):
 * - `genus`: which genus a protein comes from: Enterococcus, Escherichia or Staphylococcus (10,965 proteins;
 *   each class capped at `maxPerClass`, default 1,000, by a seeded choice of whole groups);
 * - `enzyme-class`: the top-level EC class (1 oxidoreductase ... 6 ligase) of the 2,416 proteins that have an EC
 *   number (Escherichia and Enterococcus; prokka's Staphylococcus file has none);
 * - `fasta`: a user FASTA file labelled by `labelPattern` (a regular expression over the header) or `labelsFile`
 *   (TSV `id<TAB>label`); classes with fewer than `minPerClass` (default 10) proteins are dropped.
 *
 * Input: residues [`window.offset`, `window.offset + window.length`) of each protein (default the first 126) over
 * the 20 standard amino acids and X (amino.ts). Windows that occur under more than one label are dropped.
 *
 * Splits (task version 1.0.0): seeded by `splitSeed` only, stratified by label, grouped so that near-identical
 * proteins never straddle splits: within a label, windows that share an identical `clusterKmer`-residue substring
 * (default 12) are one group (splits.ts). Default fractions 0.7 / 0.1 / 0.2. Metrics: accuracy and macro F1
 * (scikit-learn's defaults: over the labels present in gold or predictions).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type ClassificationExample,
  type ClassificationTask,
  type DatasetInfo,
  type DatasetStatus,
  type JSONSchema,
  type MetricSpec,
  Rng,
  type Splits,
  SsbenchError,
  type SymbolInput,
  type TaskContext,
  type TaskPlugin,
  accuracy,
  checkLabelIds,
  precisionRecallF1,
} from '@ssbench/core';
import { type FastaLabelSource, debianPackageVersion, dropConflicting, locateDebianFile, prepareDebianPackage, readLabelledFasta, requireDebianFile, resolveFastaSource, stratifiedGroupSplit } from '@ssbench/data';
import { PROTEIN_ALPHABET, PROTEIN_LETTERS } from './amino';
import { EC_CLASSES, PROKKA_GENERA, type ProkkaGenus, type ProteinRecord, ecClass, prokkaFile, proteinSequence, readProkkaFile } from './prokka';
import { sharedKmerGroups } from './splits';

export type ProteinDataset = 'genus' | 'enzyme-class' | 'fasta';
export const PROTEIN_DATASETS: readonly ProteinDataset[] = ['genus', 'enzyme-class', 'fasta'];

/** The task's version: bump when data, splits or metrics change (results of different versions don't compare). */
export const PROTEIN_TASK_VERSION = '1.0.0';

export interface ProteinOptionsInput {
  dataset?: ProteinDataset;
  window?: { offset?: number; length?: number };
  split?: { dev?: number; test?: number };
  splitSeed?: number;
  clusterKmer?: number;
  minPerClass?: number;
  maxPerClass?: number;
  file?: string;
  labelPattern?: string;
  labelsFile?: string;
}

export interface ProteinOptions {
  dataset: ProteinDataset;
  window: { offset: number; length: number };
  split: { dev: number; test: number };
  splitSeed: number;
  /** Length of the shared substring that puts two proteins in one group; 0: identical windows only. */
  clusterKmer: number;
  /** Classes with fewer proteins are dropped (fasta only; 0 otherwise). */
  minPerClass: number;
  maxPerClass: number | null;
  fasta: { file: string; labels: FastaLabelSource } | null;
}

const DEFAULTS = {
  window: { offset: 0, length: 126 },
  split: { dev: 0.1, test: 0.2 },
  splitSeed: 13,
  clusterKmer: 12,
  minPerClass: { genus: 0, 'enzyme-class': 0, fasta: 10 },
  maxPerClass: { genus: 1000, 'enzyme-class': null, fasta: null },
};

export const proteinOptionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Protein sequence classification options',
  type: 'object',
  additionalProperties: false,
  properties: {
    dataset: {
      enum: [...PROTEIN_DATASETS],
      default: 'genus',
      description: 'genus: prokka proteins of 3 genera; enzyme-class: top-level EC class (6); fasta: your own FASTA file (file + labelPattern or labelsFile).',
    },
    window: {
      type: 'object',
      additionalProperties: false,
      properties: {
        offset: { type: 'integer', minimum: 0, default: DEFAULTS.window.offset },
        length: { type: 'integer', minimum: 1, default: DEFAULTS.window.length },
      },
      default: DEFAULTS.window,
      description: 'The residues the model sees: sequence[offset, offset + length) (shorter when the protein ends first).',
    },
    split: {
      type: 'object',
      additionalProperties: false,
      properties: {
        dev: { type: 'number', minimum: 0, maximum: 1, default: DEFAULTS.split.dev },
        test: { type: 'number', minimum: 0, maximum: 1, default: DEFAULTS.split.test },
      },
      default: DEFAULTS.split,
      description: 'Fractions of each class held out for dev and test; the rest is train.',
    },
    splitSeed: {
      type: 'integer',
      default: DEFAULTS.splitSeed,
      description: 'Seed of the split shuffle (independent of the experiment seed: every seed sees the same test set).',
    },
    clusterKmer: {
      type: 'integer',
      minimum: 0,
      maximum: 100,
      default: DEFAULTS.clusterKmer,
      description: 'Proteins of one class whose windows share an identical substring of this many residues stay in one split (0: only identical windows).',
    },
    minPerClass: { type: 'integer', minimum: 1, description: 'fasta only: drop classes with fewer proteins (default 10).' },
    maxPerClass: { type: 'integer', minimum: 1, description: 'Keep at most this many proteins per class, chosen by whole groups (genus: default 1000; otherwise no cap).' },
    file: { type: 'string', minLength: 1, description: 'fasta only: the FASTA file (relative paths are resolved from the working directory).' },
    labelPattern: {
      type: 'string',
      minLength: 1,
      description: 'fasta only: a regular expression over each header ("id description"); its first group (or the whole match) is the label.',
    },
    labelsFile: { type: 'string', minLength: 1, description: 'fasta only: a TSV of "id<TAB>label" lines.' },
  },
};

function optionsError(pointer: string, message: string): SsbenchError {
  return new SsbenchError('config', message, { pointer });
}

function checkInt(value: unknown, pointer: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw optionsError(pointer, `${pointer.slice(1).replace('/', '.')} must be an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}, got ${JSON.stringify(value)}`);
  return value;
}

/** Applies defaults and checks the options (also when the runner's schema validation did not run). */
export function resolveProteinOptions(input: ProteinOptionsInput = {}): ProteinOptions {
  const known = Object.keys(proteinOptionsSchema.properties as object);
  for (const k of Object.keys(input)) if (!known.includes(k)) throw optionsError(`/${k}`, `unknown option "${k}" (known: ${known.join(', ')})`);
  const dataset = input.dataset ?? 'genus';
  if (!PROTEIN_DATASETS.includes(dataset)) throw optionsError('/dataset', `unknown dataset ${JSON.stringify(dataset)} (expected one of ${PROTEIN_DATASETS.join(', ')})`);
  for (const key of ['file', 'labelPattern', 'labelsFile', 'minPerClass'] as const)
    if (input[key] !== undefined && dataset !== 'fasta') throw optionsError(`/${key}`, `option "${key}" applies only to dataset "fasta" (this is "${dataset}")`);
  const window = {
    offset: checkInt(input.window?.offset ?? DEFAULTS.window.offset, '/window/offset', 0),
    length: checkInt(input.window?.length ?? DEFAULTS.window.length, '/window/length', 1),
  };
  const split = { dev: input.split?.dev ?? DEFAULTS.split.dev, test: input.split?.test ?? DEFAULTS.split.test };
  for (const key of ['dev', 'test'] as const)
    if (typeof split[key] !== 'number' || !(split[key] >= 0 && split[key] <= 1)) throw optionsError(`/split/${key}`, `split.${key} must be a fraction in [0, 1], got ${split[key]}`);
  if (split.dev + split.test >= 1) throw optionsError('/split', `split.dev + split.test is ${split.dev + split.test}: nothing left to train on`);
  const splitSeed = input.splitSeed ?? DEFAULTS.splitSeed;
  if (!Number.isSafeInteger(splitSeed)) throw optionsError('/splitSeed', `splitSeed must be an integer, got ${splitSeed}`);
  const clusterKmer = checkInt(input.clusterKmer ?? DEFAULTS.clusterKmer, '/clusterKmer', 0, 100);
  const minPerClass = input.minPerClass === undefined ? DEFAULTS.minPerClass[dataset] : checkInt(input.minPerClass, '/minPerClass', 1);
  const maxPerClass = input.maxPerClass === undefined ? DEFAULTS.maxPerClass[dataset] : checkInt(input.maxPerClass, '/maxPerClass', 1);
  let fasta: ProteinOptions['fasta'] = null;
  if (dataset === 'fasta') fasta = resolveFastaSource(input);
  return { dataset, window, split, splitSeed, clusterKmer, minPerClass, maxPerClass, fasta };
}

// ---- data ---------------------------------------------------------------------------------------------------

/** One example: the window's residues, the label id, and the protein it came from. */
export interface ProteinExample extends SymbolInput {
  label: number;
  id: string;
}

export interface ProteinSplits extends Splits<ClassificationExample> {
  train: ProteinExample[];
  dev: ProteinExample[];
  test: ProteinExample[];
}

/** What loading kept and dropped, for reports and READMEs. */
export interface ProteinDataSummary {
  records: number;
  /** Proteins without a label in this data set (enzyme-class: no EC number, or EC 7). */
  unlabelled: number;
  /** Proteins dropped because their window occurs under another label too. */
  conflicting: number;
  /** Classes dropped by minPerClass (fasta), with their sizes. */
  smallClasses: { label: string; count: number }[];
  /** Proteins left out by maxPerClass. */
  capped: number;
  /** Number of near-identity groups among the kept proteins. */
  groups: number;
  /** Examples per label (in head.labels order) in each split. */
  counts: { train: number[]; dev: number[]; test: number[] };
}

interface Labelled {
  id: string;
  origin: string;
  sequence: string;
  label: string;
}

interface Prepared {
  labels: string[];
  items: { record: Labelled; window: string; label: number }[];
  records: number;
  unlabelled: number;
  conflicting: number;
  smallClasses: { label: string; count: number }[];
}

// ---- the task -----------------------------------------------------------------------------------------------

export class ProteinTask implements ClassificationTask {
  readonly version = PROTEIN_TASK_VERSION;
  readonly metrics: readonly MetricSpec[] = [
    { name: 'accuracy', higherIsBetter: true },
    { name: 'macro_f1', higherIsBetter: true },
  ];
  readonly input = { kind: 'symbols', alphabet: PROTEIN_ALPHABET } as const;
  readonly source: string;
  readonly options: ProteinOptions;
  private readonly ctx: TaskContext;
  private readonly files: ((genus: ProkkaGenus) => string) | undefined;
  private prepared: Prepared | null = null;
  private summaryOfLoad: ProteinDataSummary | null = null;

  /** @param files where each genus file is, instead of the Debian paths (tests point this at fixtures). */
  constructor(options: ProteinOptions, ctx: TaskContext, files?: (genus: ProkkaGenus) => string) {
    this.options = options;
    this.ctx = ctx;
    this.files = files;
    this.source = describeSource(options, ctx, files !== undefined);
  }

  /** The labels: fixed for genus and enzyme-class; for fasta, the classes kept (sorted by name), which needs the data. */
  get head(): { kind: 'classification'; labels: readonly string[] } {
    const { dataset } = this.options;
    return { kind: 'classification', labels: dataset === 'genus' ? PROKKA_GENERA : dataset === 'enzyme-class' ? EC_CLASSES : this.prepare().labels };
  }

  /** Counts of the last `load()` (null before). */
  get summary(): ProteinDataSummary | null {
    return this.summaryOfLoad;
  }

  private genusFile(genus: ProkkaGenus): string {
    return this.files ? this.files(genus) : requireDebianFile(prokkaFile(genus), this.ctx.dataDir, DATASET_NAME);
  }

  private prepare(): Prepared {
    if (this.prepared) return this.prepared;
    const { dataset, window, minPerClass } = this.options;
    let records: Labelled[];
    let unlabelled = 0;
    let fixedLabels: readonly string[] | null = null;
    if (dataset === 'fasta') {
      const { file, labels } = this.options.fasta!;
      records = readLabelledFasta(file, labels, { alphabet: PROTEIN_LETTERS }).map((r) => ({
        id: r.id,
        origin: `${file}:${r.line}`,
        sequence: proteinSequence(r, file),
        label: r.label,
      }));
    } else {
      const all: { genus: ProkkaGenus; record: ProteinRecord }[] = PROKKA_GENERA.flatMap((genus) => readProkkaFile(this.genusFile(genus)).map((record) => ({ genus, record })));
      if (dataset === 'genus') {
        fixedLabels = PROKKA_GENERA;
        records = all.map(({ genus, record }) => ({ ...record, label: genus }));
      } else {
        fixedLabels = EC_CLASSES;
        records = [];
        for (const { record } of all) {
          const c = ecClass(record.ec);
          if (c === null || c < 1 || c > EC_CLASSES.length) unlabelled++;
          else records.push({ ...record, label: EC_CLASSES[c - 1] });
        }
      }
    }
    const windows = records.map((record) => {
      const w = record.sequence.slice(window.offset, window.offset + window.length);
      if (w === '') throw new SsbenchError('data', `protein "${record.id}" (${record.origin}) has ${record.sequence.length} residues: its window starts at ${window.offset}`);
      return { record, window: w };
    });
    const { kept, dropped } = dropConflicting(
      windows,
      (x) => x.window,
      (x) => x.record.label,
    );
    const counts = new Map<string, number>();
    for (const x of kept) counts.set(x.record.label, (counts.get(x.record.label) ?? 0) + 1);
    const labels = fixedLabels ? [...fixedLabels] : [...counts.keys()].filter((l) => counts.get(l)! >= minPerClass).sort();
    const smallClasses = fixedLabels
      ? []
      : [...counts.entries()]
          .filter(([, n]) => n < minPerClass)
          .map(([label, count]) => ({ label, count }))
          .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
    if (labels.length < 2)
      throw new SsbenchError('data', `${this.options.fasta?.file ?? DATASET_NAME}: ${labels.length} class${labels.length === 1 ? '' : 'es'} with at least ${minPerClass} proteins; a classification task needs 2 or more (lower minPerClass?)`);
    const index = new Map(labels.map((l, i) => [l, i]));
    const items = kept.filter((x) => index.has(x.record.label)).map((x) => ({ ...x, label: index.get(x.record.label)! }));
    this.prepared = { labels, items, records: records.length + unlabelled, unlabelled, conflicting: dropped, smallClasses };
    return this.prepared;
  }

  async load(): Promise<ProteinSplits> {
    const { dataset, split, splitSeed, maxPerClass, clusterKmer } = this.options;
    const prepared = this.prepare();
    const groups = sharedKmerGroups(
      prepared.items,
      (x) => x.window,
      (x) => x.label,
      clusterKmer,
    );
    const indexed = prepared.items.map((x, i) => ({ ...x, group: groups[i] }));
    const rng = new Rng(splitSeed).fork('task-protein').fork(dataset);
    const parts = stratifiedGroupSplit(
      indexed,
      (x) => x.label,
      (x) => x.group,
      split,
      rng,
      maxPerClass ?? undefined,
    );
    const toExample = (x: (typeof indexed)[number]): ProteinExample => ({ symbols: [...x.window], label: x.label, id: x.record.id });
    const out: ProteinSplits = { train: parts.train.map(toExample), dev: parts.dev.map(toExample), test: parts.test.map(toExample) };
    const count = (xs: ProteinExample[]) => prepared.labels.map((_, i) => xs.filter((e) => e.label === i).length);
    this.summaryOfLoad = {
      records: prepared.records,
      unlabelled: prepared.unlabelled,
      conflicting: prepared.conflicting,
      smallClasses: prepared.smallClasses,
      capped: parts.capped,
      groups: new Set(groups).size,
      counts: { train: count(out.train), dev: count(out.dev), test: count(out.test) },
    };
    return out;
  }

  score(predicted: readonly number[], gold: readonly number[]): Record<string, number> {
    checkLabelIds(predicted, gold, this.head.labels.length);
    if (gold.length === 0) throw new Error('score: no examples');
    return { accuracy: accuracy(predicted, gold), macro_f1: precisionRecallF1(predicted, gold, { average: 'macro' }).f1 };
  }
}

function describeSource(options: ProteinOptions, ctx: TaskContext, fixtures: boolean): string {
  const window = `residues [${options.window.offset}, ${options.window.offset + options.window.length}); groups by shared ${options.clusterKmer}-mers`;
  if (options.dataset === 'fasta') {
    const { file, labels } = options.fasta!;
    let digest = 'unreadable';
    try {
      digest = `sha256 ${createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16)}`;
    } catch {}
    return `user FASTA ${file} (${digest}); ${'pattern' in labels ? `labels from header pattern ${labels.pattern}` : `labels from ${labels.labelsFile}`}; ${window}`;
  }
  const version = fixtures ? 'test fixtures' : (debianPackageVersion('prokka', ctx.dataDir) ?? 'version unknown');
  return `Debian prokka ${version} /usr/share/prokka/db/genus/{${PROKKA_GENERA.join(',')}} (GPL-3+); ${options.dataset === 'genus' ? 'label: genus' : 'label: top-level EC class'}; ${window}`;
}

// ---- data set and plugin --------------------------------------------------------------------------------------

const DATASET_NAME = 'prokka-genus-proteins';

export const DATASET_INFOS: readonly DatasetInfo[] = [
  {
    name: DATASET_NAME,
    description: "Prokka's genus-specific protein databases (Escherichia from EcoCyc, Staphylococcus and Enterococcus from RefSeq), headers EC~~~gene~~~product",
    source: 'Debian prokka 1.14.6+dfsg-4: /usr/share/prokka/db/genus/{Enterococcus,Escherichia,Staphylococcus}',
    licence: 'GPL-3+ (prokka)',
    size: '10,965 proteins (Enterococcus 3,104, Escherichia 4,209, Staphylococcus 3,652), 2,416 with an EC number; 4.4 MB',
    debianPackage: 'prokka',
  },
];

async function datasetStatus(name: string, ctx: TaskContext): Promise<DatasetStatus> {
  if (name !== DATASET_NAME) throw new SsbenchError('config', `unknown data set "${name}" (known: ${DATASET_NAME})`);
  const found = PROKKA_GENERA.map((g) => locateDebianFile(prokkaFile(g), ctx.dataDir));
  if (found.every((f) => f !== null)) return { ready: true, detail: `${found.join(', ')} (prokka ${debianPackageVersion('prokka', ctx.dataDir) ?? 'version unknown'})` };
  // prokka itself pulls in Perl, BioPerl and Java: extracting the package (no dependencies) is the lighter way.
  return { ready: false, detail: `ssbench data prepare ${DATASET_NAME} (extracts the package without its dependencies), or apt-get install prokka` };
}

const plugin = {
  kind: 'task' as const,
  name: '@ssbench/task-protein',
  version: PROTEIN_TASK_VERSION,
  description: 'Protein sequence classification with amino-acid symbols: genus or enzyme class of prokka proteins, or your own FASTA file.',
  optionsSchema: proteinOptionsSchema,
  datasets: DATASET_INFOS,
  datasetStatus,
  prepare: async (name: string, ctx: TaskContext) => {
    const status = await datasetStatus(name, ctx);
    if (status.ready) return status;
    prepareDebianPackage('prokka', ctx.dataDir);
    return datasetStatus(name, ctx);
  },
  create: (options: ProteinOptionsInput, ctx: TaskContext) => new ProteinTask(resolveProteinOptions(options), ctx),
} satisfies TaskPlugin<ProteinOptionsInput>;

export default plugin;

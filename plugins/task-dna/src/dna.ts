/**
 * DNA sequence classification (symbol input: nucleotides or k-mers), for the cross-disciplinary experiments of
 * Kao & Lee (2021, "Is BERT a Cross-Disciplinary Knowledge Learner?"), who fine-tune English-pretrained BERT on
 * DNA splice junctions among other tasks.
 *
 * Data sets (`dataset`):
 * - `splice`: UCI primate splice junctions (mlbench `DNA`, Debian `r-cran-mlbench`): 3,186 x 60 nt, classes ei /
 *   ie / n. Records with identical sequences are grouped (185 rows repeat another row's sequence); one sequence
 *   that occurs under two classes is dropped (both rows).
 * - `16s`: the microbiomeutil 16S rRNA gold set (Debian `microbiomeutil-data`): 5,181 sequences of 1.2-1.7 kb
 *   with a six-rank lineage; labelled at `rank` (default phylum); classes with fewer than `minPerClass` (default
 *   100) sequences are dropped, each class is capped at `maxPerClass` (default 500) by a seeded choice of whole
 *   groups; for ranks above genus, a genus never straddles splits (the test set measures generalisation to genera
 *   not seen in training).
 * - `fasta`: a user FASTA file labelled by `labelPattern` (a regular expression over the header) or `labelsFile`
 *   (TSV `id<TAB>label`); records with identical windows are grouped.
 *
 * Input: a window of each sequence (`window.offset`, `window.length` nucleotides, default the first 126, i.e. all
 * of a splice sequence) turned into k-mer symbols (`k`, default 1; non-overlapping unless `overlapping`), see
 * nucleotides.ts. Windows that occur under more than one label are dropped in every data set.
 *
 * Splits (task version 1.0.0): seeded by `splitSeed` only, stratified by label, grouped (@ssbench/data's
 * `stratifiedGroupSplit`); default fractions 0.7 / 0.1 / 0.2. Metrics: accuracy and macro F1 (scikit-learn's
 * defaults: over the labels present in gold or predictions).
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
import { type DebianFile, type FastaLabelSource, debianPackageVersion, dropConflicting, locateDebianFile, prepareDebianPackage, requireDebianFile, resolveFastaSource, stratifiedGroupSplit } from '@ssbench/data';
import { MAX_K, kmerAlphabet, kmerize } from './nucleotides';
import { type DnaRecord, RRNA16S_FILE, TAXONOMY_RANKS, type TaxonomyRank, read16S, readUserFasta } from './sources';
import { SPLICE_FILE, SPLICE_LABELS, readSpliceFile } from './splice';

export type DnaDataset = 'splice' | '16s' | 'fasta';
export const DNA_DATASETS: readonly DnaDataset[] = ['splice', '16s', 'fasta'];

/** The task's version: bump when data, splits or metrics change (results of different versions don't compare). */
export const DNA_TASK_VERSION = '1.0.0';

export interface DnaOptionsInput {
  dataset?: DnaDataset;
  k?: number;
  overlapping?: boolean;
  window?: { offset?: number; length?: number };
  split?: { dev?: number; test?: number };
  splitSeed?: number;
  minPerClass?: number;
  maxPerClass?: number;
  rank?: TaxonomyRank;
  file?: string;
  labelPattern?: string;
  labelsFile?: string;
}

export interface DnaOptions {
  dataset: DnaDataset;
  k: number;
  overlapping: boolean;
  window: { offset: number; length: number };
  split: { dev: number; test: number };
  splitSeed: number;
  /** Classes with fewer records are dropped (16s and fasta; 0 for splice). */
  minPerClass: number;
  /** Per-class cap, or null for none. */
  maxPerClass: number | null;
  /** Taxonomic rank of the labels (16s only). */
  rank: TaxonomyRank | null;
  /** The user file and where its labels come from (fasta only). */
  fasta: { file: string; labels: FastaLabelSource } | null;
}

const DEFAULTS = {
  k: 1,
  overlapping: false,
  window: { offset: 0, length: 126 },
  split: { dev: 0.1, test: 0.2 },
  splitSeed: 13,
  rank: 'phylum' as TaxonomyRank,
  minPerClass: { splice: 0, '16s': 100, fasta: 10 },
  maxPerClass: { splice: null, '16s': 500, fasta: null },
};

export const dnaOptionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'DNA sequence classification options',
  type: 'object',
  additionalProperties: false,
  properties: {
    dataset: {
      enum: [...DNA_DATASETS],
      default: 'splice',
      description: 'splice: UCI primate splice junctions (3 classes); 16s: 16S rRNA taxonomy; fasta: your own FASTA file (file + labelPattern or labelsFile).',
    },
    k: { type: 'integer', minimum: 1, maximum: MAX_K, default: DEFAULTS.k, description: 'Symbols are k-mers of this length (1: single nucleotides).' },
    overlapping: {
      type: 'boolean',
      default: DEFAULTS.overlapping,
      description: 'Overlapping k-mers (stride 1, L - k + 1 symbols) instead of non-overlapping ones (stride k, floor(L / k) symbols).',
    },
    window: {
      type: 'object',
      additionalProperties: false,
      properties: {
        offset: { type: 'integer', minimum: 0, default: DEFAULTS.window.offset },
        length: { type: 'integer', minimum: 1, default: DEFAULTS.window.length },
      },
      default: DEFAULTS.window,
      description: 'The nucleotides the model sees: sequence[offset, offset + length) (shorter when the sequence ends first).',
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
    minPerClass: { type: 'integer', minimum: 1, description: 'Drop classes with fewer sequences (16s: default 100; fasta: default 10; not for splice).' },
    maxPerClass: { type: 'integer', minimum: 1, description: 'Keep at most this many sequences per class, chosen by whole groups (16s: default 500; otherwise no cap).' },
    rank: { enum: [...TAXONOMY_RANKS], description: '16s only: the taxonomic rank of the labels (default phylum).' },
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
export function resolveDnaOptions(input: DnaOptionsInput = {}): DnaOptions {
  const known = Object.keys(dnaOptionsSchema.properties as object);
  for (const k of Object.keys(input)) if (!known.includes(k)) throw optionsError(`/${k}`, `unknown option "${k}" (known: ${known.join(', ')})`);
  const dataset = input.dataset ?? 'splice';
  if (!DNA_DATASETS.includes(dataset)) throw optionsError('/dataset', `unknown dataset ${JSON.stringify(dataset)} (expected one of ${DNA_DATASETS.join(', ')})`);
  const only = (key: keyof DnaOptionsInput, ds: DnaDataset) => {
    if (input[key] !== undefined && dataset !== ds) throw optionsError(`/${key}`, `option "${key}" applies only to dataset "${ds}" (this is "${dataset}")`);
  };
  only('rank', '16s');
  only('file', 'fasta');
  only('labelPattern', 'fasta');
  only('labelsFile', 'fasta');
  if (dataset === 'splice' && input.minPerClass !== undefined) throw optionsError('/minPerClass', 'minPerClass does not apply to the splice data set (its three classes are fixed)');

  const k = checkInt(input.k ?? DEFAULTS.k, '/k', 1, MAX_K);
  const overlapping = input.overlapping ?? DEFAULTS.overlapping;
  if (typeof overlapping !== 'boolean') throw optionsError('/overlapping', `overlapping must be true or false, got ${JSON.stringify(overlapping)}`);
  const window = {
    offset: checkInt(input.window?.offset ?? DEFAULTS.window.offset, '/window/offset', 0),
    length: checkInt(input.window?.length ?? DEFAULTS.window.length, '/window/length', 1),
  };
  if (window.length < k) throw optionsError('/window/length', `window.length ${window.length} is shorter than one ${k}-mer`);
  const split = { dev: input.split?.dev ?? DEFAULTS.split.dev, test: input.split?.test ?? DEFAULTS.split.test };
  for (const key of ['dev', 'test'] as const)
    if (typeof split[key] !== 'number' || !(split[key] >= 0 && split[key] <= 1)) throw optionsError(`/split/${key}`, `split.${key} must be a fraction in [0, 1], got ${split[key]}`);
  if (split.dev + split.test >= 1) throw optionsError('/split', `split.dev + split.test is ${split.dev + split.test}: nothing left to train on`);
  const splitSeed = input.splitSeed ?? DEFAULTS.splitSeed;
  if (!Number.isSafeInteger(splitSeed)) throw optionsError('/splitSeed', `splitSeed must be an integer, got ${splitSeed}`);
  const minPerClass = input.minPerClass === undefined ? DEFAULTS.minPerClass[dataset] : checkInt(input.minPerClass, '/minPerClass', 1);
  const maxPerClass = input.maxPerClass === undefined ? DEFAULTS.maxPerClass[dataset] : checkInt(input.maxPerClass, '/maxPerClass', 1);

  let rank: TaxonomyRank | null = null;
  if (dataset === '16s') {
    rank = input.rank ?? DEFAULTS.rank;
    if (!TAXONOMY_RANKS.includes(rank)) throw optionsError('/rank', `unknown rank ${JSON.stringify(rank)} (expected one of ${TAXONOMY_RANKS.join(', ')})`);
  }
  let fasta: DnaOptions['fasta'] = null;
  if (dataset === 'fasta') fasta = resolveFastaSource(input);
  return { dataset, k, overlapping, window, split, splitSeed, minPerClass, maxPerClass, rank, fasta };
}

// ---- data ---------------------------------------------------------------------------------------------------

const DEBIAN_FILES: Record<'splice' | '16s', DebianFile> = { splice: SPLICE_FILE, '16s': RRNA16S_FILE };

/** One example: the window's k-mer symbols, the label id, and the record it came from. */
export interface DnaExample extends SymbolInput {
  label: number;
  /** Record id (FASTA id, or `row<N>` of the splice data frame). */
  id: string;
}

export interface DnaSplits extends Splits<ClassificationExample> {
  train: DnaExample[];
  dev: DnaExample[];
  test: DnaExample[];
}

/** What loading kept and dropped, for reports and READMEs. */
export interface DnaDataSummary {
  records: number;
  /** Records dropped because their window occurs under another label too. */
  conflicting: number;
  /** Classes dropped by minPerClass, with their sizes. */
  smallClasses: { label: string; count: number }[];
  /** Records left out by maxPerClass. */
  capped: number;
  /** Examples per label (in head.labels order) in each split. */
  counts: { train: number[]; dev: number[]; test: number[] };
}

interface Prepared {
  labels: string[];
  /** Records of the kept classes with their windows. */
  items: { record: DnaRecord; window: string; label: number }[];
  conflicting: number;
  smallClasses: { label: string; count: number }[];
  records: number;
}

// ---- the task -----------------------------------------------------------------------------------------------

export class DnaTask implements ClassificationTask {
  readonly version = DNA_TASK_VERSION;
  readonly metrics: readonly MetricSpec[] = [
    { name: 'accuracy', higherIsBetter: true },
    { name: 'macro_f1', higherIsBetter: true },
  ];
  readonly input: { kind: 'symbols'; alphabet: readonly string[] };
  readonly source: string;
  readonly options: DnaOptions;
  private readonly ctx: TaskContext;
  private readonly fileOverride: string | undefined;
  private prepared: Prepared | null = null;
  private summaryOfLoad: DnaDataSummary | null = null;

  /** @param file the data file to read instead of the Debian one (tests point this at fixtures). */
  constructor(options: DnaOptions, ctx: TaskContext, file?: string) {
    this.options = options;
    this.ctx = ctx;
    this.fileOverride = file;
    this.input = { kind: 'symbols', alphabet: kmerAlphabet(options.k) };
    this.source = describeSource(options, ctx, file);
  }

  /** The labels: fixed for splice; for 16s and fasta, the classes kept (sorted by name), which needs the data. */
  get head(): { kind: 'classification'; labels: readonly string[] } {
    return { kind: 'classification', labels: this.options.dataset === 'splice' ? SPLICE_LABELS : this.prepareSync().labels };
  }

  /** Counts of the last `load()` (null before). */
  get summary(): DnaDataSummary | null {
    return this.summaryOfLoad;
  }

  private file(): string {
    if (this.fileOverride !== undefined) return this.fileOverride;
    const { dataset } = this.options;
    if (dataset === 'fasta') return this.options.fasta!.file;
    return requireDebianFile(DEBIAN_FILES[dataset], this.ctx.dataDir, DATASET_NAMES[dataset]);
  }

  private prepareSync(): Prepared {
    if (this.prepared) return this.prepared;
    const { dataset, rank, fasta } = this.options;
    if (dataset === 'splice') throw new Error('internal: splice data is read asynchronously');
    const records = dataset === '16s' ? read16S(this.file(), rank!) : readUserFasta(this.file(), fasta!.labels);
    this.prepared = this.prepare(records);
    return this.prepared;
  }

  private prepare(records: DnaRecord[], fixedLabels?: readonly string[]): Prepared {
    const { window, k, minPerClass } = this.options;
    const windows = records.map((r) => {
      const w = r.sequence.slice(window.offset, window.offset + window.length);
      if (w.length < k)
        throw new SsbenchError('data', `record "${r.id}" (${r.origin}) is ${r.sequence.length} nt long: its window [${window.offset}, ${window.offset + window.length}) holds no ${k}-mer`);
      return { record: r, window: w };
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
      throw new SsbenchError(
        'data',
        `${DATASET_NAMES[this.options.dataset]}: ${labels.length} class${labels.length === 1 ? '' : 'es'} with at least ${minPerClass} sequences; a classification task needs 2 or more (lower minPerClass?)`,
      );
    const index = new Map(labels.map((l, i) => [l, i]));
    const items = kept.filter((x) => index.has(x.record.label)).map((x) => ({ ...x, label: index.get(x.record.label)! }));
    return { labels, items, conflicting: dropped, smallClasses, records: records.length };
  }

  async load(): Promise<DnaSplits> {
    const { dataset, k, overlapping, split, splitSeed, maxPerClass } = this.options;
    let prepared: Prepared;
    if (dataset === 'splice') {
      const path = this.file();
      const rows = await readSpliceFile(path);
      const records = rows.map((r): DnaRecord => ({ id: `row${r.row}`, origin: `${path} row ${r.row}`, sequence: r.sequence, label: SPLICE_LABELS[r.label] }));
      prepared = this.prepare(records, SPLICE_LABELS);
    } else prepared = this.prepareSync();
    const rng = new Rng(splitSeed).fork('task-dna').fork(dataset);
    const parts = stratifiedGroupSplit(
      prepared.items,
      (x) => x.label,
      (x) => x.record.group ?? `window:${x.window}`,
      split,
      rng,
      maxPerClass ?? undefined,
    );
    const toExample = (x: Prepared['items'][number]): DnaExample => ({ symbols: kmerize(x.window, k, overlapping), label: x.label, id: x.record.id });
    const out: DnaSplits = { train: parts.train.map(toExample), dev: parts.dev.map(toExample), test: parts.test.map(toExample) };
    const count = (xs: DnaExample[]) => prepared.labels.map((_, i) => xs.filter((e) => e.label === i).length);
    this.summaryOfLoad = {
      records: prepared.records,
      conflicting: prepared.conflicting,
      smallClasses: prepared.smallClasses,
      capped: parts.capped,
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

function describeSource(options: DnaOptions, ctx: TaskContext, fileOverride: string | undefined): string {
  const window = `window [${options.window.offset}, ${options.window.offset + options.window.length}) nt, ${options.k}-mers${options.k > 1 ? (options.overlapping ? ' overlapping' : ' non-overlapping') : ''}`;
  if (options.dataset === 'fasta') {
    const file = fileOverride ?? options.fasta!.file;
    let digest = 'unreadable';
    try {
      digest = `sha256 ${createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16)}`;
    } catch {}
    const labels = 'pattern' in options.fasta!.labels ? `labels from header pattern ${options.fasta!.labels.pattern}` : `labels from ${options.fasta!.labels.labelsFile}`;
    return `user FASTA ${file} (${digest}); ${labels}; ${window}`;
  }
  const info = DATASET_INFOS.find((d) => d.name === DATASET_NAMES[options.dataset])!;
  const file = DEBIAN_FILES[options.dataset];
  const version = debianPackageVersion(file.package, ctx.dataDir) ?? 'version unknown';
  const what = options.dataset === '16s' ? `rank ${options.rank}, ` : '';
  return `Debian ${file.package} ${version} ${fileOverride ?? file.path}: ${info.description} (${info.licence}); ${what}${window}`;
}

// ---- data sets and the plugin -------------------------------------------------------------------------------

const DATASET_NAMES: Record<DnaDataset, string> = { splice: 'splice-junctions', '16s': '16s-rrna-gold', fasta: 'user FASTA' };

export const DATASET_INFOS: readonly DatasetInfo[] = [
  {
    name: 'splice-junctions',
    description: 'UCI/StatLog primate splice-junction gene sequences (Towell, Noordewier & Shavlik; Genbank 64.1), as in R mlbench::DNA',
    source: `Debian r-cran-mlbench 2.1-3-1: ${SPLICE_FILE.path} (xz-compressed R data, 180 binary indicators per row)`,
    licence: 'GPL-2 (mlbench); UCI StatLog data',
    size: '3,186 sequences x 60 nt (ei 767, ie 765, n 1,654); 81 KB',
    debianPackage: SPLICE_FILE.package,
  },
  {
    name: '16s-rrna-gold',
    description: '16S rRNA "gold" reference sequences of the Broad microbiomeutil (ChimeraSlayer) with six-rank lineages',
    source: `Debian microbiomeutil-data 20101212+dfsg1-5: ${RRNA16S_FILE.path}`,
    licence: 'BSD-3-Clause (The Broad Institute)',
    size: '5,181 sequences of 1,205-1,655 nt (26 phyla, 1,196 genera); 8.7 MB',
    debianPackage: RRNA16S_FILE.package,
  },
];

async function datasetStatus(name: string, ctx: TaskContext): Promise<DatasetStatus> {
  const dataset = (Object.keys(DATASET_NAMES) as DnaDataset[]).find((d) => DATASET_NAMES[d] === name);
  if (dataset === undefined || dataset === 'fasta')
    throw new SsbenchError('config', `unknown data set "${name}" (known: ${DATASET_INFOS.map((d) => d.name).join(', ')})`);
  const file = DEBIAN_FILES[dataset];
  const found = locateDebianFile(file, ctx.dataDir);
  return found
    ? { ready: true, detail: `${found} (${file.package} ${debianPackageVersion(file.package, ctx.dataDir) ?? 'version unknown'})` }
    : { ready: false, detail: `apt-get install ${file.package}  (or: ssbench data prepare ${name})` };
}

const plugin = {
  kind: 'task' as const,
  name: '@ssbench/task-dna',
  version: DNA_TASK_VERSION,
  description: 'DNA sequence classification with nucleotide or k-mer symbols: UCI splice junctions, 16S rRNA taxonomy, or your own FASTA file.',
  optionsSchema: dnaOptionsSchema,
  datasets: DATASET_INFOS,
  datasetStatus,
  prepare: async (name: string, ctx: TaskContext) => {
    const status = await datasetStatus(name, ctx);
    if (status.ready) return status;
    const dataset = (Object.keys(DATASET_NAMES) as DnaDataset[]).find((d) => DATASET_NAMES[d] === name) as 'splice' | '16s';
    prepareDebianPackage(DEBIAN_FILES[dataset].package, ctx.dataDir);
    return datasetStatus(name, ctx);
  },
  create: (options: DnaOptionsInput, ctx: TaskContext) => new DnaTask(resolveDnaOptions(options), ctx),
} satisfies TaskPlugin<DnaOptionsInput>;

export default plugin;

/**
 * GLUE tasks read from their TSV files as the GLUE distribution ships them (Wang et al. 2019, "GLUE: A Multi-Task
 * Benchmark and Analysis Platform for Natural Language Understanding", https://gluebenchmark.com).
 *
 * File layouts (one example per line, fields separated by tabs, no quoting: MNLI and QQP contain `"` characters
 * that are part of the text, so the lines are split on tabs and nothing else):
 *   CoLA   no header; `source  label  original_label  sentence`, label 0 (unacceptable) / 1 (acceptable)
 *   SST-2  `sentence  label`, 0 negative / 1 positive
 *   MRPC   `Quality  #1 ID  #2 ID  #1 String  #2 String`, Quality 0 / 1 (equivalent)
 *   QQP    `id  qid1  qid2  question1  question2  is_duplicate`, 0 / 1
 *   STS-B  `index genre filename year old_index source1 source2 sentence1 sentence2 score`, score a real in [0, 5]
 *   MNLI   `index promptID pairID genre sentence1_binary_parse sentence2_binary_parse sentence1_parse
 *          sentence2_parse sentence1 sentence2 label1 [label2 .. label5] gold_label` (train has label1 only, the
 *          dev_matched / dev_mismatched files label1..label5); gold_label entailment / neutral / contradiction
 *   QNLI   `index  question  sentence  label`, entailment / not_entailment
 *   RTE    `index  sentence1  sentence2  label`, entailment / not_entailment
 *   WNLI   `index  sentence1  sentence2  label`, 0 / 1
 * Label ids follow the Hugging Face `glue` data set's order.
 *
 * GLUE's test files carry no labels, so a task reads the train and dev files: its own dev split is held out of
 * GLUE train (stratified by label, seeded by `splitSeed` only, identical pairs kept together) and GLUE dev is its
 * test split. For MNLI, point `data.dev` at dev_matched.tsv (MNLI-m) or dev_mismatched.tsv (MNLI-mm).
 * Metrics as GLUE reports them: CoLA Matthews correlation; SST-2, MNLI, QNLI, RTE, WNLI accuracy; MRPC and QQP F1
 * of the positive class and accuracy; STS-B Pearson and Spearman correlation (a regression head).
 */
import type {
  ClassificationExample,
  ClassificationTask,
  MetricSpec,
  RegressionExample,
  RegressionTask,
  Splits,
  TaskContext,
} from '@ssbench/core';
import { Rng, SsbenchError, accuracy, matthewsCorrcoef, pearsonCorrcoef, precisionRecallF1, spearmanCorrcoef } from '@ssbench/core';
import { type DataSource, type FetchLike, describeSource, readSource } from './sources';

export const GLUE_TASKS = ['cola', 'sst2', 'mrpc', 'qqp', 'stsb', 'mnli', 'qnli', 'rte', 'wnli'] as const;
export type GlueTaskName = (typeof GLUE_TASKS)[number];

export interface GlueFormat {
  readonly task: GlueTaskName;
  /** The name GLUE uses: 'CoLA', 'STS-B', ... */
  readonly display: string;
  /** Names of the columns; the header row of every labelled file (except CoLA, whose files have none). */
  readonly columns: readonly string[];
  readonly hasHeader: boolean;
  /** MNLI: after `columns` come one or more `labelN` columns and finally `gold_label`. */
  readonly variableLabelColumns?: boolean;
  readonly text: string;
  readonly textB?: string;
  /** The column holding the label (or the score, for STS-B). */
  readonly target: string;
  /** Raw label values in label-id order; absent for the regression task (STS-B). */
  readonly rawLabels?: readonly string[];
  /** The head's label names, in id order. */
  readonly labelNames?: readonly string[];
  readonly metrics: readonly MetricSpec[];
  /** The official archive and the members holding the labelled splits, for the README and error hints. */
  readonly archive: string;
  readonly members: { readonly train: string; readonly dev: string };
}

const m = (name: string): MetricSpec => ({ name, higherIsBetter: true });
const GLUE_DATA = 'https://dl.fbaipublicfiles.com/glue/data';

export const GLUE_FORMATS: Readonly<Record<GlueTaskName, GlueFormat>> = {
  cola: {
    task: 'cola',
    display: 'CoLA',
    columns: ['source', 'label', 'original_label', 'sentence'],
    hasHeader: false,
    text: 'sentence',
    target: 'label',
    rawLabels: ['0', '1'],
    labelNames: ['unacceptable', 'acceptable'],
    metrics: [m('mcc')],
    archive: `${GLUE_DATA}/CoLA.zip`,
    members: { train: 'CoLA/train.tsv', dev: 'CoLA/dev.tsv' },
  },
  sst2: {
    task: 'sst2',
    display: 'SST-2',
    columns: ['sentence', 'label'],
    hasHeader: true,
    text: 'sentence',
    target: 'label',
    rawLabels: ['0', '1'],
    labelNames: ['negative', 'positive'],
    metrics: [m('accuracy')],
    archive: `${GLUE_DATA}/SST-2.zip`,
    members: { train: 'SST-2/train.tsv', dev: 'SST-2/dev.tsv' },
  },
  mrpc: {
    task: 'mrpc',
    display: 'MRPC',
    columns: ['Quality', '#1 ID', '#2 ID', '#1 String', '#2 String'],
    hasHeader: true,
    text: '#1 String',
    textB: '#2 String',
    target: 'Quality',
    rawLabels: ['0', '1'],
    labelNames: ['not_equivalent', 'equivalent'],
    metrics: [m('f1'), m('accuracy')],
    archive: 'https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_train.txt',
    members: { train: 'MRPC/train.tsv', dev: 'MRPC/dev.tsv' },
  },
  qqp: {
    task: 'qqp',
    display: 'QQP',
    columns: ['id', 'qid1', 'qid2', 'question1', 'question2', 'is_duplicate'],
    hasHeader: true,
    text: 'question1',
    textB: 'question2',
    target: 'is_duplicate',
    rawLabels: ['0', '1'],
    labelNames: ['not_duplicate', 'duplicate'],
    metrics: [m('f1'), m('accuracy')],
    archive: `${GLUE_DATA}/QQP-clean.zip`,
    members: { train: 'QQP/train.tsv', dev: 'QQP/dev.tsv' },
  },
  stsb: {
    task: 'stsb',
    display: 'STS-B',
    columns: ['index', 'genre', 'filename', 'year', 'old_index', 'source1', 'source2', 'sentence1', 'sentence2', 'score'],
    hasHeader: true,
    text: 'sentence1',
    textB: 'sentence2',
    target: 'score',
    metrics: [m('pearson'), m('spearman')],
    archive: `${GLUE_DATA}/STS-B.zip`,
    members: { train: 'STS-B/train.tsv', dev: 'STS-B/dev.tsv' },
  },
  mnli: {
    task: 'mnli',
    display: 'MNLI',
    columns: [
      'index',
      'promptID',
      'pairID',
      'genre',
      'sentence1_binary_parse',
      'sentence2_binary_parse',
      'sentence1_parse',
      'sentence2_parse',
      'sentence1',
      'sentence2',
    ],
    hasHeader: true,
    variableLabelColumns: true,
    text: 'sentence1',
    textB: 'sentence2',
    target: 'gold_label',
    rawLabels: ['entailment', 'neutral', 'contradiction'],
    labelNames: ['entailment', 'neutral', 'contradiction'],
    metrics: [m('accuracy')],
    archive: `${GLUE_DATA}/MNLI.zip`,
    members: { train: 'MNLI/train.tsv', dev: 'MNLI/dev_matched.tsv' },
  },
  qnli: {
    task: 'qnli',
    display: 'QNLI',
    columns: ['index', 'question', 'sentence', 'label'],
    hasHeader: true,
    text: 'question',
    textB: 'sentence',
    target: 'label',
    rawLabels: ['entailment', 'not_entailment'],
    labelNames: ['entailment', 'not_entailment'],
    metrics: [m('accuracy')],
    archive: `${GLUE_DATA}/QNLIv2.zip`,
    members: { train: 'QNLI/train.tsv', dev: 'QNLI/dev.tsv' },
  },
  rte: {
    task: 'rte',
    display: 'RTE',
    columns: ['index', 'sentence1', 'sentence2', 'label'],
    hasHeader: true,
    text: 'sentence1',
    textB: 'sentence2',
    target: 'label',
    rawLabels: ['entailment', 'not_entailment'],
    labelNames: ['entailment', 'not_entailment'],
    metrics: [m('accuracy')],
    archive: `${GLUE_DATA}/RTE.zip`,
    members: { train: 'RTE/train.tsv', dev: 'RTE/dev.tsv' },
  },
  wnli: {
    task: 'wnli',
    display: 'WNLI',
    columns: ['index', 'sentence1', 'sentence2', 'label'],
    hasHeader: true,
    text: 'sentence1',
    textB: 'sentence2',
    target: 'label',
    rawLabels: ['0', '1'],
    labelNames: ['not_entailment', 'entailment'],
    metrics: [m('accuracy')],
    archive: `${GLUE_DATA}/WNLI.zip`,
    members: { train: 'WNLI/train.tsv', dev: 'WNLI/dev.tsv' },
  },
};

export type GlueExample = (ClassificationExample | RegressionExample) & { text: string; textB?: string };

const quoteColumns = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

/** The column names a header row must have, or a description of what was expected when it does not fit. */
function checkHeader(format: GlueFormat, cells: readonly string[]): string | null {
  const fixed = format.columns;
  const prefixOk = fixed.every((name, i) => cells[i] === name);
  if (!format.variableLabelColumns) return prefixOk && cells.length === fixed.length ? null : `the header ${quoteColumns(fixed)}`;
  const rest = cells.slice(fixed.length);
  const ok = prefixOk && rest.length >= 2 && rest[rest.length - 1] === format.target && rest.slice(0, -1).every((c) => /^label\d+$/.test(c));
  return ok ? null : `the header ${quoteColumns(fixed)}, then "label1" (train) or "label1" .. "label5" (dev), then "${format.target}"`;
}

/**
 * Parses one labelled GLUE file. Lines are split on tabs only (quotes are literal text); a trailing `\r` and a
 * final empty line are tolerated. A row with the wrong number of columns, an unknown label or a score that is
 * not a number in [0, 5] is a data error naming the file, the line and what was expected.
 */
export function parseGlueTsv(text: string, format: GlueFormat, file: string): GlueExample[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const bad = (line: number, reason: string) => new SsbenchError('data', `GLUE ${format.display}: ${reason}`, { file, line });
  let columns: readonly string[] = format.columns;
  let first = 0;
  if (format.hasHeader) {
    if (lines.length === 0) throw new SsbenchError('data', `GLUE ${format.display}: the file is empty`, { file });
    const header = lines[0].replace(/\r$/, '').replace(/^\uFEFF/, '').split('\t');
    const expected = checkHeader(format, header);
    if (expected !== null) {
      const hint = header.includes(format.target) ? '' : ' (GLUE test files carry no labels: point the task at the train and dev files)';
      throw bad(1, `expected ${expected}, got ${quoteColumns(header)}${hint}`);
    }
    columns = header;
    first = 1;
  }
  const index = (name: string) => columns.indexOf(name);
  const textCol = index(format.text);
  const textBCol = format.textB === undefined ? -1 : index(format.textB);
  const targetCol = format.variableLabelColumns ? columns.length - 1 : index(format.target);
  const out: GlueExample[] = [];
  for (let i = first; i < lines.length; i++) {
    const line = i + 1;
    const cells = lines[i].replace(/\r$/, '').split('\t');
    if (cells.length !== columns.length) {
      const hint = !format.hasHeader && cells.length === 2 && line === 1 ? ' (GLUE test files carry no labels: point the task at train.tsv and dev.tsv)' : '';
      throw bad(line, `expected ${columns.length} tab-separated columns (${quoteColumns(columns)}), got ${cells.length}${hint}`);
    }
    const raw = cells[targetCol].trim();
    const example: { text: string; textB?: string; label?: number; target?: number } = { text: cells[textCol].trim() };
    if (textBCol >= 0) example.textB = cells[textBCol].trim();
    if (format.rawLabels) {
      const label = format.rawLabels.indexOf(raw);
      if (label < 0) throw bad(line, `unknown ${format.target} ${JSON.stringify(raw)} (expected one of ${format.rawLabels.map((l) => JSON.stringify(l)).join(', ')})`);
      example.label = label;
    } else {
      const score = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
      if (!(score >= 0 && score <= 5)) throw bad(line, `${format.target} must be a number in [0, 5], got ${JSON.stringify(raw)}`);
      example.target = score;
    }
    out.push(example as GlueExample);
  }
  if (out.length === 0) throw new SsbenchError('data', `GLUE ${format.display}: no examples`, { file });
  return out;
}

// ---- splits ---------------------------------------------------------------------------------------------

export interface GlueOptions {
  task: GlueTaskName;
  data: { train: DataSource; dev: DataSource };
  /** Share of GLUE train held out as the dev split. */
  devFraction: number;
  /** Caps on the number of examples per split (a seeded random subset); absent: no cap. */
  maxExamples: { train?: number; dev?: number; test?: number };
  splitSeed: number;
}

const labelOf = (e: GlueExample): number | null => ('label' in e ? e.label : null);

/**
 * Holds `fraction` of the examples out as dev: per label (one stratum for STS-B), groups of identical pairs are
 * shuffled with `rng` and dealt to dev until it holds round(n * fraction) of that label; a group that would
 * overshoot goes to train. The rest, in file order, is train.
 */
export function holdOutDev<E extends GlueExample>(examples: readonly E[], fraction: number, rng: Rng): { train: E[]; dev: E[] } {
  const strata = new Map<number | null, Map<string, number[]>>();
  examples.forEach((e, i) => {
    const label = labelOf(e);
    let groups = strata.get(label);
    if (!groups) strata.set(label, (groups = new Map()));
    const key = `${e.text}\u0000${e.textB ?? ''}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  const inDev = new Uint8Array(examples.length);
  for (const label of [...strata.keys()].sort((a, b) => (a ?? -1) - (b ?? -1))) {
    const groups = [...(strata.get(label) as Map<string, number[]>).values()];
    const n = groups.reduce((s, g) => s + g.length, 0);
    const want = Math.round(n * fraction);
    let have = 0;
    for (const g of rng.fork(`label${label ?? 'all'}`).shuffle(groups)) {
      if (have + g.length > want) continue;
      for (const i of g) inDev[i] = 1;
      have += g.length;
    }
  }
  return { train: examples.filter((_, i) => !inDev[i]), dev: examples.filter((_, i) => inDev[i]) };
}

/** At most `max` of `xs`, a random subset (seeded) in the original order. */
function cap<E>(xs: readonly E[], max: number | undefined, rng: Rng): E[] {
  if (max === undefined || xs.length <= max) return [...xs];
  const keep = rng.permutation(xs.length).slice(0, max).sort((a, b) => a - b);
  return keep.map((i) => xs[i]);
}

/** Reads the train and dev files and makes the task's train / dev / test splits (see the file comment). */
export async function loadGlueSplits(options: GlueOptions, ctx: TaskContext, fetchImpl?: FetchLike): Promise<Splits<GlueExample>> {
  const format = GLUE_FORMATS[options.task];
  const read = async (source: DataSource) => {
    const { text, file } = await readSource(source, ctx, fetchImpl);
    return parseGlueTsv(text, format, file);
  };
  const train = await read(options.data.train);
  const test = await read(options.data.dev);
  const rng = new Rng(options.splitSeed).fork('task-pairs').fork(`glue/${options.task}`);
  const held = holdOutDev(train, options.devFraction, rng.fork('dev'));
  const { maxExamples: max } = options;
  return {
    train: rng.fork('order/train').shuffle(cap(held.train, max.train, rng.fork('cap/train'))),
    dev: rng.fork('order/dev').shuffle(cap(held.dev, max.dev, rng.fork('cap/dev'))),
    test: cap(test, max.test, rng.fork('cap/test')),
  };
}

// ---- the tasks ------------------------------------------------------------------------------------------

function glueSource(options: GlueOptions): string {
  const f = GLUE_FORMATS[options.task];
  return (
    `GLUE ${f.display}: train and dev from ${describeSource(options.data.train)} ` +
    `(dev = ${options.devFraction * 100}% held out, splitSeed ${options.splitSeed}), test = GLUE dev ${describeSource(options.data.dev)}; ` +
    `licence: the ${f.display} data's own terms (https://gluebenchmark.com)`
  );
}

function checkScoreInput(predicted: readonly number[], gold: readonly number[]): void {
  if (predicted.length !== gold.length) throw new Error(`score: ${predicted.length} predictions for ${gold.length} gold values`);
}

/** Accuracy, binary F1 of label 1 and MCC of label ids, named as the task's metrics. */
export function classificationScores(metrics: readonly MetricSpec[], labels: readonly string[], predicted: readonly number[], gold: readonly number[]): Record<string, number> {
  checkScoreInput(predicted, gold);
  for (const [what, xs] of [
    ['predicted', predicted],
    ['gold', gold],
  ] as const) {
    const i = xs.findIndex((x) => !Number.isInteger(x) || x < 0 || x >= labels.length);
    if (i >= 0) throw new Error(`score: ${what}[${i}] is ${xs[i]}, expected a label id in 0..${labels.length - 1} (${labels.join(', ')})`);
  }
  const out: Record<string, number> = {};
  for (const { name } of metrics) {
    if (name === 'accuracy') out[name] = accuracy(predicted, gold);
    else if (name === 'f1') out[name] = precisionRecallF1(predicted, gold, { average: 'binary', positiveLabel: 1 }).f1;
    else if (name === 'mcc') out[name] = matthewsCorrcoef(predicted, gold);
    else throw new Error(`score: unknown metric ${name}`);
  }
  return out;
}

export class GlueClassificationTask implements ClassificationTask {
  readonly head: { kind: 'classification'; labels: readonly string[] };
  readonly metrics: readonly MetricSpec[];
  readonly source: string;
  readonly version: string;
  readonly input = { kind: 'text' } as const;
  readonly options: GlueOptions;
  private readonly ctx: TaskContext;
  private readonly fetchImpl: FetchLike | undefined;

  constructor(options: GlueOptions, ctx: TaskContext, version: string, fetchImpl?: FetchLike) {
    const format = GLUE_FORMATS[options.task];
    if (!format.labelNames) throw new Error(`GLUE ${format.display} is a regression task`);
    this.head = { kind: 'classification', labels: format.labelNames };
    this.metrics = format.metrics;
    this.options = options;
    this.ctx = ctx;
    this.version = version;
    this.fetchImpl = fetchImpl;
    this.source = glueSource(options);
  }

  load(): Promise<Splits<ClassificationExample>> {
    return loadGlueSplits(this.options, this.ctx, this.fetchImpl) as Promise<Splits<ClassificationExample>>;
  }

  score(predicted: readonly number[], gold: readonly number[]): Record<string, number> {
    return classificationScores(this.metrics, this.head.labels, predicted, gold);
  }
}

/** STS-B: similarity scores in [0, 5]; Pearson and Spearman correlation (NaN for a constant prediction, as scipy). */
export class GlueRegressionTask implements RegressionTask {
  readonly head = { kind: 'regression' } as const;
  readonly metrics: readonly MetricSpec[];
  readonly source: string;
  readonly version: string;
  readonly input = { kind: 'text' } as const;
  readonly options: GlueOptions;
  private readonly ctx: TaskContext;
  private readonly fetchImpl: FetchLike | undefined;

  constructor(options: GlueOptions, ctx: TaskContext, version: string, fetchImpl?: FetchLike) {
    const format = GLUE_FORMATS[options.task];
    if (format.labelNames) throw new Error(`GLUE ${format.display} is a classification task`);
    this.metrics = format.metrics;
    this.options = options;
    this.ctx = ctx;
    this.version = version;
    this.fetchImpl = fetchImpl;
    this.source = glueSource(options);
  }

  load(): Promise<Splits<RegressionExample>> {
    return loadGlueSplits(this.options, this.ctx, this.fetchImpl) as Promise<Splits<RegressionExample>>;
  }

  score(predicted: readonly number[], gold: readonly number[]): Record<string, number> {
    checkScoreInput(predicted, gold);
    return { pearson: pearsonCorrcoef(predicted, gold), spearman: spearmanCorrcoef(predicted, gold) };
  }
}

export function createGlueTask(options: GlueOptions, ctx: TaskContext, version: string, fetchImpl?: FetchLike): GlueClassificationTask | GlueRegressionTask {
  return GLUE_FORMATS[options.task].labelNames
    ? new GlueClassificationTask(options, ctx, version, fetchImpl)
    : new GlueRegressionTask(options, ctx, version, fetchImpl);
}

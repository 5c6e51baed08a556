/**
 * A task made ready for fine-tuning: its head, its training rows, and its dev and test sets as rows plus a scorer
 * that decodes the head's outputs batch by batch and calls the task's own `score`. The one place that looks at the
 * task's head kind; the encoding is in data.ts, the graphs and decoding in heads.ts.
 *
 * Rules worth knowing when reading results:
 * - tagging: words cut off by maxSeqLen get no position; each is predicted as the most frequent tag of the training
 *   split (counted over the words of every training sentence, ties to the lower tag id). How many test words that
 *   concerned is recorded (`head.truncatedWords`).
 * - span: evaluation uses every sliding window of a long context and takes the best-scoring span over them
 *   (span.ts); training uses the window holding the answer. Questions without answers are only predicted (empty
 *   string, SQuAD 2.0 style) when the training split has unanswerable questions.
 * - symbols: each alphabet symbol is one fixed random token id of the vocabulary (symbols.ts).
 */
import type {
  ClassificationExample,
  ClassificationTask,
  RegressionExample,
  RegressionTask,
  SpanExample,
  SpanTask,
  Splits,
  TaggingExample,
  TaggingTask,
  TaskInstance,
} from '@ssbench/core';
import { SsbenchError } from '@ssbench/core';
import type { Tensor } from '@ssbench/graph';
import {
  type ClassificationRow,
  type EncodedRow,
  type RegressionRow,
  type SpanRow,
  type TaggingRow,
  encodeExample,
  encodeRegression,
  encodeSpanExample,
  encodeSymbols,
  encodeTagging,
  spanLayout,
} from './data';
import { type Head, argmaxRows, classificationHead, regressionHead, spanHead, tagPredictions, taggingHead, windowSpans } from './heads';
import { chooseAnswer } from './span';
import { type SymbolOptions, symbolTokenIds } from './symbols';
import type { TextTokenizer } from './tokenizer';

/** One evaluation pass: feed every batch's rows and the head's outputs, then `finish` gives the task's metrics. */
export interface EvalPass<R> {
  add(rows: readonly R[], outputs: Readonly<Record<string, Tensor>>): void;
  finish(): Record<string, number>;
}

export interface EvalSet<R> {
  readonly rows: readonly R[];
  begin(): EvalPass<R>;
}

export interface PreparedTask<R extends EncodedRow = EncodedRow> {
  readonly head: Head<R>;
  readonly train: readonly R[];
  readonly dev: EvalSet<R>;
  readonly test: EvalSet<R>;
  /** What the encoding did, recorded with each cell's results: the head kind and per-kind facts. */
  readonly notes: { kind: TaskInstance['head']['kind'] } & Record<string, unknown>;
}

export interface PrepareOptions {
  /** The task's id in the config (named in errors). */
  taskId: string;
  maxSeqLen: number;
  /** The symbol-to-token mapping of symbol tasks. */
  symbols: SymbolOptions;
}

/** Encodes a task's loaded splits for its head kind. */
export function prepareTask(task: TaskInstance, splits: Splits<unknown>, tok: TextTokenizer, options: PrepareOptions): PreparedTask {
  switch (task.head.kind) {
    case 'classification':
      return erase(prepareClassification(task as ClassificationTask, splits as Splits<ClassificationExample>, tok, options));
    case 'regression':
      return erase(prepareRegression(task as RegressionTask, splits as Splits<RegressionExample>, tok, options));
    case 'tagging':
      return erase(prepareTagging(task as TaggingTask, splits as Splits<TaggingExample>, tok, options));
    case 'span':
      return erase(prepareSpan(task as SpanTask, splits as Splits<SpanExample>, tok, options));
    default:
      throw new SsbenchError('plugin', `task "${options.taskId}" has an unknown head kind ${JSON.stringify((task.head as { kind: unknown }).kind)}`);
  }
}

/** The row type is internal to a prepared task: its head, rows and scorers agree on it. */
function erase<R extends EncodedRow>(p: PreparedTask<R>): PreparedTask {
  return p as unknown as PreparedTask;
}

/** An evaluation set whose per-row predictions are collected batch by batch, then scored at once. */
function evalSet<R, P>(rows: readonly R[], decode: (rows: readonly R[], outputs: Readonly<Record<string, Tensor>>) => P[], score: (predictions: P[]) => Record<string, number>): EvalSet<R> {
  return {
    rows,
    begin() {
      const predictions: P[] = [];
      return {
        add: (batchRows, outputs) => predictions.push(...decode(batchRows, outputs)),
        finish: () => {
          if (predictions.length !== rows.length) throw new Error(`evaluation saw ${predictions.length} of ${rows.length} rows`);
          return score(predictions);
        },
      };
    },
  };
}

type SplitName = 'train' | 'dev' | 'test';
const SPLITS: readonly SplitName[] = ['train', 'dev', 'test'];

function dataError(taskId: string, split: SplitName, index: number, message: string): SsbenchError {
  return new SsbenchError('data', `task "${taskId}": ${split} example ${index}: ${message}`);
}

// ---- classification (text or symbols) ----------------------------------------------------------------------

function prepareClassification(task: ClassificationTask, splits: Splits<ClassificationExample>, tok: TextTokenizer, o: PrepareOptions): PreparedTask<ClassificationRow> {
  const numLabels = task.head.labels.length;
  const input = task.input ?? { kind: 'text' };
  const symbolIds = input.kind === 'symbols' ? symbolTokenIds(o.taskId, input.alphabet, tok.vocabSize, tok.reservedIds, o.symbols) : null;
  const encode = (split: SplitName) =>
    splits[split].map((ex, index): ClassificationRow => {
      if (!Number.isInteger(ex.label) || ex.label < 0 || ex.label >= numLabels) throw dataError(o.taskId, split, index, `label ${ex.label} is not one of the ${numLabels} label ids`);
      if ('symbols' in ex) {
        if (!symbolIds) throw dataError(o.taskId, split, index, 'has symbols, but the task declares text input (task.input.kind is not "symbols")');
        return { ...encodeSymbols(ex.symbols, symbolIds, tok.specialIds, o.maxSeqLen, { task: o.taskId, split, index }), label: ex.label };
      }
      if (symbolIds) throw dataError(o.taskId, split, index, 'has text, but the task declares symbol input');
      return encodeExample(tok, ex, o.maxSeqLen);
    });
  const [train, dev, test] = SPLITS.map(encode);
  const scorer = (rows: ClassificationRow[]) =>
    evalSet(rows, (_r, out) => argmaxRows(out.logits), (predicted: number[]) => task.score(predicted, rows.map((r) => r.label)));
  return {
    head: classificationHead(numLabels),
    train,
    dev: scorer(dev),
    test: scorer(test),
    notes: symbolIds ? { kind: 'classification', input: 'symbols', symbols: { ...o.symbols, alphabetSize: symbolIds.size } } : { kind: 'classification', input: 'text' },
  };
}

// ---- regression --------------------------------------------------------------------------------------------

function prepareRegression(task: RegressionTask, splits: Splits<RegressionExample>, tok: TextTokenizer, o: PrepareOptions): PreparedTask<RegressionRow> {
  const encode = (split: SplitName) =>
    splits[split].map((ex, index) => {
      if (typeof ex.target !== 'number' || !Number.isFinite(ex.target)) throw dataError(o.taskId, split, index, `target ${ex.target} is not a finite number`);
      return encodeRegression(tok, ex, o.maxSeqLen);
    });
  const [train, dev, test] = SPLITS.map(encode);
  const scorer = (rows: RegressionRow[]) =>
    evalSet(rows, (_r, out) => Array.from(out.logits.data as Float32Array), (predicted: number[]) => task.score(predicted, rows.map((r) => r.target)));
  return { head: regressionHead(), train, dev: scorer(dev), test: scorer(test), notes: { kind: 'regression' } };
}

// ---- tagging -----------------------------------------------------------------------------------------------

function prepareTagging(task: TaggingTask, splits: Splits<TaggingExample>, tok: TextTokenizer, o: PrepareOptions): PreparedTask<TaggingRow> {
  const numLabels = task.head.labels.length;
  const encode = (split: SplitName) =>
    splits[split].map((ex, index) => {
      if (ex.tags.length !== ex.words.length) throw dataError(o.taskId, split, index, `${ex.words.length} words but ${ex.tags.length} tags`);
      const bad = ex.tags.findIndex((t) => !Number.isInteger(t) || t < 0 || t >= numLabels);
      if (bad >= 0) throw dataError(o.taskId, split, index, `tag ${ex.tags[bad]} of word ${bad} is not one of the ${numLabels} tag ids`);
      return encodeTagging(tok, ex, o.maxSeqLen);
    });
  const [train, dev, test] = SPLITS.map(encode);
  const fallback = mostFrequentTag(splits.train, numLabels);
  const scorer = (split: 'dev' | 'test', rows: TaggingRow[]) =>
    evalSet(
      rows,
      (batch, out) => tagPredictions(batch, out.logits).map((kept, i) => [...kept, ...new Array<number>(batch[i].truncatedWords).fill(fallback)]),
      (predicted: number[][]) => task.score(predicted, splits[split].map((e) => e.tags)),
    );
  const count = (rows: TaggingRow[], f: (r: TaggingRow) => number) => rows.reduce((a, r) => a + f(r), 0);
  return {
    head: taggingHead(numLabels),
    train,
    dev: scorer('dev', dev),
    test: scorer('test', test),
    notes: {
      kind: 'tagging',
      fallbackTag: task.head.labels[fallback],
      words: { train: count(train, (r) => r.tags.length + r.truncatedWords), dev: count(dev, (r) => r.tags.length + r.truncatedWords), test: count(test, (r) => r.tags.length + r.truncatedWords) },
      truncatedWords: { train: count(train, (r) => r.truncatedWords), dev: count(dev, (r) => r.truncatedWords), test: count(test, (r) => r.truncatedWords) },
    },
  };
}

/** The most frequent tag over the words of `examples` (ties: the lowest id; none: 0). */
export function mostFrequentTag(examples: readonly TaggingExample[], numLabels: number): number {
  const counts = new Array<number>(numLabels).fill(0);
  for (const ex of examples) for (const t of ex.tags) counts[t]++;
  return counts.reduce((best, c, i) => (c > counts[best] ? i : best), 0);
}

// ---- span --------------------------------------------------------------------------------------------------

function prepareSpan(task: SpanTask, splits: Splits<SpanExample>, tok: TextTokenizer, o: PrepareOptions): PreparedTask<SpanRow> {
  const layout = spanLayout(o.maxSeqLen);
  if (layout.windowTokens(layout.maxQuestionTokens) < 1)
    throw new SsbenchError('config', `task "${o.taskId}": maxSeqLen ${o.maxSeqLen} leaves no room for the context after the question; use at least 8`);
  const encode = (split: SplitName) =>
    splits[split].flatMap((ex, index) => {
      for (const [k, a] of ex.answers.entries())
        if (!(Number.isInteger(a.start) && a.start >= 0 && a.start + a.text.length <= ex.context.length))
          throw dataError(o.taskId, split, index, `answer ${k} (start ${a.start}, ${a.text.length} characters) lies outside the context (${ex.context.length} characters)`);
      return encodeSpanExample(tok, ex, index, o.maxSeqLen, split === 'train' ? 'train' : 'eval');
    });
  const [train, dev, test] = SPLITS.map(encode);
  const allowNull = splits.train.some((e) => e.answers.length === 0);
  const maxAnswerTokens = task.head.maxAnswerTokens;
  const scorer = (split: 'dev' | 'test', rows: SpanRow[]) => {
    const examples = splits[split];
    return evalSet(
      rows,
      (batch, out) =>
        windowSpans(batch, out.start_logits, out.end_logits, maxAnswerTokens).map((w, i) => {
          const r = batch[i];
          const text = (s: number, e: number) => examples[r.example].context.slice(r.offsets[s - r.contextFirst][0], r.offsets[e - r.contextFirst][1]).trim();
          return { example: r.example, nullScore: w.nullScore, best: w.best ? { ...w.best, text: text(w.best.start, w.best.end) } : null };
        }),
      (windows) => {
        const byExample = examples.map(() => [] as typeof windows);
        for (const w of windows) byExample[w.example].push(w);
        return task.score(
          byExample.map((ws) => chooseAnswer(ws, allowNull)),
          examples,
        );
      },
    );
  };
  const trainAnswered = splits.train.filter((e) => e.answers.length > 0).length;
  return {
    head: spanHead(),
    train,
    dev: scorer('dev', dev),
    test: scorer('test', test),
    notes: {
      kind: 'span',
      maxQuestionTokens: layout.maxQuestionTokens,
      windows: { dev: dev.length, test: test.length },
      /** Training questions with an answer whose training window could not hold it (target [CLS]). */
      trainAnswersOutsideWindow: trainAnswered - train.filter((r) => r.start > 0).length,
      nullAnswers: allowNull,
    },
  };
}

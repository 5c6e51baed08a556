/**
 * Text -> tensors for the runner: tokenising the pretraining corpus, encoding the examples of each task head kind
 * into rows (one model input each), and dynamically padded batches of rows.
 *
 * - classification / regression: `[CLS] A [SEP] (B [SEP])`, token types 0 then 1, the longer segment truncated first
 *   (BERT's truncate_seq_pair); symbol inputs: `[CLS] ids [SEP]` with each symbol's fixed token id (symbols.ts).
 * - tagging: `[CLS] w1-pieces w2-pieces ... [SEP]`, each word encoded on its own (with a leading space after the
 *   first word, so byte-level BPE sees words as in running text). The pieces are truncated to maxSeqLen as one
 *   sequence; a word is kept when its first piece fits (its label sits there), the rest are counted as truncated.
 * - span: `[CLS] question [SEP] context-window [SEP]` (BERT's SQuAD layout), see `encodeSpanExample`.
 */
import type { Batch, ClassificationExample, RandomSource, RegressionExample, SpanExample, TaggingExample, TokenizedCorpus } from '@ssbench/core';
import { SsbenchError } from '@ssbench/core';
import { tensor } from '@ssbench/graph';
import { charSpanToTokens, slidingWindows } from './span';
import type { TextTokenizer } from './tokenizer';

export function tokenizeCorpus(tok: TextTokenizer, documents: readonly { sentences: readonly string[] }[]): TokenizedCorpus {
  return {
    documents: documents.map((d) => ({
      sentences: d.sentences
        .map((s) => {
          const e = tok.encode(s);
          return { ids: e.ids, wordStarts: e.wordStarts };
        })
        .filter((s) => s.ids.length > 0),
    })),
  };
}

/** One model input: token ids and token types of the same length (unpadded). */
export interface EncodedRow {
  ids: number[];
  types: number[];
}

export interface ClassificationRow extends EncodedRow {
  label: number;
}

/** A classification row (the name the benchmarks use). */
export type EncodedExample = ClassificationRow;

export interface RegressionRow extends EncodedRow {
  target: number;
}

export interface TaggingRow extends EncodedRow {
  /** Position of the first piece of each word kept in the row, in word order (the head predicts there). */
  wordPositions: number[];
  /** Gold tag of each kept word. */
  tags: number[];
  /** Words of the sentence that did not fit in maxSeqLen (they have no position; see downstream.ts). */
  truncatedWords: number;
}

export interface SpanRow extends EncodedRow {
  /** Index of the example in its split (an example has one row per window in evaluation). */
  example: number;
  /** Training targets: the answer's first and last positions; 0 ([CLS]) when it is not inside this window. */
  start: number;
  end: number;
  /** First and last position of the context window (between the two [SEP]s). */
  contextFirst: number;
  contextLast: number;
  /** Character span in the example's context of each position contextFirst..contextLast. */
  offsets: [number, number][];
}

/** `[CLS] A [SEP] (B [SEP])`, truncating the longer segment first (BERT's truncate_seq_pair) to fit `maxLen`. */
export function encodeText(tok: TextTokenizer, text: string, textB: string | undefined, maxLen: number): EncodedRow {
  const sp = tok.specialIds;
  const a = tok.encode(text).ids;
  const b = textB === undefined ? null : tok.encode(textB).ids;
  const budget = maxLen - (b ? 3 : 2);
  const aa = [...a];
  const bb = b ? [...b] : [];
  while (aa.length + bb.length > budget) {
    if (aa.length >= bb.length) aa.pop();
    else bb.pop();
  }
  const ids = [sp.cls, ...aa, sp.sep, ...(b ? [...bb, sp.sep] : [])];
  const types = ids.map((_, i) => (i < aa.length + 2 ? 0 : 1));
  return { ids, types };
}

/** A text classification example (symbol examples go through `encodeSymbols`). */
export function encodeExample(tok: TextTokenizer, ex: ClassificationExample, maxLen: number): ClassificationRow {
  if (!('text' in ex)) throw new Error('encodeExample: a symbol example needs its symbol ids (encodeSymbols)');
  return { ...encodeText(tok, ex.text, ex.textB, maxLen), label: ex.label };
}

export function encodeRegression(tok: TextTokenizer, ex: RegressionExample, maxLen: number): RegressionRow {
  return { ...encodeText(tok, ex.text, ex.textB, maxLen), target: ex.target };
}

/**
 * `[CLS] ids [SEP]` truncated to `maxLen`, each symbol replaced by its token id. A symbol outside the map is a data
 * error naming the task, the split and the example index.
 */
export function encodeSymbols(
  symbols: readonly string[],
  ids: ReadonlyMap<string, number>,
  special: { cls: number; sep: number },
  maxLen: number,
  where: { task: string; split: string; index: number },
): EncodedRow {
  const body: number[] = [];
  for (const [k, s] of symbols.entries()) {
    const id = ids.get(s);
    if (id === undefined)
      throw new SsbenchError(
        'data',
        `task "${where.task}": ${where.split} example ${where.index}: symbol ${JSON.stringify(s)} (position ${k}) is not in the task's alphabet`,
      );
    if (body.length < maxLen - 2) body.push(id);
  }
  const out = [special.cls, ...body, special.sep];
  return { ids: out, types: out.map(() => 0) };
}

/** One tagging sentence as one row (see the file header for the layout and the truncation rule). */
export function encodeTagging(tok: TextTokenizer, ex: TaggingExample, maxLen: number): TaggingRow {
  const sp = tok.specialIds;
  const budget = maxLen - 2;
  const ids = [sp.cls];
  const wordPositions: number[] = [];
  const tags: number[] = [];
  let truncatedWords = 0;
  ex.words.forEach((w, i) => {
    if (ids.length - 1 >= budget) {
      truncatedWords++;
      return;
    }
    const pieces = tok.encode(i > 0 ? ` ${w}` : w).ids;
    wordPositions.push(ids.length);
    tags.push(ex.tags[i]);
    for (const p of pieces.length > 0 ? pieces : [sp.unk]) if (ids.length - 1 < budget) ids.push(p);
  });
  ids.push(sp.sep);
  return { ids, types: ids.map(() => 0), wordPositions, tags, truncatedWords };
}

/** Lengths BERT's SQuAD recipe uses, scaled to short sequences: question and window stride for a maxSeqLen. */
export function spanLayout(maxLen: number): { maxQuestionTokens: number; windowTokens: (questionTokens: number) => number; stride: (window: number) => number } {
  // run_squad.py: max_query_length 64 and doc_stride 128 for max_seq_length 384. Here the question gets at most 64
  // tokens and at most half of the sequence; windows overlap by half.
  return {
    maxQuestionTokens: Math.max(1, Math.min(64, Math.floor((maxLen - 3) / 2))),
    windowTokens: (q) => maxLen - q - 3,
    stride: (window) => Math.max(1, Math.floor(window / 2)),
  };
}

/**
 * One extractive-QA example as rows `[CLS] question [SEP] window [SEP]` (types 0 for the question part, 1 for the
 * window), the question truncated to `spanLayout(maxLen).maxQuestionTokens`, the context cut into sliding windows.
 * For training (`mode: 'train'`) one row: the first window holding the whole (first) gold answer, or the first
 * window with target 0 ([CLS]) when no window does or the question is unanswerable. For evaluation every window.
 */
export function encodeSpanExample(tok: TextTokenizer, ex: SpanExample, index: number, maxLen: number, mode: 'train' | 'eval'): SpanRow[] {
  const sp = tok.specialIds;
  const layout = spanLayout(maxLen);
  const question = tok.encode(ex.question).ids.slice(0, layout.maxQuestionTokens);
  const context = tok.encodeWithOffsets(ex.context);
  const size = layout.windowTokens(question.length);
  const gold = ex.answers[0];
  const answer = gold ? charSpanToTokens(context.offsets, gold.start, gold.start + gold.text.length) : null;
  const rows: SpanRow[] = [];
  for (const [ws, we] of slidingWindows(context.ids.length, size, layout.stride(size))) {
    const head = [sp.cls, ...question, sp.sep];
    const ids = [...head, ...context.ids.slice(ws, we), sp.sep];
    const contextFirst = head.length;
    const inside = answer !== null && answer[0] >= ws && answer[1] < we;
    rows.push({
      ids,
      types: ids.map((_, i) => (i < head.length ? 0 : 1)),
      example: index,
      start: inside ? contextFirst + answer[0] - ws : 0,
      end: inside ? contextFirst + answer[1] - ws : 0,
      contextFirst,
      contextLast: contextFirst + (we - ws) - 1,
      offsets: context.offsets.slice(ws, we),
    });
  }
  if (mode === 'eval') return rows;
  return [rows.find((r) => r.start > 0) ?? rows[0]];
}

/** input_ids, token_type_ids (int32) and attention_mask (float32), each [batch, seq], padded with `pad`. */
export function inputBatch(rows: readonly EncodedRow[], pad: number): Batch {
  const n = rows.length;
  const seq = Math.max(...rows.map((e) => e.ids.length));
  const ids = new Int32Array(n * seq).fill(pad); // [batch, seq]
  const types = new Int32Array(n * seq); // [batch, seq]
  const mask = new Float32Array(n * seq); // [batch, seq]
  rows.forEach((e, r) => {
    ids.set(e.ids, r * seq);
    types.set(e.types, r * seq);
    mask.fill(1, r * seq, r * seq + e.ids.length);
  });
  return {
    input_ids: tensor('int32', [n, seq], ids),
    token_type_ids: tensor('int32', [n, seq], types),
    attention_mask: tensor('float32', [n, seq], mask),
  };
}

/** A padded classification batch: the inputs and labels [batch, 1]. */
export function classificationBatch(examples: readonly ClassificationRow[], pad: number): Batch {
  return { ...inputBatch(examples, pad), labels: tensor('int32', [examples.length, 1], examples.map((e) => e.label)) };
}

/**
 * One epoch of shuffled batches as row indices (the last batch may be smaller), grouped by length to cut padding:
 * the shuffled rows are taken in windows of `bucketBatches` batches, each window sorted by length and cut into
 * batches, and the batch order shuffled again (as Hugging Face's group_by_length and fairseq's length buckets do).
 */
export function epochGroups(rows: readonly EncodedRow[], batchSize: number, rng: RandomSource, bucketBatches = 50): number[][] {
  const order = rows.map((_, i) => i);
  shuffle(order, rng);
  const groups: number[][] = [];
  const window = batchSize * bucketBatches;
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).sort((a, b) => rows[a].ids.length - rows[b].ids.length || a - b);
    for (let s = 0; s < chunk.length; s += batchSize) groups.push(chunk.slice(s, s + batchSize));
  }
  shuffle(groups, rng);
  return groups;
}

/** `epochGroups` as padded classification batches. */
export function epochBatches(examples: readonly ClassificationRow[], batchSize: number, pad: number, rng: RandomSource, bucketBatches = 50): Batch[] {
  return epochGroups(examples, batchSize, rng, bucketBatches).map((g) => classificationBatch(g.map((i) => examples[i]), pad));
}

function shuffle<T>(xs: T[], rng: RandomSource): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}

/** Rows in data order, cut into batches of `batchSize`, for evaluation. */
export function evalGroups<R>(rows: readonly R[], batchSize: number): R[][] {
  const out: R[][] = [];
  for (let s = 0; s < rows.length; s += batchSize) out.push(rows.slice(s, s + batchSize));
  return out;
}

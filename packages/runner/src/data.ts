/**
 * Text -> tensors for the runner: tokenising the pretraining corpus and encoding classification examples
 * into dynamically padded batches (`[CLS] A [SEP] (B [SEP])`, token types 0 then 1).
 */
import type { Batch, ClassificationExample, RandomSource, TokenizedCorpus } from '@ssbench/core';
import { tensor } from '@ssbench/graph';
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

export interface EncodedExample {
  ids: number[];
  types: number[];
  label: number;
}

/** Encodes one example, truncating the longer segment first (BERT's truncate_seq_pair) to fit `maxLen`. */
export function encodeExample(tok: TextTokenizer, ex: ClassificationExample, maxLen: number): EncodedExample {
  const sp = tok.specialIds;
  if (!('text' in ex)) throw new Error('encodeExample: symbol examples need a symbol vocabulary (not supported yet)');
  const a = tok.encode(ex.text).ids;
  const b = ex.textB === undefined ? null : tok.encode(ex.textB).ids;
  const budget = maxLen - (b ? 3 : 2);
  const aa = [...a];
  const bb = b ? [...b] : [];
  while (aa.length + bb.length > budget) {
    if (aa.length >= bb.length) aa.pop();
    else bb.pop();
  }
  const ids = [sp.cls, ...aa, sp.sep, ...(b ? [...bb, sp.sep] : [])];
  const types = ids.map((_, i) => (i < aa.length + 2 ? 0 : 1));
  return { ids, types, label: ex.label };
}

/** A padded batch: input_ids, token_type_ids, attention_mask [batch, seq] and labels [batch, 1]. */
export function classificationBatch(examples: readonly EncodedExample[], pad: number): Batch {
  const n = examples.length;
  const seq = Math.max(...examples.map((e) => e.ids.length));
  const ids = new Int32Array(n * seq).fill(pad);
  const types = new Int32Array(n * seq);
  const mask = new Float32Array(n * seq);
  const labels = new Int32Array(n);
  examples.forEach((e, r) => {
    ids.set(e.ids, r * seq);
    types.set(e.types, r * seq);
    mask.fill(1, r * seq, r * seq + e.ids.length);
    labels[r] = e.label;
  });
  return {
    input_ids: tensor('int32', [n, seq], ids),
    token_type_ids: tensor('int32', [n, seq], types),
    attention_mask: tensor('float32', [n, seq], mask),
    labels: tensor('int32', [n, 1], labels),
  };
}

/**
 * One epoch of shuffled batches (the last one may be smaller), grouped by length to cut padding: the shuffled
 * examples are taken in windows of `bucketBatches` batches, each window sorted by length and cut into batches,
 * and the batch order shuffled again (as Hugging Face's group_by_length and fairseq's length buckets do).
 */
export function epochBatches(examples: readonly EncodedExample[], batchSize: number, pad: number, rng: RandomSource, bucketBatches = 50): Batch[] {
  const order = examples.map((_, i) => i);
  shuffle(order, rng);
  const groups: number[][] = [];
  const window = batchSize * bucketBatches;
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).sort((a, b) => examples[a].ids.length - examples[b].ids.length || a - b);
    for (let s = 0; s < chunk.length; s += batchSize) groups.push(chunk.slice(s, s + batchSize));
  }
  shuffle(groups, rng);
  return groups.map((g) => classificationBatch(g.map((i) => examples[i]), pad));
}

function shuffle<T>(xs: T[], rng: RandomSource): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}

/** Batches in data order, for evaluation. */
export function evalBatches(examples: readonly EncodedExample[], batchSize: number, pad: number): Batch[] {
  const out: Batch[] = [];
  for (let s = 0; s < examples.length; s += batchSize) out.push(classificationBatch(examples.slice(s, s + batchSize), pad));
  return out;
}

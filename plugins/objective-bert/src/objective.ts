/**
 * The BERT pretraining objective as an ssbench plugin: masked LM (static or dynamic masking, optional whole-word
 * masking, configurable 80/10/10 split) plus an optional sentence-pair task: next-sentence prediction (BERT) or
 * sentence-order prediction (ALBERT: Lan et al. 2020, both segments consecutive, swapped with p = 0.5).
 *
 * References: Devlin et al. 2019 (BERT), google-research/bert `run_pretraining.py` (the MLM loss gathers the
 * masked positions before the vocabulary projection and averages over real predictions; NSP is a 2-way
 * softmax on the pooled output; total loss = MLM + NSP); Liu et al. 2019 (RoBERTa: dynamic masking, and
 * FULL-SENTENCES inputs when NSP is off).
 */
import type { Batch, ModelInstance, ObjectiveContext, ObjectiveInstance, ObjectivePlugin, RandomSource, TokenizedCorpus } from '@ssbench/core';
import { type GraphBuilder, softmaxCrossEntropy, tensor, accuracyOf } from '@ssbench/graph';
import { maskDynamic, maskStatic } from './masking';
import { makeSentencePairs } from './pairs';

export interface BertObjectiveOptions {
  mlm: {
    probability: number;
    masking: 'static' | 'dynamic';
    maxPredictions: number;
    maskTokenRate: number;
    randomTokenRate: number;
    wholeWord: boolean;
  };
  sentencePair: 'nsp' | 'sop' | 'none';
  shortSeqProb: number;
}

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mlm: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        probability: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.15, description: 'fraction of tokens to predict' },
        masking: {
          enum: ['static', 'dynamic'],
          default: 'static',
          description: 'static: exactly round(n * probability) positions per sequence (original BERT); dynamic: Bernoulli per token (RoBERTa)',
        },
        maxPredictions: { type: 'integer', minimum: 1, default: 20, description: 'max_predictions_per_seq (static masking)' },
        maskTokenRate: { type: 'number', minimum: 0, maximum: 1, default: 0.8, description: 'of the chosen positions, fraction replaced by [MASK]' },
        randomTokenRate: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'of the chosen positions, fraction replaced by a random token' },
        wholeWord: { type: 'boolean', default: false, description: 'mask all WordPiece pieces of a word together' },
      },
    },
    sentencePair: {
      enum: ['nsp', 'sop', 'none'],
      default: 'nsp',
      description:
        'sentence-pair task on [CLS] A [SEP] B [SEP]: nsp = is B the next text or from another document (BERT); sop = are A and B in order or swapped (ALBERT); none = single segments (RoBERTa FULL-SENTENCES)',
    },
    shortSeqProb: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'probability of a shorter target length (BERT: 0.1)' },
  },
} as const;

interface Example {
  ids: number[];
  types: number[];
  wordStarts: boolean[];
  /** 1 = B is random (NSP) or the segments are swapped (SOP). */
  pairLabel: number;
}

/**
 * Splits sentences longer than `maxLen` tokens into pieces at word starts. BERT's pair maker labels every chunk
 * of one segment "random next"; with short sequences and long sentences (the State of the Union's average
 * sentence is ~30 pieces) most chunks would be one sentence and the NSP labels ~90% "random". Pieces of at most
 * half the pair budget keep the labels balanced while is-next pairs remain consecutive text.
 */
export function splitLongSentences(doc: TokenizedCorpus['documents'][number], maxLen: number): TokenizedCorpus['documents'][number] {
  const sentences: { ids: number[]; wordStarts: boolean[] }[] = [];
  for (const s of doc.sentences) {
    let start = 0;
    while (s.ids.length - start > maxLen) {
      // Cut at the last word start within the budget (or hard at the budget if one word is longer).
      let cut = start + maxLen;
      while (cut > start + 1 && !s.wordStarts[cut]) cut--;
      if (cut === start + 1) cut = start + maxLen;
      sentences.push({ ids: s.ids.slice(start, cut), wordStarts: s.wordStarts.slice(start, cut) });
      start = cut;
    }
    sentences.push({ ids: s.ids.slice(start), wordStarts: s.wordStarts.slice(start) });
  }
  return { sentences };
}

/** SOP's negative: `[CLS] B [SEP] A [SEP]` from `[CLS] A [SEP] B [SEP]` (token types follow the new order). */
export function swapSegments(e: { inputIds: number[]; tokenTypeIds: number[]; wordStarts: boolean[] }, cls: number, sep: number): Example {
  const firstSep = e.tokenTypeIds.indexOf(1) - 1; // index of the [SEP] that ends A
  const a = { ids: e.inputIds.slice(1, firstSep), ws: e.wordStarts.slice(1, firstSep) };
  const b = { ids: e.inputIds.slice(firstSep + 1, -1), ws: e.wordStarts.slice(firstSep + 1, -1) };
  const ids = [cls, ...b.ids, sep, ...a.ids, sep];
  return {
    ids,
    types: ids.map((_, i) => (i <= b.ids.length + 1 ? 0 : 1)),
    wordStarts: [true, ...b.ws, true, ...a.ws, true],
    pairLabel: 1,
  };
}

/** RoBERTa FULL-SENTENCES: pack consecutive sentences of one document into `[CLS] ... [SEP]` up to maxLen. */
function contiguousExamples(doc: TokenizedCorpus['documents'][number], maxLen: number, cls: number, sep: number): Example[] {
  const out: Example[] = [];
  let ids: number[] = [];
  let starts: boolean[] = [];
  const flush = () => {
    if (ids.length === 0) return;
    out.push({ ids: [cls, ...ids, sep], types: new Array(ids.length + 2).fill(0), wordStarts: [true, ...starts, true], pairLabel: 0 });
    ids = [];
    starts = [];
  };
  for (const s of doc.sentences) {
    for (let i = 0; i < s.ids.length; i++) {
      if (ids.length === maxLen - 2) flush();
      ids.push(s.ids[i]);
      starts.push(s.wordStarts[i]);
    }
  }
  flush();
  return out;
}

class BertObjective implements ObjectiveInstance {
  constructor(
    private readonly options: BertObjectiveOptions,
    private readonly ctx: ObjectiveContext,
  ) {}

  buildLoss(b: GraphBuilder, model: ModelInstance) {
    if (model.architecture !== 'encoder') throw new Error(`the BERT objective trains encoder models, not ${model.architecture} models`);
    const training = { training: true };
    const inputs = {
      inputIds: b.input('input_ids', 'int32', ['batch', 'seq']),
      tokenTypeIds: b.input('token_type_ids', 'int32', ['batch', 'seq']),
      attentionMask: b.input('attention_mask', 'float32', ['batch', 'seq']),
    };
    // Flat indices (row * seq + position) of the masked tokens of the whole batch, and their original ids.
    const positions = b.input('mlm_positions', 'int32', ['predictions']);
    const labels = b.input('mlm_labels', 'int32', ['predictions', 1]);
    const out = model.forward(b, inputs, training);
    const flat = b.reshape(out.sequence, [-1, model.hidden]); // [batch*seq, hidden]
    const picked = b.gather(flat, positions, 0); // [predictions, hidden]
    const logits = model.mlmLogits(b, picked, training); // [predictions, vocab]
    const mlmLoss = softmaxCrossEntropy(b, logits, labels);
    const metrics: Record<string, ReturnType<GraphBuilder['add']>> = { mlm_loss: mlmLoss, mlm_accuracy: accuracyOf(b, logits, labels) };
    const kind = this.options.sentencePair;
    if (kind === 'none') return { loss: mlmLoss, metrics };
    const pairLabels = b.input('pair_labels', 'int32', ['batch', 1]);
    const pairLogits = model.pairLogits(b, out.pooled); // [batch, 2]
    const pairLoss = softmaxCrossEntropy(b, pairLogits, pairLabels);
    metrics[`${kind}_loss`] = pairLoss;
    metrics[`${kind}_accuracy`] = accuracyOf(b, pairLogits, pairLabels);
    return { loss: b.add(mlmLoss, pairLoss), metrics };
  }

  *batches(corpus: TokenizedCorpus, batchSize: number, rng: RandomSource): Iterator<Batch> {
    const { seqLen, specialIds: sp, vocabSize } = this.ctx;
    const segmentLen = Math.max(1, Math.floor((seqLen - 3) / 2));
    const docs = corpus.documents.filter((d) => d.sentences.length > 0).map((d) => (this.options.sentencePair !== 'none' ? splitLongSentences(d, segmentLen) : d));
    if (docs.length === 0) throw new Error('the pretraining corpus has no text');
    if (this.options.sentencePair === 'nsp' && docs.length < 2) throw new Error('next-sentence prediction needs at least 2 documents');
    // google-research/bert never masks [CLS]/[SEP]; [PAD] and [MASK] are excluded too ([UNK] may be masked, as upstream).
    const specials = [sp.pad, sp.cls, sp.sep, sp.mask];
    for (;;) {
      // One pass over the corpus in a fresh random order yields fresh instances (BERT's dupe_factor, streamed).
      const examples: Example[] = [];
      if (this.options.sentencePair === 'nsp') {
        for (const e of makeSentencePairs(docs, { maxSeqLen: seqLen, shortSeqProb: this.options.shortSeqProb, nspProb: 0.5, rng, specialIds: sp }))
          examples.push({ ids: e.inputIds, types: e.tokenTypeIds, wordStarts: e.wordStarts, pairLabel: e.nspLabel });
      } else if (this.options.sentencePair === 'sop') {
        // Consecutive A, B only (a one-segment chunk gets a random B from BERT's pair maker: not an SOP example).
        for (const e of makeSentencePairs(docs, { maxSeqLen: seqLen, shortSeqProb: this.options.shortSeqProb, nspProb: 0, rng, specialIds: sp }))
          if (e.nspLabel === 0) examples.push(rng.next() < 0.5 ? swapSegments(e, sp.cls, sp.sep) : { ids: e.inputIds, types: e.tokenTypeIds, wordStarts: e.wordStarts, pairLabel: 0 });
      } else for (const d of docs) examples.push(...contiguousExamples(d, seqLen, sp.cls, sp.sep));
      for (let i = examples.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [examples[i], examples[j]] = [examples[j], examples[i]];
      }
      for (let s = 0; s + batchSize <= examples.length; s += batchSize) yield this.batch(examples.slice(s, s + batchSize), specials, vocabSize, rng);
    }
  }

  private batch(examples: Example[], specials: number[], vocabSize: number, rng: RandomSource): Batch {
    const sp = this.ctx.specialIds;
    const m = this.options.mlm;
    const n = examples.length;
    const seq = Math.max(...examples.map((e) => e.ids.length));
    const ids = new Int32Array(n * seq).fill(sp.pad);
    const types = new Int32Array(n * seq);
    const mask = new Float32Array(n * seq);
    const positions: number[] = [];
    const labels: number[] = [];
    examples.forEach((e, r) => {
      const common = {
        maskProb: m.probability,
        maskTokenRate: m.maskTokenRate,
        randomTokenRate: m.randomTokenRate,
        specialIds: specials,
        maskId: sp.mask,
        vocabSize,
        rng,
        ...(m.wholeWord ? { wholeWord: true as const, wordStarts: e.wordStarts } : {}),
      };
      let masked = m.masking === 'static' ? maskStatic(e.ids, { ...common, maxPredictions: m.maxPredictions }) : maskDynamic(e.ids, common);
      // A sequence with no prediction contributes nothing; the batch needs at least one (dynamic masking, short rows).
      if (r === n - 1 && positions.length === 0 && masked.positions.length === 0) masked = maskStatic(e.ids, { ...common, maxPredictions: 1 });
      ids.set(masked.inputIds, r * seq);
      types.set(e.types, r * seq);
      mask.fill(1, r * seq, r * seq + e.ids.length);
      for (let k = 0; k < masked.positions.length; k++) {
        positions.push(r * seq + masked.positions[k]);
        labels.push(masked.labels[k]);
      }
    });
    const batch: Batch = {
      input_ids: tensor('int32', [n, seq], ids),
      token_type_ids: tensor('int32', [n, seq], types),
      attention_mask: tensor('float32', [n, seq], mask),
      mlm_positions: tensor('int32', [positions.length], Int32Array.from(positions)),
      mlm_labels: tensor('int32', [labels.length, 1], Int32Array.from(labels)),
    };
    if (this.options.sentencePair !== 'none') batch.pair_labels = tensor('int32', [n, 1], Int32Array.from(examples.map((e) => e.pairLabel)));
    return batch;
  }
}

export const bertObjective: ObjectivePlugin<BertObjectiveOptions> = {
  kind: 'objective',
  name: '@ssbench/objective-bert',
  version: '0.1.0',
  description: 'BERT masked LM (static/dynamic, whole-word) with next-sentence (BERT) or sentence-order (ALBERT) prediction',
  requires: ['encoder'],
  optionsSchema: optionsSchema as unknown as Record<string, unknown>,
  create: (options, ctx) => {
    const m = options.mlm;
    if (m.maskTokenRate + m.randomTokenRate > 1)
      throw new Error(`mlm.maskTokenRate + mlm.randomTokenRate must be at most 1 (got ${m.maskTokenRate} + ${m.randomTokenRate})`);
    return new BertObjective(options, ctx);
  },
};

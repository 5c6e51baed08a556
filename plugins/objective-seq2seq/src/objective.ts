/**
 * The seq2seq denoising objective as an ssbench plugin: corrupt a span of a document (any composition of the BART
 * noises, or MASS), encode the corrupted source, and train the decoder, teacher-forced, to produce the original.
 *
 * References:
 *  - Lewis et al. 2020 (BART), sections 2.2 and 5.1; fairseq `fairseq/data/denoising_dataset.py`
 *    (`DenoisingDataset.__getitem__`: source = noised tokens, target = the uncorrupted tokens `[BOS ... EOS]`,
 *    `prev_output_tokens` = the target shifted right starting with EOS; `collate` pads right) and
 *    `fairseq/criterions/cross_entropy.py` (token cross-entropy summed over non-padding target tokens, divided by
 *    their number).
 *  - Hugging Face `modeling_bart.shift_tokens_right` (decoder_start_token_id = EOS for BART).
 *  - Song et al. 2019 (MASS): the decoder input and target are MASS's own (see mass.ts); the loss covers the
 *    fragment's tokens only.
 *
 * Layout of one batch (graph inputs, right-padded with [PAD]):
 *  - `input_ids` / `attention_mask` [batch, src]: the corrupted source `[BOS ... EOS]`.
 *  - `decoder_input_ids` / `decoder_attention_mask` [batch, tgt]: `[EOS, target[0..n-2]]` (MASS: its decoder input).
 *  - `lm_positions` [predictions] int32: flat indices `row * tgt + position` of the decoder positions that predict a
 *    real target token (every target token; MASS: the fragment's), `lm_labels` [predictions, 1] int32: those tokens.
 * The loss gathers the decoder states at `lm_positions` before the vocabulary projection (as the BERT objective does
 * for MLM) and is the mean cross-entropy over those real target tokens: padding never counts.
 *
 * BOS is the tokenizer's [CLS] id and EOS its [SEP] id; random replacement and insertion tokens are drawn from the
 * ids above the largest special id (the tokenizers put their specials first).
 *
 * Lengths: an example is a run of consecutive sentences of one document (a sentence longer than the budget is split
 * at word starts) with at most `seqLen - 2` tokens, plus BOS and EOS. When the noises include token insertion, the
 * budget shrinks so that the source after every insertion still fits in `seqLen`. Zero-length Poisson spans (text
 * infilling, span masking) insert a <mask> each and can still make a source longer than `seqLen` in rare cases;
 * such a source is cut to `seqLen` tokens, keeping its EOS (the target is unchanged).
 */
import type { Batch, ModelInstance, ObjectiveContext, ObjectiveInstance, ObjectivePlugin, RandomSource, TokenizedCorpus } from '@ssbench/core';
import { type GraphBuilder, type Value, accuracyOf, softmaxCrossEntropy, tensor } from '@ssbench/graph';
import pkg from '../package.json' with { type: 'json' };
import { compose, type NoiseSpec } from './compose';
import { ceilCount } from './denoising';
import { composeSchema, type NoiseContext, resolveNoiseOptions } from './options';

export interface Seq2SeqObjectiveOptions {
  /** Noises applied in the order given (massMasking, if used, last). */
  noises: NoiseSpec[];
}

/** The BART-large recipe (Lewis et al. 2020, 5.1): sentence permutation, then text infilling (p 0.3, lambda 3.5). */
export const DEFAULT_NOISES: readonly NoiseSpec[] = Object.freeze([{ kind: 'sentencePermutation' }, { kind: 'textInfilling' }]);

/** The options schema: `noises` is a compose list (each item's options checked against its kind's schema). */
export function seq2seqObjectiveSchema(): Record<string, unknown> {
  const { $schema: _drop, ...list } = composeSchema();
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Seq2seq denoising objective options',
    type: 'object',
    additionalProperties: false,
    properties: {
      noises: {
        ...list,
        minItems: 1,
        default: DEFAULT_NOISES.map((n) => ({ ...n })),
        description:
          'corruptions applied in the order given, each { kind, options }: sentencePermutation, wholeWordMask, tokenMasking, textInfilling, tokenDeletion, tokenInsertion, documentRotation, massMasking (last). Default: the BART-large recipe (sentencePermutation, then textInfilling)',
      },
    },
  };
}

function fail(message: string): never {
  throw new Error(`@ssbench/objective-seq2seq: ${message}`);
}

/** One uncorrupted example: `[BOS ... EOS]` with word starts (per token) and sentence ends (exclusive). */
export interface Seq2SeqExample {
  tokens: number[];
  wordStarts: boolean[];
  sentenceEnds: number[];
}

type Doc = TokenizedCorpus['documents'][number];

/** Splits a sentence longer than `maxLen` into pieces of at most maxLen tokens, cut at word starts where possible. */
function splitSentence(s: Doc['sentences'][number], maxLen: number): Doc['sentences'] {
  const out: Doc['sentences'] = [];
  let start = 0;
  while (s.ids.length - start > maxLen) {
    let cut = start + maxLen;
    while (cut > start + 1 && !s.wordStarts[cut]) cut--;
    if (cut === start + 1 && !s.wordStarts[cut]) cut = start + maxLen; // one word longer than the budget: cut hard
    out.push({ ids: s.ids.slice(start, cut), wordStarts: s.wordStarts.slice(start, cut) });
    start = cut;
  }
  out.push({ ids: s.ids.slice(start), wordStarts: s.wordStarts.slice(start) });
  return out;
}

/**
 * Packs a document's consecutive sentences into examples of at most `budget` tokens between BOS and EOS (long
 * sentences split first); every example keeps its sentence boundaries for sentence permutation.
 */
export function documentExamples(doc: Doc, budget: number, bos: number, eos: number): Seq2SeqExample[] {
  if (!Number.isInteger(budget) || budget < 1) fail(`the example budget must be a positive integer, got ${budget}`);
  const out: Seq2SeqExample[] = [];
  let ids: number[] = [];
  let starts: boolean[] = [];
  let ends: number[] = [];
  const flush = () => {
    if (ids.length === 0) return;
    out.push({ tokens: [bos, ...ids, eos], wordStarts: [false, ...starts, false], sentenceEnds: ends });
    ids = [];
    starts = [];
    ends = [];
  };
  for (const sentence of doc.sentences) {
    if (sentence.ids.length !== sentence.wordStarts.length)
      fail(`a sentence has ${sentence.ids.length} ids but ${sentence.wordStarts.length} word-start flags`);
    for (const piece of splitSentence(sentence, budget)) {
      if (piece.ids.length === 0) continue;
      if (ids.length + piece.ids.length > budget) flush();
      ids.push(...piece.ids);
      starts.push(...piece.wordStarts);
      ends.push(1 + ids.length); // exclusive end in [BOS ... EOS] coordinates
    }
  }
  flush();
  return out;
}

/**
 * The most tokens between BOS and EOS such that the source, after every token insertion in `noises` (ceil(len * p)
 * new tokens each, len counting BOS and EOS), is at most `seqLen` long; 0 when not even one fits.
 */
export function contentBudget(seqLen: number, noises: readonly NoiseSpec[]): number {
  const grown = (len: number) => {
    let n = len;
    for (const spec of noises) if (spec.kind === 'tokenInsertion') n += ceilCount(n, resolveNoiseOptions('tokenInsertion', spec.options).p);
    return n;
  };
  let c = seqLen - 2;
  while (c > 0 && grown(c + 2) > seqLen) c--;
  return Math.max(c, 0);
}

/** One corrupted example, ready to batch. */
export interface Seq2SeqInstance {
  source: number[];
  decoderInput: number[];
  /** Decoder positions that predict a target token, and those tokens. */
  positions: number[];
  labels: number[];
}

class Seq2SeqObjective implements ObjectiveInstance {
  private readonly noiseCtx: NoiseContext;
  private readonly budget: number;

  constructor(
    private readonly noises: readonly NoiseSpec[],
    private readonly ctx: ObjectiveContext,
  ) {
    const sp = ctx.specialIds;
    const low = Math.max(sp.pad, sp.unk, sp.cls, sp.sep, sp.mask) + 1;
    if (low >= ctx.vocabSize) fail(`no ordinary token id above the special ids (largest ${low - 1}) in a vocabulary of ${ctx.vocabSize}`);
    this.noiseCtx = { bosId: sp.cls, eosId: sp.sep, maskId: sp.mask, randomTokens: { low, high: ctx.vocabSize } };
    this.budget = contentBudget(ctx.seqLen, noises);
    if (this.budget < 1)
      fail(`seqLen ${ctx.seqLen} leaves no room for a token between BOS and EOS after the token insertions of the noises`);
  }

  buildLoss(b: GraphBuilder, model: ModelInstance): { loss: Value; metrics: Record<string, Value> } {
    if (model.architecture !== 'encoder-decoder')
      fail(`the seq2seq objective trains encoder-decoder models (encode, decode, lmLogits), not ${model.architecture} models: pick an encoder-decoder model such as @ssbench/model-seq2seq`);
    const training = { training: true };
    const inputIds = b.input('input_ids', 'int32', ['batch', 'src']);
    const attentionMask = b.input('attention_mask', 'float32', ['batch', 'src']);
    const decoderInputIds = b.input('decoder_input_ids', 'int32', ['batch', 'tgt']);
    const decoderAttentionMask = b.input('decoder_attention_mask', 'float32', ['batch', 'tgt']);
    // Flat indices (row * tgt + position) of the decoder positions with a real target token, and those tokens.
    const positions = b.input('lm_positions', 'int32', ['predictions']);
    const labels = b.input('lm_labels', 'int32', ['predictions', 1]);
    const { memory } = model.encode(b, { inputIds, attentionMask }, training);
    const { sequence } = model.decode(b, { decoderInputIds, decoderAttentionMask, memory, memoryMask: attentionMask }, training);
    const flat = b.reshape(sequence, [-1, model.hidden]); // [batch, tgt, H] -> [batch*tgt, H]
    const picked = b.gather(flat, positions, 0); // [predictions, H]
    const logits = model.lmLogits(b, picked, training); // [predictions, V]
    const loss = softmaxCrossEntropy(b, logits, labels); // mean over the real target tokens
    return { loss, metrics: { lm_loss: loss, lm_accuracy: accuracyOf(b, logits, labels) } };
  }

  /** Corrupts one example (draws from `rng`) and lays out its decoder input and labels. */
  instance(e: Seq2SeqExample, rng: RandomSource): Seq2SeqInstance {
    const { seqLen } = this.ctx;
    const r = compose(this.noises, e.tokens, { ...this.noiseCtx, wordStarts: e.wordStarts, sentenceEnds: e.sentenceEnds }, rng);
    let source = r.source;
    if (source.length > seqLen) source = [...source.slice(0, seqLen - 1), this.noiseCtx.eosId];
    if (r.decoderInput !== undefined) {
      // MASS: the decoder input is aligned with its own input; the fragment's positions predict the fragment. (Cut
      // like the source when an earlier noise made it longer than seqLen: fragment positions past the cut are dropped.)
      const step = r.steps[r.steps.length - 1];
      if (step.kind !== 'massMasking') fail('internal: a MASS decoder input without a MASS step');
      const { fragmentStart } = step.result;
      const positions: number[] = [];
      const labels: number[] = [];
      r.target.forEach((t, j) => {
        if (fragmentStart + j < seqLen) {
          positions.push(fragmentStart + j);
          labels.push(t);
        }
      });
      return { source, decoderInput: r.decoderInput.slice(0, seqLen), positions, labels };
    }
    // BART: decoder input = target shifted right, starting with EOS; every target position predicts its token.
    const target = r.target;
    return { source, decoderInput: [this.noiseCtx.eosId, ...target.slice(0, -1)], positions: target.map((_, i) => i), labels: target };
  }

  *batches(corpus: TokenizedCorpus, batchSize: number, rng: RandomSource): Iterator<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) fail(`batchSize must be a positive integer, got ${batchSize}`);
    const { cls, sep } = this.ctx.specialIds;
    const examples = corpus.documents.flatMap((d) => documentExamples(d, this.budget, cls, sep));
    if (examples.length === 0) fail('the pretraining corpus has no text');
    // An endless stream: each pass visits every example once in a fresh random order with fresh noise (fairseq
    // draws the noise per epoch); batches run on across passes, so a corpus smaller than a batch still works.
    const order = examples.map((_, i) => i);
    let pending: Seq2SeqInstance[] = [];
    for (;;) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const k of order) {
        pending.push(this.instance(examples[k], rng));
        if (pending.length === batchSize) {
          yield this.batch(pending);
          pending = [];
        }
      }
    }
  }

  /** Pads instances into one batch (see the file header for the layout). */
  batch(instances: readonly Seq2SeqInstance[]): Batch {
    const pad = this.ctx.specialIds.pad;
    const n = instances.length;
    const src = Math.max(...instances.map((x) => x.source.length));
    const tgt = Math.max(...instances.map((x) => x.decoderInput.length));
    const ids = new Int32Array(n * src).fill(pad);
    const mask = new Float32Array(n * src);
    const dec = new Int32Array(n * tgt).fill(pad);
    const decMask = new Float32Array(n * tgt);
    const positions: number[] = [];
    const labels: number[] = [];
    instances.forEach((x, r) => {
      ids.set(x.source, r * src);
      mask.fill(1, r * src, r * src + x.source.length);
      dec.set(x.decoderInput, r * tgt);
      decMask.fill(1, r * tgt, r * tgt + x.decoderInput.length);
      x.positions.forEach((p, k) => {
        positions.push(r * tgt + p);
        labels.push(x.labels[k]);
      });
    });
    return {
      input_ids: tensor('int32', [n, src], ids),
      attention_mask: tensor('float32', [n, src], mask),
      decoder_input_ids: tensor('int32', [n, tgt], dec),
      decoder_attention_mask: tensor('float32', [n, tgt], decMask),
      lm_positions: tensor('int32', [positions.length], Int32Array.from(positions)),
      lm_labels: tensor('int32', [labels.length, 1], Int32Array.from(labels)),
    };
  }
}

/**
 * Checks a noise list beyond what the JSON Schema states (the schema already rejects unknown kinds, unknown options
 * and out-of-range values): each noise's options resolve (MASS's rates sum to at most 1, tokenInsertion has its
 * rate), and massMasking, if present, is last. Messages name the entry, e.g. `noises[1]: ...`.
 */
export function checkNoises(noises: unknown): NoiseSpec[] {
  if (!Array.isArray(noises) || noises.length === 0) fail(`option "noises" must be a non-empty array of { kind, options }, got ${JSON.stringify(noises)}`);
  noises.forEach((spec, i) => {
    const kind = (spec as { kind?: unknown } | null)?.kind;
    try {
      resolveNoiseOptions(kind as NoiseSpec['kind'], (spec as { options?: unknown }).options);
    } catch (e) {
      fail(`option "noises[${i}]": ${(e as Error).message}`);
    }
    if (kind === 'massMasking' && i !== noises.length - 1)
      fail(`option "noises[${i}]" is massMasking but not the last noise: MASS defines its own decoder input and target, so it must come last`);
  });
  return noises as NoiseSpec[];
}

export const seq2seqObjective: ObjectivePlugin<Partial<Seq2SeqObjectiveOptions>> = {
  kind: 'objective',
  name: '@ssbench/objective-seq2seq',
  version: pkg.version,
  description:
    'Seq2seq denoising (BART: token masking, text infilling, token deletion, sentence permutation, document rotation, token insertion; MASS fragment masking), teacher-forced token cross-entropy',
  requires: ['encoder-decoder'],
  optionsSchema: seq2seqObjectiveSchema(),
  create: (options, ctx) => new Seq2SeqObjective(checkNoises(options.noises ?? DEFAULT_NOISES.map((n) => ({ ...n }))), ctx),
};

/** The objective instance with its helpers (`instance`, `batch`) visible, for tests and tools. */
export function createSeq2SeqObjective(options: Partial<Seq2SeqObjectiveOptions>, ctx: ObjectiveContext): ObjectiveInstance & {
  instance(e: Seq2SeqExample, rng: RandomSource): Seq2SeqInstance;
  batch(instances: readonly Seq2SeqInstance[]): Batch;
} {
  return seq2seqObjective.create(options, ctx) as Seq2SeqObjective;
}

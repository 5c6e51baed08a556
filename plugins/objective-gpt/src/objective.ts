/**
 * The GPT pretraining objective as an ssbench plugin: next-token prediction (causal language modelling) over every
 * position of contiguous blocks of the tokenised corpus.
 *
 * References: Radford et al. 2018 ("Improving Language Understanding by Generative Pre-Training", section 3.1: L1 =
 * sum_i log P(u_i | u_{i-k}, ..., u_{i-1})) and 2019 (GPT-2: documents joined with <|endoftext|>); openai/gpt-2
 * `src/model.py` and Hugging Face `GPT2LMHeadModel.forward` (logits at positions 0..n-2 against the tokens 1..n-1,
 * mean cross-entropy); Hugging Face `run_clm.py` `group_texts` (concatenate the tokenised texts and cut them into
 * blocks of block_size, dropping the remainder); nanoGPT `train.py` (random windows of the token stream).
 *
 * Batches: each document is its sentences' ids concatenated, followed by the end-of-text id (`specialIds.sep`).
 * - packing "stream" (default, GPT-2 / run_clm): the documents form one token stream, cut into blocks of exactly
 *   seqLen tokens from a seeded random offset in [0, seqLen) each pass (so passes see different cuts); blocks cross
 *   document boundaries, and the end-of-text token tells the model where one ends.
 * - packing "documents": every block lies inside one document (its last block may be shorter and is right-padded
 *   with `specialIds.pad`, attention_mask 0); no prediction crosses a document boundary.
 * The blocks of a pass are shuffled with the seeded RNG; a pass yields floor(blocks / batchSize) batches.
 *
 * Graph inputs: `input_ids`, `token_type_ids` (zeros), `attention_mask` [batch, seq]; `lm_positions` [predictions]
 * (flat indices row * seq + i of every position whose next token is real) and `lm_labels` [predictions, 1] (the
 * next tokens). The loss gathers the predicting positions' hidden states before the vocabulary projection (as
 * objective-bert's MLM head), so padding never counts and no [batch*seq, vocab] logits of padding are computed.
 */
import type { Batch, ModelInstance, ObjectiveContext, ObjectiveInstance, ObjectivePlugin, RandomSource, TokenizedCorpus } from '@ssbench/core';
import { type GraphBuilder, type Value, accuracyOf, softmaxCrossEntropy, tensor } from '@ssbench/graph';
import pkg from '../package.json' with { type: 'json' };

export type GptPacking = 'stream' | 'documents';

export interface GptObjectiveOptions {
  packing: GptPacking;
}

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    packing: {
      enum: ['stream', 'documents'],
      default: 'stream',
      description:
        'stream: the end-of-text-separated documents as one token stream cut into full blocks of seqLen (GPT-2, run_clm); documents: blocks never cross a document boundary (short last blocks are padded).',
    },
  },
} as const;

function fail(message: string): never {
  throw new Error(`@ssbench/objective-gpt: ${message}`);
}

/** Each document's tokens: its sentences' ids concatenated, then `endOfText`. Empty documents are dropped. */
export function documentTokens(corpus: TokenizedCorpus, endOfText: number): number[][] {
  const docs: number[][] = [];
  for (const d of corpus.documents) {
    const ids: number[] = [];
    for (const s of d.sentences) for (const id of s.ids) ids.push(id);
    if (ids.length > 0) docs.push([...ids, endOfText]);
  }
  return docs;
}

/**
 * Blocks of at most `seqLen` tokens. "stream": the concatenation of `docs` from `offset`, cut into full blocks (the
 * remainder is dropped). "documents": each document cut into blocks; a last block shorter than 2 tokens (nothing to
 * predict) is dropped.
 */
export function packBlocks(docs: readonly number[][], seqLen: number, packing: GptPacking, offset = 0): number[][] {
  if (!Number.isInteger(seqLen) || seqLen < 2) fail(`seqLen must be an integer >= 2, got ${seqLen}`);
  const blocks: number[][] = [];
  if (packing === 'stream') {
    const stream = docs.flat();
    for (let s = offset; s + seqLen <= stream.length; s += seqLen) blocks.push(stream.slice(s, s + seqLen));
    return blocks;
  }
  for (const d of docs) for (let s = 0; s < d.length; s += seqLen) if (d.length - s >= 2) blocks.push(d.slice(s, s + seqLen));
  return blocks;
}

class GptObjective implements ObjectiveInstance {
  constructor(
    private readonly options: GptObjectiveOptions,
    private readonly ctx: ObjectiveContext,
  ) {}

  buildLoss(b: GraphBuilder, model: ModelInstance): { loss: Value; metrics: Record<string, Value> } {
    if (model.architecture !== 'decoder') fail(`next-token prediction trains decoder models, not ${model.architecture} models`);
    const training = { training: true };
    const inputs = {
      inputIds: b.input('input_ids', 'int32', ['batch', 'seq']),
      tokenTypeIds: b.input('token_type_ids', 'int32', ['batch', 'seq']),
      attentionMask: b.input('attention_mask', 'float32', ['batch', 'seq']),
    };
    // Flat indices (row * seq + i) of the positions that predict a real next token, and those tokens.
    const positions = b.input('lm_positions', 'int32', ['predictions']);
    const labels = b.input('lm_labels', 'int32', ['predictions', 1]);
    const out = model.forward(b, inputs, training);
    const flat = b.reshape(out.sequence, [-1, model.hidden]); // [batch, seq, H] -> [batch*seq, H]
    const picked = b.gather(flat, positions, 0); // [predictions, H]
    const logits = model.lmLogits(b, picked, training); // [predictions, vocab]
    const loss = softmaxCrossEntropy(b, logits, labels); // mean over predictions
    return { loss, metrics: { lm_loss: loss, lm_accuracy: accuracyOf(b, logits, labels) } };
  }

  *batches(corpus: TokenizedCorpus, batchSize: number, rng: RandomSource): Iterator<Batch> {
    const { seqLen, specialIds } = this.ctx;
    const { packing } = this.options;
    if (!Number.isInteger(batchSize) || batchSize < 1) fail(`batchSize must be a positive integer, got ${batchSize}`);
    const docs = documentTokens(corpus, specialIds.sep);
    if (docs.length === 0) fail('the pretraining corpus has no text');
    const total = docs.reduce((s, d) => s + d.length, 0);
    const first = packBlocks(docs, seqLen, packing);
    if (first.length < batchSize)
      fail(`the corpus (${total} tokens with end-of-text ids) makes ${first.length} blocks of up to ${seqLen} tokens (packing "${packing}"), fewer than one batch of ${batchSize}`);
    for (;;) {
      let blocks = first;
      if (packing === 'stream') {
        // A fresh cut each pass, keeping at least one batch of full blocks.
        const slack = Math.min(seqLen, total - batchSize * seqLen + 1);
        blocks = packBlocks(docs, seqLen, packing, rng.int(slack));
      } else blocks = [...first];
      for (let i = blocks.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [blocks[i], blocks[j]] = [blocks[j], blocks[i]];
      }
      for (let s = 0; s + batchSize <= blocks.length; s += batchSize) yield this.batch(blocks.slice(s, s + batchSize));
    }
  }

  private batch(rows: number[][]): Batch {
    const pad = this.ctx.specialIds.pad;
    const n = rows.length;
    const seq = Math.max(...rows.map((r) => r.length));
    const ids = new Int32Array(n * seq).fill(pad);
    const mask = new Float32Array(n * seq);
    const positions: number[] = [];
    const labels: number[] = [];
    rows.forEach((r, k) => {
      ids.set(r, k * seq);
      mask.fill(1, k * seq, k * seq + r.length);
      for (let i = 0; i + 1 < r.length; i++) {
        positions.push(k * seq + i);
        labels.push(r[i + 1]);
      }
    });
    return {
      input_ids: tensor('int32', [n, seq], ids),
      token_type_ids: tensor('int32', [n, seq], new Int32Array(n * seq)),
      attention_mask: tensor('float32', [n, seq], mask),
      lm_positions: tensor('int32', [positions.length], Int32Array.from(positions)),
      lm_labels: tensor('int32', [labels.length, 1], Int32Array.from(labels)),
    };
  }
}

export const gptObjective: ObjectivePlugin<GptObjectiveOptions> = {
  kind: 'objective',
  name: '@ssbench/objective-gpt',
  version: pkg.version,
  description: 'GPT next-token prediction (causal language modelling) over contiguous blocks of the corpus',
  requires: ['decoder'],
  optionsSchema: optionsSchema as unknown as Record<string, unknown>,
  create: (options, ctx) => {
    const packing = options.packing ?? 'stream';
    if (packing !== 'stream' && packing !== 'documents') fail(`packing must be "stream" or "documents", got ${JSON.stringify(packing)}`);
    if (!Number.isInteger(ctx.seqLen) || ctx.seqLen < 2) fail(`seqLen must be an integer >= 2, got ${ctx.seqLen}`);
    return new GptObjective({ packing }, ctx);
  },
};

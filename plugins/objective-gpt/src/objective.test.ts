import { Rng, type SpecialIds, type TokenizedCorpus } from '@ssbench/core';
import { loadSotu } from '@ssbench/corpora';
import { GraphBuilder, type Tensor, buildTrainingGraph, initParams, initialState, interpret } from '@ssbench/graph';
import gptModel from '@ssbench/model-gpt';
import { ENDOFTEXT, trainByteLevelBPE } from '@ssbench/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentTokens, gptObjective, packBlocks } from './index';

let corpus: TokenizedCorpus;
let vocabSize: number;
let specialIds: SpecialIds;
let eot: number;

beforeAll(() => {
  const text = loadSotu({ maxDocuments: 3 });
  const bpe = trainByteLevelBPE(
    text.documents.flatMap((d) => d.sentences),
    { vocabSize: 400 },
  );
  vocabSize = bpe.vocabSize;
  eot = bpe.idOf(ENDOFTEXT) as number;
  // GPT-2 has one special token: <|endoftext|> serves as separator and padding.
  specialIds = { pad: eot, unk: eot, cls: eot, sep: eot, mask: eot };
  corpus = {
    documents: text.documents.map((d) => ({
      sentences: d.sentences.map((s) => {
        const ids = bpe.encode(` ${s}`).ids;
        return { ids, wordStarts: ids.map(() => true) };
      }),
    })),
  };
});

const i32 = (t: Tensor) => t.data as Int32Array;

/** Index of `row` inside `stream` (-1 if it is not a contiguous window of it). */
function windowAt(stream: readonly number[], row: readonly number[]): number {
  outer: for (let s = 0; s + row.length <= stream.length; s++) {
    for (let i = 0; i < row.length; i++) if (stream[s + i] !== row[i]) continue outer;
    return s;
  }
  return -1;
}

describe('GPT objective batches', () => {
  it('stream packing: full blocks of the end-of-text-joined token stream, labels = the next tokens', () => {
    const seqLen = 32;
    const obj = gptObjective.create({ packing: 'stream' }, { vocabSize, specialIds, seqLen });
    const docs = documentTokens(corpus, eot);
    expect(docs).toHaveLength(3);
    for (const d of docs) expect(d[d.length - 1]).toBe(eot);
    const stream = docs.flat();
    const batches = obj.batches(corpus, 8, new Rng(3));
    for (let k = 0; k < 6; k++) {
      const b = batches.next().value as Record<string, Tensor>;
      expect(b.input_ids.shape).toEqual([8, seqLen]);
      expect(Array.from(b.attention_mask.data as Float32Array).every((x) => x === 1)).toBe(true);
      expect(Array.from(i32(b.token_type_ids)).every((x) => x === 0)).toBe(true);
      const ids = i32(b.input_ids);
      const pos = i32(b.lm_positions);
      const labels = i32(b.lm_labels);
      // Every position but the last of each row predicts; the label is the token after it.
      expect(pos.length).toBe(8 * (seqLen - 1));
      expect(b.lm_labels.shape).toEqual([pos.length, 1]);
      for (let j = 0; j < pos.length; j++) {
        expect(pos[j] % seqLen).toBeLessThan(seqLen - 1);
        expect(labels[j]).toBe(ids[pos[j] + 1]);
      }
      // Each row is a contiguous window of the stream, cut at offset + multiple of seqLen.
      for (let r = 0; r < 8; r++) {
        const row = Array.from(ids.subarray(r * seqLen, (r + 1) * seqLen));
        expect(windowAt(stream, row)).toBeGreaterThanOrEqual(0);
      }
    }
    // Same seed, same batches.
    const again = obj.batches(corpus, 8, new Rng(3)).next().value as Record<string, Tensor>;
    const first = obj.batches(corpus, 8, new Rng(3)).next().value as Record<string, Tensor>;
    expect(i32(again.input_ids)).toEqual(i32(first.input_ids));
  });

  it('stream packing cuts each pass at a seeded offset and shuffles its blocks', () => {
    // Distinct ids: a row's first id tells where in the stream it starts. Stream: 1..100, eot, 101..180, eot.
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
    const doc = (ids: number[]) => ({ sentences: [{ ids: ids.slice(0, 40), wordStarts: ids.slice(0, 40).map(() => true) }, { ids: ids.slice(40), wordStarts: ids.slice(40).map(() => true) }] });
    const synthetic: TokenizedCorpus = { documents: [doc(range(1, 100)), doc(range(101, 180))] };
    const sp = { pad: 0, unk: 0, cls: 0, sep: 0, mask: 0 };
    const stream = [...range(1, 100), 0, ...range(101, 180), 0];
    expect(documentTokens(synthetic, 0)).toEqual([[...range(1, 100), 0], [...range(101, 180), 0]]);
    const obj = gptObjective.create({ packing: 'stream' }, { vocabSize: 200, specialIds: sp, seqLen: 8 });
    const gen = obj.batches(synthetic, 4, new Rng(2));
    // 182 tokens: 22 blocks of 8 at offset 0 (fewer at larger offsets), 5 batches of 4 per pass.
    const offsets: number[] = [];
    for (let pass = 0; pass < 6; pass++) {
      const starts: number[] = [];
      for (let k = 0; k < 5; k++) {
        const b = gen.next().value as Record<string, Tensor>;
        for (let r = 0; r < 4; r++) starts.push(windowAt(stream, Array.from(i32(b.input_ids).subarray(r * 8, r * 8 + 8))));
      }
      // One offset per pass; 20 distinct blocks of it, in shuffled order.
      expect(new Set(starts.map((s) => s % 8)).size).toBe(1);
      expect(new Set(starts).size).toBe(20);
      expect(starts).not.toEqual([...starts].sort((a, b) => a - b));
      offsets.push(starts[0] % 8);
    }
    expect(new Set(offsets).size).toBeGreaterThan(1);
  });

  it('documents packing: blocks stay inside one document, the short last block is padded and never predicted from', () => {
    const seqLen = 64;
    const docs = documentTokens(corpus, eot);
    const blocks = packBlocks(docs, seqLen, 'documents');
    expect(blocks.length).toBe(docs.reduce((s, d) => s + Math.ceil(d.length / seqLen) - (d.length % seqLen === 1 ? 1 : 0), 0));
    const obj = gptObjective.create({ packing: 'documents' }, { vocabSize, specialIds, seqLen });
    const stream = obj.batches(corpus, blocks.length, new Rng(1));
    const b = stream.next().value as Record<string, Tensor>;
    const [n, seq] = b.input_ids.shape;
    expect(n).toBe(blocks.length);
    const ids = i32(b.input_ids);
    const mask = b.attention_mask.data as Float32Array;
    const pos = i32(b.lm_positions);
    const labels = i32(b.lm_labels);
    let padded = 0;
    let predictions = 0;
    for (let r = 0; r < n; r++) {
      const len = mask.subarray(r * seq, (r + 1) * seq).reduce((a, x) => a + x, 0);
      const row = Array.from(ids.subarray(r * seq, r * seq + len));
      expect(docs.some((d) => windowAt(d, row) >= 0 && windowAt(d, row) % seqLen === 0)).toBe(true);
      if (len < seq) padded++;
      for (let i = len; i < seq; i++) expect(ids[r * seq + i]).toBe(eot);
      predictions += len - 1;
    }
    expect(padded).toBeGreaterThanOrEqual(1);
    expect(pos.length).toBe(predictions);
    for (let j = 0; j < pos.length; j++) {
      expect(mask[pos[j] + 1]).toBe(1);
      expect(Math.floor(pos[j] / seq)).toBe(Math.floor((pos[j] + 1) / seq));
      expect(labels[j]).toBe(ids[pos[j] + 1]);
    }
  });

  it('fails loudly on a corpus too small for one batch and on an encoder model', () => {
    const obj = gptObjective.create({ packing: 'stream' }, { vocabSize, specialIds, seqLen: 32 });
    const tiny: TokenizedCorpus = { documents: [{ sentences: [{ ids: [1, 2, 3, 4, 5], wordStarts: [true, true, true, true, true] }] }] };
    expect(() => obj.batches(tiny, 2, new Rng(1)).next()).toThrow(/makes 0 blocks of up to 32 tokens .* fewer than one batch of 2/);
    expect(() => obj.batches({ documents: [] }, 2, new Rng(1)).next()).toThrow(/no text/);
    const encoder = { architecture: 'encoder' } as never;
    expect(() => obj.buildLoss(new GraphBuilder('x'), encoder)).toThrow(/trains decoder models, not encoder models/);
    expect(gptObjective).toMatchObject({ kind: 'objective', name: '@ssbench/objective-gpt', requires: ['decoder'] });
    expect((gptObjective.optionsSchema as { additionalProperties: boolean }).additionalProperties).toBe(false);
  });
});

describe('GPT objective loss graph', () => {
  it('starts at about ln(vocab) and decreases when a tiny GPT is trained on one batch', () => {
    const model = gptModel.create({ nEmbd: 32, nLayer: 1, nHead: 2, nPositions: 64, residDropout: 0, embdDropout: 0 }, { vocabSize });
    const obj = gptObjective.create({ packing: 'stream' }, { vocabSize, specialIds, seqLen: 32 });
    const b = new GraphBuilder('pretrain');
    const { loss, metrics } = obj.buildLoss(b, model);
    expect(Object.keys(metrics).sort()).toEqual(['lm_accuracy', 'lm_loss']);
    const tg = buildTrainingGraph(
      b,
      loss,
      { lr: 3e-3, warmupSteps: 0, totalSteps: 30, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'constant' },
      metrics,
    );
    const rng = new Rng(5);
    let state: Record<string, Tensor> = { ...Object.fromEntries(initParams(tg.params, rng)), ...initialState(tg.params) };
    const batch = obj.batches(corpus, 4, rng).next().value as Record<string, Tensor>;
    const losses: number[] = [];
    const accuracies: number[] = [];
    for (let step = 1; step <= 15; step++) {
      const out = interpret(tg.graph, { ...state, ...batch, [tg.stepInput]: { dtype: 'float32', shape: [], data: new Float32Array([step]) } });
      losses.push((out[tg.lossOutput].data as Float32Array)[0]);
      accuracies.push((out[tg.extraOutputs.lm_accuracy].data as Float32Array)[0]);
      state = Object.fromEntries(tg.state.map((s) => [s.input, out[s.output]]));
    }
    // Random init (std 0.02): the loss is near ln(V).
    expect(Math.abs(losses[0] - Math.log(vocabSize))).toBeLessThan(0.1);
    expect(losses[14]).toBeLessThan(losses[0] - 1.5);
    expect(accuracies[14]).toBeGreaterThan(accuracies[0]);
  });
});

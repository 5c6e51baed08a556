import { Rng, type TokenizedCorpus } from '@ssbench/core';
import { GraphBuilder, buildTrainingGraph, initParams, initialState, interpret, type Tensor } from '@ssbench/graph';
import { loadSotu } from '@ssbench/corpora';
import { trainWordPiece } from '@ssbench/tokenizers';
import bertModel from '@ssbench/model-bert';
import { beforeAll, describe, expect, it } from 'vitest';
import { staticMaskCount } from './masking';
import { type BertObjectiveOptions, bertObjective, swapSegments } from './objective';

const defaults = (over: Partial<BertObjectiveOptions> = {}): BertObjectiveOptions => ({
  mlm: { probability: 0.15, masking: 'static', maxPredictions: 20, maskTokenRate: 0.8, randomTokenRate: 0.1, wholeWord: false },
  sentencePair: 'nsp',
  shortSeqProb: 0.1,
  ...over,
});

let corpus: TokenizedCorpus;
let vocabSize: number;
let specialIds: { pad: number; unk: number; cls: number; sep: number; mask: number };

beforeAll(() => {
  const text = loadSotu({ maxDocuments: 12 });
  const wp = trainWordPiece(
    text.documents.flatMap((d) => d.sentences),
    { vocabSize: 600 },
  );
  vocabSize = wp.vocabSize;
  specialIds = wp.specialIds;
  corpus = {
    documents: text.documents.map((d) => ({
      sentences: d.sentences.map((s) => wp.encode(s)).map((e) => ({ ids: e.ids, wordStarts: e.wordStarts })),
    })),
  };
});

describe('BERT objective batches', () => {
  it('packs [CLS] A [SEP] B [SEP] rows, flat MLM positions that point at the labels, and NSP labels', () => {
    const obj = bertObjective.create(defaults(), { vocabSize, specialIds, seqLen: 48 });
    const stream = obj.batches(corpus, 16, new Rng(3));
    let nspOnes = 0;
    let rows = 0;
    for (let k = 0; k < 20; k++) {
      const batch = stream.next().value as Record<string, Tensor>;
      const [n, seq] = batch.input_ids.shape;
      expect(n).toBe(16);
      expect(seq).toBeLessThanOrEqual(48);
      const ids = batch.input_ids.data as Int32Array;
      const types = batch.token_type_ids.data as Int32Array;
      const mask = batch.attention_mask.data as Float32Array;
      const positions = batch.mlm_positions.data as Int32Array;
      const labels = batch.mlm_labels.data as Int32Array;
      expect(batch.mlm_labels.shape).toEqual([positions.length, 1]);
      for (let r = 0; r < n; r++) {
        const len = mask.subarray(r * seq, (r + 1) * seq).reduce((a, x) => a + x, 0);
        expect(ids[r * seq]).toBe(specialIds.cls);
        expect(ids[r * seq + len - 1]).toBe(specialIds.sep);
        const seps = Array.from(ids.subarray(r * seq, r * seq + len)).filter((x) => x === specialIds.sep).length;
        expect(seps).toBe(2);
        // Token types: 0 through the first [SEP], then 1.
        expect(types[r * seq]).toBe(0);
        expect(types[r * seq + len - 1]).toBe(1);
        for (let i = len; i < seq; i++) expect(ids[r * seq + i]).toBe(specialIds.pad);
        // Static masking: exactly min(maxPredictions, max(1, round(0.15 * candidates))) predictions per row
        // (round half to even, as Python 3's round in create_pretraining_data.py).
        const rowPredictions = Array.from(positions).filter((p) => Math.floor(p / seq) === r).length;
        const candidates = len - 3;
        expect(rowPredictions).toBe(staticMaskCount(candidates, 0.15, 20));
      }
      // Every position is inside a real token of its row; its label is never a special token.
      for (let k2 = 0; k2 < positions.length; k2++) {
        const p = positions[k2];
        const r = Math.floor(p / seq);
        expect(mask[p]).toBe(1);
        expect(p % seq).toBeGreaterThan(0);
        expect([specialIds.cls, specialIds.sep, specialIds.pad]).not.toContain(labels[k2]);
        expect(r).toBeLessThan(n);
      }
      const nsp = batch.pair_labels.data as Int32Array;
      nspOnes += nsp.reduce((a, x) => a + x, 0);
      rows += n;
    }
    // Half the pairs have a random B (4 sigma band over 320 rows: 0.5 +- 0.112).
    expect(Math.abs(nspOnes / rows - 0.5)).toBeLessThan(0.112);
  });

  it('without NSP packs single segments and feeds no nsp_labels', () => {
    const obj = bertObjective.create(defaults({ sentencePair: 'none' }), { vocabSize, specialIds, seqLen: 32 });
    const batch = obj.batches(corpus, 8, new Rng(1)).next().value as Record<string, Tensor>;
    expect(batch.pair_labels).toBeUndefined();
    expect(Array.from(batch.token_type_ids.data as Int32Array).every((t) => t === 0)).toBe(true);
  });

  it('SOP: half the pairs swapped, both segments from the same text; swapping restores the original', () => {
    const obj = bertObjective.create(defaults({ sentencePair: 'sop' }), { vocabSize, specialIds, seqLen: 48 });
    const stream = obj.batches(corpus, 16, new Rng(9));
    let swapped = 0;
    let rows = 0;
    for (let k = 0; k < 20; k++) {
      const batch = stream.next().value as Record<string, Tensor>;
      const labels = batch.pair_labels.data as Int32Array;
      swapped += labels.reduce((a, x) => a + x, 0);
      rows += labels.length;
    }
    expect(Math.abs(swapped / rows - 0.5)).toBeLessThan(0.112);
    const e = { inputIds: [2, 10, 11, 3, 20, 21, 22, 3], tokenTypeIds: [0, 0, 0, 0, 1, 1, 1, 1], wordStarts: [true, true, false, true, true, true, false, true] };
    const s = swapSegments(e, 2, 3);
    expect(s.ids).toEqual([2, 20, 21, 22, 3, 10, 11, 3]);
    expect(s.types).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    expect(s.wordStarts).toEqual([true, true, true, false, true, true, false, true]);
    const back = swapSegments({ inputIds: s.ids, tokenTypeIds: s.types, wordStarts: s.wordStarts }, 2, 3);
    expect(back.ids).toEqual(e.inputIds);
    expect(back.types).toEqual(e.tokenTypeIds);
  });

  it('rejects a mask/random split above 1', () => {
    expect(() =>
      bertObjective.create(defaults({ mlm: { ...defaults().mlm, maskTokenRate: 0.8, randomTokenRate: 0.3 } }), { vocabSize, specialIds, seqLen: 32 }),
    ).toThrow(/maskTokenRate \+ mlm.randomTokenRate/);
  });
});

describe('BERT objective loss graph', () => {
  it('starts at about ln(vocab) + ln(2) and decreases when trained on one batch', () => {
    const model = bertModel.create({ hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 64, maxPositions: 64, hiddenDropout: 0 }, { vocabSize });
    const obj = bertObjective.create(defaults(), { vocabSize, specialIds, seqLen: 32 });
    const b = new GraphBuilder('pretrain');
    const { loss, metrics } = obj.buildLoss(b, model);
    expect(Object.keys(metrics).sort()).toEqual(['mlm_accuracy', 'mlm_loss', 'nsp_accuracy', 'nsp_loss']);
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
    for (let step = 1; step <= 15; step++) {
      const out = interpret(tg.graph, { ...state, ...batch, [tg.stepInput]: { dtype: 'float32', shape: [], data: new Float32Array([step]) } });
      losses.push((out[tg.lossOutput].data as Float32Array)[0]);
      state = Object.fromEntries(tg.state.map((s) => [s.input, out[s.output]]));
    }
    // Random init: the MLM loss is near ln(V) and the NSP loss near ln(2).
    expect(Math.abs(losses[0] - (Math.log(vocabSize) + Math.log(2)))).toBeLessThan(0.5);
    expect(losses[14]).toBeLessThan(losses[0] - 1);
  });
});

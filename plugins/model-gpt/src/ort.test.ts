/**
 * The GPT-2 graphs on onnxruntime-node (CPU): the forward pass and KV-cache generation agree with the reference
 * interpreter. (A cross-backend check: onnxruntime is a devDependency of this package's tests only.)
 */
import type { BackendSession, DecoderModel } from '@ssbench/core';
import ort from '@ssbench/backend-onnxruntime';
import { type Graph, GraphBuilder, type Tensor, buildTrainingGraph, initParams, initialState, interpret, softmaxCrossEntropy, stepFeed, tensor } from '@ssbench/graph';
import { Rng } from '@ssbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpt } from './index';

const TINY = { nEmbd: 32, nLayer: 2, nHead: 4, nPositions: 64 };
const VOCAB = 97;

const interpretSession: BackendSession = {
  version: 'interpret',
  device: 'cpu',
  async compile(g: Graph) {
    return {
      inputNames: g.inputs.map((i) => i.name),
      outputNames: g.outputs.map((o) => o.name),
      run: async (feeds: Readonly<Record<string, Tensor>>) => interpret(g, feeds),
      dispose: async () => {},
    };
  },
  async dispose() {},
};

function forwardGraph(model: DecoderModel): { graph: Graph; params: GraphBuilder['params'] } {
  const b = new GraphBuilder('gpt');
  const inputIds = b.input('input_ids', 'int32', ['batch', 'seq']);
  const tokenTypeIds = b.input('token_type_ids', 'int32', ['batch', 'seq']);
  const attentionMask = b.input('attention_mask', 'float32', ['batch', 'seq']);
  const out = model.forward(b, { inputIds, tokenTypeIds, attentionMask }, { training: false });
  b.output('lm', model.lmLogits(b, out.sequence, { training: false }));
  b.output('pooled', out.pooled);
  return { graph: b.build(), params: [...b.params] };
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return m;
}

describe('GPT-2 on onnxruntime-node (cpu)', () => {
  let session: BackendSession;
  beforeAll(async () => {
    const a = await ort.probe({ executionProvider: 'cpu' });
    if (!a.available) throw new Error(`onnxruntime-node cpu is needed for this test: ${a.reason}`);
    session = await ort.create({ executionProvider: 'cpu', threads: 1 });
  });
  afterAll(async () => {
    await session?.dispose();
  });

  const model = createGpt(TINY, { vocabSize: VOCAB });
  const { graph, params } = forwardGraph(model);
  // Init with a larger std than GPT-2's so the logits are far from uniform.
  const weights = initParams(params.map((p) => (p.init.kind === 'normal' ? { ...p, init: { kind: 'normal', std: 0.3 } as const } : p)), new Rng(1));

  it('computes the forward pass (right-padded batch) as the interpreter does', async () => {
    const ids = [3, 9, 27, 81, 5, 1, 0, 0, 44, 2, 7, 11, 13, 17, 19, 23];
    const mask = [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
    const feeds = {
      ...Object.fromEntries(weights),
      input_ids: tensor('int32', [2, 8], ids),
      token_type_ids: tensor('int32', [2, 8], new Int32Array(16)),
      attention_mask: tensor('float32', [2, 8], mask),
    };
    const exe = await session.compile(graph);
    const got = await exe.run(feeds);
    await exe.dispose();
    const want = interpret(graph, feeds);
    expect(maxAbsDiff(got.lm, want.lm)).toBeLessThan(1e-4);
    expect(maxAbsDiff(got.pooled, want.pooled)).toBeLessThan(1e-4);
  });

  it('generates with the KV cache the tokens and logits the interpreter generates', async () => {
    const prompt = [5, 17, 3];
    for (const opts of [{ temperature: 0 }, { temperature: 0.9, topK: 10, seed: 4 }]) {
      const got = await model.generate(session, weights, prompt, { maxNewTokens: 20, keepLogits: true, ...opts });
      const want = await model.generate(interpretSession, weights, prompt, { maxNewTokens: 20, keepLogits: true, ...opts });
      expect(got.tokens, JSON.stringify(opts)).toEqual(want.tokens);
      for (let k = 0; k < 20; k++) {
        let d = 0;
        for (let v = 0; v < VOCAB; v++) d = Math.max(d, Math.abs(got.logits[k][v] - want.logits[k][v]));
        expect(d, `step ${k}`).toBeLessThan(1e-4);
      }
    }
  });

  it('runs a training step (forward, backward, AdamW, dropout) as the interpreter does', async () => {
    const m = createGpt({ ...TINY, residDropout: 0.1, embdDropout: 0.1 }, { vocabSize: VOCAB });
    const b = new GraphBuilder('gpt-train');
    const inputIds = b.input('input_ids', 'int32', ['batch', 'seq']);
    const tokenTypeIds = b.input('token_type_ids', 'int32', ['batch', 'seq']);
    const attentionMask = b.input('attention_mask', 'float32', ['batch', 'seq']);
    const positions = b.input('lm_positions', 'int32', ['predictions']);
    const labels = b.input('lm_labels', 'int32', ['predictions', 1]);
    const out = m.forward(b, { inputIds, tokenTypeIds, attentionMask }, { training: true });
    const picked = b.gather(b.reshape(out.sequence, [-1, TINY.nEmbd]), positions, 0); // [predictions, H]
    const loss = softmaxCrossEntropy(b, m.lmLogits(b, picked, { training: true }), labels);
    const cls = softmaxCrossEntropy(b, m.classifierLogits(b, out.pooled, 3, { training: true }), b.input('cls_labels', 'int32', ['batch', 1]));
    const dropouts = [...b.dropouts];
    const tg = buildTrainingGraph(b, b.add(loss, cls), { lr: 1e-3, warmupSteps: 0, totalSteps: 10, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'constant' });
    const rng = new Rng(2);
    const ids = Array.from({ length: 12 }, (_, i) => (i * 7 + 3) % VOCAB);
    const feeds: Record<string, Tensor> = {
      ...Object.fromEntries(initParams(tg.params, rng)),
      ...initialState(tg.params),
      input_ids: tensor('int32', [2, 6], ids),
      token_type_ids: tensor('int32', [2, 6], new Int32Array(12)),
      attention_mask: tensor('float32', [2, 6], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]),
      lm_positions: tensor('int32', [8], [0, 1, 2, 3, 4, 6, 7, 8]),
      lm_labels: tensor('int32', [8, 1], [ids[1], ids[2], ids[3], ids[4], ids[5], ids[7], ids[8], ids[9]]),
      cls_labels: tensor('int32', [2, 1], [2, 0]),
      [tg.stepInput]: stepFeed(1),
    };
    for (const d of dropouts) {
      const shape = d.shape.map((x) => (typeof x === 'number' ? x : 12)); // [batch*seq, H] rows: 2 * 6
      const n = shape.reduce((s, x) => s * x, 1);
      feeds[d.name] = tensor('float32', shape, Float32Array.from({ length: n }, () => (rng.next() < d.rate ? 0 : 1 / (1 - d.rate))));
    }
    const exe = await session.compile(tg.graph);
    const got = await exe.run(feeds);
    await exe.dispose();
    const want = interpret(tg.graph, feeds);
    expect(Math.abs((got[tg.lossOutput].data as Float32Array)[0] - (want[tg.lossOutput].data as Float32Array)[0])).toBeLessThan(1e-4);
    let worst = 0;
    for (const s of tg.state) worst = Math.max(worst, maxAbsDiff(got[s.output], want[s.output]));
    expect(worst).toBeLessThan(1e-5);
  });
});

import type { Executable } from '@ssbench/core';
import { type Graph, GraphBuilder, type Tensor, buildTrainingGraph, initialState, interpret, stepFeed, tensor } from '@ssbench/graph';
import { checkConformance, conformanceCases } from '@ssbench/graph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, { type OrtSessionHandle, createSession, optionsSchema, summariseOrtError } from './index';

/** Deterministic pseudo-random floats in [-1, 1). */
function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.dtype).toBe(b.dtype);
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return m;
}

/**
 * One SGD-with-momentum training step of a linear regression, with the gradients written by hand:
 * pred = x @ W + b, loss = mean((pred - y)^2), g = d loss, v' = mu * v + g, p' = p - lr * v'.
 */
function trainingStep(lr = 0.1, mu = 0.9): Graph {
  const b = new GraphBuilder('linreg-step');
  const x = b.input('x', 'float32', ['batch', 4]);
  const y = b.input('y', 'float32', ['batch', 3]);
  const W = b.param('W', [4, 3], { kind: 'normal', std: 0.1 });
  const bias = b.param('b', [3], { kind: 'zeros' });
  const vW = b.input('v.W', 'float32', [4, 3]);
  const vb = b.input('v.b', 'float32', [3]);
  const diff = b.sub(b.add(b.matmul(x, W), bias), y); // [batch, 3]
  const sq = b.mul(diff, diff);
  const loss = b.reduceMean(sq, [0, 1], false);
  // d loss / d diff = 2 diff / (batch * 3); batch is symbolic: divide by the element count computed at run time
  const count = b.cast(b.reduceSum(b.cast(b.shapeOf(sq), 'float32'), [0], false), 'float32'); // batch + 3 (sum of dims)
  const n = b.mul(b.sub(count, 3), 3); // batch * 3
  const gDiff = b.div(b.mul(diff, 2), n);
  const gW = b.matmul(b.transpose(x, [1, 0]), gDiff); // [4, 3]
  const gb = b.reduceSum(gDiff, [0], false); // [3]
  const vW2 = b.add(b.mul(vW, mu), gW);
  const vb2 = b.add(b.mul(vb, mu), gb);
  b.output('loss', loss);
  b.output('new.W', b.sub(W, b.mul(vW2, lr)));
  b.output('new.b', b.sub(bias, b.mul(vb2, lr)));
  b.output('new.v.W', vW2);
  b.output('new.v.b', vb2);
  return b.build();
}

/** A forward graph over many ops, int/bool outputs included, with symbolic batch and seq. */
function mixedGraph(): Graph {
  const b = new GraphBuilder('mixed');
  const ids = b.input('ids', 'int32', ['batch', 'seq']);
  const mask = b.input('mask', 'bool', ['batch', 'seq']);
  const emb = b.param('emb', [7, 8], { kind: 'normal', std: 1 });
  const g = b.param('ln.weight', [8], { kind: 'ones' });
  const beta = b.param('ln.bias', [8], { kind: 'zeros' });
  const h = b.gather(emb, ids, 0); // [batch, seq, 8]
  const ln = b.layerNorm(b.tanh(h), g, beta, 1e-5);
  const att = b.softmax(b.matmul(ln, b.transpose(ln, [0, 2, 1])), -1); // [batch, seq, seq]
  const ctx = b.matmul(att, ln);
  const flat = b.reshape(ctx, [-1, 8]); // [batch*seq, 8]
  const logp = b.logSoftmax(flat, 1);
  const am = b.cast(b.reshape(ids, [-1, 1]), 'int64');
  const picked = b.gatherElements(logp, b.cast(am, 'int32'), 1); // [batch*seq, 1]
  const m = b.cast(b.reshape(mask, [-1, 1]), 'float32');
  b.output('nll', b.div(b.reduceSum(b.neg(b.mul(picked, m)), [0, 1], false), b.max(b.reduceSum(m, [0, 1], false), 1)));
  b.output('ctx', ctx);
  b.output('argmaxish', b.greater(b.reduceMax(flat, [1], false), b.scalar(0)));
  b.output('ids64', am);
  b.output('gelu', b.mul(b.mul(flat, 0.5), b.add(b.erf(b.div(flat, Math.SQRT2)), 1)));
  return b.build();
}

function mixedFeeds(batch: number, seq: number, seed: number): Record<string, Tensor> {
  const n = batch * seq;
  return {
    ids: tensor('int32', [batch, seq], Int32Array.from({ length: n }, (_, i) => (i * 5 + seed) % 7)),
    mask: tensor('bool', [batch, seq], Uint8Array.from({ length: n }, (_, i) => (i % 3 === 2 ? 0 : 1))),
    emb: tensor('float32', [7, 8], rand(56, seed + 1)),
    'ln.weight': tensor('float32', [8], rand(8, seed + 2).map((v) => 1 + v / 4)),
    'ln.bias': tensor('float32', [8], rand(8, seed + 3)),
  };
}

describe('@ssbench/backend-onnxruntime', () => {
  let session: OrtSessionHandle;
  beforeAll(async () => {
    session = await createSession({ executionProvider: 'cpu', threads: 1 });
  });
  afterAll(async () => {
    await session?.dispose();
  });

  it('passes the shared op conformance suite on cpu', async () => {
    const compiled = new Map<Graph, Executable>();
    const results = await checkConformance(async (graph, feeds) => {
      let exe = compiled.get(graph);
      if (!exe) {
        exe = await session.compile(graph);
        compiled.set(graph, exe);
      }
      return exe.run(feeds);
    });
    for (const exe of compiled.values()) await exe.dispose();
    expect(results.length).toBe(conformanceCases().length);
    expect(results.length).toBeGreaterThan(10);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('is a backend plugin with the documented options', () => {
    expect(plugin.kind).toBe('backend');
    expect(plugin.name).toBe('@ssbench/backend-onnxruntime');
    expect(plugin.devices).toEqual(['cpu', 'cuda', 'webgpu']);
    expect(optionsSchema.properties.executionProvider.default).toBe('cpu');
    expect(optionsSchema.properties.graphOptimizationLevel.default).toBe('all');
    expect(optionsSchema.properties.threads).toMatchObject({ type: 'integer', minimum: 1 });
    expect(optionsSchema.properties.spinning.default).toBe(false);
    expect(session.version).toMatch(/^onnxruntime-node \d+\.\d+\.\d+$/);
    expect(session.device).toBe('cpu');
    expect(session.spinning).toBe(false);
  });

  it('runs a graph with spinning intra-op threads too (the session option reaches onnxruntime)', async () => {
    const s = await createSession({ executionProvider: 'cpu', threads: 2, spinning: true });
    expect(s.spinning).toBe(true);
    const b = new GraphBuilder('spin');
    const x = b.input('x', 'float32', ['n']);
    b.output('y', b.mul(x, 3));
    const exe = await s.compile(b.build());
    expect(Array.from((await exe.run({ x: tensor('float32', [2], [1, 2]) })).y.data as Float32Array)).toEqual([3, 6]);
    await s.dispose();
  });

  it('probes cpu as available', async () => {
    const a = await plugin.probe({ executionProvider: 'cpu' });
    expect(a).toMatchObject({ available: true, version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  });

  it('reports cuda and webgpu unavailable here with a reason, and still runs on cpu afterwards', async () => {
    for (const ep of ['cuda', 'webgpu'] as const) {
      const a = await plugin.probe({ executionProvider: ep });
      if (a.available) continue; // a machine with a GPU: nothing to check here
      expect(a.reason).toContain(`execution provider "${ep}" is unusable`);
      expect(a.reason.length).toBeGreaterThan(40);
      expect(a.reason).not.toContain('\n');
      await expect(plugin.create({ executionProvider: ep })).rejects.toThrow(/is unusable/);
    }
    const after = await plugin.probe({ executionProvider: 'cpu' });
    expect(after.available).toBe(true);
    const exe = await session.compile(trainingStep());
    const out = await exe.run(linregFeeds(2, 1));
    expect(Number.isFinite((out.loss.data as Float32Array)[0])).toBe(true);
    await exe.dispose();
  });

  it('summarises multi-line ORT errors to one line', () => {
    expect(summariseOrtError(new Error('/src/x.cc:136 f() cond was false. Failed to get a WebGPU adapter: No supported adapters\n'))).toBe(
      'Failed to get a WebGPU adapter: No supported adapters',
    );
    expect(summariseOrtError(new Error('[ONNXRuntimeError] : 1 : FAIL : Load model failed\nmore'))).toBe('Load model failed');
  });

  it('matches the reference interpreter on a mixed forward graph, at two batch shapes with one compiled session', async () => {
    const graph = mixedGraph();
    const exe = await session.compile(graph);
    expect(exe.sessionMs).toBeGreaterThan(0);
    expect(exe.inputNames).toEqual(['ids', 'mask', 'emb', 'ln.weight', 'ln.bias']);
    for (const [batch, seq] of [
      [2, 3],
      [5, 4],
    ]) {
      const feeds = mixedFeeds(batch, seq, batch);
      const got = await exe.run(feeds);
      const want = interpret(graph, feeds);
      expect(Object.keys(got)).toEqual(exe.outputNames);
      expect(got.ctx.shape).toEqual([batch, seq, 8]);
      for (const name of exe.outputNames) {
        expect(got[name].data.constructor, name).toBe(want[name].data.constructor);
        expect(maxAbsDiff(got[name], want[name]), name).toBeLessThan(2e-5);
      }
    }
    await exe.dispose();
  });

  it('hands feeds to ORT without copying and returns fresh output buffers every run', async () => {
    const b = new GraphBuilder('passthrough');
    const x = b.input('x', 'float32', ['n']);
    b.output('y', b.identity(x));
    b.output('z', b.mul(x, 2));
    const exe = await session.compile(b.build());
    const feed = tensor('float32', [3], [1, 2, 3]);
    const first = await exe.run({ x: feed });
    const second = await exe.run({ x: tensor('float32', [3], [4, 5, 6]) });
    expect(Array.from(first.z.data as Float32Array)).toEqual([2, 4, 6]);
    expect(Array.from(first.y.data as Float32Array)).toEqual([1, 2, 3]);
    expect(Array.from(second.z.data as Float32Array)).toEqual([8, 10, 12]);
    expect(first.z.data.buffer).not.toBe(second.z.data.buffer);
    expect(first.y.data.buffer).not.toBe(feed.data.buffer);
    expect(Array.from(feed.data as Float32Array)).toEqual([1, 2, 3]); // the feed is untouched
    await exe.dispose();
  });

  it('checks feeds: missing, dtype, fixed dims and symbol bindings', async () => {
    const exe = await session.compile(trainingStep());
    const feeds = linregFeeds(2, 1);
    const { W: _w, ...noW } = feeds;
    await expect(exe.run(noW)).rejects.toThrow(/missing feed "W"/);
    await expect(exe.run({ ...feeds, b: tensor('int32', [3]) })).rejects.toThrow(/feed "b": dtype int32, expected float32/);
    await expect(exe.run({ ...feeds, W: tensor('float32', [3, 4]) })).rejects.toThrow(/feed "W": shape \[3, 4\], expected \[4, 3\]/);
    await expect(exe.run({ ...feeds, y: tensor('float32', [3, 3]) })).rejects.toThrow(/dimension 0 \("batch"\) is 3 but another feed bound it to 2/);
    await exe.dispose();
    await expect(exe.run(feeds)).rejects.toThrow(/disposed/);
  });

  it('trains for 5 steps feeding outputs back as inputs, matching the interpreter', async () => {
    const graph = trainingStep();
    const exe: Executable = await session.compile(graph);
    let ortState = linregFeeds(6, 7);
    let refState = { ...ortState };
    const seen: { step: number; W: Tensor; copy: Float32Array }[] = [];
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      const batch = linregBatch(6, 100 + step);
      const got = await exe.run({ ...ortState, ...batch });
      const want = interpret(graph, { ...refState, ...batch });
      for (const name of exe.outputNames) expect(maxAbsDiff(got[name], want[name]), `step ${step} ${name}`).toBeLessThan(1e-5);
      losses.push((got.loss.data as Float32Array)[0]);
      seen.push({ step, W: got['new.W'], copy: Float32Array.from(got['new.W'].data as Float32Array) });
      // ORT's own outputs become next step's inputs (no copy)
      ortState = { W: got['new.W'], b: got['new.b'], 'v.W': got['new.v.W'], 'v.b': got['new.v.b'] };
      refState = { W: want['new.W'], b: want['new.b'], 'v.W': want['new.v.W'], 'v.b': want['new.v.b'] };
    }
    // no output buffer was overwritten by a later step
    for (const s of seen) expect(Array.from(s.W.data as Float32Array), `step ${s.step}`).toEqual(Array.from(s.copy));
    expect(losses[4]).toBeLessThan(losses[0]);
    await exe.dispose();
  });

  it('runs an AdamW training-step graph (buildTrainingGraph) for 5 steps, state fed back, matching the interpreter', async () => {
    const tg = tinyLmStep();
    const exe = await session.compile(tg.graph);
    const params: Record<string, Tensor> = {};
    tg.params.forEach((p, i) => {
      const n = p.shape.reduce((s, d) => s * d, 1);
      params[p.name] = tensor('float32', p.shape, p.init.kind === 'ones' ? new Float32Array(n).fill(1) : p.init.kind === 'zeros' ? new Float32Array(n) : rand(n, 31 + i).map((v) => v * 0.5));
    });
    let ortState: Record<string, Tensor> = { ...params, ...initialState(tg.params) };
    let refState = { ...ortState };
    const losses: number[] = [];
    for (let step = 1; step <= 5; step++) {
      const [batch, seq] = step % 2 ? [2, 5] : [3, 4]; // symbolic dims: two shapes, one session
      const n = batch * seq;
      const batchFeeds = {
        input_ids: tensor('int32', [batch, seq], Int32Array.from({ length: n }, (_, i) => (i * 7 + batch) % 11)),
        labels: tensor('int32', [n, 1], Int32Array.from({ length: n }, (_, i) => (i * 3 + 1) % 11)),
        [tg.stepInput]: stepFeed(step),
      };
      const got = await exe.run({ ...ortState, ...batchFeeds });
      const want = interpret(tg.graph, { ...refState, ...batchFeeds });
      for (const name of exe.outputNames) expect(maxAbsDiff(got[name], want[name]), `step ${step} ${name}`).toBeLessThan(2e-5);
      losses.push((got[tg.lossOutput].data as Float32Array)[0]);
      const nextOrt: Record<string, Tensor> = {};
      const nextRef: Record<string, Tensor> = {};
      for (const s of tg.state) {
        nextOrt[s.input] = got[s.output];
        nextRef[s.input] = want[s.output];
      }
      ortState = nextOrt;
      refState = nextRef;
    }
    expect(losses[4]).toBeLessThan(losses[0]); // steps 1 and 5 see the same batch
    await exe.dispose();
  });
});

/** A tiny encoder-like LM step (embedding, self-attention, LayerNorm, GELU, tied output, cross-entropy) + AdamW. */
function tinyLmStep() {
  const b = new GraphBuilder('tiny-lm-step');
  const vocab = 11;
  const hidden = 8;
  const ids = b.input('input_ids', 'int32', ['batch', 'seq']);
  const labels = b.input('labels', 'int32', ['batch*seq', 1]);
  const emb = b.param('emb.weight', [vocab, hidden], { kind: 'normal', std: 0.5 });
  const wq = b.param('attn.q.weight', [hidden, hidden], { kind: 'normal', std: 0.3 });
  const wk = b.param('attn.k.weight', [hidden, hidden], { kind: 'normal', std: 0.3 });
  const g = b.param('ln.weight', [hidden], { kind: 'ones' });
  const beta = b.param('ln.bias', [hidden], { kind: 'zeros' });
  const x = b.gather(emb, ids, 0); // [batch, seq, hidden]
  const q = b.matmul(x, wq);
  const k = b.matmul(x, wk);
  const att = b.softmax(b.mul(b.matmul(q, b.transpose(k, [0, 2, 1])), 1 / Math.sqrt(hidden)), -1); // [batch, seq, seq]
  const h = b.layerNorm(b.add(x, b.matmul(att, x)), g, beta, 1e-5);
  const gelu = b.mul(b.mul(h, 0.5), b.add(b.erf(b.div(h, Math.SQRT2)), 1));
  const logits = b.matmul(b.reshape(gelu, [-1, hidden]), b.transpose(emb, [1, 0])); // [batch*seq, vocab]
  const loss = b.neg(b.reduceMean(b.gatherElements(b.logSoftmax(logits, -1), labels, 1), [0, 1], false)); // cross-entropy
  return buildTrainingGraph(b, loss, { lr: 0.05, warmupSteps: 2, totalSteps: 10, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'linear', clipNorm: 1 });
}

function linregBatch(batch: number, seed: number): Record<string, Tensor> {
  return { x: tensor('float32', [batch, 4], rand(batch * 4, seed)), y: tensor('float32', [batch, 3], rand(batch * 3, seed + 50)) };
}

function linregFeeds(batch: number, seed: number): Record<string, Tensor> {
  return {
    ...linregBatch(batch, seed),
    W: tensor('float32', [4, 3], rand(12, seed + 1)),
    b: tensor('float32', [3], rand(3, seed + 2)),
    'v.W': tensor('float32', [4, 3]),
    'v.b': tensor('float32', [3]),
  };
}

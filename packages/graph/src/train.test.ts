import { describe, expect, it } from 'vitest';
import { GraphBuilder, type ParamSpec } from './builder';
import type { Tensor } from './ir';
import { tensor } from './ir';
import { type Float64Tensor, interpret } from './interpret';
import { type OptimizerOptions, learningRateAt } from './optim';
import { buildTrainingGraph, initParams, initialState, stepFeed } from './train';

/** A seeded uniform source. */
function mulberry(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const N = 6; // rows
const I = 3; // inputs
const O = 2; // outputs

/** Linear regression: loss = mean((x @ W + bias - t)^2); W decays, bias does not. */
function regressionGraph(opts: OptimizerOptions) {
  const b = new GraphBuilder('regression');
  const x = b.input('x', 'float32', ['n', I]);
  const t = b.input('t', 'float32', ['n', O]);
  const w = b.param('dense.weight', [I, O], { kind: 'normal', std: 0.5 });
  const bias = b.param('dense.bias', [O], { kind: 'zeros' });
  const err = b.sub(b.add(b.matmul(x, w), bias), t); // [n, O]
  const loss = b.reduceMean(b.mul(err, err), [0, 1], false); // []
  return buildTrainingGraph(b, loss, opts, { abs_error: b.reduceMean(b.max(err, b.neg(err)), [0, 1], false) });
}

function data(seed: number) {
  const r = mulberry(seed);
  const x = Array.from({ length: N * I }, () => r() * 2 - 1);
  const trueW = [0.5, -1, 2, 0.3, -0.7, 1.2];
  const t = Array.from({ length: N * O }, (_, k) => {
    const i = Math.floor(k / O);
    const o = k % O;
    let s = o === 0 ? 0.4 : -0.2;
    for (let j = 0; j < I; j++) s += x[i * I + j] * trueW[j * O + o];
    return s;
  });
  const w0 = Array.from({ length: I * O }, () => r() - 0.5);
  const b0 = [0.1, -0.1];
  return { x, t, w0, b0 };
}

/** Straightforward AdamW (torch.optim.AdamW) with warm-up/decay and global-norm clipping, in float64. */
function referenceAdamW(opts: OptimizerOptions, d: ReturnType<typeof data>, steps: number) {
  const W = [...d.w0];
  const B = [...d.b0];
  const mW = W.map(() => 0);
  const vW = W.map(() => 0);
  const mB = B.map(() => 0);
  const vB = B.map(() => 0);
  const losses: number[] = [];
  for (let s = 1; s <= steps; s++) {
    // forward + gradients of mean squared error
    const gW = W.map(() => 0);
    const gB = B.map(() => 0);
    let loss = 0;
    for (let i = 0; i < N; i++)
      for (let o = 0; o < O; o++) {
        let p = B[o];
        for (let j = 0; j < I; j++) p += d.x[i * I + j] * W[j * O + o];
        const e = p - d.t[i * O + o];
        loss += (e * e) / (N * O);
        const de = (2 * e) / (N * O);
        gB[o] += de;
        for (let j = 0; j < I; j++) gW[j * O + o] += de * d.x[i * I + j];
      }
    losses.push(loss);
    // clipping
    if (opts.clipNorm !== undefined) {
      const norm = Math.sqrt([...gW, ...gB].reduce((a, g) => a + g * g, 0));
      const c = Math.min(1, opts.clipNorm / (norm + 1e-6));
      for (let k = 0; k < gW.length; k++) gW[k] *= c;
      for (let k = 0; k < gB.length; k++) gB[k] *= c;
    }
    // schedule, written out independently of learningRateAt
    let lr: number;
    if (s <= opts.warmupSteps) lr = (opts.lr * s) / opts.warmupSteps;
    else if (opts.schedule === 'constant') lr = opts.lr;
    else lr = Math.max(0, (opts.lr * (opts.totalSteps - s)) / (opts.totalSteps - opts.warmupSteps));
    const update = (p: number[], g: number[], m: number[], v: number[], decay: boolean) => {
      for (let k = 0; k < p.length; k++) {
        if (decay) p[k] -= lr * opts.weightDecay * p[k];
        m[k] = opts.beta1 * m[k] + (1 - opts.beta1) * g[k];
        v[k] = opts.beta2 * v[k] + (1 - opts.beta2) * g[k] * g[k];
        const mh = m[k] / (1 - opts.beta1 ** s);
        const vh = v[k] / (1 - opts.beta2 ** s);
        p[k] -= (lr * mh) / (Math.sqrt(vh) + opts.eps);
      }
    };
    update(W, gW, mW, vW, true);
    update(B, gB, mB, vB, false);
  }
  return { W, B, mW, vW, losses };
}

function runSteps(opts: OptimizerOptions, d: ReturnType<typeof data>, steps: number, float64: boolean) {
  const tg = regressionGraph(opts);
  const init = new Map<string, Tensor>([
    ['dense.weight', tensor('float32', [I, O], d.w0)],
    ['dense.bias', tensor('float32', [O], d.b0)],
  ]);
  const mk = (shape: number[], v: number[]): Float64Tensor => (float64 ? { dtype: 'float32', shape, data: Float64Array.from(v) } : tensor('float32', shape, v));
  let feeds: Record<string, Tensor | Float64Tensor> = {
    x: mk([N, I], d.x),
    t: mk([N, O], d.t),
    'dense.weight': mk([I, O], d.w0),
    'dense.bias': mk([O], d.b0),
    ...initialState(tg.params),
  };
  expect(initParams(tg.params, { normal: () => 0 }, init).get('dense.weight')?.data).toEqual(Float32Array.from(d.w0));
  const losses: number[] = [];
  const lrs: number[] = [];
  let out: Record<string, Tensor | Float64Tensor> = {};
  for (let s = 1; s <= steps; s++) {
    out = interpret(tg.graph, { ...feeds, [tg.stepInput]: stepFeed(s) }, { float64 });
    losses.push(Number(out[tg.lossOutput].data[0]));
    lrs.push(Number(out[tg.lrOutput].data[0]));
    const next = { ...feeds };
    for (const st of tg.state) next[st.input] = out[st.output];
    feeds = next;
  }
  return { tg, feeds, losses, lrs, out };
}

const base: OptimizerOptions = { lr: 0.1, warmupSteps: 2, totalSteps: 5, weightDecay: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, schedule: 'linear', clipNorm: 0.5 };

describe('AdamW training graph', () => {
  for (const [label, opts] of [
    ['linear warm-up/decay, clipping, weight decay', base],
    ['constant schedule, no clipping, no warm-up', { ...base, warmupSteps: 0, schedule: 'constant', clipNorm: undefined, weightDecay: 0.01 }],
  ] as [string, OptimizerOptions][]) {
    it(`matches a plain JS AdamW for 3 steps (${label})`, () => {
      const d = data(7);
      const ref = referenceAdamW(opts, d, 3);
      for (const float64 of [true, false]) {
        const { feeds, losses } = runSteps(opts, d, 3, float64);
        const tol = 1e-6;
        const W = Array.from(feeds['dense.weight'].data as ArrayLike<number>);
        const B = Array.from(feeds['dense.bias'].data as ArrayLike<number>);
        W.forEach((w, k) => {
          expect(Math.abs(w - ref.W[k]), `W[${k}] float64=${float64}`).toBeLessThan(tol);
        });
        B.forEach((v, k) => {
          expect(Math.abs(v - ref.B[k]), `bias[${k}] float64=${float64}`).toBeLessThan(tol);
        });
        const m = Array.from(feeds['optimizer.m.dense.weight'].data as ArrayLike<number>);
        const v = Array.from(feeds['optimizer.v.dense.weight'].data as ArrayLike<number>);
        m.forEach((x, k) => {
          expect(Math.abs(x - ref.mW[k])).toBeLessThan(tol);
        });
        v.forEach((x, k) => {
          expect(Math.abs(x - ref.vW[k])).toBeLessThan(tol);
        });
        losses.forEach((l, k) => {
          expect(Math.abs(l - ref.losses[k])).toBeLessThan(tol * Math.max(1, ref.losses[k]));
        });
        if (float64) {
          // Double-precision arithmetic (the graph's constants are still float32, e.g. beta1 = 0.9 +- 2.4e-8).
          W.forEach((w, k) => {
            expect(Math.abs(w - ref.W[k])).toBeLessThan(1e-7);
          });
        }
      }
    });
  }

  it('stays finite and matches plain JS AdamW after beta1^step underflows float32 (1,200 steps)', () => {
    // Regression: the bias correction 1 - beta1^step divided by ln(beta1^step) = ln(0) once 0.9^step < 1e-45.
    const opts: OptimizerOptions = { ...base, lr: 0.01, totalSteps: 1300, warmupSteps: 10, clipNorm: 1 };
    const d = data(11);
    const ref = referenceAdamW(opts, d, 1200);
    const { feeds } = runSteps(opts, d, 1200, false);
    const W = Array.from(feeds['dense.weight'].data as ArrayLike<number>);
    W.forEach((w, k) => {
      expect(Number.isFinite(w)).toBe(true);
      expect(Math.abs(w - ref.W[k])).toBeLessThan(1e-4);
    });
  });

  it('computes the learning-rate schedule in the graph', () => {
    const opts: OptimizerOptions = { ...base, lr: 1, warmupSteps: 4, totalSteps: 12 };
    const { lrs } = runSteps(opts, data(1), 13, true);
    const expected = [0.25, 0.5, 0.75, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0, 0];
    lrs.forEach((lr, k) => {
      expect(lr).toBeCloseTo(expected[k], 6);
    });
    expected.forEach((e, k) => {
      expect(learningRateAt(k + 1, opts)).toBeCloseTo(e, 12);
    });
    const constant = runSteps({ ...opts, schedule: 'constant' }, data(1), 6, true).lrs;
    expect(constant.map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
  });

  it('decays only parameters with decay, and leaves a parameter without gradient otherwise unchanged', () => {
    const b = new GraphBuilder('decay');
    const x = b.input('x', 'float32', [2]);
    const used = b.param('used.weight', [2], { kind: 'ones' });
    b.param('unused.weight', [2], { kind: 'ones' });
    b.param('unused.bias', [2], { kind: 'ones' });
    const loss = b.reduceSum(b.mul(x, used), [0], false);
    const tg = buildTrainingGraph(b, loss, { ...base, warmupSteps: 0, schedule: 'constant', lr: 0.5, weightDecay: 0.2, clipNorm: undefined });
    const params = initParams(tg.params, { normal: () => 0 });
    const feeds: Record<string, Tensor> = { x: tensor('float32', [2], [1, -1]), ...Object.fromEntries(params), ...initialState(tg.params), [tg.stepInput]: stepFeed(1) };
    const out = interpret(tg.graph, feeds);
    expect(Array.from(out['updated.unused.weight'].data as Float32Array)).toEqual([0.9, 0.9].map(Math.fround)); // 1 * (1 - 0.5 * 0.2)
    expect(Array.from(out['updated.unused.bias'].data as Float32Array)).toEqual([1, 1]);
    // First Adam step: m_hat / sqrt(v_hat) = sign(g): used = 0.9 - 0.5 * sign(x)
    const u = Array.from(out['updated.used.weight'].data as Float32Array);
    expect(u[0]).toBeCloseTo(0.4, 6);
    expect(u[1]).toBeCloseTo(1.4, 6);
  });

  it('describes its inputs and outputs', () => {
    const tg = regressionGraph(base);
    expect(tg.stepInput).toBe('optimizer.step');
    expect(tg.lossOutput).toBe('loss');
    expect(tg.extraOutputs).toEqual({ abs_error: 'abs_error' });
    expect(tg.gradNormOutput).toBe('optimizer.grad_norm');
    expect(tg.params.map((p) => [p.name, p.decay])).toEqual([
      ['dense.weight', true],
      ['dense.bias', false],
    ]);
    expect(tg.state).toEqual([
      { input: 'dense.weight', output: 'updated.dense.weight' },
      { input: 'optimizer.m.dense.weight', output: 'updated.optimizer.m.dense.weight' },
      { input: 'optimizer.v.dense.weight', output: 'updated.optimizer.v.dense.weight' },
      { input: 'dense.bias', output: 'updated.dense.bias' },
      { input: 'optimizer.m.dense.bias', output: 'updated.optimizer.m.dense.bias' },
      { input: 'optimizer.v.dense.bias', output: 'updated.optimizer.v.dense.bias' },
    ]);
    const inputs = new Set(tg.graph.inputs.map((i) => i.name));
    const outputs = new Set(tg.graph.outputs.map((o) => o.name));
    for (const s of tg.state) {
      expect(inputs.has(s.input)).toBe(true);
      expect(outputs.has(s.output)).toBe(true);
      expect(tg.graph.values.get(s.output)?.shape).toEqual(tg.graph.values.get(s.input)?.shape);
    }
    expect(Object.keys(initialState(tg.params)).sort()).toEqual(['optimizer.m.dense.bias', 'optimizer.m.dense.weight', 'optimizer.v.dense.bias', 'optimizer.v.dense.weight']);
  });

  it('trains a tiny regression problem: the loss falls', () => {
    const opts: OptimizerOptions = { lr: 0.05, warmupSteps: 5, totalSteps: 200, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, schedule: 'linear', clipNorm: 1 };
    const { losses, out } = runSteps(opts, data(3), 150, false);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.05);
    expect(Number(out.abs_error.data[0])).toBeLessThan(0.2);
    for (let k = 20; k < losses.length; k += 20) expect(losses[k]).toBeLessThan(losses[k - 20]);
  });

  it('rejects bad options', () => {
    expect(() => regressionGraph({ ...base, totalSteps: 2 })).toThrow(/totalSteps \(2\) must exceed warmupSteps \(2\)/);
    expect(() => regressionGraph({ ...base, beta2: 1 })).toThrow(/betas/);
  });
});

describe('initParams / initialState', () => {
  const specs: ParamSpec[] = [
    { name: 'w', shape: [200, 50], init: { kind: 'normal', std: 0.02 }, decay: true },
    { name: 'LayerNorm.weight', shape: [50], init: { kind: 'ones' }, decay: false },
    { name: 'b', shape: [50], init: { kind: 'zeros' }, decay: false },
  ];
  it('initialises by spec (plain normal * std, ones, zeros)', () => {
    const r = mulberry(5);
    const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const p = initParams(specs, { normal });
    const w = p.get('w')?.data as Float32Array;
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.06); // not truncated at 2 std
    expect(Array.from(p.get('LayerNorm.weight')?.data as Float32Array).every((v) => v === 1)).toBe(true);
    expect(Array.from(p.get('b')?.data as Float32Array).every((v) => v === 0)).toBe(true);
    const st = initialState(specs);
    expect(st['optimizer.m.w'].shape).toEqual([200, 50]);
    expect(Array.from(st['optimizer.v.b'].data as Float32Array).every((v) => v === 0)).toBe(true);
  });

  it('uses existing weights and checks their shapes by name', () => {
    const existing = new Map<string, Tensor>([['b', tensor('float32', [50], new Float32Array(50).fill(3))]]);
    const p = initParams(specs, { normal: () => 1 }, existing);
    expect(p.get('b')).toBe(existing.get('b'));
    expect(p.get('w')?.data[0]).toBeCloseTo(0.02, 8);
    expect(() => initParams(specs, { normal: () => 0 }, new Map([['w', tensor('float32', [50, 200])]]))).toThrow(
      /parameter "w" has shape \[50, 200\] in the checkpoint but the model expects \[200, 50\]/,
    );
  });
});

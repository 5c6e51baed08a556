import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Value } from './builder';
import type { Shape, Tensor } from './ir';
import { tensor } from './ir';
import { erf, interpret, interpretedOps } from './interpret';

type Feeds = Record<string, Tensor>;

/** Builds a graph with inputs from `feeds` (declared with their own shapes unless `declared` says otherwise). */
function run(feeds: Feeds, body: (b: GraphBuilder, x: Record<string, Value>) => Value | Record<string, Value>, declared: Record<string, Shape> = {}): Record<string, Tensor> {
  const b = new GraphBuilder('t');
  const x: Record<string, Value> = {};
  for (const [name, t] of Object.entries(feeds)) x[name] = b.input(name, t.dtype, declared[name] ?? t.shape);
  const out = body(b, x);
  const outs = 'dtype' in out && typeof out.dtype === 'string' ? { out: out as Value } : (out as Record<string, Value>);
  for (const [k, v] of Object.entries(outs)) b.output(k, v);
  return interpret(b.build(), feeds);
}

const f32 = (shape: number[], data: number[]) => tensor('float32', shape, data);
const i32 = (shape: number[], data: number[]) => tensor('int32', shape, data);
const i64 = (shape: number[], data: number[]) => tensor('int64', shape, data);
const vals = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

function close(actual: Tensor, shape: number[], expected: number[], tol = 1e-6): void {
  expect(actual.shape).toEqual(shape);
  const a = vals(actual);
  expect(a.length).toBe(expected.length);
  a.forEach((v, i) => {
    expect(Math.abs(v - expected[i]), `element ${i}: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i])));
  });
}

describe('interpret: elementwise', () => {
  it('broadcasts binary arithmetic', () => {
    const a = f32([2, 1], [1, 2]);
    const b = f32([3], [10, 20, 30]);
    const o = run({ a, b }, (g, x) => ({ add: g.add(x.a, x.b), sub: g.sub(x.a, x.b), mul: g.mul(x.a, x.b), div: g.div(x.b, x.a) }));
    close(o.add, [2, 3], [11, 21, 31, 12, 22, 32]);
    close(o.sub, [2, 3], [-9, -19, -29, -8, -18, -28]);
    close(o.mul, [2, 3], [10, 20, 30, 20, 40, 60]);
    close(o.div, [2, 3], [10, 20, 30, 5, 10, 15]);
  });

  it('Pow, Max, Min, Neg and integer arithmetic', () => {
    const o = run({ a: f32([3], [2, -3, 0.5]), b: f32([3], [3, 2, -1]) }, (g, x) => ({ pow: g.pow(x.a, x.b), max: g.max(x.a, x.b), min: g.min(x.a, 0), neg: g.neg(x.a) }));
    close(o.pow, [3], [8, 9, 2]);
    close(o.max, [3], [3, 2, 0.5]);
    close(o.min, [3], [0, -3, 0]);
    close(o.neg, [3], [-2, 3, -0.5]);
    const ints = run({ a: i32([4], [7, -7, 7, -7]), b: i32([4], [2, 2, -2, -2]) }, (g, x) => ({ div: g.div(x.a, x.b), add: g.add(x.a, x.b), mul: g.mul(x.a, x.b) }));
    expect(ints.div.dtype).toBe('int32');
    expect(vals(ints.div)).toEqual([3, -3, -3, 3]); // truncation toward zero
    expect(vals(ints.add)).toEqual([9, -5, 5, -9]);
    const longs = run({ a: i64([2], [5, -9]), b: i64([1], [2]) }, (g, x) => ({ div: g.div(x.a, x.b), mul: g.mul(x.a, x.b) }));
    expect(longs.div.data).toBeInstanceOf(BigInt64Array);
    expect(vals(longs.div)).toEqual([2, -4]);
    expect(vals(longs.mul)).toEqual([10, -18]);
  });

  it('unary float ops', () => {
    const o = run({ x: f32([4], [-1, 0, 0.5, 2]) }, (g, x) => ({
      exp: g.exp(x.x),
      tanh: g.tanh(x.x),
      sigmoid: g.sigmoid(x.x),
      relu: g.relu(x.x),
      erf: g.erf(x.x),
      id: g.identity(x.x),
    }));
    close(o.exp, [4], [Math.exp(-1), 1, Math.exp(0.5), Math.exp(2)]);
    close(o.tanh, [4], [Math.tanh(-1), 0, Math.tanh(0.5), Math.tanh(2)]);
    close(o.sigmoid, [4], [1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-0.5)), 1 / (1 + Math.exp(-2))]);
    close(o.relu, [4], [0, 0, 0.5, 2]);
    close(o.erf, [4], [-0.8427007929497149, 0, 0.5204998778130465, 0.9953222650189527]);
    close(o.id, [4], [-1, 0, 0.5, 2]);
    const p = run({ x: f32([3], [0.25, 1, 4]) }, (g, x) => ({ sqrt: g.sqrt(x.x), log: g.log(x.x) }));
    close(p.sqrt, [3], [0.5, 1, 2]);
    close(p.log, [3], [Math.log(0.25), 0, Math.log(4)]);
  });

  it('erf is accurate to double precision', () => {
    const table: [number, number][] = [
      [0.1, 0.1124629160182849],
      [1, 0.8427007929497149],
      [2.5, 0.9995930479825550],
      [3, 0.9999779095030014],
      [4.5, 0.9999999998033839],
      [-0.7, -0.6778011938374184],
    ];
    for (const [x, e] of table) expect(Math.abs(erf(x) - e)).toBeLessThan(1e-15);
    expect(erf(7)).toBe(1);
    expect(erf(-7)).toBe(-1);
  });

  it('comparisons, Not, Where', () => {
    const o = run({ a: f32([2, 2], [1, 2, 3, 4]), b: f32([2], [2, 2]), c: tensor('bool', [2, 1], [1, 0]) }, (g, x) => ({
      eq: g.equal(x.a, x.b),
      lt: g.less(x.a, x.b),
      gt: g.greater(x.a, x.b),
      not: g.not(g.less(x.a, x.b)),
      where: g.where(x.c, x.a, g.scalar(-1)),
    }));
    expect(o.eq.dtype).toBe('bool');
    expect(vals(o.eq)).toEqual([0, 1, 0, 0]);
    expect(vals(o.lt)).toEqual([1, 0, 0, 0]);
    expect(vals(o.gt)).toEqual([0, 0, 1, 1]);
    expect(vals(o.not)).toEqual([0, 1, 1, 1]);
    close(o.where, [2, 2], [1, 2, -1, -1]);
  });

  it('Cast between float, int32, int64 and bool', () => {
    const o = run({ x: f32([4], [-1.7, 0, 2.9, 0.5]) }, (g, x) => ({ i: g.cast(x.x, 'int32'), l: g.cast(x.x, 'int64'), bo: g.cast(x.x, 'bool') }));
    expect(vals(o.i)).toEqual([-1, 0, 2, 0]);
    expect(o.l.data).toBeInstanceOf(BigInt64Array);
    expect(vals(o.l)).toEqual([-1, 0, 2, 0]);
    expect(vals(o.bo)).toEqual([1, 0, 1, 1]);
    const p = run({ b: tensor('bool', [2], [1, 0]), l: i64([2], [3, -4]) }, (g, x) => ({ f: g.cast(x.b, 'float32'), i: g.cast(x.l, 'int32') }));
    expect(p.f.data).toBeInstanceOf(Float32Array);
    expect(vals(p.f)).toEqual([1, 0]);
    expect(vals(p.i)).toEqual([3, -4]);
  });
});

describe('interpret: MatMul', () => {
  it('2-D, batched with broadcasting, and 1-D operands', () => {
    const o = run({ a: f32([2, 2], [1, 2, 3, 4]), b: f32([2, 2], [5, 6, 7, 8]) }, (g, x) => g.matmul(x.a, x.b));
    close(o.out, [2, 2], [19, 22, 43, 50]);
    // [2, 1, 1, 2] @ [3, 2, 1] -> [2, 3, 1, 1]
    const a = f32([2, 1, 1, 2], [1, 2, 3, 4]);
    const b = f32([3, 2, 1], [1, 1, 2, 0, 0, 3]);
    const p = run({ a, b }, (g, x) => g.matmul(x.a, x.b));
    close(p.out, [2, 3, 1, 1], [3, 2, 6, 7, 6, 12]);
    const b1 = new GraphBuilder('vec');
    const m = b1.input('m', 'float32', [2, 3]);
    const v = b1.input('v', 'float32', [3]);
    b1.output('mv', b1.node('MatMul', [m, v], [{ dtype: 'float32', shape: [2] }])[0]);
    const r = interpret(b1.build(), { m: f32([2, 3], [1, 2, 3, 4, 5, 6]), v: f32([3], [1, 0, -1]) });
    close(r.mv, [2], [-2, -2]);
  });
});

describe('interpret: indexing', () => {
  it('Gather with negative indices, on other axes, with a scalar index', () => {
    const table = f32([3, 2], [0, 1, 10, 11, 20, 21]);
    const o = run({ table, ids: i32([2, 2], [2, -3, -1, 1]) }, (g, x) => g.gather(x.table, x.ids));
    close(o.out, [2, 2, 2], [20, 21, 0, 1, 20, 21, 10, 11]);
    const p = run({ table }, (g, x) => ({ col: g.gather(x.table, g.constant(i64([1], [-1])), 1), first: g.gather(x.table, g.constant(i64([], [0])), 0) }));
    close(p.col, [3, 1], [1, 11, 21]);
    close(p.first, [2], [0, 1]);
    expect(() => run({ table, ids: i32([1], [3]) }, (g, x) => g.gather(x.table, x.ids))).toThrow(/index 3 out of range/);
  });

  it('GatherElements and ScatterElements (none / add with duplicates)', () => {
    const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const o = run({ x, i: i32([2, 2], [2, 0, -1, 1]) }, (g, v) => g.gatherElements(v.x, v.i, 1));
    close(o.out, [2, 2], [3, 1, 6, 5]);
    const data = f32([3, 2], [0, 0, 0, 0, 0, 0]);
    const idx = i64([3, 2], [0, 1, 0, 1, 2, 0]);
    const upd = f32([3, 2], [1, 2, 3, 4, 5, 6]);
    const s = run({ data, idx, upd }, (g, v) => ({ add: g.scatterElements(v.data, v.idx, v.upd, 0, 'add'), none: g.scatterElements(v.data, v.idx, v.upd, 0, 'none') }));
    close(s.add, [3, 2], [4, 6, 0, 6, 5, 0]);
    close(s.none, [3, 2], [3, 6, 0, 4, 5, 0]); // duplicates: the last write wins in the reference
  });
});

describe('interpret: normalisation', () => {
  it('Softmax and LogSoftmax on an axis', () => {
    const o = run({ x: f32([2, 3], [1, 2, 3, 1000, 1000, 1000]) }, (g, v) => ({ sm: g.softmax(v.x), lsm: g.logSoftmax(v.x), col: g.softmax(v.x, 0) }));
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const z = e[0] + e[1] + e[2];
    close(o.sm, [2, 3], [e[0] / z, e[1] / z, e[2] / z, 1 / 3, 1 / 3, 1 / 3]);
    close(o.lsm, [2, 3], [-2 - Math.log(z), -1 - Math.log(z), -Math.log(z), -Math.log(3), -Math.log(3), -Math.log(3)]);
    close(o.col, [2, 3], [0, 0, 0, 1, 1, 1]);
  });

  it('LayerNormalization returns Y, Mean and InvStdDev', () => {
    const o = run({ x: f32([2, 4], [1, 2, 3, 4, 2, 2, 2, 2]), g: f32([4], [1, 2, 1, 1]), b: f32([4], [0, 0, 1, 0]) }, (b, v) => {
      const r = b.layerNormFull(v.x, v.g, v.b, 1e-5);
      return { y: r.y, mean: r.mean, inv: r.invStd };
    });
    const inv = 1 / Math.sqrt(1.25 + 1e-5);
    close(o.mean, [2, 1], [2.5, 2]);
    close(o.inv, [2, 1], [inv, 1 / Math.sqrt(1e-5)], 1e-5);
    close(o.y, [2, 4], [-1.5 * inv, -0.5 * inv * 2, 0.5 * inv + 1, 1.5 * inv, 0, 0, 1, 0], 1e-5);
  });
});

describe('interpret: reductions', () => {
  it('ReduceSum / ReduceMean / ReduceMax with keepdims and empty axes', () => {
    const x = f32([2, 3], [1, 2, 3, 4, 5, 9]);
    const o = run({ x }, (g, v) => ({
      sum0: g.reduceSum(v.x, [0], false),
      sum1: g.reduceSum(v.x, [1], true),
      mean: g.reduceMean(v.x, [0, 1], false),
      max: g.reduceMax(v.x, [1], false),
      all: g.node('ReduceSum', [v.x, g.int64s([])], [{ dtype: 'float32', shape: [1, 1] }], { keepdims: 1 })[0],
      neg: g.node('ReduceMean', [v.x], [{ dtype: 'float32', shape: [2] }], { axes: [-1], keepdims: 0 })[0],
    }));
    close(o.sum0, [3], [5, 7, 12]);
    close(o.sum1, [2, 1], [6, 18]);
    close(o.mean, [], [4]);
    close(o.max, [2], [3, 9]);
    close(o.all, [1, 1], [24]);
    close(o.neg, [2], [2, 6]);
  });
});

describe('interpret: shape ops', () => {
  const x = f32([2, 3, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  it('Reshape with 0 and -1, Transpose, Shape', () => {
    const o = run({ x }, (g, v) => ({
      r: g.reshape(v.x, [0, -1]),
      t: g.transpose(v.x, [2, 0, 1]),
      s: g.shapeOf(v.x),
      s2: g.node('Shape', [v.x], [{ dtype: 'int64', shape: [1] }], { start: -1 })[0],
    }));
    close(o.r, [2, 6], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    close(o.t, [2, 2, 3], [0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]);
    expect(o.s.dtype).toBe('int64');
    expect(vals(o.s)).toEqual([2, 3, 2]);
    expect(vals(o.s2)).toEqual([2]);
  });

  it('Concat, Unsqueeze, Squeeze, Expand', () => {
    const o = run({ a: f32([2, 1], [1, 2]), b: f32([2, 2], [3, 4, 5, 6]) }, (g, v) => ({
      c: g.concat([v.a, v.b], 1),
      cn: g.node('Concat', [v.b, v.a], [{ dtype: 'float32', shape: [2, 3] }], { axis: -1 })[0],
      u: g.unsqueeze(v.a, [0]),
      s: g.squeeze(v.a, [1]),
      e: g.expand(v.a, g.int64s([3, 1, 2]), [3, 2, 2]),
    }));
    close(o.c, [2, 3], [1, 3, 4, 2, 5, 6]);
    close(o.cn, [2, 3], [3, 4, 1, 5, 6, 2]);
    close(o.u, [1, 2, 1], [1, 2]);
    close(o.s, [2], [1, 2]);
    close(o.e, [3, 2, 2], [1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2]);
  });

  it('Slice with negative, large and stepped indices', () => {
    const v = f32([2, 5], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const o = run({ v }, (g, x) => ({
      neg: g.slice(x.v, [-3], [-1], [1]),
      big: g.slice(x.v, [1, 3], [1000, 2 ** 31 - 1], [0, 1]),
      step: g.node('Slice', [x.v, g.int64s([4]), g.int64s([-1000]), g.int64s([-1]), g.int64s([-2])], [{ dtype: 'float32', shape: [2, 3] }])[0],
      empty: g.slice(x.v, [3], [1], [1]),
    }));
    close(o.neg, [2, 2], [2, 3, 7, 8]);
    close(o.big, [1, 2], [8, 9]);
    close(o.step, [2, 3], [4, 2, 0, 9, 7, 5]);
    close(o.empty, [2, 0], []);
  });
});

describe('interpret: feeds, symbols and errors', () => {
  it('binds symbolic dimensions from the feeds', () => {
    const b = new GraphBuilder('sym');
    const x = b.input('x', 'float32', ['batch', 'seq']);
    const m = b.input('m', 'float32', ['batch', 1]);
    b.output('y', b.reshape(b.mul(x, m), [-1]));
    const g = b.build();
    close(interpret(g, { x: f32([2, 3], [1, 2, 3, 4, 5, 6]), m: f32([2, 1], [1, -1]) }).y, [6], [1, 2, 3, -4, -5, -6]);
    close(interpret(g, { x: f32([1, 2], [1, 2]), m: f32([1, 1], [3]) }).y, [2], [3, 6]);
    expect(() => interpret(g, { x: f32([2, 3], [1, 2, 3, 4, 5, 6]), m: f32([3, 1], [1, 1, 1]) })).toThrow(/input "m" has shape \[3, 1\], expected float32 \[batch, 1\].*"batch" is 3 here but 2 elsewhere/);
  });

  it('names the input on a missing feed, a wrong shape, a wrong dtype, an unknown feed', () => {
    const b = new GraphBuilder('err');
    const x = b.input('x', 'float32', ['n', 4]);
    b.output('y', b.relu(x));
    const g = b.build();
    expect(() => interpret(g, {})).toThrow(/missing feed for graph input "x" \(expected float32 \[n, 4\]\)/);
    expect(() => interpret(g, { x: f32([2, 3], [1, 2, 3, 4, 5, 6]) })).toThrow(/input "x" has shape \[2, 3\], expected float32 \[n, 4\] \(dimension 1 is 3, not 4\)/);
    expect(() => interpret(g, { x: i32([1, 4], [1, 2, 3, 4]) })).toThrow(/input "x" is int32, expected float32/);
    expect(() => interpret(g, { x: f32([1, 4], [1, 2, 3, 4]), z: f32([1], [1]) })).toThrow(/feed "z" is not an input/);
  });

  it('reports a node whose result disagrees with the declared shape', () => {
    const b = new GraphBuilder('bad');
    const x = b.input('x', 'float32', [2, 3]);
    b.output('y', b.node('Relu', [x], [{ dtype: 'float32', shape: [3, 2] }])[0]);
    expect(() => interpret(b.build(), { x: f32([2, 3], [1, 2, 3, 4, 5, 6]) })).toThrow(/computed shape \[2, 3\].*declares \[3, 2\]/);
  });

  it('float64 mode computes and returns double precision', () => {
    const b = new GraphBuilder('f64');
    const x = b.input('x', 'float32', [1]);
    b.output('y', b.sub(b.add(x, 1e-9), x));
    const g = b.build();
    const single = interpret(g, { x: f32([1], [1]) });
    expect(single.y.data).toBeInstanceOf(Float32Array);
    const dbl = interpret(g, { x: { dtype: 'float32', shape: [1], data: new Float64Array([1]) } }, { float64: true });
    expect(dbl.y.data).toBeInstanceOf(Float64Array);
    // The constant 1e-9 is stored as float32 in the graph; the arithmetic is double.
    expect(Math.abs(Number(dbl.y.data[0]) - Math.fround(1e-9))).toBeLessThan(1e-15);
    expect(Number(single.y.data[0])).toBe(0);
  });

  it('has a kernel for every op', () => {
    expect(interpretedOps().length).toBe(42);
  });
});

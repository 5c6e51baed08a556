/**
 * The shared op conformance suite (`@ssbench/graph/testing`): every backend runs these graphs and compares its
 * outputs with the reference interpreter (`interpret`).
 *
 * Covers every op in `OpType` (ONNX opset 17 semantics) with broadcasting variants, negative axes, symbolic
 * dimensions fed with concrete shapes, Reshape 0/-1, ScatterElements and ScatterND add with duplicate indices, the three
 * outputs of LayerNormalization, plus two composites: an attention block forward and three steps of a training
 * graph (tiny transformer layer + cross-entropy + AdamW from `buildTrainingGraph`) whose updated state is fed back.
 *
 * Feeds come from a small local seeded RNG (mulberry32) keyed by the case name, so every run is identical.
 *
 * Usage in a backend's test:
 *   const results = await checkConformance((graph, feeds) => myBackend.run(graph, feeds));
 *   expect(results.filter((r) => !r.ok)).toEqual([]);
 */
import { GraphBuilder, type Value } from './builder';
import type { DType, Graph, Shape, Tensor } from './ir';
import { sizeOf, tensor } from './ir';
import { interpret } from './interpret';
import { buildTrainingGraph } from './train';

export interface ConformanceCase {
  readonly name: string;
  build(): { graph: Graph; feeds: Record<string, Tensor> };
  /** Allowed |actual - expected| per element, scaled by max(1, |expected|). */
  readonly tolerance: number;
  /** Run this many times (default 1), feeding each run's outputs into the next run's feeds with `next`. */
  readonly steps?: number;
  next?(feeds: Readonly<Record<string, Tensor>>, outputs: Readonly<Record<string, Tensor>>, step: number): Record<string, Tensor>;
}

export interface ConformanceResult {
  name: string;
  maxAbsDiff: number;
  ok: boolean;
  error?: string;
}

export type GraphRunner = (graph: Graph, feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>;

// ---- deterministic feeds ----------------------------------------------------------------------------------

interface Rng {
  next(): number;
  normal(): number;
  int(n: number): number;
}

/** mulberry32 (Tommy Ettinger), seeded by an FNV-1a hash of the case name. */
function rngFor(name: string): Rng {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  let s = h >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    int: (n) => Math.floor(next() * n),
  };
}

/** Declares graph inputs and records their (random) feeds. */
class Feeder {
  readonly feeds: Record<string, Tensor> = {};

  constructor(
    readonly b: GraphBuilder,
    readonly rng: Rng,
  ) {}

  /** Uniform float32 in [lo, hi); `declared` is the graph's (possibly symbolic) shape, `shape` the fed one. */
  float(name: string, shape: readonly number[], lo = -1, hi = 1, declared: Shape = shape): Value {
    const data = new Float32Array(sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * this.rng.next();
    this.feeds[name] = tensor('float32', shape, data);
    return this.b.input(name, 'float32', declared);
  }

  /** Float32 with integer values in [lo, hi] (so Equal has ties). */
  intValuedFloat(name: string, shape: readonly number[], lo: number, hi: number): Value {
    const data = Float32Array.from({ length: sizeOf(shape) }, () => lo + this.rng.int(hi - lo + 1));
    this.feeds[name] = tensor('float32', shape, data);
    return this.b.input(name, 'float32', shape);
  }

  ints(name: string, dtype: 'int32' | 'int64', shape: readonly number[], values: readonly number[] | { lo: number; hi: number }, declared: Shape = shape): Value {
    const n = sizeOf(shape);
    const vals = Array.isArray(values) ? (values as number[]) : Array.from({ length: n }, () => (values as { lo: number }).lo + this.rng.int((values as { hi: number }).hi - (values as { lo: number }).lo + 1));
    this.feeds[name] = tensor(dtype, shape, vals);
    return this.b.input(name, dtype, declared);
  }

  bool(name: string, shape: readonly number[]): Value {
    const data = Uint8Array.from({ length: sizeOf(shape) }, () => (this.rng.next() < 0.5 ? 1 : 0));
    this.feeds[name] = tensor('bool', shape, data);
    return this.b.input(name, 'bool', shape);
  }

  /** A parameter N(0, std^2) (or `fill` for all elements), fed. */
  param(name: string, shape: readonly number[], std = 0.3, fill?: number): Value {
    const data = Float32Array.from({ length: sizeOf(shape) }, () => (fill !== undefined ? fill + 0.1 * this.rng.normal() : std * this.rng.normal()));
    this.feeds[name] = tensor('float32', shape, data);
    return this.b.param(name, shape, fill === undefined ? { kind: 'normal', std } : fill === 0 ? { kind: 'zeros' } : { kind: 'ones' });
  }
}

type Body = (b: GraphBuilder, f: Feeder) => Value | Record<string, Value>;

function isValue(x: Value | Record<string, Value>): x is Value {
  return typeof (x as Value).name === 'string' && typeof (x as Value).dtype === 'string' && Array.isArray((x as Value).shape);
}

function kase(name: string, body: Body, tolerance = 1e-5): ConformanceCase {
  return {
    name,
    tolerance,
    build() {
      const b = new GraphBuilder(name.replace(/[^\w.]/g, '_'));
      const f = new Feeder(b, rngFor(name));
      const outs = body(b, f);
      const rec: Record<string, Value> = isValue(outs) ? { out: outs } : outs;
      for (const [k, v] of Object.entries(rec)) b.output(k, v);
      return { graph: b.build(), feeds: f.feeds };
    },
  };
}

/** A node written directly (attributes such as negative axes that the builder would normalise). */
function raw(b: GraphBuilder, op: Parameters<GraphBuilder['node']>[0], inputs: (Value | null)[], dtype: DType, shape: Shape, attrs: Record<string, number | number[] | string> = {}): Value {
  return b.node(op, inputs, [{ dtype, shape }], attrs)[0];
}

// ---- the cases --------------------------------------------------------------------------------------------

function elementwiseCases(): ConformanceCase[] {
  const S = [2, 3, 4];
  const binary = (op: 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min', lo = -2, hi = 2): ConformanceCase[] => [
    kase(`${op}.same`, (b, f) => b[op](f.float('a', S, lo, hi), f.float('b', S, lo, hi))),
    kase(`${op}.broadcast_trailing`, (b, f) => b[op](f.float('a', S, lo, hi), f.float('b', [4], lo, hi))),
    kase(`${op}.broadcast_both`, (b, f) => b[op](f.float('a', [2, 1, 4], lo, hi), f.float('b', [3, 1], lo, hi))),
    kase(`${op}.scalar_constant`, (b, f) => b[op](f.float('a', S, lo, hi), 1.5)),
  ];
  const unary = (op: 'neg' | 'sqrt' | 'exp' | 'log' | 'erf' | 'tanh' | 'sigmoid' | 'relu' | 'identity', lo: number, hi: number, tol = 1e-5) =>
    kase(op, (b, f) => b[op](f.float('x', S, lo, hi)), tol);
  return [
    ...binary('add'),
    kase('add.int32', (b, f) => b.add(f.ints('a', 'int32', [2, 3], { lo: -50, hi: 50 }), f.ints('b', 'int32', [3], { lo: -50, hi: 50 }))),
    kase('add.int64', (b, f) => b.add(f.ints('a', 'int64', [2, 3], { lo: -50, hi: 50 }), f.ints('b', 'int64', [1], [7]))),
    ...binary('sub'),
    ...binary('mul'),
    kase('mul.int32', (b, f) => b.mul(f.ints('a', 'int32', [4], [-3, 0, 2, 7]), f.ints('b', 'int32', [4], [5, 9, -4, 3]))),
    ...binary('div', 0.5, 2),
    kase('div.negative_denominator', (b, f) => b.div(f.float('a', S), f.float('b', [4], -2, -0.5))),
    kase('div.int32_truncates', (b, f) => b.div(f.ints('a', 'int32', [4], [7, -7, 7, -7]), f.ints('b', 'int32', [4], [2, 2, -2, -2]))),
    ...binary('max'),
    ...binary('min'),
    kase('pow.square', (b, f) => b.pow(f.float('x', S, -2, 2), 2)),
    kase('pow.sqrt', (b, f) => b.pow(f.float('x', S, 0.1, 3), 0.5)),
    kase('pow.cube_negative_base', (b, f) => b.pow(f.float('x', S, -2, 2), 3)),
    kase('pow.tensor_exponent', (b, f) => b.pow(f.float('x', S, 0.2, 2), f.float('p', [4], -1.5, 1.5))),
    unary('neg', -2, 2),
    unary('sqrt', 0, 4),
    unary('exp', -3, 3),
    unary('log', 0.05, 5),
    unary('erf', -3.5, 3.5),
    unary('tanh', -4, 4),
    unary('sigmoid', -10, 10),
    unary('relu', -2, 2),
    unary('identity', -2, 2),
    kase('neg.int32', (b, f) => b.neg(f.ints('x', 'int32', [3], [4, -5, 0]))),
    kase('equal.float', (b, f) => b.equal(f.intValuedFloat('a', S, 0, 2), f.intValuedFloat('b', [4], 0, 2))),
    kase('equal.int32', (b, f) => b.equal(f.ints('a', 'int32', [2, 3], { lo: 0, hi: 2 }), f.ints('b', 'int32', [2, 1], { lo: 0, hi: 2 }))),
    kase('equal.int64_scalar', (b, f) => b.equal(f.ints('a', 'int64', [5], [0, 1, 2, 1, 0]), b.constant(tensor('int64', [], [1])))),
    kase('less.broadcast', (b, f) => b.less(f.intValuedFloat('a', S, 0, 3), f.intValuedFloat('b', [3, 1], 0, 3))),
    kase('less.int32', (b, f) => b.less(f.ints('a', 'int32', [6], { lo: -2, hi: 2 }), f.ints('b', 'int32', [6], { lo: -2, hi: 2 }))),
    kase('greater.broadcast', (b, f) => b.greater(f.float('a', S), f.float('b', [4]))),
    kase('greater.scalar', (b, f) => b.greater(f.float('a', S), 0)),
    kase('not', (b, f) => b.not(f.bool('c', S))),
    kase('not.of_less', (b, f) => b.not(b.less(f.float('a', S), f.float('b', [1, 4])))),
    kase('where.same', (b, f) => b.where(f.bool('c', S), f.float('a', S), f.float('b', S))),
    kase('where.broadcast', (b, f) => b.where(f.bool('c', [2, 1, 4]), f.float('a', [3, 1]), b.scalar(-1e4))),
    kase('where.int32', (b, f) => b.where(f.bool('c', [4]), f.ints('a', 'int32', [4], [1, 2, 3, 4]), f.ints('b', 'int32', [1], [-1]))),
    kase('cast.float_to_int32', (b, f) => b.cast(f.float('x', [8], -5, 5), 'int32')),
    kase('cast.float_to_int64', (b, f) => b.cast(f.float('x', [8], -5, 5), 'int64')),
    kase('cast.float_to_bool', (b) => b.cast(b.constant(tensor('float32', [4], [0, 1.5, -2, 0])), 'bool')),
    kase('cast.int32_to_float', (b, f) => b.cast(f.ints('x', 'int32', [5], [-3, 0, 1, 1000, 7]), 'float32')),
    kase('cast.int64_to_int32', (b, f) => b.cast(f.ints('x', 'int64', [4], [-3, 0, 123456, 7]), 'int32')),
    kase('cast.int32_to_int64', (b, f) => b.cast(f.ints('x', 'int32', [3], [-3, 0, 99]), 'int64')),
    kase('cast.bool_to_float', (b, f) => b.cast(f.bool('c', S), 'float32')),
    kase('cast.bool_to_int32', (b, f) => b.cast(f.bool('c', [6]), 'int32')),
    kase('cast.float_to_float', (b, f) => b.cast(f.float('x', S), 'float32')),
  ];
}

function linalgCases(): ConformanceCase[] {
  return [
    kase('matmul.2d', (b, f) => b.matmul(f.float('a', [3, 4]), f.float('b', [4, 5]))),
    kase('matmul.batched', (b, f) => b.matmul(f.float('a', [2, 3, 4]), f.float('b', [2, 4, 5]))),
    kase('matmul.shared_weight', (b, f) => b.matmul(f.float('a', [2, 3, 4]), f.float('b', [4, 5]))),
    kase('matmul.broadcast_batch', (b, f) => b.matmul(f.float('a', [2, 1, 3, 4]), f.float('b', [3, 4, 5]))),
    kase('matmul.broadcast_lhs', (b, f) => b.matmul(f.float('a', [3, 4]), f.float('b', [2, 4, 5]))),
    kase('matmul.larger', (b, f) => b.matmul(f.float('a', [17, 33]), f.float('b', [33, 9])), 1e-5),
    kase('gemm.plain', (b, f) => b.gemm(f.float('a', [3, 4]), f.float('b', [4, 5]), f.float('c', [3, 5]))),
    kase('gemm.dense_layer', (b, f) => b.gemm(f.float('x', [6, 4], -1, 1, ['rows', 4]), f.float('w', [5, 4]), f.float('bias', [5]), { transB: true })),
    kase('gemm.transA_alpha_c_column', (b, f) => b.gemm(f.float('a', [4, 3]), f.float('b', [4, 5]), f.float('c', [3, 1]), { transA: true, alpha: 0.5 })),
    kase('gemm.both_transposed_beta_scalar_c', (b, f) =>
      b.gemm(f.float('a', [4, 3]), f.float('b', [5, 4]), f.float('c', []), { transA: true, transB: true, alpha: -1.5, beta: 2 }),
    ),
    kase('gemm.no_c', (b, f) => b.gemm(f.float('a', [3, 4]), f.float('b', [5, 4]), null, { transB: true })),
    kase('gemm.larger', (b, f) => b.gemm(f.float('x', [33, 17]), f.float('w', [9, 17]), f.float('bias', [9]), { transB: true }), 1e-5),
  ];
}

function indexingCases(): ConformanceCase[] {
  return [
    kase('gather.rows_int32_2d_indices', (b, f) => b.gather(f.float('table', [7, 3]), f.ints('ids', 'int32', [2, 3], [0, 6, 2, 2, -1, -7]))),
    kase('gather.rows_int64', (b, f) => b.gather(f.float('table', [5, 4]), f.ints('ids', 'int64', [4], [4, 0, 0, 3]))),
    kase('gather.axis1', (b, f) => b.gather(f.float('x', [2, 5, 3]), f.ints('ids', 'int32', [2], [4, -2]), 1)),
    kase('gather.scalar_index', (b, f) => b.gather(f.float('x', [2, 5, 3]), b.constant(tensor('int64', [], [0])), 1)),
    kase('gather.negative_axis', (b, f) => raw(b, 'Gather', [f.float('x', [2, 3, 4]), f.ints('ids', 'int32', [2], [3, 0])], 'float32', [2, 3, 2], { axis: -1 })),
    kase('gather.int64_data', (b, f) => b.gather(f.ints('x', 'int64', [4], [10, 20, 30, 40]), f.ints('ids', 'int32', [3], [3, 1, -4]))),
    kase('gather_elements.labels', (b, f) => b.gatherElements(f.float('logp', [4, 6]), f.ints('labels', 'int32', [4, 1], [5, 0, 2, 5]), 1)),
    kase('gather_elements.axis0', (b, f) => b.gatherElements(f.float('x', [3, 4]), f.ints('i', 'int64', [2, 4], [0, 2, 1, 2, -1, 0, 0, 1]), 0)),
    kase('gather_elements.negative_axis', (b, f) => raw(b, 'GatherElements', [f.float('x', [2, 3]), f.ints('i', 'int32', [2, 2], [2, -3, 1, 1])], 'float32', [2, 2], { axis: -1 })),
    kase('scatter_elements.none', (b, f) => b.scatterElements(f.float('x', [3, 4]), f.ints('i', 'int32', [1, 4], [2, 0, 1, -1]), f.float('u', [1, 4]), 0)),
    kase('scatter_elements.add_duplicates', (b, f) =>
      b.scatterElements(f.float('x', [4, 3]), f.ints('i', 'int64', [5, 3], [0, 0, 0, 3, 3, 1, 0, 2, 2, 1, 1, 1, 0, 0, 3]), f.float('u', [5, 3]), 0, 'add'),
    ),
    kase('scatter_elements.add_axis1', (b, f) => b.scatterElements(f.float('x', [2, 5]), f.ints('i', 'int32', [2, 3], [4, 4, 0, 1, -1, 1]), f.float('u', [2, 3]), 1, 'add')),
    kase('scatter_elements.add_into_zeros', (b, f) => {
      // The embedding-gradient pattern: scatter rows of updates into an expanded zero table.
      const u = f.float('u', [6, 3]);
      const ids = f.ints('ids', 'int32', [6, 1], [1, 4, 1, 0, 4, 4]);
      const zeros = b.expand(b.scalar(0), b.int64s([5, 3]), [5, 3]);
      return b.scatterElements(zeros, b.expand(ids, b.shapeOf(u), [6, 3]), u, 0, 'add');
    }),
    kase('scatter_nd.rows_add_duplicates', (b, f) =>
      // The embedding-gradient pattern: rows of updates added into a zero table, repeated ids summed.
      b.scatterND(b.expand(b.scalar(0), b.int64s([5, 3]), [5, 3]), f.ints('ids', 'int64', [6, 1], [1, 4, 1, 0, 4, 4]), f.float('u', [6, 3]), 'add'),
    ),
    kase('scatter_nd.rows_add_symbolic', (b, f) =>
      b.scatterND(f.float('x', [4, 2, 3]), f.ints('ids', 'int64', [5, 1], [3, 0, 3, 3, 2], ['n', 1]), f.float('u', [5, 2, 3], -1, 1, ['n', 2, 3]), 'add'),
    ),
    kase('scatter_nd.elements_none', (b, f) => b.scatterND(f.float('x', [3, 4]), f.ints('ids', 'int64', [2, 2], [2, 1, 0, 3]), f.float('u', [2]))),
  ];
}

function normalisationCases(): ConformanceCase[] {
  return [
    kase('softmax.last', (b, f) => b.softmax(f.float('x', [2, 3, 5], -3, 3))),
    kase('softmax.axis1', (b, f) => b.softmax(f.float('x', [2, 3, 5], -3, 3), 1)),
    kase('softmax.large_values', (b, f) => b.softmax(f.float('x', [3, 4], 50, 60))),
    kase('softmax.masked', (b, f) => b.softmax(b.add(f.float('x', [2, 4]), b.constant(tensor('float32', [4], [0, 0, -1e4, -1e4]))))),
    kase('logsoftmax.last', (b, f) => b.logSoftmax(f.float('x', [4, 7], -3, 3))),
    kase('logsoftmax.axis0', (b, f) => b.logSoftmax(f.float('x', [4, 7], -3, 3), 0)),
    kase('logsoftmax.negative_axis_attr', (b, f) => raw(b, 'LogSoftmax', [f.float('x', [2, 3, 4], -3, 3)], 'float32', [2, 3, 4], { axis: -2 })),
    kase('layernorm.three_outputs', (b, f) => {
      const { y, mean, invStd } = b.layerNormFull(f.float('x', [2, 3, 8], -2, 3), f.float('g', [8], 0.5, 1.5), f.float('beta', [8]), 1e-5);
      return { y, mean, invStd };
    }),
    kase('layernorm.axis1', (b, f) => {
      const { y, mean, invStd } = b.layerNormFull(f.float('x', [2, 3, 4]), f.float('g', [3, 4], 0.5, 1.5), f.float('beta', [3, 4]), 1e-5, 1);
      return { y, mean, invStd };
    }),
    kase('layernorm.eps_1e-12', (b, f) => b.layerNorm(f.float('x', [4, 16], -1, 1), f.float('g', [16], 0.5, 1.5), f.float('beta', [16]), 1e-12)),
    kase('layernorm.no_bias', (b, f) => raw(b, 'LayerNormalization', [f.float('x', [3, 6]), f.float('g', [6]), null], 'float32', [3, 6], { axis: -1, epsilon: 1e-5 })),
  ];
}

function reductionCases(): ConformanceCase[] {
  const X = [2, 3, 4];
  return [
    kase('reducesum.keepdims', (b, f) => b.reduceSum(f.float('x', X), [1], true)),
    kase('reducesum.drop', (b, f) => b.reduceSum(f.float('x', X), [0, 2], false)),
    kase('reducesum.all', (b, f) => b.reduceSum(f.float('x', X), [0, 1, 2], false)),
    kase('reducesum.negative_axes', (b, f) => raw(b, 'ReduceSum', [f.float('x', X), b.int64s([-1])], 'float32', [2, 3], { keepdims: 0 })),
    kase('reducesum.empty_axes_reduces_all', (b, f) => raw(b, 'ReduceSum', [f.float('x', X), b.int64s([])], 'float32', [1, 1, 1], { keepdims: 1 })),
    kase('reducesum.int32', (b, f) => b.reduceSum(f.ints('x', 'int32', [2, 3], { lo: -9, hi: 9 }), [1], false)),
    kase('reducemean.keepdims', (b, f) => b.reduceMean(f.float('x', X), [2], true)),
    kase('reducemean.drop_two', (b, f) => b.reduceMean(f.float('x', X), [0, 1], false)),
    kase('reducemean.negative_axes', (b, f) => raw(b, 'ReduceMean', [f.float('x', X)], 'float32', [2, 3, 1], { axes: [-1], keepdims: 1 })),
    kase('reducemax.keepdims', (b, f) => b.reduceMax(f.float('x', X), [2], true)),
    kase('reducemax.drop', (b, f) => b.reduceMax(f.float('x', X), [0], false)),
    kase('reducemax.negative', (b, f) => b.reduceMax(f.float('x', X, -5, -1), [1, 2], false)),
  ];
}

function shapeCases(): ConformanceCase[] {
  return [
    kase('reshape.zero_and_minus_one', (b, f) => b.reshape(f.float('x', [2, 3, 4]), [0, -1])),
    kase('reshape.split_last', (b, f) => b.reshape(f.float('x', [2, 3, 8]), [0, 0, 2, 4])),
    kase('reshape.minus_one_first', (b, f) => b.reshape(f.float('x', [2, 3, 4]), [-1, 4])),
    kase('reshape.like_runtime_shape', (b, f) => b.reshapeLike(f.float('x', [6, 4]), f.float('y', [2, 3, 4]))),
    kase('transpose.perm', (b, f) => b.transpose(f.float('x', [2, 3, 4, 5]), [0, 2, 1, 3])),
    kase('transpose.default_reverses', (b, f) => raw(b, 'Transpose', [f.float('x', [2, 3, 4])], 'float32', [4, 3, 2])),
    kase('transpose.int32', (b, f) => b.transpose(f.ints('x', 'int32', [2, 3], { lo: 0, hi: 9 }), [1, 0])),
    kase('concat.axis1_three', (b, f) => b.concat([f.float('a', [2, 1, 3]), f.float('b', [2, 2, 3]), f.float('c', [2, 4, 3])], 1)),
    kase('concat.negative_axis', (b, f) => raw(b, 'Concat', [f.float('a', [2, 3]), f.float('b', [2, 2])], 'float32', [2, 5], { axis: -1 })),
    kase('concat.int64_shapes', (b, f) => b.concat([b.shapeOf(f.float('x', [2, 3])), b.int64s([-1, 4])], 0)),
    kase('slice.basic', (b, f) => b.slice(f.float('x', [4, 6]), [1], [3], [0])),
    kase('slice.negative_start', (b, f) => b.slice(f.float('x', [4, 6]), [-2], [2 ** 31 - 1], [1])),
    kase('slice.negative_end', (b, f) => b.slice(f.float('x', [2, 5, 3]), [0, 1], [-1, -1], [1, 2])),
    kase('slice.large_end_clamped', (b, f) => b.slice(f.float('x', [3, 4]), [1], [1000], [1])),
    kase('slice.first_token', (b, f) => b.slice(f.float('x', [2, 5, 3]), [0], [1], [1])),
    kase('slice.negative_axis', (b, f) => raw(b, 'Slice', [f.float('x', [2, 6]), b.int64s([1]), b.int64s([4]), b.int64s([-1])], 'float32', [2, 3])),
    kase('slice.with_steps', (b, f) => raw(b, 'Slice', [f.float('x', [3, 7]), b.int64s([0, 6]), b.int64s([3, -8]), b.int64s([0, 1]), b.int64s([2, -2])], 'float32', [2, 4])),
    kase('unsqueeze.front_back', (b, f) => b.unsqueeze(f.float('x', [2, 3]), [0, 3])),
    kase('unsqueeze.negative_axes', (b, f) => raw(b, 'Unsqueeze', [f.float('x', [2, 3]), b.int64s([-1, 1])], 'float32', [2, 1, 3, 1])),
    kase('squeeze.axes', (b, f) => b.squeeze(f.float('x', [2, 1, 3, 1]), [1, 3])),
    kase('squeeze.negative_axis', (b, f) => raw(b, 'Squeeze', [f.float('x', [2, 3, 1]), b.int64s([-1])], 'float32', [2, 3])),
    kase('expand.bidirectional', (b, f) => b.expand(f.float('x', [3, 1]), b.int64s([2, 1, 4]), [2, 3, 4])),
    kase('expand.runtime_shape', (b, f) => b.expand(f.float('x', [4]), b.shapeOf(f.float('y', [2, 3, 4])), [2, 3, 4])),
    kase('expand.scalar_zeros', (b) => b.expand(b.scalar(0), b.int64s([2, 3]), [2, 3])),
    kase('shape.of_float', (b, f) => b.shapeOf(f.float('x', [2, 3, 4]))),
    kase('shape.start_end', (b, f) => raw(b, 'Shape', [f.float('x', [2, 3, 4, 5])], 'int64', [2], { start: 1, end: -1 })),
  ];
}

function symbolicCases(): ConformanceCase[] {
  return [
    kase('symbolic.dense_softmax', (b, f) => {
      const x = f.float('x', [3, 5, 8], -1, 1, ['batch', 'seq', 8]);
      const w = f.float('w', [8, 6]);
      const h = b.reshape(b.matmul(x, w), [0, 0, 2, 3]); // [batch, seq, 2, 3]
      return { probs: b.softmax(h), flat: b.reshape(h, [-1, 3]) };
    }),
    kase('symbolic.reshape_like_and_expand', (b, f) => {
      const x = f.float('x', [2, 5, 4], -1, 1, ['batch', 'seq', 4]);
      const flat = b.reshape(x, [-1, 4]); // [batch*seq, 4]
      const back = b.reshapeLike(b.mul(flat, 2), x); // [batch, seq, 4]
      const bias = f.float('bias', [4]);
      return { back, expanded: b.expand(bias, b.shapeOf(x), x.shape), shape: b.shapeOf(flat) };
    }),
    kase('symbolic.attention_mask', (b, f) => {
      const mask = f.float('mask', [2, 5], 0, 1, ['batch', 'seq']);
      const m = b.unsqueeze(b.unsqueeze(b.cast(b.cast(b.add(mask, 0.5), 'int32'), 'float32'), [1]), [1]); // [batch, 1, 1, seq]
      return b.mul(b.sub(1, m), -1e4);
    }),
    kase('symbolic.gather_embeddings', (b, f) => {
      const ids = f.ints('ids', 'int32', [2, 4], { lo: 0, hi: 9 }, ['batch', 'seq']);
      const table = f.float('table', [10, 3]);
      const pos = f.float('pos', [6, 3]);
      const e = b.gather(table, ids); // [batch, seq, 3]
      const p = b.slice(pos, [0], [4], [0]); // [4, 3]
      return b.add(e, p);
    }),
  ];
}

// ---- composites -------------------------------------------------------------------------------------------

const GELU_SQRT1_2 = Math.SQRT1_2;

/** GELU, erf form (BERT): x * 0.5 * (1 + erf(x / sqrt(2))). */
function gelu(b: GraphBuilder, x: Value): Value {
  return b.mul(b.mul(x, 0.5), b.add(b.erf(b.mul(x, GELU_SQRT1_2)), 1));
}

function dense(b: GraphBuilder, f: Feeder, name: string, x: Value, nIn: number, nOut: number): Value {
  return b.add(b.matmul(x, f.param(`${name}.weight`, [nIn, nOut])), f.param(`${name}.bias`, [nOut], 0.1));
}

/** A post-LN encoder layer (BERT) on x [batch, seq, hidden] with a [batch, seq] 0/1 float mask. */
function encoderLayer(b: GraphBuilder, f: Feeder, x: Value, mask: Value, hidden: number, heads: number): Value {
  const dh = hidden / heads;
  const split = (t: Value) => b.transpose(b.reshape(t, [0, 0, heads, dh]), [0, 2, 1, 3]); // [batch, heads, seq, dh]
  const q = split(dense(b, f, 'attn.query', x, hidden, hidden));
  // No key bias: its exact gradient is 0 (softmax ignores a per-row shift), so Adam would amplify float noise.
  const k = split(b.matmul(x, f.param('attn.key.weight', [hidden, hidden])));
  const v = split(dense(b, f, 'attn.value', x, hidden, hidden));
  const bias = b.mul(b.sub(1, b.unsqueeze(mask, [1, 2])), -1e4); // [batch, 1, 1, seq]
  const scores = b.add(b.mul(b.matmul(q, b.transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(dh)), bias); // [batch, heads, seq, seq]
  const ctx = b.matmul(b.softmax(scores), v); // [batch, heads, seq, dh]
  const merged = b.reshape(b.transpose(ctx, [0, 2, 1, 3]), [0, 0, hidden]); // [batch, seq, hidden]
  const attn = b.layerNorm(b.add(dense(b, f, 'attn.output', merged, hidden, hidden), x), f.param('attn.LayerNorm.weight', [hidden], 0, 1), f.param('attn.LayerNorm.bias', [hidden], 0, 0), 1e-12);
  const inter = gelu(b, dense(b, f, 'intermediate', attn, hidden, 2 * hidden)); // [batch, seq, 2 hidden]
  return b.layerNorm(b.add(dense(b, f, 'output', inter, 2 * hidden, hidden), attn), f.param('output.LayerNorm.weight', [hidden], 0, 1), f.param('output.LayerNorm.bias', [hidden], 0, 0), 1e-12);
}

function maskFeed(f: Feeder, name: string, lengths: readonly number[], seq: number): Value {
  const data = new Float32Array(lengths.length * seq);
  lengths.forEach((len, i) => {
    data.fill(1, i * seq, i * seq + len);
  });
  f.feeds[name] = tensor('float32', [lengths.length, seq], data);
  return f.b.input(name, 'float32', ['batch', 'seq']);
}

function compositeCases(): ConformanceCase[] {
  const attention = kase(
    'composite.attention_block',
    (b, f) => {
      const x = f.float('x', [2, 5, 8], -1, 1, ['batch', 'seq', 8]);
      const mask = maskFeed(f, 'mask', [5, 3], 5);
      return encoderLayer(b, f, x, mask, 8, 2);
    },
    1e-4,
  );

  const V = 11;
  const H = 8;
  const training: ConformanceCase = {
    name: 'composite.training_step_adamw',
    tolerance: 2e-4,
    steps: 3,
    build() {
      const b = new GraphBuilder('training_step');
      const f = new Feeder(b, rngFor('composite.training_step_adamw'));
      const ids = f.ints('input_ids', 'int32', [2, 5], { lo: 0, hi: V - 1 }, ['batch', 'seq']);
      const labels = f.ints('labels', 'int32', [2, 5], { lo: 0, hi: V - 1 }, ['batch', 'seq']);
      const mask = maskFeed(f, 'attention_mask', [5, 4], 5);
      const wte = f.param('embeddings.word_embeddings.weight', [V, H], 0.5);
      const positions = f.ints('position_ids', 'int64', [5], [0, 1, 2, 3, 4], ['seq']);
      const pairLabels = f.ints('pair_labels', 'int64', [2, 1], [1, 0], ['batch', 1]);
      const wpe = f.param('embeddings.position_embeddings.weight', [8, H], 0.5);
      const emb = b.add(b.gather(wte, ids), b.gather(wpe, positions)); // [batch, seq, H] + [seq, H]
      const h = encoderLayer(b, f, emb, mask, H, 2); // [batch, seq, H]
      // Token head: tied output embeddings, masked mean cross-entropy.
      const flat = b.reshape(h, [-1, H]); // [batch*seq, H]
      const logits = b.add(b.matmul(flat, b.transpose(wte, [1, 0])), f.param('lm.bias', [V], 0, 0)); // [batch*seq, V]
      const picked = b.gatherElements(b.logSoftmax(logits), b.reshape(labels, [-1, 1]), 1); // [batch*seq, 1]
      const w = b.reshape(mask, [-1, 1]); // [batch*seq, 1]
      const tokenLoss = b.div(b.neg(b.reduceSum(b.mul(picked, w), [0, 1], false)), b.reduceSum(w, [0, 1], false)); // []
      // Pair head on the first token (BERT pooler): Slice -> dense -> tanh -> 2-way cross-entropy.
      const cls = b.reshape(b.slice(h, [0], [1], [1]), [-1, H]); // [batch, 1, H] -> [batch, H]
      const pooled = b.tanh(dense(b, f, 'pooler', cls, H, H)); // [batch, H]
      const pairLogp = b.logSoftmax(dense(b, f, 'pair', pooled, H, 2)); // [batch, 2]
      const pairLoss = b.neg(b.reduceMean(b.gatherElements(pairLogp, pairLabels, 1), [0, 1], false)); // []
      const loss = b.add(tokenLoss, pairLoss);
      const tg = buildTrainingGraph(b, loss, { lr: 0.05, warmupSteps: 2, totalSteps: 10, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'linear', clipNorm: 1 });
      const feeds: Record<string, Tensor> = { ...f.feeds, [tg.stepInput]: tensor('float32', [], [1]) };
      for (const s of tg.state) if (!(s.input in feeds)) feeds[s.input] = tensor('float32', tg.graph.values.get(s.input)?.shape as number[]);
      return { graph: tg.graph, feeds };
    },
    next(feeds, outputs, step) {
      const out: Record<string, Tensor> = { ...feeds, 'optimizer.step': tensor('float32', [], [step + 1]) };
      for (const [name, t] of Object.entries(outputs)) if (name.startsWith('updated.')) out[name.slice('updated.'.length)] = t;
      return out;
    },
  };
  return [attention, training];
}

/** The conformance cases: every op in `OpType`, broadcasting, symbolic dims, and two composites. */
export function conformanceCases(): ConformanceCase[] {
  return [...elementwiseCases(), ...linalgCases(), ...indexingCases(), ...normalisationCases(), ...reductionCases(), ...shapeCases(), ...symbolicCases(), ...compositeCases()];
}

// ---- comparison -------------------------------------------------------------------------------------------

function compare(name: string, expected: Tensor, actual: Tensor | undefined, tolerance: number): { maxAbsDiff: number; bad?: string } {
  if (!actual) return { maxAbsDiff: Number.POSITIVE_INFINITY, bad: `output "${name}" is missing` };
  if (actual.dtype !== expected.dtype) return { maxAbsDiff: Number.POSITIVE_INFINITY, bad: `output "${name}" is ${actual.dtype}, expected ${expected.dtype}` };
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i]))
    return { maxAbsDiff: Number.POSITIVE_INFINITY, bad: `output "${name}" has shape [${actual.shape}], expected [${expected.shape}]` };
  let maxAbsDiff = 0;
  let worst = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const e = Number(expected.data[i]);
    const a = Number(actual.data[i]);
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    const d = Number.isNaN(a) || Number.isNaN(e) ? Number.POSITIVE_INFINITY : e === a ? 0 : Math.abs(a - e);
    if (d > maxAbsDiff) maxAbsDiff = d;
    if (d > tolerance * Math.max(1, Math.abs(e)) && worst < 0) worst = i;
  }
  if (worst >= 0) return { maxAbsDiff, bad: `output "${name}"[${worst}] = ${Number(actual.data[worst])}, expected ${Number(expected.data[worst])}` };
  return { maxAbsDiff };
}

/**
 * Runs every case on `run` (a backend) and on the reference interpreter and compares all outputs (dtype, shape,
 * values within the case's tolerance). Never throws: a failing or throwing case is reported with `ok: false`.
 */
export async function checkConformance(run: GraphRunner, cases: readonly ConformanceCase[] = conformanceCases()): Promise<ConformanceResult[]> {
  const results: ConformanceResult[] = [];
  for (const c of cases) {
    let maxAbsDiff = 0;
    try {
      const { graph, feeds } = c.build();
      let refFeeds: Record<string, Tensor> = feeds;
      let runFeeds: Record<string, Tensor> = feeds;
      let problem: string | undefined;
      const steps = c.steps ?? 1;
      for (let s = 1; s <= steps && !problem; s++) {
        const expected = interpret(graph, refFeeds);
        const actual = await run(graph, runFeeds);
        for (const o of graph.outputs) {
          const r = compare(o.name, expected[o.name], actual[o.name], c.tolerance);
          maxAbsDiff = Math.max(maxAbsDiff, r.maxAbsDiff);
          if (r.bad && !problem) problem = steps > 1 ? `step ${s}: ${r.bad}` : r.bad;
        }
        if (s < steps && c.next) {
          refFeeds = c.next(refFeeds, expected, s);
          runFeeds = c.next(runFeeds, actual, s);
        }
      }
      results.push(problem ? { name: c.name, maxAbsDiff, ok: false, error: problem } : { name: c.name, maxAbsDiff, ok: true });
    } catch (e) {
      results.push({ name: c.name, maxAbsDiff: Number.POSITIVE_INFINITY, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return results;
}

import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Value } from './builder';
import type { Shape, Tensor } from './ir';
import { sizeOf, tensor } from './ir';
import { type Float64Tensor, interpret } from './interpret';
import { differentiableOps, gradients } from './autodiff';

// ---- a finite-difference gradient checker (central differences, float64 through `interpret`) ---------------

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

function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

interface InputOpts {
  lo?: number;
  hi?: number;
  /** Declared (possibly symbolic) shape; the fed one is `shape`. */
  declared?: Shape;
  /** Keep values at least this far from 0 (kinks of Relu, poles of Log/Div). */
  awayFromZero?: number;
}

class Harness {
  readonly b: GraphBuilder;
  readonly feeds: Record<string, Float64Tensor> = {};
  readonly wrt: Value[] = [];
  readonly rand: () => number;

  constructor(readonly name: string) {
    this.b = new GraphBuilder(name.replace(/\W/g, '_'));
    this.rand = mulberry(seedOf(name));
  }

  /** A float input that gets a gradient. */
  x(name: string, shape: readonly number[], o: InputOpts = {}): Value {
    const lo = o.lo ?? -1;
    const hi = o.hi ?? 1;
    const data = Float64Array.from({ length: sizeOf(shape) }, () => {
      let v = lo + (hi - lo) * this.rand();
      if (o.awayFromZero && Math.abs(v) < o.awayFromZero) v = v < 0 ? -o.awayFromZero - this.rand() * 0.5 : o.awayFromZero + this.rand() * 0.5;
      return v;
    });
    this.feeds[name] = { dtype: 'float32', shape, data };
    const v = this.b.input(name, 'float32', o.declared ?? shape);
    this.wrt.push(v);
    return v;
  }

  /** A constant-to-autodiff input (indices, masks). */
  ints(name: string, dtype: 'int32' | 'int64', shape: readonly number[], values: readonly number[], declared?: Shape): Value {
    this.feeds[name] = tensor(dtype, shape, values);
    return this.b.input(name, dtype, declared ?? shape);
  }

  bool(name: string, shape: readonly number[]): Value {
    this.feeds[name] = tensor('bool', shape, Uint8Array.from({ length: sizeOf(shape) }, () => (this.rand() < 0.5 ? 1 : 0)));
    return this.b.input(name, 'bool', shape);
  }
}

const opsChecked = new Set<string>();

/**
 * Builds loss = sum(y * W) for random W (so every output element matters), differentiates it with respect to
 * every float input, and compares each gradient element with a central difference in float64.
 */
function gradCheck(name: string, body: (h: Harness) => Value, rtol = 1e-5): void {
  const h = new Harness(name);
  const { b } = h;
  const y = body(h);
  const nForward = b.nodeList().length;
  for (const n of b.nodeList()) opsChecked.add(n.op);

  // The concrete shape of y, from one forward run.
  b.output('fd.y', y);
  const shape = interpret(b.build(), h.feeds, { float64: true })['fd.y'].shape;
  const wData = Float64Array.from({ length: sizeOf(shape) }, () => h.rand() * 2 - 1);
  h.feeds['fd.weights'] = { dtype: 'float32', shape, data: wData };
  const w = b.input('fd.weights', 'float32', y.shape);
  const prod = b.mul(y, w);
  const loss = prod.shape.length ? b.reduceSum(prod, prod.shape.map((_, i) => i), false) : prod; // []
  b.output('fd.loss', loss);
  const forward = b.build();

  const grads = gradients(b, loss, h.wrt);
  expect(b.nodeList().length).toBeGreaterThanOrEqual(nForward);
  grads.forEach((g, i) => {
    b.output(`fd.grad.${h.wrt[i].name}`, g);
  });
  const full = interpret(b.build(), h.feeds, { float64: true });

  const lossAt = (feeds: Record<string, Float64Tensor>) => Number(interpret(forward, feeds, { float64: true })['fd.loss'].data[0]);
  for (const x of h.wrt) {
    const g = full[`fd.grad.${x.name}`];
    const fed = h.feeds[x.name];
    expect(g.shape, `${name}: gradient shape of ${x.name}`).toEqual([...fed.shape]);
    const base = fed.data as Float64Array;
    for (let i = 0; i < base.length; i++) {
      const step = 1e-5 * Math.max(1, Math.abs(base[i]));
      const plus = base.slice();
      plus[i] += step;
      const minus = base.slice();
      minus[i] -= step;
      const fd = (lossAt({ ...h.feeds, [x.name]: { ...fed, data: plus } }) - lossAt({ ...h.feeds, [x.name]: { ...fed, data: minus } })) / (2 * step);
      const an = Number(g.data[i]);
      const err = Math.abs(an - fd) / Math.max(Math.abs(an), Math.abs(fd), 1e-3);
      if (!(err <= rtol)) throw new Error(`${name}: d loss / d ${x.name}[${i}] = ${an} (symbolic) vs ${fd} (finite difference), rel err ${err}`);
    }
  }
}

function raw(b: GraphBuilder, op: Parameters<GraphBuilder['node']>[0], inputs: (Value | null)[], shape: Shape, attrs: Record<string, number | number[] | string> = {}): Value {
  return b.node(op, inputs, [{ dtype: 'float32', shape }], attrs)[0];
}

const S = [2, 3, 4];

describe('gradients: finite-difference checks per op (float64)', () => {
  describe('elementwise', () => {
    it('Add: same shape, broadcasting, constants, x + x', () => {
      gradCheck('add.same', (h) => h.b.add(h.x('a', S), h.x('b', S)));
      gradCheck('add.trailing', (h) => h.b.add(h.x('a', S), h.x('b', [4])));
      gradCheck('add.both', (h) => h.b.add(h.x('a', [2, 1, 4]), h.x('b', [3, 1])));
      gradCheck('add.scalar_input', (h) => h.b.add(h.x('a', S), h.x('s', [])));
      gradCheck('add.constant', (h) => h.b.add(h.x('a', S), 2));
      gradCheck('add.self', (h) => {
        const a = h.x('a', S);
        return h.b.add(a, a);
      });
    });
    it('Sub', () => {
      gradCheck('sub.both', (h) => h.b.sub(h.x('a', [2, 1, 4]), h.x('b', [3, 1])));
      gradCheck('sub.from_constant', (h) => h.b.sub(1, h.x('a', S)));
    });
    it('Mul', () => {
      gradCheck('mul.both', (h) => h.b.mul(h.x('a', [2, 1, 4]), h.x('b', [3, 1])));
      gradCheck('mul.square', (h) => {
        const a = h.x('a', S);
        return h.b.mul(a, a);
      });
      gradCheck('mul.constant', (h) => h.b.mul(h.x('a', S), -0.7));
    });
    it('Div', () => {
      gradCheck('div.both', (h) => h.b.div(h.x('a', [2, 1, 4]), h.x('b', [3, 1], { lo: 0.5, hi: 2 })));
      gradCheck('div.reciprocal', (h) => h.b.div(1, h.x('a', S, { lo: 0.5, hi: 2 })));
      gradCheck('div.by_scalar_input', (h) => h.b.div(h.x('a', S), h.x('s', [1], { lo: -2, hi: -0.5 })));
    });
    it('Pow: constant exponents and a tensor exponent', () => {
      gradCheck('pow.2', (h) => h.b.pow(h.x('a', S), 2));
      gradCheck('pow.3', (h) => h.b.pow(h.x('a', S), 3));
      gradCheck('pow.half', (h) => h.b.pow(h.x('a', S, { lo: 0.2, hi: 2 }), 0.5));
      gradCheck('pow.minus1.5', (h) => h.b.pow(h.x('a', S, { lo: 0.5, hi: 2 }), -1.5));
      gradCheck('pow.one', (h) => h.b.pow(h.x('a', S), 1));
      gradCheck('pow.constant_tensor', (h) => h.b.pow(h.x('a', S, { lo: 0.5, hi: 2 }), h.b.constant(tensor('float32', [4], [1, 2, 0.5, 3]))));
      gradCheck('pow.tensor', (h) => h.b.pow(h.x('a', S, { lo: 0.5, hi: 2 }), h.x('p', [4], { lo: -1.5, hi: 1.5 })));
    });
    it('unary ops', () => {
      gradCheck('neg', (h) => h.b.neg(h.x('a', S)));
      gradCheck('sqrt', (h) => h.b.sqrt(h.x('a', S, { lo: 0.2, hi: 3 })));
      gradCheck('exp', (h) => h.b.exp(h.x('a', S, { lo: -2, hi: 2 })));
      gradCheck('log', (h) => h.b.log(h.x('a', S, { lo: 0.2, hi: 3 })));
      gradCheck('erf', (h) => h.b.erf(h.x('a', S, { lo: -2.5, hi: 2.5 })));
      gradCheck('tanh', (h) => h.b.tanh(h.x('a', S, { lo: -2, hi: 2 })));
      gradCheck('sigmoid', (h) => h.b.sigmoid(h.x('a', S, { lo: -4, hi: 4 })));
      gradCheck('relu', (h) => h.b.relu(h.x('a', S, { awayFromZero: 0.05 })));
      gradCheck('identity', (h) => h.b.identity(h.x('a', S)));
      gradCheck('cast.float', (h) => h.b.cast(h.x('a', S), 'float32'));
    });
    it('Max / Min with broadcasting and constants', () => {
      gradCheck('max.both', (h) => h.b.max(h.x('a', [2, 1, 4]), h.x('b', [3, 1])));
      gradCheck('min.both', (h) => h.b.min(h.x('a', [2, 1, 4]), h.x('b', [3, 1])));
      gradCheck('max.clamp', (h) => h.b.max(h.x('a', S, { awayFromZero: 0.05 }), 0));
      gradCheck('min.clamp', (h) => h.b.min(h.x('a', S, { awayFromZero: 0.05 }), 0));
    });
    it('Where (data inputs, broadcasting)', () => {
      gradCheck('where.broadcast', (h) => h.b.where(h.bool('c', [2, 1, 4]), h.x('a', [3, 1]), h.x('b', S)));
      gradCheck('where.constant_branch', (h) => h.b.where(h.bool('c', S), h.x('a', S), h.b.scalar(-1e4)));
    });
  });

  describe('MatMul', () => {
    it('2-D, batched, shared weight and batch broadcasting', () => {
      gradCheck('matmul.2d', (h) => h.b.matmul(h.x('a', [3, 4]), h.x('b', [4, 5])));
      gradCheck('matmul.batched', (h) => h.b.matmul(h.x('a', [2, 3, 4]), h.x('b', [2, 4, 5])));
      gradCheck('matmul.shared_weight', (h) => h.b.matmul(h.x('a', [2, 3, 4]), h.x('w', [4, 5])));
      gradCheck('matmul.broadcast_batch', (h) => h.b.matmul(h.x('a', [2, 1, 3, 4]), h.x('b', [3, 4, 5])));
      gradCheck('matmul.broadcast_rhs_batch', (h) => h.b.matmul(h.x('a', [3, 4]), h.x('b', [2, 4, 5])));
      gradCheck('matmul.rank4_shared', (h) => h.b.matmul(h.x('a', [2, 2, 3, 4]), h.x('w', [4, 2])));
    });
    it('symbolic batch dims and transposed operands', () => {
      gradCheck('matmul.symbolic', (h) => h.b.matmul(h.x('a', [2, 3, 4], { declared: ['batch', 'seq', 4] }), h.x('w', [4, 5])));
      gradCheck('matmul.transposed_rhs', (h) => {
        const k = h.x('k', [2, 3, 4]);
        return h.b.matmul(h.x('q', [2, 3, 4]), h.b.transpose(k, [0, 2, 1]));
      });
      gradCheck('matmul.tied', (h) => {
        const e = h.x('emb', [5, 4]);
        return h.b.matmul(h.b.gather(e, h.ints('ids', 'int32', [3], [1, 4, 1])), h.b.transpose(e, [1, 0]));
      });
    });
  });

  describe('Gemm', () => {
    it('every transA/transB combination, alpha/beta, and C broadcast from [N], [M, 1] and []', () => {
      gradCheck('gemm.plain', (h) => h.b.gemm(h.x('a', [3, 4]), h.x('b', [4, 5]), h.x('c', [3, 5])));
      gradCheck('gemm.dense_layer', (h) => h.b.gemm(h.x('x', [3, 4]), h.x('w', [5, 4]), h.x('bias', [5]), { transB: true }));
      gradCheck('gemm.transA', (h) => h.b.gemm(h.x('a', [4, 3]), h.x('b', [4, 5]), h.x('c', [3, 1]), { transA: true, alpha: 0.5 }));
      gradCheck('gemm.both', (h) => h.b.gemm(h.x('a', [4, 3]), h.x('b', [5, 4]), h.x('c', []), { transA: true, transB: true, alpha: -1.5, beta: 2 }));
      gradCheck('gemm.no_c', (h) => h.b.gemm(h.x('a', [3, 4]), h.x('b', [5, 4]), null, { transB: true, beta: 3 }));
      gradCheck('gemm.symbolic_rows', (h) => h.b.gemm(h.x('x', [3, 4], { declared: ['rows', 4] }), h.x('w', [2, 4]), h.x('bias', [2]), { transB: true }));
      gradCheck('gemm.tied', (h) => {
        const e = h.x('emb', [5, 4]);
        return h.b.gemm(h.b.gather(e, h.ints('ids', 'int32', [3], [1, 4, 1])), e, null, { transB: true });
      });
    });
  });

  describe('indexing', () => {
    it('Gather rows (any index rank, negative and repeated indices) and other axes', () => {
      gradCheck('gather.rows_2d_indices', (h) => h.b.gather(h.x('table', [6, 3]), h.ints('ids', 'int32', [2, 3], [0, 5, 2, 2, -1, 0])));
      gradCheck('gather.rows_1d_int64', (h) => h.b.gather(h.x('table', [6, 3]), h.ints('ids', 'int64', [4], [3, 3, 0, -6])));
      gradCheck('gather.rows_symbolic', (h) => h.b.gather(h.x('table', [6, 3]), h.ints('ids', 'int32', [2, 2], [1, 1, 4, 0], ['batch', 'seq'])));
      gradCheck('gather.axis1', (h) => h.b.gather(h.x('x', [2, 5, 3]), h.ints('ids', 'int32', [3], [4, -1, 0]), 1));
      gradCheck('gather.axis1_2d_indices', (h) => h.b.gather(h.x('x', [2, 5, 3]), h.ints('ids', 'int32', [2, 2], [1, 3, 3, 0]), 1));
      gradCheck('gather.scalar_index', (h) => h.b.gather(h.x('x', [2, 5, 3]), h.b.constant(tensor('int64', [], [0])), 1));
      gradCheck('gather.3d_table', (h) => h.b.gather(h.x('x', [4, 2, 3]), h.ints('ids', 'int32', [2, 2], [3, 0, 3, 1])));
    });
    it('GatherElements and ScatterElements', () => {
      gradCheck('gather_elements.axis1_repeats', (h) => h.b.gatherElements(h.x('x', [3, 4]), h.ints('i', 'int32', [3, 2], [1, 1, 0, 3, -1, 2]), 1));
      gradCheck('gather_elements.axis0', (h) => h.b.gatherElements(h.x('x', [3, 4]), h.ints('i', 'int64', [2, 4], [0, 2, 1, 2, 2, 0, 0, 1]), 0));
      gradCheck('scatter_elements.none', (h) => h.b.scatterElements(h.x('x', [3, 4]), h.ints('i', 'int32', [1, 4], [2, 0, 1, -1]), h.x('u', [1, 4]), 0));
      gradCheck('scatter_elements.add', (h) => h.b.scatterElements(h.x('x', [4, 3]), h.ints('i', 'int64', [3, 3], [0, 0, 3, 3, 0, 1, 0, 2, 3]), h.x('u', [3, 3]), 0, 'add'));
    });
  });

  describe('normalisation', () => {
    it('Softmax / LogSoftmax on several axes', () => {
      gradCheck('softmax.last', (h) => h.b.softmax(h.x('x', S, { lo: -2, hi: 2 })));
      gradCheck('softmax.axis1', (h) => h.b.softmax(h.x('x', S, { lo: -2, hi: 2 }), 1));
      gradCheck('logsoftmax.last', (h) => h.b.logSoftmax(h.x('x', S, { lo: -2, hi: 2 })));
      gradCheck('logsoftmax.axis0', (h) => h.b.logSoftmax(h.x('x', S, { lo: -2, hi: 2 }), 0));
    });
    it('LayerNormalization: x, scale and bias', () => {
      gradCheck('layernorm.last', (h) => h.b.layerNorm(h.x('x', [2, 3, 5], { lo: -2, hi: 2 }), h.x('g', [5], { lo: 0.5, hi: 1.5 }), h.x('beta', [5]), 1e-5));
      gradCheck('layernorm.axis1', (h) => h.b.layerNorm(h.x('x', [2, 3, 4], { lo: -2, hi: 2 }), h.x('g', [3, 4], { lo: 0.5, hi: 1.5 }), h.x('beta', [3, 4]), 1e-5, 1));
      gradCheck('layernorm.symbolic', (h) =>
        h.b.layerNorm(h.x('x', [2, 3, 4], { lo: -2, hi: 2, declared: ['batch', 'seq', 4] }), h.x('g', [4], { lo: 0.5, hi: 1.5 }), h.x('beta', [4]), 1e-12),
      );
      gradCheck('layernorm.unnamed_stats', (h) => {
        const x = h.x('x', [3, 5], { lo: -2, hi: 2 });
        return h.b.node('LayerNormalization', [x, h.x('g', [5], { lo: 0.5, hi: 1.5 }), h.x('beta', [5])], [{ dtype: 'float32', shape: [3, 5] }], { axis: -1, epsilon: 1e-5 })[0];
      });
    });
  });

  describe('reductions', () => {
    it('ReduceSum / ReduceMean / ReduceMax', () => {
      gradCheck('reducesum.keep', (h) => h.b.reduceSum(h.x('x', S), [1], true));
      gradCheck('reducesum.drop', (h) => h.b.reduceSum(h.x('x', S), [0, 2], false));
      gradCheck('reducesum.negative_axis', (h) => raw(h.b, 'ReduceSum', [h.x('x', S), h.b.int64s([-1])], [2, 3], { keepdims: 0 }));
      gradCheck('reducesum.empty_axes', (h) => raw(h.b, 'ReduceSum', [h.x('x', S), h.b.int64s([])], [1, 1, 1], { keepdims: 1 }));
      gradCheck('reducemean.keep', (h) => h.b.reduceMean(h.x('x', S), [2], true));
      gradCheck('reducemean.drop', (h) => h.b.reduceMean(h.x('x', S), [0, 1], false));
      gradCheck('reducemean.symbolic', (h) => h.b.reduceMean(h.x('x', S, { declared: ['batch', 'seq', 4] }), [0, 1], false));
      gradCheck('reducemax.keep', (h) => h.b.reduceMax(h.x('x', S), [2], true));
      gradCheck('reducemax.drop', (h) => h.b.reduceMax(h.x('x', S), [0, 1], false));
    });
  });

  describe('shape ops', () => {
    it('Reshape, Transpose, Unsqueeze, Squeeze, Expand', () => {
      gradCheck('reshape.zero_minus_one', (h) => h.b.reshape(h.x('x', S), [0, -1]));
      gradCheck('reshape.symbolic', (h) => h.b.reshape(h.x('x', [2, 3, 4], { declared: ['batch', 'seq', 4] }), [0, 0, 2, 2]));
      gradCheck('reshape.like', (h) => h.b.reshapeLike(h.x('x', [6, 4]), h.x('y', S)));
      gradCheck('transpose.perm', (h) => h.b.transpose(h.x('x', [2, 3, 4, 2]), [0, 2, 3, 1]));
      gradCheck('transpose.default', (h) => raw(h.b, 'Transpose', [h.x('x', S)], [4, 3, 2]));
      gradCheck('unsqueeze', (h) => h.b.unsqueeze(h.x('x', [2, 3]), [0, 3]));
      gradCheck('squeeze', (h) => h.b.squeeze(h.x('x', [2, 1, 3, 1]), [1, 3]));
      gradCheck('squeeze.no_axes', (h) => raw(h.b, 'Squeeze', [h.x('x', [2, 1, 3])], [2, 3]));
      gradCheck('expand.bidirectional', (h) => h.b.expand(h.x('x', [3, 1]), h.b.int64s([2, 1, 4]), S));
      gradCheck('expand.runtime', (h) => {
        const y = h.x('y', S);
        return h.b.mul(h.b.expand(h.x('x', [4]), h.b.shapeOf(y), y.shape), y);
      });
    });
    it('Concat (static and one symbolic size)', () => {
      gradCheck('concat.three', (h) => h.b.concat([h.x('a', [2, 1, 3]), h.x('b', [2, 2, 3]), h.x('c', [2, 4, 3])], 1));
      gradCheck('concat.negative_axis', (h) => raw(h.b, 'Concat', [h.x('a', [2, 3]), h.x('b', [2, 2])], [2, 5], { axis: -1 }));
      gradCheck('concat.symbolic', (h) =>
        h.b.concat([h.x('cls', [2, 1, 3], { declared: ['batch', 1, 3] }), h.x('x', [2, 4, 3], { declared: ['batch', 'seq', 3] }), h.x('sep', [2, 2, 3], { declared: ['batch', 2, 3] })], 1),
      );
    });
    it('Slice (negative and large indices, several axes, symbolic)', () => {
      gradCheck('slice.middle', (h) => h.b.slice(h.x('x', [5, 3]), [1], [3], [0]));
      gradCheck('slice.negative_start', (h) => h.b.slice(h.x('x', [4, 6]), [-2], [2 ** 31 - 1], [1]));
      gradCheck('slice.two_axes', (h) => h.b.slice(h.x('x', [2, 5, 4]), [1, 0], [-1, 2], [1, 2]));
      gradCheck('slice.large_end', (h) => h.b.slice(h.x('x', [3, 4]), [1], [1000], [1]));
      gradCheck('slice.symbolic_first_token', (h) => h.b.slice(h.x('x', [2, 4, 3], { declared: ['batch', 'seq', 3] }), [0], [1], [1]));
      gradCheck('slice.symbolic_two_axes', (h) => h.b.slice(h.x('x', [2, 5, 4], { declared: ['batch', 'seq', 'h'] }), [1, 1], [-1, 3], [1, 2]));
    });
  });

  it('covers every op that has a gradient rule', () => {
    const missing = differentiableOps().filter((op) => !opsChecked.has(op));
    expect(missing).toEqual([]);
  });
});

describe('gradients: composite', () => {
  it('attention + LayerNorm + GELU(erf) + softmax cross-entropy', () => {
    gradCheck(
      'composite.encoder_layer',
      (h) => {
        const { b } = h;
        const H = 4;
        const heads = 2;
        const dh = H / heads;
        const x = h.x('x', [2, 3, H], { declared: ['batch', 'seq', H] });
        h.feeds.mask = tensor('float32', [2, 3], [1, 1, 1, 1, 1, 0]);
        const mask = b.input('mask', 'float32', ['batch', 'seq']);
        const lin = (name: string, t: Value, nIn: number, nOut: number) => b.add(b.matmul(t, h.x(`${name}.w`, [nIn, nOut], { lo: -0.7, hi: 0.7 })), h.x(`${name}.b`, [nOut], { lo: -0.2, hi: 0.2 }));
        const split = (t: Value) => b.transpose(b.reshape(t, [0, 0, heads, dh]), [0, 2, 1, 3]); // [batch, heads, seq, dh]
        const q = split(lin('q', x, H, H));
        const k = split(lin('k', x, H, H));
        const v = split(lin('v', x, H, H));
        const bias = b.mul(b.sub(1, b.unsqueeze(mask, [1, 2])), -1e4); // [batch, 1, 1, seq]
        const probs = b.softmax(b.add(b.mul(b.matmul(q, b.transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(dh)), bias)); // [batch, heads, seq, seq]
        const ctx = b.reshape(b.transpose(b.matmul(probs, v), [0, 2, 1, 3]), [0, 0, H]); // [batch, seq, H]
        const a = b.layerNorm(b.add(lin('o', ctx, H, H), x), h.x('ln1.g', [H], { lo: 0.5, hi: 1.5 }), h.x('ln1.b', [H]), 1e-12);
        const pre = lin('i', a, H, 2 * H);
        const gelu = b.mul(b.mul(pre, 0.5), b.add(b.erf(b.mul(pre, Math.SQRT1_2)), 1)); // [batch, seq, 2H]
        const out = b.layerNorm(b.add(lin('f', gelu, 2 * H, H), a), h.x('ln2.g', [H], { lo: 0.5, hi: 1.5 }), h.x('ln2.b', [H]), 1e-12);
        const logits = b.reshape(lin('head', out, H, 5), [-1, 5]); // [batch*seq, 5]
        const labels = h.ints('labels', 'int32', [6, 1], [0, 4, 2, 2, 1, 3], ['batch*seq', 1]);
        const picked = b.gatherElements(b.logSoftmax(logits), labels, 1); // [batch*seq, 1]
        return b.neg(b.reduceMean(picked, [0, 1], false)); // []
      },
      1e-5,
    );
  });
});

describe('gradients: structure', () => {
  it('gives zeros to an unused parameter and no gradient to integer inputs', () => {
    const b = new GraphBuilder('unused');
    const x = b.input('x', 'float32', [3]);
    const w = b.param('w', [2, 2], { kind: 'zeros' });
    const ids = b.input('ids', 'int32', [3]);
    const loss = b.reduceSum(b.mul(x, b.cast(ids, 'float32')), [0], false);
    const [gx, gw] = gradients(b, loss, [x, w]);
    b.output('gx', gx);
    b.output('gw', gw);
    const out = interpret(b.build(), { x: tensor('float32', [3], [1, 2, 3]), ids: tensor('int32', [3], [4, 5, 6]), w: tensor('float32', [2, 2]) });
    expect(Array.from(out.gx.data as Float32Array)).toEqual([4, 5, 6]);
    expect(out.gw.shape).toEqual([2, 2]);
    expect(Array.from(out.gw.data as Float32Array)).toEqual([0, 0, 0, 0]);
  });

  it('keeps the backward graph lean: no multiplications by a constant one', () => {
    const b = new GraphBuilder('lean');
    const x = b.input('x', 'float32', ['batch', 'seq', 4]);
    const w = b.param('w', [4, 3], { kind: 'normal', std: 1 });
    const loss = b.reduceSum(b.matmul(x, w), [0, 1, 2], false);
    const before = b.nodeList().length;
    const [gw] = gradients(b, loss, [w]);
    const added = b.nodeList().slice(before);
    b.output('gw', gw);
    // d sum(x @ w) / dw = x^T @ ones: Expand (+ its Shape), Reshape x and dy to rows, Transpose, MatMul.
    expect(added.map((n) => n.op).sort()).toEqual(['Expand', 'MatMul', 'Reshape', 'Reshape', 'Shape', 'Transpose']);
    const g = b.build();
    for (const n of added.filter((n) => n.op === 'Mul')) for (const i of n.inputs) expect(Array.from((g.initializers.get(i)?.data ?? []) as Float32Array)).not.toEqual([1]);
  });

  it('reuses forward transposes (q @ k^T) instead of transposing back', () => {
    const b = new GraphBuilder('transpose');
    const q = b.input('q', 'float32', [2, 3, 4]);
    const k = b.input('k', 'float32', [2, 3, 4]);
    const s = b.matmul(q, b.transpose(k, [0, 2, 1])); // [2, 3, 3]
    const loss = b.reduceSum(b.mul(s, s), [0, 1, 2], false);
    const before = b.nodeList().length;
    gradients(b, loss, [q]);
    const ops = b.nodeList().slice(before).map((n) => n.op);
    expect(ops.filter((o) => o === 'Transpose')).toEqual([]);
  });

  it('the same symbolic training graph runs at several batch sizes', () => {
    const b = new GraphBuilder('sym');
    const x = b.input('x', 'float32', ['batch', 'seq', 4]);
    const w = b.param('w', [4, 4], { kind: 'normal', std: 1 });
    const h = b.layerNorm(b.matmul(x, w), b.param('g', [4], { kind: 'ones' }), b.param('bb', [4], { kind: 'zeros' }));
    const loss = b.reduceMean(b.mul(h, h), [0, 1, 2], false);
    const grads = gradients(b, loss, [w]);
    b.output('gw', grads[0]);
    const g = b.build();
    for (const [bs, sl] of [
      [1, 2],
      [3, 5],
    ]) {
      const feeds: Record<string, Tensor> = {
        x: tensor('float32', [bs, sl, 4], Array.from({ length: bs * sl * 4 }, (_, i) => Math.sin(i))),
        w: tensor('float32', [4, 4], Array.from({ length: 16 }, (_, i) => Math.cos(i))),
        g: tensor('float32', [4], [1, 1, 1, 1]),
        bb: tensor('float32', [4]),
      };
      expect(interpret(g, feeds).gw.shape).toEqual([4, 4]);
    }
  });

  it('differentiates ScatterElements and fails loudly on Slice steps', () => {
    const b = new GraphBuilder('norule');
    const x = b.input('x', 'float32', [3]);
    const y = b.scatterElements(x, b.constant(tensor('int64', [1], [0])), b.constant(tensor('float32', [1], [2])), 0, 'none');
    const loss = b.reduceSum(b.mul(y, y), [0], false);
    expect(() => gradients(b, loss, [x])).not.toThrow();
    const b2 = new GraphBuilder('norule2');
    const x2 = b2.input('x', 'float32', [2, 3]);
    const sliced = b2.node('Slice', [x2, b2.int64s([0]), b2.int64s([3]), b2.int64s([1]), b2.int64s([2])], [{ dtype: 'float32', shape: [2, 2] }])[0];
    expect(() => gradients(b2, b2.reduceSum(sliced, [0, 1], false), [x2])).toThrow(/steps/);
  });
});

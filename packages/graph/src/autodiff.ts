/**
 * Symbolic reverse-mode automatic differentiation of the ssbench IR.
 *
 * `gradients(b, loss, wrt)` appends the backward pass to the same builder as ordinary IR nodes, so a training
 * step (forward + backward + optimizer) is one graph that any backend executes forward (DESIGN.md section 2).
 *
 * References: Griewank & Walther, "Evaluating Derivatives" (2008), ch. 3 (reverse mode); the per-op rules follow
 * the ONNX opset 17 operator semantics (https://onnx.ai/onnx/operators/) and match PyTorch's derivatives.yaml
 * (e.g. softmax_backward_data, native_layer_norm_backward, embedding_dense_backward). Broadcast inputs get their
 * gradient summed over the broadcast axes (numpy/ONNX multidirectional broadcasting).
 *
 * Only float32 values receive gradients; integer and bool values (indices, masks, shapes) are constants to it.
 */
import type { Dim, Node, OpType, Shape } from './ir';
import { sizeOf, tensor } from './ir';
import { type GraphBuilder, GraphError, type Value } from './builder';

/** "To the end" for Slice ends (dimensions never reach 2^31 - 1; exact in int64 unlike INT64_MAX as a double). */
const END = 2 ** 31 - 1;
const LN_TWO_OVER_SQRT_PI = Math.log(2 / Math.sqrt(Math.PI)); // 0.1207822376352452

function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * The builder plus the few simplifications that keep the backward graph lean: multiplying by a constant 1 is
 * dropped, products and reshapes of constants are folded, scalar constants are shared.
 */
class GradOps {
  private readonly scalars = new Map<number, Value>();
  private readonly shapes = new Map<string, Value>();
  private readonly transposes = new Map<string, Value>();
  private readonly flats = new Map<string, Value>();

  /** `producers`: the forward node computing each value (to see through forward transposes). */
  constructor(
    readonly b: GraphBuilder,
    private readonly producers: ReadonlyMap<string, Node>,
  ) {}

  scalar(x: number): Value {
    let v = this.scalars.get(x);
    if (!v) {
      v = this.b.scalar(x);
      this.scalars.set(x, v);
    }
    return v;
  }

  /** The value of a constant with one element, else undefined. */
  constScalar(v: Value): number | undefined {
    const t = this.b.constantTensor(v);
    return t && t.dtype === 'float32' && t.data.length === 1 ? Number(t.data[0]) : undefined;
  }

  private foldBinary(a: Value, c: Value, f: (p: number, q: number) => number): Value | undefined {
    const p = this.constScalar(a);
    const q = this.constScalar(c);
    if (p === undefined || q === undefined) return undefined;
    const shape = (a.shape.length >= c.shape.length ? a.shape : c.shape) as number[];
    const r = f(p, q);
    return shape.length === 0 ? this.scalar(r) : this.b.constant(tensor('float32', shape, [r]), 'grad_const');
  }

  /** `x` when multiplying by a constant 1 cannot change it (same static shape after broadcasting). */
  private unit(one: Value, x: Value): boolean {
    return this.constScalar(one) === 1 && one.shape.length <= x.shape.length;
  }

  mul(a: Value, c: Value | number): Value {
    const cv = typeof c === 'number' ? this.scalar(c) : c;
    if (this.unit(cv, a)) return a;
    if (this.unit(a, cv)) return cv;
    return this.foldBinary(a, cv, (p, q) => p * q) ?? this.b.mul(a, cv);
  }

  div(a: Value | number, c: Value): Value {
    const av = typeof a === 'number' ? this.scalar(a) : a;
    if (this.unit(c, av)) return av;
    return this.foldBinary(av, c, (p, q) => p / q) ?? this.b.div(av, c);
  }

  add(a: Value, c: Value): Value {
    return this.foldBinary(a, c, (p, q) => p + q) ?? this.b.add(a, c);
  }

  sub(a: Value | number, c: Value): Value {
    const av = typeof a === 'number' ? this.scalar(a) : a;
    return this.foldBinary(av, c, (p, q) => p - q) ?? this.b.sub(av, c);
  }

  neg(a: Value): Value {
    const p = this.constScalar(a);
    if (p !== undefined && a.shape.length === 0) return this.scalar(-p);
    return this.b.neg(a);
  }

  private foldShape(x: Value, shape: Dim[]): Value | undefined {
    const t = this.b.constantTensor(x);
    if (!t || !isStatic(shape) || t.data.length > 1024) return undefined;
    return this.b.constant(tensor(t.dtype, shape, t.data), 'grad_const');
  }

  unsqueeze(x: Value, axes: readonly number[]): Value {
    if (axes.length === 0) return x;
    const rank = x.shape.length + axes.length;
    const ax = axes.map((a) => (a < 0 ? a + rank : a));
    const shape: Dim[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) shape.push(ax.includes(i) ? 1 : x.shape[j++]);
    return this.foldShape(x, shape) ?? this.b.unsqueeze(x, ax);
  }

  /** `x` reshaped to the (static or run-time) shape of `like`. */
  reshapeTo(x: Value, like: Value): Value {
    if (sameShape(x.shape, like.shape) && isStatic(like.shape)) return x;
    if (isStatic(like.shape)) return this.foldShape(x, [...like.shape]) ?? this.b.reshape(x, like.shape);
    return this.b.reshapeLike(x, like);
  }

  /** The int64 shape vector of `like`: a constant when static, else a Shape node. */
  shapeVector(like: Value): Value {
    if (isStatic(like.shape)) return this.b.int64s(like.shape, 'shape');
    let s = this.shapes.get(like.name);
    if (!s) {
      s = this.b.shapeOf(like);
      this.shapes.set(like.name, s);
    }
    return s;
  }

  /** `x` broadcast (ONNX Expand) to the shape of `like`. */
  expandTo(x: Value, like: Value): Value {
    if (sameShape(x.shape, like.shape)) return x;
    return this.b.expand(x, this.shapeVector(like), like.shape);
  }

  /** Zeros shaped like `like` (an Expand of a scalar: no large constant in the graph). */
  zeros(like: Value | readonly number[]): Value {
    if (Array.isArray(like)) {
      const shape = like as readonly number[];
      return shape.length === 0 ? this.scalar(0) : this.b.expand(this.scalar(0), this.b.int64s(shape, 'shape'), shape);
    }
    const v = like as Value;
    return this.b.expand(this.scalar(0), this.shapeVector(v), v.shape);
  }

  /**
   * Sums a broadcast gradient `g` back to `target`: ReduceSum over the leading axes that broadcasting added and
   * over the axes where the target has size 1, keeping the target's rank.
   */
  sumTo(g: Value, target: Shape): Value {
    const r = g.shape.length - target.length;
    if (r < 0) throw new GraphError(`autodiff: gradient [${g.shape}] has lower rank than its input [${target}]`);
    const axes: number[] = [];
    g.shape.forEach((d, i) => {
      if (i < r || (target[i - r] === 1 && d !== 1)) axes.push(i);
    });
    if (axes.length === 0) return g;
    if (r === 0) return this.b.reduceSum(g, axes, true);
    const s = this.b.reduceSum(g, axes, false); // [g dims outside axes]
    const ones = axes.filter((a) => a >= r).map((a) => a - r);
    return ones.length ? this.unsqueeze(s, ones) : s;
  }

  /** x reshaped to [-1, last] (rows of its last axis), shared between the gradients that need it. */
  rows(x: Value, last: number): Value {
    let f = this.flats.get(x.name);
    if (!f) {
      f = this.b.reshape(x, [-1, last]); // [rows, last]
      this.flats.set(x.name, f);
    }
    return f;
  }

  /** x with its last two axes swapped; the forward input itself when x is already such a transpose. */
  transposeLast2(x: Value): Value {
    const r = x.shape.length;
    const perm = [...range(r - 2), r - 1, r - 2];
    const p = this.producers.get(x.name);
    const pp = p?.op === 'Transpose' ? p.attrs.perm : undefined;
    if (p && Array.isArray(pp) && pp.length === r && pp.every((v, i) => v === perm[i])) return this.b.value(p.inputs[0]);
    let t = this.transposes.get(x.name);
    if (!t) {
      t = this.b.transpose(x, perm); // [..., n, k] -> [..., k, n]
      this.transposes.set(x.name, t);
    }
    return t;
  }

  /** A Slice with constant starts/ends/axes whose static output shape is given (keeps symbolic labels exact). */
  slice(x: Value, starts: readonly number[], ends: readonly number[], axes: readonly number[], shape: Shape): Value {
    const b = this.b;
    return b.node('Slice', [x, b.int64s(starts, 'starts'), b.int64s(ends, 'ends'), b.int64s(axes, 'axes')], [{ dtype: x.dtype, shape }])[0];
  }
}

interface RuleArgs {
  readonly o: GradOps;
  readonly b: GraphBuilder;
  readonly node: Node;
  /** The node's inputs (null where an optional input is omitted). */
  readonly x: readonly (Value | null)[];
  /** The node's outputs. */
  readonly y: readonly (Value | null)[];
  /** The gradient reaching each output (null where none flows). */
  readonly dy: readonly (Value | null)[];
  /** Whether each input needs a gradient (float32 and depends on a `wrt` value). */
  readonly needs: readonly boolean[];
}

/** One rule per op: the gradient of each input (null for none), given the gradients of the outputs. */
type GradRule = (a: RuleArgs) => (Value | null)[];

function in0(a: RuleArgs, i: number): Value {
  const v = a.x[i];
  if (!v) throw new GraphError(`autodiff: ${a.node.op} input ${i} is missing`);
  return v;
}

function dy0(a: RuleArgs): Value {
  const g = a.dy[0];
  if (!g) throw new GraphError(`autodiff: ${a.node.op} has no output gradient`);
  return g;
}

function out0(a: RuleArgs): Value {
  const v = a.y[0];
  if (!v) throw new GraphError(`autodiff: ${a.node.op} output 0 is unnamed`);
  return v;
}

function axisAttr(a: RuleArgs, rank: number, dflt = 0): number {
  const v = a.node.attrs.axis;
  const ax = typeof v === 'number' ? v : dflt;
  return ax < 0 ? ax + rank : ax;
}

/** Constant int64 data of input `i` (axes, starts, ...) or of attribute `attr`; undefined when absent. */
function constInts(a: RuleArgs, i: number, attr?: string): number[] | undefined {
  const v = a.x[i];
  if (v) {
    const c = a.b.constantInts(v);
    if (!c) throw new GraphError(`autodiff: ${a.node.op} input ${i} ("${v.name}") must be a constant to differentiate`);
    return c;
  }
  const at = attr ? a.node.attrs[attr] : undefined;
  if (at === undefined) return undefined;
  if (typeof at === 'string') throw new GraphError(`autodiff: ${a.node.op} attribute ${attr} is not ints`);
  return typeof at === 'number' ? [at] : [...at];
}

function reducedAxes(a: RuleArgs, x: Value, fromInput: boolean): number[] | 'noop' {
  const given = fromInput ? constInts(a, 1) : constInts(a, 99, 'axes');
  if (!given || given.length === 0) {
    if (a.node.attrs.noop_with_empty_axes === 1) return 'noop';
    return range(x.shape.length);
  }
  return given.map((ax) => (ax < 0 ? ax + x.shape.length : ax)).sort((p, q) => p - q);
}

/** Number of elements a reduction over `axes` of `x` averages, as a float32 value (a constant when static). */
function countOf(a: RuleArgs, x: Value, axes: readonly number[]): Value | number {
  const dims = axes.map((ax) => x.shape[ax]);
  if (dims.every((d) => typeof d === 'number')) return sizeOf(dims as number[]);
  const b = a.b;
  const shape = a.o.shapeVector(x); // [rank] int64
  let n: Value | undefined;
  for (const ax of axes) {
    const d = b.cast(b.gather(shape, b.constant(tensor('int64', [], [ax]), 'axis')), 'float32'); // [] float32
    n = n ? b.mul(n, d) : d;
  }
  return n as Value;
}

function unbroadcastBinary(a: RuleArgs, ga: () => Value, gb: () => Value): (Value | null)[] {
  return [a.needs[0] ? a.o.sumTo(ga(), in0(a, 0).shape) : null, a.needs[1] ? a.o.sumTo(gb(), in0(a, 1).shape) : null];
}

function selectRule(less: (a: RuleArgs) => Value): GradRule {
  // Max: the gradient goes to a where a >= b, else to b (ties to the first input); Min symmetrically.
  return (a) => {
    if (a.x.length !== 2) throw new GraphError(`autodiff: ${a.node.op} with ${a.x.length} inputs (only 2 are differentiable)`);
    const dy = dy0(a);
    const mask = less(a); // bool, true where the gradient goes to input 1
    const zero = a.o.scalar(0);
    return unbroadcastBinary(
      a,
      () => a.b.where(mask, zero, dy),
      () => a.b.where(mask, dy, zero),
    );
  };
}

const RULES: Readonly<Partial<Record<OpType, GradRule>>> = {
  Add: (a) => unbroadcastBinary(a, () => dy0(a), () => dy0(a)),

  Sub: (a) => [a.needs[0] ? a.o.sumTo(dy0(a), in0(a, 0).shape) : null, a.needs[1] ? a.o.neg(a.o.sumTo(dy0(a), in0(a, 1).shape)) : null],

  Mul: (a) =>
    unbroadcastBinary(
      a,
      () => a.o.mul(dy0(a), in0(a, 1)),
      () => a.o.mul(dy0(a), in0(a, 0)),
    ),

  // y = p / q: dp = dy / q, dq = -dy p / q^2 = -(dy / q) y
  Div: (a) => {
    const t = a.o.div(dy0(a), in0(a, 1));
    return [a.needs[0] ? a.o.sumTo(t, in0(a, 0).shape) : null, a.needs[1] ? a.o.neg(a.o.sumTo(a.o.mul(t, out0(a)), in0(a, 1).shape)) : null];
  },

  // y = p^q: dp = dy q p^(q-1); dq = dy y log(p)
  Pow: (a) => {
    const { o, b } = a;
    const p = in0(a, 0);
    const q = in0(a, 1);
    const dy = dy0(a);
    let dp: Value | null = null;
    if (a.needs[0]) {
      const qc = b.constantTensor(q);
      let local: Value;
      if (qc && qc.data.length === 1) {
        const e = Number(qc.data[0]);
        local = e === 1 ? o.scalar(1) : e === 2 ? o.mul(p, 2) : o.mul(b.pow(p, o.scalar(e - 1)), e);
      } else if (qc) {
        const qm1 = b.constant(tensor('float32', qc.shape, Float32Array.from(qc.data as Float32Array, (v) => v - 1)), 'grad_const');
        local = b.mul(b.pow(p, qm1), q);
      } else local = b.mul(b.pow(p, b.sub(q, o.scalar(1))), q);
      dp = o.sumTo(o.mul(dy, local), p.shape);
    }
    const dq = a.needs[1] ? o.sumTo(o.mul(dy, b.mul(out0(a), b.log(p))), q.shape) : null;
    return [dp, dq];
  },

  Neg: (a) => [a.o.neg(dy0(a))],
  Identity: (a) => [dy0(a)],
  Cast: (a) => [dy0(a)], // float -> float only: an int/bool input or output carries no gradient
  Sqrt: (a) => [a.o.div(a.o.mul(dy0(a), 0.5), out0(a))], // dy / (2 sqrt(x))
  Exp: (a) => [a.o.mul(dy0(a), out0(a))],
  Log: (a) => [a.o.div(dy0(a), in0(a, 0))],
  // d erf(x) = 2/sqrt(pi) exp(-x^2) = exp(ln(2/sqrt(pi)) - x^2): the constant folded into the exponent (4 ops).
  Erf: (a) => {
    const x = in0(a, 0);
    return [a.o.mul(dy0(a), a.b.exp(a.b.sub(a.o.scalar(LN_TWO_OVER_SQRT_PI), a.b.mul(x, x))))];
  },
  Tanh: (a) => {
    const y = out0(a);
    return [a.o.mul(dy0(a), a.o.sub(1, a.b.mul(y, y)))];
  },
  Sigmoid: (a) => {
    const y = out0(a);
    return [a.o.mul(dy0(a), a.b.mul(y, a.o.sub(1, y)))];
  },
  Relu: (a) => [a.b.where(a.b.greater(out0(a), a.o.scalar(0)), dy0(a), a.o.scalar(0))],

  Max: selectRule((a) => a.b.less(in0(a, 0), in0(a, 1))),
  Min: selectRule((a) => a.b.greater(in0(a, 0), in0(a, 1))),

  Where: (a) => {
    const c = in0(a, 0);
    const dy = dy0(a);
    const zero = a.o.scalar(0);
    return [
      null,
      a.needs[1] ? a.o.sumTo(a.b.where(c, dy, zero), in0(a, 1).shape) : null,
      a.needs[2] ? a.o.sumTo(a.b.where(c, zero, dy), in0(a, 2).shape) : null,
    ];
  },

  // y = p @ q with p [..., n, k], q [..., k, m]: dp = dy @ q^T, dq = p^T @ dy, each summed over broadcast batch dims.
  MatMul: (a) => {
    const { o, b } = a;
    const p = in0(a, 0);
    const q = in0(a, 1);
    const dy = dy0(a); // [..., n, m]
    if (p.shape.length < 2 || q.shape.length < 2) throw new GraphError('autodiff: MatMul with a 1-D operand');
    const dp = a.needs[0] ? o.sumTo(b.matmul(dy, o.transposeLast2(q)), p.shape) : null; // [..., n, k]
    let dq: Value | null = null;
    if (a.needs[1]) {
      const k = p.shape[p.shape.length - 1];
      const m = q.shape[q.shape.length - 1];
      if (q.shape.length === 2 && p.shape.length > 2 && typeof k === 'number' && typeof m === 'number') {
        // Shared weight: one [k, rows] @ [rows, m] product over all batch rows instead of a batched one + ReduceSum.
        const p2 = o.rows(p, k); // [rows, k]
        const dy2 = b.reshape(dy, [-1, m]); // [rows, m]
        dq = b.matmul(o.transposeLast2(p2), dy2); // [k, rows] @ [rows, m] -> [k, m]
      } else dq = o.sumTo(b.matmul(o.transposeLast2(p), dy), q.shape); // [..., k, m]
    }
    return [dp, dq];
  },

  // y = alpha op(A) op(B) + beta C (2-D). Each gradient is again one Gemm, the transposes folded into its flags:
  //   dA = alpha dY op(B)^T (transA = 0) or alpha op(B) dY^T (transA = 1)
  //   dB = alpha op(A)^T dY (transB = 0) or alpha dY^T op(A) (transB = 1);   dC = beta dY summed to C's shape.
  // For a dense layer gemm(x, W, bias, transB) that is dx = dY W and dW = dY^T x: no Transpose nodes.
  Gemm: (a) => {
    const { o, b } = a;
    const A = in0(a, 0);
    const B = in0(a, 1);
    const C = a.x[2];
    const dy = dy0(a); // [M, N]
    const ta = a.node.attrs.transA === 1;
    const tb = a.node.attrs.transB === 1;
    const alpha = typeof a.node.attrs.alpha === 'number' ? a.node.attrs.alpha : 1;
    const beta = typeof a.node.attrs.beta === 'number' ? a.node.attrs.beta : 1;
    const dA = a.needs[0] ? (ta ? b.gemm(B, dy, null, { transA: tb, transB: true, alpha }) : b.gemm(dy, B, null, { transB: !tb, alpha })) : null;
    const dB = a.needs[1] ? (tb ? b.gemm(dy, A, null, { transA: true, transB: ta, alpha }) : b.gemm(A, dy, null, { transA: !ta, alpha })) : null;
    const dC = C && a.needs[2] ? o.sumTo(beta === 1 ? dy : o.mul(dy, beta), C.shape) : null;
    return [dA, dB, dC];
  },

  // Gather rows: scatter-add the output gradient back into zeros shaped like the data (no OneHot). Along axis 0
  // that is a ScatterND of whole rows (embedding_dense_backward); other axes scatter single elements.
  Gather: (a) => {
    const { o, b } = a;
    const data = in0(a, 0);
    const idx = in0(a, 1);
    const dy = dy0(a); // [A..., I..., B...]
    const r = data.shape.length;
    const ax = axisAttr(a, r);
    const lead = data.shape.slice(0, ax);
    const trail = data.shape.slice(ax + 1);
    if (ax === 0 && (idx.shape.length <= 1 || isStatic(trail))) {
      let flat = idx; // [N]
      let rows = dy; // [N, B...]
      if (idx.shape.length === 0) {
        flat = b.reshape(idx, [1]);
        rows = o.unsqueeze(dy, [0]);
      } else if (idx.shape.length > 1) {
        flat = b.reshape(idx, [-1]);
        rows = b.reshape(dy, [-1, ...(trail as number[])]); // static: checked above
      }
      const ids = b.unsqueeze(idx.dtype === 'int64' ? flat : b.cast(flat, 'int64'), [-1]); // [N, 1] int64 (ONNX ScatterND)
      return [b.scatterND(o.zeros(data), ids, rows, 'add'), null];
    }
    let upd: Value; // [A..., N, B...]
    let flat: Value; // [N]
    if (idx.shape.length === 1) {
      upd = dy;
      flat = idx;
    } else if (idx.shape.length === 0) {
      upd = o.unsqueeze(dy, [ax]);
      flat = b.reshape(idx, [1]);
    } else {
      if (!isStatic(trail)) throw new GraphError(`autodiff: Gather with ${idx.shape.length}-D indices needs static trailing dims, got [${data.shape}]`);
      upd = b.reshape(dy, [...lead.map(() => 0), -1, ...trail]); // [A..., N, B...]
      flat = b.reshape(idx, [-1]); // [N]
    }
    const others = range(r).filter((i) => i !== ax);
    const ie = o.expandTo(o.unsqueeze(flat, others), upd); // [1.., N, 1..] -> [A..., N, B...]
    return [b.scatterElements(o.zeros(data), ie, upd, ax, 'add'), null];
  },

  GatherElements: (a) => {
    const data = in0(a, 0);
    return [a.b.scatterElements(a.o.zeros(data), in0(a, 1), dy0(a), axisAttr(a, data.shape.length), 'add'), null];
  },

  ScatterElements: (a) => {
    const { o, b } = a;
    const data = in0(a, 0);
    const idx = in0(a, 1);
    const upd = in0(a, 2);
    const dy = dy0(a);
    const ax = axisAttr(a, data.shape.length);
    const reduction = a.node.attrs.reduction ?? 'none';
    if (reduction !== 'none' && reduction !== 'add') throw new GraphError(`autodiff: ScatterElements reduction ${String(reduction)}`);
    const dData = a.needs[0] ? (reduction === 'add' ? dy : b.scatterElements(dy, idx, o.zeros(upd), ax, 'none')) : null;
    return [dData, null, a.needs[2] ? b.gatherElements(dy, idx, ax) : null];
  },

  // dx = y * (dy - sum(dy * y))
  Softmax: (a) => {
    const y = out0(a);
    const dy = dy0(a);
    const ax = axisAttr(a, y.shape.length, -1);
    const s = a.b.reduceSum(a.b.mul(dy, y), [ax], true);
    return [a.b.mul(y, a.b.sub(dy, s))];
  },

  // dx = dy - softmax(x) * sum(dy), softmax(x) = exp(y)
  LogSoftmax: (a) => {
    const y = out0(a);
    const dy = dy0(a);
    const ax = axisAttr(a, y.shape.length, -1);
    const s = a.b.reduceSum(dy, [ax], true);
    return [a.b.sub(dy, a.b.mul(a.b.exp(y), s))];
  },

  // xhat = (x - mean) * r; dx = r * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * scale (normalised axes).
  LayerNormalization: (a) => {
    const { o, b } = a;
    if (a.dy[1] || a.dy[2]) throw new GraphError('autodiff: gradients through LayerNormalization Mean/InvStdDev outputs are not supported');
    const x = in0(a, 0);
    const scale = in0(a, 1);
    const bias = a.x[2];
    const dy = dy0(a);
    const r = x.shape.length;
    const ax = axisAttr(a, r, -1);
    const axes = range(r).slice(ax);
    let mean = a.y[1];
    let inv = a.y[2];
    if (!mean || !inv) {
      const eps = typeof a.node.attrs.epsilon === 'number' ? a.node.attrs.epsilon : 1e-5;
      const m = b.reduceMean(x, axes, true);
      const xc = b.sub(x, m);
      mean = m;
      inv = b.div(o.scalar(1), b.sqrt(b.add(b.reduceMean(b.mul(xc, xc), axes, true), o.scalar(eps))));
    }
    const xhat = b.mul(b.sub(x, mean), inv); // [..., normalised]
    let dx: Value | null = null;
    if (a.needs[0]) {
      const g = o.mul(dy, scale);
      const m1 = b.reduceMean(g, axes, true);
      const m2 = b.reduceMean(b.mul(g, xhat), axes, true);
      dx = b.mul(inv, b.sub(b.sub(g, m1), b.mul(xhat, m2)));
    }
    const dScale = a.needs[1] ? o.sumTo(b.mul(dy, xhat), scale.shape) : null;
    const dBias = bias && a.needs[2] ? o.sumTo(dy, bias.shape) : null;
    return [dx, dScale, dBias];
  },

  ReduceSum: (a) => {
    const x = in0(a, 0);
    const axes = reducedAxes(a, x, true);
    if (axes === 'noop') return [dy0(a), null];
    const g = a.node.attrs.keepdims === 0 ? a.o.unsqueeze(dy0(a), axes) : dy0(a);
    return [a.o.expandTo(g, x), null];
  },

  ReduceMean: (a) => {
    const x = in0(a, 0);
    const axes = reducedAxes(a, x, false);
    if (axes === 'noop') return [dy0(a)];
    const kept = a.node.attrs.keepdims === 0 ? a.o.unsqueeze(dy0(a), axes) : dy0(a);
    const n = countOf(a, x, axes);
    const g = typeof n === 'number' ? a.o.mul(kept, 1 / n) : a.o.div(kept, n);
    return [a.o.expandTo(g, x)];
  },

  // The gradient goes to the maximal elements, split evenly between ties.
  ReduceMax: (a) => {
    const { o, b } = a;
    const x = in0(a, 0);
    const axes = reducedAxes(a, x, false);
    if (axes === 'noop') return [dy0(a)];
    const keep = a.node.attrs.keepdims !== 0;
    const yk = keep ? out0(a) : o.unsqueeze(out0(a), axes);
    const dyk = keep ? dy0(a) : o.unsqueeze(dy0(a), axes);
    const mask = b.cast(b.equal(x, yk), 'float32');
    const count = b.reduceSum(mask, axes, true);
    return [b.mul(mask, b.div(dyk, count))];
  },

  Reshape: (a) => [a.o.reshapeTo(dy0(a), in0(a, 0)), null],

  Transpose: (a) => {
    const r = in0(a, 0).shape.length;
    const perm = constInts(a, 99, 'perm') ?? range(r).reverse();
    const inv = new Array<number>(r);
    perm.forEach((p, i) => {
      inv[p] = i;
    });
    return [a.b.transpose(dy0(a), inv)];
  },

  Concat: (a) => {
    const xs = a.x.map((_, i) => in0(a, i));
    const ax = axisAttr(a, xs[0].shape.length);
    const dy = dy0(a);
    const sizes = xs.map((x) => x.shape[ax]);
    const staticSum = (from: number, to: number) => {
      let s = 0;
      for (let i = from; i < to; i++) {
        const d = sizes[i];
        if (typeof d !== 'number') return undefined;
        s += d;
      }
      return s;
    };
    return xs.map((x, i) => {
      if (!a.needs[i]) return null;
      const before = staticSum(0, i);
      const upTo = staticSum(0, i + 1);
      const from = staticSum(i, xs.length);
      const after = staticSum(i + 1, xs.length);
      const start = before !== undefined ? before : from !== undefined && from > 0 ? -from : undefined;
      const end = upTo !== undefined ? upTo : after !== undefined ? (after === 0 ? END : -after) : undefined;
      if (start === undefined || end === undefined)
        throw new GraphError(`autodiff: Concat along axis ${ax} with several symbolic sizes (${sizes.join(', ')})`);
      return a.o.slice(dy, [start], [end], [ax], x.shape);
    });
  },

  // Pad the gradient back with zeros, one sliced axis at a time: Concat(zeros before, g, zeros after).
  Slice: (a) => {
    const { o, b } = a;
    const x = in0(a, 0);
    const dy = dy0(a);
    const r = x.shape.length;
    const starts = constInts(a, 1) ?? [];
    const ends = constInts(a, 2) ?? [];
    const axes = (constInts(a, 3) ?? starts.map((_, i) => i)).map((ax) => (ax < 0 ? ax + r : ax));
    const steps = constInts(a, 4);
    if (steps?.some((s) => s !== 1)) throw new GraphError(`autodiff: Slice with steps [${steps}] (only 1 is differentiable here)`);
    const clamp = (v: number, d: number) => Math.max(0, Math.min(d, v < 0 ? v + d : v));
    let zerosX: Value | undefined;
    let g = dy;
    axes.forEach((axis, j) => {
      const d = x.shape[axis];
      const s = starts[j];
      const e = ends[j];
      const noBefore = s === 0 || (typeof d === 'number' && clamp(s, d) === 0);
      const noAfter = e >= END || (typeof d === 'number' && clamp(e, d) === d);
      if (noBefore && noAfter) return;
      // The other not-yet-padded axes keep their sliced extent.
      const rest = axes.slice(j + 1);
      const restStarts = starts.slice(j + 1);
      const restEnds = ends.slice(j + 1);
      const block = (bs: number, be: number, size: Dim): Value => {
        const shape = g.shape.map((gd, i) => (i === axis ? size : gd));
        if (isStatic(shape)) return o.zeros(shape);
        zerosX ??= o.zeros(x);
        return o.slice(zerosX, [bs, ...restStarts], [be, ...restEnds], [axis, ...rest], shape);
      };
      const parts: Value[] = [];
      if (!noBefore) parts.push(block(0, s, typeof d === 'number' ? clamp(s, d) : `${d}[0:${s}]`));
      parts.push(g);
      if (!noAfter) parts.push(block(e, END, typeof d === 'number' ? d - clamp(e, d) : `${d}[${e}:]`));
      const shape = g.shape.map((gd, i) => (i === axis ? d : gd));
      g = b.node('Concat', parts, [{ dtype: g.dtype, shape }], { axis })[0];
    });
    return [g, null, null, null, null];
  },

  Unsqueeze: (a) => {
    const axes = constInts(a, 1, 'axes') ?? [];
    const r = out0(a).shape.length;
    return [a.b.squeeze(dy0(a), axes.map((ax) => (ax < 0 ? ax + r : ax))), null];
  },

  Squeeze: (a) => {
    const x = in0(a, 0);
    const axes = constInts(a, 1, 'axes');
    if (!axes) return [a.o.reshapeTo(dy0(a), x), null];
    const r = x.shape.length;
    return [a.o.unsqueeze(dy0(a), axes.map((ax) => (ax < 0 ? ax + r : ax))), null];
  },

  Expand: (a) => [a.o.sumTo(dy0(a), in0(a, 0).shape), null],
};

/** The ops with a gradient rule. */
export function differentiableOps(): OpType[] {
  return Object.keys(RULES) as OpType[];
}

/**
 * Appends to `b` the nodes that compute d`loss`/d`w` for each `w` in `wrt` (reverse mode) and returns them in
 * order. `loss` is usually a scalar; otherwise the gradient is that of sum(loss). A `w` that `loss` does not
 * depend on gets zeros of its (static) shape.
 */
export function gradients(b: GraphBuilder, loss: Value, wrt: readonly Value[]): Value[] {
  if (loss.dtype !== 'float32') throw new GraphError(`autodiff: loss "${loss.name}" is ${loss.dtype}, not float32`);
  for (const w of wrt) if (w.dtype !== 'float32') throw new GraphError(`autodiff: cannot differentiate with respect to ${w.dtype} value "${w.name}"`);
  const nodes = [...b.nodeList()];

  // Values that depend on some wrt value (forward sweep).
  const depends = new Set(wrt.map((w) => w.name));
  for (const n of nodes) if (n.inputs.some((i) => i && depends.has(i))) for (const o of n.outputs) if (o) depends.add(o);

  const producers = new Map<string, Node>();
  for (const n of nodes) for (const out of n.outputs) if (out) producers.set(out, n);

  return b.scope('grad', () => {
    const o = new GradOps(b, producers);
    const contributions = new Map<string, Value[]>();
    const push = (name: string, g: Value) => {
      const list = contributions.get(name);
      if (list) list.push(g);
      else contributions.set(name, [g]);
    };
    /** Sum of the contributions to `name` (Add chain), memoised as one contribution. */
    const total = (name: string): Value | null => {
      const list = contributions.get(name);
      if (!list || list.length === 0) return null;
      let s = list[0];
      for (let i = 1; i < list.length; i++) s = o.add(s, list[i]);
      contributions.set(name, [s]);
      return s;
    };

    if (depends.has(loss.name)) push(loss.name, loss.shape.length === 0 ? o.scalar(1) : o.expandTo(o.scalar(1), loss));

    for (let ni = nodes.length - 1; ni >= 0; ni--) {
      const node = nodes[ni];
      const dy = node.outputs.map((name) => (name ? total(name) : null));
      if (dy.every((g) => g === null)) continue;
      const x = node.inputs.map((name) => (name ? b.value(name) : null));
      const needs = x.map((v) => v !== null && v.dtype === 'float32' && depends.has(v.name));
      if (!needs.some(Boolean)) continue;
      const rule = RULES[node.op];
      if (!rule) throw new GraphError(`autodiff: no gradient rule for ${node.op} (node computing "${node.outputs[0]}")`);
      const y = node.outputs.map((name) => (name ? b.value(name) : null));
      const gx = rule({ o, b, node, x, y, dy, needs });
      gx.forEach((g, i) => {
        const v = x[i];
        if (g && v && needs[i]) push(v.name, g);
      });
    }

    return wrt.map((w) => total(w.name) ?? o.zeros(w));
  });
}

/**
 * A typed builder for the ssbench IR with shape inference as nodes are added.
 *
 * Reference: ONNX operator specification, opset 17 (https://onnx.ai/onnx/operators/): broadcasting is
 * multidirectional (numpy); MatMul is numpy's matmul; Reshape's 0 copies the input dimension and -1 is inferred.
 *
 * Values are plain `ValueInfo` handles. Dimensions may be symbols ("batch", "seq"); a dimension that can only
 * be known at run time from several symbols is written as their product ("batch*seq").
 */
import {
  type AttrValue,
  type Dim,
  type DType,
  type Graph,
  type Node,
  type OpType,
  type Shape,
  type Tensor,
  type ValueInfo,
  tensor,
} from './ir';

export type Value = ValueInfo;

export type ParamInit = { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: ParamInit;
  readonly decay: boolean;
}

export interface DropoutSpec {
  readonly name: string;
  readonly shape: Shape;
  readonly rate: number;
}

export class GraphError extends Error {}

function dimProduct(dims: readonly Dim[]): Dim {
  let n = 1;
  const syms: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else syms.push(d);
  }
  if (syms.length === 0) return n;
  return [...(n === 1 ? [] : [String(n)]), ...syms].join('*');
}

/** Multidirectional (numpy) broadcasting of two shapes. */
export function broadcastShapes(a: Shape, b: Shape, what = 'broadcast'): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db) out.push(da);
    else if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (typeof da === 'string' && typeof db === 'number') out.push(db);
    else if (typeof db === 'string' && typeof da === 'number') out.push(da);
    else if (typeof da === 'string' && typeof db === 'string') out.push(da);
    else throw new GraphError(`${what}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
  }
  return out;
}

function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new GraphError(`${what}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

export class GraphBuilder {
  readonly name: string;
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly nodes: Node[] = [];
  private readonly initializers = new Map<string, Tensor>();
  private readonly values = new Map<string, ValueInfo>();
  /** Trainable parameters, in declaration order (each is also a graph input). */
  readonly params: ParamSpec[] = [];
  /** Dropout keep-masks fed at run time (0 or 1/(1-rate)), in declaration order. */
  readonly dropouts: DropoutSpec[] = [];
  private counter = 0;
  private scopes: string[] = [];

  constructor(name: string) {
    this.name = name;
  }

  // ---- naming -------------------------------------------------------------------------------------------

  /** Runs `fn` with `prefix` prepended to generated value names (readability of exported graphs). */
  scope<T>(prefix: string, fn: () => T): T {
    this.scopes.push(prefix);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  private fresh(hint: string): string {
    const prefix = this.scopes.length ? `${this.scopes.join('/')}/` : '';
    return `${prefix}${hint}_${this.counter++}`;
  }

  private declare(info: ValueInfo): ValueInfo {
    if (this.values.has(info.name)) throw new GraphError(`value "${info.name}" is defined twice`);
    const v: ValueInfo = { name: info.name, dtype: info.dtype, shape: [...info.shape] };
    this.values.set(v.name, v);
    return v;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  value(name: string): Value {
    const v = this.values.get(name);
    if (!v) throw new GraphError(`unknown value "${name}"`);
    return v;
  }

  // ---- graph inputs, parameters, constants, outputs -------------------------------------------------------

  input(name: string, dtype: DType, shape: Shape): Value {
    const v = this.declare({ name, dtype, shape });
    this.inputs.push(v);
    return v;
  }

  /**
   * A trainable float32 parameter, fed at run time under its (Hugging Face) name. `init` says how a fresh
   * model initialises it; `decay: false` exempts it from weight decay (biases and LayerNorm, as in BERT).
   */
  param(name: string, shape: readonly number[], init: ParamInit, decay = !/(bias|LayerNorm|ln_|layer_norm)/.test(name)): Value {
    const v = this.input(name, 'float32', shape);
    this.params.push({ name, shape: [...shape], init, decay });
    return v;
  }

  /**
   * Inverted dropout with a keep-mask that is a graph input (`dropout/<n>`, same shape as x), so that a seeded
   * RNG outside the graph makes every backend drop the same units. Rate 0 returns x unchanged.
   */
  dropout(x: Value, rate: number): Value {
    if (rate <= 0) return x;
    const name = `dropout/${this.dropouts.length}`;
    const mask = this.input(name, 'float32', x.shape);
    this.dropouts.push({ name, shape: [...x.shape], rate });
    return this.mul(x, mask);
  }

  constant(t: Tensor, hint = 'const'): Value {
    const name = this.fresh(hint);
    this.initializers.set(name, t);
    return this.declare({ name, dtype: t.dtype, shape: t.shape });
  }

  scalar(x: number, dtype: DType = 'float32'): Value {
    return this.constant(tensor(dtype, [], [x]), 'scalar');
  }

  int64s(xs: readonly number[], hint = 'ints'): Value {
    return this.constant(tensor('int64', [xs.length], xs), hint);
  }

  /** Marks `v` as a graph output named `name` (an Identity node when the names differ). */
  output(name: string, v: Value): Value {
    let out = v;
    if (v.name !== name) {
      this.nodes.push({ op: 'Identity', inputs: [v.name], outputs: [name], attrs: {} });
      out = this.declare({ name, dtype: v.dtype, shape: v.shape });
    }
    this.outputs.push(out);
    return out;
  }

  /** Constant int64 data of an initializer, or undefined when `v` is computed at run time. */
  constantInts(v: Value): number[] | undefined {
    const t = this.initializers.get(v.name);
    if (!t) return undefined;
    return Array.from(t.data as ArrayLike<number | bigint>, Number);
  }

  constantTensor(v: Value): Tensor | undefined {
    return this.initializers.get(v.name);
  }

  /** The nodes appended so far, in order (autodiff walks them to append the backward pass). */
  nodeList(): readonly Node[] {
    return this.nodes;
  }

  // ---- the generic node constructor ---------------------------------------------------------------------

  /** Appends a node. `outs` gives each output's dtype and shape; returns the output values. */
  node(op: OpType, inputs: readonly (Value | null)[], outs: { dtype: DType; shape: Shape }[], attrs: Record<string, AttrValue> = {}): Value[] {
    for (const i of inputs) if (i && !this.values.has(i.name)) throw new GraphError(`${op}: input "${i.name}" is not in this graph`);
    const outputs = outs.map((o) => this.declare({ name: this.fresh(op), dtype: o.dtype, shape: o.shape }));
    this.nodes.push({ op, inputs: inputs.map((i) => (i ? i.name : '')), outputs: outputs.map((o) => o.name), attrs });
    return outputs;
  }

  private one(op: OpType, inputs: readonly (Value | null)[], dtype: DType, shape: Shape, attrs: Record<string, AttrValue> = {}): Value {
    return this.node(op, inputs, [{ dtype, shape }], attrs)[0];
  }

  // ---- elementwise ----------------------------------------------------------------------------------------

  private binary(op: OpType, a: Value, b: Value, dtype = a.dtype): Value {
    if (a.dtype !== b.dtype) throw new GraphError(`${op}: dtypes ${a.dtype} and ${b.dtype} differ`);
    return this.one(op, [a, b], dtype, broadcastShapes(a.shape, b.shape, op));
  }

  private lift(x: Value | number, like: Value): Value {
    return typeof x === 'number' ? this.scalar(x, like.dtype) : x;
  }

  add(a: Value, b: Value | number): Value {
    return this.binary('Add', a, this.lift(b, a));
  }
  sub(a: Value | number, b: Value | number): Value {
    const like = typeof a === 'number' ? (b as Value) : a;
    return this.binary('Sub', this.lift(a, like), this.lift(b, like));
  }
  mul(a: Value, b: Value | number): Value {
    return this.binary('Mul', a, this.lift(b, a));
  }
  div(a: Value | number, b: Value | number): Value {
    const like = typeof a === 'number' ? (b as Value) : a;
    return this.binary('Div', this.lift(a, like), this.lift(b, like));
  }
  pow(a: Value, b: Value | number): Value {
    return this.binary('Pow', a, this.lift(b, a));
  }
  max(a: Value, b: Value | number): Value {
    return this.binary('Max', a, this.lift(b, a));
  }
  min(a: Value, b: Value | number): Value {
    return this.binary('Min', a, this.lift(b, a));
  }
  equal(a: Value, b: Value | number): Value {
    return this.binary('Equal', a, this.lift(b, a), 'bool');
  }
  less(a: Value, b: Value | number): Value {
    return this.binary('Less', a, this.lift(b, a), 'bool');
  }
  greater(a: Value, b: Value | number): Value {
    return this.binary('Greater', a, this.lift(b, a), 'bool');
  }

  private unary(op: OpType, x: Value): Value {
    return this.one(op, [x], x.dtype, x.shape);
  }
  neg(x: Value): Value {
    return this.unary('Neg', x);
  }
  sqrt(x: Value): Value {
    return this.unary('Sqrt', x);
  }
  exp(x: Value): Value {
    return this.unary('Exp', x);
  }
  log(x: Value): Value {
    return this.unary('Log', x);
  }
  erf(x: Value): Value {
    return this.unary('Erf', x);
  }
  tanh(x: Value): Value {
    return this.unary('Tanh', x);
  }
  sigmoid(x: Value): Value {
    return this.unary('Sigmoid', x);
  }
  relu(x: Value): Value {
    return this.unary('Relu', x);
  }
  not(x: Value): Value {
    if (x.dtype !== 'bool') throw new GraphError('Not: input must be bool');
    return this.unary('Not', x);
  }
  identity(x: Value): Value {
    return this.unary('Identity', x);
  }

  where(cond: Value, a: Value, b: Value): Value {
    if (cond.dtype !== 'bool') throw new GraphError('Where: condition must be bool');
    if (a.dtype !== b.dtype) throw new GraphError(`Where: dtypes ${a.dtype} and ${b.dtype} differ`);
    const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape, 'Where'), b.shape, 'Where');
    return this.one('Where', [cond, a, b], a.dtype, shape);
  }

  cast(x: Value, to: DType): Value {
    return this.one('Cast', [x], to, x.shape, { to: onnxTypeCode(to) });
  }

  // ---- linear algebra and indexing ------------------------------------------------------------------------

  /** numpy matmul: [..., n, k] @ [..., k, m] -> [..., n, m] (1-D operands are not used in ssbench). */
  matmul(a: Value, b: Value): Value {
    if (a.shape.length < 2 || b.shape.length < 2) throw new GraphError('MatMul: operands must have rank >= 2');
    const ka = a.shape[a.shape.length - 1];
    const kb = b.shape[b.shape.length - 2];
    if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb)
      throw new GraphError(`MatMul: inner dimensions ${ka} and ${kb} differ ([${a.shape}] @ [${b.shape}])`);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul');
    return this.one('MatMul', [a, b], a.dtype, [...batch, a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]]);
  }

  /** ONNX Gather: out.shape = data.shape[:axis] + indices.shape + data.shape[axis+1:]. */
  gather(data: Value, indices: Value, axis = 0): Value {
    const ax = normAxis(axis, data.shape.length, 'Gather');
    const shape = [...data.shape.slice(0, ax), ...indices.shape, ...data.shape.slice(ax + 1)];
    return this.one('Gather', [data, indices], data.dtype, shape, { axis: ax });
  }

  /** ONNX GatherElements: out.shape = indices.shape. */
  gatherElements(data: Value, indices: Value, axis: number): Value {
    const ax = normAxis(axis, data.shape.length, 'GatherElements');
    return this.one('GatherElements', [data, indices], data.dtype, indices.shape, { axis: ax });
  }

  /** ONNX ScatterElements (opset 16+): copies `data` and writes (or adds) `updates` at `indices` along `axis`. */
  scatterElements(data: Value, indices: Value, updates: Value, axis: number, reduction: 'none' | 'add' = 'none'): Value {
    const ax = normAxis(axis, data.shape.length, 'ScatterElements');
    return this.one('ScatterElements', [data, indices, updates], data.dtype, data.shape, { axis: ax, reduction });
  }

  // ---- normalisation and activations ----------------------------------------------------------------------

  softmax(x: Value, axis = -1): Value {
    return this.one('Softmax', [x], x.dtype, x.shape, { axis: normAxis(axis, x.shape.length, 'Softmax') });
  }

  logSoftmax(x: Value, axis = -1): Value {
    return this.one('LogSoftmax', [x], x.dtype, x.shape, { axis: normAxis(axis, x.shape.length, 'LogSoftmax') });
  }

  /**
   * ONNX LayerNormalization over the trailing axes from `axis`. Returns the normalised output and the
   * saved statistics (Mean, InvStdDev; shaped like x with the normalised axes set to 1) that its gradient uses.
   */
  layerNormFull(x: Value, scale: Value, bias: Value, eps = 1e-12, axis = -1): { y: Value; mean: Value; invStd: Value } {
    const ax = normAxis(axis, x.shape.length, 'LayerNormalization');
    const statShape = x.shape.map((d, i) => (i < ax ? d : 1));
    const [y, mean, invStd] = this.node(
      'LayerNormalization',
      [x, scale, bias],
      [
        { dtype: x.dtype, shape: x.shape },
        { dtype: 'float32', shape: statShape },
        { dtype: 'float32', shape: statShape },
      ],
      { axis: ax, epsilon: eps },
    );
    return { y, mean, invStd };
  }

  layerNorm(x: Value, scale: Value, bias: Value, eps = 1e-12, axis = -1): Value {
    return this.layerNormFull(x, scale, bias, eps, axis).y;
  }

  // ---- reductions -----------------------------------------------------------------------------------------

  private reducedShape(x: Value, axes: readonly number[], keepdims: boolean, what: string): { axes: number[]; shape: Dim[] } {
    const ax = axes.map((a) => normAxis(a, x.shape.length, what)).sort((p, q) => p - q);
    const shape: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!ax.includes(i)) shape.push(d);
      else if (keepdims) shape.push(1);
    });
    return { axes: ax, shape };
  }

  /** ReduceSum (opset 13+: axes is an int64 input). */
  reduceSum(x: Value, axes: readonly number[], keepdims = true): Value {
    const r = this.reducedShape(x, axes, keepdims, 'ReduceSum');
    return this.one('ReduceSum', [x, this.int64s(r.axes, 'axes')], x.dtype, r.shape, { keepdims: keepdims ? 1 : 0 });
  }

  /** ReduceMean (opset 17: axes is an attribute). */
  reduceMean(x: Value, axes: readonly number[], keepdims = true): Value {
    const r = this.reducedShape(x, axes, keepdims, 'ReduceMean');
    return this.one('ReduceMean', [x], x.dtype, r.shape, { axes: r.axes, keepdims: keepdims ? 1 : 0 });
  }

  reduceMax(x: Value, axes: readonly number[], keepdims = true): Value {
    const r = this.reducedShape(x, axes, keepdims, 'ReduceMax');
    return this.one('ReduceMax', [x], x.dtype, r.shape, { axes: r.axes, keepdims: keepdims ? 1 : 0 });
  }

  // ---- shape manipulation ---------------------------------------------------------------------------------

  /** Reshape to a constant target (0 = copy the input dimension, -1 = inferred). */
  reshape(x: Value, target: readonly number[]): Value {
    const out: Dim[] = target.map((d, i) => (d === 0 ? x.shape[i] : d));
    const inferred = out.indexOf(-1);
    if (inferred >= 0) {
      const known = out.filter((_, i) => i !== inferred);
      const total = dimProduct(x.shape);
      const rest = dimProduct(known);
      if (typeof total === 'number' && typeof rest === 'number') {
        if (total % rest !== 0) throw new GraphError(`Reshape: cannot reshape [${x.shape}] to [${target}]`);
        out[inferred] = total / rest;
      } else {
        // Cancel the known factors symbolically where possible (e.g. batch*seq*128 / 128 -> batch*seq).
        const tf = String(total).split('*');
        const rf = String(rest).split('*');
        for (const f of rf) {
          const k = tf.indexOf(f);
          if (k >= 0) tf.splice(k, 1);
          else if (f !== '1') {
            tf.length = 0;
            break;
          }
        }
        out[inferred] = tf.length === 0 ? `(${total})/(${rest})` : tf.join('*');
      }
    }
    return this.one('Reshape', [x, this.int64s(target, 'shape')], x.dtype, out);
  }

  /** Reshape to the run-time shape of `like` (used by gradients of shape-changing ops). */
  reshapeLike(x: Value, like: Value): Value {
    return this.one('Reshape', [x, this.shapeOf(like)], x.dtype, like.shape);
  }

  shapeOf(x: Value): Value {
    return this.one('Shape', [x], 'int64', [x.shape.length]);
  }

  transpose(x: Value, perm: readonly number[]): Value {
    if (perm.length !== x.shape.length) throw new GraphError(`Transpose: perm [${perm}] for rank ${x.shape.length}`);
    return this.one('Transpose', [x], x.dtype, perm.map((p) => x.shape[p]), { perm: [...perm] });
  }

  concat(xs: readonly Value[], axis: number): Value {
    const ax = normAxis(axis, xs[0].shape.length, 'Concat');
    const shape = [...xs[0].shape];
    const parts = xs.map((x) => x.shape[ax]);
    shape[ax] = parts.every((p) => typeof p === 'number') ? (parts as number[]).reduce((s, p) => s + p, 0) : parts.join('+');
    return this.one('Concat', xs, xs[0].dtype, shape, { axis: ax });
  }

  /** Slice with constant starts/ends/axes (steps 1). Ends may be large to mean "to the end". */
  slice(x: Value, starts: readonly number[], ends: readonly number[], axes: readonly number[]): Value {
    const shape = [...x.shape];
    axes.forEach((a, i) => {
      const ax = normAxis(a, x.shape.length, 'Slice');
      const d = x.shape[ax];
      if (typeof d === 'number') {
        const clamp = (v: number) => Math.max(0, Math.min(d, v < 0 ? v + d : v));
        shape[ax] = Math.max(0, clamp(ends[i]) - clamp(starts[i]));
      } else if (starts[i] >= 0 && ends[i] >= 0 && ends[i] < 2 ** 30) shape[ax] = ends[i] - starts[i];
      else if (starts[i] === 0 && ends[i] >= 2 ** 30) shape[ax] = d;
      else shape[ax] = `${d}[${starts[i]}:${ends[i] >= 2 ** 30 ? '' : ends[i]}]`;
    });
    return this.one('Slice', [x, this.int64s(starts, 'starts'), this.int64s(ends, 'ends'), this.int64s(axes.map((a) => normAxis(a, x.shape.length, 'Slice')), 'axes')], x.dtype, shape);
  }

  unsqueeze(x: Value, axes: readonly number[]): Value {
    const rank = x.shape.length + axes.length;
    const ax = axes.map((a) => normAxis(a, rank, 'Unsqueeze')).sort((p, q) => p - q);
    const shape: Dim[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) shape.push(ax.includes(i) ? 1 : x.shape[j++]);
    return this.one('Unsqueeze', [x, this.int64s(ax, 'axes')], x.dtype, shape);
  }

  squeeze(x: Value, axes: readonly number[]): Value {
    const ax = axes.map((a) => normAxis(a, x.shape.length, 'Squeeze'));
    for (const a of ax) if (x.shape[a] !== 1) throw new GraphError(`Squeeze: axis ${a} has size ${x.shape[a]}, not 1`);
    return this.one('Squeeze', [x, this.int64s(ax, 'axes')], x.dtype, x.shape.filter((_, i) => !ax.includes(i)));
  }

  /** ONNX Expand: broadcast `x` to the run-time shape held in `shape` (an int64 vector value). */
  expand(x: Value, shape: Value, staticShape: Shape): Value {
    return this.one('Expand', [x, shape], x.dtype, broadcastShapes(x.shape, staticShape, 'Expand'));
  }

  // ---- finish ---------------------------------------------------------------------------------------------

  build(): Graph {
    if (this.outputs.length === 0) throw new GraphError(`graph "${this.name}" has no outputs`);
    return {
      name: this.name,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      nodes: [...this.nodes],
      initializers: new Map(this.initializers),
      values: new Map(this.values),
    };
  }
}

/** ONNX TensorProto.DataType codes. */
export function onnxTypeCode(dtype: DType): number {
  switch (dtype) {
    case 'float32':
      return 1;
    case 'int32':
      return 6;
    case 'int64':
      return 7;
    case 'bool':
      return 9;
  }
}

export function dtypeFromOnnxCode(code: number): DType {
  switch (code) {
    case 1:
      return 'float32';
    case 6:
      return 'int32';
    case 7:
      return 'int64';
    case 9:
      return 'bool';
    default:
      throw new GraphError(`unsupported ONNX element type ${code}`);
  }
}

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
  /**
   * Node outputs that `output` renamed to a graph output name: internal name -> output name. Nodes keep the
   * internal name while the graph is built (autodiff walks them); `build` writes the output name.
   */
  private readonly renamed = new Map<string, string>();
  /** Output name -> internal name (the inverse of `renamed`), so a node may take an output as input. */
  private readonly internalOf = new Map<string, string>();

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

  /**
   * Marks `v` as a graph output named `name`. When `v` is computed by a node and is not an output yet, that
   * node's output takes the name (no copy: an Identity per output would copy every parameter and optimizer
   * state tensor of a training step, every step); `v` stays usable under its old handle. Graph inputs,
   * constants and values that are already outputs get an Identity node.
   */
  output(name: string, v: Value): Value {
    const internal = this.internal(v.name);
    const current = this.renamed.get(internal) ?? internal;
    if (current === name) {
      const out = this.value(name);
      if (!this.outputs.some((o) => o.name === name)) this.outputs.push(out);
      return out;
    }
    const out = this.declare({ name, dtype: v.dtype, shape: v.shape });
    const producedHere = this.producers().has(internal) && !this.renamed.has(internal) && !this.outputs.some((o) => o.name === internal);
    if (producedHere) {
      this.renamed.set(internal, name);
      this.internalOf.set(name, internal);
    } else this.nodes.push({ op: 'Identity', inputs: [internal], outputs: [name], attrs: {} });
    this.outputs.push(out);
    return out;
  }

  /** The name nodes use for a value while the graph is built (see `renamed`). */
  private internal(name: string): string {
    return this.internalOf.get(name) ?? name;
  }

  private producerNames: Set<string> | undefined;
  private producerCount = 0;

  /** Names of every node output so far (cached; nodes are only ever appended). */
  private producers(): Set<string> {
    if (!this.producerNames) this.producerNames = new Set();
    for (; this.producerCount < this.nodes.length; this.producerCount++) for (const o of this.nodes[this.producerCount].outputs) if (o) this.producerNames.add(o);
    return this.producerNames;
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
    this.nodes.push({ op, inputs: inputs.map((i) => (i ? this.internal(i.name) : '')), outputs: outputs.map((o) => o.name), attrs });
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

  /**
   * ONNX Gemm: alpha * op(a) @ op(b) + beta * c -> [M, N], with op(t) = t^T when transA/transB; a and b are 2-D and
   * c (optional) broadcasts to [M, N]. A dense layer with a PyTorch-layout weight W [out, in] is
   * gemm(x [rows, in], W, bias [out], { transB: true }): one kernel, no Transpose node, bias included.
   */
  gemm(a: Value, b: Value, c: Value | null, opts: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {}): Value {
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new GraphError(`Gemm: operands must be 2-D, got [${a.shape}] and [${b.shape}]`);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || (c && c.dtype !== 'float32')) throw new GraphError('Gemm: operands must be float32');
    const [m, ka] = opts.transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [kb, n] = opts.transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb)
      throw new GraphError(`Gemm: inner dimensions ${ka} and ${kb} differ ([${a.shape}]${opts.transA ? '^T' : ''} @ [${b.shape}]${opts.transB ? '^T' : ''})`);
    if (c) {
      // Unidirectional broadcast: c must broadcast to [M, N] without growing it.
      const out = broadcastShapes(c.shape, [m, n], 'Gemm');
      if (out.length !== 2 || (typeof out[1] === 'number' && typeof n === 'number' && out[1] !== n) || (typeof out[0] === 'number' && typeof m === 'number' && out[0] !== m))
        throw new GraphError(`Gemm: C [${c.shape}] does not broadcast to [${m}, ${n}]`);
    }
    const attrs: Record<string, AttrValue> = {};
    if (opts.transA) attrs.transA = 1;
    if (opts.transB) attrs.transB = 1;
    if (opts.alpha !== undefined && opts.alpha !== 1) attrs.alpha = opts.alpha;
    if (opts.beta !== undefined && opts.beta !== 1) attrs.beta = opts.beta;
    return this.one('Gemm', c ? [a, b, c] : [a, b], 'float32', [m, n], attrs);
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

  /**
   * ONNX ScatterND (opset 16+): copies `data` and writes (or adds) the slices `updates` at the int64 index tuples
   * `indices` [..., q] (q <= rank of data); updates.shape = indices.shape[:-1] + data.shape[q:]. With q = 1 it
   * writes whole rows: the gradient of an embedding lookup is ScatterND(zeros, ids [N, 1], dy [N, H], add).
   */
  scatterND(data: Value, indices: Value, updates: Value, reduction: 'none' | 'add' = 'none'): Value {
    if (indices.dtype !== 'int64') throw new GraphError(`ScatterND: indices must be int64, got ${indices.dtype}`);
    if (updates.dtype !== data.dtype) throw new GraphError(`ScatterND: updates are ${updates.dtype} but data is ${data.dtype}`);
    const q = indices.shape[indices.shape.length - 1];
    if (typeof q !== 'number' || q < 1 || q > data.shape.length) throw new GraphError(`ScatterND: indices [${indices.shape}] must end in a static size 1..${data.shape.length}`);
    const want = [...indices.shape.slice(0, -1), ...data.shape.slice(q)];
    if (want.length !== updates.shape.length || want.some((d, i) => typeof d === 'number' && typeof updates.shape[i] === 'number' && d !== updates.shape[i]))
      throw new GraphError(`ScatterND: updates [${updates.shape}] should be [${want}]`);
    return this.one('ScatterND', [data, indices, updates], data.dtype, data.shape, { reduction });
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

  /**
   * Reshape to a run-time int64 shape vector (e.g. Concat(Shape(ids), [heads, dh])); `staticShape` is what shape
   * inference records for the result (symbols where the vector holds run-time sizes).
   */
  reshapeTo(x: Value, shape: Value, staticShape: Shape): Value {
    if (shape.dtype !== 'int64' || shape.shape.length !== 1 || shape.shape[0] !== staticShape.length)
      throw new GraphError(`Reshape: shape vector [${shape.shape}] ${shape.dtype} does not match the rank of [${staticShape}]`);
    return this.one('Reshape', [x, shape], x.dtype, staticShape);
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
    const values = new Map(this.values);
    let nodes = [...this.nodes];
    if (this.renamed.size > 0) {
      const r = (n: string) => this.renamed.get(n) ?? n;
      nodes = nodes.map((n) => ({ ...n, inputs: n.inputs.map(r), outputs: n.outputs.map(r) }));
      for (const internal of this.renamed.keys()) values.delete(internal);
    }
    return {
      name: this.name,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      nodes,
      initializers: new Map(this.initializers),
      values,
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

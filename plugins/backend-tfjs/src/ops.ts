/**
 * ONNX (opset 17) operators on TensorFlow.js tensors, one kernel factory per IR op.
 *
 * Reference: https://onnx.ai/onnx/operators/ (opset 17). Every kernel here only uses tfjs ops that have kernels
 * on BOTH the cpu and the wasm backend (checked against the kernel registrations in
 * `@tensorflow/tfjs-backend-wasm/dist/kernels`, 4.22.0): in particular no `UnsortedSegmentSum` (absent on wasm),
 * and matMul never uses its transposeA/transposeB flags (10-25x slower on wasm; graphs carry explicit Transposes).
 *
 * Values: float32 / int32 / bool live in tfjs tensors. tfjs has no int64, so int64 values that are computed on
 * tensors are int32 tensors. Shape-like int64 values (int64 initializers, Shape outputs and small arithmetic on
 * them) stay on the host as `HostInts` (plain JS numbers), so that Reshape/Expand/Slice/... read them without a
 * device round trip; a `HostInts` is turned into an int32 tensor only when an op needs it as data.
 *
 * Kernels are created once per node at compile time (`makeKernel`): attributes, normalised axes and constant
 * int64 inputs are resolved then, so that a run only calls tfjs.
 */
import type { AttrValue, DType, Tensor as HostTensor } from '@ssbench/graph';
import type * as tfjs from '@tensorflow/tfjs';
import type { TF } from './loader';
import type { ExecNode } from './rewrite';

export type TfTensor = tfjs.Tensor;

/** A small integer tensor kept on the host (shape arithmetic). Row-major. */
export class HostInts {
  constructor(
    readonly dtype: 'int64' | 'int32',
    readonly shape: readonly number[],
    readonly data: readonly number[],
  ) {}
}

export type Val = TfTensor | HostInts;

export function isHost(v: Val | undefined): v is HostInts {
  return v instanceof HostInts;
}

/** What a kernel factory knows about a node at compile time. */
export interface NodeInfo {
  readonly node: ExecNode;
  /** Static rank of every input ('' inputs: -1). */
  readonly inRanks: readonly number[];
  /** Declared dtype of every input ('' inputs: undefined). */
  readonly inDtypes: readonly (DType | undefined)[];
  readonly outDtypes: readonly DType[];
  /** Constant (initializer) data of each input as JS numbers, when it is an initializer. */
  readonly constData: readonly (readonly number[] | undefined)[];
  /** Which outputs are consumed or are graph outputs (unused outputs need not be computed). */
  readonly outUsed: readonly boolean[];
}

export type Kernel = (inputs: readonly (Val | undefined)[]) => Val[];

/**
 * Per-backend choices between equivalent tfjs formulations, measured with bench/kernels.ts (tfjs 4.22, Node 20,
 * wasm single-threaded SIMD on an idle Xeon core; the README has the table):
 * - wasm's BatchMatMul kernel is a plain loop unless both batch sizes are 1: 64 x [64,64]@[64,64] runs at
 *   1.7 GFLOP/s (19.5 ms). The same product as a depthwise conv (channels = batch, channel multiplier = N) runs
 *   on XNNPACK: 4.5 ms including its three transposes. On cpu the BatchMatMul kernel is faster.
 * - tf.sum/mean/max over non-last axes transpose first: 8.1 ms for [2048,512] over axis 0 on wasm (~170 ms on
 *   cpu). The same reduction as an avgPool/maxPool with an [M, 1] window over x viewed as [A, M, 1, R] is
 *   0.44 ms on wasm (XNNPACK) and ~7x faster than tf.sum on cpu; it is used for every run of contiguous axes.
 * - Gather (GatherV2) on wasm copies element by element (8.6 ms for 2048 rows of 128); GatherND copies rows
 *   (0.2 ms). On cpu GatherV2 is the faster one.
 * - broadcastTo runs the Tile kernel (48 ms for [1,512] -> [2048,512] on wasm); x + zeros is 2.7 ms.
 */
export interface Strategy {
  readonly depthwiseBatchMatMul: boolean;
  readonly poolReduce: boolean;
  readonly gatherNd: boolean;
  readonly expandViaAdd: boolean;
}

export function strategyFor(backendName: string): Strategy {
  switch (backendName) {
    case 'wasm':
      return { depthwiseBatchMatMul: true, poolReduce: true, gatherNd: true, expandViaAdd: true };
    case 'cpu':
      return { depthwiseBatchMatMul: false, poolReduce: true, gatherNd: false, expandViaAdd: true };
    default:
      return { depthwiseBatchMatMul: false, poolReduce: false, gatherNd: false, expandViaAdd: false };
  }
}

export class KernelError extends Error {}

// ---- helpers ----------------------------------------------------------------------------------------------

function attrInt(node: ExecNode, name: string, dflt: number): number {
  const v = node.attrs[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new KernelError(`${node.op}: attribute ${name} must be an int`);
  return v;
}

function attrInts(node: ExecNode, name: string): number[] | undefined {
  const v: AttrValue | undefined = node.attrs[name];
  if (v === undefined) return undefined;
  if (typeof v === 'number') return [v];
  if (typeof v === 'string') throw new KernelError(`${node.op}: attribute ${name} must be ints`);
  return [...v];
}

function attrFloat(node: ExecNode, name: string, dflt: number): number {
  const v = node.attrs[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new KernelError(`${node.op}: attribute ${name} must be a float`);
  return v;
}

function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new KernelError(`${what}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function broadcastShape(a: readonly number[], b: readonly number[], what: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new KernelError(`${what}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
  }
  return out;
}

/** The tfjs dtype that holds an IR dtype. */
export function tfDtype(d: DType): 'float32' | 'int32' | 'bool' {
  return d === 'int64' ? 'int32' : d;
}

// ---- host integer arithmetic (shape computations) ------------------------------------------------------------

function hostBinary(a: HostInts, b: HostInts, f: (x: number, y: number) => number): HostInts {
  const shape = broadcastShape(a.shape, b.shape, 'host op');
  const n = sizeOf(shape);
  const rank = shape.length;
  const pa = [...new Array(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array(rank - b.shape.length).fill(1), ...b.shape];
  const sa = stridesOf(pa);
  const sb = stridesOf(pb);
  const out = new Array<number>(n);
  const idx = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      if (pa[d] !== 1) ia += idx[d] * sa[d];
      if (pb[d] !== 1) ib += idx[d] * sb[d];
    }
    out[k] = f(a.data[ia], b.data[ib]);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return new HostInts(a.dtype, shape, out);
}

// ---- the kernel factory -------------------------------------------------------------------------------------

export function makeKernel(tf: TF, info: NodeInfo, strategy: Strategy = strategyFor('')): Kernel {
  const { node } = info;
  const op = node.op;

  /** A tensor for a value (host ints become int32 tensors, inside the caller's tidy scope). */
  const T = (v: Val | undefined, what = op): TfTensor => {
    if (v === undefined) throw new KernelError(`${what}: missing input`);
    if (isHost(v)) return tf.tensor(Int32Array.from(v.data), [...v.shape], 'int32');
    return v;
  };
  /** JS numbers for a shape-like input: the compile-time constant, host ints, or a (small) tensor read back. */
  const ints = (i: number, inputs: readonly (Val | undefined)[]): number[] => {
    const c = info.constData[i];
    if (c) return c as number[];
    const v = inputs[i];
    if (v === undefined) throw new KernelError(`${op}: missing input ${i}`);
    if (isHost(v)) return v.data as number[];
    return Array.from(v.dataSync() as ArrayLike<number>);
  };
  const has = (i: number) => i < node.inputs.length && node.inputs[i] !== '';
  /** Reduction over sorted, distinct axes, by pooling where the strategy says so. */
  const reduce = (x: TfTensor, axes: readonly number[], keep: boolean, kind: 'sum' | 'mean' | 'max'): TfTensor => {
    if (strategy.poolReduce) {
      const r = reduceByPool(tf, x, axes, keep, kind);
      if (r) return r;
    }
    const ax = [...axes];
    return kind === 'sum' ? tf.sum(x, ax, keep) : kind === 'mean' ? tf.mean(x, ax, keep) : tf.max(x, ax, keep);
  };
  const outIsInt = info.outDtypes[0] === 'int64' || info.outDtypes[0] === 'int32';

  switch (op) {
    // ---- elementwise binary (multidirectional broadcasting) ----
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const hostF =
        op === 'Add'
          ? (x: number, y: number) => x + y
          : op === 'Sub'
            ? (x: number, y: number) => x - y
            : op === 'Mul'
              ? (x: number, y: number) => x * y
              : (x: number, y: number) => Math.trunc(x / y);
      const intDiv = op === 'Div' && outIsInt;
      return ([a, b]) => {
        if (isHost(a) && isHost(b)) return [hostBinary(a, b, hostF)];
        const x = T(a);
        const y = T(b);
        switch (op) {
          case 'Add':
            return [tf.add(x, y)];
          case 'Sub':
            return [tf.sub(x, y)];
          case 'Mul':
            return [tf.mul(x, y)];
          default:
            // ONNX integer division truncates toward zero; tfjs's int32 div floors.
            if (intDiv) return [tf.cast(tf.div(tf.cast(x, 'float32'), tf.cast(y, 'float32')), 'int32')];
            return [tf.div(x, y)];
        }
      };
    }
    case 'Pow': {
      const e = info.constData[1];
      const scalarExp = e && e.length === 1 ? e[0] : undefined;
      return ([a, b]) => {
        const x = T(a);
        if (scalarExp === 1) return [tf.clone(x)];
        if (scalarExp === 2) return [tf.square(x)];
        if (scalarExp === 0.5) return [tf.sqrt(x)];
        if (scalarExp === 3) return [tf.mul(tf.square(x), x)];
        if (scalarExp === -1) return [tf.reciprocal(x)];
        return [tf.pow(x, T(b))];
      };
    }
    case 'Max':
    case 'Min':
      return (inputs) => {
        const xs = inputs.filter((v): v is Val => v !== undefined);
        if (xs.every(isHost)) {
          const f = op === 'Max' ? Math.max : Math.min;
          return [xs.slice(1).reduce((acc: HostInts, v) => hostBinary(acc, v as HostInts, f), xs[0] as HostInts)];
        }
        let acc = T(xs[0]);
        for (let i = 1; i < xs.length; i++) acc = op === 'Max' ? tf.maximum(acc, T(xs[i])) : tf.minimum(acc, T(xs[i]));
        return [xs.length === 1 ? tf.clone(acc) : acc];
      };
    case 'Equal':
      return ([a, b]) => [tf.equal(T(a), T(b))];
    case 'Less':
      return ([a, b]) => [tf.less(T(a), T(b))];
    case 'Greater':
      return ([a, b]) => [tf.greater(T(a), T(b))];
    case 'Not':
      return ([a]) => [tf.logicalNot(T(a))];
    case 'Where':
      return ([c, a, b]) => [tf.where(T(c), T(a), T(b))];

    // ---- elementwise unary ----
    case 'Neg':
      return ([a]) => (isHost(a) ? [new HostInts(a.dtype, a.shape, a.data.map((x) => -x))] : [tf.neg(a as TfTensor)]);
    case 'Sqrt':
      return ([a]) => [tf.sqrt(T(a))];
    case 'Exp':
      return ([a]) => [tf.exp(T(a))];
    case 'Log':
      return ([a]) => [tf.log(T(a))];
    case 'Erf':
      // Kernels on both backends (cpu: Abramowitz-Stegun 7.1.26, max abs error 1.7e-7 measured; wasm: 5e-8).
      return ([a]) => [tf.erf(T(a))];
    case 'Tanh':
      return ([a]) => [tf.tanh(T(a))];
    case 'Sigmoid':
      return ([a]) => [tf.sigmoid(T(a))];
    case 'Relu':
      return ([a]) => [tf.relu(T(a))];
    case 'Identity':
      return ([a]) => (isHost(a) ? [a] : [tf.clone(a as TfTensor)]);
    case 'Cast': {
      const to = castTarget(attrInt(node, 'to', 1));
      return ([a]) => {
        if (a === undefined) throw new KernelError('Cast: missing input');
        if (isHost(a)) {
          if (to === 'int64' || to === 'int32') return [new HostInts(to, a.shape, a.data)];
          if (to === 'bool') return [tf.notEqual(T(a), tf.scalar(0, 'int32'))];
          return [tf.cast(T(a), tfDtype(to))];
        }
        const t = tfDtype(to);
        if (a.dtype === t) return [tf.clone(a)];
        // wasm's Cast to bool writes non-0/1 bytes (e.g. 254 for -1.5): compare instead.
        if (t === 'bool') return [tf.notEqual(a, tf.scalar(0, a.dtype))];
        return [tf.cast(a, t)];
      };
    }

    // ---- linear algebra ----
    case 'MatMul':
      return ([a, b]) => [matMul(tf, T(a), T(b), strategy.depthwiseBatchMatMul)];
    case 'Gemm': {
      // alpha * op(A) @ op(B) + beta * C, 2-D. The transposes are explicit tf.transpose ops, never matMul's
      // transpose flags (see the file header).
      const transA = attrInt(node, 'transA', 0) !== 0;
      const transB = attrInt(node, 'transB', 0) !== 0;
      const alpha = attrFloat(node, 'alpha', 1);
      const beta = attrFloat(node, 'beta', 1);
      return ([a, b, c]) => {
        const A = transA ? tf.transpose(T(a), [1, 0]) : T(a);
        const B = transB ? tf.transpose(T(b), [1, 0]) : T(b);
        let y = tf.matMul(A, B);
        if (alpha !== 1) y = tf.mul(y, tf.scalar(alpha));
        if (has(2)) y = tf.add(y, beta === 1 ? T(c) : tf.mul(T(c), tf.scalar(beta)));
        return [y];
      };
    }

    // ---- indexing ----
    case 'Gather': {
      const axis = normAxis(attrInt(node, 'axis', 0), info.inRanks[0], 'Gather');
      return ([d, i]) => {
        if (d === undefined || i === undefined) throw new KernelError('Gather: missing input');
        if (isHost(d) && isHost(i) && d.shape.length === 1) {
          const n = d.shape[0];
          return [new HostInts(d.dtype, i.shape, i.data.map((k) => d.data[k < 0 ? k + n : k]))];
        }
        const data = T(d);
        const dim = data.shape[axis];
        let idx: TfTensor;
        if (isHost(i)) idx = tf.tensor(Int32Array.from(i.data, (k) => (k < 0 ? k + dim : k)), [...i.shape], 'int32');
        else idx = normalizeIndices(tf, i, dim);
        if (axis === 0 && strategy.gatherNd && data.dtype !== 'bool') {
          // [..I] rows of data: GatherND with indices [..I, 1]
          return [tf.reshape(tf.gatherND(data, tf.reshape(idx, [...idx.shape, 1])), [...idx.shape, ...data.shape.slice(1)])];
        }
        return [tf.gather(data, idx, axis)];
      };
    }
    case 'GatherElements': {
      const axis = normAxis(attrInt(node, 'axis', 0), info.inRanks[0], 'GatherElements');
      return ([d, i]) => {
        const data = T(d);
        const ix = T(i);
        const flat = flatIndices(tf, normalizeIndices(tf, ix, data.shape[axis]), data.shape, axis);
        return [tf.reshape(tf.gather(tf.reshape(data, [-1]), tf.reshape(flat, [-1])), ix.shape)];
      };
    }
    case 'ScatterElements': {
      const axis = normAxis(attrInt(node, 'axis', 0), info.inRanks[0], 'ScatterElements');
      const reduction = (node.attrs.reduction as string | undefined) ?? 'none';
      if (reduction !== 'none' && reduction !== 'add' && reduction !== 'mul') {
        throw new KernelError(`ScatterElements: reduction "${reduction}" is not supported (none, add, mul)`);
      }
      return ([d, i, u]) => {
        const data = T(d);
        const ix = T(i);
        const upd = T(u);
        const flat = tf.reshape(flatIndices(tf, normalizeIndices(tf, ix, data.shape[axis]), data.shape, axis), [-1, 1]);
        const n = data.size;
        if (reduction === 'add') {
          // scatterND sums duplicate indices on cpu and wasm (verified in ops.test.ts).
          const summed = tf.scatterND(flat, tf.reshape(upd, [-1]), [n]);
          return [tf.add(data, tf.reshape(summed, data.shape))];
        }
        if (reduction === 'mul') {
          // Product of duplicates via scatter-sums of log-magnitudes, negative counts and zero counts.
          const u = tf.reshape(upd, [-1]);
          const zero = tf.equal(u, tf.scalar(0));
          const logs = tf.scatterND(flat, tf.where(zero, tf.zerosLike(u), tf.log(tf.abs(u))), [n]);
          const negs = tf.scatterND(flat, tf.cast(tf.less(u, tf.scalar(0)), 'float32'), [n]);
          const zeros = tf.scatterND(flat, tf.cast(zero, 'float32'), [n]);
          const sign = tf.sub(tf.scalar(1), tf.mul(tf.scalar(2), tf.mod(negs, tf.scalar(2))));
          const factor = tf.where(tf.greater(zeros, tf.scalar(0)), tf.zerosLike(logs), tf.mul(tf.exp(logs), sign));
          return [tf.mul(data, tf.reshape(factor, data.shape))];
        }
        return [tf.reshape(tf.tensorScatterUpdate(tf.reshape(data, [-1]), flat, tf.reshape(upd, [-1])), data.shape)];
      };
    }

    case 'ScatterND': {
      // Slices of updates at the index tuples in the last axis of indices (q = that axis' size).
      const reduction = (node.attrs.reduction as string | undefined) ?? 'none';
      if (reduction !== 'none' && reduction !== 'add') throw new KernelError(`ScatterND: reduction "${reduction}" is not supported (none, add)`);
      return ([d, i, u]) => {
        const data = T(d);
        const ix = T(i);
        const q = ix.shape[ix.rank - 1];
        const idx32 = ix.dtype === 'int32' ? ix : tf.cast(ix, 'int32');
        // Negative indices count from the end of their dimension.
        const dims = tf.tensor1d(data.shape.slice(0, q), 'int32');
        const idx = tf.where(tf.less(idx32, tf.scalar(0, 'int32')), tf.add(idx32, dims), idx32);
        // scatterND sums duplicate index tuples on cpu and wasm (verified in ops.test.ts for ScatterElements).
        if (reduction === 'add') return [tf.add(data, tf.scatterND(idx, T(u), data.shape))];
        return [tf.tensorScatterUpdate(data, idx, T(u))];
      };
    }

    case '_ScatterRows': {
      // ScatterElements along axis 0 whose indices are idx[N, 1, ..., 1] expanded: whole rows (see rewrite.ts).
      const reduction = node.attrs.reduction as 'add' | 'none';
      const zeroData = node.attrs.zeroData === 1;
      return (inputs) => {
        const src = T(inputs[1]);
        const upd = T(inputs[2]);
        const dataShape = zeroData ? ints(3, inputs) : [...T(inputs[0]).shape];
        const dtype = upd.dtype;
        const dim = dataShape[0];
        const idx = normalizeIndices(tf, tf.reshape(src, [-1, 1]), dim); // [N, 1]
        if (sameShape(upd.shape.slice(1), dataShape.slice(1)) && upd.shape[0] === src.shape[0]) {
          if (reduction === 'none') return [tf.tensorScatterUpdate(T(inputs[0]), idx, upd)];
          const rows = tf.scatterND(idx, upd, dataShape); // duplicate rows are summed
          return [zeroData ? rows : tf.add(T(inputs[0]), rows)];
        }
        // Partial rows: the element-wise path.
        const data = zeroData ? tf.zeros(dataShape, dtype) : T(inputs[0]);
        const ie = expandByAdd(tf, src, upd.shape);
        const flat = tf.reshape(flatIndices(tf, normalizeIndices(tf, ie, dim), data.shape, 0), [-1, 1]);
        if (reduction === 'add') return [tf.add(data, tf.reshape(tf.scatterND(flat, tf.reshape(upd, [-1]), [data.size]), data.shape))];
        return [tf.reshape(tf.tensorScatterUpdate(tf.reshape(data, [-1]), flat, tf.reshape(upd, [-1])), data.shape)];
      };
    }

    // ---- normalisation ----
    case 'Softmax':
    case 'LogSoftmax': {
      const rank = info.inRanks[0];
      const axis = normAxis(attrInt(node, 'axis', -1), rank, op);
      const last = axis === rank - 1;
      return ([a]) => {
        const x = T(a);
        if (op === 'Softmax') {
          if (last) return [tf.softmax(x)];
          const perm = swapPerm(rank, axis);
          return [tf.transpose(tf.softmax(tf.transpose(x, perm)), perm)];
        }
        const shifted = tf.sub(x, reduce(x, [axis], true, 'max'));
        return [tf.sub(shifted, tf.log(reduce(tf.exp(shifted), [axis], true, 'sum')))];
      };
    }
    case 'LayerNormalization': {
      const rank = info.inRanks[0];
      const axis = normAxis(attrInt(node, 'axis', -1), rank, 'LayerNormalization');
      const eps = attrFloat(node, 'epsilon', 1e-5);
      const axes = Array.from({ length: rank - axis }, (_, k) => axis + k);
      const hasBias = has(2);
      return ([a, s, b]) => {
        const x = T(a);
        const mean = reduce(x, axes, true, 'mean');
        const d = tf.sub(x, mean);
        const variance = reduce(tf.square(d), axes, true, 'mean');
        const inv = tf.rsqrt(tf.add(variance, tf.scalar(eps)));
        let y = tf.mul(tf.mul(d, inv), T(s));
        if (hasBias) y = tf.add(y, T(b));
        return [y, mean, inv];
      };
    }

    // ---- reductions ----
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceMax': {
      const rank = info.inRanks[0];
      const keep = attrInt(node, 'keepdims', 1) === 1;
      const noop = attrInt(node, 'noop_with_empty_axes', 0) === 1;
      const attrAxes = op === 'ReduceSum' ? undefined : attrInts(node, 'axes');
      return (inputs) => {
        const x = T(inputs[0]);
        let axes: number[] | undefined = op === 'ReduceSum' ? (has(1) ? ints(1, inputs) : undefined) : attrAxes;
        if (axes === undefined || axes.length === 0) {
          if (noop) return [tf.clone(x)];
          axes = Array.from({ length: x.rank }, (_, k) => k);
        }
        const ax = [...new Set(axes.map((v) => normAxis(v, rank, op)))].sort((p, q) => p - q);
        return [reduce(x, ax, keep, op === 'ReduceSum' ? 'sum' : op === 'ReduceMean' ? 'mean' : 'max')];
      };
    }

    // ---- shapes ----
    case 'Shape': {
      const start = attrInt(node, 'start', 0);
      const end = node.attrs.end === undefined ? undefined : attrInt(node, 'end', 0);
      return ([a]) => {
        if (a === undefined) throw new KernelError('Shape: missing input');
        const shape = [...a.shape];
        const r = shape.length;
        const clamp = (v: number) => Math.max(0, Math.min(r, v < 0 ? v + r : v));
        const dims = shape.slice(clamp(start), end === undefined ? r : clamp(end));
        return [new HostInts('int64', [dims.length], dims)];
      };
    }
    case 'Reshape': {
      const allowZero = attrInt(node, 'allowzero', 0) === 1;
      return (inputs) => {
        const x = inputs[0];
        if (x === undefined) throw new KernelError('Reshape: missing input');
        const target = reshapeTarget(x.shape, ints(1, inputs), allowZero);
        if (isHost(x)) return [new HostInts(x.dtype, target, x.data)];
        return [tf.reshape(x, target)];
      };
    }
    case 'Unsqueeze':
      return (inputs) => {
        const x = inputs[0];
        if (x === undefined) throw new KernelError('Unsqueeze: missing input');
        const axes = ints(1, inputs);
        const rank = x.shape.length + axes.length;
        const ax = axes.map((v) => normAxis(v, rank, 'Unsqueeze'));
        const shape: number[] = [];
        let j = 0;
        for (let k = 0; k < rank; k++) shape.push(ax.includes(k) ? 1 : x.shape[j++]);
        if (isHost(x)) return [new HostInts(x.dtype, shape, x.data)];
        return [tf.reshape(x, shape)];
      };
    case 'Squeeze':
      return (inputs) => {
        const x = inputs[0];
        if (x === undefined) throw new KernelError('Squeeze: missing input');
        const rank = x.shape.length;
        const ax = has(1) ? ints(1, inputs).map((v) => normAxis(v, rank, 'Squeeze')) : x.shape.flatMap((d, k) => (d === 1 ? [k] : []));
        for (const k of ax) if (x.shape[k] !== 1) throw new KernelError(`Squeeze: axis ${k} of [${x.shape}] is not 1`);
        const shape = x.shape.filter((_, k) => !ax.includes(k));
        if (isHost(x)) return [new HostInts(x.dtype, shape, x.data)];
        return [tf.reshape(x, shape)];
      };
    case 'Expand':
      return (inputs) => {
        const x = T(inputs[0]);
        const shape = broadcastShape(x.shape, ints(1, inputs), 'Expand');
        if (sameShape(shape, x.shape)) return [tf.clone(x)];
        const c = info.constData[0];
        if (c && c.length === 1 && x.dtype !== 'bool') return [tf.fill(shape, c[0], x.dtype)];
        return [strategy.expandViaAdd ? expandByAdd(tf, x, shape) : tf.broadcastTo(x, shape)];
      };
    case 'Transpose': {
      const rank = info.inRanks[0];
      const perm = attrInts(node, 'perm') ?? Array.from({ length: rank }, (_, k) => rank - 1 - k);
      const identity = perm.every((p, k) => p === k);
      return ([a]) => {
        const x = T(a);
        if (identity) return [tf.clone(x)];
        const outShape = perm.map((p) => x.shape[p]);
        // Moving only size-1 axes keeps the memory order: a reshape (free) instead of a copy.
        const nonUnit = perm.filter((p) => x.shape[p] !== 1);
        if (nonUnit.every((p, k) => k === 0 || nonUnit[k - 1] < p)) return [tf.reshape(x, outShape)];
        return [tf.transpose(x, perm)];
      };
    }
    case 'Concat': {
      const rank = info.inRanks[0];
      const axis = normAxis(attrInt(node, 'axis', 0), rank, 'Concat');
      return (inputs) => {
        const xs = inputs.filter((v): v is Val => v !== undefined);
        if (xs.every(isHost) && rank === 1) {
          const data = (xs as HostInts[]).flatMap((h) => h.data as number[]);
          return [new HostInts((xs[0] as HostInts).dtype, [data.length], data)];
        }
        if (xs.length === 1) return [tf.clone(T(xs[0]))];
        return [tf.concat(xs.map((v) => T(v)), axis)];
      };
    }
    case 'Slice':
      return (inputs) => {
        const x = inputs[0];
        if (x === undefined) throw new KernelError('Slice: missing input');
        const rank = x.shape.length;
        const starts = ints(1, inputs);
        const ends = ints(2, inputs);
        const axes = has(3) ? ints(3, inputs).map((v) => normAxis(v, rank, 'Slice')) : starts.map((_, k) => k);
        const steps = has(4) ? ints(4, inputs) : starts.map(() => 1);
        const plan = slicePlan(x.shape, starts, ends, axes, steps);
        if (isHost(x) && rank === 1) {
          const p = plan[0];
          const data: number[] = [];
          for (let k = 0; k < p.count; k++) data.push(x.data[p.start + k * p.step]);
          return [new HostInts(x.dtype, [data.length], data)];
        }
        let t = T(x);
        if (plan.every((p) => p.step === 1)) {
          return [tf.slice(t, plan.map((p) => p.start), plan.map((p) => p.count))];
        }
        plan.forEach((p, ax) => {
          if (p.step === 1) {
            if (p.start !== 0 || p.count !== t.shape[ax]) {
              const begin = t.shape.map(() => 0);
              const size = [...t.shape];
              begin[ax] = p.start;
              size[ax] = p.count;
              t = tf.slice(t, begin, size);
            }
          } else {
            const idx = Int32Array.from({ length: p.count }, (_, k) => p.start + k * p.step);
            t = tf.gather(t, tf.tensor1d(idx, 'int32'), ax);
          }
        });
        return [tf.clone(t)];
      };
  }
  throw new KernelError(`op ${op} is not supported by the tfjs backend`);
}

function castTarget(code: number): DType {
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
      throw new KernelError(`Cast: unsupported target type code ${code}`);
  }
}

function swapPerm(rank: number, axis: number): number[] {
  const perm = Array.from({ length: rank }, (_, k) => k);
  perm[axis] = rank - 1;
  perm[rank - 1] = axis;
  return perm;
}

/** Negative indices count from the end (ONNX Gather/GatherElements/ScatterElements). */
function normalizeIndices(tf: TF, idx: TfTensor, dim: number): TfTensor {
  const i = idx.dtype === 'int32' ? idx : tf.cast(idx, 'int32');
  return tf.where(tf.less(i, tf.scalar(0, 'int32')), tf.add(i, tf.scalar(dim, 'int32')), i);
}

/**
 * Flat row-major offsets into `dataShape` for an element-wise index tensor along `axis`:
 * offset[p] = sum_{d != axis} p_d * stride_d + idx[p] * stride_axis (GatherElements/ScatterElements).
 */
function flatIndices(tf: TF, idx: TfTensor, dataShape: readonly number[], axis: number): TfTensor {
  const strides = stridesOf(dataShape);
  const ishape = idx.shape;
  let flat = strides[axis] === 1 ? idx : tf.mul(idx, tf.scalar(strides[axis], 'int32'));
  for (let d = 0; d < ishape.length; d++) {
    if (d === axis || ishape[d] === 1) continue;
    const shape = ishape.map((n, k) => (k === d ? n : 1));
    const iota = Int32Array.from({ length: ishape[d] }, (_, k) => k * strides[d]);
    flat = tf.add(flat, tf.tensor(iota, shape, 'int32'));
  }
  return flat;
}

/** ONNX Reshape target: 0 copies the input dimension (unless allowzero), -1 is inferred. */
export function reshapeTarget(inShape: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  const out = target.map((d, k) => (d === 0 && !allowZero ? inShape[k] : d));
  const inferred = out.indexOf(-1);
  const total = sizeOf(inShape);
  if (inferred >= 0) {
    const rest = sizeOf(out.filter((_, k) => k !== inferred));
    if (rest === 0 || total % rest !== 0) throw new KernelError(`Reshape: cannot reshape [${inShape}] to [${target}]`);
    out[inferred] = total / rest;
  }
  if (sizeOf(out) !== total) throw new KernelError(`Reshape: cannot reshape [${inShape}] (${total} elements) to [${target}]`);
  return out;
}

export interface SliceAxis {
  start: number;
  step: number;
  count: number;
}

/** Per-axis start/step/count of an ONNX Slice, with ONNX's clamping (large ends mean "to the end"). */
export function slicePlan(
  shape: readonly number[],
  starts: readonly number[],
  ends: readonly number[],
  axes: readonly number[],
  steps: readonly number[],
): SliceAxis[] {
  const plan: SliceAxis[] = shape.map((d) => ({ start: 0, step: 1, count: d }));
  axes.forEach((ax, k) => {
    const d = shape[ax];
    const step = steps[k] ?? 1;
    if (step === 0) throw new KernelError('Slice: step 0');
    let s = starts[k];
    let e = ends[k];
    if (s < 0) s += d;
    if (e < 0) e += d;
    let count: number;
    if (step > 0) {
      s = Math.max(0, Math.min(d, s));
      e = Math.max(0, Math.min(d, e));
      count = Math.max(0, Math.ceil((e - s) / step));
    } else {
      s = Math.max(0, Math.min(d - 1, s));
      e = Math.max(-1, Math.min(d - 1, e));
      count = Math.max(0, Math.ceil((s - e) / -step));
    }
    plan[ax] = { start: count === 0 ? 0 : s, step, count };
  });
  return plan;
}

/**
 * numpy matmul with broadcast batch dimensions, without transposeA/B flags.
 * [..., M, K] @ [K, N] and any case where b has batch size 1 fold a's batch into rows (one 2-D matMul: the
 * fastest path on wasm); otherwise both operands are brought to the same batch shape and reshaped to 3-D.
 */
export function matMul(tf: TF, a: TfTensor, b: TfTensor, depthwise = false): TfTensor {
  if (a.rank < 2 || b.rank < 2) throw new KernelError(`MatMul: rank-1 operands are not supported ([${a.shape}] @ [${b.shape}])`);
  const M = a.shape[a.rank - 2];
  const K = a.shape[a.rank - 1];
  const K2 = b.shape[b.rank - 2];
  const N = b.shape[b.rank - 1];
  if (K !== K2) throw new KernelError(`MatMul: inner dimensions differ ([${a.shape}] @ [${b.shape}])`);
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShape(batchA, batchB, 'MatMul');
  if (a.rank === 2 && b.rank === 2) return tf.matMul(a, b);
  if (sizeOf(batchB) === 1) {
    const out = tf.matMul(tf.reshape(a, [-1, K]), b.rank === 2 ? b : tf.reshape(b, [K, N]));
    return tf.reshape(out, [...batch, M, N]);
  }
  const B = sizeOf(batch);
  const a3 = sameShape(padLeft(batchA, batch.length), batch) ? tf.reshape(a, [B, M, K]) : tf.reshape(expandByAdd(tf, a, [...batch, M, K]), [B, M, K]);
  const b3 = sameShape(padLeft(batchB, batch.length), batch) ? tf.reshape(b, [B, K, N]) : tf.reshape(expandByAdd(tf, b, [...batch, K, N]), [B, K, N]);
  if (depthwise && a.dtype === 'float32') {
    // out[b] = a[b] @ b[b] as a depthwise conv: input [1, M, K, B] (channels = batch), filter [1, K, B, N]
    // (channel multiplier N), valid padding -> [1, M, 1, B*N].
    const input = tf.reshape(tf.transpose(a3, [1, 2, 0]), [1, M, K, B]) as tfjs.Tensor4D; // [B,M,K] -> [M,K,B]
    const filter = tf.reshape(tf.transpose(b3, [1, 0, 2]), [1, K, B, N]) as tfjs.Tensor4D; // [B,K,N] -> [K,B,N]
    const out = tf.depthwiseConv2d(input, filter, 1, 'valid'); // [1, M, 1, B*N]
    return tf.reshape(tf.transpose(tf.reshape(out, [M, B, N]), [1, 0, 2]), [...batch, M, N]); // [M,B,N] -> [B,M,N]
  }
  return tf.reshape(tf.matMul(a3, b3), [...batch, M, N]);
}

/** numpy broadcast of x to `shape` as x + zeros (the Tile kernel behind broadcastTo is 10x slower). */
export function expandByAdd(tf: TF, x: TfTensor, shape: readonly number[]): TfTensor {
  if (sameShape(x.shape, shape)) return x;
  if (x.dtype === 'bool') return tf.logicalOr(x, tf.zeros([...shape], 'bool'));
  return tf.add(x, tf.zeros([...shape], x.dtype));
}

/**
 * Sum, mean or max over a run of contiguous axes as a pooling: x viewed as [A, M, 1, R] (A = the axes before,
 * M = the reduced ones, R = the ones after), one [M, 1] window, valid padding -> [A, 1, 1, R]. Sum is the mean
 * times M. Undefined (caller falls back) for non-float32 data or non-contiguous axes.
 */
export function reduceByPool(tf: TF, x: TfTensor, axes: readonly number[], keep: boolean, kind: 'sum' | 'mean' | 'max'): TfTensor | undefined {
  if (x.dtype !== 'float32' || axes.length === 0) return undefined;
  if (!axes.every((a, k) => k === 0 || a === axes[k - 1] + 1)) return undefined;
  const first = axes[0];
  const last = axes[axes.length - 1];
  const A = sizeOf(x.shape.slice(0, first));
  const M = sizeOf(x.shape.slice(first, last + 1));
  const R = sizeOf(x.shape.slice(last + 1));
  if (A === 0 || M === 0 || R === 0) return undefined;
  const outShape = keep ? x.shape.map((d, k) => (k >= first && k <= last ? 1 : d)) : x.shape.filter((_, k) => k < first || k > last);
  if (M === 1) return tf.reshape(x, outShape);
  const x4 = tf.reshape(x, [A, M, 1, R]) as tfjs.Tensor4D;
  let y: TfTensor;
  if (kind === 'max') y = tf.maxPool(x4, [M, 1], 1, 'valid');
  else {
    y = tf.avgPool(x4, [M, 1], 1, 'valid');
    if (kind === 'sum') y = tf.mul(y, tf.scalar(M));
  }
  return tf.reshape(y, outShape);
}

function padLeft(shape: readonly number[], rank: number): number[] {
  return [...new Array(rank - shape.length).fill(1), ...shape];
}

/** Converts a host tensor to the value the interpreter holds for it (int64 -> int32 tensor). */
export function feedToTensor(tf: TF, t: HostTensor, name: string): TfTensor {
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'float32':
      return tf.tensor(t.data as Float32Array, shape, 'float32');
    case 'int32':
      return tf.tensor(t.data as Int32Array, shape, 'int32');
    case 'bool':
      return tf.tensor(t.data as Uint8Array, shape, 'bool');
    case 'int64': {
      const src = t.data as BigInt64Array;
      const out = new Int32Array(src.length);
      for (let k = 0; k < src.length; k++) {
        const v = src[k];
        if (v > 2147483647n || v < -2147483648n) throw new KernelError(`feed "${name}": int64 value ${v} does not fit in int32 (tfjs has no int64)`);
        out[k] = Number(v);
      }
      return tf.tensor(out, shape, 'int32');
    }
  }
}

/**
 * A plain-JS reference executor of the ssbench IR: every op in `OpType` with ONNX opset 17 semantics.
 *
 * Reference: ONNX operator specification, opset 17 (https://onnx.ai/onnx/operators/), in particular
 * "Broadcasting in ONNX" (multidirectional for elementwise ops and Expand, unidirectional for
 * LayerNormalization's Scale/B), Reshape (0 copies a dimension unless allowzero, -1 is inferred), Slice
 * (negative and out-of-range starts/ends are clamped per axis, optional axes/steps), ScatterElements-16 and
 * ScatterND-16 (reduction none/add/mul), Gemm-13 (transA/transB, alpha/beta, C broadcast to [M, N]), LayerNormalization-17 (outputs Y, Mean, InvStdDev), Shape-15 (start/end).
 *
 * It is the numerical reference of the project: backends are checked against it (`testing.ts`) and the
 * finite-difference gradient checks run it in float64 (`{ float64: true }`). Correctness over speed; only
 * MatMul is written as a tight loop so that small models train in tests.
 *
 * Internally int64 values live in Float64Array (exact below 2^53, which covers every index and shape), bool in
 * Uint8Array, float32 in Float32Array (or Float64Array with `float64: true`); results are converted back at the
 * graph outputs.
 */
import type { AttrValue, DType, Graph, Node, OpType, Tensor, TypedArray } from './ir';
import { sizeOf } from './ir';
import { dtypeFromOnnxCode } from './builder';

/** A tensor whose float data may be double precision (feeds and outputs of `interpret(..., { float64: true })`). */
export interface Float64Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray | Float64Array;
}

export interface InterpretOptions {
  /** Compute float32 values in double precision; float outputs then carry Float64Array data. */
  readonly float64?: boolean;
}

type Num = Float32Array | Float64Array | Int32Array | Uint8Array;

/** A run-time value. int64 data is held in a Float64Array. */
interface RT {
  readonly dtype: DType;
  readonly shape: number[];
  readonly data: Num;
}

interface Ctx {
  readonly f64: boolean;
}

type Kernel = (node: Node, ins: readonly (RT | undefined)[], ctx: Ctx) => RT[];

class InterpretError extends Error {}

// ---- small helpers ----------------------------------------------------------------------------------------

function alloc(dtype: DType, n: number, ctx: Ctx): Num {
  switch (dtype) {
    case 'float32':
      return ctx.f64 ? new Float64Array(n) : new Float32Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new Float64Array(n);
    case 'bool':
      return new Uint8Array(n);
  }
}

function rt(dtype: DType, shape: readonly number[], data: Num): RT {
  if (data.length !== sizeOf(shape)) throw new InterpretError(`internal: ${data.length} elements for [${shape.join(', ')}]`);
  return { dtype, shape: [...shape], data };
}

function fmt(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

function req(ins: readonly (RT | undefined)[], i: number, op: string): RT {
  const v = ins[i];
  if (!v) throw new InterpretError(`${op}: input ${i} is required`);
  return v;
}

function numAttr(node: Node, name: string, dflt: number): number {
  const v = node.attrs[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new InterpretError(`${node.op}: attribute ${name} must be a number`);
  return v;
}

function intsAttr(node: Node, name: string): number[] | undefined {
  const v: AttrValue | undefined = node.attrs[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') throw new InterpretError(`${node.op}: attribute ${name} must be ints`);
  return typeof v === 'number' ? [v] : [...v];
}

function ints(t: RT | undefined): number[] | undefined {
  return t ? Array.from(t.data) : undefined;
}

function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1) || !Number.isInteger(a)) throw new InterpretError(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

function stridesOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function broadcast(op: string, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = i - (rank - s.length);
      const e = k < 0 ? 1 : s[k];
      if (e === d || e === 1) continue;
      if (d === 1) d = e;
      else throw new InterpretError(`${op}: shapes ${shapes.map(fmt).join(' and ')} do not broadcast`);
    }
    out.push(d);
  }
  return out;
}

/** For each element of `outShape` (row-major), the offset of the element of `shape` it broadcasts from; null if the shapes are equal. */
function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array | null {
  if (sameShape(shape, outShape)) return null;
  const n = sizeOf(outShape);
  const idx = new Int32Array(n);
  const r = outShape.length;
  const off = r - shape.length;
  const st = new Array<number>(r).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i + off] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  if (sizeOf(shape) === 1) return idx; // all zeros
  const cnt = new Array<number>(r).fill(0);
  let cur = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = cur;
    for (let d = r - 1; d >= 0; d--) {
      cnt[d]++;
      cur += st[d];
      if (cnt[d] < outShape[d]) break;
      cur -= st[d] * outShape[d];
      cnt[d] = 0;
    }
  }
  return idx;
}

function isFloat(t: RT): boolean {
  return t.dtype === 'float32';
}

function isInt(dtype: DType): boolean {
  return dtype === 'int32' || dtype === 'int64';
}

// ---- elementwise ------------------------------------------------------------------------------------------

function binaryKernel(f: (a: number, b: number) => number, outType?: DType, intF?: (a: number, b: number) => number): Kernel {
  return (node, ins, ctx) => {
    const a = req(ins, 0, node.op);
    const b = req(ins, 1, node.op);
    if (a.dtype !== b.dtype) throw new InterpretError(`${node.op}: dtypes ${a.dtype} and ${b.dtype} differ`);
    const shape = broadcast(node.op, [a.shape, b.shape]);
    const dtype = outType ?? a.dtype;
    const n = sizeOf(shape);
    const out = alloc(dtype, n, ctx);
    const ia = broadcastIndex(a.shape, shape);
    const ib = broadcastIndex(b.shape, shape);
    const A = a.data;
    const B = b.data;
    const g = intF && isInt(a.dtype) ? intF : f;
    if (!ia && !ib) for (let i = 0; i < n; i++) out[i] = g(A[i], B[i]);
    else for (let i = 0; i < n; i++) out[i] = g(A[ia ? ia[i] : i], B[ib ? ib[i] : i]);
    return [rt(dtype, shape, out)];
  };
}

function variadicKernel(f: (a: number, b: number) => number): Kernel {
  const pair = binaryKernel(f);
  return (node, ins, ctx) => {
    let acc = req(ins, 0, node.op);
    for (let i = 1; i < ins.length; i++) acc = pair(node, [acc, req(ins, i, node.op)], ctx)[0];
    return [acc];
  };
}

function unaryKernel(f: (x: number) => number, floatOnly = true): Kernel {
  return (node, ins, ctx) => {
    const x = req(ins, 0, node.op);
    if (floatOnly && !isFloat(x)) throw new InterpretError(`${node.op}: expects float32, got ${x.dtype}`);
    const n = x.data.length;
    const out = alloc(x.dtype, n, ctx);
    const X = x.data;
    for (let i = 0; i < n; i++) out[i] = f(X[i]);
    return [rt(x.dtype, x.shape, out)];
  };
}

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * erf to double precision: the everywhere-convergent series erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} /
 * (1*3*...*(2n+1)) (Abramowitz & Stegun 7.1.6, all terms positive so no cancellation), exactly +-1 beyond |x| = 6.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

function whereKernel(node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const c = req(ins, 0, 'Where');
  const a = req(ins, 1, 'Where');
  const b = req(ins, 2, 'Where');
  if (c.dtype !== 'bool') throw new InterpretError(`Where: condition must be bool, got ${c.dtype}`);
  if (a.dtype !== b.dtype) throw new InterpretError(`Where: dtypes ${a.dtype} and ${b.dtype} differ`);
  const shape = broadcast(node.op, [c.shape, a.shape, b.shape]);
  const n = sizeOf(shape);
  const out = alloc(a.dtype, n, ctx);
  const ic = broadcastIndex(c.shape, shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  for (let i = 0; i < n; i++) out[i] = c.data[ic ? ic[i] : i] ? a.data[ia ? ia[i] : i] : b.data[ib ? ib[i] : i];
  return [rt(a.dtype, shape, out)];
}

function castKernel(node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const x = req(ins, 0, 'Cast');
  const to = dtypeFromOnnxCode(numAttr(node, 'to', -1));
  const n = x.data.length;
  const out = alloc(to, n, ctx);
  const X = x.data;
  if (to === 'bool') for (let i = 0; i < n; i++) out[i] = X[i] !== 0 ? 1 : 0;
  else if (isInt(to) && !isInt(x.dtype)) for (let i = 0; i < n; i++) out[i] = Number.isFinite(X[i]) ? Math.trunc(X[i]) : 0;
  else if (to === 'int32') for (let i = 0; i < n; i++) out[i] = X[i] | 0;
  else out.set(X);
  return [rt(to, x.shape, out)];
}

// ---- linear algebra ---------------------------------------------------------------------------------------

function matmulKernel(_node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const a = req(ins, 0, 'MatMul');
  const b = req(ins, 1, 'MatMul');
  if (a.dtype !== b.dtype) throw new InterpretError(`MatMul: dtypes ${a.dtype} and ${b.dtype} differ`);
  // numpy matmul: a 1-D operand gets a 1 prepended (a) / appended (b), removed again from the result.
  const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  if (as.length < 1 || bs.length < 1) throw new InterpretError('MatMul: scalar operands');
  const n = as[as.length - 2];
  const k = as[as.length - 1];
  const m = bs[bs.length - 1];
  if (bs[bs.length - 2] !== k) throw new InterpretError(`MatMul: inner dimensions differ (${fmt(a.shape)} @ ${fmt(b.shape)})`);
  const batchA = as.slice(0, -2);
  const batchB = bs.slice(0, -2);
  const batch = broadcast('MatMul', [batchA, batchB]);
  const nb = sizeOf(batch);
  const ia = broadcastIndex(batchA, batch);
  const ib = broadcastIndex(batchB, batch);
  const out = alloc(a.dtype, nb * n * m, ctx);
  const A = a.data;
  const B = b.data;
  const acc = new Float64Array(m);
  for (let bi = 0; bi < nb; bi++) {
    const ao = (ia ? ia[bi] : bi) * n * k;
    const bo = (ib ? ib[bi] : bi) * k * m;
    const oo = bi * n * m;
    for (let i = 0; i < n; i++) {
      acc.fill(0);
      const arow = ao + i * k;
      for (let p = 0; p < k; p++) {
        const av = A[arow + p];
        const brow = bo + p * m;
        for (let j = 0; j < m; j++) acc[j] += av * B[brow + j];
      }
      const orow = oo + i * m;
      for (let j = 0; j < m; j++) out[orow + j] = acc[j];
    }
  }
  const shape = [...batch];
  if (a.shape.length > 1) shape.push(n);
  if (b.shape.length > 1) shape.push(m);
  return [rt(a.dtype, shape, out)];
}

/** Gemm: alpha * op(A) @ op(B) + beta * C (C unidirectionally broadcast to [M, N]). */
function gemmKernel(node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const a = req(ins, 0, 'Gemm');
  const b = req(ins, 1, 'Gemm');
  const c = ins[2];
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new InterpretError(`Gemm: operands must be 2-D, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const ta = numAttr(node, 'transA', 0) !== 0;
  const tb = numAttr(node, 'transB', 0) !== 0;
  const alpha = numAttr(node, 'alpha', 1);
  const beta = numAttr(node, 'beta', 1);
  const [m, k] = ta ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, n] = tb ? [b.shape[1], b.shape[0]] : b.shape;
  if (k !== k2) throw new InterpretError(`Gemm: inner dimensions differ (${fmt(a.shape)}${ta ? '^T' : ''} @ ${fmt(b.shape)}${tb ? '^T' : ''})`);
  let cIndex: Int32Array | null = null;
  if (c) {
    if (c.shape.length > 2 || broadcast('Gemm', [c.shape, [m, n]]).some((d, i) => d !== [m, n][i]))
      throw new InterpretError(`Gemm: C ${fmt(c.shape)} does not broadcast to ${fmt([m, n])}`);
    cIndex = broadcastIndex(c.shape, [m, n]) ?? Int32Array.from({ length: m * n }, (_, i) => i);
  }
  // op(A) [m, k] and op(B) [k, n] row-major, then the loop order of MatMul.
  const rowMajor = (t: RT, trans: boolean): Num => {
    if (!trans) return t.data;
    const [r, q] = t.shape;
    const o = new Float64Array(r * q);
    for (let i = 0; i < r; i++) for (let j = 0; j < q; j++) o[j * r + i] = t.data[i * q + j];
    return o;
  };
  const A = rowMajor(a, ta);
  const B = rowMajor(b, tb);
  const out = alloc('float32', m * n, ctx);
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const av = A[i * k + p];
      for (let j = 0; j < n; j++) acc[j] += av * B[p * n + j];
    }
    for (let j = 0; j < n; j++) out[i * n + j] = alpha * acc[j] + (c && cIndex ? beta * c.data[cIndex[i * n + j]] : 0);
  }
  return [rt('float32', [m, n], out)];
}

// ---- indexing ---------------------------------------------------------------------------------------------

function index(v: number, dim: number, op: string): number {
  const j = v < 0 ? v + dim : v;
  if (!(j >= 0 && j < dim)) throw new InterpretError(`${op}: index ${v} out of range for a dimension of size ${dim}`);
  return j;
}

function gatherKernel(node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const data = req(ins, 0, 'Gather');
  const idx = req(ins, 1, 'Gather');
  if (!isInt(idx.dtype)) throw new InterpretError(`Gather: indices must be int32 or int64, got ${idx.dtype}`);
  const ax = normAxis(numAttr(node, 'axis', 0), data.shape.length, 'Gather');
  const outer = sizeOf(data.shape.slice(0, ax));
  const dim = data.shape[ax];
  const inner = sizeOf(data.shape.slice(ax + 1));
  const ni = idx.data.length;
  const shape = [...data.shape.slice(0, ax), ...idx.shape, ...data.shape.slice(ax + 1)];
  const out = alloc(data.dtype, outer * ni * inner, ctx);
  for (let o = 0; o < outer; o++)
    for (let t = 0; t < ni; t++) {
      const j = index(idx.data[t], dim, 'Gather');
      const src = (o * dim + j) * inner;
      const dst = (o * ni + t) * inner;
      for (let q = 0; q < inner; q++) out[dst + q] = data.data[src + q];
    }
  return [rt(data.dtype, shape, out)];
}

/** Offsets into `data` addressed by each element of `idx` along `ax` (GatherElements / ScatterElements). */
function elementOffsets(data: RT, idx: RT, ax: number, op: string): Int32Array {
  if (idx.shape.length !== data.shape.length) throw new InterpretError(`${op}: indices rank ${idx.shape.length} != data rank ${data.shape.length}`);
  for (let d = 0; d < idx.shape.length; d++)
    if (d !== ax && idx.shape[d] > data.shape[d])
      throw new InterpretError(`${op}: indices shape ${fmt(idx.shape)} exceeds data shape ${fmt(data.shape)} on axis ${d}`);
  const r = idx.shape.length;
  const dst = stridesOf(data.shape);
  const n = idx.data.length;
  const offs = new Int32Array(n);
  const cnt = new Array<number>(r).fill(0);
  let base = 0; // offset of the current index position without the axis term
  for (let i = 0; i < n; i++) {
    offs[i] = base + index(idx.data[i], data.shape[ax], op) * dst[ax];
    for (let d = r - 1; d >= 0; d--) {
      cnt[d]++;
      if (d !== ax) base += dst[d];
      if (cnt[d] < idx.shape[d]) break;
      if (d !== ax) base -= dst[d] * idx.shape[d];
      cnt[d] = 0;
    }
  }
  return offs;
}

function gatherElementsKernel(node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const data = req(ins, 0, 'GatherElements');
  const idx = req(ins, 1, 'GatherElements');
  const ax = normAxis(numAttr(node, 'axis', 0), data.shape.length, 'GatherElements');
  const offs = elementOffsets(data, idx, ax, 'GatherElements');
  const out = alloc(data.dtype, offs.length, ctx);
  for (let i = 0; i < offs.length; i++) out[i] = data.data[offs[i]];
  return [rt(data.dtype, idx.shape, out)];
}

function scatterElementsKernel(node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const data = req(ins, 0, 'ScatterElements');
  const idx = req(ins, 1, 'ScatterElements');
  const upd = req(ins, 2, 'ScatterElements');
  if (!sameShape(idx.shape, upd.shape))
    throw new InterpretError(`ScatterElements: indices ${fmt(idx.shape)} and updates ${fmt(upd.shape)} differ in shape`);
  if (upd.dtype !== data.dtype) throw new InterpretError(`ScatterElements: updates ${upd.dtype} but data ${data.dtype}`);
  const ax = normAxis(numAttr(node, 'axis', 0), data.shape.length, 'ScatterElements');
  const reduction = node.attrs.reduction ?? 'none';
  const offs = elementOffsets(data, idx, ax, 'ScatterElements');
  const out = alloc(data.dtype, data.data.length, ctx);
  out.set(data.data);
  const U = upd.data;
  if (reduction === 'none') for (let i = 0; i < offs.length; i++) out[offs[i]] = U[i];
  else if (reduction === 'add') for (let i = 0; i < offs.length; i++) out[offs[i]] += U[i];
  else if (reduction === 'mul') for (let i = 0; i < offs.length; i++) out[offs[i]] *= U[i];
  else throw new InterpretError(`ScatterElements: reduction "${String(reduction)}" is not in opset 17`);
  return [rt(data.dtype, data.shape, out)];
}

/** ScatterND (opset 16+): slices of `updates` written to (or added at) the index tuples in the last axis of `indices`. */
function scatterNDKernel(node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const data = req(ins, 0, 'ScatterND');
  const idx = req(ins, 1, 'ScatterND');
  const upd = req(ins, 2, 'ScatterND');
  if (!isInt(idx.dtype)) throw new InterpretError(`ScatterND: indices must be int64, got ${idx.dtype}`);
  if (upd.dtype !== data.dtype) throw new InterpretError(`ScatterND: updates ${upd.dtype} but data ${data.dtype}`);
  const q = idx.shape[idx.shape.length - 1];
  if (!(q >= 1 && q <= data.shape.length)) throw new InterpretError(`ScatterND: indices ${fmt(idx.shape)} must end in 1..${data.shape.length}`);
  const want = [...idx.shape.slice(0, -1), ...data.shape.slice(q)];
  if (!sameShape(want, upd.shape)) throw new InterpretError(`ScatterND: updates ${fmt(upd.shape)} should be ${fmt(want)}`);
  const reduction = node.attrs.reduction ?? 'none';
  if (reduction !== 'none' && reduction !== 'add' && reduction !== 'mul') throw new InterpretError(`ScatterND: reduction "${String(reduction)}" is not in opset 17`);
  const strides = stridesOf(data.shape);
  const slice = sizeOf(data.shape.slice(q));
  const out = alloc(data.dtype, data.data.length, ctx);
  out.set(data.data);
  const U = upd.data;
  const tuples = idx.data.length / q;
  for (let t = 0; t < tuples; t++) {
    let base = 0;
    for (let d = 0; d < q; d++) base += index(idx.data[t * q + d], data.shape[d], 'ScatterND') * strides[d];
    for (let e = 0; e < slice; e++) {
      const u = U[t * slice + e];
      if (reduction === 'add') out[base + e] += u;
      else if (reduction === 'mul') out[base + e] *= u;
      else out[base + e] = u;
    }
  }
  return [rt(data.dtype, data.shape, out)];
}

// ---- normalisation ----------------------------------------------------------------------------------------

function softmaxKernel(log: boolean): Kernel {
  return (node, ins, ctx) => {
    const x = req(ins, 0, node.op);
    const ax = normAxis(numAttr(node, 'axis', -1), x.shape.length, node.op);
    const outer = sizeOf(x.shape.slice(0, ax));
    const dim = x.shape[ax];
    const inner = sizeOf(x.shape.slice(ax + 1));
    const X = x.data;
    const out = alloc(x.dtype, X.length, ctx);
    for (let o = 0; o < outer; o++)
      for (let q = 0; q < inner; q++) {
        const base = o * dim * inner + q;
        let mx = -Infinity;
        for (let j = 0; j < dim; j++) mx = Math.max(mx, X[base + j * inner]);
        let s = 0;
        for (let j = 0; j < dim; j++) s += Math.exp(X[base + j * inner] - mx);
        if (log) {
          const ls = Math.log(s);
          for (let j = 0; j < dim; j++) out[base + j * inner] = X[base + j * inner] - mx - ls;
        } else for (let j = 0; j < dim; j++) out[base + j * inner] = Math.exp(X[base + j * inner] - mx) / s;
      }
    return [rt(x.dtype, x.shape, out)];
  };
}

function layerNormKernel(node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const x = req(ins, 0, 'LayerNormalization');
  const scale = req(ins, 1, 'LayerNormalization');
  const bias = ins[2];
  const ax = normAxis(numAttr(node, 'axis', -1), x.shape.length, 'LayerNormalization');
  const eps = numAttr(node, 'epsilon', 1e-5);
  const normShape = x.shape.slice(ax);
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(normShape);
  const check = (t: RT, what: string) => {
    if (t.shape.length > normShape.length || broadcast('LayerNormalization', [t.shape, normShape]).some((d, i) => d !== normShape[i]))
      throw new InterpretError(`LayerNormalization: ${what} ${fmt(t.shape)} does not broadcast to ${fmt(normShape)}`);
    return broadcastIndex(t.shape, normShape);
  };
  const is = check(scale, 'Scale');
  const ib = bias ? check(bias, 'B') : null;
  const X = x.data;
  const y = alloc(x.dtype, X.length, ctx);
  const mean = alloc('float32', outer, ctx);
  const inv = alloc('float32', outer, ctx);
  for (let o = 0; o < outer; o++) {
    const base = o * inner;
    let s = 0;
    for (let j = 0; j < inner; j++) s += X[base + j];
    const mu = s / inner;
    let v = 0;
    for (let j = 0; j < inner; j++) v += (X[base + j] - mu) ** 2;
    const r = 1 / Math.sqrt(v / inner + eps);
    mean[o] = mu;
    inv[o] = r;
    for (let j = 0; j < inner; j++) {
      const g = scale.data[is ? is[j] : j];
      const bb = bias ? bias.data[ib ? ib[j] : j] : 0;
      y[base + j] = (X[base + j] - mu) * r * g + bb;
    }
  }
  const statShape = x.shape.map((d, i) => (i < ax ? d : 1));
  return [rt(x.dtype, x.shape, y), rt('float32', statShape, mean), rt('float32', statShape, inv)];
}

// ---- reductions -------------------------------------------------------------------------------------------

function reduceKernel(kind: 'sum' | 'mean' | 'max'): Kernel {
  return (node, ins, ctx) => {
    const x = req(ins, 0, node.op);
    const r = x.shape.length;
    // ReduceSum-13 takes axes as an input; ReduceMean/ReduceMax-13 (still current at opset 17) as an attribute.
    const given = ins[1] ? ints(ins[1]) : intsAttr(node, 'axes');
    const keep = numAttr(node, 'keepdims', 1) !== 0;
    if ((!given || given.length === 0) && numAttr(node, 'noop_with_empty_axes', 0) !== 0) return [x];
    const axes = !given || given.length === 0 ? x.shape.map((_, i) => i) : given.map((a) => normAxis(a, r, node.op));
    const reduced = x.shape.map((_, i) => axes.includes(i));
    const keptShape = x.shape.map((d, i) => (reduced[i] ? 1 : d));
    const shape = keep ? keptShape : x.shape.filter((_, i) => !reduced[i]);
    const nOut = sizeOf(keptShape);
    const count = sizeOf(x.shape) / Math.max(nOut, 1);
    const acc = new Float64Array(nOut).fill(kind === 'max' ? -Infinity : 0);
    // Map each input element to its output slot.
    const ost = stridesOf(keptShape);
    const cnt = new Array<number>(r).fill(0);
    let o = 0;
    const X = x.data;
    for (let i = 0; i < X.length; i++) {
      if (kind === 'max') {
        if (X[i] > acc[o] || Number.isNaN(X[i])) acc[o] = X[i];
      } else acc[o] += X[i];
      for (let d = r - 1; d >= 0; d--) {
        cnt[d]++;
        if (!reduced[d]) o += ost[d];
        if (cnt[d] < x.shape[d]) break;
        if (!reduced[d]) o -= ost[d] * x.shape[d];
        cnt[d] = 0;
      }
    }
    const out = alloc(x.dtype, nOut, ctx);
    for (let j = 0; j < nOut; j++) {
      const v = kind === 'mean' ? acc[j] / count : acc[j];
      out[j] = isInt(x.dtype) ? Math.trunc(v) : v;
    }
    return [rt(x.dtype, shape, out)];
  };
}

// ---- shape manipulation -----------------------------------------------------------------------------------

function reshapeKernel(node: Node, ins: readonly (RT | undefined)[]): RT[] {
  const x = req(ins, 0, 'Reshape');
  const target = ints(req(ins, 1, 'Reshape')) ?? [];
  const allowzero = numAttr(node, 'allowzero', 0) !== 0;
  const shape = target.map((d, i) => {
    if (d === 0 && !allowzero) {
      if (i >= x.shape.length) throw new InterpretError(`Reshape: 0 at position ${i} but the input ${fmt(x.shape)} has rank ${x.shape.length}`);
      return x.shape[i];
    }
    return d;
  });
  const inferred = shape.indexOf(-1);
  if (shape.filter((d) => d === -1).length > 1) throw new InterpretError(`Reshape: more than one -1 in ${fmt(target)}`);
  const total = x.data.length;
  if (inferred >= 0) {
    const rest = sizeOf(shape.filter((_, i) => i !== inferred));
    if (rest === 0 || total % rest !== 0) throw new InterpretError(`Reshape: cannot reshape ${fmt(x.shape)} to ${fmt(target)}`);
    shape[inferred] = total / rest;
  }
  if (sizeOf(shape) !== total || shape.some((d) => d < 0))
    throw new InterpretError(`Reshape: cannot reshape ${fmt(x.shape)} (${total} elements) to ${fmt(target)}`);
  return [rt(x.dtype, shape, x.data)];
}

function transposeKernel(node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const x = req(ins, 0, 'Transpose');
  const r = x.shape.length;
  const perm = intsAttr(node, 'perm') ?? x.shape.map((_, i) => r - 1 - i);
  if (perm.length !== r || [...perm].sort((p, q) => p - q).some((p, i) => p !== i))
    throw new InterpretError(`Transpose: perm ${fmt(perm)} is not a permutation of rank ${r}`);
  const shape = perm.map((p) => x.shape[p]);
  const ist = stridesOf(x.shape);
  const st = perm.map((p) => ist[p]); // input stride of each output axis
  const n = x.data.length;
  const out = alloc(x.dtype, n, ctx);
  const cnt = new Array<number>(r).fill(0);
  let cur = 0;
  for (let i = 0; i < n; i++) {
    out[i] = x.data[cur];
    for (let d = r - 1; d >= 0; d--) {
      cnt[d]++;
      cur += st[d];
      if (cnt[d] < shape[d]) break;
      cur -= st[d] * shape[d];
      cnt[d] = 0;
    }
  }
  return [rt(x.dtype, shape, out)];
}

function concatKernel(node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const xs = ins.map((_, i) => req(ins, i, 'Concat'));
  if (xs.length === 0) throw new InterpretError('Concat: no inputs');
  const r = xs[0].shape.length;
  const ax = normAxis(numAttr(node, 'axis', 0), r, 'Concat');
  for (const x of xs) {
    if (x.dtype !== xs[0].dtype) throw new InterpretError(`Concat: dtypes ${xs[0].dtype} and ${x.dtype} differ`);
    if (x.shape.length !== r || x.shape.some((d, i) => i !== ax && d !== xs[0].shape[i]))
      throw new InterpretError(`Concat: shapes ${xs.map((t) => fmt(t.shape)).join(', ')} differ outside axis ${ax}`);
  }
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((s, x) => s + x.shape[ax], 0);
  const outer = sizeOf(shape.slice(0, ax));
  const inner = sizeOf(shape.slice(ax + 1));
  const out = alloc(xs[0].dtype, sizeOf(shape), ctx);
  const row = shape[ax] * inner;
  let off = 0;
  for (const x of xs) {
    const chunk = x.shape[ax] * inner;
    for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * chunk, (o + 1) * chunk), o * row + off);
    off += chunk;
  }
  return [rt(xs[0].dtype, shape, out)];
}

function sliceKernel(_node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const x = req(ins, 0, 'Slice');
  const starts = ints(req(ins, 1, 'Slice')) ?? [];
  const ends = ints(req(ins, 2, 'Slice')) ?? [];
  const r = x.shape.length;
  const axes = (ints(ins[3]) ?? starts.map((_, i) => i)).map((a) => normAxis(a, r, 'Slice'));
  const steps = ints(ins[4]) ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length)
    throw new InterpretError('Slice: starts, ends, axes and steps differ in length');
  const begin = x.shape.map(() => 0);
  const step = x.shape.map(() => 1);
  const shape = [...x.shape];
  axes.forEach((a, i) => {
    const d = x.shape[a];
    const s = steps[i];
    if (s === 0) throw new InterpretError('Slice: step 0');
    let st = starts[i] < 0 ? starts[i] + d : starts[i];
    let en = ends[i] < 0 ? ends[i] + d : ends[i];
    if (s > 0) {
      st = Math.max(0, Math.min(d, st));
      en = Math.max(0, Math.min(d, en));
      shape[a] = Math.max(0, Math.ceil((en - st) / s));
    } else {
      st = Math.max(0, Math.min(d - 1, st));
      en = Math.max(-1, Math.min(d - 1, en));
      shape[a] = Math.max(0, Math.ceil((en - st) / s));
    }
    begin[a] = st;
    step[a] = s;
  });
  const ist = stridesOf(x.shape);
  const n = sizeOf(shape);
  const out = alloc(x.dtype, n, ctx);
  if (n > 0) {
    const cnt = new Array<number>(r).fill(0);
    let cur = begin.reduce((s, b, d) => s + b * ist[d], 0);
    for (let i = 0; i < n; i++) {
      out[i] = x.data[cur];
      for (let d = r - 1; d >= 0; d--) {
        cnt[d]++;
        cur += step[d] * ist[d];
        if (cnt[d] < shape[d]) break;
        cur -= step[d] * ist[d] * shape[d];
        cnt[d] = 0;
      }
    }
  }
  return [rt(x.dtype, shape, out)];
}

function unsqueezeKernel(node: Node, ins: readonly (RT | undefined)[]): RT[] {
  const x = req(ins, 0, 'Unsqueeze');
  const given = ints(ins[1]) ?? intsAttr(node, 'axes') ?? [];
  const rank = x.shape.length + given.length;
  const axes = given.map((a) => normAxis(a, rank, 'Unsqueeze'));
  if (new Set(axes).size !== axes.length) throw new InterpretError(`Unsqueeze: repeated axes ${fmt(given)}`);
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[j++]);
  return [rt(x.dtype, shape, x.data)];
}

function squeezeKernel(node: Node, ins: readonly (RT | undefined)[]): RT[] {
  const x = req(ins, 0, 'Squeeze');
  const given = ints(ins[1]) ?? intsAttr(node, 'axes');
  const axes = given ? given.map((a) => normAxis(a, x.shape.length, 'Squeeze')) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) if (x.shape[a] !== 1) throw new InterpretError(`Squeeze: axis ${a} of ${fmt(x.shape)} is not 1`);
  return [rt(x.dtype, x.shape.filter((_, i) => !axes.includes(i)), x.data)];
}

function expandKernel(_node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const x = req(ins, 0, 'Expand');
  const target = ints(req(ins, 1, 'Expand')) ?? [];
  const shape = broadcast('Expand', [x.shape, target]);
  const idx = broadcastIndex(x.shape, shape);
  if (!idx) return [x];
  const out = alloc(x.dtype, idx.length, ctx);
  for (let i = 0; i < idx.length; i++) out[i] = x.data[idx[i]];
  return [rt(x.dtype, shape, out)];
}

function shapeKernel(node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const x = req(ins, 0, 'Shape');
  const r = x.shape.length;
  const clampR = (v: number) => Math.max(0, Math.min(r, v < 0 ? v + r : v));
  const start = clampR(numAttr(node, 'start', 0));
  const end = clampR(numAttr(node, 'end', r));
  const dims = x.shape.slice(start, Math.max(start, end));
  const out = alloc('int64', dims.length, ctx);
  out.set(dims);
  return [rt('int64', [dims.length], out)];
}

function identityKernel(_node: Node, ins: readonly (RT | undefined)[]): RT[] {
  return [req(ins, 0, 'Identity')];
}

function notKernel(_node: Node, ins: readonly (RT | undefined)[], ctx: Ctx): RT[] {
  const x = req(ins, 0, 'Not');
  if (x.dtype !== 'bool') throw new InterpretError(`Not: expects bool, got ${x.dtype}`);
  const out = alloc('bool', x.data.length, ctx);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i] ? 0 : 1;
  return [rt('bool', x.shape, out)];
}

/** Every op of the IR, one kernel each (the Record type makes the table exhaustive). */
const KERNELS: Readonly<Record<OpType, Kernel>> = {
  Add: binaryKernel((a, b) => a + b),
  Sub: binaryKernel((a, b) => a - b),
  Mul: binaryKernel((a, b) => a * b),
  Div: binaryKernel(
    (a, b) => a / b,
    undefined,
    (a, b) => {
      if (b === 0) throw new InterpretError('Div: integer division by zero');
      return Math.trunc(a / b);
    },
  ),
  Pow: binaryKernel(Math.pow, undefined, (a, b) => Math.trunc(a ** b)),
  Max: variadicKernel((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.max(a, b))),
  Min: variadicKernel((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.min(a, b))),
  Equal: binaryKernel((a, b) => (a === b ? 1 : 0), 'bool'),
  Less: binaryKernel((a, b) => (a < b ? 1 : 0), 'bool'),
  Greater: binaryKernel((a, b) => (a > b ? 1 : 0), 'bool'),
  Neg: unaryKernel((x) => -x, false),
  Sqrt: unaryKernel(Math.sqrt),
  Exp: unaryKernel(Math.exp),
  Log: unaryKernel(Math.log),
  Erf: unaryKernel(erf),
  Tanh: unaryKernel(Math.tanh),
  Sigmoid: unaryKernel((x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))),
  Relu: unaryKernel((x) => Math.max(x, 0), false), // NaN stays NaN
  Not: notKernel,
  Where: whereKernel,
  Cast: castKernel,
  Identity: identityKernel,
  MatMul: matmulKernel,
  Gemm: gemmKernel,
  Gather: gatherKernel,
  GatherElements: gatherElementsKernel,
  ScatterElements: scatterElementsKernel,
  ScatterND: scatterNDKernel,
  Softmax: softmaxKernel(false),
  LogSoftmax: softmaxKernel(true),
  LayerNormalization: layerNormKernel,
  ReduceSum: reduceKernel('sum'),
  ReduceMean: reduceKernel('mean'),
  ReduceMax: reduceKernel('max'),
  Reshape: reshapeKernel,
  Transpose: transposeKernel,
  Concat: concatKernel,
  Slice: sliceKernel,
  Unsqueeze: unsqueezeKernel,
  Squeeze: squeezeKernel,
  Expand: expandKernel,
  Shape: shapeKernel,
};

/** The ops `interpret` executes: all of `OpType`. */
export function interpretedOps(): OpType[] {
  return Object.keys(KERNELS) as OpType[];
}

// ---- conversion between host tensors and run-time values --------------------------------------------------

function toRT(t: Tensor | Float64Tensor, ctx: Ctx, what: string): RT {
  const n = sizeOf(t.shape);
  if (t.data.length !== n) throw new InterpretError(`${what}: ${t.data.length} elements for shape ${fmt(t.shape)}`);
  const d = t.data;
  let data: Num;
  switch (t.dtype) {
    case 'float32':
      if (ctx.f64) data = d instanceof Float64Array ? d : Float64Array.from(d as ArrayLike<number>);
      else data = d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
      break;
    case 'int32':
      data = d instanceof Int32Array ? d : Int32Array.from(d as ArrayLike<number | bigint>, Number);
      break;
    case 'int64':
      data = Float64Array.from(d as ArrayLike<number | bigint>, Number);
      break;
    case 'bool':
      data = d instanceof Uint8Array ? d : Uint8Array.from(d as ArrayLike<number>, (v) => (v ? 1 : 0));
      break;
  }
  return { dtype: t.dtype, shape: [...t.shape], data };
}

function fromRT(v: RT): Float64Tensor {
  const shape = [...v.shape];
  switch (v.dtype) {
    case 'float32':
      return { dtype: 'float32', shape, data: v.data instanceof Float64Array ? v.data.slice() : Float32Array.from(v.data) };
    case 'int32':
      return { dtype: 'int32', shape, data: Int32Array.from(v.data) };
    case 'int64':
      return { dtype: 'int64', shape, data: BigInt64Array.from(v.data, (x) => BigInt(x)) };
    case 'bool':
      return { dtype: 'bool', shape, data: Uint8Array.from(v.data) };
  }
}

// ---- symbolic dimensions ----------------------------------------------------------------------------------

/** The value of a static dimension under the bindings, or undefined when it cannot be evaluated. */
function evalDim(dim: number | string, bindings: ReadonlyMap<string, number>): number | undefined {
  if (typeof dim === 'number') return dim;
  const direct = bindings.get(dim);
  if (direct !== undefined) return direct;
  if (!/^[\w.]+(\*[\w.]+)+$/.test(dim)) return undefined;
  let n = 1;
  for (const f of dim.split('*')) {
    const v = /^\d+$/.test(f) ? Number(f) : bindings.get(f);
    if (v === undefined) return undefined;
    n *= v;
  }
  return n;
}

// ---- the executor -----------------------------------------------------------------------------------------

/**
 * Executes `graph` on `feeds` (one tensor per graph input, keyed by name) and returns its outputs.
 * Symbolic dimensions of the graph inputs are bound from the fed shapes; a missing feed, an unknown feed, a
 * wrong dtype or a shape that disagrees with the declared one throws an error naming the input.
 */
export function interpret(graph: Graph, feeds: Readonly<Record<string, Tensor>>, options?: { float64?: false }): Record<string, Tensor>;
export function interpret(graph: Graph, feeds: Readonly<Record<string, Tensor | Float64Tensor>>, options: { float64: true }): Record<string, Float64Tensor>;
export function interpret(graph: Graph, feeds: Readonly<Record<string, Tensor | Float64Tensor>>, options?: InterpretOptions): Record<string, Tensor | Float64Tensor>;
export function interpret(graph: Graph, feeds: Readonly<Record<string, Tensor | Float64Tensor>>, options: InterpretOptions = {}): Record<string, Tensor | Float64Tensor> {
  const ctx: Ctx = { f64: options.float64 === true };
  const env = new Map<string, RT>();
  const bindings = new Map<string, number>();
  const where = `interpret(${graph.name})`;

  const inputNames = new Set(graph.inputs.map((i) => i.name));
  for (const name of Object.keys(feeds))
    if (!inputNames.has(name)) throw new InterpretError(`${where}: feed "${name}" is not an input of the graph (inputs: ${[...inputNames].join(', ')})`);

  for (const info of graph.inputs) {
    const t = feeds[info.name];
    const expected = `${info.dtype} ${fmt(info.shape)}`;
    if (!t) throw new InterpretError(`${where}: missing feed for graph input "${info.name}" (expected ${expected})`);
    if (t.dtype !== info.dtype) throw new InterpretError(`${where}: input "${info.name}" is ${t.dtype}, expected ${expected}`);
    const mismatch = (detail: string) =>
      new InterpretError(`${where}: input "${info.name}" has shape ${fmt(t.shape)}, expected ${expected}${detail ? ` (${detail})` : ''}`);
    if (t.shape.length !== info.shape.length) throw mismatch('rank differs');
    info.shape.forEach((d, i) => {
      const got = t.shape[i];
      if (typeof d === 'number') {
        if (d !== got) throw mismatch(`dimension ${i} is ${got}, not ${d}`);
        return;
      }
      const known = evalDim(d, bindings);
      if (known === undefined) bindings.set(d, got);
      else if (known !== got) throw mismatch(`dimension ${i} "${d}" is ${got} here but ${known} elsewhere`);
    });
    env.set(info.name, toRT(t, ctx, `${where}: input "${info.name}"`));
  }
  for (const [name, t] of graph.initializers) env.set(name, toRT(t, ctx, `${where}: initializer "${name}"`));

  // Free intermediates after their last use (graph outputs are kept).
  const lastUse = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const x of n.inputs) if (x) lastUse.set(x, i);
  });
  const keep = new Set(graph.outputs.map((o) => o.name));

  graph.nodes.forEach((node, ni) => {
    const ins = node.inputs.map((name) => {
      if (!name) return undefined;
      const v = env.get(name);
      if (!v) throw new InterpretError(`${where}: ${node.op} node ${ni} reads "${name}", which is not computed before it`);
      return v;
    });
    let outs: RT[];
    try {
      outs = KERNELS[node.op](node, ins, ctx);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new InterpretError(`${where}: ${node.op} -> "${node.outputs[0]}" (inputs ${node.inputs.map((n, i) => `${n || '-'}${ins[i] ? fmt(ins[i].shape) : ''}`).join(', ')}): ${msg}`);
    }
    node.outputs.forEach((name, k) => {
      if (!name || !outs[k]) return;
      const v = outs[k];
      const info = graph.values.get(name);
      if (info) {
        const bad = () =>
          new InterpretError(`${where}: ${node.op} -> "${name}" computed shape ${fmt(v.shape)} ${v.dtype}, but the graph declares ${fmt(info.shape)} ${info.dtype}`);
        if (info.dtype !== v.dtype || info.shape.length !== v.shape.length) throw bad();
        info.shape.forEach((d, i) => {
          const e = evalDim(d, bindings);
          if (e !== undefined && e !== v.shape[i]) throw bad();
        });
      }
      env.set(name, v);
    });
    for (const x of node.inputs) if (x && lastUse.get(x) === ni && !keep.has(x) && !inputNames.has(x)) env.delete(x);
  });

  const result: Record<string, Tensor | Float64Tensor> = {};
  for (const o of graph.outputs) {
    const v = env.get(o.name);
    if (!v) throw new InterpretError(`${where}: output "${o.name}" is never computed`);
    result[o.name] = fromRT(v);
  }
  return result;
}

/**
 * ONNX serialisation of the ssbench IR: `toOnnx` writes a ModelProto (IR version 8, opset 17, default domain),
 * `fromOnnx` reads one back for the IR's op subset.
 *
 * Reference: ONNX IR spec (https://onnx.ai/onnx/repo-docs/IR.html) and operator spec, opset 17
 * (https://onnx.ai/onnx/operators/). Protobuf classes from `onnx-proto` (protobufjs static code of onnx 1.10's
 * onnx.proto, which has every field IR 8 uses).
 *
 * - Symbolic dimensions are written as `dim_param` (e.g. "batch", "batch*seq"), fixed ones as `dim_value`.
 * - Initializers carry their data as little-endian `raw_data`.
 * - Each attribute has the AttributeProto type the operator schema declares (table `OP_ATTRS`): LayerNormalization
 *   epsilon is a FLOAT, Cast `to` an INT, Transpose perm INTS, ScatterElements reduction a STRING, ...
 * - `weights` turns those graph inputs into initializers: a self-contained model for inference. The original
 *   input order is kept in the model's metadata (`ssbench.inputs`) so `fromOnnx` can give them back as inputs.
 */
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import { GraphError, broadcastShapes, dtypeFromOnnxCode, onnxTypeCode } from './builder';
import { type AttrValue, type Dim, type DType, type Graph, type Node, ONNX_IR_VERSION, ONNX_OPSET, type OpType, type Shape, type Tensor, type ValueInfo } from './ir';
import { littleEndianBytes, typedArrayFromLittleEndian } from './safetensors';

const pb = onnxProto.onnx;
const AttributeType = pb.AttributeProto.AttributeType;

type AttrKind = 'int' | 'ints' | 'float' | 'floats' | 'string';

/**
 * The attributes each op has in opset 17, with their types. Every op of `OpType` must be listed (the Record
 * type enforces it), so adding an op to the IR without saying how it serialises fails to typecheck.
 */
const OP_ATTRS: Record<OpType, Readonly<Record<string, AttrKind>>> = {
  Add: {},
  Sub: {},
  Mul: {},
  Div: {},
  Pow: {},
  Neg: {},
  Sqrt: {},
  Exp: {},
  Log: {},
  Erf: {},
  Tanh: {},
  Sigmoid: {},
  Relu: {},
  Max: {},
  Min: {},
  Equal: {},
  Less: {},
  Greater: {},
  Not: {},
  Where: {},
  Cast: { to: 'int' },
  Identity: {},
  MatMul: {},
  Gemm: { alpha: 'float', beta: 'float', transA: 'int', transB: 'int' },
  Gather: { axis: 'int' },
  GatherElements: { axis: 'int' },
  ScatterElements: { axis: 'int', reduction: 'string' },
  ScatterND: { reduction: 'string' },
  Softmax: { axis: 'int' },
  LogSoftmax: { axis: 'int' },
  LayerNormalization: { axis: 'int', epsilon: 'float', stash_type: 'int' },
  ReduceSum: { keepdims: 'int', noop_with_empty_axes: 'int' },
  ReduceMean: { axes: 'ints', keepdims: 'int' },
  ReduceMax: { axes: 'ints', keepdims: 'int' },
  Reshape: { allowzero: 'int' },
  Transpose: { perm: 'ints' },
  Concat: { axis: 'int' },
  Slice: {},
  Unsqueeze: {},
  Squeeze: {},
  Expand: {},
  Shape: { start: 'int', end: 'int' },
};

/** The ops `fromOnnx` accepts (all of `OpType`). */
export const ONNX_OPS: readonly OpType[] = Object.keys(OP_ATTRS) as OpType[];

/** Model metadata key holding the JSON list of the graph's input names in order (weights included). */
export const INPUTS_METADATA_KEY = 'ssbench.inputs';

export interface ToOnnxOptions {
  /** Values for graph inputs (parameters) to embed as initializers; those inputs stop being inputs. */
  weights?: ReadonlyMap<string, Tensor>;
  /** ModelProto.producer_name (default "ssbench"). */
  producer?: string;
  docString?: string;
  /**
   * Write the type and shape of every intermediate value as `value_info` (default true: Netron shows
   * shapes, `fromOnnx` restores them exactly). A backend may pass false and let its runtime infer them.
   */
  valueInfo?: boolean;
}

export class OnnxError extends Error {}

// ---- writing --------------------------------------------------------------------------------------------

function shapeProto(shape: Shape): onnx.ITensorShapeProto {
  return { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
}

function valueInfoProto(v: ValueInfo): onnx.IValueInfoProto {
  return { name: v.name, type: { tensorType: { elemType: onnxTypeCode(v.dtype), shape: shapeProto(v.shape) } } };
}

function tensorProto(name: string, t: Tensor): onnx.ITensorProto {
  const size = t.shape.reduce((s, d) => s * d, 1);
  if (t.data.length !== size) throw new OnnxError(`tensor "${name}": ${t.data.length} elements for shape [${t.shape.join(', ')}]`);
  return { name, dims: [...t.shape], dataType: onnxTypeCode(t.dtype), rawData: littleEndianBytes(t.data) };
}

function attributeProto(node: Node, nodeName: string, key: string, value: AttrValue): onnx.IAttributeProto {
  const kind = OP_ATTRS[node.op]?.[key];
  const where = `node "${nodeName}" (${node.op}) attribute "${key}"`;
  if (!kind) throw new OnnxError(`toOnnx: ${where} is not an opset ${ONNX_OPSET} attribute of ${node.op}`);
  const bad = () => new OnnxError(`toOnnx: ${where} should be ${kind}, got ${JSON.stringify(value)}`);
  switch (kind) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw bad();
      return { name: key, type: AttributeType.INT, i: value };
    case 'float':
      if (typeof value !== 'number') throw bad();
      return { name: key, type: AttributeType.FLOAT, f: value };
    case 'string':
      if (typeof value !== 'string') throw bad();
      return { name: key, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
    case 'ints':
      if (!Array.isArray(value) || !value.every((x) => Number.isInteger(x))) throw bad();
      return { name: key, type: AttributeType.INTS, ints: [...(value as number[])] };
    case 'floats':
      if (!Array.isArray(value) || !value.every((x) => typeof x === 'number')) throw bad();
      return { name: key, type: AttributeType.FLOATS, floats: [...(value as number[])] };
  }
}

function trimTrailingEmpty(names: readonly string[]): string[] {
  let end = names.length;
  while (end > 0 && names[end - 1] === '') end--;
  return names.slice(0, end);
}

function nodeName(node: Node, index: number): string {
  return node.outputs[0] || `${node.op}_${index}`;
}

/** Serialises `graph` to ONNX ModelProto bytes (IR 8, opset 17). */
export function toOnnx(graph: Graph, options: ToOnnxOptions = {}): Uint8Array {
  const weights = options.weights ?? new Map<string, Tensor>();
  const inputNames = new Set(graph.inputs.map((i) => i.name));
  for (const [name, t] of weights) {
    if (!inputNames.has(name)) throw new OnnxError(`toOnnx: weight "${name}" is not an input of graph "${graph.name}"`);
    const info = graph.inputs.find((i) => i.name === name) as ValueInfo;
    const fits = info.dtype === t.dtype && info.shape.length === t.shape.length && info.shape.every((d, k) => typeof d !== 'number' || d === t.shape[k]);
    if (!fits)
      throw new OnnxError(`toOnnx: weight "${name}" is ${t.dtype} [${t.shape.join(', ')}] but the input is ${info.dtype} [${info.shape.join(', ')}]`);
  }
  const initializer: onnx.ITensorProto[] = [];
  for (const [name, t] of graph.initializers) initializer.push(tensorProto(name, t));
  for (const input of graph.inputs) {
    const w = weights.get(input.name);
    if (w) initializer.push(tensorProto(input.name, w));
  }
  const nodes: onnx.INodeProto[] = graph.nodes.map((n, i) => {
    const name = nodeName(n, i);
    return {
      name,
      opType: n.op,
      domain: '',
      // Omitted optional inputs/outputs: trailing ones are dropped (the canonical form; onnxruntime 1.30 crashes
      // on LayerNormalization with an explicit '' bias), inner ones stay ''.
      input: trimTrailingEmpty(n.inputs),
      output: trimTrailingEmpty(n.outputs),
      attribute: Object.entries(n.attrs).map(([k, v]) => attributeProto(n, name, k, v)),
    };
  });
  const boundary = new Set([...graph.inputs.map((i) => i.name), ...graph.outputs.map((o) => o.name), ...graph.initializers.keys()]);
  const valueInfo: onnx.IValueInfoProto[] = [];
  if (options.valueInfo ?? true)
    for (const n of graph.nodes)
      for (const o of n.outputs) {
        const v = graph.values.get(o);
        if (o && v && !boundary.has(o)) valueInfo.push(valueInfoProto(v));
      }
  const model: onnx.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: options.producer ?? 'ssbench',
    docString: options.docString ?? '',
    metadataProps: [{ key: INPUTS_METADATA_KEY, value: JSON.stringify(graph.inputs.map((i) => i.name)) }],
    graph: {
      name: graph.name,
      node: nodes,
      initializer,
      input: graph.inputs.filter((i) => !weights.has(i.name)).map(valueInfoProto),
      output: graph.outputs.map(valueInfoProto),
      valueInfo,
    },
  };
  return pb.ModelProto.encode(model).finish();
}

// ---- reading --------------------------------------------------------------------------------------------

type IntLike = number | { toNumber(): number; toString(): string };

function toNum(v: IntLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** The shortest decimal that reads back as the same float32 (1e-12 rather than 9.999999960041972e-13). */
function niceFloat32(f: number): number {
  if (!Number.isFinite(f)) return f;
  for (let p = 1; p <= 9; p++) {
    const x = Number(f.toPrecision(p));
    if (Math.fround(x) === f) return x;
  }
  return f;
}

function readTensor(t: onnx.ITensorProto, what: string): Tensor {
  const code = t.dataType ?? 0;
  let dtype: DType;
  try {
    dtype = dtypeFromOnnxCode(code);
  } catch {
    throw new OnnxError(`fromOnnx: ${what} has unsupported element type ${code} (supported: float32, int32, int64, bool)`);
  }
  if (t.dataLocation === pb.TensorProto.DataLocation.EXTERNAL) throw new OnnxError(`fromOnnx: ${what} uses external data, which is not supported`);
  const shape = (t.dims ?? []).map((d) => toNum(d as IntLike));
  const size = shape.reduce((s, d) => s * d, 1);
  let data: Tensor['data'];
  if (t.rawData && t.rawData.length > 0) {
    data = typedArrayFromLittleEndian(dtype, t.rawData, true);
  } else if (dtype === 'float32') {
    data = Float32Array.from(t.floatData ?? []);
  } else if (dtype === 'int64') {
    data = BigInt64Array.from((t.int64Data ?? []) as IntLike[], (v) => BigInt(v.toString()));
  } else if (dtype === 'int32') {
    data = Int32Array.from(t.int32Data ?? []);
  } else {
    data = Uint8Array.from(t.int32Data ?? []);
  }
  if (data.length !== size) throw new OnnxError(`fromOnnx: ${what} has ${data.length} elements for shape [${shape.join(', ')}]`);
  return { dtype, shape, data };
}

function readValueInfo(v: onnx.IValueInfoProto, what: string): ValueInfo {
  const name = v.name ?? '';
  const tt = v.type?.tensorType;
  if (!tt) throw new OnnxError(`fromOnnx: ${what} "${name}" is not a tensor`);
  let dtype: DType;
  try {
    dtype = dtypeFromOnnxCode(tt.elemType ?? 0);
  } catch {
    throw new OnnxError(`fromOnnx: ${what} "${name}" has unsupported element type ${tt.elemType}`);
  }
  if (!tt.shape) throw new OnnxError(`fromOnnx: ${what} "${name}" has no shape (unknown rank is not supported)`);
  let unknown = 0;
  const shape: Dim[] = ((tt.shape.dim ?? []) as onnx.TensorShapeProto.Dimension[]).map((d) => {
    if (d.value === 'dimParam' && d.dimParam) return d.dimParam;
    if (d.value === 'dimValue') return toNum(d.dimValue as IntLike);
    return `${name}:${unknown++}`; // a dimension with neither: unknown, a fresh symbol
  });
  return { name, dtype, shape };
}

function readAttribute(a: onnx.IAttributeProto, op: OpType, node: string): AttrValue {
  const name = a.name ?? '';
  const kind = OP_ATTRS[op][name];
  const where = `node "${node}" (${op}) attribute "${name}"`;
  if (!kind) throw new OnnxError(`fromOnnx: ${where} is not supported (not an opset ${ONNX_OPSET} attribute of ${op})`);
  switch (a.type) {
    case AttributeType.INT:
      return toNum(a.i as IntLike);
    case AttributeType.FLOAT:
      return niceFloat32(a.f ?? 0);
    case AttributeType.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case AttributeType.INTS:
      return (a.ints ?? []).map((x) => toNum(x as IntLike));
    case AttributeType.FLOATS:
      return (a.floats ?? []).map(niceFloat32);
    default:
      throw new OnnxError(`fromOnnx: ${where} has unsupported attribute type ${a.type}`);
  }
}

/** Parses ONNX ModelProto bytes into an IR graph, with the embedded weights given back as graph inputs. */
export function fromOnnx(bytes: Uint8Array): { graph: Graph; weights: Map<string, Tensor> } {
  let model: onnx.ModelProto;
  try {
    model = pb.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxError(`fromOnnx: not an ONNX model: ${(e as Error).message}`);
  }
  const g = model.graph as onnx.GraphProto | null;
  if (!g) throw new OnnxError('fromOnnx: the model has no graph');
  const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const version = opset ? toNum(opset.version as IntLike) : 0;
  if (version < 13 || version > ONNX_OPSET)
    throw new OnnxError(`fromOnnx: default-domain opset ${version || '(none)'} is not supported (ssbench reads opsets 13 to ${ONNX_OPSET})`);

  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer) initializers.set(t.name ?? '', readTensor(t, `initializer "${t.name}"`));

  // Which initializers are weights (graph inputs with values) and which are graph constants.
  const declaredInputs = g.input.map((v) => readValueInfo(v, 'input'));
  const meta = model.metadataProps.find((p) => p.key === INPUTS_METADATA_KEY);
  let inputOrder: string[];
  const weights = new Map<string, Tensor>();
  if (meta) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(meta.value ?? '');
    } catch {
      throw new OnnxError(`fromOnnx: metadata "${INPUTS_METADATA_KEY}" is not JSON`);
    }
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) throw new OnnxError(`fromOnnx: metadata "${INPUTS_METADATA_KEY}" is not a list of names`);
    inputOrder = parsed;
  } else {
    // A foreign model: its inputs, then every non-scalar float32 initializer (the trained parameters).
    inputOrder = declaredInputs.map((v) => v.name);
    for (const [name, t] of initializers) if (t.dtype === 'float32' && t.shape.length > 0 && !inputOrder.includes(name)) inputOrder.push(name);
  }
  const inputs: ValueInfo[] = inputOrder.map((name) => {
    const declared = declaredInputs.find((v) => v.name === name);
    const init = initializers.get(name);
    if (init) {
      weights.set(name, init);
      initializers.delete(name);
    }
    if (declared) return declared;
    if (init) return { name, dtype: init.dtype, shape: [...init.shape] };
    throw new OnnxError(`fromOnnx: input "${name}" is neither a graph input nor an initializer`);
  });
  for (const v of declaredInputs)
    if (!inputOrder.includes(v.name)) throw new OnnxError(`fromOnnx: graph input "${v.name}" is missing from metadata "${INPUTS_METADATA_KEY}"`);

  const values = new Map<string, ValueInfo>();
  for (const v of inputs) values.set(v.name, v);
  for (const [name, t] of initializers) values.set(name, { name, dtype: t.dtype, shape: [...t.shape] });
  const declared = new Map<string, ValueInfo>();
  for (const v of g.valueInfo) declared.set(v.name ?? '', readValueInfo(v, 'value'));
  for (const v of g.output) declared.set(v.name ?? '', readValueInfo(v, 'output'));

  const nodes: Node[] = [];
  const shapeValues = new Map<string, Dim[]>();
  (g.node as onnx.NodeProto[]).forEach((n, index) => {
    const op = n.opType ?? '';
    const name = n.name || n.output[0] || `#${index}`;
    if (n.domain && n.domain !== 'ai.onnx') throw new OnnxError(`fromOnnx: node "${name}" uses op ${n.domain}.${op}, which ssbench does not support`);
    if (!(op in OP_ATTRS)) throw new OnnxError(`fromOnnx: node "${name}" uses op ${op}, which ssbench does not support (supported: ${ONNX_OPS.join(', ')})`);
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute) attrs[a.name ?? ''] = readAttribute(a, op as OpType, name);
    const node: Node = { op: op as OpType, inputs: [...n.input], outputs: [...n.output], attrs };
    for (const i of node.inputs)
      if (i && !values.has(i)) throw new OnnxError(`fromOnnx: node "${name}" (${op}) reads "${i}", which is not defined before it (nodes must be topologically sorted)`);
    const inferred = node.outputs.some((o) => o && !declared.has(o)) ? inferOutputs(node, name, values, initializers, shapeValues) : [];
    if (node.op === 'Shape' && node.outputs[0]) {
      // remember what a Shape node holds, so that Reshape/Expand to it get exact symbolic shapes
      const xs = (values.get(node.inputs[0]) as ValueInfo).shape;
      const rank = xs.length;
      const clamp = (v: number) => Math.max(0, Math.min(rank, v < 0 ? v + rank : v));
      const start = typeof attrs.start === 'number' ? attrs.start : 0;
      const end = typeof attrs.end === 'number' ? attrs.end : rank;
      shapeValues.set(node.outputs[0], xs.slice(clamp(start), clamp(end)));
    }
    node.outputs.forEach((o, k) => {
      if (!o) return;
      if (values.has(o)) throw new OnnxError(`fromOnnx: value "${o}" is defined twice (node "${name}")`);
      const d = declared.get(o);
      const v = d ?? inferred[k];
      if (!v) throw new OnnxError(`fromOnnx: cannot infer the type of output ${k} of node "${name}" (${op})`);
      values.set(o, { name: o, dtype: v.dtype, shape: [...v.shape] });
    });
    nodes.push(node);
  });
  const outputs = g.output.map((o) => {
    const v = values.get(o.name ?? '');
    if (!v) throw new OnnxError(`fromOnnx: graph output "${o.name}" is not computed by any node`);
    return v;
  });
  return { graph: { name: g.name ?? 'graph', inputs, outputs, nodes, initializers, values }, weights };
}

// ---- shape inference for models without value_info ------------------------------------------------------

function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new OnnxError(`fromOnnx: ${where}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Types and shapes of a node's outputs from its inputs (opset 17 rules); unknown sizes become symbols. */
function inferOutputs(
  node: Node,
  name: string,
  values: ReadonlyMap<string, ValueInfo>,
  constants: ReadonlyMap<string, Tensor>,
  shapeValues: ReadonlyMap<string, readonly Dim[]>,
): { dtype: DType; shape: Dim[] }[] {
  const ins = node.inputs.map((i) => (i ? values.get(i) : undefined));
  const x = ins[0] as ValueInfo;
  const where = `node "${name}" (${node.op})`;
  const ints = (k: number): number[] | undefined => {
    const t = node.inputs[k] ? constants.get(node.inputs[k]) : undefined;
    return t ? Array.from(t.data as ArrayLike<number | bigint>, Number) : undefined;
  };
  let unknown = 0;
  const sym = (): string => `${node.outputs[0]}:${unknown++}`;
  const attr = (k: string, dflt: number): number => (typeof node.attrs[k] === 'number' ? (node.attrs[k] as number) : dflt);
  const same = (dtype: DType = x.dtype) => [{ dtype, shape: [...x.shape] }];
  const bcast = (vs: ValueInfo[]) => vs.slice(1).reduce<Dim[]>((s, v) => broadcastShapes(s, v.shape, where), [...vs[0].shape]);
  const reduce = (axes: number[] | undefined, noop: boolean) => {
    const rank = x.shape.length;
    const ax = axes === undefined || axes.length === 0 ? (noop ? [] : x.shape.map((_, i) => i)) : axes.map((a) => normAxis(a, rank, where));
    const keep = attr('keepdims', 1) !== 0;
    const shape: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!ax.includes(i)) shape.push(d);
      else if (keep) shape.push(1);
    });
    return [{ dtype: x.dtype, shape }];
  };
  try {
    switch (node.op) {
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'Pow':
        return [{ dtype: x.dtype, shape: bcast(ins.slice(0, 2) as ValueInfo[]) }];
      case 'Max':
      case 'Min':
        return [{ dtype: x.dtype, shape: bcast(ins as ValueInfo[]) }];
      case 'Equal':
      case 'Less':
      case 'Greater':
        return [{ dtype: 'bool', shape: bcast(ins as ValueInfo[]) }];
      case 'Where':
        return [{ dtype: (ins[1] as ValueInfo).dtype, shape: bcast(ins as ValueInfo[]) }];
      case 'Neg':
      case 'Sqrt':
      case 'Exp':
      case 'Log':
      case 'Erf':
      case 'Tanh':
      case 'Sigmoid':
      case 'Relu':
      case 'Not':
      case 'Identity':
      case 'Softmax':
      case 'LogSoftmax':
        return same();
      case 'Cast':
        return same(dtypeFromOnnxCode(attr('to', 0)));
      case 'MatMul': {
        const a = x.shape;
        const b = (ins[1] as ValueInfo).shape;
        const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2), where);
        const rows = a.length >= 2 ? [a[a.length - 2]] : [];
        const cols = b.length >= 2 ? [b[b.length - 1]] : [];
        return [{ dtype: x.dtype, shape: [...batch, ...rows, ...cols] }];
      }
      case 'Gemm': {
        const b = (ins[1] as ValueInfo).shape;
        return [{ dtype: x.dtype, shape: [x.shape[attr('transA', 0) ? 1 : 0], b[attr('transB', 0) ? 0 : 1]] }];
      }
      case 'Gather': {
        const ax = normAxis(attr('axis', 0), x.shape.length, where);
        return [{ dtype: x.dtype, shape: [...x.shape.slice(0, ax), ...(ins[1] as ValueInfo).shape, ...x.shape.slice(ax + 1)] }];
      }
      case 'GatherElements':
        return [{ dtype: x.dtype, shape: [...(ins[1] as ValueInfo).shape] }];
      case 'ScatterElements':
      case 'ScatterND':
        return same();
      case 'LayerNormalization': {
        const ax = normAxis(attr('axis', -1), x.shape.length, where);
        const stat = x.shape.map((d, i) => (i < ax ? d : 1));
        return [same()[0], { dtype: 'float32', shape: stat }, { dtype: 'float32', shape: [...stat] }];
      }
      case 'ReduceSum':
        return reduce(ints(1), attr('noop_with_empty_axes', 0) !== 0);
      case 'ReduceMean':
      case 'ReduceMax':
        return reduce(node.attrs.axes as number[] | undefined, false);
      case 'Reshape': {
        const target = ints(1);
        const held = shapeValues.get(node.inputs[1]);
        if (!target && held) return [{ dtype: x.dtype, shape: [...held] }];
        if (!target) return [{ dtype: x.dtype, shape: Array.from({ length: Number((ins[1] as ValueInfo).shape[0]) || 0 }, sym) }];
        const allowZero = attr('allowzero', 0) !== 0;
        const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
        const k = out.indexOf(-1);
        if (k >= 0) {
          const known = out.filter((_, i) => i !== k);
          const all = [...x.shape, ...known];
          out[k] = all.every((d) => typeof d === 'number') ? (x.shape as number[]).reduce((s, d) => s * d, 1) / (known as number[]).reduce((s, d) => s * d, 1) : sym();
        }
        return [{ dtype: x.dtype, shape: out }];
      }
      case 'Transpose': {
        const perm = (node.attrs.perm as number[] | undefined) ?? x.shape.map((_, i) => x.shape.length - 1 - i);
        return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
      }
      case 'Concat': {
        const ax = normAxis(attr('axis', 0), x.shape.length, where);
        const parts = (ins as ValueInfo[]).map((v) => v.shape[ax]);
        const shape = [...x.shape];
        shape[ax] = parts.every((p) => typeof p === 'number') ? (parts as number[]).reduce((s, p) => s + p, 0) : sym();
        return [{ dtype: x.dtype, shape }];
      }
      case 'Slice': {
        const starts = ints(1);
        const ends = ints(2);
        const rank = x.shape.length;
        const axes = ints(3) ?? (node.inputs[3] ? undefined : starts?.map((_, i) => i));
        const steps = ints(4) ?? (node.inputs[4] ? undefined : starts?.map(() => 1));
        const shape = [...x.shape];
        if (!starts || !ends || !axes || !steps) return [{ dtype: x.dtype, shape: shape.map(sym) }];
        axes.forEach((a, i) => {
          const ax = normAxis(a, rank, where);
          const d = x.shape[ax];
          if (typeof d !== 'number') {
            shape[ax] = sym();
            return;
          }
          const step = steps[i];
          const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v < 0 ? v + d : v));
          const s = step > 0 ? clamp(starts[i], 0, d) : clamp(starts[i], -1, d - 1);
          const e = step > 0 ? clamp(ends[i], 0, d) : clamp(ends[i], -1, d - 1);
          shape[ax] = Math.max(0, Math.ceil((e - s) / step));
        });
        return [{ dtype: x.dtype, shape }];
      }
      case 'Unsqueeze': {
        const axes = ints(1);
        if (!axes) throw new OnnxError(`fromOnnx: ${where}: axes are not a constant`);
        const rank = x.shape.length + axes.length;
        const ax = axes.map((a) => normAxis(a, rank, where));
        const shape: Dim[] = [];
        let j = 0;
        for (let i = 0; i < rank; i++) shape.push(ax.includes(i) ? 1 : x.shape[j++]);
        return [{ dtype: x.dtype, shape }];
      }
      case 'Squeeze': {
        const axes = ints(1);
        const ax = axes ? axes.map((a) => normAxis(a, x.shape.length, where)) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
        return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !ax.includes(i)) }];
      }
      case 'Expand': {
        const target = ints(1);
        if (target) return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, target, where) }];
        const held = shapeValues.get(node.inputs[1]);
        if (held) return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, held, where) }];
        const n = Number((ins[1] as ValueInfo).shape[0]);
        if (!Number.isInteger(n)) throw new OnnxError(`fromOnnx: ${where}: the rank of the target shape is unknown`);
        return [{ dtype: x.dtype, shape: Array.from({ length: Math.max(n, x.shape.length) }, sym) }];
      }
      case 'Shape': {
        const rank = x.shape.length;
        const clamp = (v: number) => Math.max(0, Math.min(rank, v < 0 ? v + rank : v));
        return [{ dtype: 'int64', shape: [Math.max(0, clamp(attr('end', rank)) - clamp(attr('start', 0)))] }];
      }
    }
  } catch (e) {
    if (e instanceof GraphError) throw new OnnxError(`fromOnnx: ${e.message}`);
    throw e;
  }
}

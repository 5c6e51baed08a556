/**
 * The ssbench model IR: a directed acyclic graph of ONNX operators (opset 17 semantics).
 *
 * Reference: ONNX operator specification, https://onnx.ai/onnx/operators/ (opset 17).
 * Only the subset in `OpType` exists; each op keeps its ONNX name, inputs, outputs and attributes so that a
 * graph serialises to ONNX one node per node. Tensors that are ONNX "inputs as attributes" in opset 17
 * (Reshape's shape, ReduceSum's axes, Unsqueeze's axes, Slice's starts/ends/axes/steps, Expand's shape) are
 * constant int64 initializers, so a backend can read them without executing anything.
 *
 * Two ops exist for speed rather than expressiveness: Gemm (a dense layer y = x W^T + b in one kernel, and its
 * gradients without any Transpose) and ScatterND (the embedding gradient as a scatter-add of whole rows instead
 * of ScatterElements over every element).
 */

/** Element types. Index tensors are int32 where ONNX allows it; shape-like constants are int64. */
export type DType = 'float32' | 'int32' | 'int64' | 'bool';

/** A dimension: a fixed size, or a symbol (e.g. "batch", "seq") bound at run time. */
export type Dim = number | string;

export type Shape = readonly Dim[];

export type TypedArray = Float32Array | Int32Array | BigInt64Array | Uint8Array;

/** A concrete tensor (row-major). `bool` data is a Uint8Array of 0/1. */
export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

export type OpType =
  | 'Add'
  | 'Sub'
  | 'Mul'
  | 'Div'
  | 'Pow'
  | 'Neg'
  | 'Sqrt'
  | 'Exp'
  | 'Log'
  | 'Erf'
  | 'Tanh'
  | 'Sigmoid'
  | 'Relu'
  | 'Max'
  | 'Min'
  | 'Equal'
  | 'Less'
  | 'Greater'
  | 'Not'
  | 'Where'
  | 'Cast'
  | 'Identity'
  | 'MatMul'
  | 'Gemm'
  | 'Gather'
  | 'GatherElements'
  | 'ScatterElements'
  | 'ScatterND'
  | 'Softmax'
  | 'LogSoftmax'
  | 'LayerNormalization'
  | 'ReduceSum'
  | 'ReduceMean'
  | 'ReduceMax'
  | 'Reshape'
  | 'Transpose'
  | 'Concat'
  | 'Slice'
  | 'Unsqueeze'
  | 'Squeeze'
  | 'Expand'
  | 'Shape';

export type AttrValue = number | readonly number[] | string;

export interface Node {
  readonly op: OpType;
  /** Value names; '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
}

export interface Graph {
  readonly name: string;
  /** Run-time inputs (batch data, parameters, optimizer state), in feed order. */
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Nodes in a topological order. */
  readonly nodes: readonly Node[];
  /** Constants baked into the graph (small: shapes, axes, scalars). */
  readonly initializers: ReadonlyMap<string, Tensor>;
  /** Inferred type and shape of every value (inputs, initializers, node outputs). */
  readonly values: ReadonlyMap<string, ValueInfo>;
}

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'int64':
      return new BigInt64Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

export function tensor(dtype: DType, shape: readonly number[], data?: TypedArray | readonly number[]): Tensor {
  const size = sizeOf(shape);
  let out: TypedArray;
  if (data === undefined) out = allocate(dtype, size);
  else if (Array.isArray(data)) {
    out = allocate(dtype, size);
    if (out instanceof BigInt64Array) for (let i = 0; i < size; i++) out[i] = BigInt((data as number[])[i]);
    else (out as Float32Array).set(data as number[]);
  } else out = data as TypedArray;
  if (out.length !== size) throw new Error(`tensor: ${out.length} elements for shape [${shape.join(', ')}]`);
  return { dtype, shape: [...shape], data: out };
}

export type { AttrValue, DType, Dim, Graph, Node, OpType, Shape, Tensor, TypedArray, ValueInfo } from './ir';
export { ONNX_IR_VERSION, ONNX_OPSET, allocate, sizeOf, tensor } from './ir';
export type { DropoutSpec, ParamInit, ParamSpec, Value } from './builder';
export { GraphBuilder, GraphError, broadcastShapes, dtypeFromOnnxCode, onnxTypeCode } from './builder';

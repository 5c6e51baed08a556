/**
 * Compile-time rewrites of an IR graph for the tfjs interpreter. Each rewrite keeps ONNX semantics exactly;
 * they only pick cheaper tfjs formulations for patterns that symbolic autodiff emits.
 *
 * 1. Row scatter. The gradient of Gather(data, idx) along axis 0 is
 *      ScatterElements(Expand(0, Shape(data)), Expand(Unsqueeze(idx), Shape(upd)), upd, axis=0, reduction=add)
 *    i.e. whole rows of `upd` added at rows `idx`. Element-wise that is a scatter of N*H single elements
 *    (45-90 ms for 2048 x 128 on wasm); as rows it is one ScatterND of N slices (1 ms). When the index
 *    tensor is an Expand of a tensor that is 1 on every axis but 0, the node becomes `_ScatterRows` reading the
 *    un-expanded indices; when `data` is an Expand of a constant 0, it reads only the target shape.
 * 2. Dead code elimination: nodes none of whose outputs reach a graph output are dropped (e.g. the Expands
 *    that rewrite 1 bypassed).
 */
import type { Graph, Node } from '@ssbench/graph';

/** Internal ops the interpreter understands in addition to the IR's. */
export type InternalOp = '_ScatterRows';

export interface ExecNode extends Omit<Node, 'op'> {
  readonly op: Node['op'] | InternalOp;
}

function isZeroScalarConst(graph: Graph, name: string): boolean {
  const t = graph.initializers.get(name);
  if (t?.data.length !== 1 || t.dtype === 'bool') return false;
  return Number(t.data[0]) === 0;
}

export function rewriteGraph(graph: Graph): ExecNode[] {
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const staticShape = (name: string) => graph.values.get(name)?.shape ?? graph.initializers.get(name)?.shape;

  const nodes: ExecNode[] = graph.nodes.map((n) => {
    if (n.op !== 'ScatterElements' || (n.attrs.axis ?? 0) !== 0) return n;
    const reduction = (n.attrs.reduction as string | undefined) ?? 'none';
    if (reduction !== 'add' && reduction !== 'none') return n;
    const [data, idx, upd] = n.inputs;
    const e = producer.get(idx);
    if (e?.op !== 'Expand') return n;
    const src = e.inputs[0];
    const srcShape = staticShape(src);
    const idxShape = staticShape(idx);
    if (!srcShape || !idxShape || srcShape.length !== idxShape.length || srcShape.length < 1) return n;
    if (!srcShape.every((d, k) => k === 0 || d === 1)) return n;
    // Rows of `upd` must be whole rows of `data`: checked at run time, else the kernel falls back to the
    // element path with the indices re-expanded to upd's shape (ONNX: indices and updates have one shape).
    const d = producer.get(data);
    if (reduction === 'add' && d && d.op === 'Expand' && isZeroScalarConst(graph, d.inputs[0])) {
      return { op: '_ScatterRows', inputs: ['', src, upd, d.inputs[1]], outputs: n.outputs, attrs: { reduction, zeroData: 1 } };
    }
    return { op: '_ScatterRows', inputs: [data, src, upd], outputs: n.outputs, attrs: { reduction, zeroData: 0 } };
  });

  // Dead code elimination, backwards from the graph outputs.
  const needed = new Set(graph.outputs.map((o) => o.name));
  const keep: boolean[] = new Array(nodes.length).fill(false);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (!n.outputs.some((o) => o && needed.has(o))) continue;
    keep[k] = true;
    for (const i of n.inputs) if (i) needed.add(i);
  }
  return nodes.filter((_, k) => keep[k]);
}

/**
 * onnxruntime CPU cost of alternative formulations of a few training-graph patterns (one small graph each):
 * a dense layer with bias (MatMul + Transpose + Add on 3-D or 2-D activations vs one Gemm transB=1), and the
 * embedding gradient (ScatterElements of N*H single elements vs ScatterND of N rows).
 *
 *   npx tsx bench/op-forms.ts [--threads 1]
 */
import onnxProto from '../packages/graph/node_modules/onnx-proto/dist/onnx.js';
import { Rng } from '../packages/core/src/index';
import { loadOrt } from '../plugins/backend-onnxruntime/src/plugin';

const argv = process.argv.slice(2);
const threads = Number(argv[argv.indexOf('--threads') + 1] || 1);
type In = { name: string; type: 1 | 6 | 7; shape: number[]; data: Float32Array | Int32Array | BigInt64Array };
type N = { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, number | number[] | string> };

function model(inputs: In[], nodes: N[], outputs: { name: string; shape: number[] }[]): Uint8Array {
  const pb = onnxProto.onnx;
  const T = pb.AttributeProto.AttributeType;
  const vi = (name: string, t: number, shape: number[]) => ({ name, type: { tensorType: { elemType: t, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });
  const attr = (k: string, v: number | number[] | string) =>
    Array.isArray(v) ? { name: k, type: T.INTS, ints: v } : typeof v === 'string' ? { name: k, type: T.STRING, s: new TextEncoder().encode(v) } : { name: k, type: T.INT, i: v };
  return pb.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: nodes.map((n) => ({ opType: n.op, input: n.inputs, output: n.outputs, attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)) })),
      input: inputs.map((i) => vi(i.name, i.type, i.shape)),
      output: outputs.map((o) => vi(o.name, 1, o.shape)),
    },
  }).finish();
}

async function time(label: string, inputs: In[], nodes: N[], outputs: { name: string; shape: number[] }[]): Promise<void> {
  const ort = await loadOrt();
  const s = await ort.InferenceSession.create(model(inputs, nodes, outputs), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
  const ty = { 1: 'float32', 6: 'int32', 7: 'int64' } as const;
  for (const i of inputs) feeds[i.name] = new ort.Tensor(ty[i.type], i.data, i.shape);
  const ts: number[] = [];
  for (let k = 0; k < 40; k++) {
    const t = performance.now();
    await s.run(feeds);
    if (k >= 5) ts.push(performance.now() - t);
  }
  await s.release();
  ts.sort((a, b) => a - b);
  console.log(`  ${label.padEnd(52)} median ${ts[ts.length >> 1].toFixed(3)} ms, min ${ts[0].toFixed(3)} ms`);
}

const rng = new Rng(1);
const f32 = (n: number) => rng.fillUniform(new Float32Array(n));
const B = 32;
const S = 64;
const R = B * S;
for (const [inD, outD] of [
  [128, 512],
  [512, 128],
  [128, 128],
]) {
  console.log(`dense layer x [${R} rows, ${inD}] -> ${outD}, ${threads} thread(s):`);
  const x = f32(R * inD);
  const w = f32(outD * inD);
  const bias = f32(outD);
  const W = { name: 'w', type: 1 as const, shape: [outD, inD], data: w };
  const Bi = { name: 'b', type: 1 as const, shape: [outD], data: bias };
  await time('MatMul(x3, Transpose(W)) + b', [{ name: 'x', type: 1, shape: [B, S, inD], data: x }, W, Bi], [
    { op: 'Transpose', inputs: ['w'], outputs: ['wt'], attrs: { perm: [1, 0] } },
    { op: 'MatMul', inputs: ['x', 'wt'], outputs: ['m'] },
    { op: 'Add', inputs: ['m', 'b'], outputs: ['y'] },
  ], [{ name: 'y', shape: [B, S, outD] }]);
  await time('MatMul(x2, Transpose(W)) + b', [{ name: 'x', type: 1, shape: [R, inD], data: x }, W, Bi], [
    { op: 'Transpose', inputs: ['w'], outputs: ['wt'], attrs: { perm: [1, 0] } },
    { op: 'MatMul', inputs: ['x', 'wt'], outputs: ['m'] },
    { op: 'Add', inputs: ['m', 'b'], outputs: ['y'] },
  ], [{ name: 'y', shape: [R, outD] }]);
  await time('Gemm(x2, W, b, transB=1)', [{ name: 'x', type: 1, shape: [R, inD], data: x }, W, Bi], [
    { op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { transB: 1 } },
  ], [{ name: 'y', shape: [R, outD] }]);
  await time('Gemm(x2, W, transB=1) (no bias)', [{ name: 'x', type: 1, shape: [R, inD], data: x }, W], [
    { op: 'Gemm', inputs: ['x', 'w'], outputs: ['y'], attrs: { transB: 1 } },
  ], [{ name: 'y', shape: [R, outD] }]);
  const dy = f32(R * outD);
  await time('dW = Gemm(dy2, x2, transA=1)', [{ name: 'dy', type: 1, shape: [R, outD], data: dy }, { name: 'x', type: 1, shape: [R, inD], data: x }], [
    { op: 'Gemm', inputs: ['dy', 'x'], outputs: ['y'], attrs: { transA: 1 } },
  ], [{ name: 'y', shape: [outD, inD] }]);
  await time('dW^T = MatMul(Transpose(x2), dy2); Transpose', [{ name: 'dy', type: 1, shape: [R, outD], data: dy }, { name: 'x', type: 1, shape: [R, inD], data: x }], [
    { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: [1, 0] } },
    { op: 'MatMul', inputs: ['xt', 'dy'], outputs: ['m'] },
    { op: 'Transpose', inputs: ['m'], outputs: ['y'], attrs: { perm: [1, 0] } },
  ], [{ name: 'y', shape: [outD, inD] }]);
  await time('db = ReduceSum(dy2, axis 0)', [{ name: 'dy', type: 1, shape: [R, outD], data: dy }, { name: 'ax', type: 7, shape: [1], data: new BigInt64Array([0n]) }], [
    { op: 'ReduceSum', inputs: ['dy', 'ax'], outputs: ['y'], attrs: { keepdims: 0 } },
  ], [{ name: 'y', shape: [outD] }]);
  await time('db = ReduceSum(dy3, axes 0,1)', [{ name: 'dy', type: 1, shape: [B, S, outD], data: dy }, { name: 'ax', type: 7, shape: [2], data: new BigInt64Array([0n, 1n]) }], [
    { op: 'ReduceSum', inputs: ['dy', 'ax'], outputs: ['y'], attrs: { keepdims: 0 } },
  ], [{ name: 'y', shape: [outD] }]);
}

for (const V of [4000, 2]) {
  const H = 128;
  console.log(`embedding gradient: table [${V}, ${H}], ${R} rows of updates:`);
  const idx = Int32Array.from({ length: R }, () => rng.int(V));
  const upd = f32(R * H);
  const idxE = new Int32Array(R * H);
  for (let r = 0; r < R; r++) idxE.fill(idx[r], r * H, (r + 1) * H);
  const zeros = new Float32Array(V * H);
  await time('ScatterElements(zeros, expanded idx, upd, add)', [
    { name: 'z', type: 1, shape: [V, H], data: zeros },
    { name: 'i', type: 6, shape: [R, H], data: idxE },
    { name: 'u', type: 1, shape: [R, H], data: upd },
  ], [{ op: 'ScatterElements', inputs: ['z', 'i', 'u'], outputs: ['y'], attrs: { axis: 0, reduction: 'add' } }], [{ name: 'y', shape: [V, H] }]);
  const idx64 = BigInt64Array.from(idx, (v) => BigInt(v));
  await time('ScatterND(zeros, idx [N,1] int64, upd, add)', [
    { name: 'z', type: 1, shape: [V, H], data: zeros },
    { name: 'i', type: 7, shape: [R, 1], data: idx64 },
    { name: 'u', type: 1, shape: [R, H], data: upd },
  ], [{ op: 'ScatterND', inputs: ['z', 'i', 'u'], outputs: ['y'], attrs: { reduction: 'add' } }], [{ name: 'y', shape: [V, H] }]);
}

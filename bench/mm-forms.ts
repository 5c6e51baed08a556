/**
 * onnxruntime CPU speed of the formulations of a dense layer x @ W^T with W stored [out, in] (as in BERT):
 * MatMul(x, Transpose(W)) on 3-D x (what ORT fuses to FusedMatMul transB), the same on 2-D x, Gemm transB=1 on
 * 2-D x, and MatMul with W pre-transposed. Also the two weight-gradient forms dW = dy^T x.
 *
 *   npx tsx bench/mm-forms.ts [--threads 1] [--opt all]
 */
import { Rng } from '../packages/core/src/index';
import onnxProto from '../packages/graph/node_modules/onnx-proto/dist/onnx.js';
import type { Graph, Node, ValueInfo } from '../packages/graph/src/index';
import { loadOrt } from '../plugins/backend-onnxruntime/src/plugin';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1] : d;
};
const threads = Number(opt('threads', '1'));
const level = opt('opt', 'all') as 'all';

function graph(name: string, inputs: ValueInfo[], nodes: Node[], out: ValueInfo): Graph {
  return { name, inputs, outputs: [out], nodes, initializers: new Map(), values: new Map() };
}

/** ONNX bytes of a float32 graph without initializers (written here directly: Gemm is not an IR op). */
function toOnnx(g: Graph): Uint8Array {
  const pb = onnxProto.onnx;
  const vi = (v: ValueInfo) => ({ name: v.name, type: { tensorType: { elemType: 1, shape: { dim: v.shape.map((d) => ({ dimValue: d as number })) } } } });
  const attr = (k: string, v: unknown) => (Array.isArray(v) ? { name: k, type: pb.AttributeProto.AttributeType.INTS, ints: v } : { name: k, type: pb.AttributeProto.AttributeType.INT, i: v as number });
  return pb.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({ opType: n.op, input: [...n.inputs], output: [...n.outputs], attribute: Object.entries(n.attrs).map(([k, v]) => attr(k, v)) })),
      input: g.inputs.map(vi),
      output: g.outputs.map(vi),
    },
  }).finish();
}
const f = (name: string, shape: number[]): ValueInfo => ({ name, dtype: 'float32', shape });

async function time(g: Graph, feeds: Record<string, Float32Array>, shapes: Record<string, number[]>, flops: number): Promise<string> {
  const ort = await loadOrt();
  const s = await ort.InferenceSession.create(toOnnx(g), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: level,
    logSeverityLevel: 3,
  });
  const o: Record<string, import('onnxruntime-node').Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) o[k] = new ort.Tensor('float32', v, shapes[k]);
  const ts: number[] = [];
  for (let i = 0; i < 25; i++) {
    const t = performance.now();
    await s.run(o);
    if (i >= 5) ts.push(performance.now() - t);
  }
  await s.release();
  ts.sort((a, b) => a - b);
  const m = ts[Math.floor(ts.length / 2)];
  return `${m.toFixed(3)} ms (min ${ts[0].toFixed(3)}), ${(flops / (m / 1000) / 1e9).toFixed(1)} GFLOP/s`;
}

async function main(): Promise<void> {
  const rng = new Rng(1);
  const rand = (n: number) => rng.fillUniform(new Float32Array(n));
  const B = 32;
  const S = 64;
  for (const [inD, outD] of [
    [128, 512],
    [512, 128],
    [128, 128],
    [128, 4000],
  ]) {
    const R = B * S;
    const flops = 2 * R * inD * outD;
    const x = rand(R * inD);
    const w = rand(outD * inD);
    const wt = rand(inD * outD);
    const dy = rand(R * outD);
    console.log(`x [${B},${S},${inD}] W [${outD},${inD}] (${(flops / 1e6).toFixed(0)} MFLOP), ${threads} thread(s):`);
    const sh = { x3: [B, S, inD], x2: [R, inD], w: [outD, inD], wt: [inD, outD], dy2: [R, outD], dy3: [B, S, outD] };
    const fd = { x3: x, x2: x, w, wt, dy2: dy, dy3: dy };
    const pick = (...k: (keyof typeof sh)[]) => ({ f: Object.fromEntries(k.map((n) => [n, fd[n]])), s: Object.fromEntries(k.map((n) => [n, sh[n]])) });
    let p = pick('x3', 'w');
    console.log(`  MatMul(x3, Transpose(W))        ${await time(graph('a', [f('x3', sh.x3), f('w', sh.w)], [{ op: 'Transpose', inputs: ['w'], outputs: ['t'], attrs: { perm: [1, 0] } }, { op: 'MatMul', inputs: ['x3', 't'], outputs: ['y'], attrs: {} }], f('y', [B, S, outD])), p.f, p.s, flops)}`);
    p = pick('x2', 'w');
    console.log(`  MatMul(x2, Transpose(W))        ${await time(graph('b', [f('x2', sh.x2), f('w', sh.w)], [{ op: 'Transpose', inputs: ['w'], outputs: ['t'], attrs: { perm: [1, 0] } }, { op: 'MatMul', inputs: ['x2', 't'], outputs: ['y'], attrs: {} }], f('y', [R, outD])), p.f, p.s, flops)}`);
    p = pick('x2', 'w');
    console.log(`  Gemm(x2, W, transB=1)           ${await time(graph('c', [f('x2', sh.x2), f('w', sh.w)], [{ op: 'Gemm' as never, inputs: ['x2', 'w'], outputs: ['y'], attrs: { transB: 1 } }], f('y', [R, outD])), p.f, p.s, flops)}`);
    p = pick('x3', 'wt');
    console.log(`  MatMul(x3, W^T fed)             ${await time(graph('d', [f('x3', sh.x3), f('wt', sh.wt)], [{ op: 'MatMul', inputs: ['x3', 'wt'], outputs: ['y'], attrs: {} }], f('y', [B, S, outD])), p.f, p.s, flops)}`);
    p = pick('x2', 'wt');
    console.log(`  MatMul(x2, W^T fed)             ${await time(graph('e', [f('x2', sh.x2), f('wt', sh.wt)], [{ op: 'MatMul', inputs: ['x2', 'wt'], outputs: ['y'], attrs: {} }], f('y', [R, outD])), p.f, p.s, flops)}`);
    // Backward: dx = dy @ W ([R,out] @ [out,in]); dW = dy^T @ x ([out,R] @ [R,in]).
    p = pick('dy3', 'w');
    console.log(`  dx: MatMul(dy3, W)              ${await time(graph('f', [f('dy3', sh.dy3), f('w', sh.w)], [{ op: 'MatMul', inputs: ['dy3', 'w'], outputs: ['y'], attrs: {} }], f('y', [B, S, inD])), p.f, p.s, flops)}`);
    p = pick('dy2', 'x2');
    console.log(`  dW: MatMul(Transpose(dy2), x2)  ${await time(graph('g', [f('dy2', sh.dy2), f('x2', sh.x2)], [{ op: 'Transpose', inputs: ['dy2'], outputs: ['t'], attrs: { perm: [1, 0] } }, { op: 'MatMul', inputs: ['t', 'x2'], outputs: ['y'], attrs: {} }], f('y', [outD, inD])), p.f, p.s, flops)}`);
    p = pick('dy2', 'x2');
    console.log(`  dW: Gemm(dy2, x2, transA=1)     ${await time(graph('h', [f('dy2', sh.dy2), f('x2', sh.x2)], [{ op: 'Gemm' as never, inputs: ['dy2', 'x2'], outputs: ['y'], attrs: { transA: 1 } }], f('y', [outD, inD])), p.f, p.s, flops)}`);
    p = pick('dy2', 'x2');
    console.log(`  dW^T: MatMul(Transpose(x2), dy2) ${await time(graph('i', [f('dy2', sh.dy2), f('x2', sh.x2)], [{ op: 'Transpose', inputs: ['x2'], outputs: ['t'], attrs: { perm: [1, 0] } }, { op: 'MatMul', inputs: ['t', 'dy2'], outputs: ['y'], attrs: {} }], f('y', [inD, outD])), p.f, p.s, flops)}`);
  }
}

await main();

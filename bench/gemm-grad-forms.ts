/**
 * Weight-gradient formulations on onnxruntime CPU, timed interleaved (A B A B ...) so machine load hits both
 * alike: dW = dY^T X as Gemm(transA) [out, in] directly, versus X^T dY [in, out] then Transpose.
 *
 *   npx tsx bench/gemm-grad-forms.ts [--threads 1]
 */
import onnxProto from '../packages/graph/node_modules/onnx-proto/dist/onnx.js';
import { Rng } from '../packages/core/src/index';
import { loadOrt } from '../plugins/backend-onnxruntime/src/plugin';

const argv = process.argv.slice(2);
const threads = Number(argv[argv.indexOf('--threads') + 1] || 1);
type N = { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, number | number[]> };

function model(inputs: [string, number[]][], nodes: N[], out: [string, number[]]): Uint8Array {
  const pb = onnxProto.onnx;
  const T = pb.AttributeProto.AttributeType;
  const vi = (name: string, shape: number[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });
  return pb.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: nodes.map((n) => ({
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => (Array.isArray(v) ? { name: k, type: T.INTS, ints: v } : { name: k, type: T.INT, i: v })),
      })),
      input: inputs.map(([n, s]) => vi(n, s)),
      output: [vi(out[0], out[1])],
    },
  }).finish();
}

async function session(bytes: Uint8Array) {
  const ort = await loadOrt();
  return ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

const rng = new Rng(1);
async function compare(title: string, shapes: [string, number[]][], variants: [string, N[], [string, number[]]][]): Promise<void> {
  const ort = await loadOrt();
  const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
  for (const [n, s] of shapes) feeds[n] = new ort.Tensor('float32', rng.fillUniform(new Float32Array(s.reduce((a, b) => a * b, 1))), s);
  const sessions = await Promise.all(variants.map(([, nodes, out]) => session(model(shapes, nodes, out))));
  const times: number[][] = variants.map(() => []);
  for (let r = 0; r < 40; r++)
    for (let v = 0; v < sessions.length; v++) {
      const t = performance.now();
      await sessions[v].run(feeds);
      if (r >= 5) times[v].push(performance.now() - t);
    }
  console.log(title);
  variants.forEach(([name], v) => {
    const s = times[v].sort((a, b) => a - b);
    console.log(`  ${name.padEnd(48)} median ${s[s.length >> 1].toFixed(3)} ms, min ${s[0].toFixed(3)} ms`);
  });
  for (const s of sessions) await s.release();
}

for (const [R, inD, outD] of [
  [2048, 128, 512],
  [2048, 512, 128],
  [2048, 128, 128],
  [259, 128, 4000],
]) {
  await compare(`dW [${outD}, ${inD}] from dY [${R}, ${outD}], X [${R}, ${inD}] (${threads} thread(s)):`, [['dy', [R, outD]], ['x', [R, inD]]], [
    ['Gemm(dY, X, transA=1)', [{ op: 'Gemm', inputs: ['dy', 'x'], outputs: ['y'], attrs: { transA: 1 } }], ['y', [outD, inD]]],
    ['Transpose(Gemm(X, dY, transA=1))', [{ op: 'Gemm', inputs: ['x', 'dy'], outputs: ['t'], attrs: { transA: 1 } }, { op: 'Transpose', inputs: ['t'], outputs: ['y'], attrs: { perm: [1, 0] } }], ['y', [outD, inD]]],
    ['MatMul(Transpose(dY), X)', [{ op: 'Transpose', inputs: ['dy'], outputs: ['t'], attrs: { perm: [1, 0] } }, { op: 'MatMul', inputs: ['t', 'x'], outputs: ['y'] }], ['y', [outD, inD]]],
  ]);
}

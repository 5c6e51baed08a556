/**
 * Micro-benchmarks behind the per-backend choices in src/ops.ts (`strategyFor`): each line times two
 * equivalent tfjs formulations on fresh inputs (min over repetitions; fresh tensors so that XNNPACK's operator
 * cache, keyed by tensor, cannot hide weight packing).
 *
 *   cd /work/main && npx tsx plugins/backend-tfjs/bench/kernels.ts [wasm|cpu]
 */
import * as tf from '@tensorflow/tfjs';
import * as wasmModule from '@tensorflow/tfjs-backend-wasm';
import { loadModules } from '../src/loader';

const backend = process.argv[2] ?? 'wasm';
if (backend === 'wasm') {
  const m = await loadModules('wasm', async (s) => (s === '@tensorflow/tfjs' ? tf : s === '@tensorflow/tfjs-backend-wasm' ? wasmModule : import(s)));
  if (!m.ok) throw new Error(m.reason);
  m.modules.wasm?.setWasmPaths(m.modules.wasm.distDir);
}
await tf.setBackend(backend);
await tf.ready();

function time(name: string, make: () => tf.Tensor[], f: (...x: tf.Tensor[]) => tf.Tensor, flops = 0, reps = 10): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const xs = make();
    for (const x of xs) x.dataSync();
    const t0 = performance.now();
    const r = tf.tidy(() => f(...xs));
    r.dataSync();
    best = Math.min(best, performance.now() - t0);
    r.dispose();
    for (const x of xs) x.dispose();
  }
  console.log(`  ${name.padEnd(58)} ${best.toFixed(2).padStart(8)} ms${flops ? `  ${(flops / best / 1e6).toFixed(1).padStart(5)} GFLOP/s` : ''}`);
  return best;
}
const rn = (...shapes: number[][]) => () => shapes.map((s) => tf.randomNormal(s));
const ri = (shape: number[], hi: number) => tf.randomUniform(shape, 0, hi, 'int32');

console.log(`tfjs ${tf.version_core} (${tf.getBackend()})`);
console.log('2-D MatMul (the [B*S,H]@[H,O] path):');
time('[2048,128]@[128,512]', rn([2048, 128], [128, 512]), (a, b) => tf.matMul(a, b), 2 * 2048 * 128 * 512);
time('[2048,512]@[512,128]', rn([2048, 512], [512, 128]), (a, b) => tf.matMul(a, b), 2 * 2048 * 128 * 512);
time('[128,2048]@[2048,512] (weight gradient)', rn([128, 2048], [2048, 512]), (a, b) => tf.matMul(a, b), 2 * 2048 * 128 * 512);
time('[2048,128]@[128,128] transposeB flag (not used)', rn([2048, 128], [128, 128]), (a, b) => tf.matMul(a, b, false, true), 2 * 2048 * 128 * 128);
time('[2048,128]@[128,128]', rn([2048, 128], [128, 128]), (a, b) => tf.matMul(a, b), 2 * 2048 * 128 * 128);

console.log('batched MatMul 64 x [64,64]@[64,64] (attention, batch 32 x 2 heads):');
const bf = 2 * 64 * 64 * 64 * 64;
time('BatchMatMul kernel', rn([64, 64, 64], [64, 64, 64]), (a, b) => tf.matMul(a, b), bf);
time('depthwiseConv2d (+3 transposes)', rn([64, 64, 64], [64, 64, 64]), (a, b) => {
  const input = tf.reshape(tf.transpose(a, [1, 2, 0]), [1, 64, 64, 64]) as tf.Tensor4D;
  const filter = tf.reshape(tf.transpose(b, [1, 0, 2]), [1, 64, 64, 64]) as tf.Tensor4D;
  return tf.transpose(tf.reshape(tf.depthwiseConv2d(input, filter, 1, 'valid'), [64, 64, 64]), [1, 0, 2]);
}, bf);

console.log('sum over leading axes of [2048,512]:');
time('tf.sum(x, 0)', rn([2048, 512]), (x) => tf.sum(x, 0));
time('ones[1,2048] @ x', rn([2048, 512]), (x) => tf.matMul(tf.ones([1, 2048]), x));
time('avgPool [2048,1] window * 2048', rn([2048, 512]), (x) => tf.mul(tf.avgPool(tf.reshape(x, [1, 2048, 1, 512]) as tf.Tensor4D, [2048, 1], 1, 'valid'), 2048));
console.log('mean over the last axis of [2048,128] (LayerNorm):');
time('tf.mean(x, -1)', rn([2048, 128]), (x) => tf.mean(x, -1, true));
time('avgPool [128,1] window', rn([2048, 128]), (x) => tf.avgPool(tf.reshape(x, [2048, 128, 1, 1]) as tf.Tensor4D, [128, 1], 1, 'valid'));

console.log('Gather rows: 2048 ids from [1000,128]:');
time('tf.gather (GatherV2)', () => [tf.randomNormal([1000, 128]), ri([32, 64], 1000)], (e, i) => tf.gather(e, i));
time('tf.gatherND (indices [...,1])', () => [tf.randomNormal([1000, 128]), ri([32, 64], 1000)], (e, i) => tf.gatherND(e, tf.reshape(i, [32, 64, 1])));
console.log('Expand [1,512] -> [2048,512]:');
time('tf.broadcastTo (Tile)', rn([1, 512]), (x) => tf.broadcastTo(x, [2048, 512]));
time('x + zeros', rn([1, 512]), (x) => tf.add(x, tf.zeros([2048, 512])));
console.log('ScatterElements add of 2048 rows of 128 into [1000,128] (Gather gradient):');
time('element-wise scatterND (262144 indices)', () => [ri([2048, 1], 1000), tf.randomNormal([2048, 128])], (i, u) => {
  const flat = tf.reshape(tf.add(tf.mul(i, tf.scalar(128, 'int32')), tf.range(0, 128, 1, 'int32')), [-1, 1]);
  return tf.scatterND(flat, tf.reshape(u, [-1]), [128000]);
});
time('row scatterND (2048 indices)', () => [ri([2048, 1], 1000), tf.randomNormal([2048, 128])], (i, u) => tf.scatterND(i, u, [1000, 128]));
console.log('element-wise on [2048,512]:');
time('transpose 2-D', rn([2048, 512]), (x) => tf.transpose(x));
time('exp', rn([2048, 512]), (x) => tf.exp(x));
time('erf', rn([2048, 512]), (x) => tf.erf(x));
time('mul', rn([2048, 512], [2048, 512]), (a, b) => tf.mul(a, b));

import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
const require = createRequire(import.meta.url);
const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
await tf.setBackend(process.argv[2] ?? 'wasm'); await tf.ready();
function time(name: string, flops: number, f: () => tf.Tensor) {
  for (let i = 0; i < 2; i++) f().dispose();
  const reps = 5; const t0 = performance.now();
  for (let i = 0; i < reps; i++) { const r = f(); r.dataSync(); r.dispose(); }
  const ms = (performance.now() - t0) / reps;
  console.log(`${name.padEnd(50)} ${ms.toFixed(2).padStart(8)} ms ${(flops / ms / 1e6).toFixed(2).padStart(7)} GFLOP/s`);
}
const a = tf.randomNormal([2048, 128]); const w = tf.randomNormal([128, 128]); const w4 = tf.randomNormal([128, 512]);
time('[2048,128]@[128,128]', 2*2048*128*128, () => tf.matMul(a, w));
time('[2048,128]@[128,512]', 2*2048*128*512, () => tf.matMul(a, w4));
const at = tf.randomNormal([128, 2048]); const g = tf.randomNormal([2048, 512]);
time('[128,2048]@[2048,512]', 2*2048*128*512, () => tf.matMul(at, g));
time('[128,2048]@[2048,128]', 2*2048*128*128, () => tf.matMul(at, a));
const q = tf.randomNormal([64, 64, 64]); const k = tf.randomNormal([64, 64, 64]);
time('[64,64,64]@[64,64,64] batched', 2*64*64*64*64, () => tf.matMul(q, k));
const q2 = tf.randomNormal([1, 64, 64]);
time('[1,64,64]@[1,64,64]', 2*64*64*64, () => tf.matMul(q2, q2));
const big = tf.randomNormal([1, 2048, 128]); const w3 = tf.randomNormal([1, 128, 128]);
time('[1,2048,128]@[1,128,128]', 2*2048*128*128, () => tf.matMul(big, w3));
time('transpose [2048,128]', 0, () => tf.transpose(a));
time('transpose [64,64,2,64]->0213', 0, () => tf.transpose(tf.reshape(a, [32,64,2,64]), [0,2,1,3]));
time('[2048,128]@[128,128] transposeB', 2*2048*128*128, () => tf.matMul(a, w, false, true));
const v = tf.randomNormal([1000, 128]);
time('[308,128]@[128,1000]', 2*308*128*1000, () => tf.matMul(tf.slice(a, [0,0],[308,128]), tf.transpose(v)));

import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
const require = createRequire(import.meta.url);
const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
await tf.setBackend(process.argv[2] ?? 'wasm'); await tf.ready();
function time(name: string, f: () => tf.Tensor) {
  for (let i = 0; i < 2; i++) tf.tidy(f).dispose();
  const reps = 5; const t0 = performance.now();
  for (let i = 0; i < reps; i++) { const r = tf.tidy(f); r.dataSync(); r.dispose(); }
  const ms = (performance.now() - t0) / reps;
  console.log(`${name.padEnd(50)} ${ms.toFixed(2).padStart(8)} ms`);
}
const q = tf.randomNormal([64, 64, 64]); const k = tf.randomNormal([64, 64, 64]);
const as = tf.unstack(q); const bs = tf.unstack(k);
time('64 matmuls, same b', () => tf.stack(as.map((x) => tf.matMul(x, bs[0]))));
time('64 matmuls, distinct kept b', () => tf.stack(as.map((x, i) => tf.matMul(x, bs[i]))));
time('unstack only', () => tf.stack(tf.unstack(q)));
time('[64,64,64]@[1,64,64]', () => tf.matMul(q, tf.reshape(bs[0], [1,64,64])));
time('[4096,64]@[64,64]', () => tf.matMul(tf.reshape(q, [4096, 64]), bs[0]));
time('batched [64,64,64]@[64,64,64]', () => tf.matMul(q, k));
time('batched [64,64,64]@[64,64,64] cpu-ish js', () => {
  const A = q.dataSync() as Float32Array; const Bd = k.dataSync() as Float32Array; const C = new Float32Array(64*64*64);
  for (let b = 0; b < 64; b++) { const o = b*4096;
    for (let i = 0; i < 64; i++) { const ci = o + i*64; for (let kk = 0; kk < 64; kk++) { const av = A[o + i*64 + kk]; const bo = o + kk*64; for (let j = 0; j < 64; j++) C[ci + j] += av * Bd[bo + j]; } } }
  return tf.tensor(C, [64,64,64]); });
const x = tf.randomNormal([2048, 512]); const ones = tf.ones([1, 2048]);
time('sum axis 0 [2048,512]', () => tf.sum(x, 0));
time('ones@x [1,2048]@[2048,512]', () => tf.matMul(ones, x));
time('sum axis 1 [2048,512]', () => tf.sum(x, 1));
const ids = tf.randomUniform([32, 64], 0, 1000, 'int32');
time('int where/less/add [32,64]', () => tf.where(tf.less(ids, tf.scalar(0,'int32')), tf.add(ids, tf.scalar(1000,'int32')), ids));
time('int dataSync check [32,64]', () => { const d = ids.dataSync(); let neg = false; for (let i = 0; i < d.length; i++) if (d[i] < 0) neg = true; return neg ? tf.clone(ids) : tf.clone(ids); });
const t4 = tf.randomNormal([32, 64, 2, 64]);
time('transpose 0213 [32,64,2,64]', () => tf.transpose(t4, [0, 2, 1, 3]));
time('transpose 0132 [32,2,64,64]', () => tf.transpose(tf.reshape(t4, [32,2,64,64]), [0, 1, 3, 2]));
time('transpose [2048,128]', () => tf.transpose(tf.reshape(t4, [2048,128])));
time('transpose [128,128]', () => tf.transpose(tf.slice(tf.reshape(t4, [2048,128]), [0,0],[128,128])));

import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
const require = createRequire(import.meta.url);
const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
await tf.setBackend(process.argv[2] ?? 'wasm'); await tf.ready();
function time(name: string, f: () => tf.Tensor, reps = 5) {
  for (let i = 0; i < 2; i++) tf.tidy(f).dispose();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) { const r = tf.tidy(f); r.dataSync(); r.dispose(); }
  const ms = (performance.now() - t0) / reps;
  console.log(`${name.padEnd(50)} ${ms.toFixed(3).padStart(8)} ms`);
}
const s1 = tf.tensor1d([1, 2]);
time('tiny add', () => tf.add(s1, s1), 1000);
const ids = tf.randomUniform([32, 64], 0, 1000, 'int32');
time('int less [32,64]', () => tf.less(ids, tf.scalar(0,'int32')), 100);
time('int add [32,64]', () => tf.add(ids, tf.scalar(1000,'int32')), 100);
const q = tf.randomNormal([64, 64, 64]); const k = tf.randomNormal([64, 64, 64]);
time('batched [64,64,64]@[64,64,64]', () => tf.matMul(q, k), 10);
time('split+matmul+concat', () => { const as = tf.split(q, 64, 0); const bs = tf.split(k, 64, 0); return tf.concat(as.map((x, i) => tf.matMul(tf.reshape(x, [64,64]), tf.reshape(bs[i], [64,64]))), 0); }, 10);
time('split+concat only', () => tf.concat(tf.split(q, 64, 0), 0), 10);
time('slice x64 + concat', () => tf.concat(Array.from({length: 64}, (_, i) => tf.slice(q, [i,0,0],[1,64,64])), 0), 10);
const q2 = tf.randomNormal([64, 64, 32]); const k2 = tf.randomNormal([64, 32, 64]);
time('batched [64,64,32]@[64,32,64]', () => tf.matMul(q2, k2), 10);
time('split version [64,64,32]@[64,32,64]', () => { const as = tf.split(q2, 64, 0); const bs = tf.split(k2, 64, 0); return tf.concat(as.map((x, i) => tf.matMul(tf.reshape(x, [64,32]), tf.reshape(bs[i], [32,64]))), 0); }, 10);

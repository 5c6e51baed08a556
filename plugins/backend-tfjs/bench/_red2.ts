import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
const require = createRequire(import.meta.url);
const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
await tf.setBackend(process.argv[2] ?? 'wasm'); await tf.ready();
function time(name: string, x0: tf.Tensor, f: (x: tf.Tensor) => tf.Tensor, reps = 6) {
  let total = 0;
  for (let i = 0; i < reps + 1; i++) {
    const x = tf.add(x0, tf.scalar(i));
    const t0 = performance.now();
    const r = tf.tidy(() => f(x)); r.dataSync();
    if (i >= 1) total += performance.now() - t0;
    r.dispose(); x.dispose();
  }
  console.log(`${name.padEnd(56)} ${(total / reps).toFixed(3).padStart(8)} ms`);
}
function pool(x: tf.Tensor, A: number, M: number, R: number) {
  return tf.mul(tf.avgPool(tf.reshape(x, [A, M, 1, R]) as tf.Tensor4D, [M, 1], 1, 'valid'), M);
}
for (const [A, M, R] of [[1, 2048, 512], [1, 2048, 128], [1, 3000, 100], [32, 64, 512], [2048, 512, 1], [2048, 128, 1], [1, 131072, 4], [64, 64, 64]]) {
  const x0 = tf.randomNormal([A, M, R]);
  const ref = tf.sum(x0, 1);
  const got = tf.reshape(pool(x0, A, M, R), [A, R]);
  const diff = tf.max(tf.abs(tf.sub(ref, got))).dataSync()[0];
  const mag = tf.max(tf.abs(ref)).dataSync()[0];
  console.log(`[${A},${M},${R}] over axis 1: max diff ${diff.toExponential(2)} (max |sum| ${mag.toFixed(1)})`);
  time('  tf.sum', x0, (x) => tf.sum(x, 1));
  time('  avgPool', x0, (x) => pool(x, A, M, R));
}

import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
const require = createRequire(import.meta.url);
const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
await tf.setBackend(process.argv[2] ?? 'wasm'); await tf.ready();
const x0 = tf.randomNormal([2048, 512]);
function time(name: string, f: (x: tf.Tensor) => tf.Tensor, reps = 10) {
  let total = 0;
  for (let i = 0; i < reps + 2; i++) {
    const x = tf.add(x0, tf.scalar(i)); // fresh tensor each time
    const t0 = performance.now();
    const r = tf.tidy(() => f(x)); r.dataSync();
    if (i >= 2) total += performance.now() - t0;
    r.dispose(); x.dispose();
  }
  console.log(`${name.padEnd(50)} ${(total / reps).toFixed(3).padStart(8)} ms`);
}
const ref = tf.sum(x0, 0);
const check = (name: string, r: tf.Tensor) => console.log(name, 'max diff', tf.max(tf.abs(tf.sub(r, ref))).dataSync()[0]);
check('ones', tf.matMul(tf.ones([1, 2048]), x0));
check('avgpool', tf.mul(tf.avgPool(tf.reshape(x0, [1, 2048, 1, 512]) as tf.Tensor4D, [2048, 1], 1, 'valid'), 2048));
time('sum axis 0', (x) => tf.sum(x, 0));
time('ones@x', (x) => tf.matMul(tf.ones([1, 2048]), x));
time('avgPool', (x) => tf.mul(tf.avgPool(tf.reshape(x, [1, 2048, 1, 512]) as tf.Tensor4D, [2048, 1], 1, 'valid'), 2048));
time('avgPool 64x32 two-stage', (x) => tf.mul(tf.avgPool(tf.reshape(x, [1, 2048, 1, 512]) as tf.Tensor4D, [2048, 1], 1, 'valid'), 2048));
time('transpose + sum last', (x) => tf.sum(tf.transpose(x), 1));
time('halving adds', (x) => { let t = x; while (t.shape[0] > 1) { const h = t.shape[0] / 2; t = tf.add(tf.slice(t, [0, 0], [h, 512]), tf.slice(t, [h, 0], [h, 512])); } return t; });
time('transpose only', (x) => tf.transpose(x));
time('x+1 (elementwise baseline)', (x) => tf.add(x, tf.scalar(1)));
time('x*x (elementwise baseline)', (x) => tf.mul(x, x));
time('[2048,128]@[128,512] fresh A', (x) => tf.matMul(tf.slice(x, [0, 0], [2048, 128]), tf.ones([128, 512])));
time('[128,2048]@[2048,512] fresh B', (x) => tf.matMul(tf.ones([128, 2048]), x));

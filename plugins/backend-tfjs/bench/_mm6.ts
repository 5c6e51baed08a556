import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
const require = createRequire(import.meta.url);
const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
await tf.setBackend('wasm'); await tf.ready();
/** min over reps, fresh inputs each rep (made by `make`, not timed) */
function time(name: string, make: () => tf.Tensor[], f: (...x: tf.Tensor[]) => tf.Tensor, flops = 0, reps = 12) {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const xs = make(); for (const x of xs) x.dataSync();
    const t0 = performance.now();
    const r = tf.tidy(() => f(...xs)); r.dataSync();
    best = Math.min(best, performance.now() - t0);
    r.dispose(); for (const x of xs) x.dispose();
  }
  console.log(`${name.padEnd(52)} ${best.toFixed(2).padStart(7)} ms${flops ? `  ${(flops / best / 1e6).toFixed(1)} GFLOP/s` : ''}`);
}
const r = (s: number[]) => () => tf.randomNormal(s);
const F = 2 * 2048 * 128 * 512;
time('[2048,128]@[128,512] (fwd up, B small)', () => [tf.randomNormal([2048, 128]), tf.randomNormal([128, 512])], (a, b) => tf.matMul(a, b), F);
time('[2048,512]@[512,128] (fwd down)', () => [tf.randomNormal([2048, 512]), tf.randomNormal([512, 128])], (a, b) => tf.matMul(a, b), F);
time('[128,2048]@[2048,512] (dW^T up: B=dY 1M)', () => [tf.randomNormal([128, 2048]), tf.randomNormal([2048, 512])], (a, b) => tf.matMul(a, b), F);
time('[512,2048]@[2048,128] (dW up alt: B=X .26M)', () => [tf.randomNormal([512, 2048]), tf.randomNormal([2048, 128])], (a, b) => tf.matMul(a, b), F);
time('transpose [2048,512]', () => [tf.randomNormal([2048, 512])], (a) => tf.transpose(a));
time('transpose [2048,128]', () => [tf.randomNormal([2048, 128])], (a) => tf.transpose(a));
time('transpose [128,512]', () => [tf.randomNormal([128, 512])], (a) => tf.transpose(a));
time('[2048,128]@[128,128]', () => [tf.randomNormal([2048, 128]), tf.randomNormal([128, 128])], (a, b) => tf.matMul(a, b), F / 4);
time('[128,2048]@[2048,128]', () => [tf.randomNormal([128, 2048]), tf.randomNormal([2048, 128])], (a, b) => tf.matMul(a, b), F / 4);
time('exp [2048,512]', () => [tf.randomNormal([2048, 512])], (a) => tf.exp(a));
time('erf [2048,512]', () => [tf.randomNormal([2048, 512])], (a) => tf.erf(a));
time('mul [2048,512]', () => [tf.randomNormal([2048, 512]), tf.randomNormal([2048, 512])], (a, b) => tf.mul(a, b));
time('add bias [2048,512]+[512]', () => [tf.randomNormal([2048, 512]), tf.randomNormal([512])], (a, b) => tf.add(a, b));
time('clone [2048,512]', () => [tf.randomNormal([2048, 512])], (a) => tf.clone(a));
time('tiny add [2]', () => [tf.randomNormal([2])], (a) => tf.add(a, a));

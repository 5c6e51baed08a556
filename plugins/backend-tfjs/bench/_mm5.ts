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
function viaConv(a: tf.Tensor, b: tf.Tensor) {
  const [B, M, K] = a.shape; const N = b.shape[2];
  const inp = tf.reshape(tf.transpose(a, [1, 2, 0]), [1, M, K, B]);
  const filt = tf.reshape(tf.transpose(b, [1, 0, 2]), [1, K, B, N]);
  const out = tf.depthwiseConv2d(inp as tf.Tensor4D, filt as tf.Tensor4D, 1, 'valid'); // [1, M, 1, B*N]
  return tf.transpose(tf.reshape(out, [M, B, N]), [1, 0, 2]);
}
for (const [B, M, K, N] of [[64, 64, 64, 64], [64, 64, 32, 64], [64, 64, 64, 32], [256, 64, 32, 64]]) {
  const a = tf.randomNormal([B, M, K]); const b = tf.randomNormal([B, K, N]);
  const ref = tf.matMul(a, b); const got = viaConv(a, b);
  console.log(`[${B},${M},${K}]@[${B},${K},${N}] max diff`, tf.max(tf.abs(tf.sub(ref, got))).dataSync()[0]);
  time(`  batched matMul`, () => tf.matMul(a, b));
  time(`  depthwiseConv2d`, () => viaConv(a, b));
}
{
  const [B, M, K, N] = [64, 64, 64, 64];
  const a = tf.randomNormal([B, M, K]); const b = tf.randomNormal([B, K, N]);
  const inp = tf.reshape(tf.transpose(a, [1, 2, 0]), [1, M, K, B]) as tf.Tensor4D;
  const filt = tf.reshape(tf.transpose(b, [1, 0, 2]), [1, K, B, N]) as tf.Tensor4D;
  time('transpose a 120', () => tf.transpose(a, [1, 2, 0]));
  time('transpose b 102', () => tf.transpose(b, [1, 0, 2]));
  time('conv only', () => tf.depthwiseConv2d(inp, filt, 1, 'valid'));
  const out = tf.depthwiseConv2d(inp, filt, 1, 'valid');
  time('transpose out 102', () => tf.transpose(tf.reshape(out, [M, B, N]), [1, 0, 2]));
  time('batched matMul', () => tf.matMul(a, b));
}

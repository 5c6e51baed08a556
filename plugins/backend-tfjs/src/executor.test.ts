/**
 * Interpreter mechanics: no tensor leaks across runs (also when a kernel throws), symbolic batch dimensions,
 * feed validation, outputs never aliasing feeds, two sessions on different backends taking turns.
 */
import { type Graph, GraphBuilder, type Tensor, tensor } from '@ssbench/graph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TfjsSession, createSession } from './plugin';

/** A small attention-like block with symbolic batch and sequence dims: Shape -> Reshape, Expand, MatMul, Softmax. */
function block(): Graph {
  const b = new GraphBuilder('block');
  const x = b.input('x', 'float32', ['batch', 'seq', 4]);
  const w = b.input('w', 'float32', [4, 4]);
  const mask = b.input('mask', 'float32', ['batch', 'seq']);
  const h = b.matmul(x, w); // [batch, seq, 4]
  const q = b.transpose(b.reshape(h, [0, 0, 2, 2]), [0, 2, 1, 3]); // [batch, 2, seq, 2]
  const k = b.transpose(b.reshape(h, [0, 0, 2, 2]), [0, 2, 3, 1]); // [batch, 2, 2, seq]
  const s = b.add(b.mul(b.matmul(q, k), 0.5), b.unsqueeze(b.mul(b.sub(mask, 1), 1e4), [1, 2])); // [batch, 2, seq, seq]
  const p = b.softmax(s, -1);
  const ctx = b.reshapeLike(b.transpose(b.matmul(p, q), [0, 2, 1, 3]), h); // [batch, seq, 4]
  const e = b.expand(b.reduceMean(ctx, [1], true), b.shapeOf(x), ['batch', 'seq', 4]);
  b.output('y', b.add(ctx, e));
  b.output('loss', b.reduceSum(b.mul(ctx, ctx), [0, 1, 2], false));
  return b.build();
}

function rand(shape: number[], seed: number): Tensor {
  let s = seed;
  const n = shape.reduce((a, c) => a * c, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    d[i] = s / 2147483648 - 0.5;
  }
  return tensor('float32', shape, d);
}

function feedsFor(batch: number, seq: number, seed: number): Record<string, Tensor> {
  const mask = new Float32Array(batch * seq).fill(1);
  mask[seq - 1] = 0;
  return { x: rand([batch, seq, 4], seed), w: rand([4, 4], seed + 1), mask: tensor('float32', [batch, seq], mask) };
}

for (const device of ['cpu', 'wasm'] as const) {
  describe(`tfjs ${device}: executor`, () => {
    let session: TfjsSession;
    beforeAll(async () => {
      session = await createSession({ device });
    });
    afterAll(async () => {
      await session.dispose();
    });

    it('serves two batch shapes from one compiled graph and leaks no tensors over repeated runs', async () => {
      const exe = await session.compile(block());
      const first = await exe.run(feedsFor(2, 3, 1));
      expect(first.y.shape).toEqual([2, 3, 4]);
      const before = session.tf.memory().numTensors;
      const bytes = session.memoryBytes?.();
      for (let i = 0; i < 5; i++) {
        const a = await exe.run(feedsFor(3, 5, i));
        expect(a.y.shape).toEqual([3, 5, 4]);
        expect(a.loss.shape).toEqual([]);
        const b = await exe.run(feedsFor(1, 2, i));
        expect(b.y.shape).toEqual([1, 2, 4]);
      }
      expect(session.tf.memory().numTensors).toBe(before);
      expect(session.memoryBytes?.()).toBe(bytes);
      // same feeds, same result (deterministic, no state carried between runs)
      const again = await exe.run(feedsFor(2, 3, 1));
      expect(Array.from(again.y.data as Float32Array)).toEqual(Array.from(first.y.data as Float32Array));
      await exe.dispose();
    });

    it('cleans up when a run fails, and says which node failed', async () => {
      const b = new GraphBuilder('bad');
      const x = b.input('x', 'float32', ['n', 3]);
      b.output('y', b.reshape(b.exp(x), [4, -1]));
      const exe = await session.compile(b.build());
      const before = session.tf.memory().numTensors;
      await expect(exe.run({ x: tensor('float32', [3, 3], new Float32Array(9)) })).rejects.toThrow(/node #1 Reshape .* failed on inputs \[3,3\]/);
      expect(session.tf.memory().numTensors).toBe(before);
      await exe.dispose();
    });

    it('validates feeds (missing, dtype, fixed dims, inconsistent symbols)', async () => {
      const exe = await session.compile(block());
      const good = feedsFor(2, 3, 1);
      const before = session.tf.memory().numTensors;
      await expect(exe.run({ x: good.x, w: good.w })).rejects.toThrow('missing feed "mask"');
      await expect(exe.run({ ...good, w: rand([4, 5], 1) })).rejects.toThrow('feed "w": shape [4,5], expected [4,4]');
      await expect(exe.run({ ...good, mask: tensor('float32', [2, 4], new Float32Array(8)) })).rejects.toThrow('"seq"');
      await expect(exe.run({ ...good, mask: tensor('int32', [2, 3], new Int32Array(6)) })).rejects.toThrow('dtype int32, expected float32');
      expect(session.tf.memory().numTensors).toBe(before);
      await exe.dispose();
    });

    it('never returns a feed buffer as an output, and disposes its constants', async () => {
      const b = new GraphBuilder('alias');
      const x = b.input('x', 'float32', [3]);
      b.output('same', b.identity(x));
      b.output('flat', b.reshape(x, [3, 1]));
      b.output('c', b.identity(b.scalar(7)));
      const before = session.tf.memory().numTensors;
      const exe = await session.compile(b.build());
      const feed = tensor('float32', [3], Float32Array.from([1, 2, 3]));
      const out = await exe.run({ x: feed });
      expect(out.same.data).not.toBe(feed.data);
      expect(out.flat.data).not.toBe(feed.data);
      expect(Array.from(out.flat.data as Float32Array)).toEqual([1, 2, 3]);
      expect(Array.from(out.c.data as Float32Array)).toEqual([7]);
      await exe.dispose();
      expect(session.tf.memory().numTensors).toBe(before);
      await expect(exe.run({ x: feed })).rejects.toThrow('disposed');
    });
  });
}

describe('two sessions in one process', () => {
  it('switch the global tfjs backend back before each run', async () => {
    const cpu = await createSession({ device: 'cpu' });
    const wasm = await createSession({ device: 'wasm' });
    const g = block();
    const ec = await cpu.compile(g);
    const ew = await wasm.compile(g);
    const feeds = feedsFor(2, 4, 3);
    const a = await ec.run(feeds);
    expect(cpu.tf.getBackend()).toBe('cpu');
    const b = await ew.run(feeds);
    expect(wasm.tf.getBackend()).toBe('wasm');
    const c = await ec.run(feeds);
    expect(cpu.tf.getBackend()).toBe('cpu');
    const ya = a.y.data as Float32Array;
    const yb = b.y.data as Float32Array;
    expect(Array.from(c.y.data as Float32Array)).toEqual(Array.from(ya));
    for (let i = 0; i < ya.length; i++) expect(Math.abs(ya[i] - yb[i])).toBeLessThan(1e-5);
    await cpu.dispose();
    await wasm.dispose();
  });
});

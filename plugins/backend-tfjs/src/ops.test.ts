/**
 * Hand-built graphs with hand-computed expectations, on cpu and wasm: the ops whose tfjs mapping needed care
 * (broadcasting, batched MatMul, negative indices, Gather/ScatterElements, non-last-axis softmax, Slice
 * clamping, Reshape 0/-1 from a run-time Shape, int64 values, Erf accuracy).
 */
import { type Graph, GraphBuilder, type Tensor, tensor } from '@ssbench/graph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matMul, reduceByPool } from './ops';
import { type TfjsSession, createSession } from './plugin';

function close(actual: ArrayLike<number | bigint>, expected: readonly number[], tol = 1e-5): void {
  const a = Array.from(actual, Number);
  expect(a.length).toBe(expected.length);
  a.forEach((v, i) => {
    if (Math.abs(v - expected[i]) > tol * (1 + Math.abs(expected[i]))) {
      throw new Error(`element ${i}: ${v} vs ${expected[i]} (actual [${a.slice(0, 20)}])`);
    }
  });
}

const f32 = (shape: number[], data: number[]) => tensor('float32', shape, Float32Array.from(data));
const i32 = (shape: number[], data: number[]) => tensor('int32', shape, Int32Array.from(data));

for (const device of ['cpu', 'wasm'] as const) {
  describe(`tfjs ${device}: ops`, () => {
    let session: TfjsSession;
    beforeAll(async () => {
      session = await createSession({ device });
    });
    afterAll(async () => {
      await session.dispose();
    });
    const run = async (g: Graph, feeds: Record<string, Tensor>) => {
      const exe = await session.compile(g);
      try {
        return await exe.run(feeds);
      } finally {
        await exe.dispose();
      }
    };

    it('pooling reductions equal tf.sum / tf.mean / tf.max over contiguous axis runs', () => {
      const tf = session.tf;
      tf.tidy(() => {
        const x = tf.randomNormal([3, 5, 7, 2], 0, 1, 'float32', 1);
        for (const axes of [[0], [1, 2], [3], [0, 1, 2, 3], [2, 3], [1]]) {
          for (const keep of [true, false]) {
            const pairs: [string, ReturnType<typeof tf.sum>, ReturnType<typeof tf.sum> | undefined][] = [
              ['sum', tf.sum(x, axes, keep), reduceByPool(tf, x, axes, keep, 'sum')],
              ['mean', tf.mean(x, axes, keep), reduceByPool(tf, x, axes, keep, 'mean')],
              ['max', tf.max(x, axes, keep), reduceByPool(tf, x, axes, keep, 'max')],
            ];
            for (const [kind, want, got] of pairs) {
              if (!got) throw new Error(`${kind} [${axes}] not handled`);
              expect(got.shape, `${kind} [${axes}] keep=${keep}`).toEqual(want.shape);
              close(got.dataSync(), Array.from(want.dataSync()), 1e-5);
            }
          }
        }
        expect(reduceByPool(tf, x, [0, 2], true, 'sum')).toBeUndefined(); // not contiguous: caller falls back
      });
    });

    it('batched MatMul (depthwise-conv formulation on wasm) equals the BatchMatMul kernel', () => {
      const tf = session.tf;
      tf.tidy(() => {
        const a = tf.randomNormal([2, 3, 5, 4], 0, 1, 'float32', 2);
        const b = tf.randomNormal([2, 3, 4, 6], 0, 1, 'float32', 3);
        const want = tf.matMul(tf.reshape(a, [6, 5, 4]), tf.reshape(b, [6, 4, 6]));
        for (const depthwise of [false, true]) {
          const got = matMul(tf, a, b, depthwise);
          expect(got.shape).toEqual([2, 3, 5, 6]);
          close(got.dataSync(), Array.from(want.dataSync()), 1e-5);
        }
      });
    });

    it('reports its version', () => {
      expect(session.version).toMatch(/^tfjs 4\.\d+\.\d+ \(/);
      if (device === 'wasm') expect(session.version).toContain('wasm');
    });

    it('broadcasts binary ops and Where', async () => {
      const b = new GraphBuilder('bcast');
      const x = b.input('x', 'float32', [2, 3]);
      const y = b.input('y', 'float32', [3]);
      b.output('add', b.add(x, y));
      b.output('sub', b.sub(y, x));
      b.output('div', b.div(x, 2));
      b.output('pow', b.pow(x, 2));
      b.output('pow3', b.pow(x, b.input('e', 'float32', [])));
      b.output('max', b.max(x, y));
      b.output('where', b.where(b.greater(x, y), x, b.scalar(-1)));
      const out = await run(b.build(), { x: f32([2, 3], [1, 2, 3, 4, 5, 6]), y: f32([3], [10, 0, 5]), e: f32([], [3]) });
      close(out.add.data, [11, 2, 8, 14, 5, 11]);
      close(out.sub.data, [9, -2, 2, 6, -5, -1]);
      close(out.div.data, [0.5, 1, 1.5, 2, 2.5, 3]);
      close(out.pow.data, [1, 4, 9, 16, 25, 36]);
      close(out.pow3.data, [1, 8, 27, 64, 125, 216]);
      close(out.max.data, [10, 2, 5, 10, 5, 6]);
      close(out.where.data, [-1, 2, -1, -1, 5, 6]);
      expect(out.where.shape).toEqual([2, 3]);
    });

    it('MatMul: [B,S,H]@[H,O], batched 4-D, broadcast batch', async () => {
      const b = new GraphBuilder('mm');
      const a = b.input('a', 'float32', [2, 2, 3]);
      const w = b.input('w', 'float32', [3, 2]);
      const c = b.input('c', 'float32', [1, 2, 3, 2]);
      b.output('y', b.matmul(a, w));
      b.output('z', b.matmul(b.reshape(a, [2, 1, 2, 3]), c)); // [2,1,2,3]@[1,2,3,2] -> [2,2,2,2]
      const A = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
      const W = [1, 0, 0, 1, 1, 1];
      const C = [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1];
      const out = await run(b.build(), { a: f32([2, 2, 3], A), w: f32([3, 2], W), c: f32([1, 2, 3, 2], C) });
      // rows r=[r0,r1,r2] -> [r0+r2, r1+r2]
      close(out.y.data, [4, 5, 10, 11, 16, 17, 22, 23]);
      expect(out.y.shape).toEqual([2, 2, 2]);
      // c[0] maps a row r to [r0, r1]; c[1] maps it to [r2, r2]
      close(out.z.data, [1, 2, 4, 5, 3, 3, 6, 6, 7, 8, 10, 11, 9, 9, 12, 12]);
      expect(out.z.shape).toEqual([2, 2, 2, 2]);
    });

    it('Gather with negative indices, GatherElements, ScatterElements none/add with duplicates', async () => {
      const b = new GraphBuilder('idx');
      const e = b.input('e', 'float32', [4, 2]);
      const ids = b.input('ids', 'int32', [3]);
      b.output('g', b.gather(e, ids, 0));
      const x = b.input('x', 'float32', [2, 3]);
      const gi = b.input('gi', 'int32', [2, 2]);
      b.output('ge', b.gatherElements(x, gi, 1));
      const si = b.input('si', 'int32', [2, 2]);
      const su = b.input('su', 'float32', [2, 2]);
      b.output('sadd', b.scatterElements(x, si, su, 1, 'add'));
      b.output('snone', b.scatterElements(x, b.input('sn', 'int32', [1, 2]), b.input('snu', 'float32', [1, 2]), 0, 'none'));
      const out = await run(b.build(), {
        e: f32([4, 2], [0, 1, 10, 11, 20, 21, 30, 31]),
        ids: i32([3], [3, -1, 0]),
        x: f32([2, 3], [1, 2, 3, 4, 5, 6]),
        gi: i32([2, 2], [2, 0, -1, 1]),
        si: i32([2, 2], [1, 1, 0, 2]),
        su: f32([2, 2], [10, 20, 100, 200]),
        sn: i32([1, 2], [1, 0]),
        snu: f32([1, 2], [-1, -2]),
      });
      close(out.g.data, [30, 31, 30, 31, 0, 1]);
      close(out.ge.data, [3, 1, 6, 5]);
      close(out.sadd.data, [1, 32, 3, 104, 5, 206]);
      close(out.snone.data, [1, -2, 3, -1, 5, 6]);
    });

    it('ScatterElements with Expand-ed row indices (the Gather gradient): full rows, zero data, partial rows, none', async () => {
      const b = new GraphBuilder('rows');
      const data = b.input('data', 'float32', [4, 3]);
      const idx = b.unsqueeze(b.input('idx', 'int32', [2]), [1]); // [2, 1]
      const upd = b.input('upd', 'float32', [2, 3]);
      const upd2 = b.input('upd2', 'float32', [2, 2]);
      const ie = b.expand(idx, b.shapeOf(upd), [2, 3]);
      const ie2 = b.expand(idx, b.shapeOf(upd2), [2, 2]);
      const zeros = b.expand(b.scalar(0), b.shapeOf(data), [4, 3]);
      b.output('add', b.scatterElements(data, ie, upd, 0, 'add'));
      b.output('zero', b.scatterElements(zeros, ie, upd, 0, 'add'));
      b.output('partial', b.scatterElements(data, ie2, upd2, 0, 'add'));
      b.output('none', b.scatterElements(data, b.expand(b.unsqueeze(b.input('uniq', 'int32', [2]), [1]), b.shapeOf(upd), [2, 3]), upd, 0, 'none'));
      const out = await run(b.build(), {
        data: f32([4, 3], [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]),
        idx: i32([2], [1, -3]), // both row 1
        upd: f32([2, 3], [10, 20, 30, 100, 200, 300]),
        upd2: f32([2, 2], [10, 20, 100, 200]),
        uniq: i32([2], [3, 0]),
      });
      close(out.add.data, [0, 0, 0, 111, 221, 331, 2, 2, 2, 3, 3, 3]);
      close(out.zero.data, [0, 0, 0, 110, 220, 330, 0, 0, 0, 0, 0, 0]);
      close(out.partial.data, [0, 0, 0, 111, 221, 1, 2, 2, 2, 3, 3, 3]);
      close(out.none.data, [100, 200, 300, 1, 1, 1, 2, 2, 2, 10, 20, 30]);
    });

    it('ScatterElements reduction mul multiplies duplicates (signs and zeros included)', async () => {
      const b = new GraphBuilder('smul');
      const x = b.input('x', 'float32', [2, 3]);
      const [y] = b.node('ScatterElements', [x, b.input('i', 'int32', [2, 2]), b.input('u', 'float32', [2, 2])], [{ dtype: 'float32', shape: [2, 3] }], {
        axis: 1,
        reduction: 'mul',
      });
      b.output('y', y);
      const out = await run(b.build(), {
        x: f32([2, 3], [1, 2, 3, 4, 5, 6]),
        i: i32([2, 2], [1, 1, 0, 2]),
        u: f32([2, 2], [-3, 0.5, 0, -2]),
      });
      close(out.y.data, [1, -3, 3, 0, 5, -12]);
    });

    it('Softmax / LogSoftmax on a non-last axis, LayerNormalization with Mean and InvStdDev', async () => {
      const b = new GraphBuilder('norm');
      const x = b.input('x', 'float32', [2, 2]);
      b.output('sm0', b.softmax(x, 0));
      b.output('lsm0', b.logSoftmax(x, 0));
      const { y, mean, invStd } = b.layerNormFull(x, b.input('g', 'float32', [2]), b.input('bb', 'float32', [2]), 1e-5);
      b.output('y', y);
      b.output('mean', mean);
      b.output('inv', invStd);
      const out = await run(b.build(), { x: f32([2, 2], [0, 1, 2, 5]), g: f32([2], [1, 2]), bb: f32([2], [0, 1]) });
      const s = (a: number, c: number) => Math.exp(a) / (Math.exp(a) + Math.exp(c));
      close(out.sm0.data, [s(0, 2), s(1, 5), s(2, 0), s(5, 1)]);
      close(out.lsm0.data, [Math.log(s(0, 2)), Math.log(s(1, 5)), Math.log(s(2, 0)), Math.log(s(5, 1))]);
      close(out.mean.data, [0.5, 3.5]);
      expect(out.mean.shape).toEqual([2, 1]);
      const i0 = 1 / Math.sqrt(0.25 + 1e-5);
      const i1 = 1 / Math.sqrt(2.25 + 1e-5);
      close(out.inv.data, [i0, i1]);
      close(out.y.data, [-0.5 * i0, 1 + 2 * 0.5 * i0, -1.5 * i1, 1 + 2 * 1.5 * i1]);
    });

    it('reductions, Reshape 0/-1 from a run-time Shape, Expand, Slice clamping, Concat, Unsqueeze/Squeeze, Transpose', async () => {
      const b = new GraphBuilder('shape');
      const x = b.input('x', 'float32', ['batch', 3]);
      b.output('rsum', b.reduceSum(x, [1], false));
      b.output('rmean', b.reduceMean(x, [0], true));
      b.output('rmax', b.reduceMax(x, [-1], true));
      const flat = b.reshape(x, [-1]);
      b.output('back', b.reshapeLike(flat, x));
      b.output('r0', b.reshape(x, [0, -1, 1]));
      b.output('shape', b.shapeOf(x));
      b.output('exp', b.expand(b.input('v', 'float32', [1, 3]), b.shapeOf(x), ['batch', 3]));
      b.output('sl', b.slice(x, [1, -2], [2 ** 62, 100], [0, 1]));
      b.output('cat', b.concat([x, x], 1));
      b.output('uq', b.squeeze(b.unsqueeze(x, [0, 3]), [0]));
      b.output('tr', b.transpose(x, [1, 0]));
      const out = await run(b.build(), { x: f32([2, 3], [1, 2, 3, 4, 5, 6]), v: f32([1, 3], [7, 8, 9]) });
      close(out.rsum.data, [6, 15]);
      expect(out.rsum.shape).toEqual([2]);
      close(out.rmean.data, [2.5, 3.5, 4.5]);
      close(out.rmax.data, [3, 6]);
      expect(out.back.shape).toEqual([2, 3]);
      expect(out.r0.shape).toEqual([2, 3, 1]);
      expect(out.shape.dtype).toBe('int64');
      expect(Array.from(out.shape.data as BigInt64Array)).toEqual([2n, 3n]);
      close(out.exp.data, [7, 8, 9, 7, 8, 9]);
      expect(out.sl.shape).toEqual([1, 2]);
      close(out.sl.data, [5, 6]);
      close(out.cat.data, [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
      expect(out.uq.shape).toEqual([2, 3, 1]);
      close(out.tr.data, [1, 4, 2, 5, 3, 6]);
    });

    it('Slice with negative and non-unit steps (ONNX clamping)', async () => {
      const b = new GraphBuilder('steps');
      const x = b.input('x', 'float32', [2, 5]);
      const sl = (starts: number[], ends: number[], axes: number[], steps: number[], shape: number[]) =>
        b.node('Slice', [x, b.int64s(starts), b.int64s(ends), b.int64s(axes), b.int64s(steps)], [{ dtype: 'float32', shape }])[0];
      b.output('rev', sl([-1], [-(2 ** 31)], [1], [-1], [2, 5])); // x[:, ::-1]
      b.output('odd', sl([1, 100], [2 ** 40, -100], [1, 0], [2, -1], [2, 2])); // x[::-1, 1::2]
      b.output('empty', sl([3], [1], [1], [1], [2, 0]));
      const out = await run(b.build(), { x: f32([2, 5], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) });
      close(out.rev.data, [4, 3, 2, 1, 0, 9, 8, 7, 6, 5]);
      close(out.odd.data, [6, 8, 1, 3]);
      expect(out.odd.shape).toEqual([2, 2]);
      expect(out.empty.shape).toEqual([2, 0]);
    });

    it('Cast int64 feeds, Equal/Less/Not, unary math (Erf within 1e-6)', async () => {
      const b = new GraphBuilder('unary');
      const ids = b.input('ids', 'int64', [4]);
      const x = b.input('x', 'float32', [4]);
      b.output('f', b.cast(ids, 'float32'));
      b.output('i', b.cast(x, 'int32'));
      b.output('eq', b.equal(ids, b.scalar(2, 'int64')));
      b.output('nlt', b.not(b.less(x, b.scalar(0))));
      b.output('erf', b.erf(x));
      b.output('tanh', b.tanh(x));
      b.output('sig', b.sigmoid(x));
      b.output('relu', b.relu(x));
      b.output('neg', b.neg(x));
      b.output('expo', b.exp(x));
      b.output('lg', b.log(b.add(b.mul(x, x), 1)));
      b.output('sq', b.sqrt(b.mul(x, x)));
      b.output('id64', b.identity(ids));
      const X = [-1.5, -0.25, 0.5, 2];
      const out = await run(b.build(), { ids: tensor('int64', [4], BigInt64Array.from([1n, 2n, -3n, 2n])), x: f32([4], X) });
      close(out.f.data, [1, 2, -3, 2]);
      close(out.i.data, [-1, 0, 0, 2]);
      expect(Array.from(out.eq.data as Uint8Array)).toEqual([0, 1, 0, 1]);
      expect(out.eq.dtype).toBe('bool');
      expect(Array.from(out.nlt.data as Uint8Array)).toEqual([0, 0, 1, 1]);
      // erf reference values (Abramowitz & Stegun tables)
      close(out.erf.data, [-0.9661051465, -0.2763263902, 0.5204998778, 0.9953222650], 1e-6);
      close(out.tanh.data, X.map(Math.tanh));
      close(out.sig.data, X.map((v) => 1 / (1 + Math.exp(-v))));
      close(out.relu.data, X.map((v) => Math.max(0, v)));
      close(out.neg.data, X.map((v) => -v));
      close(out.expo.data, X.map(Math.exp));
      close(out.lg.data, X.map((v) => Math.log(v * v + 1)));
      close(out.sq.data, X.map(Math.abs));
      expect(out.id64.dtype).toBe('int64');
      expect(Array.from(out.id64.data as BigInt64Array)).toEqual([1n, 2n, -3n, 2n]);
    });
  });
}

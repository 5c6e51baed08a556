/**
 * The shared op conformance suite (`@ssbench/graph/testing`) on cpu and wasm, and a multi-step training graph
 * from `buildTrainingGraph` (symbolic batch, two batch shapes, state fed back) against the reference interpreter.
 */
import { type Graph, GraphBuilder, type Tensor, buildTrainingGraph, initParams, initialState, interpret, stepFeed, tensor } from '@ssbench/graph';
import { checkConformance, conformanceCases } from '@ssbench/graph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TfjsExecutable, type TfjsSession, createSession } from './plugin';

/** A tiny BERT-like MLM step: embeddings (Gather), 1 post-LN attention layer, GELU FFN, tied decoder, AdamW. */
function tinyTrainingGraph() {
  const H = 8;
  const V = 11;
  const NH = 2;
  const b = new GraphBuilder('tiny-train');
  const ids = b.input('input_ids', 'int32', ['batch', 'seq']);
  const mask = b.input('attention_mask', 'float32', ['batch', 'seq']);
  const labels = b.input('labels', 'int32', ['n', 1]);
  const pos = b.input('label_positions', 'int32', ['n']);
  const p = (name: string, shape: number[], kind: 'normal' | 'zeros' | 'ones' = 'normal') =>
    b.param(name, shape, kind === 'normal' ? { kind, std: 0.3 } : { kind });
  const linear = (x: ReturnType<typeof p>, name: string, i: number, o: number) => b.add(b.matmul(x, b.transpose(p(`${name}.weight`, [o, i]), [1, 0])), p(`${name}.bias`, [o], 'zeros'));
  const ln = (x: ReturnType<typeof p>, name: string) => b.layerNorm(x, p(`${name}.weight`, [H], 'ones'), p(`${name}.bias`, [H], 'zeros'), 1e-12);
  const gelu = (x: ReturnType<typeof p>) => b.mul(b.mul(x, 0.5), b.add(b.erf(b.mul(x, Math.SQRT1_2)), 1));
  const wte = p('wte', [V, H]);
  const h0 = ln(b.gather(wte, ids), 'emb.ln'); // [batch, seq, H]
  const ext = b.mul(b.sub(1, b.unsqueeze(mask, [1, 2])), -10000); // [batch, 1, 1, seq]
  const heads = (t: ReturnType<typeof p>) => b.transpose(b.reshape(t, [0, 0, NH, H / NH]), [0, 2, 1, 3]); // [batch, nh, seq, dh]
  const q = heads(linear(h0, 'q', H, H));
  const k = heads(linear(h0, 'k', H, H));
  const v = heads(linear(h0, 'v', H, H));
  const probs = b.softmax(b.add(b.mul(b.matmul(q, b.transpose(k, [0, 1, 3, 2])), 0.5), ext), -1); // [batch, nh, seq, seq]
  const ctx = b.reshape(b.transpose(b.matmul(probs, v), [0, 2, 1, 3]), [0, 0, H]); // [batch, seq, H]
  const a = ln(b.add(linear(ctx, 'o', H, H), h0), 'ln1');
  const h = ln(b.add(linear(gelu(linear(a, 'i', H, 2 * H)), 'f', 2 * H, H), a), 'ln2'); // [batch, seq, H]
  const sel = b.gather(b.reshape(h, [-1, H]), pos); // [n, H]
  const logits = b.add(b.matmul(sel, b.transpose(wte, [1, 0])), p('mlm.bias', [V], 'zeros')); // [n, V]
  const loss = b.neg(b.reduceMean(b.gatherElements(b.logSoftmax(logits), labels, 1), [0, 1], false));
  return buildTrainingGraph(b, loss, { lr: 0.01, warmupSteps: 1, totalSteps: 10, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'linear', clipNorm: 1 });
}

function batchFeeds(batch: number, seq: number, seed: number): Record<string, Tensor> {
  let s = seed;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const n = Math.max(1, Math.floor((batch * seq) / 3));
  const mask = new Float32Array(batch * seq).fill(1);
  mask[batch * seq - 1] = 0;
  return {
    input_ids: tensor('int32', [batch, seq], Int32Array.from({ length: batch * seq }, () => Math.floor(r() * 11))),
    attention_mask: tensor('float32', [batch, seq], mask),
    labels: tensor('int32', [n, 1], Int32Array.from({ length: n }, () => Math.floor(r() * 11))),
    label_positions: tensor('int32', [n], Int32Array.from({ length: n }, () => Math.floor(r() * batch * seq))),
  };
}

function maxRelDiff(a: Tensor, b: Tensor): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = Number(a.data[i]);
    const y = Number(b.data[i]);
    m = Math.max(m, Math.abs(x - y) / Math.max(1, Math.abs(y)));
  }
  return m;
}

for (const device of ['cpu', 'wasm'] as const) {
  describe(`tfjs ${device}: conformance`, () => {
    let session: TfjsSession;
    beforeAll(async () => {
      session = await createSession({ device });
    });
    afterAll(async () => {
      await session.dispose();
    });

    it('passes every case of the shared conformance suite', async () => {
      const cache = new Map<Graph, TfjsExecutable>();
      const results = await checkConformance(async (graph, feeds) => {
        let exe = cache.get(graph);
        if (!exe) {
          exe = await session.compile(graph);
          cache.set(graph, exe);
        }
        return exe.run(feeds);
      });
      for (const exe of cache.values()) await exe.dispose();
      expect(results.length).toBe(conformanceCases().length);
      expect(results.filter((r) => !r.ok)).toEqual([]);
    });

    it('matches the interpreter over 3 training steps with state fed back, at two batch shapes', async () => {
      const tg = tinyTrainingGraph();
      const exe = await session.compile(tg.graph);
      const params = initParams(tg.params, { normal: (() => {
        let s = 7;
        return () => {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          return (s / 4294967296 - 0.5) * 3.4;
        };
      })() });
      let ours: Record<string, Tensor> = { ...Object.fromEntries(params), ...initialState(tg.params) };
      let ref = ours;
      const before = session.tf.memory().numTensors;
      const shapes: [number, number][] = [
        [2, 5],
        [3, 4],
        [2, 5],
      ];
      let worst = 0;
      const losses: number[] = [];
      for (let step = 1; step <= shapes.length; step++) {
        const batch = batchFeeds(shapes[step - 1][0], shapes[step - 1][1], step);
        const feedsA = { ...ours, ...batch, [tg.stepInput]: stepFeed(step) };
        const feedsR = { ...ref, ...batch, [tg.stepInput]: stepFeed(step) };
        const a = await exe.run(feedsA);
        const r = interpret(tg.graph, feedsR);
        for (const o of tg.graph.outputs) worst = Math.max(worst, maxRelDiff(a[o.name], r[o.name]));
        losses.push((a[tg.lossOutput].data as Float32Array)[0]);
        const nextA: Record<string, Tensor> = {};
        const nextR: Record<string, Tensor> = {};
        for (const s of tg.state) {
          nextA[s.input] = a[s.output];
          nextR[s.input] = r[s.output];
        }
        ours = nextA;
        ref = nextR;
      }
      expect(worst).toBeLessThan(1e-4);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(session.tf.memory().numTensors).toBe(before);
      await exe.dispose();
    });
  });
}

import { describe, expect, it } from 'vitest';
import type { Graph, Tensor } from './ir';
import { interpret, interpretedOps } from './interpret';
import { checkConformance, conformanceCases } from './testing';

/** The interpreter in double precision, rounded back to float32: a stand-in for a different backend. */
async function doublePrecision(graph: Graph, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const out = interpret(graph, feeds, { float64: true });
  const r: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(out)) r[k] = v.dtype === 'float32' ? { dtype: 'float32', shape: v.shape, data: Float32Array.from(v.data as Float64Array) } : (v as Tensor);
  return r;
}

describe('conformance suite', () => {
  const cases = conformanceCases();

  it('uses every op of the IR, symbolic inputs and a multi-step training case', () => {
    const used = new Set<string>();
    let symbolic = 0;
    for (const c of cases) {
      const { graph, feeds } = c.build();
      for (const n of graph.nodes) used.add(n.op);
      if (graph.inputs.some((i) => i.shape.some((d) => typeof d === 'string'))) symbolic++;
      for (const i of graph.inputs) expect(feeds[i.name], `${c.name}: feed for ${i.name}`).toBeDefined();
    }
    expect(interpretedOps().filter((op) => !used.has(op))).toEqual([]);
    expect(symbolic).toBeGreaterThanOrEqual(5);
    const training = cases.find((c) => c.name === 'composite.training_step_adamw');
    expect(training?.steps).toBe(3);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it('is deterministic', () => {
    const a = conformanceCases()[10].build().feeds;
    const b = conformanceCases()[10].build().feeds;
    expect(a).toEqual(b);
  });

  it('the reference passes against itself exactly', async () => {
    const results = await checkConformance(async (g, f) => interpret(g, f));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(Math.max(...results.map((r) => r.maxAbsDiff))).toBe(0);
  });

  it('tolerances admit a numerically different but correct backend (float64 rounded to float32)', async () => {
    const results = await checkConformance(doublePrecision);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('catches a wrong kernel and a throwing backend, and feeds back training state per backend', async () => {
    const wrongSoftmax = async (g: Graph, f: Record<string, Tensor>) => {
      if (!g.nodes.some((n) => n.op === 'Softmax')) return interpret(g, f);
      const patched: Graph = { ...g, nodes: g.nodes.map((n) => (n.op === 'Softmax' ? { ...n, op: 'LogSoftmax' } : n)) };
      return interpret(patched, f);
    };
    const subset = cases.filter((c) => c.name.startsWith('softmax.') || c.name === 'composite.training_step_adamw' || c.name === 'add.same');
    const results = await checkConformance(wrongSoftmax, subset);
    const failed = results.filter((r) => !r.ok).map((r) => r.name);
    expect(failed).toContain('softmax.last');
    expect(failed).toContain('composite.training_step_adamw');
    expect(failed).not.toContain('add.same');
    const throwing = await checkConformance(async () => {
      throw new Error('no kernel for Erf');
    }, subset.slice(0, 1));
    expect(throwing[0]).toMatchObject({ ok: false, error: 'no kernel for Erf' });
    const missing = await checkConformance(async () => ({}), subset.slice(0, 1));
    expect(missing[0].error).toMatch(/is missing/);
  });
});

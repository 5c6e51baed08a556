/**
 * Tests of the backend plugin: the registry loads it as the runner would; `probe` answers without throwing; and the
 * shared conformance suite of @ssbench/graph (every op, broadcasting, symbolic shapes, an attention block, training
 * steps fed back into the next) gives the reference interpreter's results, in both precisions.
 */
import { PluginRegistry, validatePluginOptions } from '@ssbench/core';
import { type Graph, GraphBuilder, type Tensor, tensor } from '@ssbench/graph';
import { checkConformance, conformanceCases } from '@ssbench/graph/testing';
import { describe, expect, it } from 'vitest';
import plugin, { type OptionsInput, PACKAGE_NAME } from './index';

/** Runs graphs as the runner does: compile once, run, dispose. */
async function runner(options: OptionsInput) {
  const session = await plugin.create(options);
  return async (graph: Graph, feeds: Record<string, Tensor>) => {
    const exe = await session.compile(graph);
    try {
      return await exe.run(feeds);
    } finally {
      await exe.dispose();
    }
  };
}

describe('the plugin object', () => {
  it('is loaded by the registry as the runner loads it, and its options have defaults', async () => {
    const loaded = await new PluginRegistry().load('./index.ts', { baseDir: import.meta.dirname, kind: 'backend' });
    expect(loaded).toBe(plugin);
    expect(plugin.name).toBe(PACKAGE_NAME);
    expect(validatePluginOptions(plugin, {}, { pointer: '/backends/0/options' })).toEqual({ device: 'cpu', precision: 'float32' });
    expect(() => validatePluginOptions(plugin, { device: 'gpu' }, { pointer: '/backends/0/options' })).toThrow(/\/backends\/0\/options\/device/);
  });

  it('probe says whether a device can run, and never throws', async () => {
    expect(await plugin.probe({ device: 'cpu' })).toMatchObject({ available: true });
    const gpu = await plugin.probe({ device: 'gpu' as 'cpu' });
    expect(gpu.available).toBe(false);
    expect(gpu.available === false && gpu.reason).toMatch(/unknown device "gpu"/);
  });
});

describe('conformance (@ssbench/graph/testing)', () => {
  for (const precision of ['float32', 'float64'] as const) {
    it(`every case agrees with the reference interpreter (${precision})`, async () => {
      const results = await checkConformance(await runner({ precision }));
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(results).toHaveLength(conformanceCases().length);
    });
  }
});

describe('executables', () => {
  it('name their inputs and outputs, and refuse to run once disposed', async () => {
    const b = new GraphBuilder('double');
    b.output('y', b.mul(b.input('x', 'float32', ['n']), 2));
    const exe = await (await plugin.create({})).compile(b.build());
    expect([exe.inputNames, exe.outputNames]).toEqual([['x'], ['y']]);
    const out = await exe.run({ x: tensor('float32', [3], [1, -2, 0.5]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([2, -4, 1]);
    await exe.dispose();
    await expect(exe.run({ x: tensor('float32', [1], [1]) })).rejects.toThrow(/disposed/);
  });

  it('compile refuses a graph with an op the backend cannot run, naming it', async () => {
    const b = new GraphBuilder('ok');
    b.output('y', b.neg(b.input('x', 'float32', [2])));
    const graph = b.build();
    const bad: Graph = { ...graph, nodes: graph.nodes.map((n) => ({ ...n, op: 'Frobnicate' as (typeof n)['op'] })) };
    await expect((await plugin.create({})).compile(bad)).rejects.toThrow(/cannot run: Frobnicate/);
  });
});

import { SsbenchError } from '@ssbench/core';
import { describe, expect, it } from 'vitest';
import type { Experiment } from './experiment';
import { type FinetuneCell, type Plan, type PretrainJob, cellKey, makePlan } from './plan';
import { type PlanCell, assignShards, describeSelection, parseShard, selectCells, shardDirName } from './shard';

/** Just what makePlan reads of an experiment. */
function experiment(spec: {
  models: { id: string; architecture: 'encoder' | 'decoder' }[];
  recipes: { id: string; fits: 'encoder' | 'decoder' }[];
  tasks: { id: string; incontext?: boolean }[];
  backends: string[];
  seeds: number[];
  reinitEmbeddings?: boolean;
  probes?: boolean;
}): Experiment {
  const arch = new Map(spec.models.map((m) => [m.id, m.architecture]));
  return {
    config: {
      seeds: spec.seeds,
      reinitEmbeddings: spec.reinitEmbeddings,
      tasks: spec.tasks.map((t) => ({ id: t.id, ...(t.incontext ? { incontext: { shots: [0] } } : {}) })),
      ...(spec.probes ? { probes: {} } : {}),
    },
    models: spec.models.map((m) => ({ id: m.id, plugin: { architecture: m.architecture } })),
    pretraining: spec.recipes.map((r) => ({ id: r.id })),
    tasks: spec.tasks.map((t) => ({ id: t.id })),
    backends: spec.backends.map((id) => ({ id })),
    compatible: (model: string, recipe: string) => spec.recipes.find((r) => r.id === recipe)?.fits === arch.get(model),
  } as unknown as Experiment;
}

/** Encoder + decoder, one recipe each, scratch and re-initialised embeddings, 2 tasks (one in-context), 2 backends, 3 seeds, probes. */
const BIG = makePlan(
  experiment({
    models: [
      { id: 'bert', architecture: 'encoder' },
      { id: 'gpt', architecture: 'decoder' },
    ],
    recipes: [
      { id: 'mlm', fits: 'encoder' },
      { id: 'clm', fits: 'decoder' },
    ],
    tasks: [{ id: 'sentiment', incontext: true }, { id: 'pos' }],
    backends: ['ort', 'tfjs'],
    seeds: [1, 2, 3],
    reinitEmbeddings: true,
    probes: true,
  }),
);

const dependents = (p: Plan): PlanCell[] => [...p.finetune, ...p.incontext, ...p.probes];
const neededJobs = (p: Plan, cells: readonly PlanCell[]): string[] =>
  [
    ...new Set(
      cells.flatMap((c) => {
        if (c.kind === 'pretrain' || c.pretraining === null) return [];
        const job = p.pretrain.find((j) => j.model === c.model && j.pretraining === c.pretraining);
        return job ? [cellKey(job)] : [];
      }),
    ),
  ].sort();

describe('parseShard', () => {
  it('reads i/n', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    expect(shardDirName(parseShard('3/8'))).toBe('shard-3-of-8');
  });
  it.each(['0/4', '5/4', '4', '1/0', 'a/b', '1.5/4', '-1/4', '2/4/8', ''])('refuses %j, saying what it expects', (text) => {
    let err: unknown;
    try {
      parseShard(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SsbenchError);
    expect((err as SsbenchError).code).toBe('config');
    expect((err as Error).message).toContain('--shard must be i/n');
    expect((err as Error).message).toContain(`got "${text}"`);
  });
});

describe('selectCells', () => {
  it('the test plan has every kind of cell', () => {
    // bert: (mlm, mlm re-init, scratch) x 2 tasks x 3 seeds x 2 backends; gpt: (clm, clm re-init, scratch) x ...
    expect(BIG.finetune).toHaveLength(2 * 3 * 2 * 3 * 2);
    expect(BIG.incontext).toHaveLength(2 * 3); // gpt x (clm, scratch) x sentiment x 3 seeds
    expect(BIG.probes).toHaveLength(2); // bert x (mlm, scratch)
    expect(BIG.pretrain).toHaveLength(2);
  });

  it('without options selects the whole plan', () => {
    const s = selectCells(BIG);
    expect(s.pretrain).toEqual(BIG.pretrain);
    expect(s.finetune).toEqual(BIG.finetune);
    expect(s.incontext).toEqual(BIG.incontext);
    expect(s.probes).toEqual(BIG.probes);
  });

  it.each([1, 2, 3, 4, 5, 7, 100])('%i shards partition the cells and each has exactly the pretraining it needs', (n) => {
    const seen = new Map<string, number>();
    for (let i = 1; i <= n; i++) {
      const s = selectCells(BIG, { shard: { index: i, count: n } });
      const cells = [...s.finetune, ...s.incontext, ...s.probes];
      for (const c of cells) seen.set(cellKey(c), (seen.get(cellKey(c)) ?? 0) + 1);
      expect(s.pretrain.map(cellKey).sort()).toEqual(neededJobs(BIG, cells));
      // The filter agrees with the lists.
      expect([...BIG.pretrain, ...dependents(BIG)].filter(s.filter)).toHaveLength(s.pretrain.length + cells.length);
    }
    expect([...seen.keys()].sort()).toEqual(dependents(BIG).map(cellKey).sort());
    expect([...seen.values()].every((k) => k === 1)).toBe(true);
  });

  it('is balanced: cell counts differ by at most the number of backends (2), and by 1 with one backend', () => {
    for (const n of [2, 3, 4, 5, 7]) {
      const counts = Array.from({ length: n }, (_, i) => {
        const s = selectCells(BIG, { shard: { index: i + 1, count: n } });
        return s.finetune.length + s.incontext.length + s.probes.length;
      });
      expect(counts.reduce((a, b) => a + b)).toBe(dependents(BIG).length);
      expect(Math.max(...counts) - Math.min(...counts), `${n} shards: ${counts}`).toBeLessThanOrEqual(2);
    }
    // 1 model x (recipe + scratch) x 3 tasks x 2 seeds x 1 backend = 12 cells: 3 in each of 4 shards.
    const one = makePlan(
      experiment({ models: [{ id: 'bert', architecture: 'encoder' }], recipes: [{ id: 'mlm', fits: 'encoder' }], tasks: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], backends: ['ort'], seeds: [1, 2] }),
    );
    expect(one.finetune).toHaveLength(12);
    expect([1, 2, 3, 4].map((i) => selectCells(one, { shard: { index: i, count: 4 } }).finetune.length)).toEqual([3, 3, 3, 3]);
  });

  it('keeps a cell on every backend in one shard (loss-curve parity needs the reference cell)', () => {
    const shardOf = assignShards(BIG, 5);
    const ft = BIG.finetune as FinetuneCell[];
    for (const c of ft.filter((x) => x.backend === 'tfjs')) expect(shardOf.get(cellKey(c))).toBe(shardOf.get(cellKey({ ...c, backend: 'ort' })));
    // ...while different seeds of a cell are spread over the shards.
    expect(new Set(ft.filter((c) => c.model === 'bert' && c.task === 'pos' && c.init === 'scratch').map((c) => shardOf.get(cellKey(c)))).size).toBe(3);
  });

  it('is deterministic and depends only on the set of cells, not their order', () => {
    const reversed: Plan = { ...BIG, finetune: [...BIG.finetune].reverse(), incontext: [...BIG.incontext].reverse(), probes: [...BIG.probes].reverse() };
    for (const n of [2, 3, 6]) expect([...assignShards(reversed, n)].sort()).toEqual([...assignShards(BIG, n)].sort());
    expect(selectCells(BIG, { shard: { index: 2, count: 3 } }).finetune).toEqual(selectCells(BIG, { shard: { index: 2, count: 3 } }).finetune);
  });

  it('hand-computed: 1 recipe + scratch x 2 seeds in 2 shards: one seed each, both shards pretrain', () => {
    const plan = makePlan(experiment({ models: [{ id: 'm', architecture: 'encoder' }], recipes: [{ id: 'mlm', fits: 'encoder' }], tasks: [{ id: 't' }], backends: ['ort'], seeds: [1, 2] }));
    // Units sorted by key: ("mlm", seed 1), ("mlm", seed 2), (null, seed 1), (null, seed 2) (a JSON string sorts
    // before null); dealt to the emptier shard: 1, 2, 1, 2.
    const s1 = selectCells(plan, { shard: { index: 1, count: 2 } });
    const s2 = selectCells(plan, { shard: { index: 2, count: 2 } });
    expect(s1.finetune.map((c) => [c.pretraining, c.seed])).toEqual([
      ['mlm', 1],
      [null, 1],
    ]);
    expect(s2.finetune.map((c) => [c.pretraining, c.seed])).toEqual([
      ['mlm', 2],
      [null, 2],
    ]);
    expect(s1.pretrain).toEqual(plan.pretrain);
    expect(s2.pretrain).toEqual(plan.pretrain);
    expect(describeSelection(plan, s1, { shard: { index: 1, count: 2 } })).toBe('shard 1/2: 1 of 1 pretraining job(s), 2 of 4 fine-tuning cell(s), 0 of 0 in-context cell(s)');
    // A shard with no cells: the plan has 4 units, the 5th of 5 shards is empty.
    const empty = selectCells(plan, { shard: { index: 5, count: 5 } });
    expect([empty.pretrain, empty.finetune, empty.incontext, empty.probes]).toEqual([[], [], [], []]);
  });

  it('a pretraining job no cell needs still runs in exactly one shard', () => {
    const orphan: PretrainJob = { kind: 'pretrain', model: 'unused', pretraining: 'mlm', backend: 'ort', seed: 1 };
    const plan: Plan = { ...BIG, pretrain: [...BIG.pretrain, orphan] };
    const holders = [1, 2, 3].filter((i) => selectCells(plan, { shard: { index: i, count: 3 } }).pretrain.some((j) => j.model === 'unused'));
    expect(holders).toHaveLength(1);
    expect(selectCells(plan, { only: 'finetune' }).pretrain.some((j) => j.model === 'unused')).toBe(false);
  });

  it('--only pretrain: pretraining jobs only; with shards, the shards split them', () => {
    expect(selectCells(BIG, { only: 'pretrain' })).toMatchObject({ pretrain: BIG.pretrain, finetune: [], incontext: [], probes: [] });
    const parts = [1, 2, 3].map((i) => selectCells(BIG, { only: 'pretrain', shard: { index: i, count: 3 } }));
    expect(parts.map((p) => p.pretrain.length)).toEqual([1, 1, 0]);
    expect(parts.flatMap((p) => p.pretrain.map(cellKey)).sort()).toEqual(BIG.pretrain.map(cellKey).sort());
    expect(parts.every((p) => p.finetune.length + p.incontext.length + p.probes.length === 0)).toBe(true);
  });

  it('--only finetune / incontext / probe: that kind of cell, with the pretraining it needs', () => {
    const ft = selectCells(BIG, { only: 'finetune' });
    expect([ft.finetune.length, ft.incontext.length, ft.probes.length]).toEqual([BIG.finetune.length, 0, 0]);
    expect(ft.pretrain).toEqual(BIG.pretrain);
    const probe = selectCells(BIG, { only: 'probe' });
    expect(probe.probes).toEqual(BIG.probes);
    expect(probe.pretrain.map((j) => j.model)).toEqual(['bert']); // probes are of encoders only
    const ic = selectCells(BIG, { only: 'incontext', shard: { index: 1, count: 2 } });
    expect(ic.finetune).toEqual([]);
    expect(ic.incontext.length).toBe(3);
    expect(ic.pretrain.map(cellKey).sort()).toEqual(neededJobs(BIG, ic.incontext));
  });
});

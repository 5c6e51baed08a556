/**
 * `compareResults`: hand-computed means, deltas and noise; verdicts by direction; gating by the metric and
 * speed thresholds; new and removed cells; refusal of different task versions.
 */
import { SsbenchError } from '@ssbench/core';
import { describe, expect, test } from 'vitest';
import { compareResults } from './compare';
import type { ReportRecord } from './markdown';

function provenance(backend: string): ReportRecord['provenance'] {
  return {
    configHash: '0123456789abcdef'.repeat(4),
    configName: 'fixture',
    gitSha: 'cafe123',
    packages: {},
    backend: { name: `@ssbench/backend-${backend}`, device: 'cpu', version: '1.0' },
    machine: { cpu: 'Test CPU', cores: 2, memoryBytes: 2 ** 33, platform: 'linux', node: 'v20.0.0' },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
  };
}

interface Ft {
  pretraining?: string | null;
  task?: string;
  backend?: string;
  seed: number;
  metrics: Record<string, number>;
  higherIsBetter?: Record<string, boolean>;
  version?: string;
  stepMs?: number;
  tokensPerSecond?: number;
}

function ft(o: Ft): ReportRecord {
  const backend = o.backend ?? 'ort';
  return {
    kind: 'finetune',
    cell: { model: 'bert-mini', pretraining: o.pretraining === undefined ? 'mlm' : o.pretraining, task: o.task ?? 'sentiment', backend, seed: o.seed },
    metrics: o.metrics,
    higherIsBetter: o.higherIsBetter ?? Object.fromEntries(Object.keys(o.metrics).map((m) => [m, true])),
    taskVersion: o.version ?? '1.0.0',
    lossCurve: [{ step: 1, loss: 0.5 }],
    timings: { compileMs: 1, trainStepMs: { median: o.stepMs ?? 10, p90: 12, runs: 5 }, inferenceMs: { median: 4, p90: 5, runs: 5 }, tokensPerSecond: o.tokensPerSecond ?? 1000 },
    peakMemoryBytes: 2 ** 29,
    provenance: provenance(backend),
  } as ReportRecord;
}

/** accuracy 0.80/0.82/0.84 (mean 0.82, std 0.02) for mlm; 0.60/0.62/0.64 from scratch; f1 constant. */
function baseSet(): ReportRecord[] {
  return [1, 2, 3].flatMap((seed, i) => [
    ft({ seed, metrics: { accuracy: 0.8 + 0.02 * i, f1: 0.5 } }),
    ft({ seed, pretraining: null, metrics: { accuracy: 0.6 + 0.02 * i, f1: 0.4 } }),
  ]);
}

describe('compareResults', () => {
  test('identical sets: every metric within noise, no regression, no new or removed cells', () => {
    const c = compareResults(baseSet(), baseSet(), { threshold: 0, speedThreshold: 1 });
    expect(c.regressions).toEqual([]);
    expect(c.metrics).toHaveLength(4); // 2 conditions x 2 metrics
    for (const m of c.metrics) {
      expect(m.verdict).toBe('within noise');
      expect(m.delta).toBe(0);
    }
    expect(c.markdown).toContain('**No regressions beyond the thresholds**');
    expect(c.markdown).toContain('None: both sets ran the same cells.');
  });

  test('a planted regression beyond noise and threshold is named; one within the threshold is not gated', () => {
    // mlm accuracy drops by 0.10 (0.72 ± 0.02 vs 0.82 ± 0.02); scratch accuracy drops by 0.03 (0.59 ± 0.02).
    const head = baseSet().map((r) => {
      const drop = r.cell.pretraining === 'mlm' ? 0.1 : 0.03;
      return { ...r, metrics: { ...r.metrics, accuracy: r.metrics!.accuracy - drop } } as ReportRecord;
    });
    const c = compareResults(baseSet(), head, { baseName: 'main.jsonl', headName: 'pr.jsonl', threshold: 0.05 });
    const mlm = c.metrics.find((m) => m.condition === 'bert-mini / mlm / sentiment / ort' && m.metric === 'accuracy')!;
    expect(mlm.base!.mean).toBeCloseTo(0.82, 12);
    expect(mlm.base!.std).toBeCloseTo(0.02, 12);
    expect(mlm.head!.mean).toBeCloseTo(0.72, 12);
    expect(mlm.delta).toBeCloseTo(-0.1, 12);
    expect(mlm.noise).toBeCloseTo(0.02, 12);
    expect(mlm.verdict).toBe('regressed');
    expect(mlm.gated).toBe(true);
    const scratch = c.metrics.find((m) => m.condition === 'bert-mini / no pretraining / sentiment / ort' && m.metric === 'accuracy')!;
    expect(scratch.delta).toBeCloseTo(-0.03, 12);
    expect(scratch.verdict).toBe('regressed'); // beyond the noise (0.02) ...
    expect(scratch.gated).toBe(false); // ... but not beyond the threshold (0.05)
    expect(c.regressions).toHaveLength(1);
    expect(c.regressions[0]).toMatchObject({ kind: 'metric', where: 'bert-mini / mlm / sentiment / ort', name: 'accuracy' });
    expect(c.regressions[0].change).toBeCloseTo(-0.1, 12);
    expect(c.markdown).toContain('**1 regression(s) beyond the thresholds**');
    expect(c.markdown).toContain('- bert-mini / mlm / sentiment / ort: accuracy 0.82 -> 0.72 (−0.1; noise 0.02, threshold 0.05)');
    expect(c.markdown).toContain('| bert-mini / mlm / sentiment / ort | accuracy ↑ | 0.82 ± 0.02 (n=3) | 0.72 ± 0.02 (n=3) | −0.1 | 0.02 | **regressed (beyond threshold)** |');
    expect(c.markdown).toContain('# ssbench compare: main.jsonl → pr.jsonl');
    // Without a threshold the same change is reported but not gated.
    expect(compareResults(baseSet(), head).regressions).toEqual([]);
  });

  test('direction: lower-is-better metrics improve downwards; an undeclared direction is only "changed"', () => {
    const base = [ft({ seed: 1, metrics: { rmse: 1.0, score: 3 }, higherIsBetter: { rmse: false } })];
    const head = [ft({ seed: 1, metrics: { rmse: 0.5, score: 2 }, higherIsBetter: { rmse: false } })];
    const c = compareResults(base, head, { threshold: 0 });
    expect(c.metrics.find((m) => m.metric === 'rmse')).toMatchObject({ delta: -0.5, noise: 0, verdict: 'improved', gated: false });
    expect(c.metrics.find((m) => m.metric === 'score')).toMatchObject({ delta: -1, verdict: 'changed', gated: false });
    expect(c.regressions).toEqual([]);
    // The other way round, the rmse increase is a regression beyond noise (one seed: noise 0) and threshold 0.
    const back = compareResults(head, base, { threshold: 0.4 });
    expect(back.regressions.map((r) => [r.name, r.change])).toEqual([['rmse', 0.5]]);
  });

  test('speed: ratios over the cells in both sets; a slowdown beyond --speed-threshold is a regression', () => {
    const base = [1, 2].map((seed) => ft({ seed, metrics: { accuracy: 0.8 }, stepMs: 10, tokensPerSecond: 1000 }));
    // Train step 10 -> 15 ms (1.5x slower); tokens/s 1000 -> 800 (1.25x slower).
    const head = [1, 2].map((seed) => ft({ seed, metrics: { accuracy: 0.8 }, stepMs: 15, tokensPerSecond: 800 }));
    const c = compareResults(base, head, { speedThreshold: 1.25 });
    expect(c.regressions.map((r) => [r.kind, r.where, r.name, r.change])).toEqual([['speed', 'finetune / ort', 'train step ms (median)', 1.5]]);
    expect(c.markdown).toContain('| finetune / ort | train step ms (median) | 10 | 15 | 1.5 | **1.5x slower (beyond threshold)** |');
    expect(c.markdown).toContain('| finetune / ort | train tokens/s | 1000 | 800 | 0.8 | 1.25x slower |');
    expect(c.markdown).toContain('| finetune / ort | inference ms (p50) | 4 | 4 | 1 | same |');
    // Faster is never a regression.
    expect(compareResults(head, base, { speedThreshold: 1.01 }).regressions).toEqual([]);
  });

  test('lists new and removed cells, with the reason when head skipped a cell', () => {
    const base = [...baseSet(), ft({ seed: 1, backend: 'wasm', metrics: { accuracy: 0.8 } })];
    const head = [
      ...baseSet().filter((r) => !(r.cell.pretraining === null && r.cell.seed === 3)),
      ft({ seed: 1, task: 'topics', metrics: { accuracy: 0.3 } }),
      { kind: 'skipped', stage: 'finetune', cell: base.at(-1)!.cell, reason: 'backend unavailable: no wasm', provenance: provenance('wasm') } as ReportRecord,
    ];
    const md = compareResults(base, head).markdown;
    expect(md).toContain('New in head (1 cell(s)):\n\n- bert-mini / mlm / topics / ort (finetune), seed(s) 1\n');
    expect(md).toContain('Removed from head (2 cell(s)):');
    expect(md).toContain('- bert-mini / no pretraining / sentiment / ort (finetune), seed(s) 3\n');
    expect(md).toContain('- bert-mini / mlm / sentiment / wasm (finetune), seed(s) 1; skipped in head: backend unavailable: no wasm');
  });

  test('refuses task versions that differ, naming the task and both versions', () => {
    const head = baseSet().map((r) => ({ ...r, taskVersion: '2.0.0' }) as ReportRecord);
    let err: unknown;
    try {
      compareResults(baseSet(), head, { baseName: 'a.jsonl', headName: 'b.jsonl' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SsbenchError);
    expect((err as SsbenchError).code).toBe('data');
    expect((err as SsbenchError).exitCode).toBe(2);
    expect((err as SsbenchError).message).toMatch(/task "sentiment" has version 1\.0\.0 in a\.jsonl but 2\.0\.0 in b\.jsonl/);
    // A task present on one side only is not a conflict.
    expect(() => compareResults(baseSet(), [ft({ seed: 1, task: 'other', version: '9.0.0', metrics: { accuracy: 1 } })])).not.toThrow();
  });

  test('records without an init field match records with the explicit default (pretrained / scratch)', () => {
    const explicit = baseSet().map((r) => ({ ...r, cell: { ...r.cell, init: r.cell.pretraining === null ? 'scratch' : 'pretrained' } }) as ReportRecord);
    const c = compareResults(baseSet(), explicit, { threshold: 0 });
    expect(c.metrics).toHaveLength(4);
    expect(c.markdown).toContain('None: both sets ran the same cells.');
    // A re-initialised variant is a different condition: new in head, not compared with the pretrained cell.
    const reinit = { ...baseSet()[0], cell: { ...baseSet()[0].cell, init: 'reinit-embeddings' } } as ReportRecord;
    const md = compareResults(baseSet(), [...baseSet(), reinit]).markdown;
    expect(md).toContain('New in head (1 cell(s)):\n\n- bert-mini / mlm / reinit-embeddings / sentiment / ort (finetune), seed(s) 1\n');
  });

  test('uses the last record of a resumed cell, and rejects nonsense thresholds', () => {
    const base = baseSet();
    const rerun = { ...base[0], metrics: { accuracy: 0.86, f1: 0.5 } } as ReportRecord; // seed 1: 0.80 -> 0.86
    const c = compareResults([...base, rerun], base);
    const m = c.metrics.find((x) => x.condition === 'bert-mini / mlm / sentiment / ort' && x.metric === 'accuracy')!;
    expect(m.base!.mean).toBeCloseTo((0.86 + 0.82 + 0.84) / 3, 12);
    expect(m.base!.n).toBe(3);
    expect(() => compareResults(base, base, { threshold: -1 })).toThrow(RangeError);
    expect(() => compareResults(base, base, { speedThreshold: 0.5 })).toThrow(RangeError);
  });
});

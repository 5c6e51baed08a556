import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ResultRecord, SsbenchError, readResults } from '@ssbench/core';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMergeTarget, firstDifference, mergeRecords, mergeResults, resultsFileOf, writeMergedResults } from './merge';

const dir = mkdtempSync(join(tmpdir(), 'ssbench-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function provenance(over: Record<string, unknown> = {}) {
  return {
    configHash: 'a'.repeat(64),
    configName: 'sweep',
    gitSha: 'abc123',
    packages: { '@ssbench/runner': '0.1.0' },
    backend: { name: '@ssbench/backend-onnxruntime', device: 'cpu', version: 'onnxruntime-node 1.22.0' },
    machine: { cpu: 'x', cores: 2, memoryBytes: 1, platform: 'linux', node: 'v22' },
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:01:00.000Z',
    ...over,
  };
}
const timing = (median: number) => ({ warmup: [median * 3], median, p90: median, runs: 2 });

function finetune(seed: number, accuracy: number, over: Record<string, unknown> = {}): ResultRecord {
  return {
    kind: 'finetune',
    cell: { model: 'bert', pretraining: 'mlm', init: 'pretrained', task: 'sentiment', backend: 'ort', seed },
    metrics: { accuracy, f1: 0.5 },
    lossCurve: [
      { step: 1, loss: 0.7 },
      { step: 2, loss: 0.6 },
    ],
    timings: { trainStepMs: timing(10), inferenceMs: timing(2), compileMs: 100 },
    peakMemoryBytes: 1000,
    provenance: provenance(),
    ...over,
  } as unknown as ResultRecord;
}
function pretrain(loss: number, over: Record<string, unknown> = {}): ResultRecord {
  return {
    kind: 'pretrain',
    cell: { model: 'bert', pretraining: 'mlm', backend: 'ort', seed: 1 },
    cacheKey: 'k',
    checkpoint: '/cache/a',
    lossCurve: [{ step: 1, loss }],
    timings: { trainStepMs: timing(20), compileMs: 100 },
    peakMemoryBytes: 1000,
    provenance: provenance(),
    ...over,
  } as unknown as ResultRecord;
}
function skipped(seed: number, reason = 'backend tfjs unavailable'): ResultRecord {
  return {
    kind: 'skipped',
    stage: 'finetune',
    cell: { model: 'bert', pretraining: 'mlm', init: 'pretrained', task: 'sentiment', backend: 'ort', seed },
    reason,
    provenance: provenance(),
  } as unknown as ResultRecord;
}
function file(name: string, records: readonly ResultRecord[]): string {
  const f = join(dir, name);
  writeFileSync(f, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return f;
}
function thrown(fn: () => unknown): SsbenchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SsbenchError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('firstDifference', () => {
  it('finds the first differing place, numbers within a relative tolerance', () => {
    expect(firstDifference({ a: [1, 2] }, { a: [1, 2] }, 0)).toBeNull();
    expect(firstDifference({ a: [1, 2] }, { a: [1, 3] }, 0)).toBe('/a/1: 2 vs 3');
    expect(firstDifference({ a: [1] }, { a: [1, 2] }, 0)).toBe('/a: 1 vs 2 entries');
    expect(firstDifference({ a: 1 }, { b: 1 }, 0)).toBe('/a: 1 vs absent');
    expect(firstDifference({ x: 'v1' }, { x: 'v2' }, 0)).toBe('/x: "v1" vs "v2"');
    // 1e-6 relative: |1000 - 1000.0005| = 5e-4 <= 1e-6 * 1000.0005; |0.5 - 0.5000011| = 1.1e-6 > 1e-6 * max(1, 0.5).
    expect(firstDifference(1000, 1000.0005, 1e-6)).toBeNull();
    expect(firstDifference(0.5, 0.5000011, 1e-6)).toBe('/: 0.5 vs 0.5000011');
    expect(firstDifference(0.5, 0.5000009, 1e-6)).toBeNull();
  });
});

describe('mergeResults', () => {
  it('joins shards; duplicates of a cell that agree are kept once (timings and provenance times ignored)', () => {
    const a = file('a.jsonl', [pretrain(5.5), finetune(1, 0.75)]);
    const b = file('b.jsonl', [
      pretrain(5.5, { checkpoint: '/other/cache', timings: { trainStepMs: timing(99), compileMs: 7 }, provenance: provenance({ startedAt: '2025-02-02T00:00:00.000Z' }) }),
      finetune(2, 0.5),
    ]);
    const m = mergeResults([a, b]);
    expect(m.records.map((r) => [r.kind, (r.cell as { seed: number }).seed])).toEqual([
      ['pretrain', 1],
      ['finetune', 1],
      ['finetune', 2],
    ]);
    expect(m).toMatchObject({ read: 4, duplicates: 1, droppedSkips: 0, configHash: 'a'.repeat(64), configName: 'sweep', warnings: [] });
    expect((m.records[0] as { checkpoint: string }).checkpoint).toBe('/cache/a'); // the first file's copy
    // The order of the files changes nothing but which copy of a duplicate is kept.
    const back = mergeResults([b, a]);
    expect(back.records.map((r) => JSON.stringify(r.cell))).toEqual(m.records.map((r) => JSON.stringify(r.cell)));
  });

  it('accepts a results directory for its results.jsonl', () => {
    expect(resultsFileOf(dir)).toBe(join(dir, 'results.jsonl'));
    expect(resultsFileOf(join(dir, 'x.jsonl'))).toBe(join(dir, 'x.jsonl'));
  });

  it('refuses the same cell with different metrics, naming the cell, both files and lines, and the difference', () => {
    const a = file('c1.jsonl', [pretrain(5.5), finetune(1, 0.75)]);
    const b = file('c2.jsonl', [finetune(2, 0.5), finetune(1, 0.8)]);
    const err = thrown(() => mergeResults([a, b]));
    expect(err.code).toBe('data');
    expect(err.message).toContain('finetune bert mlm -> sentiment on ort (seed 1)');
    expect(err.message).toContain(`${a}:2 and ${b}:2`);
    expect(err.message).toContain('/metrics/accuracy: 0.75 vs 0.8');
  });

  it('refuses different pretraining loss curves, hinting at a shared cache', () => {
    const err = thrown(() => mergeRecords([{ name: 'x', records: [pretrain(5.5)] }, { name: 'y', records: [pretrain(5.25)] }]));
    expect(err.message).toContain('pretrain bert mlm on ort (seed 1)');
    expect(err.message).toContain('/lossCurve/0/loss: 5.5 vs 5.25');
    expect(err.message).toContain('x (record 1) and y (record 1)');
    expect(err.hint).toContain('--only pretrain');
  });

  it('numbers agree within the tolerance (default 1e-6 relative); tolerance 0 is exact', () => {
    const inputs = [
      { name: 'x', records: [finetune(1, 0.75)] },
      { name: 'y', records: [finetune(1, 0.75 + 1e-9)] },
    ];
    expect(mergeRecords(inputs).records).toHaveLength(1);
    expect(thrown(() => mergeRecords(inputs, { tolerance: 0 })).message).toContain('/metrics/accuracy');
    expect(thrown(() => mergeRecords(inputs, { tolerance: -1 })).code).toBe('config');
  });

  it('refuses files of different configs, naming both files and configs', () => {
    const a = file('cfg1.jsonl', [finetune(1, 0.75)]);
    const b = file('cfg2.jsonl', [finetune(2, 0.5), finetune(3, 0.5, { provenance: provenance({ configHash: 'b'.repeat(64), configName: 'other' }) })]);
    const err = thrown(() => mergeResults([a, b]));
    expect(err.message).toContain('different configs');
    expect(err.message).toContain(`${a}:1 is config "sweep" (hash aaaaaaaaaaaa)`);
    expect(err.message).toContain(`${b}:2 is config "other" (hash bbbbbbbbbbbb)`);
  });

  it('drops a skip when another file has the cell finished; identical skips are kept once', () => {
    const m = mergeRecords([
      { name: 'x', records: [skipped(1), skipped(2)] },
      { name: 'y', records: [finetune(1, 0.75), skipped(2), skipped(2, 'failed: out of memory')] },
    ]);
    expect(m.records.map((r) => [r.kind, (r.cell as { seed: number }).seed, r.kind === 'skipped' ? r.reason : ''])).toEqual([
      ['finetune', 1, ''],
      ['skipped', 2, 'backend tfjs unavailable'],
      ['skipped', 2, 'failed: out of memory'],
    ]);
    expect(m).toMatchObject({ read: 5, duplicates: 1, droppedSkips: 1 });
  });

  it('notes files from different code versions', () => {
    const m = mergeRecords([
      { name: 'x', records: [finetune(1, 0.75)] },
      { name: 'y', records: [finetune(2, 0.75, { provenance: provenance({ gitSha: 'def456', packages: { '@ssbench/runner': '0.2.0' } }) })] },
    ]);
    expect(m.warnings).toEqual(['the files come from different code versions: abc123 (x); def456 (y)', 'the files were made with different package versions: @ssbench/runner 0.1.0 / 0.2.0']);
  });

  it('writes results.jsonl that reads back as the merged records; no records, no file content', () => {
    const m = mergeRecords([{ name: 'x', records: [finetune(2, 0.5), pretrain(5.5), finetune(1, 0.75)] }]);
    const out = writeMergedResults(join(dir, 'merged'), m.records);
    expect(readResults(out)).toEqual(m.records);
    expect(m.records.map((r) => r.kind)).toEqual(['pretrain', 'finetune', 'finetune']);
    const none = mergeResults([file('empty.jsonl', [])]);
    expect(none).toMatchObject({ records: [], configHash: null, read: 0 });
  });

  it('will not overwrite a results file that is not among the inputs', () => {
    const out = join(dir, 'target');
    expect(() => checkMergeTarget(out, [join(dir, 'a.jsonl')])).not.toThrow(); // nothing there yet
    writeMergedResults(out, []);
    const err = thrown(() => checkMergeTarget(out, [join(dir, 'a.jsonl')]));
    expect(err.message).toBe(`${join(out, 'results.jsonl')}: already exists and is not one of the files to merge: name another output directory, or pass --force to overwrite it`);
    // Merging into one of the inputs (named as the directory or the file) keeps everything: allowed.
    expect(() => checkMergeTarget(out, [join(dir, 'a.jsonl'), out])).not.toThrow();
    expect(() => checkMergeTarget(out, [join(out, 'results.jsonl')])).not.toThrow();
  });

  it('names a missing file', () => {
    const err = thrown(() => mergeResults([join(dir, 'nope', 'results.jsonl')]));
    expect(err.message).toContain(`results file not found: ${join(dir, 'nope', 'results.jsonl')}`);
  });
});

/**
 * `ssbench compare` and `ssbench report --html` as a user runs them: exit status 1 and the regression named
 * for a planted metric drop beyond noise and threshold, 2 for results of different task versions (naming the
 * task and both versions); the HTML report written to the named file. (Identical files, speed gates and new or
 * removed cells are covered by packages/report/src/compare.test.ts without starting a process.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { ssbench, stackTraceLines, tempDirs } from './helpers';

const tmp = tempDirs('compare');
afterAll(() => tmp.cleanup());

const provenance = {
  configHash: '1'.repeat(64),
  configName: 'compare-fixture',
  gitSha: 'feed123',
  packages: {},
  backend: { name: '@ssbench/backend-onnxruntime', device: 'cpu', version: 'onnxruntime-node 1.0' },
  machine: { cpu: 'Test CPU', cores: 2, memoryBytes: 2 ** 33, platform: 'linux', node: 'v20.0.0' },
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:01:00.000Z',
};

/** Three seeds of one fine-tuning cell: accuracy `base + 0.02 * (seed - 2)` (mean `base`, std 0.02). */
function results(accuracy: number, taskVersion = '1.0.0'): string {
  return [1, 2, 3]
    .map((seed) =>
      JSON.stringify({
        kind: 'finetune',
        cell: { model: 'bert-mini', pretraining: 'mlm', task: 'sentiment', backend: 'ort-cpu', seed },
        metrics: { accuracy: accuracy + 0.02 * (seed - 2) },
        higherIsBetter: { accuracy: true },
        taskVersion,
        lossCurve: [{ step: 1, loss: 0.69 }],
        timings: { compileMs: 1, trainStepMs: { warmup: [], median: 10, p90: 11, runs: 5 }, inferenceMs: { warmup: [], median: 3, p90: 4, runs: 5 }, tokensPerSecond: 1000 },
        peakMemoryBytes: 2 ** 28,
        parity: null,
        provenance,
      }),
    )
    .join('\n')
    .concat('\n');
}

function files(): { dir: string; base: string; worse: string; other: string } {
  const dir = tmp.make();
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  return { dir, base: write('base.jsonl', results(0.8)), worse: write('worse.jsonl', results(0.7)), other: write('other.jsonl', results(0.8, '2.0.0')) };
}

describe.concurrent('ssbench compare', () => {
  const f = files();

  test('a metric drop beyond noise and --threshold exits 1 and names the cell and metric', async ({ expect }) => {
    const r = await ssbench(['compare', f.base, f.worse, '--threshold', '0.05']);
    expect(r.status, r.stderr).toBe(1);
    // 0.80 -> 0.70, noise 0.02
    expect(r.stderr).toContain('ssbench compare: regression: bert-mini / mlm / sentiment / ort-cpu: accuracy 0.8 -> 0.7 (−0.1; noise 0.02, threshold 0.05)');
    expect(r.stdout).toContain('**1 regression(s) beyond the thresholds**');
    expect(stackTraceLines(r.stderr)).toEqual([]);
  });

  test('different task versions: exit 2 naming the task and both versions', async ({ expect }) => {
    const r = await ssbench(['compare', f.base, f.other]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`task "sentiment" has version 1.0.0 in ${f.base} but 2.0.0 in ${f.other}`);
    expect(r.stdout).toBe('');
    expect(stackTraceLines(r.stderr)).toEqual([]);
  });

  test('report --html writes a self-contained page', async ({ expect }) => {
    const out = join(f.dir, 'report.html');
    const r = await ssbench(['report', f.base, '--html', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(''); // --html without --out: no Markdown on stdout
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<td>0.8 ± 0.02 (n=3)</td>');
    expect(html).toContain(`Regenerate with <code>ssbench report ${f.base} --html ${out}</code>`);
    expect(html).not.toMatch(/<script/i);
  });
});

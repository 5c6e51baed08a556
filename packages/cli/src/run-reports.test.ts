/**
 * The reports of `ssbench run`: report.md and report.html next to the results; an HTML rendering failure keeps
 * the results and report.md, says why, and removes a stale report.html of an earlier run.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { writeRunReports } from './run-reports';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A results directory with one skipped cell (a report needs no charts for it, so it renders fast). */
function resultsDir(): { dir: string; results: string; content: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ssbench-run-reports-'));
  dirs.push(dir);
  const record = {
    kind: 'skipped',
    stage: 'finetune',
    cell: { model: 'bert-t', pretraining: 'mlm', task: 'sentiment', backend: 'gpu', seed: 1 },
    reason: 'backend unavailable: <no adapter>',
    provenance: {
      configHash: 'a'.repeat(64),
      configName: 'tiny',
      gitSha: null,
      packages: {},
      backend: { name: '@ssbench/backend-x', device: 'gpu', version: '1.0' },
      machine: { cpu: 'cpu', cores: 2, memoryBytes: 2 ** 30, platform: 'linux', node: 'v20' },
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
    },
  };
  const results = join(dir, 'results.jsonl');
  const content = `${JSON.stringify(record)}\n`;
  writeFileSync(results, content);
  return { dir, results, content };
}

describe('writeRunReports', () => {
  test('writes report.md and report.html next to the results', async () => {
    const { dir, results } = resultsDir();
    const written = await writeRunReports(results, dir, { title: 'tiny', command: 'ssbench report r --html h' });
    expect(written).toEqual({ markdown: join(dir, 'report.md'), html: join(dir, 'report.html') });
    expect(readdirSync(dir).sort()).toEqual(['report.html', 'report.md', 'results.jsonl']);
    expect(readFileSync(written.markdown, 'utf8')).toContain('# ssbench report: tiny');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<title>ssbench report: tiny</title>');
    expect(html).toContain('backend unavailable: &lt;no adapter&gt;');
    expect(html).toContain('Regenerate with <code>ssbench report r --html h</code>');
  });

  test('an HTML rendering failure keeps the results and report.md, and removes a stale report.html', async () => {
    const { dir, results, content } = resultsDir();
    writeFileSync(join(dir, 'report.html'), 'from an earlier run');
    const written = await writeRunReports(results, dir, {
      title: 'tiny',
      renderHtml: async () => {
        throw new Error('vega exploded');
      },
    });
    expect(written).toEqual({ markdown: join(dir, 'report.md'), htmlError: 'vega exploded' });
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['report.md', 'results.jsonl']); // no temporary file left either
    expect(readFileSync(results, 'utf8')).toBe(content);
    expect(readFileSync(written.markdown, 'utf8')).toContain('backend unavailable');
  });
});

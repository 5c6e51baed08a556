/**
 * Representation probes end to end (tests/fixtures/probes): a tiny BERT pretrained on English + Chinese handbook
 * text and the same model from scratch each get a probe record (per-layer cross-lingual retrieval before and after
 * the language vector; contextual similarity of ambiguous words), and the reports (Markdown and HTML) show both
 * sections. Needs the Debian handbook (apt-get install debian-handbook, or `ssbench data prepare debian-handbook`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ProbeRecord, ResultRecord } from '../packages/core/src/index';
import { locateHandbook } from '../packages/corpora/src/index';
import { fixture, ssbench, tempDirs } from './helpers';

const tmp = tempDirs('probes');
afterAll(() => tmp.cleanup());
const cache = join(tmp.make('cache'), 'cache');
const have = locateHandbook('en', { dataDir: join(cache, 'data') }) !== null && locateHandbook('zh-CN', { dataDir: join(cache, 'data') }) !== null;
if (!have) console.warn('debian-handbook is not installed (apt-get install debian-handbook): skipping the probe end-to-end test');

describe.skipIf(!have)('representation probes', () => {
  let records: ResultRecord[] = [];
  let report = '';
  let reportHtml = '';
  beforeAll(async () => {
    const out = join(tmp.make('out'), 'probes');
    const r = await ssbench(['run', fixture('probes', 'config.json'), '--output', out, '--cache', cache], { timeoutMs: 240_000 });
    const file = join(out, 'results.jsonl');
    if (!existsSync(file)) throw new Error(`no results (status ${r.status}):\n${r.stderr}`);
    records = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as ResultRecord);
    report = readFileSync(join(out, 'report.md'), 'utf8');
    reportHtml = readFileSync(join(out, 'report.html'), 'utf8');
  }, 300_000);

  test('one probe record per start (pretrained and scratch), with every layer', () => {
    const probes = records.filter((r): r is ProbeRecord => r.kind === 'probe');
    expect(probes.map((p) => p.cell.pretraining).sort()).toEqual(['mlm-en-zh', null].sort());
    for (const p of probes) {
      const xl = p.crossLingual;
      expect(xl?.evaluated).toBe(50);
      expect(xl?.layers.map((l) => l.layer)).toEqual([0, 1]); // embeddings + 1 layer
      for (const l of xl?.layers ?? [])
        for (const v of [l.before.accuracyAt1, l.after.accuracyAt1]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
      expect(p.contextual?.map((c) => c.word)).toEqual(['bank', 'apple']);
      const bank = p.contextual?.[0];
      const n = bank?.senses.length ?? 0;
      expect(n).toBeGreaterThanOrEqual(4);
      expect(bank?.similarity.length).toBe(n);
      for (let i = 0; i < n; i++) expect(bank?.similarity[i][i]).toBeCloseTo(1, 5);
      // Symmetric matrix.
      expect(bank?.similarity[0][1]).toBeCloseTo(bank?.similarity[1][0] ?? Number.NaN, 6);
    }
  });

  test('the report has the cross-lingual and contextual sections', () => {
    expect(report).toContain('## Cross-lingual probe: the language vector');
    expect(report).toContain('## Contextual embeddings');
    expect(report).toMatch(/Cosine similarity of "bank" across sentences/);
  });

  test('report.html has both sections, with the similarity heatmap of the pretrained model only', () => {
    expect(reportHtml).toContain('<section id="probe-crosslingual"');
    expect(reportHtml).toContain('<section id="probe-contextual"');
    expect(reportHtml.match(/&quot;bank&quot;: cosine similarity across sentences, last layer \(/g)).toHaveLength(1);
    expect(reportHtml).toContain('cosine similarity across sentences, last layer (bert');
  });
});

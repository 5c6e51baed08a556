/**
 * The Markdown report's downstream table: the metrics each task declares, in % only where higher is better and
 * the values lie in [-1, 1], lower-is-better metrics named, the re-initialised-embeddings variant as its own
 * column, and records written before cells had `init` read as pretrained / scratch. Numbers are hand-computed.
 */
import { describe, expect, test } from 'vitest';
import { type ReportRecord, markdownReport } from './markdown';

const provenance: ReportRecord['provenance'] = {
  configHash: 'ab'.repeat(32),
  configName: 'fixture',
  gitSha: null,
  packages: {},
  backend: { name: '@ssbench/backend-onnxruntime', device: 'cpu', version: 'onnxruntime-node 1.0' },
  machine: { cpu: 'Test CPU', cores: 2, memoryBytes: 2 ** 33, platform: 'linux', node: 'v20.0.0' },
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:01:00.000Z',
};

function ft(task: string, pretraining: string | null, init: string | undefined, seed: number, metrics: Record<string, number>, higherIsBetter: Record<string, boolean>): ReportRecord {
  return {
    kind: 'finetune',
    cell: { model: 'bert', pretraining, ...(init === undefined ? {} : { init }), task, backend: 'ort', seed },
    metrics,
    higherIsBetter,
    taskVersion: '1',
    lossCurve: [{ step: 1, loss: 1 }],
    timings: { compileMs: 1, trainStepMs: { median: 1, p90: 1, runs: 1 }, inferenceMs: { median: 1, p90: 1, runs: 1 } },
    provenance,
  } as ReportRecord;
}

const rowOf = (md: string, task: string) => {
  const section = md.slice(md.indexOf(`### ${task} (v1)`));
  return {
    header: section.split('\n').find((l) => l.startsWith('| model |')) ?? '',
    row: section.split('\n').find((l) => l.startsWith('| bert | ort |')) ?? '',
    section: section.slice(0, section.indexOf('|')),
  };
};

describe('markdownReport downstream tables', () => {
  const sts = { pearson: true, mse: false };
  const records = [
    // An old record (no init) and new ones: pretrained, re-initialised embeddings, scratch; two seeds each.
    ft('sts', 'mlm', undefined, 1, { pearson: 0.8, mse: 0.5 }, sts),
    ft('sts', 'mlm', 'pretrained', 2, { pearson: 0.6, mse: 0.7 }, sts),
    ft('sts', 'mlm', 'reinit-embeddings', 1, { pearson: 0.5, mse: 1.5 }, sts),
    ft('sts', 'mlm', 'reinit-embeddings', 2, { pearson: 0.5, mse: 2.5 }, sts),
    ft('sts', null, undefined, 1, { pearson: 0.2, mse: 3 }, sts),
    ft('sts', null, 'scratch', 2, { pearson: 0.4, mse: 3 }, sts),
    ft('qa', 'mlm', 'pretrained', 1, { exact_match: 0.25, f1: 0.5 }, { exact_match: true, f1: true }),
    ft('qa', null, 'scratch', 1, { exact_match: 0.125, f1: 0.25 }, { exact_match: true, f1: true }),
  ];
  const md = markdownReport(records);

  test('one column per metric and start, the re-initialised variant included, old records merged with new ones', () => {
    const { header, row } = rowOf(md, 'sts');
    expect(header).toBe(
      '| model | backend | pearson (mlm) | mse (mlm) | pearson (mlm (re-init embeddings)) | mse (mlm (re-init embeddings)) | pearson (scratch) | mse (scratch) | Δ pearson mlm − scratch | Δ pearson mlm (re-init embeddings) − scratch |',
    );
    // pearson mlm: 0.8, 0.6 -> 70.0 ± 14.1 (%); mse as is: 0.6 ± 0.1414; re-init pearson 50.0 ± 0.0, mse 2 ± 0.7071;
    // scratch pearson 30.0 ± 14.1, mse 3 ± 0; deltas of pearson: +40.0 and +20.0 points.
    expect(row).toBe('| bert | ort | 70.0 ± 14.1 (n=2) | 0.6000 ± 0.1414 (n=2) | 50.0 ± 0.0 (n=2) | 2.0000 ± 0.7071 (n=2) | 30.0 ± 14.1 (n=2) | 3.0000 ± 0.0000 (n=2) | +40.0 | +20.0 |');
  });

  test('says which metrics are lower-is-better, and only for tasks that have them', () => {
    expect(rowOf(md, 'sts').section).toContain('Lower is better: mse.');
    expect(rowOf(md, 'qa').section).not.toContain('Lower is better');
    expect(rowOf(md, 'qa').row).toBe('| bert | ort | 25.0 (n=1) | 50.0 (n=1) | 12.5 (n=1) | 25.0 (n=1) | +12.5 |');
  });

  test('the loss section has a column per start', () => {
    expect(md).toContain('| steps | mlm | mlm (re-init embeddings) | scratch |');
  });
});

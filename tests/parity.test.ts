/**
 * Determinism across backends (tests/fixtures/parity): the same tiny fine-tuning cell (same seed, so the same
 * initial head, data order and dropout masks) on onnxruntime-cpu and tfjs-wasm gives the same loss curve, and the
 * tfjs cell's logits match the reference backend's on the same weights. Runs the library in-process (faster than
 * the command line) and reads the numbers back from results.jsonl, as the report does.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type FinetuneRecord, type ResultRecord, readJsonl } from '../packages/core/src/index';
import { type RunSummary, loadExperiment, makePlan, runExperiment } from '../packages/runner/src/index';
import { ROOT, fixture, tempDirs } from './helpers';

const tmp = tempDirs('parity');
afterAll(() => tmp.cleanup());

const TOLERANCE = 1e-4;
let summary: RunSummary;
/** What the run said (skipped and failed cells with their reasons), for failure messages. */
const messages: string[] = [];
let ort: FinetuneRecord;
let tfjs: FinetuneRecord;

beforeAll(async () => {
  const out = join(tmp.make('out'), 'parity');
  const exp = await loadExperiment(join(ROOT, fixture('parity', 'config.json')), { outputDir: out });
  const reporter = { info: (m: string) => messages.push(m), progress: () => {}, cellDone: () => {} };
  summary = await runExperiment(exp, makePlan(exp), { reporter, cacheDir: join(tmp.make('cache'), 'cache') });
  const ft = readJsonl<ResultRecord>(summary.resultsFile).filter((r): r is FinetuneRecord => r.kind === 'finetune');
  ort = ft.find((r) => r.cell.backend === 'ort-cpu') as FinetuneRecord;
  tfjs = ft.find((r) => r.cell.backend === 'tfjs-wasm') as FinetuneRecord;
});

test('both backends ran the same cell', () => {
  expect(summary, messages.join('\n')).toMatchObject({ ran: 3, skipped: 0, failed: 0 }); // pretraining + 2 fine-tuning cells
  expect(ort).toBeDefined();
  expect(tfjs).toBeDefined();
  const { backend: _a, ...cellA } = ort.cell;
  const { backend: _b, ...cellB } = tfjs.cell;
  expect(cellA).toEqual(cellB);
  expect(cellA).toEqual({ model: 'bert-t', pretraining: 'mlm-nsp', init: 'pretrained', task: 'sentiment', seed: 7 });
  expect(tfjs.provenance.backend.device).toMatch(/wasm/);
});

test('the fine-tuning loss curves agree to 1e-4 at every step', () => {
  expect(tfjs.lossCurve.length).toBeGreaterThan(5);
  expect(tfjs.lossCurve.map((p) => p.step)).toEqual(ort.lossCurve.map((p) => p.step));
  const diffs = tfjs.lossCurve.map((p, i) => Math.abs(p.loss - ort.lossCurve[i].loss));
  expect(Math.max(...diffs)).toBeLessThan(TOLERANCE);
  // the recorded loss-curve parity says the same
  expect(tfjs.parity?.lossCurveMaxAbsDiff).toBeCloseTo(Math.max(...diffs), 12);
});

test("the tfjs cell's logit parity against the reference backend is below 1e-4", () => {
  expect(ort.parity ?? null).toBeNull(); // the reference backend has no parity of its own
  expect(tfjs.parity?.referenceBackend).toBe('ort-cpu');
  expect(tfjs.parity?.maxAbsDiff).toBeGreaterThanOrEqual(0);
  expect(tfjs.parity?.maxAbsDiff).toBeLessThan(TOLERANCE);
});

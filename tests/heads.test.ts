/**
 * Every task head kind end to end from a config (tests/fixtures/heads): synthetic tagging, span, regression and
 * symbol-classification task plugins loaded by path, a tiny BERT pretrained for 5 steps, fine-tuned from the
 * checkpoint, from the checkpoint with re-initialised embeddings, and from scratch. Checks the records (cells with
 * their init, the task's own metrics, what the encoding did), that the training loss falls, the report's tables,
 * resuming, the skipped in-context cell of a non-classification task, and the vocabulary check of symbol tasks.
 * Runs the library in-process (faster than the command line), on onnxruntime's CPU backend.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FinetuneRecord, type ResultRecord, SsbenchError, readJsonl } from '../packages/core/src/index';
import { markdownReport } from '../packages/report/src/index';
import { type FinetuneCell, type IncontextCell, type PretrainJob, type RunSummary, loadExperiment, makePlan, runExperiment } from '../packages/runner/src/index';
import { ROOT, fixture, tempDirs } from './helpers';

const CONFIG = join(ROOT, fixture('heads', 'config.json'));
const tmp = tempDirs('heads');
afterAll(() => tmp.cleanup());

/** The decoder model is there for the in-context cell only: its fine-tuning cells are left out. */
const filter = (c: PretrainJob | FinetuneCell | IncontextCell) => c.kind !== 'finetune' || c.model === 'bert-t';
const messages: string[] = [];
const reporter = { info: (m: string) => messages.push(m), progress: () => {}, cellDone: (cell: string, s: string) => messages.push(`done: ${cell}: ${s}`) };

let out: string;
let cache: string;
let summary: RunSummary;
let records: ResultRecord[];
let ft: (FinetuneRecord & { head: Record<string, unknown>; cell: { init?: string } })[];

beforeAll(async () => {
  out = join(tmp.make('out'), 'heads');
  cache = join(tmp.make('cache'), 'cache');
  const exp = await loadExperiment(CONFIG, { outputDir: out });
  summary = await runExperiment(exp, makePlan(exp), { reporter, cacheDir: cache, filter });
  records = readJsonl<ResultRecord>(summary.resultsFile);
  ft = records.filter((r) => r.kind === 'finetune') as typeof ft;
});

const TASKS = ['tagging', 'span', 'regression', 'dna'];
const INITS = ['pretrained', 'reinit-embeddings', 'scratch'];

describe('a config with every head kind', () => {
  test('plans and runs pretrained, re-initialised-embeddings and scratch cells for every task', () => {
    expect(summary, messages.join('\n')).toMatchObject({ ran: 1 + TASKS.length * INITS.length, failed: 0, skipped: 1 });
    expect(ft.map((r) => `${r.cell.task}/${r.cell.init}/${r.cell.pretraining}`).sort()).toEqual(
      TASKS.flatMap((t) => [`${t}/pretrained/mlm`, `${t}/reinit-embeddings/mlm`, `${t}/scratch/null`]).sort(),
    );
  });

  test("each record holds the task's own metrics with their direction", () => {
    const expected: Record<string, Record<string, boolean>> = {
      tagging: { token_accuracy: true, macro_f1: true },
      span: { exact_match: true, f1: true },
      regression: { pearson: true, mse: false },
      dna: { accuracy: true },
    };
    for (const r of ft) {
      expect(r.higherIsBetter).toEqual(expected[r.cell.task]);
      expect(Object.keys(r.metrics).sort()).toEqual(Object.keys(expected[r.cell.task]).sort());
      for (const v of Object.values(r.metrics)) expect(Number.isFinite(v)).toBe(true);
      if (r.cell.task !== 'regression') for (const v of Object.values(r.metrics)) expect(v >= 0 && v <= 1).toBe(true);
      expect(r.metrics.mse ?? 0).toBeGreaterThanOrEqual(0);
      expect(Object.keys(r.devMetrics ?? {}).sort()).toEqual(Object.keys(expected[r.cell.task]).sort());
    }
  });

  test('the training loss falls in every cell', () => {
    for (const r of ft) {
      const losses = r.lossCurve.map((p) => p.loss);
      expect(losses).toHaveLength(18); // 96 examples / 16 per batch x 3 epochs
      const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
      expect(mean(losses.slice(-4)), `${r.cell.task} ${r.cell.init}: ${losses.map((l) => l.toFixed(3)).join(' ')}`).toBeLessThan(mean(losses.slice(0, 4)));
    }
  });

  test('records say what the encoding did: truncated words, windows, symbol mapping', () => {
    const head = (task: string) => ft.find((r) => r.cell.task === task && r.cell.init === 'scratch')?.head as Record<string, unknown>;
    // Every 8th sentence has 24 words: they cannot all fit in 24 tokens with [CLS] and [SEP].
    const tagging = head('tagging') as { kind: string; fallbackTag: string; truncatedWords: { test: number }; words: { test: number } };
    expect(tagging.kind).toBe('tagging');
    expect(tagging.truncatedWords.test).toBeGreaterThan(0);
    expect(tagging.words.test).toBe(21 * 6 + 3 * 24); // test sentences 112..135: indices 112, 120, 128 are long
    expect(tagging.fallbackTag).toBe('DET'); // each pattern has 2 DET and 2 NOUN per 6 words; the tie goes to the lower id
    const span = head('span') as { kind: string; nullAnswers: boolean; windows: { test: number } };
    expect(span).toMatchObject({ kind: 'span', nullAnswers: true });
    expect(span.windows.test).toBeGreaterThanOrEqual(24);
    expect(head('dna')).toEqual({ kind: 'classification', input: 'symbols', symbols: { seed: 100, skipIds: 100, alphabetSize: 4 } });
    expect(head('regression')).toEqual({ kind: 'regression' });
  });

  test('the in-context cell of a decoder on a tagging task is skipped with the reason', () => {
    const skipped = records.filter((r) => r.kind === 'skipped') as unknown as { stage: string; cell: { model: string; task: string }; reason: string }[];
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ stage: 'incontext', cell: { model: 'gpt-t', task: 'tagging' } });
    expect(skipped[0].reason).toBe('in-context evaluation needs a text classification task; "tagging" has a tagging head (remove its "incontext" settings)');
  });
});

describe('the report', () => {
  let md: string;
  beforeAll(() => {
    md = markdownReport(records as never);
  });

  test('shows each task with its own metrics, the re-initialised variant and the deltas against scratch', () => {
    const section = (task: string) => md.slice(md.indexOf(`### ${task} (v1)`), md.indexOf('\n\n', md.indexOf(`### ${task} (v1)`) + 20) + 400);
    const header = (task: string) => section(task).split('\n').find((l) => l.startsWith('| model | backend |')) ?? '';
    for (const col of ['token_accuracy (mlm)', 'macro_f1 (mlm (re-init embeddings))', 'token_accuracy (scratch)', 'Δ token_accuracy mlm (re-init embeddings) − scratch'])
      expect(header('tagging')).toContain(col);
    for (const col of ['exact_match (mlm)', 'f1 (scratch)']) expect(header('span')).toContain(col);
    for (const col of ['pearson (mlm)', 'mse (scratch)']) expect(header('regression')).toContain(col);
    expect(header('dna')).toContain('accuracy (mlm (re-init embeddings))');
  });

  test('a lower-is-better metric is marked and shown as it is, not as a percentage', () => {
    const reg = md.slice(md.indexOf('### regression (v1)'), md.indexOf('### ', md.indexOf('### regression (v1)') + 5));
    expect(reg).toContain('Lower is better: mse.');
    const rec = ft.find((r) => r.cell.task === 'regression' && r.cell.init === 'scratch') as FinetuneRecord;
    const row = reg.split('\n').find((l) => l.startsWith('| bert-t | ort-cpu |')) ?? '';
    expect(row).toContain(`${rec.metrics.mse.toFixed(4)} (n=1)`);
    expect(row).toContain(`${(100 * rec.metrics.pearson).toFixed(1)} (n=1)`);
  });
});

test('a rerun resumes every cell, the re-initialised ones included', async () => {
  const exp = await loadExperiment(CONFIG, { outputDir: out });
  const again = await runExperiment(exp, makePlan(exp), { reporter: { ...reporter, info: () => {} }, cacheDir: cache, filter });
  expect(again).toMatchObject({ ran: 0, resumed: 1 + TASKS.length * INITS.length, failed: 0 });
  expect(readJsonl(summary.resultsFile)).toHaveLength(records.length);
});

test("a symbol task's alphabet that does not fit in the vocabulary above skipIds fails at load time, naming the task", async () => {
  const config = JSON.parse(readFileSync(CONFIG, 'utf8'));
  // Plugin paths become absolute: the config is written elsewhere.
  for (const t of config.tasks) t.plugin = resolve(dirname(CONFIG), t.plugin);
  config.tasks[3].symbols.skipIds = 298;
  const file = join(tmp.make('bad'), 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const err = await loadExperiment(file).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SsbenchError);
  expect((err as SsbenchError).pointer).toBe('/tasks/3/symbols');
  expect((err as SsbenchError).message).toContain('task "dna": its alphabet has 4 symbols but recipe "mlm" (vocabSize 300, /pretraining/0/tokenizer/vocabSize) has only 2 usable token ids at or above skipIds 298');

  // "symbols" on a task with text inputs is a mistake, not silently ignored.
  config.tasks[3].symbols.skipIds = 100;
  config.tasks[0].symbols = { seed: 1 };
  writeFileSync(file, JSON.stringify(config));
  await expect(loadExperiment(file)).rejects.toThrow('task "tagging" has text inputs: "symbols" applies only to tasks with symbol inputs');
});

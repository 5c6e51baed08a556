/**
 * Resuming (tests/fixtures/resume): rerunning a finished run redoes nothing and reuses the cached pretraining
 * checkpoint; after an interrupted run (simulated by removing the last finished cell from results.jsonl) a
 * rerun runs exactly that cell again, and gets the same result (same seed, same data order, same masks). A new
 * results directory that shares the cache reuses the checkpoint and still records its pretraining.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type FinetuneRecord, type PretrainRecord, type ResultRecord, readJsonl } from '../packages/core/src/index';
import { describeCell, loadExperiment, makePlan, runExperiment } from '../packages/runner/src/index';
import { type CliResult, ROOT, fixture, runSummary, ssbench, tempDirs } from './helpers';

const CONFIG = fixture('resume', 'config.json');
const tmp = tempDirs('resume');
afterAll(() => tmp.cleanup());

let out: string;
let cache: string;
let results: string;
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
const parse = (text: string) => lines(text).map((l) => JSON.parse(l) as ResultRecord);

/** 1 model x (1 recipe + scratch) x 1 task x 1 backend x 2 seeds, and 1 pretraining job. */
const FINETUNE_CELLS = 4;

let first: CliResult;
let firstText: string;
let checkpoint: string;
let checkpointMtime: number;

beforeAll(async () => {
  out = join(tmp.make('out'), 'resume');
  cache = join(tmp.make('cache'), 'cache');
  results = join(out, 'results.jsonl');
  first = await ssbench(['run', CONFIG, '--output', out, '--cache', cache]);
  if (!existsSync(results)) throw new Error(`ssbench run wrote no results (status ${first.status}):\n${first.stderr}`);
  firstText = readFileSync(results, 'utf8');
  const pre = parse(firstText).find((r) => r.kind === 'pretrain');
  checkpoint = join((pre as { checkpoint: string }).checkpoint, 'model.safetensors');
  checkpointMtime = statSync(checkpoint).mtimeMs;
});

test('the first run runs every cell', () => {
  expect(first.status, first.stderr).toBe(0);
  expect(runSummary(first.stderr), first.stderr).toEqual({ ran: 1 + FINETUNE_CELLS, resumed: 0, skipped: 0, failed: 0 });
  const records = parse(firstText);
  expect(records.map((r) => r.kind)).toEqual(['pretrain', 'finetune', 'finetune', 'finetune', 'finetune']);
  expect(readdirSync(join(cache, 'pretrain'))).toHaveLength(1);
});

test('a second run redoes nothing: all cells already done, no new lines, the cached checkpoint is used', async () => {
  const again = await ssbench(['run', CONFIG, '--output', out, '--cache', cache]);
  expect(again.status, again.stderr).toBe(0);
  expect(runSummary(again.stderr), again.stderr).toEqual({ ran: 0, resumed: 1 + FINETUNE_CELLS, skipped: 0, failed: 0 });
  expect(readFileSync(results, 'utf8')).toBe(firstText);
  expect(again.stderr).not.toMatch(/^done: /m);
  expect(again.stderr).not.toContain('steps of batch'); // no pretraining
  expect(again.stderr).not.toContain('WordPiece vocabulary'); // the vocabulary is cached too
  expect(statSync(checkpoint).mtimeMs).toBe(checkpointMtime);
  expect(readdirSync(join(cache, 'pretrain'))).toHaveLength(1);
});

test('after an interrupted run, a rerun runs exactly the missing cell again, with the same result', async () => {
  const before = lines(firstText);
  const lastFinetune = before.map((l) => JSON.parse(l) as ResultRecord).findLastIndex((r) => r.kind === 'finetune');
  const lost = JSON.parse(before[lastFinetune]) as FinetuneRecord;
  const kept = before.filter((_, i) => i !== lastFinetune);
  writeFileSync(results, `${kept.join('\n')}\n`);

  const rerun = await ssbench(['run', CONFIG, '--output', out, '--cache', cache]);
  expect(rerun.status, rerun.stderr).toBe(0);
  expect(runSummary(rerun.stderr), rerun.stderr).toEqual({ ran: 1, resumed: FINETUNE_CELLS, skipped: 0, failed: 0 });
  const label = describeCell({ kind: 'finetune', ...lost.cell });
  expect(rerun.stderr.match(/^done: .*$/gm)).toEqual([expect.stringContaining(`done: ${label}: `)]);
  expect(rerun.stderr).not.toContain('steps of batch');
  expect(statSync(checkpoint).mtimeMs).toBe(checkpointMtime);

  const after = lines(readFileSync(results, 'utf8'));
  expect(after.slice(0, kept.length)).toEqual(kept); // earlier lines untouched
  expect(after).toHaveLength(before.length);
  const redone = JSON.parse(after.at(-1) as string) as FinetuneRecord;
  expect(redone.kind).toBe('finetune');
  expect(redone.cell).toEqual(lost.cell);
  expect(redone.metrics).toEqual(lost.metrics);
  expect(redone.lossCurve.map((p) => p.step)).toEqual(lost.lossCurve.map((p) => p.step));
  for (const [i, p] of redone.lossCurve.entries()) expect(p.loss).toBeCloseTo(lost.lossCurve[i].loss, 6);
});

test('a new results directory sharing the cache reuses the checkpoint and records its pretraining', async () => {
  const exp = await loadExperiment(join(ROOT, CONFIG), { outputDir: join(tmp.make('out2'), 'resume') });
  const messages: string[] = [];
  const reporter = { info: (m: string) => messages.push(m), progress: () => {}, cellDone: (c: string) => messages.push(`done: ${c}`) };
  // Only the pretraining job (in-process, to keep it fast): it is found in the cache, not trained again.
  const summary = await runExperiment(exp, makePlan(exp), { reporter, cacheDir: cache, filter: (c) => c.kind === 'pretrain' });
  expect(summary, messages.join('\n')).toMatchObject({ ran: 0, resumed: 1, skipped: 0, failed: 0 });
  expect(messages.some((m) => m.includes('using cached checkpoint'))).toBe(true);
  expect(statSync(checkpoint).mtimeMs).toBe(checkpointMtime);

  const original = parse(firstText).find((r) => r.kind === 'pretrain') as PretrainRecord;
  const copied = readJsonl<PretrainRecord & { fromCache?: boolean }>(summary.resultsFile);
  expect(copied).toHaveLength(1);
  expect(copied[0]).toMatchObject({ kind: 'pretrain', fromCache: true, cell: original.cell, cacheKey: original.cacheKey });
  expect(copied[0].lossCurve).toEqual(original.lossCurve);
  expect(copied[0].provenance.configHash).toBe(exp.hash);
});

/**
 * A contributor's path, end to end, through the command line: `ssbench create-plugin task` scaffolds a package; its
 * own tests pass (`vitest run` in the package, with its own config); an experiment config names the package by path
 * and `ssbench run` fine-tunes and scores a tiny BERT on it, recording the task's metrics, version and source. Nothing
 * outside the scaffolded package is edited: the only step between scaffolding and running is what `npm install`
 * would do (here @ssbench/core is linked from this repository into the package's node_modules).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FinetuneRecord, type ResultRecord, readJsonl } from '../packages/core/src/index';
import { type CliResult, ROOT, runSummary, ssbench, stackTraceLines } from './helpers';

const NAME = 'ssbench-task-e2e-topics';

/** The scratch directory of the test (removed after), the scaffolded package in it, and what the commands returned. */
let tmp: string;
let pkgDir: string;
let create: CliResult;
let ownTests: { status: number | null; output: string };
let run: CliResult;
let invalid: CliResult;
let records: ResultRecord[] = [];

function vitestIn(cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'vitest'), ['run'], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const s of [child.stdout, child.stderr])
      s.setEncoding('utf8').on('data', (d: string) => {
        output += d;
      });
    child.on('error', fail);
    child.on('close', (status) => done({ status, output }));
  });
}

/** A tiny experiment: 2 pretraining steps of a 1-layer BERT, then fine-tuning on the scaffolded task, named by path. */
function config(taskOptions: Record<string, unknown> = {}) {
  return {
    name: 'e2e-create-plugin',
    description: 'tests/create-plugin.test.ts: a task plugin scaffolded by ssbench create-plugin, named by path.',
    seeds: [1],
    models: [{ id: 'bert-t', plugin: '@ssbench/model-bert', options: { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 32 } }],
    pretraining: [
      {
        id: 'mlm',
        objectives: [{ plugin: '@ssbench/objective-bert', options: { mlm: { probability: 0.15 }, sentencePair: 'none' } }],
        corpus: { name: 'sotu', maxDocuments: 2 },
        tokenizer: { vocabSize: 200 },
        steps: 2,
        batchSize: 4,
        seqLen: 32,
      },
    ],
    fromScratch: false,
    tasks: [{ id: 'topics', plugin: `./${NAME}`, options: taskOptions, finetune: { epochs: 2, batchSize: 6, maxSeqLen: 24, optimizer: { lr: 0.001 } } }],
    backends: [{ id: 'ort-cpu', plugin: '@ssbench/backend-onnxruntime', options: { executionProvider: 'cpu' } }],
    referenceBackend: 'ort-cpu',
    timing: { warmupRuns: 1, runs: 2 },
  };
}

/** What `npm install` provides the package from npm: @ssbench/* linked from this repository into its node_modules. */
function link(dir: string, packages: readonly string[]): void {
  mkdirSync(join(dir, 'node_modules', '@ssbench'), { recursive: true });
  for (const p of packages) symlinkSync(join(ROOT, 'packages', p), join(dir, 'node_modules', '@ssbench', p), 'dir');
}

beforeAll(async () => {
  // Inside the repository (the packages resolve vitest from its node_modules, as after an install), in its git-ignored
  // cache directory: out of the globs of the repository's own tests, tsc and lint while the test runs.
  const scratch = join(ROOT, '.ssbench-cache', 'tmp');
  mkdirSync(scratch, { recursive: true });
  tmp = mkdtempSync(join(scratch, 'create-plugin-'));
  create = await ssbench(['create-plugin', 'task', NAME, '--dir', relative(ROOT, tmp)]);
  pkgDir = join(tmp, NAME);
  if (create.status !== 0) throw new Error(`ssbench create-plugin failed (${create.status}):\n${create.stderr}`);
  // `npm install` of the package: its peer/dev dependency @ssbench/core (vitest comes from the repository's root).
  link(pkgDir, ['core']);

  writeFileSync(join(tmp, 'config.json'), JSON.stringify(config(), null, 2));
  writeFileSync(join(tmp, 'invalid.json'), JSON.stringify(config({ split: { dev: 2 } }), null, 2));
  const rel = (f: string) => relative(ROOT, join(tmp, f));
  [ownTests, run, invalid] = await Promise.all([
    vitestIn(pkgDir),
    ssbench(['run', rel('config.json'), '--output', rel('out'), '--cache', rel('cache')]),
    ssbench(['validate', rel('invalid.json')]),
  ]);
  if (existsSync(join(tmp, 'out', 'results.jsonl'))) records = readJsonl<ResultRecord>(join(tmp, 'out', 'results.jsonl'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('ssbench create-plugin task, then ssbench run with it', () => {
  test('create-plugin lists the files it wrote and the next steps', () => {
    expect(create.status, create.stderr).toBe(0);
    for (const f of ['package.json', 'README.md', 'src/index.ts', 'src/data.ts', 'src/index.test.ts', 'vitest.config.ts', 'tsconfig.json'])
      expect(create.stdout).toContain(`\n  ${f}\n`);
    expect(create.stdout).toContain(`created task plugin ${NAME} in ./${relative(ROOT, pkgDir)}:`);
    expect(create.stdout).toContain(`"plugin": "${NAME}"`);
    expect(create.stderr).toBe(''); // a conventional name: no note
    // Not a member of this repository's workspace (tests/ is not in pnpm-workspace.yaml): no changeset here.
    expect(create.stdout).not.toContain('changeset');
    expect(readFileSync(join(pkgDir, 'README.md'), 'utf8')).toContain('no changeset was written');
  });

  test("the package's own tests pass (vitest run in the package, with its own config)", () => {
    expect(ownTests.status, ownTests.output).toBe(0);
    expect(ownTests.output).toMatch(/Test Files\s+1 passed \(1\)/);
    expect(ownTests.output).toMatch(/Tests\s+9 passed \(9\)/);
  });

  test('ssbench run fine-tunes on it and exits 0', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(runSummary(run.stderr)).toEqual({ ran: 2, resumed: 0, skipped: 0, failed: 0 });
  });

  test("results.jsonl has the task's cell with its metrics, version and data source", () => {
    const ft = records.filter((r): r is FinetuneRecord => r.kind === 'finetune');
    expect(ft).toHaveLength(1);
    const [r] = ft;
    expect(r.cell).toMatchObject({ model: 'bert-t', pretraining: 'mlm', task: 'topics', backend: 'ort-cpu', seed: 1 });
    expect(Object.keys(r.metrics).sort()).toEqual(['accuracy', 'macro_f1']);
    expect(Object.keys(r.devMetrics ?? {}).sort()).toEqual(['accuracy', 'macro_f1']);
    expect(r.higherIsBetter).toEqual({ accuracy: true, macro_f1: true });
    // The default split has 6 test sentences (3 per label): accuracy is a whole number of sixths.
    expect(r.metrics.accuracy * 6).toBeCloseTo(Math.round(r.metrics.accuracy * 6), 9);
    for (const v of Object.values(r.metrics)) expect(v >= 0 && v <= 1).toBe(true);
    expect(r.taskVersion).toBe('1.0.0');
    expect(r.taskSource).toContain(`${NAME} src/data.ts`);
    expect(r.provenance.packages[NAME]).toBe('1.0.0');
    expect(r.lossCurve.every((p) => Number.isFinite(p.loss))).toBe(true);
    const report = readFileSync(join(tmp, 'out', 'report.md'), 'utf8');
    expect(report).toContain('### topics (v1.0.0)');
    expect(report).toMatch(/\| model \| backend \| accuracy \(mlm\) \| macro_f1 \(mlm\) \|/);
  });

  test('its options are validated against its schema, errors naming the JSON pointer in the config', () => {
    expect(invalid.status).toBe(2);
    expect(invalid.stderr).toContain(`invalid options for task plugin "${NAME}"`);
    expect(invalid.stderr).toMatch(/invalid\.json: \/tasks\/0\/options\/split\/dev: expected a number <= 1, got 2/);
    expect(stackTraceLines(invalid.stderr)).toEqual([]);
  });
});

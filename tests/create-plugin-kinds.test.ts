/**
 * Every kind `ssbench create-plugin` scaffolds, used together in one `ssbench run`, each named by path: the scaffolded
 * bag-of-embeddings model is pretrained by the scaffolded masked-token objective, fine-tuned on the scaffolded task,
 * on onnxruntime and on the scaffolded backend (the reference interpreter), whose logits must agree. The packages are
 * used as scaffolded; the only step in between is what `npm install` would do (@ssbench/* linked into each package's
 * node_modules). Their own tests run in packages/cli/src/create-plugin.test.ts; the task's whole path through the
 * command line in tests/create-plugin.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPlugin } from '../packages/cli/src/create-plugin';
import { type FinetuneRecord, type PretrainRecord, type ResultRecord, readJsonl } from '../packages/core/src/index';
import { type CliResult, ROOT, runSummary, ssbench } from './helpers';

let tmp: string;
let run: CliResult;
let records: ResultRecord[] = [];

function config() {
  return {
    name: 'e2e-create-plugin-kinds',
    seeds: [1],
    models: [{ id: 'bag', plugin: './ssbench-model-kinds', options: { hiddenSize: 16 } }],
    pretraining: [
      {
        id: 'masked',
        objectives: [{ plugin: './ssbench-objective-kinds', options: { probability: 0.15 } }],
        corpus: { name: 'sotu', maxDocuments: 2 },
        tokenizer: { vocabSize: 200 },
        steps: 5,
        batchSize: 8,
        seqLen: 32,
        optimizer: { lr: 0.01 },
      },
    ],
    fromScratch: false,
    tasks: [{ id: 'topics', plugin: './ssbench-task-kinds', finetune: { epochs: 1, batchSize: 6, maxSeqLen: 24, optimizer: { lr: 0.01 } } }],
    backends: [
      { id: 'ort-cpu', plugin: '@ssbench/backend-onnxruntime', options: { executionProvider: 'cpu' } },
      { id: 'interp', plugin: './ssbench-backend-kinds', options: { precision: 'float64' } },
    ],
    referenceBackend: 'ort-cpu',
    timing: { warmupRuns: 1, runs: 2 },
  };
}

beforeAll(async () => {
  // Inside the repository (the packages resolve vitest from its node_modules, as after an install), in its git-ignored
  // cache directory: out of the globs of the repository's own tests, tsc and lint while the test runs.
  const scratch = join(ROOT, '.ssbench-cache', 'tmp');
  mkdirSync(scratch, { recursive: true });
  tmp = mkdtempSync(join(scratch, 'create-plugin-kinds-'));
  for (const kind of ['task', 'model', 'objective', 'backend'] as const) {
    const dir = createPlugin({ kind, name: `ssbench-${kind}-kinds`, parentDir: tmp }).dir;
    mkdirSync(join(dir, 'node_modules', '@ssbench'), { recursive: true });
    for (const p of kind === 'task' ? ['core'] : ['core', 'graph']) symlinkSync(join(ROOT, 'packages', p), join(dir, 'node_modules', '@ssbench', p), 'dir');
  }
  writeFileSync(join(tmp, 'config.json'), JSON.stringify(config(), null, 2));
  const rel = (f: string) => relative(ROOT, join(tmp, f));
  run = await ssbench(['run', rel('config.json'), '--output', rel('out'), '--cache', rel('cache')]);
  records = readJsonl<ResultRecord>(join(tmp, 'out', 'results.jsonl'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the scaffolded model is pretrained by the scaffolded objective, then fine-tuned on the task on two backends', () => {
  expect(run.status, run.stderr).toBe(0);
  expect(runSummary(run.stderr)).toEqual({ ran: 3, resumed: 0, skipped: 0, failed: 0 });
  const pre = records.filter((r): r is PretrainRecord => r.kind === 'pretrain');
  expect(pre.map((r) => r.cell)).toEqual([{ model: 'bag', pretraining: 'masked', backend: 'ort-cpu', seed: 1 }]);
  expect(pre[0].lossCurve.at(-1)?.step).toBe(5);
  expect(pre[0].lossCurve.every((p) => Number.isFinite(p.loss) && p.metrics?.mlm_accuracy !== undefined)).toBe(true);
  const ft = records.filter((r): r is FinetuneRecord => r.kind === 'finetune');
  expect(ft.map((r) => r.cell.backend).sort()).toEqual(['interp', 'ort-cpu']);
  for (const r of ft) {
    expect(r.cell).toMatchObject({ model: 'bag', pretraining: 'masked', task: 'topics' });
    expect(Object.keys(r.metrics).sort()).toEqual(['accuracy', 'macro_f1']);
    expect(r.taskVersion).toBe('1.0.0');
  }
  const interp = ft.find((r) => r.cell.backend === 'interp') as FinetuneRecord;
  expect(interp.provenance.backend.version).toContain('ssbench-backend-kinds 0.1.0');
  expect(interp.provenance.packages).toMatchObject({
    'ssbench-model-kinds': '0.1.0',
    'ssbench-objective-kinds': '0.1.0',
    'ssbench-backend-kinds': '0.1.0',
    'ssbench-task-kinds': '1.0.0',
  });
  // The interpreter backend gives onnxruntime's logits on the same weights and inputs.
  expect(interp.parity?.referenceBackend).toBe('ort-cpu');
  expect(interp.parity?.maxAbsDiff).toBeLessThan(1e-4);
});

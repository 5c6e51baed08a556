/**
 * Every bundled task trains and evaluates from a config on both CPU backends (onnxruntime cpu and tfjs wasm), on its
 * real data with small caps and a tiny BERT: one finetune record per task and backend, metrics finite, logit parity
 * of tfjs-wasm against onnxruntime within 1e-4. A task whose data is not ready on this machine (`ssbench data
 * list`) is left out with a message; .ci/run installs or prepares the data of all but the mma grooves (a 5-10
 * minute render: `ssbench data prepare mma-grooves`).
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FinetuneRecord, ResultRecord, TaskPlugin } from '../packages/core/src/index';
import { ROOT, ssbench, tempDirs } from './helpers';

const tmp = tempDirs('all-tasks');
afterAll(() => tmp.cleanup());
const repoData = join(ROOT, '.ssbench-cache', 'data');

const ft = (maxSeqLen: number) => ({ epochs: 1, batchSize: 16, maxSeqLen, optimizer: { lr: 0.001 } });
/** Each bundled task with small caps, and the data set it needs. */
const TASKS = [
  { id: 'pos', plugin: '@ssbench/task-pos', dataset: 'brown', options: { maxTrainSentences: 48, maxEvalSentences: 24 }, finetune: ft(64) },
  { id: 'pairs', plugin: '@ssbench/task-pairs', dataset: 'bible-kjv-web', options: { maxExamples: { train: 48, dev: 16, test: 24 } }, finetune: ft(64) },
  { id: 'qa', plugin: '@ssbench/task-qa', dataset: 'sotu-cloze', options: { caps: { train: 32, dev: 8, test: 16 } }, finetune: ft(128) },
  { id: 'dna', plugin: '@ssbench/task-dna', dataset: 'splice-junctions', options: { dataset: 'splice', split: { dev: 0.02, test: 0.02 } }, finetune: ft(64), symbols: true },
  { id: 'protein', plugin: '@ssbench/task-protein', dataset: 'prokka-genus-proteins', options: { dataset: 'genus', maxPerClass: 30 }, finetune: ft(64), symbols: true },
  { id: 'music', plugin: '@ssbench/task-music', dataset: 'mma-grooves', options: { dataset: 'grooves' }, finetune: ft(64), symbols: true },
  { id: 'handbook', plugin: '@ssbench/task-handbook', dataset: 'debian-handbook', options: { trainPerChapter: 4, devPerChapter: 1, testPerChapter: 2 }, finetune: ft(64) },
];

async function ready(plugin: string, dataset: string): Promise<boolean> {
  const mod = (await import(join(ROOT, 'plugins', plugin.replace('@ssbench/', ''), 'src', 'index.ts'))) as { default: TaskPlugin };
  const status = await mod.default.datasetStatus?.(dataset, { dataDir: repoData });
  if (status && !status.ready) console.warn(`all-tasks: leaving out ${plugin} (${dataset} not ready: ${status.detail})`);
  return status?.ready ?? true;
}

describe('every bundled task on both CPU backends', () => {
  let records: ResultRecord[] = [];
  const chosen: typeof TASKS = [];
  let stderr = '';
  beforeAll(async () => {
    for (const t of TASKS) if (await ready(t.plugin, t.dataset)) chosen.push(t);
    const dir = tmp.make('run');
    const cache = join(dir, 'cache');
    mkdirSync(cache, { recursive: true });
    if (existsSync(repoData)) symlinkSync(repoData, join(cache, 'data'));
    const config = {
      name: 'e2e-all-tasks',
      seeds: [1],
      models: [{ id: 'bert-t', plugin: '@ssbench/model-bert', options: { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 128 } }],
      pretraining: [
        {
          id: 'mlm',
          objectives: [{ plugin: '@ssbench/objective-bert', options: { mlm: { probability: 0.15 }, sentencePair: 'none' } }],
          corpus: { name: 'sotu', maxDocuments: 3 },
          tokenizer: { vocabSize: 700 },
          steps: 3,
          batchSize: 4,
          seqLen: 32,
          optimizer: { lr: 0.001 },
        },
      ],
      fromScratch: false,
      tasks: chosen.map(({ id, plugin, options, finetune, symbols }) => ({ id, plugin, options, finetune, ...(symbols ? { symbols: { seed: 100, skipIds: 100 } } : {}) })),
      backends: [
        { id: 'ort-cpu', plugin: '@ssbench/backend-onnxruntime', options: { executionProvider: 'cpu' } },
        { id: 'tfjs-wasm', plugin: '@ssbench/backend-tfjs', options: { device: 'wasm' } },
      ],
      referenceBackend: 'ort-cpu',
      timing: { warmupRuns: 1, runs: 1 },
    };
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(config, null, 2));
    const out = join(dir, 'out');
    const r = await ssbench(['run', file, '--output', out, '--cache', cache], { timeoutMs: 280_000 });
    stderr = r.stderr;
    const results = join(out, 'results.jsonl');
    if (!existsSync(results)) throw new Error(`no results (status ${r.status}):\n${r.stderr}`);
    records = readFileSync(results, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as ResultRecord);
  }, 300_000);

  test('the text tasks with npm data are always there', () => {
    expect(chosen.map((t) => t.id)).toEqual(expect.arrayContaining(['pos', 'qa']));
  });

  test('each task has a finished cell on each backend, with finite metrics and logit parity', () => {
    const skipped = records.filter((r) => r.kind === 'skipped');
    expect(skipped, stderr).toEqual([]);
    for (const t of chosen)
      for (const backend of ['ort-cpu', 'tfjs-wasm']) {
        const r = records.find((x): x is FinetuneRecord => x.kind === 'finetune' && x.cell.task === t.id && x.cell.backend === backend);
        expect(r, `${t.id} on ${backend}`).toBeDefined();
        const metrics = Object.values(r?.metrics ?? {});
        expect(metrics.length, `${t.id} metrics`).toBeGreaterThan(0);
        for (const v of metrics) expect(Number.isFinite(v), `${t.id} metric ${v}`).toBe(true);
        if (backend === 'tfjs-wasm') expect(r?.parity?.maxAbsDiff ?? Number.NaN, `${t.id} parity`).toBeLessThan(1e-4);
      }
  });
});

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendJsonl,
  type BenchRecord,
  type FinetuneRecord,
  isResultRecord,
  type PretrainRecord,
  type Provenance,
  type ResultRecord,
  readJsonl,
  readResults,
  resultRecordProblems,
  type SkippedRecord,
  summarizeTiming,
  toJsonLine,
  writeFileAtomic,
} from './results';
import { caught } from './testkit';

const provenance: Provenance = {
  configHash: 'a'.repeat(64),
  configName: 'quickstart',
  gitSha: '0123456789abcdef0123456789abcdef01234567',
  packages: { '@ssbench/core': '0.1.0', '@ssbench/model-bert': '0.1.0' },
  backend: { name: '@ssbench/backend-onnxruntime', device: 'cpu', version: 'onnxruntime-node 1.22.0' },
  machine: { cpu: 'Test CPU', cores: 8, memoryBytes: 16 * 2 ** 30, platform: 'linux 6.1', node: 'v20.20.2' },
  startedAt: '2025-01-01T00:00:00.000Z',
  finishedAt: '2025-01-01T00:01:00.000Z',
};

const timing = { warmup: [12.5, 3.1], median: 2.9, p90: 3.3, runs: 20 };

const finetune: FinetuneRecord = {
  kind: 'finetune',
  cell: { model: 'bert-mini', pretraining: 'mlm-nsp', task: 'sentiment', backend: 'tfjs-cpu', seed: 1 },
  metrics: { accuracy: 0.81, f1: 0.8 },
  devMetrics: { accuracy: 0.79 },
  higherIsBetter: { accuracy: true, f1: true },
  lossCurve: [
    { step: 0, loss: 0.69 },
    { step: 10, loss: 0.5 },
  ],
  devCurve: [{ epoch: 1, step: 10, metrics: { accuracy: 0.79 } }],
  timings: { trainStepMs: timing, inferenceMs: timing, compileMs: 120 },
  peakMemoryBytes: 300_000_000,
  parity: { referenceBackend: 'ort-cpu', maxAbsDiff: 3e-6, lossCurveMaxAbsDiff: 1e-5 },
  provenance,
};

const scratch: FinetuneRecord = { ...finetune, cell: { ...finetune.cell, pretraining: null, backend: 'ort-cpu' }, parity: null };

const pretrain: PretrainRecord = {
  kind: 'pretrain',
  cell: { model: 'bert-mini', pretraining: 'mlm-nsp', backend: 'ort-cpu', seed: 1 },
  cacheKey: 'b'.repeat(64),
  lossCurve: [{ step: 0, loss: 7.1, metrics: { mlmAccuracy: 0.01 } }],
  timings: { trainStepMs: timing, compileMs: 300, tokensPerSecond: 12000 },
  peakMemoryBytes: 400_000_000,
  provenance,
};

const bench: BenchRecord = {
  kind: 'bench',
  cell: { model: 'bert-mini', backend: 'ort-cpu', mode: 'train-step', seed: 1 },
  workload: { batchSize: 8, seqLen: 64, threads: 1 },
  timings: { stepMs: timing, compileMs: 250, tokensPerSecond: 18000 },
  peakMemoryBytes: 200_000_000,
  provenance,
};

const skipped: SkippedRecord = {
  kind: 'skipped',
  stage: 'finetune',
  cell: { model: 'bert-mini', pretraining: null, task: 'sentiment', backend: 'tfjs-gpu', seed: 2 },
  reason: 'tfjs-node-gpu is not installed',
  provenance,
};

/** What a consumer does with the union: switch on kind, then on stage. */
function describeRecord(r: ResultRecord): string {
  switch (r.kind) {
    case 'finetune':
      return `finetune ${r.cell.task} ${r.metrics.accuracy}`;
    case 'pretrain':
      return `pretrain ${r.cacheKey.slice(0, 4)}`;
    case 'bench':
      return `bench ${r.cell.mode} ${r.timings.stepMs.median}`;
    case 'skipped':
      return r.stage === 'finetune' ? `skipped ${r.cell.task}: ${r.reason}` : `skipped ${r.stage}: ${r.reason}`;
    case 'incontext':
      return `incontext ${r.cell.task} ${r.shots.map((s) => `${s.k}:${s.acc}`).join(' ')}`;
    case 'probe':
      return `probe ${r.cell.model} ${r.crossLingual?.layers.length ?? 0} layers`;
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ssbench-results-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('result records', () => {
  it('round-trip through appendJsonl and readResults, one line each', () => {
    const file = path.join(dir, 'run1', 'results.jsonl'); // the directory is created
    for (const r of [finetune, scratch, pretrain, bench, skipped]) appendJsonl(file, r);
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(6);
    const back = readResults(file);
    expect(back).toEqual([finetune, scratch, pretrain, bench, skipped]);
    expect(back.map(describeRecord)).toEqual([
      'finetune sentiment 0.81',
      'finetune sentiment 0.81',
      'pretrain bbbb',
      'bench train-step 2.9',
      'skipped sentiment: tfjs-node-gpu is not installed',
    ]);
    expect(readJsonl<ResultRecord>(file)).toEqual(back);
  });

  it('resultRecordProblems checks the shape', () => {
    for (const r of [finetune, pretrain, bench, skipped]) expect(isResultRecord(r)).toBe(true);
    expect(resultRecordProblems({ kind: 'nope', cell: {}, provenance: { configHash: 'x' } })).toEqual([
      '"kind" must be one of "finetune", "pretrain", "bench", "skipped", "incontext", "probe", got "nope"',
    ]);
    expect(resultRecordProblems({ kind: 'finetune', cell: {}, provenance: {} })).toEqual([
      'missing "provenance.configHash"',
      'missing "lossCurve"',
      'missing "metrics"',
    ]);
    expect(resultRecordProblems({ kind: 'skipped', cell: {}, provenance: { configHash: 'x' } })).toEqual(['missing "reason"']);
    expect(resultRecordProblems([])).toEqual(['not an object']);
  });

  it('readResults names the line of a record with the wrong shape', () => {
    const file = path.join(dir, 'shape.jsonl');
    writeFileSync(file, `${JSON.stringify(pretrain)}\n\n{"kind":"finetune"}\n`);
    const err = caught(() => readResults(file));
    expect(err.code).toBe('data');
    expect(err.line).toBe(3);
    expect(err.message).toContain(`${file}:3: not a result record: missing "cell"`);
  });
});

describe('appendJsonl', () => {
  it('refuses NaN and infinities, naming where they are, and leaves the file as it was', () => {
    const file = path.join(dir, 'nan.jsonl');
    appendJsonl(file, { ok: 1 });
    const diverged = { ...pretrain, lossCurve: [{ step: 0, loss: 7 }, { step: 10, loss: Number.NaN }] };
    expect(() => appendJsonl(file, diverged)).toThrow('cannot write NaN at /lossCurve/1/loss as JSON');
    expect(() => toJsonLine({ a: { 'x/y': Number.POSITIVE_INFINITY } })).toThrow('at /a/x~1y');
    expect(readFileSync(file, 'utf8')).toBe('{"ok":1}\n');
  });

  it('concurrent appenders from several processes never interleave lines', async () => {
    const file = path.join(dir, 'concurrent.jsonl');
    const resultsModule = pathToFileURL(fileURLToPath(new URL('./results.ts', import.meta.url))).href;
    const script = path.join(dir, 'appender.ts');
    writeFileSync(
      script,
      [
        `import { appendJsonl } from ${JSON.stringify(resultsModule)};`,
        'const [file, id] = process.argv.slice(2);',
        `const pad = 'x'.repeat(3000);`,
        'for (let i = 0; i < 100; i++) appendJsonl(file, { id, i, pad });',
      ].join('\n'),
    );
    const coreDir = fileURLToPath(new URL('..', import.meta.url)); // tsx resolves from here (workspace root)
    const run = (id: string) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, file, id], { cwd: coreDir, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`appender ${id} exited ${code}: ${stderr}`))));
      });
    await Promise.all(['a', 'b', 'c', 'd'].map(run));
    const rows = readJsonl<{ id: string; i: number; pad: string }>(file);
    expect(rows).toHaveLength(400);
    for (const id of ['a', 'b', 'c', 'd']) {
      // Each writer's lines are all there, whole and in its order.
      expect(rows.filter((r) => r.id === id).map((r) => r.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    }
    expect(rows.every((r) => r.pad.length === 3000)).toBe(true);
  });
});

describe('readJsonl', () => {
  it('skips blank lines and accepts CRLF', () => {
    const file = path.join(dir, 'blank.jsonl');
    writeFileSync(file, '{"a":1}\r\n\n  \n{"a":2}\n');
    expect(readJsonl(file)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('reports the line and column of a corrupt line', () => {
    const file = path.join(dir, 'corrupt.jsonl');
    writeFileSync(file, '{"a":1}\n{"a":2}\n{"a":3,,}\n{"a":4}\n');
    const err = caught(() => readJsonl(file));
    expect(err.code).toBe('data');
    expect(err.exitCode).toBe(2);
    expect(err.line).toBe(3);
    expect(err.column).toBe(8);
    expect(err.message).toBe(`${file}:3:8: corrupt JSON line: expected a property name in double quotes, got ","`);
    expect(err.hint).toBeUndefined();
  });

  it('says when the last line is incomplete (an interrupted write)', () => {
    const file = path.join(dir, 'truncated.jsonl');
    writeFileSync(file, '{"a":1}\n{"a":2,"b":[1,');
    const err = caught(() => readJsonl(file));
    expect(err.line).toBe(2);
    expect(err.hint).toBe('the last line is incomplete: was a run interrupted while writing?');
    expect(err.message).toContain('(the last line is incomplete');
  });

  it('a missing file names the path', () => {
    const err = caught(() => readJsonl(path.join(dir, 'missing.jsonl')));
    expect(err.code).toBe('data');
    expect(err.message).toBe(`file not found: ${path.join(dir, 'missing.jsonl')}`);
  });
});

describe('writeFileAtomic', () => {
  it('writes and replaces whole files, leaving no temporary files', () => {
    const sub = path.join(dir, 'atomic', 'deep');
    const file = path.join(sub, 'summary.json');
    writeFileAtomic(file, '{"v":1}');
    expect(readFileSync(file, 'utf8')).toBe('{"v":1}');
    writeFileAtomic(file, new Uint8Array([0x7b, 0x7d]));
    expect(readFileSync(file, 'utf8')).toBe('{}');
    expect(readdirSync(sub)).toEqual(['summary.json']);
  });

  it('on failure throws and removes its temporary file, leaving the target alone', () => {
    const sub = path.join(dir, 'atomic-fail');
    const target = path.join(sub, 'is-a-dir');
    mkdirSync(path.join(target, 'child'), { recursive: true });
    expect(() => writeFileAtomic(target, 'x')).toThrow();
    expect(readdirSync(sub)).toEqual(['is-a-dir']);
    expect(readdirSync(target)).toEqual(['child']);
  });
});

describe('summarizeTiming', () => {
  it('keeps warm-up apart and takes median and p90 of the rest', () => {
    // timed: 5 4 3 2 1 -> sorted 1 2 3 4 5: median 3; p90 at index 0.9*4 = 3.6: 4 + 0.6*(5-4) = 4.6
    const t = summarizeTiming([100, 50, 5, 4, 3, 2, 1], 2);
    expect(t.warmup).toEqual([100, 50]);
    expect(t.median).toBe(3);
    expect(t.p90).toBeCloseTo(4.6, 12);
    expect(t.runs).toBe(5);
    expect(summarizeTiming([7], 0)).toEqual({ warmup: [], median: 7, p90: 7, runs: 1 });
    expect(() => summarizeTiming([1, 2], 2)).toThrow(/no timed run/);
  });
});

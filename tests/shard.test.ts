/**
 * Sharding (tests/fixtures/shard: 1 pretraining job, 4 fine-tuning cells on onnxruntime CPU): an unsharded run,
 * then `--shard 1/2` and `--shard 2/2` side by side, each with its own cache (as on separate machines, so each
 * pretrains), then `ssbench merge`. The merged cells are the unsharded run's, with exactly the same metrics and
 * loss curves (same seed, same backend, same machine: the runs are deterministic, so equality is exact).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type ResultRecord, readResults } from '../packages/core/src/index';
import { cellKey, loadExperiment, makePlan, runExperiment } from '../packages/runner/src/index';
import { type CliResult, ROOT, fixture, runSummary, ssbench, stackTraceLines, tempDirs } from './helpers';

const tmp = tempDirs('shard');
afterAll(() => tmp.cleanup());

const key = (r: ResultRecord) =>
  r.kind === 'skipped' ? `skipped ${r.stage}` : cellKey({ kind: r.kind, ...(r.cell as object) } as Parameters<typeof cellKey>[0]);
const finished = (records: readonly ResultRecord[]) => records.filter((r) => r.kind !== 'skipped');

let config: string;
let sweep: string;
let full: ResultRecord[];
let shards: CliResult[];
let merge: CliResult;

beforeAll(async () => {
  const base = tmp.make();
  sweep = join(base, 'sweep');
  // The fixture with output.dir set, so that the shards' default directories (<output.dir>/shard-i-of-2) are used.
  const text = JSON.parse(readFileSync(join(ROOT, fixture('shard', 'config.json')), 'utf8')) as Record<string, unknown>;
  config = join(base, 'config.json');
  writeFileSync(config, JSON.stringify({ ...text, $schema: undefined, output: { dir: sweep } }, null, 2));

  // The shards as a CI matrix would run them (separate caches and output directories); the unsharded run meanwhile
  // in this process (the same code as `ssbench run`, without another process start).
  const unsharded = async () => {
    const exp = await loadExperiment(config, { outputDir: join(base, 'full') });
    const log: string[] = [];
    const reporter = { info: (m: string) => log.push(m), progress: () => {}, cellDone: () => {} };
    const summary = await runExperiment(exp, makePlan(exp), { reporter, cacheDir: join(base, 'cache-full') });
    if (summary.ran !== 5) throw new Error(`unsharded run: ${JSON.stringify(summary)}\n${log.join('\n')}`);
    return readResults(summary.resultsFile);
  };
  [full, ...shards] = await Promise.all([unsharded(), ...[1, 2].map((i) => ssbench(['run', config, '--shard', `${i}/2`, '--cache', join(base, `cache-${i}`)]))]);
  merge = await ssbench(['merge', sweep, join(sweep, 'shard-1-of-2'), join(sweep, 'shard-2-of-2', 'results.jsonl')]);
});

test('each shard runs alone: its own pretraining and half of the fine-tuning cells, in <output>/shard-i-of-2', () => {
  expect(finished(full).map((r) => r.kind)).toEqual(['pretrain', 'finetune', 'finetune', 'finetune', 'finetune']);
  const parts: ResultRecord[][] = [];
  for (const [i, s] of shards.entries()) {
    expect(s.status, s.stderr).toBe(0);
    expect(s.stderr).toContain(`shard ${i + 1}/2: 1 of 1 pretraining job(s), 2 of 4 fine-tuning cell(s), 0 of 0 in-context cell(s)`);
    expect(s.stderr).toContain('steps of batch'); // pretrained here: no shared cache
    expect(runSummary(s.stderr), s.stderr).toEqual({ ran: 3, resumed: 0, skipped: 0, failed: 0 });
    const dir = join(sweep, `shard-${i + 1}-of-2`);
    expect(existsSync(join(dir, 'report.md'))).toBe(true);
    parts.push(readResults(join(dir, 'results.jsonl')));
  }
  const ft = parts.map((p) => p.filter((r) => r.kind === 'finetune').map(key));
  expect(ft[0].filter((k) => ft[1].includes(k))).toEqual([]); // disjoint
  expect([...ft[0], ...ft[1]].sort()).toEqual(full.filter((r) => r.kind === 'finetune').map(key).sort());
});

test('merge: the unsharded run\'s cells, with exactly equal metrics and loss curves', () => {
  expect(merge.status, merge.stderr).toBe(0);
  expect(merge.stderr).toMatch(/merged 2 file\(s\), 6 record\(s\) -> .*: 5 record\(s\) \(1 duplicate\(s\), 0 skip\(s\) of finished cells dropped\)/);
  const merged = readResults(join(sweep, 'results.jsonl'));
  expect(merged.map(key).sort()).toEqual(full.map(key).sort());
  const byKey = new Map(full.map((r) => [key(r), r as unknown as Record<string, unknown>]));
  for (const r of merged as unknown as Record<string, unknown>[]) {
    const ref = byKey.get(key(r as unknown as ResultRecord)) as Record<string, unknown>;
    expect(r.lossCurve, key(r as unknown as ResultRecord)).toEqual(ref.lossCurve);
    if (r.kind === 'finetune') {
      expect(r.metrics).toEqual(ref.metrics);
      expect(r.devMetrics).toEqual(ref.devMetrics);
    }
  }
  const report = readFileSync(join(sweep, 'report.md'), 'utf8');
  expect(report).toContain('# ssbench report: e2e-shard');
  expect(report).toContain('4 fine-tuning cell(s), 1 pretraining job(s), 0 skipped');
});

test('merge refuses a conflicting result, naming the cell and both files; a bad --shard is refused', async () => {
  const lines = readFileSync(join(sweep, 'shard-1-of-2', 'results.jsonl'), 'utf8').trim().split('\n');
  const at = lines.findIndex((l) => JSON.parse(l).kind === 'finetune');
  const tampered = JSON.parse(lines[at]);
  tampered.metrics.accuracy += 0.25;
  const bad = join(tmp.make('bad'), 'results.jsonl');
  writeFileSync(bad, `${JSON.stringify(tampered)}\n`);
  const out = join(tmp.make('out'), 'merged');
  const [r, badShard] = await Promise.all([ssbench(['merge', out, join(sweep, 'shard-1-of-2'), bad]), ssbench(['run', config, '--shard', '3/2'])]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('conflicting results for finetune bert-t');
  expect(r.stderr).toContain(`${join(sweep, 'shard-1-of-2', 'results.jsonl')}:${at + 1}`);
  expect(r.stderr).toContain(`${bad}:1`);
  expect(r.stderr).toContain('/metrics/accuracy');
  expect(stackTraceLines(r.stderr)).toEqual([]);
  expect(existsSync(join(out, 'results.jsonl'))).toBe(false);

  expect(badShard.status).toBe(2);
  expect(badShard.stderr).toContain('--shard must be i/n with whole numbers 1 <= i <= n');
  expect(stackTraceLines(badShard.stderr)).toEqual([]);
});

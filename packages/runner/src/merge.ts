/**
 * Merging result files of one config (`ssbench merge`): the shards of a sweep (`ssbench run --shard i/n`), or
 * runs of the same config on several machines.
 *
 * - Every record must come from the same config (provenance.configHash); files of different configs are
 *   refused, naming them.
 * - Records of the same cell (kind + cellKey) are duplicates when their deterministic content agrees: metrics,
 *   dev metrics, loss and dev curves and task version (fine-tuning), the loss curve (pretraining), the per-shot
 *   accuracies (in-context), the probe results (probe). Numbers agree when |a - b| <= tolerance * max(1, |a|, |b|) (default 1e-6).
 *   Timings, memory, parity and provenance (times, machine, checkpoint path) legitimately differ and are not
 *   compared. The first record in the order the files are given is kept.
 * - The same cell with different content is a conflict: refused, naming the cell, both files and lines, and the
 *   first field that differs.
 * - A skipped record is dropped when any file has the cell finished; identical skips (cell and reason) are kept
 *   once.
 * - The output is sorted (pretraining, fine-tuning, in-context, probe, bench, skipped; then model, task, start, seed,
 *   backend with the reference backend first), so it does not depend on the order of the files.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ResultRecord, SsbenchError, readResults, writeFileAtomic } from '@ssbench/core';
import { type FinetuneCell, type IncontextCell, type PretrainJob, type ProbeCell, cellInit, cellKey, describeCell } from './plan';

/** Records of one results file; `lines` are their 1-based line numbers in it (for messages), when known. */
export interface MergeInput {
  name: string;
  records: readonly ResultRecord[];
  lines?: readonly number[];
}

export interface MergeOptions {
  /** Relative tolerance of numbers in the compared content (default 1e-6; 0: exact). */
  tolerance?: number;
}

export interface MergeResult {
  /** The merged records, sorted. */
  records: ResultRecord[];
  /** The config hash and name all records share (null when there are no records). */
  configHash: string | null;
  configName: string | null;
  /** Records read from all inputs. */
  read: number;
  /** Records dropped because an agreeing record of the same cell was kept. */
  duplicates: number;
  /** Skipped records dropped because the cell finished in some file. */
  droppedSkips: number;
  /** Things worth knowing that do not stop the merge (different code versions across files). */
  warnings: string[];
}

export const DEFAULT_MERGE_TOLERANCE = 1e-6;

/** A results file, or a results directory (its results.jsonl). */
export function resultsFileOf(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, 'results.jsonl') : path;
}

/** Reads each file (or directory) and merges them; see the module comment. */
export function mergeResults(paths: readonly string[], options: MergeOptions = {}): MergeResult {
  const inputs = paths.map((p): MergeInput => {
    const file = resultsFileOf(p);
    if (!existsSync(file)) throw new SsbenchError('data', `results file not found: ${file}`, { file });
    const records = readResults(file);
    const lines: number[] = [];
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((l, i) => {
        if (l.trim() !== '') lines.push(i + 1);
      });
    return { name: file, records, lines };
  });
  return mergeRecords(inputs, options);
}

type AnyCell = PretrainJob | FinetuneCell | IncontextCell | ProbeCell;
type Loose = Record<string, unknown>;

function cellOf(r: ResultRecord): Loose {
  return (r as unknown as { cell: Loose }).cell;
}

/** The kind a record's cell has (a skipped record's stage). */
function stageOf(r: ResultRecord): string {
  return r.kind === 'skipped' ? r.stage : r.kind;
}

/** Key of a record's cell, the same for a finished record and a skip of that cell. */
function keyOf(r: ResultRecord): string {
  const stage = stageOf(r);
  const c = cellOf(r);
  if (stage === 'bench') return JSON.stringify(['bench', c.model, c.backend, c.mode, c.seed]);
  return cellKey({ kind: stage, ...c } as unknown as AnyCell);
}

function label(r: ResultRecord): string {
  const stage = stageOf(r);
  if (stage === 'bench') return `bench ${JSON.stringify(cellOf(r))}`;
  return describeCell({ kind: stage, ...cellOf(r) } as unknown as AnyCell);
}

/** The part of a record that a rerun of its cell reproduces. */
function deterministicContent(r: ResultRecord): Loose {
  const x = r as unknown as Loose;
  switch (r.kind) {
    case 'finetune':
      return { metrics: x.metrics, devMetrics: x.devMetrics, lossCurve: x.lossCurve, evalLossCurve: x.evalLossCurve, devCurve: x.devCurve, taskVersion: x.taskVersion };
    case 'pretrain':
      return { lossCurve: x.lossCurve };
    case 'incontext':
      return { shots: x.shots, taskVersion: x.taskVersion };
    case 'probe':
      return { crossLingual: x.crossLingual, contextual: x.contextual };
    case 'bench':
      return { workload: x.workload };
    default: {
      // A kind this version does not know: everything but what legitimately differs between runs.
      const { timings: _t, provenance: _p, peakMemoryBytes: _m, backendMemoryBytes: _b, checkpoint: _c, fromCache: _f, parity: _q, ...rest } = x;
      return rest;
    }
  }
}

/** The first place two values differ, as "pointer: a vs b", or null when they agree. */
export function firstDifference(a: unknown, b: unknown, tolerance: number, at = ''): string | null {
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b || Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b))) return null;
    return `${at || '/'}: ${a} vs ${b}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${at || '/'}: ${a.length} vs ${b.length} entries`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], tolerance, `${at}/${i}`);
      if (d) return d;
    }
    return null;
  }
  const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a as Loose), ...Object.keys(b as Loose)])].sort();
    for (const k of keys) {
      const d = firstDifference((a as Loose)[k], (b as Loose)[k], tolerance, `${at}/${k}`);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${at || '/'}: ${show(a)} vs ${show(b)}`;
}

interface Origin {
  record: ResultRecord;
  input: MergeInput;
  index: number;
}

function where(o: Origin): string {
  const line = o.input.lines?.[o.index];
  return line === undefined ? `${o.input.name} (record ${o.index + 1})` : `${o.input.name}:${line}`;
}

/** Merges records already read; see the module comment. */
export function mergeRecords(inputs: readonly MergeInput[], options: MergeOptions = {}): MergeResult {
  const tolerance = options.tolerance ?? DEFAULT_MERGE_TOLERANCE;
  if (!(tolerance >= 0)) throw new SsbenchError('config', `the merge tolerance must be a number >= 0, got ${tolerance}`);

  // ---- one config --------------------------------------------------------------------------------------------
  let config: { hash: string; name: string; origin: Origin } | null = null;
  for (const input of inputs)
    for (const [index, record] of input.records.entries()) {
      const { configHash, configName } = record.provenance;
      if (!config) config = { hash: configHash, name: configName, origin: { record, input, index } };
      else if (configHash !== config.hash)
        throw new SsbenchError(
          'data',
          `results of different configs cannot be merged: ${where(config.origin)} is config "${config.name}" (hash ${config.hash.slice(0, 12)}), ` +
            `${where({ record, input, index })} is config "${configName}" (hash ${configHash.slice(0, 12)})`,
          { file: input.name, hint: 'merge only the shards (or runs) of one version of one config' },
        );
    }

  // ---- de-duplicate ------------------------------------------------------------------------------------------
  const finished = new Map<string, Origin>();
  const skips = new Map<string, Origin>();
  let read = 0;
  let duplicates = 0;
  for (const input of inputs)
    for (const [index, record] of input.records.entries()) {
      read++;
      const key = keyOf(record);
      const origin = { record, input, index };
      if (record.kind === 'skipped') {
        const k = JSON.stringify([key, record.reason]);
        if (skips.has(k)) duplicates++;
        else skips.set(k, origin);
        continue;
      }
      const kept = finished.get(key);
      if (!kept) {
        finished.set(key, origin);
        continue;
      }
      const diff = firstDifference(deterministicContent(kept.record), deterministicContent(record), tolerance);
      if (diff)
        throw new SsbenchError(
          'data',
          `conflicting results for ${label(record)}: ${where(kept)} and ${where(origin)} differ at ${diff}`,
          {
            file: input.name,
            hint:
              record.kind === 'pretrain'
                ? 'shards that pretrain separately (on different machines) can differ: share the cache (--cache) or pretrain first (ssbench run --only pretrain), or allow the difference with --tolerance'
                : 'the same cell ran twice with different results: were the files made by different code versions or machines? Keep one of them, or allow the difference with --tolerance',
          },
        );
      duplicates++;
    }
  const finishedKeys = new Set(finished.keys());
  const keptSkips = [...skips.values()].filter((o) => !finishedKeys.has(keyOf(o.record)));
  const droppedSkips = skips.size - keptSkips.length;

  // ---- order -------------------------------------------------------------------------------------------------
  const all = [...finished.values(), ...keptSkips].map((o) => o.record);
  const reference = all.map((r) => (r as unknown as { parity?: { referenceBackend?: string } | null }).parity?.referenceBackend).find((b) => typeof b === 'string');
  const rank = (r: ResultRecord) => ['pretrain', 'finetune', 'incontext', 'probe', 'bench', 'skipped'].indexOf(r.kind);
  const sortKey = (r: ResultRecord): (string | number)[] => {
    const c = cellOf(r);
    const pre = c.pretraining as string | null | undefined;
    const init = stageOf(r) === 'finetune' ? cellInit(c as { pretraining: string | null }) : '';
    return [
      rank(r),
      stageOf(r),
      String(c.model ?? ''),
      String(c.task ?? c.mode ?? ''),
      pre === null ? 1 : 0,
      pre ?? '',
      init,
      Number(c.seed ?? 0),
      c.backend === reference ? 0 : 1,
      String(c.backend ?? ''),
      r.kind === 'skipped' ? r.reason : '',
    ];
  };
  const cmp = (a: (string | number)[], b: (string | number)[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
  };
  const records = all.map((r) => ({ r, k: sortKey(r) })).sort((a, b) => cmp(a.k, b.k)).map((x) => x.r);

  // ---- code versions ------------------------------------------------------------------------------------------
  const warnings: string[] = [];
  const shas = new Map<string, string[]>();
  for (const input of inputs)
    for (const sha of new Set(input.records.map((r) => r.provenance.gitSha ?? 'no git checkout'))) shas.set(sha, [...(shas.get(sha) ?? []), input.name]);
  if (shas.size > 1)
    warnings.push(`the files come from different code versions: ${[...shas].map(([sha, names]) => `${sha} (${names.join(', ')})`).join('; ')}`);
  const versions = new Map<string, Set<string>>();
  for (const input of inputs)
    for (const r of input.records)
      for (const [pkg, v] of Object.entries(r.provenance.packages ?? {})) versions.set(pkg, (versions.get(pkg) ?? new Set()).add(v));
  const mixed = [...versions].filter(([, vs]) => vs.size > 1).map(([pkg, vs]) => `${pkg} ${[...vs].sort().join(' / ')}`);
  if (mixed.length) warnings.push(`the files were made with different package versions: ${mixed.join(', ')}`);

  return { records, configHash: config?.hash ?? null, configName: config?.name ?? null, read, duplicates, droppedSkips, warnings };
}

/**
 * Refuses to merge into `<dir>/results.jsonl` when that file exists and is not one of the merged files (a
 * merge into one of its inputs keeps everything; any other existing file would be lost, e.g. after a slip in
 * the order of the arguments).
 */
export function checkMergeTarget(dir: string, paths: readonly string[]): void {
  const target = join(resolve(dir), 'results.jsonl');
  if (existsSync(target) && !paths.some((p) => resolve(resultsFileOf(p)) === target))
    throw new SsbenchError('config', 'already exists and is not one of the files to merge: name another output directory, or pass --force to overwrite it', {
      file: target,
    });
}

/** Writes `<dir>/results.jsonl` atomically (readers see the old file or the new one); returns its path. */
export function writeMergedResults(dir: string, records: readonly ResultRecord[]): string {
  const file = join(resolve(dir), 'results.jsonl');
  writeFileAtomic(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return file;
}

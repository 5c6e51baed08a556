/**
 * Result records (DESIGN.md section 4) and the files that hold them.
 *
 * A run appends one JSON line per finished cell to `results.jsonl`; the report and `compare` read only these
 * files, so every record carries what is needed to interpret it: the cell's coordinates, metrics, timings
 * (warm-up kept apart), peak memory, parity against the reference backend, and provenance (config hash, git
 * SHA, package versions, backend and machine).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { findJsonError, lineColumn } from './config';
import { SsbenchError } from './errors';
import { median, percentile } from './metrics';

// ---- records ---------------------------------------------------------------------------------------------

/** Repeated timings of one operation, in milliseconds. */
export interface Timing {
  /** The warm-up runs, in order (the first includes one-time costs); not in median/p90. */
  warmup: number[];
  /** Median of the timed runs. */
  median: number;
  /** 90th percentile of the timed runs (numpy's linear interpolation). */
  p90: number;
  /** Number of timed runs. */
  runs: number;
}

/** One point of a loss curve: the loss at an optimizer step (mean over the interval logged), with extra metrics. */
export interface LossPoint {
  step: number;
  loss: number;
  metrics?: Record<string, number>;
}

/** Dev-set metrics during fine-tuning (after each epoch). */
export interface DevPoint {
  epoch: number;
  step: number;
  metrics: Record<string, number>;
}

/** A fine-tuning cell: one model, pretrained with one recipe (null: from scratch), on one task, backend, seed. */
export interface FinetuneCell {
  model: string;
  pretraining: string | null;
  task: string;
  backend: string;
  seed: number;
}

/** A pretraining job: one model with one recipe on one backend and seed. */
export interface PretrainCell {
  model: string;
  pretraining: string;
  backend: string;
  seed: number;
}

/** A benchmark of one model's training step or inference on one backend. */
export interface BenchCell {
  model: string;
  backend: string;
  mode: 'train-step' | 'inference';
  seed: number;
}

export interface BackendInfo {
  /** Plugin name, e.g. "@ssbench/backend-onnxruntime". */
  name: string;
  /** Device or execution provider, e.g. "cpu". */
  device: string;
  /** Runtime version, e.g. "onnxruntime-node 1.22.0". */
  version: string;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryBytes: number;
  platform: string;
  /** Node.js version (process.version). */
  node: string;
}

/** Where a number came from. */
export interface Provenance {
  /** configHash() of the validated config. */
  configHash: string;
  configName: string;
  /** HEAD commit (with "-dirty" when the tree has changes), or null outside a git checkout. */
  gitSha: string | null;
  /** Package name -> version of ssbench's packages and the plugins used. */
  packages: Record<string, string>;
  backend: BackendInfo;
  machine: MachineInfo;
  /** ISO 8601 times. */
  startedAt: string;
  finishedAt: string;
}

/** Agreement with the same cell on the reference backend (same graph, same feeds). */
export interface Parity {
  referenceBackend: string;
  /** Max |difference| of the outputs (logits) on the same inputs. */
  maxAbsDiff: number;
  /** Max |difference| of the training loss curves, when both are available. */
  lossCurveMaxAbsDiff?: number | null;
}

export interface FinetuneRecord {
  kind: 'finetune';
  cell: FinetuneCell;
  /** Test-set metrics, keyed by the task's metric names. */
  metrics: Record<string, number>;
  /** Dev-set metrics at the end of training. */
  devMetrics?: Record<string, number>;
  /** Per metric name: whether higher is better (from the task). */
  higherIsBetter?: Record<string, boolean>;
  taskVersion?: string;
  /** Where the task's data came from (package and version, path, licence). */
  taskSource?: string;
  lossCurve: LossPoint[];
  evalLossCurve?: LossPoint[];
  devCurve?: DevPoint[];
  timings: { trainStepMs: Timing; inferenceMs: Timing; compileMs: number; tokensPerSecond?: number };
  /** Peak resident set size of the process (bytes). */
  peakMemoryBytes: number;
  /** Memory held by the backend, when it can tell (bytes). */
  backendMemoryBytes?: number | null;
  /** Absent or null on the reference backend itself. */
  parity?: Parity | null;
  provenance: Provenance;
}

export interface PretrainRecord {
  kind: 'pretrain';
  cell: PretrainCell;
  /** Hash of everything that determines the checkpoint (its cache directory name). */
  cacheKey: string;
  /** Checkpoint directory. */
  checkpoint?: string;
  lossCurve: LossPoint[];
  timings: { trainStepMs: Timing; compileMs: number; tokensPerSecond?: number };
  peakMemoryBytes: number;
  provenance: Provenance;
}

export interface BenchRecord {
  kind: 'bench';
  cell: BenchCell;
  workload: { batchSize: number; seqLen: number; threads?: number };
  timings: { stepMs: Timing; compileMs: number; tokensPerSecond?: number; gflops?: number };
  peakMemoryBytes: number;
  parity?: Parity | null;
  provenance: Provenance;
}

/** A cell that did not run (backend unavailable, missing checkpoint) or failed, with the reason. */
export type SkippedRecord = { kind: 'skipped'; reason: string; provenance: Provenance } & (
  | { stage: 'finetune'; cell: FinetuneCell }
  | { stage: 'pretrain'; cell: PretrainCell }
  | { stage: 'bench'; cell: BenchCell }
);

/** In-context evaluation of a decoder model: accuracy by number of examples in the prompt. */
export interface IncontextRecord {
  kind: 'incontext';
  cell: FinetuneCell;
  taskVersion?: string;
  /** One entry per shot count: acc (argmax of summed log-likelihood) and acc_norm (per character). */
  shots: { k: number; acc: number; accNorm: number; n: number }[];
  timings?: { compileMs: number; scoreMs: number };
  provenance: Provenance;
}

/**
 * Representation probes of one encoder (pretrained or from scratch): per-layer cross-lingual retrieval before and
 * after adding the language vector, and contextual similarity of ambiguous words. Shapes: see runner/probe-run.ts.
 */
export interface ProbeRecord {
  kind: 'probe';
  cell: { model: string; pretraining: string | null; backend: string; seed: number };
  crossLingual?: {
    source: string;
    target: string;
    pairs: number;
    evaluated: number;
    layers: { layer: number; before: { accuracyAt1: number; mrr: number }; after: { accuracyAt1: number; mrr: number }; vectorNorm: number; meanSourceNorm: number }[];
  };
  contextual?: {
    word: string;
    senses: string[];
    sentences: string[];
    similarity: number[][];
    separation: { layer: number; within: number; across: number; separation: number }[];
  }[];
  timings?: { ms: number };
  provenance: Provenance;
}

export type ResultRecord = FinetuneRecord | PretrainRecord | BenchRecord | SkippedRecord | IncontextRecord | ProbeRecord;
export type ResultKind = ResultRecord['kind'];

export const RESULT_KINDS: readonly ResultKind[] = Object.freeze(['finetune', 'pretrain', 'bench', 'skipped', 'incontext', 'probe']);

/** Problems that keep a parsed JSON value from being a result record (shape only; empty when it is one). */
export function resultRecordProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['not an object'];
  const r = value as Record<string, unknown>;
  const problems: string[] = [];
  if (!RESULT_KINDS.includes(r.kind as ResultKind)) {
    problems.push(`"kind" must be one of ${RESULT_KINDS.map((k) => `"${k}"`).join(', ')}, got ${JSON.stringify(r.kind)}`);
  }
  if (typeof r.cell !== 'object' || r.cell === null) problems.push('missing "cell"');
  const p = r.provenance as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null) problems.push('missing "provenance"');
  else if (typeof p.configHash !== 'string') problems.push('missing "provenance.configHash"');
  if (r.kind === 'skipped' && typeof r.reason !== 'string') problems.push('missing "reason"');
  if ((r.kind === 'finetune' || r.kind === 'pretrain') && !Array.isArray(r.lossCurve)) problems.push('missing "lossCurve"');
  if (r.kind === 'finetune' && (typeof r.metrics !== 'object' || r.metrics === null)) problems.push('missing "metrics"');
  return problems;
}

export function isResultRecord(value: unknown): value is ResultRecord {
  return resultRecordProblems(value).length === 0;
}

/**
 * Timing of repeated runs: the first `warmupRuns` samples are kept apart as warm-up, the median and p90 are
 * of the rest. Throws when no timed sample is left.
 */
export function summarizeTiming(samplesMs: readonly number[], warmupRuns: number): Timing {
  const timed = samplesMs.slice(warmupRuns);
  if (timed.length === 0) {
    throw new RangeError(`summarizeTiming: ${samplesMs.length} samples leave no timed run after ${warmupRuns} warm-up runs`);
  }
  return { warmup: samplesMs.slice(0, warmupRuns), median: median(timed), p90: percentile(timed, 90), runs: timed.length };
}

// ---- files -----------------------------------------------------------------------------------------------

/** JSON pointer of the first non-finite number in a value, or undefined. */
function findNonFinite(value: unknown, at: string): { at: string; value: number } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { at: at || '/', value };
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNonFinite(value[i], `${at}/${i}`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const found = findNonFinite(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    if (found) return found;
  }
  return undefined;
}

/**
 * One JSON line for a record. A NaN or infinite number throws (JSON would silently write null): a diverged
 * loss must be recorded deliberately (e.g. as a failed cell), not turned into a null.
 */
export function toJsonLine(record: unknown): string {
  const bad = findNonFinite(record, '');
  if (bad !== undefined) {
    throw new TypeError(`cannot write ${bad.value} at ${bad.at} as JSON (it would become null); record it explicitly`);
  }
  const line = JSON.stringify(record);
  if (line === undefined) throw new TypeError('cannot write undefined as a JSON line');
  return line;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Appends one record as one line (`\n`-terminated) and fsyncs. The line goes out in a single write to a file
 * opened for appending, so concurrent appenders do not interleave within a line (on local file systems),
 * and a crash loses at most the line being written. Creates the directory if needed.
 */
export function appendJsonl(file: string, record: unknown): void {
  const bytes = Buffer.from(`${toJsonLine(record)}\n`, 'utf8');
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const fd = openSync(file, 'a');
  try {
    writeAll(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The JSON values of a JSONL file with their 1-based line numbers. */
function readJsonlLines(file: string): { line: number; value: unknown }[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    const reason = code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${(cause as Error).message}`;
    throw new SsbenchError('data', reason, { cause });
  }
  const lines = text.split('\n');
  const out: { line: number; value: unknown }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '') continue;
    try {
      out.push({ line: i + 1, value: JSON.parse(line) as unknown });
    } catch (cause) {
      const problem = findJsonError(line);
      const column = problem === undefined ? undefined : lineColumn(line, problem.offset).column;
      const isLast = i === lines.length - 1 && !text.endsWith('\n');
      throw new SsbenchError('data', `corrupt JSON line: ${problem?.message ?? (cause as Error).message}`, {
        file,
        line: i + 1,
        ...(column === undefined ? {} : { column }),
        ...(isLast ? { hint: 'the last line is incomplete: was a run interrupted while writing?' } : {}),
        cause,
      });
    }
  }
  return out;
}

/**
 * Reads a JSONL file: one JSON value per line, blank lines ignored. A missing file, or a line that is not
 * valid JSON, is an SsbenchError (code 'data') naming the file (and line and column).
 */
export function readJsonl<T = unknown>(file: string): T[] {
  return readJsonlLines(file).map((e) => e.value as T);
}

/** `readJsonl` plus a shape check of every record; a line that is not a result record names its line. */
export function readResults(file: string): ResultRecord[] {
  const entries = readJsonlLines(file);
  for (const { line, value } of entries) {
    const problems = resultRecordProblems(value);
    if (problems.length > 0) throw new SsbenchError('data', `not a result record: ${problems.join('; ')}`, { file, line });
  }
  return entries.map((e) => e.value as ResultRecord);
}

/**
 * Writes a file so that readers see the old or the new content, never a mix: the data goes to a temporary
 * file in the same directory, is fsynced, and is renamed over the target (then the directory is fsynced,
 * where the platform allows). Creates the directory if needed.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeAll(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Directories cannot be opened or fsynced on some platforms (Windows); the rename is still atomic.
  }
}

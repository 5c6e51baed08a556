/**
 * Cell bookkeeping shared by the HTML report and `compare`: the last record of each cell, the coordinates of a
 * cell apart from its seed, and the label of how a fine-tuned model was initialised.
 *
 * Cells are read generically: besides model, pretraining, task, backend and seed, any other field of a cell
 * (e.g. `init: 'reinit-embeddings'`) is part of its identity and of its label.
 */
import type { ReportRecord } from './markdown';

/** The coordinates every cell has; the others are "extra" fields. */
const CORE_FIELDS = new Set(['model', 'pretraining', 'task', 'backend', 'seed', 'mode']);

export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/** A cell's fields as plain data (the cell type of ReportRecord names only the common ones). */
function fields(r: ReportRecord): Record<string, unknown> {
  return r.cell as unknown as Record<string, unknown>;
}

/** JSON of a value with object keys sorted, so that equal cells give equal keys whatever the field order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * A cell's identity fields. A fine-tuning cell's `init` is made explicit (absent in records written before it
 * existed: 'scratch' without a pretraining recipe, else 'pretrained'), so old and new records of a cell agree.
 */
function identity(r: ReportRecord): Record<string, unknown> {
  const f = fields(r);
  if (!('task' in f) || !('pretraining' in f) || typeof f.init === 'string') return f;
  return { ...f, init: f.pretraining === null || f.pretraining === undefined ? 'scratch' : 'pretrained' };
}

/** Identity of a record's cell including its seed (and its kind, or the stage of a skipped cell). */
export function cellKey(r: ReportRecord): string {
  return stableJson({ kind: stageOf(r), ...identity(r) });
}

/** Identity of a record's cell without its seed: the records of one key are the seeds of one condition. */
export function conditionKey(r: ReportRecord): string {
  const { seed: _seed, ...rest } = identity(r);
  return stableJson({ kind: stageOf(r), ...rest });
}

/** The stage a record belongs to: its kind, or for a skipped cell the stage it was skipped in. */
export function stageOf(r: ReportRecord): string {
  if (r.kind !== 'skipped') return r.kind;
  const stage = (r as { stage?: unknown }).stage;
  if (typeof stage === 'string') return stage;
  const f = fields(r);
  return 'task' in f ? 'finetune' : 'mode' in f ? 'bench' : 'pretrain';
}

/** Extra cell fields (not model/pretraining/task/backend/seed/mode/init) as `name=value` strings. */
export function extraFields(r: ReportRecord): string[] {
  return Object.entries(fields(r))
    .filter(([k]) => !CORE_FIELDS.has(k) && k !== 'init')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
}

/**
 * How a fine-tuned model was initialised: the cell's `init` field when it has one (e.g. 'pretrained', 'scratch',
 * 'reinit-embeddings'), else 'scratch' without a pretraining recipe and 'pretrained' with one; extra cell
 * fields are appended, so that cells that differ in them get different labels.
 */
export function initLabel(r: ReportRecord): string {
  const init = fields(r).init;
  const base = typeof init === 'string' ? init : r.cell.pretraining === null || r.cell.pretraining === undefined ? 'scratch' : 'pretrained';
  const extra = extraFields(r);
  return extra.length ? `${base} (${extra.join(', ')})` : base;
}

/** Human-readable cell without its seed: `model / recipe-or-scratch [/ init] / task / backend`. */
export function describeCondition(r: ReportRecord): string {
  const parts = [r.cell.model];
  if ('pretraining' in fields(r)) {
    parts.push(r.cell.pretraining ?? 'no pretraining');
    const init = initLabel(r);
    if (init !== 'pretrained' && !(init === 'scratch' && r.cell.pretraining == null)) parts.push(init);
  } else parts.push(...extraFields(r));
  if (r.cell.task !== undefined) parts.push(r.cell.task);
  const mode = fields(r).mode;
  if (typeof mode === 'string') parts.push(mode);
  parts.push(r.cell.backend);
  return parts.join(' / ');
}

/**
 * Keeps the last record of each cell (a resumed run may have appended a cell twice); a skipped record is dropped
 * when the same cell also finished.
 */
export function latestRecords<R extends ReportRecord>(records: readonly R[]): R[] {
  const m = new Map<string, R>();
  for (const r of records) m.set(`${r.kind === 'skipped' ? 'x' : 'v'}${cellKey(r)}`, r);
  const finished = new Set([...m.values()].filter((r) => r.kind !== 'skipped').map(cellKey));
  return [...m.values()].filter((r) => r.kind !== 'skipped' || !finished.has(cellKey(r)));
}

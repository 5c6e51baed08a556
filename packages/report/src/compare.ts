/**
 * `ssbench compare`: two result sets (e.g. a baseline run and a change) side by side, in Markdown.
 *
 * - Metrics: per condition (a cell without its seed: model, pretraining recipe, init and any other cell field,
 *   task, backend), the mean over seeds of each test metric in both sets, the difference (head − base), the
 *   noise, and a verdict. Noise is the larger of the two sample standard deviations over seeds (0 when both
 *   sets have one seed). A difference whose magnitude is at most the noise is "within noise"; beyond it, the
 *   task's `higherIsBetter` says "improved" or "regressed" ("changed" when the task does not say). In-context
 *   cells are compared as metrics `acc@K` and `acc_norm@K`; pretraining jobs by their last logged loss
 *   (lower is better; reported, never gated, since its units are not the downstream metrics').
 * - Speed, per backend over the cells present in both sets (same coordinates and seed): fine-tuning train step
 *   median, training tokens/s, inference p50, peak memory; pretraining step median and tokens/s; `ssbench bench`
 *   step median and tokens/s. The ratio is head / base; the slowdown is that ratio for times and base / head
 *   for throughput (above 1: head is slower).
 * - Cells present in one set only (new in head, removed from head; with the reason when head skipped them).
 *
 * Gates: with `threshold`, a downstream metric that regressed beyond the noise AND by more than `threshold`
 * (absolute metric units, e.g. 0.02 = two accuracy points) is a regression; with `speedThreshold`, a slowdown
 * above that ratio (e.g. 1.25) is one. Without them nothing is gated. Task versions must agree: records of a
 * task with different `taskVersion`s in the two sets are not comparable (SsbenchError 'data').
 */
import { SsbenchError, meanStd } from '@ssbench/core';
import { cellKey, conditionKey, describeCondition, groupBy, latestRecords, stageOf } from './cells';
import { finite, markdownTable, meanOf, num } from './format';
import type { ReportRecord } from './markdown';

export interface CompareOptions {
  /** How the two sets are named in the output and in errors (e.g. their file paths). */
  baseName?: string;
  headName?: string;
  /** Absolute metric units: a regression beyond the noise and by more than this is gated. Default: none gated. */
  threshold?: number;
  /** A slowdown ratio (head vs base, > 1) above which a speed measure is gated, e.g. 1.25. Default: none gated. */
  speedThreshold?: number;
}

export type Verdict = 'improved' | 'regressed' | 'within noise' | 'changed' | 'missing';

/** One comparison of a metric between the two sets. */
export interface MetricComparison {
  condition: string;
  metric: string;
  base: { mean: number; std: number; n: number } | null;
  head: { mean: number; std: number; n: number } | null;
  /** head − base (NaN when one side is missing). */
  delta: number;
  /** Larger sample standard deviation over seeds of the two sets. */
  noise: number;
  higherIsBetter: boolean | undefined;
  verdict: Verdict;
  gated: boolean;
}

/** A regression that fails the comparison (exit status 1 in the CLI). */
export interface Regression {
  kind: 'metric' | 'speed';
  /** The condition (metrics) or `stage / backend` (speed). */
  where: string;
  /** Metric name or speed measure. */
  name: string;
  base: number;
  head: number;
  /** Metrics: head − base. Speed: the slowdown ratio. */
  change: number;
  /** One line for people. */
  message: string;
}

export interface Comparison {
  markdown: string;
  regressions: Regression[];
  metrics: MetricComparison[];
}

// ---- formatting -----------------------------------------------------------------------------------------

const signed = (x: number) => (Number.isFinite(x) ? `${x > 0 ? '+' : x < 0 ? '−' : '±'}${num(Math.abs(x))}` : 'n/a');
const md = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');

// ---- task versions --------------------------------------------------------------------------------------

function taskVersions(records: readonly ReportRecord[]): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const r of records) {
    if ((r.kind !== 'finetune' && r.kind !== 'incontext') || r.cell.task === undefined || r.taskVersion === undefined) continue;
    const set = m.get(r.cell.task) ?? new Set<string>();
    set.add(r.taskVersion);
    m.set(r.cell.task, set);
  }
  return m;
}

function checkTaskVersions(base: readonly ReportRecord[], head: readonly ReportRecord[], baseName: string, headName: string): void {
  const b = taskVersions(base);
  const h = taskVersions(head);
  for (const [task, bv] of b) {
    const hv = h.get(task);
    if (hv === undefined) continue;
    const same = bv.size === hv.size && [...bv].every((v) => hv.has(v));
    if (!same) {
      const list = (s: Set<string>) => [...s].sort().join(', ');
      throw new SsbenchError(
        'data',
        `task "${task}" has version ${list(bv)} in ${baseName} but ${list(hv)} in ${headName}: results of different task versions are not comparable`,
        { hint: 'compare runs made with the same task version, or rerun the baseline' },
      );
    }
  }
}

// ---- metrics --------------------------------------------------------------------------------------------

/** Per record: the metrics compared (test metrics; in-context accuracy per shot count; pretraining final loss). */
function metricsOf(r: ReportRecord): Record<string, number> {
  if (r.kind === 'finetune') return r.metrics ?? {};
  if (r.kind === 'incontext') return Object.fromEntries((r.shots ?? []).flatMap((s) => [[`acc@${s.k}`, s.acc], [`acc_norm@${s.k}`, s.accNorm]]));
  if (r.kind === 'pretrain') {
    const last = r.lossCurve?.at(-1);
    return last ? { 'final pretraining loss': last.loss } : {};
  }
  return {};
}

function direction(r: ReportRecord, metric: string): boolean | undefined {
  if (r.kind === 'incontext') return true;
  if (r.kind === 'pretrain') return false;
  return r.higherIsBetter?.[metric];
}

function compareMetrics(base: readonly ReportRecord[], head: readonly ReportRecord[], threshold: number | undefined): MetricComparison[] {
  const comparable = (r: ReportRecord) => r.kind === 'finetune' || r.kind === 'incontext' || r.kind === 'pretrain';
  const b = groupBy(base.filter(comparable), conditionKey);
  const h = groupBy(head.filter(comparable), conditionKey);
  const out: MetricComparison[] = [];
  for (const [key, bs] of b) {
    const hs = h.get(key);
    if (hs === undefined) continue; // reported as a removed cell
    const metricNames = [...new Set([...bs, ...hs].flatMap((r) => Object.keys(metricsOf(r))))];
    for (const metric of metricNames) {
      const stat = (rs: ReportRecord[]) => {
        const v = finite(rs.map((r) => metricsOf(r)[metric]));
        return v.length ? meanStd(v) : null;
      };
      const sb = stat(bs);
      const sh = stat(hs);
      const hib = [...hs, ...bs].map((r) => direction(r, metric)).find((d) => d !== undefined);
      const delta = sb && sh ? sh.mean - sb.mean : Number.NaN;
      const noise = Math.max(sb?.std ?? 0, sh?.std ?? 0);
      let verdict: Verdict;
      if (!sb || !sh) verdict = 'missing';
      else if (Math.abs(delta) <= noise) verdict = 'within noise';
      else if (hib === undefined) verdict = 'changed';
      else verdict = (hib ? delta > 0 : delta < 0) ? 'improved' : 'regressed';
      const gatable = bs[0].kind !== 'pretrain';
      const gated = gatable && verdict === 'regressed' && threshold !== undefined && Math.abs(delta) > threshold;
      out.push({ condition: describeCondition(bs[0]), metric, base: sb, head: sh, delta, noise, higherIsBetter: hib, verdict, gated });
    }
  }
  return out;
}

// ---- speed ----------------------------------------------------------------------------------------------

interface SpeedRow {
  where: string;
  measure: string;
  base: number | undefined;
  head: number | undefined;
  /** true: larger is faster (throughput); false: larger is slower (time); null: informational (memory). */
  higherIsFaster: boolean | null;
}

type AnyTimings = {
  trainStepMs?: { median?: number };
  inferenceMs?: { median?: number };
  stepMs?: { median?: number };
  tokensPerSecond?: number;
};

function speedRows(base: readonly ReportRecord[], head: readonly ReportRecord[]): SpeedRow[] {
  const headByCell = new Map(head.filter((r) => r.kind !== 'skipped').map((r) => [cellKey(r), r]));
  const pairs = base.filter((r) => r.kind !== 'skipped' && headByCell.has(cellKey(r))).map((r) => ({ b: r, h: headByCell.get(cellKey(r))! }));
  const rows: SpeedRow[] = [];
  const t = (r: ReportRecord) => r.timings as AnyTimings | undefined;
  const measures: Record<string, [string, (r: ReportRecord) => number | undefined, boolean | null][]> = {
    finetune: [
      ['train step ms (median)', (r) => t(r)?.trainStepMs?.median, false],
      ['train tokens/s', (r) => t(r)?.tokensPerSecond, true],
      ['inference ms (p50)', (r) => t(r)?.inferenceMs?.median, false],
      ['peak memory MiB', (r) => (r.peakMemoryBytes === undefined ? undefined : r.peakMemoryBytes / 2 ** 20), null],
    ],
    pretrain: [
      ['pretrain step ms (median)', (r) => t(r)?.trainStepMs?.median, false],
      ['pretrain tokens/s', (r) => t(r)?.tokensPerSecond, true],
    ],
    bench: [
      ['bench step ms (median)', (r) => t(r)?.stepMs?.median, false],
      ['bench tokens/s', (r) => t(r)?.tokensPerSecond, true],
    ],
  };
  for (const [stage, list] of Object.entries(measures)) {
    const byGroup = groupBy(
      pairs.filter((p) => p.b.kind === stage),
      // Benchmarks time one model and mode each: compare them per condition, the others per backend.
      (p) => (stage === 'bench' ? describeCondition(p.b) : `${stage} / ${p.b.cell.backend}`),
    );
    for (const [where, ps] of byGroup)
      for (const [measure, get, higherIsFaster] of list) {
        // Only the pairs that have the measure in both sets, so that both means are over the same cells.
        const both = ps.filter((p) => Number.isFinite(get(p.b) ?? Number.NaN) && Number.isFinite(get(p.h) ?? Number.NaN));
        if (both.length) rows.push({ where, measure, base: meanOf(both.map((p) => get(p.b))), head: meanOf(both.map((p) => get(p.h))), higherIsFaster });
      }
  }
  return rows;
}

/** Above 1: head is slower (or uses more memory). */
function slowdown(row: SpeedRow): number {
  if (row.base === undefined || row.head === undefined) return Number.NaN;
  return row.higherIsFaster === true ? row.base / row.head : row.head / row.base;
}

// ---- the comparison -------------------------------------------------------------------------------------

/**
 * Compares two lists of result records (base: the reference, head: the change). Throws SsbenchError 'data'
 * when a task's version differs between the two.
 */
export function compareResults(baseAll: readonly ReportRecord[], headAll: readonly ReportRecord[], options: CompareOptions = {}): Comparison {
  const baseName = options.baseName ?? 'base';
  const headName = options.headName ?? 'head';
  if (options.threshold !== undefined && !(options.threshold >= 0)) throw new RangeError(`compareResults: threshold must be >= 0, got ${options.threshold}`);
  if (options.speedThreshold !== undefined && !(options.speedThreshold >= 1))
    throw new RangeError(`compareResults: speedThreshold is a slowdown ratio >= 1, got ${options.speedThreshold}`);
  const base = latestRecords(baseAll);
  const head = latestRecords(headAll);
  checkTaskVersions(base, head, baseName, headName);

  const metrics = compareMetrics(base, head, options.threshold);
  const speed = speedRows(base, head);
  const regressions: Regression[] = [];
  for (const m of metrics)
    if (m.gated && m.base && m.head)
      regressions.push({
        kind: 'metric',
        where: m.condition,
        name: m.metric,
        base: m.base.mean,
        head: m.head.mean,
        change: m.delta,
        message: `${m.condition}: ${m.metric} ${num(m.base.mean)} -> ${num(m.head.mean)} (${signed(m.delta)}; noise ${num(m.noise)}, threshold ${num(options.threshold)})`,
      });
  const speedGated = (row: SpeedRow) => row.higherIsFaster !== null && options.speedThreshold !== undefined && slowdown(row) > options.speedThreshold;
  for (const row of speed)
    if (speedGated(row))
      regressions.push({
        kind: 'speed',
        where: row.where,
        name: row.measure,
        base: row.base!,
        head: row.head!,
        change: slowdown(row),
        message: `${row.where}: ${row.measure} ${num(row.base)} -> ${num(row.head)} (${num(slowdown(row), 3)}x slower; speed threshold ${options.speedThreshold}x)`,
      });

  const out: string[] = [`# ssbench compare: ${md(baseName)} → ${md(headName)}`, ''];
  const hashes = (rs: readonly ReportRecord[]) => [...new Set(rs.map((r) => `${r.provenance.configName} (${r.provenance.configHash.slice(0, 12)}), git ${r.provenance.gitSha ?? 'unknown'}`))].join('; ');
  out.push(`- base: ${md(baseName)}: ${base.length} record(s); ${md(hashes(base)) || 'empty'}`, `- head: ${md(headName)}: ${head.length} record(s); ${md(hashes(head)) || 'empty'}`, '');
  const counts = (v: Verdict) => metrics.filter((m) => m.verdict === v).length;
  const gates = [
    options.threshold === undefined ? 'metric regressions not gated (no --threshold)' : `metric threshold ${options.threshold} (absolute metric units)`,
    options.speedThreshold === undefined ? 'speed not gated (no --speed-threshold)' : `speed threshold ${options.speedThreshold}x slowdown`,
  ].join('; ');
  if (regressions.length) {
    out.push(`**${regressions.length} regression(s) beyond the thresholds** (${gates}):`, '', ...regressions.map((r) => `- ${md(r.message)}`), '');
  } else {
    out.push(`**No regressions beyond the thresholds** (${gates}).`, '');
  }
  out.push(
    `Metrics: ${counts('improved')} improved, ${counts('regressed')} regressed, ${counts('within noise')} within noise, ${counts('changed')} changed (direction unknown), ${counts('missing')} missing on one side.`,
    '',
  );

  out.push('## Metrics', '');
  out.push(
    'Mean ± sample standard deviation over seeds (n seeds). Δ = head − base. Noise = the larger of the two standard deviations; |Δ| ≤ noise is "within noise" (with one seed per side the noise is 0).',
    '',
  );
  if (metrics.length) {
    const ms = (s: MetricComparison['base']) => (s ? `${num(s.mean)} ± ${num(s.std)} (n=${s.n})` : 'n/a');
    out.push(
      markdownTable(
        ['cell', 'metric', 'base', 'head', 'Δ', 'noise', 'verdict'],
        metrics.map((m) => [
          md(m.condition),
          md(m.higherIsBetter === undefined ? m.metric : `${m.metric} ${m.higherIsBetter ? '↑' : '↓'}`),
          ms(m.base),
          ms(m.head),
          signed(m.delta),
          num(m.noise),
          m.gated ? `**${m.verdict} (beyond threshold)**` : m.verdict,
        ]),
      ),
      '',
    );
  } else out.push('No cell has metrics in both sets.', '');

  out.push('## Speed', '');
  out.push('Means over the cells present in both sets (same coordinates and seed). Ratio = head / base; slowdown above 1: head is slower (throughput compared inversely).', '');
  if (speed.length) {
    out.push(
      markdownTable(
        ['where', 'measure', 'base', 'head', 'head / base', 'verdict'],
        speed.map((row) => {
          const s = slowdown(row);
          const [worse, better] = row.higherIsFaster === null ? ['more', 'less'] : ['slower', 'faster'];
          const text = !Number.isFinite(s) ? 'n/a' : s > 1 ? `${num(s, 3)}x ${worse}` : s < 1 ? `${num(1 / s, 3)}x ${better}` : 'same';
          return [md(row.where), row.measure, num(row.base), num(row.head), row.base && row.head ? num(row.head / row.base, 3) : 'n/a', speedGated(row) ? `**${text} (beyond threshold)**` : text];
        }),
      ),
      '',
    );
  } else out.push('No timed cell is present in both sets.', '');

  // ---- new and removed cells ----
  out.push('## Cells in one set only', '');
  const ran = (rs: readonly ReportRecord[]) => new Map(rs.filter((r) => r.kind !== 'skipped').map((r) => [cellKey(r), r]));
  const baseRan = ran(base);
  const headRan = ran(head);
  const headSkipped = new Map(head.filter((r) => r.kind === 'skipped').map((r) => [cellKey(r), r]));
  const describe = (rs: ReportRecord[]) =>
    `${md(describeCondition(rs[0]))} (${stageOf(rs[0])}), seed(s) ${rs
      .map((r) => r.cell.seed)
      .sort((a, b) => a - b)
      .join(', ')}`;
  const added = [...headRan.values()].filter((r) => !baseRan.has(cellKey(r)));
  const removed = [...baseRan.values()].filter((r) => !headRan.has(cellKey(r)));
  if (!added.length && !removed.length) out.push('None: both sets ran the same cells.', '');
  if (added.length) out.push(`New in head (${added.length} cell(s)):`, '', ...[...groupBy(added, conditionKey).values()].map((rs) => `- ${describe(rs)}`), '');
  if (removed.length) {
    out.push(`Removed from head (${removed.length} cell(s)):`, '');
    for (const rs of groupBy(removed, conditionKey).values()) {
      const reasons = [...new Set(rs.map((r) => headSkipped.get(cellKey(r))?.reason).filter((x): x is string => x !== undefined))];
      out.push(`- ${describe(rs)}${reasons.length ? `; skipped in head: ${md(reasons.join('; '))}` : ''}`);
    }
    out.push('');
  }
  return { markdown: `${out.join('\n').trimEnd()}\n`, regressions, metrics };
}

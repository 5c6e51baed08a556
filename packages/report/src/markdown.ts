/**
 * Markdown report of a results file: downstream metrics (mean and spread over seeds) with pretrained, pretrained
 * with re-initialised embeddings, and from-scratch side by side, fine-tuning loss curves, backend speed and parity,
 * pretraining summaries, skipped cells and their reasons, and the provenance of the numbers. Reads only result
 * records. Every task shows the metrics its records carry; a metric where higher is better and every value lies
 * in [-1, 1] (accuracy, F1, exact match, correlations) is shown in %, others (errors, counts) as they are.
 */
import { meanStd } from '@ssbench/core';
import { groupBy, latestRecords } from './cells';
import { markdownTable } from './format';

/** The fields of result records the report reads (the runner writes more). */
export interface ReportRecord {
  kind: string;
  /** `init` is absent in records written before it existed (pretrained, or scratch when pretraining is null). */
  cell: { model: string; pretraining: string | null; init?: string; task?: string; backend: string; seed: number };
  metrics?: Record<string, number>;
  devMetrics?: Record<string, number>;
  higherIsBetter?: Record<string, boolean>;
  taskVersion?: string;
  lossCurve?: { step: number; loss: number; metrics?: Record<string, number> }[];
  timings?: {
    compileMs?: number;
    trainStepMs?: { median: number; p90: number; runs: number };
    inferenceMs?: { median: number; p90: number; runs: number };
    tokensPerSecond?: number;
  };
  peakMemoryBytes?: number;
  parity?: { referenceBackend: string; maxAbsDiff: number; lossCurveMaxAbsDiff: number | null } | null;
  reason?: string;
  shots?: { k: number; acc: number; accNorm: number; n: number }[];
  /** Probe records (kind 'probe'): see core's ProbeRecord. */
  crossLingual?: {
    source: string;
    target: string;
    pairs: number;
    evaluated: number;
    layers: { layer: number; before: { accuracyAt1: number; mrr: number }; after: { accuracyAt1: number; mrr: number }; vectorNorm: number; meanSourceNorm: number }[];
  };
  contextual?: { word: string; senses: string[]; sentences: string[]; similarity: number[][]; separation: { layer: number; within: number; across: number; separation: number }[] }[];
  provenance: {
    configHash: string;
    configName: string;
    gitSha: string | null;
    packages: Record<string, string>;
    backend: { name: string; device: string; version: string };
    machine: { cpu: string; cores: number; memoryBytes: number; platform: string; node: string };
    startedAt: string;
    finishedAt: string;
  };
}

export interface ReportOptions {
  title?: string;
}

const fmt = (x: number, digits = 4) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : 'n/a');
const mib = (b: number | undefined) => (b === undefined ? 'n/a' : `${(b / 2 ** 20).toFixed(0)} MiB`);
/** How a cell started: the recipe, "<recipe> (re-init embeddings)", or "scratch". */
const init = (c: ReportRecord['cell']) => (c.pretraining === null ? 'scratch' : c.init === 'reinit-embeddings' ? `${c.pretraining} (re-init embeddings)` : c.pretraining);

function meanSpread(values: number[], asPct: boolean): string {
  const { mean, std } = meanStd(values);
  const f = asPct ? pct : (x: number) => fmt(x, 4);
  return values.length > 1 ? `${f(mean)} ± ${f(std)}` : f(mean);
}

/** Whether a metric is shown in %: higher is better and every value lies in [-1, 1]. */
function shownAsPct(name: string, rs: readonly ReportRecord[]): boolean {
  if (rs.some((r) => r.higherIsBetter?.[name] === false)) return false;
  return rs.every((r) => {
    const v = r.metrics?.[name];
    return v === undefined || Math.abs(v) <= 1;
  });
}

export function markdownReport(all: readonly ReportRecord[], options: ReportOptions = {}): string {
  const records = latestRecords(all);
  const ft = records.filter((r) => r.kind === 'finetune');
  const pre = records.filter((r) => r.kind === 'pretrain');
  const skipped = records.filter((r) => r.kind === 'skipped');
  const out: string[] = [];
  const name = options.title ?? records[0]?.provenance.configName ?? 'results';
  out.push(`# ssbench report: ${name}`, '');
  if (records.length === 0) return `${out.join('\n')}No results.\n`;
  const seeds = [...new Set(ft.map((r) => r.cell.seed))].sort((a, b) => a - b);
  out.push(
    `${ft.length} fine-tuning cell(s), ${pre.length} pretraining job(s), ${skipped.length} skipped; seeds ${seeds.join(', ') || 'n/a'}. ` +
      'Metrics are on the test split, mean ± sample standard deviation over seeds (metrics in [-1, 1] where higher is better, such as accuracy, F1 or correlations, in %).',
    '',
  );

  // ---- downstream metrics: pretrained vs from scratch ------------------------------------------------------
  out.push('## Downstream results', '');
  for (const [taskKey, rs] of groupBy(ft, (r) => `${r.cell.task} (v${r.taskVersion ?? '?'})`)) {
    const metricNames = Object.keys(rs[0].metrics ?? {});
    const asPct = new Map(metricNames.map((m) => [m, shownAsPct(m, rs)]));
    const inits = [...new Set(rs.map((r) => init(r.cell)))].sort((a, b) => Number(a === 'scratch') - Number(b === 'scratch'));
    out.push(`### ${taskKey}`, '');
    const lower = metricNames.filter((m) => rs[0].higherIsBetter?.[m] === false);
    if (lower.length) out.push(`Lower is better: ${lower.join(', ')}.`, '');
    const header = ['model', 'backend', ...inits.flatMap((i) => metricNames.map((m) => `${m} (${i})`))];
    if (inits.includes('scratch') && inits.length > 1) header.push(...inits.filter((i) => i !== 'scratch').map((i) => `Δ ${metricNames[0]} ${i} − scratch`));
    const rows: string[][] = [];
    for (const [k, cellRs] of groupBy(rs, (r) => JSON.stringify([r.cell.model, r.cell.backend]))) {
      const [model, backend] = JSON.parse(k) as [string, string];
      const row = [model, backend];
      const means = new Map<string, number>();
      for (const i of inits) {
        const byInit = cellRs.filter((r) => init(r.cell) === i);
        for (const m of metricNames) {
          const vals = byInit.map((r) => r.metrics?.[m]).filter((v): v is number => v !== undefined);
          row.push(vals.length ? `${meanSpread(vals, asPct.get(m) ?? true)} (n=${vals.length})` : 'n/a');
          if (m === metricNames[0] && vals.length) means.set(i, meanStd(vals).mean);
        }
      }
      if (inits.includes('scratch') && inits.length > 1)
        for (const i of inits.filter((x) => x !== 'scratch')) {
          const a = means.get(i);
          const s = means.get('scratch');
          const f = asPct.get(metricNames[0]) ? pct : (x: number) => fmt(x, 4);
          row.push(a !== undefined && s !== undefined ? `${a >= s ? '+' : ''}${f(a - s)}` : 'n/a');
        }
      rows.push(row);
    }
    out.push(markdownTable(header, rows), '');
  }

  // ---- fine-tuning curves --------------------------------------------------------------------------------
  out.push('## Fine-tuning loss by step', '', 'Training loss (mean over seeds, averaged over windows of steps) on each backend: pretrained vs from scratch.', '');
  for (const [k, rs] of groupBy(ft, (r) => JSON.stringify([r.cell.task, r.cell.model, r.cell.backend]))) {
    const [task, model, backend] = JSON.parse(k) as string[];
    const inits = [...new Set(rs.map((r) => init(r.cell)))];
    const total = Math.max(...rs.map((r) => r.lossCurve?.length ?? 0));
    if (total === 0) continue;
    const points = Math.min(10, total);
    const rows: string[][] = [];
    for (let p = 0; p < points; p++) {
      const from = Math.floor((p * total) / points);
      const to = Math.floor(((p + 1) * total) / points);
      const row = [`${from + 1}-${to}`];
      for (const i of inits) {
        const vals = rs
          .filter((r) => init(r.cell) === i)
          .map((r) => {
            const seg = (r.lossCurve ?? []).slice(from, to);
            return seg.reduce((a, x) => a + x.loss, 0) / Math.max(1, seg.length);
          });
        row.push(fmt(meanStd(vals).mean, 4));
      }
      rows.push(row);
    }
    out.push(`**${task} / ${model} / ${backend}**`, '', markdownTable(['steps', ...inits], rows), '');
  }

  // ---- backends ----------------------------------------------------------------------------------------
  out.push('## Backends', '');
  out.push(
    'Fine-tuning step and inference (one evaluation batch) times: median and p90 over timed runs, warm-up excluded. ' +
      'Parity: max |logit difference| against the reference backend on the same weights and inputs; loss-curve parity: max |loss difference| per step against the same cell (same seed) trained on the reference backend.',
    '',
  );
  const brows: string[][] = [];
  for (const [backend, rs] of groupBy(ft, (r) => r.cell.backend)) {
    const med = (f: (r: ReportRecord) => number | undefined) => {
      const v = rs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
      return v.length ? meanStd(v).mean : Number.NaN;
    };
    const parities = rs.map((r) => r.parity?.maxAbsDiff).filter((x): x is number => x !== undefined);
    const curve = rs.map((r) => r.parity?.lossCurveMaxAbsDiff).filter((x): x is number => typeof x === 'number');
    const p = rs[0].provenance.backend;
    brows.push([
      backend,
      `${p.version} (${p.device})`,
      `${fmt(med((r) => r.timings?.trainStepMs?.median), 1)} / ${fmt(med((r) => r.timings?.trainStepMs?.p90), 1)}`,
      fmt(med((r) => r.timings?.tokensPerSecond), 0),
      `${fmt(med((r) => r.timings?.inferenceMs?.median), 2)} / ${fmt(med((r) => r.timings?.inferenceMs?.p90), 2)}`,
      fmt(med((r) => r.timings?.compileMs), 0),
      mib(Math.max(...rs.map((r) => r.peakMemoryBytes ?? 0))),
      parities.length ? Math.max(...parities).toExponential(2) : 'reference',
      curve.length ? Math.max(...curve).toExponential(2) : parities.length ? 'n/a' : 'reference',
    ]);
  }
  out.push(
    markdownTable(['backend', 'runtime', 'train step ms (median / p90)', 'train tokens/s', 'inference ms (median / p90)', 'compile ms', 'peak RSS', 'logit parity', 'loss-curve parity'], brows),
    '',
  );

  // ---- in-context evaluation ----------------------------------------------------------------------------------
  const ic = records.filter((r) => r.kind === 'incontext');
  if (ic.length) {
    out.push(
      '## In-context evaluation',
      '',
      'Decoder models prompted with K labelled examples (lm-evaluation-harness layout); each label scored by log-likelihood. acc: argmax of the summed log-probability; acc_norm: per character. Mean ± standard deviation over seeds (the seed draws the examples).',
      '',
    );
    const rows: string[][] = [];
    for (const [k, rs] of groupBy(ic, (r) => JSON.stringify([r.cell.task, r.cell.model, init(r.cell), r.cell.backend]))) {
      const [task, model, from, backend] = JSON.parse(k) as string[];
      const ks = [...new Set(rs.flatMap((r) => (r.shots ?? []).map((s) => s.k)))].sort((a, b) => a - b);
      for (const shot of ks) {
        const pick = rs.map((r) => r.shots?.find((s) => s.k === shot)).filter((s): s is NonNullable<typeof s> => s !== undefined);
        rows.push([task, model, from, backend, String(shot), meanSpread(pick.map((s) => s.acc), true), meanSpread(pick.map((s) => s.accNorm), true), String(pick[0]?.n ?? 0)]);
      }
    }
    out.push(markdownTable(['task', 'model', 'init', 'backend', 'shots', 'acc', 'acc_norm', 'examples'], rows), '');
  }

  // ---- representation probes --------------------------------------------------------------------------------
  const probes = records.filter((r) => r.kind === 'probe');
  const xl = probes.filter((r) => r.crossLingual);
  if (xl.length) {
    const first = xl[0].crossLingual as NonNullable<ReportRecord['crossLingual']>;
    out.push(
      '## Cross-lingual probe: the language vector',
      '',
      `Sentence vectors (mean of a layer's token states) of ${first.evaluated} aligned ${first.source}/${first.target} paragraph pairs; retrieval of each ${first.source} paragraph's translation among the ${first.evaluated} ${first.target} candidates by cosine similarity (accuracy@1, MRR), before and after adding the language vector (token-level mean ${first.target} minus mean ${first.source}, fitted on the other ${first.pairs - first.evaluated} pairs). Chance accuracy@1: ${pct(1 / first.evaluated)}%. Layer 0 is the embedding output.`,
      '',
    );
    const rows: string[][] = [];
    for (const r of xl)
      for (const l of r.crossLingual?.layers ?? [])
        rows.push([r.cell.model, init(r.cell), String(l.layer), pct(l.before.accuracyAt1), pct(l.after.accuracyAt1), fmt(l.before.mrr, 3), fmt(l.after.mrr, 3), `${fmt(l.vectorNorm, 2)} / ${fmt(l.meanSourceNorm, 2)}`]);
    out.push(markdownTable(['model', 'init', 'layer', 'acc@1 before', 'acc@1 with vector', 'MRR before', 'MRR with vector', '|vector| / mean |sentence|'], rows), '');
  }
  const ctx = probes.filter((r) => r.contextual?.length);
  if (ctx.length) {
    out.push(
      '## Contextual embeddings',
      '',
      "One ambiguous word in several sentences per sense (the bundled probe sentences): sense separation = mean cosine similarity of the word's vectors between sentences of the same sense minus between different senses (> 0: the vectors cluster by sense; the embedding layer, which sees no context, gives 0 up to sub-token effects).",
      '',
    );
    const words = [...new Set(ctx.flatMap((r) => (r.contextual ?? []).map((c) => c.word)))];
    const rows: string[][] = [];
    for (const r of ctx) {
      const layers = r.contextual?.[0]?.separation.length ?? 0;
      for (let l = 0; l < layers; l++)
        rows.push([r.cell.model, init(r.cell), String(l), ...words.map((w) => fmt(r.contextual?.find((c) => c.word === w)?.separation[l]?.separation ?? Number.NaN, 3))]);
    }
    out.push(markdownTable(['model', 'init', 'layer', ...words], rows), '');
    // The similarity matrix of the first word, for the pretrained model(s): the picture of the lecture.
    for (const r of ctx.filter((x) => x.cell.pretraining !== null)) {
      const c = r.contextual?.[0];
      if (!c) continue;
      out.push(`Cosine similarity of "${c.word}" across sentences, last layer (${r.cell.model}, ${init(r.cell)}):`, '');
      out.push(
        markdownTable(
          ['', ...c.senses.map((s, i) => `${i + 1} ${s}`)],
          c.similarity.map((row, i) => [`${i + 1} ${c.senses[i]}: ${c.sentences[i].replaceAll('|', '\\|')}`, ...row.map((v) => fmt(v, 2))]),
        ),
        '',
      );
    }
  }

  // ---- pretraining -----------------------------------------------------------------------------------------
  if (pre.length) {
    out.push('## Pretraining', '');
    const rows = pre.map((r) => {
      const c = r.lossCurve ?? [];
      const last = c[c.length - 1];
      return [
        r.cell.model,
        r.cell.pretraining ?? '',
        r.cell.backend,
        String(last?.step ?? 0),
        `${fmt(c[0]?.loss ?? Number.NaN, 3)} → ${fmt(last?.loss ?? Number.NaN, 3)}`,
        Object.entries(last?.metrics ?? {})
          .map(([k, v]) => `${k} ${fmt(v, 3)}`)
          .join(', '),
        `${fmt(r.timings?.trainStepMs?.median ?? Number.NaN, 1)}`,
        fmt(r.timings?.tokensPerSecond ?? Number.NaN, 0),
      ];
    });
    out.push(markdownTable(['model', 'recipe', 'backend', 'steps', 'loss (first → last logged)', 'final metrics', 'step ms (median)', 'tokens/s'], rows), '');
  }

  // ---- skipped ----------------------------------------------------------------------------------------------
  if (skipped.length) {
    out.push('## Skipped cells', '');
    const rows = [...groupBy(skipped, (r) => `${r.cell.backend}\u0000${r.reason}`).values()].map((rs) => [
      rs[0].cell.backend,
      String(rs.length),
      (rs[0].reason ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' '),
    ]);
    out.push(markdownTable(['backend', 'cells', 'reason'], rows), '');
  }

  // ---- provenance -------------------------------------------------------------------------------------------
  const p = records[0].provenance;
  out.push('## Provenance', '');
  out.push(
    `- config: ${p.configName} (hash ${p.configHash.slice(0, 16)})`,
    `- git: ${p.gitSha ?? 'unknown'}`,
    `- machine: ${p.machine.cpu}, ${p.machine.cores} cores, ${mib(p.machine.memoryBytes)}, ${p.machine.platform}, Node.js ${p.machine.node}`,
    `- packages: ${Object.entries(p.packages)
      .map(([k, v]) => `${k}@${v}`)
      .join(', ')}`,
    `- backends: ${[...new Map(records.map((r) => [r.cell.backend, r.provenance.backend])).entries()].map(([id, b]) => `${id} = ${b.name} ${b.version}`).join('; ')}`,
    `- time: ${records.map((r) => r.provenance.startedAt).sort()[0]} to ${records.map((r) => r.provenance.finishedAt).sort().at(-1)}`,
    '',
  );
  return out.join('\n');
}

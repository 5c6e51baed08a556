/**
 * HTML report of a results file: one self-contained page (no scripts, no external resources; a Content Security
 * Policy forbids loading any) with charts rendered to SVG when the report is built.
 *
 * Charts are Vega-Lite specs compiled with `vega-lite` and rendered headless by `vega` (`renderer: 'none'`,
 * `toSVG()`). Sections: downstream metrics (bars: mean over seeds, error bars one sample standard deviation),
 * pretrained vs from scratch per pretraining recipe; fine-tuning loss curves (mean over seeds); pretraining
 * loss curves per recipe; backends (throughput, latency, memory, parity); in-context evaluation; representation
 * probes (cross-lingual retrieval per layer; sense separation and a cosine-similarity heatmap); skipped cells;
 * provenance. Every table row names the provenance entries (P1, P2, ...) of the records behind its numbers.
 *
 * Records are read generically: any metric names (with `higherIsBetter` when the task declares it) and any
 * extra cell fields (e.g. `init`) are shown. Every string from the results is escaped.
 */
import { meanStd } from '@ssbench/core';
import * as vega from 'vega';
import { type TopLevelSpec, compile } from 'vega-lite';
import { conditionKey, describeCondition, groupBy, initLabel, latestRecords, stableJson } from './cells';
import { meanOf, num } from './format';
import type { ReportRecord } from './markdown';

export interface HtmlReportOptions {
  /** Page title (default: the config name of the first record). */
  title?: string;
  /** The command that regenerates this report, printed at its top. */
  command?: string;
}

// ---- formatting -----------------------------------------------------------------------------------------

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and (quoted) attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const mib = (b: number | undefined) => (b === undefined || !Number.isFinite(b) ? 'n/a' : `${(b / 2 ** 20).toFixed(0)} MiB`);

function meanSpreadText(values: readonly number[]): string {
  if (values.length === 0) return 'n/a';
  const { mean, std, n } = meanStd(values);
  return n > 1 ? `${num(mean)} ± ${num(std)} (n=${n})` : `${num(mean)} (n=1)`;
}

function maxOf(values: readonly (number | undefined | null)[]): number | undefined {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? Math.max(...v) : undefined;
}

/** Distinct values in order of first appearance. */
function distinct<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

// ---- provenance -----------------------------------------------------------------------------------------

/** Numbers the distinct provenances (everything but the times) P1, P2, ... in order of first appearance. */
class ProvenanceIndex {
  private readonly byRecord = new Map<ReportRecord, number>();
  readonly entries: { id: number; records: ReportRecord[] }[] = [];

  constructor(records: readonly ReportRecord[]) {
    const ids = new Map<string, number>();
    for (const r of records) {
      const { startedAt: _s, finishedAt: _f, ...rest } = r.provenance;
      const key = stableJson(rest);
      let id = ids.get(key);
      if (id === undefined) {
        id = this.entries.length + 1;
        ids.set(key, id);
        this.entries.push({ id, records: [] });
      }
      this.entries[id - 1].records.push(r);
      this.byRecord.set(r, id);
    }
  }

  /** Links to the provenance entries of some records, e.g. "P1, P3". */
  links(records: readonly ReportRecord[]): string {
    return distinct(records.map((r) => this.byRecord.get(r)).filter((id): id is number => id !== undefined))
      .sort((a, b) => a - b)
      .map((id) => `<a href="#prov-${id}">P${id}</a>`)
      .join(', ');
  }
}

// ---- HTML pieces ----------------------------------------------------------------------------------------

/** A table; header and cells are escaped unless a cell is given as `{ html }`. */
type Cell = string | number | { html: string };

function cellHtml(c: Cell): string {
  if (typeof c === 'object') return c.html;
  return escapeHtml(typeof c === 'number' ? num(c) : c);
}

function table(header: readonly string[], rows: readonly Cell[][], caption?: string): string {
  const head = `<thead><tr>${header.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>`;
  const body = `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${cellHtml(c)}</td>`).join('')}</tr>`).join('\n')}</tbody>`;
  return `<table>${caption ? `<caption>${escapeHtml(caption)}</caption>` : ''}${head}\n${body}</table>`;
}

const CHART_CONFIG = {
  background: 'white',
  config: {
    font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    view: { stroke: '#ddd' },
    axis: { labelLimit: 180, titleFontWeight: 'normal' },
    header: { labelLimit: 240, labelFontSize: 12 },
    legend: { labelLimit: 240 },
  },
} as const;

/**
 * Renders a Vega-Lite spec to an inline SVG figure. The SVG's element ids get a per-chart prefix so that
 * several charts in one page cannot share a clip path or gradient id.
 */
async function chart(spec: TopLevelSpec, caption: string, index: number): Promise<string> {
  const vgSpec = compile({ ...CHART_CONFIG, ...spec } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const prefix = `c${index}-`;
  svg = svg.replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`).replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`);
  svg = svg.replace(/^<svg /, `<svg role="img" aria-label="${escapeHtml(caption)}" `);
  return `<figure class="chart">${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

// ---- data for the charts --------------------------------------------------------------------------------

/** Loss by step, averaged over the records (seeds) that logged that step. */
function meanCurve(records: readonly ReportRecord[]): { step: number; loss: number }[] {
  const bySteps = new Map<number, number[]>();
  for (const r of records)
    for (const p of r.lossCurve ?? []) {
      if (!Number.isFinite(p.loss)) continue;
      const list = bySteps.get(p.step);
      if (list) list.push(p.loss);
      else bySteps.set(p.step, [p.loss]);
    }
  return [...bySteps.entries()].sort((a, b) => a[0] - b[0]).map(([step, losses]) => ({ step, loss: meanStd(losses).mean }));
}

/** At most `max` points: consecutive windows averaged (step and loss), so the chart stays small. */
function thin(points: readonly { step: number; loss: number }[], max = 100): { step: number; loss: number }[] {
  if (points.length <= max) return [...points];
  const out: { step: number; loss: number }[] = [];
  for (let w = 0; w < max; w++) {
    const seg = points.slice(Math.floor((w * points.length) / max), Math.floor(((w + 1) * points.length) / max));
    out.push({ step: seg.reduce((a, p) => a + p.step, 0) / seg.length, loss: seg.reduce((a, p) => a + p.loss, 0) / seg.length });
  }
  return out;
}

const NO_PRETRAINING = '(none)';
const objectiveOf = (r: ReportRecord) => r.cell.pretraining ?? NO_PRETRAINING;

/** Sorted so that "(none)" and "scratch" come last. */
function lastNone(xs: readonly string[], none: string): string[] {
  return [...xs].sort((a, b) => Number(a === none) - Number(b === none));
}

// ---- representation probes ----------------------------------------------------------------------------------

type Section = { id: string; title: string; html: string };
type ChartFn = (spec: TopLevelSpec, caption: string) => Promise<string>;

/** A fraction in % with one decimal, as the Markdown report shows accuracies. */
const pct1 = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
const fixed = (x: number | undefined, digits: number) => (x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** How a probed model started: its pretraining recipe (a non-default init appended), or "scratch". */
function probeStart(r: ReportRecord): string {
  if (r.cell.pretraining == null) return 'scratch';
  const init = initLabel(r);
  return init === 'pretrained' ? r.cell.pretraining : `${r.cell.pretraining} (${init})`;
}

/**
 * One chart-series label per probe record: model · start, with the backend and the seed added only where the
 * records differ in them (so that no two records share a line).
 */
function probeSeries(probes: readonly ReportRecord[]): Map<ReportRecord, string> {
  const manyBackends = distinct(probes.map((r) => r.cell.backend)).length > 1;
  const manySeeds = distinct(probes.map((r) => r.cell.seed)).length > 1;
  return new Map(
    probes.map((r) => [r, [r.cell.model, probeStart(r), ...(manyBackends ? [r.cell.backend] : []), ...(manySeeds ? [`seed ${r.cell.seed}`] : [])].join(' · ')]),
  );
}

const LAYER_AXIS = { field: 'layer', type: 'quantitative' as const, title: 'layer (0: embeddings)', axis: { tickMinStep: 1, format: 'd' } };

/** The cross-lingual probe: translation retrieval accuracy@1 per layer, before and after adding the language vector. */
async function crossLingualSection(xl: readonly ReportRecord[], prov: ProvenanceIndex, nextChart: ChartFn): Promise<Section> {
  const series = probeSeries(xl);
  const first = xl[0].crossLingual as NonNullable<ReportRecord['crossLingual']>;
  const parts = [
    `<p class="note">${escapeHtml(
      `Sentence vectors (mean of a layer's token states) of ${first.evaluated} aligned ${first.source}/${first.target} paragraph pairs; retrieval of each ${first.source} paragraph's translation among the ${first.evaluated} ${first.target} candidates by cosine similarity (accuracy@1, MRR), before and after adding the language vector (token-level mean ${first.target} minus mean ${first.source}, fitted on the other ${first.pairs - first.evaluated} pairs). Chance accuracy@1: ${pct1(1 / first.evaluated)}. Layer 0 is the embedding output.`,
    )}</p>`,
  ];
  const when = ['before', 'with language vector'];
  const values = xl.flatMap((r) =>
    (r.crossLingual?.layers ?? []).flatMap((l) => [
      { series: series.get(r), layer: l.layer, when: when[0], acc: l.before.accuracyAt1 },
      { series: series.get(r), layer: l.layer, when: when[1], acc: l.after.accuracyAt1 },
    ]),
  );
  if (values.length) {
    const spec = {
      data: { values },
      width: 420,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: LAYER_AXIS,
        y: { field: 'acc', type: 'quantitative', title: 'translation retrieval accuracy@1', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
        color: { field: 'series', type: 'nominal', title: 'model · init' },
        strokeDash: { field: 'when', type: 'nominal', title: 'sentence vectors', scale: { domain: when }, legend: { symbolType: 'stroke', symbolSize: 300, encode: { symbols: { update: { stroke: { value: '#444' }, strokeWidth: { value: 2 } } } } } },
      },
    } as unknown as TopLevelSpec;
    parts.push(await nextChart(spec, `Cross-lingual retrieval (${first.source} → ${first.target}) accuracy@1 per layer, before and with the language vector`));
  }
  const rows = xl.flatMap((r) =>
    (r.crossLingual?.layers ?? []).map(
      (l) =>
        [
          r.cell.model,
          probeStart(r),
          String(l.layer),
          pct1(l.before.accuracyAt1),
          pct1(l.after.accuracyAt1),
          fixed(l.before.mrr, 3),
          fixed(l.after.mrr, 3),
          `${fixed(l.vectorNorm, 2)} / ${fixed(l.meanSourceNorm, 2)}`,
          { html: prov.links([r]) },
        ] satisfies Cell[],
    ),
  );
  parts.push(table(['model', 'init', 'layer', 'acc@1 before', 'acc@1 with vector', 'MRR before', 'MRR with vector', '|vector| / mean |sentence|', 'provenance'], rows));
  return { id: 'probe-crosslingual', title: 'Cross-lingual probe: the language vector', html: parts.join('\n') };
}

/**
 * Contextual embeddings: sense separation per layer and word (chart and table), and for each pretrained model the
 * last-layer cosine similarity matrix of the first word's sentences as a heatmap.
 */
async function contextualSection(ctx: readonly ReportRecord[], prov: ProvenanceIndex, nextChart: ChartFn): Promise<Section> {
  const series = probeSeries(ctx);
  const parts = [
    '<p class="note">One ambiguous word in several sentences per sense (the bundled probe sentences): sense separation = mean cosine similarity of the word\'s vectors between sentences of the same sense minus between different senses (&gt; 0: the vectors cluster by sense; the embedding layer, which sees no context, gives 0 up to sub-token effects).</p>',
  ];
  const words = distinct(ctx.flatMap((r) => (r.contextual ?? []).map((c) => c.word)));
  const values = ctx.flatMap((r) => (r.contextual ?? []).flatMap((c) => c.separation.map((s) => ({ series: series.get(r), word: c.word, layer: s.layer, separation: s.separation }))));
  if (values.length) {
    const spec = {
      data: { values },
      facet: { field: 'word', type: 'nominal', title: 'word', sort: words },
      columns: 3,
      spec: {
        width: 260,
        height: 180,
        mark: { type: 'line', point: true },
        encoding: {
          x: LAYER_AXIS,
          y: { field: 'separation', type: 'quantitative', title: 'sense separation (cosine)' },
          color: { field: 'series', type: 'nominal', title: 'model · init' },
        },
      },
    } as unknown as TopLevelSpec;
    parts.push(await nextChart(spec, 'Sense separation per layer, per word'));
  }
  const rows = ctx.flatMap((r) => {
    const layers = distinct((r.contextual ?? []).flatMap((c) => c.separation.map((s) => s.layer))).sort((a, b) => a - b);
    return layers.map(
      (layer) =>
        [
          r.cell.model,
          probeStart(r),
          String(layer),
          ...words.map((w) => fixed(r.contextual?.find((c) => c.word === w)?.separation.find((s) => s.layer === layer)?.separation, 3)),
          { html: prov.links([r]) },
        ] satisfies Cell[],
    );
  });
  parts.push(table(['model', 'init', 'layer', ...words, 'provenance'], rows, 'Sense separation (within-sense minus across-sense mean cosine similarity)'));

  // The similarity matrix of the first word, for each pretrained model.
  for (const r of ctx.filter((x) => x.cell.pretraining != null)) {
    const c = r.contextual?.[0];
    if (!c || c.similarity.length === 0) continue;
    const labels = c.similarity.map((_, i) => `${i + 1} ${c.senses[i] ?? '?'}`);
    const cells = c.similarity.flatMap((row, i) => row.map((sim, j) => ({ row: labels[i], col: labels[j], sim })));
    const sims = cells.map((x) => x.sim).filter(Number.isFinite);
    const mid = sims.length ? (Math.min(...sims) + Math.max(...sims)) / 2 : 0;
    const axis = (field: string, title: string) => ({ field, type: 'ordinal' as const, sort: labels, title });
    const spec = {
      data: { values: cells },
      width: { step: 40 },
      height: { step: 28 },
      encoding: { x: { ...axis('col', 'other sentence'), axis: { labelAngle: -40 } }, y: axis('row', 'sentence') },
      layer: [
        { mark: 'rect', encoding: { color: { field: 'sim', type: 'quantitative', title: 'cosine similarity', scale: { scheme: 'blues' } } } },
        {
          mark: { type: 'text', fontSize: 10 },
          encoding: { text: { field: 'sim', type: 'quantitative', format: '.2f' }, color: { condition: { test: `datum.sim > ${mid}`, value: 'white' }, value: 'black' } },
        },
      ],
    } as unknown as TopLevelSpec;
    const who = `${r.cell.model}, ${probeStart(r)}`;
    parts.push(`<h3>${escapeHtml(`"${c.word}": cosine similarity across sentences, last layer (${who})`)} <small>${prov.links([r])}</small></h3>`);
    parts.push(await nextChart(spec, `Cosine similarity of "${c.word}" between its sentences, last layer (${who})`));
    const sentenceRows = c.similarity.map((row, i) => [labels[i], c.sentences[i] ?? '', ...row.map((v) => fixed(v, 2))] satisfies Cell[]);
    parts.push(table(['', 'sentence', ...labels.map((_, j) => String(j + 1))], sentenceRows, `The sentences of "${c.word}" and their cosine similarities`));
  }
  return { id: 'probe-contextual', title: 'Contextual embeddings', html: parts.join('\n') };
}

/** The sections of the probe records (kind 'probe'): cross-lingual retrieval and contextual embeddings. */
async function probeSections(records: readonly ReportRecord[], prov: ProvenanceIndex, nextChart: ChartFn): Promise<Section[]> {
  const probes = records.filter((r) => r.kind === 'probe');
  const xl = probes.filter((r) => r.crossLingual);
  const ctx = probes.filter((r) => r.contextual?.length);
  const out: Section[] = [];
  if (xl.length) out.push(await crossLingualSection(xl, prov, nextChart));
  if (ctx.length) out.push(await contextualSection(ctx, prov, nextChart));
  return out;
}

// ---- the report -----------------------------------------------------------------------------------------

const CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg-alt: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { border-bottom: 1px solid var(--line); padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { margin-top: 1.6rem; } p.note, figcaption, caption, footer { color: var(--muted); font-size: .9rem; }
nav ul { display: flex; flex-wrap: wrap; gap: .3rem 1rem; list-style: none; padding: 0; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .88rem; display: block; overflow-x: auto; max-width: 100%; }
caption { text-align: left; padding-bottom: .3rem; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; } tbody tr:nth-child(even) { background: #fbfcfd; }
td { font-variant-numeric: tabular-nums; }
figure.chart { margin: .8rem 0; overflow-x: auto; } figure.chart svg { max-width: 100%; height: auto; display: block; }
code { background: var(--bg-alt); padding: 0 .25rem; border-radius: 3px; font-size: .88em; }
pre.reason { white-space: pre-wrap; margin: 0; font-size: .85rem; }
details { margin: .2rem 0; } summary { cursor: pointer; }
dl.prov { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .4rem 0 1rem; font-size: .9rem; }
dl.prov dt { font-weight: 600; } dl.prov dd { margin: 0; overflow-wrap: anywhere; }
`;

/**
 * The HTML report of a list of result records (the lines of a results.jsonl). Deterministic: the same records
 * give the same page.
 */
export async function htmlReport(all: readonly ReportRecord[], options: HtmlReportOptions = {}): Promise<string> {
  const records = latestRecords(all);
  const prov = new ProvenanceIndex(records);
  const ft = records.filter((r) => r.kind === 'finetune');
  const pre = records.filter((r) => r.kind === 'pretrain');
  const bench = records.filter((r) => r.kind === 'bench');
  const ic = records.filter((r) => r.kind === 'incontext');
  const skipped = records.filter((r) => r.kind === 'skipped');
  const title = `ssbench report: ${options.title ?? records[0]?.provenance.configName ?? 'results'}`;
  let charts = 0;
  const nextChart = (spec: TopLevelSpec, caption: string) => chart(spec, caption, ++charts);

  const sections: { id: string; title: string; html: string }[] = [];
  const seeds = distinct(ft.map((r) => r.cell.seed)).sort((a, b) => a - b);
  const inits = lastNone(distinct([...ft, ...ic].map(initLabel)).sort(), 'scratch');
  const initColor = { field: 'init', type: 'nominal' as const, title: 'initialisation', scale: { domain: inits } };

  // ---- downstream metrics --------------------------------------------------------------------------------
  if (ft.length) {
    const parts: string[] = [
      '<p class="note">Test-split metrics, mean over seeds; error bars: ± one sample standard deviation over seeds. ' +
        'Bars are grouped by pretraining recipe ("(none)": no pretraining), coloured by initialisation (pretrained, from scratch, and variants such as re-initialised embeddings); one panel per model and backend.</p>',
    ];
    for (const [, rs] of groupBy(ft, (r) => JSON.stringify([r.cell.task, r.taskVersion ?? null]))) {
      const task = rs[0].cell.task ?? '?';
      parts.push(`<h3>${escapeHtml(task)} <small>(task version ${escapeHtml(rs[0].taskVersion ?? 'unknown')})</small></h3>`);
      const metricNames = distinct(rs.flatMap((r) => Object.keys(r.metrics ?? {})));
      const higher = (m: string) => rs.find((r) => r.higherIsBetter && m in r.higherIsBetter)?.higherIsBetter?.[m];
      const conditions = [...groupBy(rs, conditionKey).values()];
      for (const m of metricNames) {
        const values = conditions.flatMap((cs) => {
          const vals = cs.map((r) => r.metrics?.[m]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
          if (!vals.length) return [];
          const { mean, std, n } = meanStd(vals);
          const r = cs[0];
          return [{ panel: `${r.cell.model} · ${r.cell.backend}`, objective: objectiveOf(r), init: initLabel(r), mean, lo: mean - std, hi: mean + std, n }];
        });
        if (!values.length) continue;
        const objectives = lastNone(distinct(values.map((v) => v.objective)), NO_PRETRAINING);
        const hib = higher(m);
        const yTitle = hib === undefined ? m : `${m} (${hib ? 'higher' : 'lower'} is better)`;
        const x = { field: 'objective', type: 'nominal' as const, title: 'pretraining recipe', sort: objectives, axis: { labelAngle: -30 } };
        const spec = {
          data: { values },
          // One chart per model and backend, side by side: each shows its own recipes, on one shared metric scale.
          hconcat: distinct(values.map((v) => v.panel)).map((panel) => ({
            title: { text: panel, fontSize: 12, fontWeight: 'normal' },
            transform: [{ filter: { field: 'panel', equal: panel } }],
            width: { step: Math.max(18, 60 / Math.max(1, inits.length)) * Math.max(1, inits.length) },
            height: 200,
            encoding: { x, xOffset: { field: 'init', type: 'nominal', title: 'initialisation', scale: { domain: inits } } },
            layer: [
              { mark: { type: 'bar', tooltip: false }, encoding: { y: { field: 'mean', type: 'quantitative', title: yTitle }, color: initColor } },
              { mark: { type: 'rule', color: '#222', strokeWidth: 1.5 }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
            ],
          })),
          resolve: { scale: { y: 'shared', color: 'shared' } },
        } as unknown as TopLevelSpec;
        parts.push(await nextChart(spec, `${task}: ${m} by pretraining recipe and initialisation (mean ± std over seeds)`));
      }
      const rows = conditions.map((cs) => {
        const r = cs[0];
        const ordered = [...cs].sort((a, b) => a.cell.seed - b.cell.seed);
        return [
          r.cell.model,
          r.cell.backend,
          r.cell.pretraining ?? NO_PRETRAINING,
          initLabel(r),
          ...metricNames.map((m) => meanSpreadText(ordered.map((x) => x.metrics?.[m]).filter((v): v is number => typeof v === 'number'))),
          ordered.map((x) => x.cell.seed).join(', '),
          { html: prov.links(cs) },
        ] satisfies Cell[];
      });
      parts.push(table(['model', 'backend', 'pretraining', 'init', ...metricNames.map((m) => `${m} (mean ± std)`), 'seeds', 'provenance'], rows));
    }
    sections.push({ id: 'downstream', title: 'Downstream results', html: parts.join('\n') });
  }

  // ---- fine-tuning loss curves ---------------------------------------------------------------------------
  const ftCurves = ft.filter((r) => (r.lossCurve ?? []).length > 0);
  if (ftCurves.length) {
    const parts = [
      '<p class="note">Fine-tuning training loss by optimizer step, mean over seeds (long curves averaged over windows of steps). One panel per pretraining recipe: its pretrained (and variant) models against the same architecture trained from scratch.</p>',
    ];
    for (const [, rs] of groupBy(ftCurves, (r) => JSON.stringify([r.cell.task, r.cell.model, r.cell.backend]))) {
      const { task, model, backend } = rs[0].cell;
      const objectives = distinct(rs.map((r) => r.cell.pretraining).filter((p): p is string => typeof p === 'string'));
      const scratch = rs.filter((r) => r.cell.pretraining == null);
      const panels = objectives.length ? objectives : [NO_PRETRAINING];
      const values = panels.flatMap((panel) => {
        const members = [...rs.filter((r) => r.cell.pretraining === panel), ...scratch];
        return [...groupBy(members, initLabel).entries()].flatMap(([init, group]) => thin(meanCurve(group)).map((p) => ({ panel, init, ...p })));
      });
      const spec = {
        data: { values },
        facet: { field: 'panel', type: 'nominal', title: 'pretraining recipe', sort: panels },
        columns: 3,
        spec: {
          width: 260,
          height: 160,
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: {
            x: { field: 'step', type: 'quantitative', title: 'step' },
            y: { field: 'loss', type: 'quantitative', title: 'training loss', scale: { zero: false } },
            color: initColor,
          },
        },
      } as unknown as TopLevelSpec;
      parts.push(`<h3>${escapeHtml(`${task} / ${model} / ${backend}`)}</h3>`);
      parts.push(await nextChart(spec, `${task} / ${model} / ${backend}: fine-tuning loss, pretrained vs from scratch (mean over seeds)`));
      const rows = [...groupBy(rs, conditionKey).values()].map((cs) => {
        const last = cs.map((r) => r.lossCurve?.at(-1)?.loss);
        const first = cs.map((r) => r.lossCurve?.[0]?.loss);
        return [cs[0].cell.pretraining ?? NO_PRETRAINING, initLabel(cs[0]), String(Math.max(...cs.map((r) => r.lossCurve?.at(-1)?.step ?? 0))), num(meanOf(first)), num(meanOf(last)), String(cs.length), { html: prov.links(cs) }] satisfies Cell[];
      });
      parts.push(table(['pretraining', 'init', 'steps', 'first logged loss (mean)', 'last logged loss (mean)', 'seeds', 'provenance'], rows));
    }
    sections.push({ id: 'finetune-curves', title: 'Fine-tuning loss', html: parts.join('\n') });
  }

  // ---- pretraining ------------------------------------------------------------------------------------------
  if (pre.length) {
    const parts = ['<p class="note">Pretraining loss by optimizer step (the objective\'s total loss, mean over seeds; long curves averaged over windows of steps). One panel per model; y scales are independent.</p>'];
    const backends = distinct(pre.map((r) => r.cell.backend));
    const recipeLabel = (r: ReportRecord) => (backends.length > 1 ? `${r.cell.pretraining} (${r.cell.backend})` : String(r.cell.pretraining));
    const values = [...groupBy(pre, conditionKey).values()].flatMap((cs) => thin(meanCurve(cs)).map((p) => ({ model: cs[0].cell.model, recipe: recipeLabel(cs[0]), ...p })));
    if (values.length) {
      const spec = {
        data: { values },
        facet: { field: 'model', type: 'nominal', title: 'model' },
        columns: 2,
        resolve: { scale: { y: 'independent', color: 'independent' } },
        spec: {
          width: 280,
          height: 180,
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: {
            x: { field: 'step', type: 'quantitative', title: 'step' },
            y: { field: 'loss', type: 'quantitative', title: 'pretraining loss', scale: { zero: false } },
            color: { field: 'recipe', type: 'nominal', title: 'recipe' },
          },
        },
      } as unknown as TopLevelSpec;
      parts.push(await nextChart(spec, 'Pretraining loss per recipe (mean over seeds)'));
    }
    const rows = [...groupBy(pre, conditionKey).values()].map((cs) => {
      const r = cs[0];
      const lasts = cs.map((x) => x.lossCurve?.at(-1));
      const metricNames = distinct(lasts.flatMap((l) => Object.keys(l?.metrics ?? {})));
      return [
        r.cell.model,
        r.cell.pretraining ?? '',
        r.cell.backend,
        cs.map((x) => x.cell.seed).join(', '),
        String(Math.max(...lasts.map((l) => l?.step ?? 0))),
        `${num(meanOf(cs.map((x) => x.lossCurve?.[0]?.loss)))} → ${num(meanOf(lasts.map((l) => l?.loss)))}`,
        metricNames.map((m) => `${m} ${num(meanOf(lasts.map((l) => l?.metrics?.[m])))}`).join(', '),
        num(meanOf(cs.map((x) => x.timings?.trainStepMs?.median))),
        num(meanOf(cs.map((x) => x.timings?.tokensPerSecond))),
        { html: prov.links(cs) },
      ] satisfies Cell[];
    });
    parts.push(table(['model', 'recipe', 'backend', 'seeds', 'steps', 'loss (first → last logged)', 'final metrics', 'step ms (median)', 'tokens/s', 'provenance'], rows));
    sections.push({ id: 'pretraining', title: 'Pretraining', html: parts.join('\n') });
  }

  // ---- backends ----------------------------------------------------------------------------------------------
  if (ft.length || bench.length) {
    const parts = [
      '<p class="note">Fine-tuning: train step and inference (one evaluation batch) times in ms, median and p90 over timed runs with warm-up excluded, averaged over cells; throughput in training tokens/s; peak resident memory (max over cells). ' +
        'Parity: max |logit difference| against the reference backend on the same weights and inputs, and max |loss difference| per step against the same cell trained on the reference backend (max over cells).</p>',
    ];
    if (ft.length) {
      const rows = [...groupBy(ft, (r) => r.cell.backend).entries()].map(([backend, rs]) => {
        const b = rs[0].provenance.backend;
        const parity = maxOf(rs.map((r) => r.parity?.maxAbsDiff));
        const curve = maxOf(rs.map((r) => r.parity?.lossCurveMaxAbsDiff));
        const isReference = rs.every((r) => r.parity == null);
        return [
          backend,
          `${b.version} (${b.device})`,
          String(rs.length),
          num(meanOf(rs.map((r) => r.timings?.tokensPerSecond))),
          `${num(meanOf(rs.map((r) => r.timings?.trainStepMs?.median)))} / ${num(meanOf(rs.map((r) => r.timings?.trainStepMs?.p90)))}`,
          `${num(meanOf(rs.map((r) => r.timings?.inferenceMs?.median)))} / ${num(meanOf(rs.map((r) => r.timings?.inferenceMs?.p90)))}`,
          num(meanOf(rs.map((r) => r.timings?.compileMs))),
          mib(maxOf(rs.map((r) => r.peakMemoryBytes))),
          isReference ? 'reference' : parity === undefined ? 'n/a' : parity.toExponential(2),
          isReference ? 'reference' : curve === undefined ? 'n/a' : curve.toExponential(2),
          { html: prov.links(rs) },
        ] satisfies Cell[];
      });
      parts.push(
        table(
          ['backend', 'runtime', 'cells', 'train tokens/s', 'train step ms (p50 / p90)', 'inference ms (p50 / p90)', 'compile ms', 'peak memory', 'logit parity (max abs diff)', 'loss-curve parity', 'provenance'],
          rows,
          'Fine-tuning cells by backend',
        ),
      );
    }
    if (bench.length) {
      type BenchTimings = { stepMs?: { median: number; p90: number }; tokensPerSecond?: number; gflops?: number };
      const rows = [...groupBy(bench, conditionKey).values()].map((cs) => {
        const t = cs.map((r) => r.timings as BenchTimings | undefined);
        const w = (cs[0] as { workload?: { batchSize?: number; seqLen?: number; threads?: number } }).workload;
        return [
          describeCondition(cs[0]),
          w ? `batch ${w.batchSize} × seq ${w.seqLen}${w.threads ? `, ${w.threads} threads` : ''}` : 'n/a',
          `${num(meanOf(t.map((x) => x?.stepMs?.median)))} / ${num(meanOf(t.map((x) => x?.stepMs?.p90)))}`,
          num(meanOf(t.map((x) => x?.tokensPerSecond))),
          num(meanOf(t.map((x) => x?.gflops))),
          mib(maxOf(cs.map((r) => r.peakMemoryBytes))),
          { html: prov.links(cs) },
        ] satisfies Cell[];
      });
      parts.push(table(['cell', 'workload', 'step ms (p50 / p90)', 'tokens/s', 'GFLOP/s', 'peak memory', 'provenance'], rows, 'Benchmarks (ssbench bench)'));
    }
    sections.push({ id: 'backends', title: 'Backends', html: parts.join('\n') });
  }

  // ---- in-context evaluation ---------------------------------------------------------------------------------
  if (ic.length) {
    const parts = [
      '<p class="note">Decoder models prompted with K labelled examples; each label scored by log-likelihood. acc: argmax of the summed log-probability; acc_norm: per character. Mean ± standard deviation over seeds (the seed draws the examples).</p>',
    ];
    const rows: Cell[][] = [];
    const values: { panel: string; series: string; k: number; acc: number }[] = [];
    for (const cs of groupBy(ic, conditionKey).values()) {
      const r = cs[0];
      const ks = distinct(cs.flatMap((x) => (x.shots ?? []).map((s) => s.k))).sort((a, b) => a - b);
      for (const k of ks) {
        const pick = cs.map((x) => x.shots?.find((s) => s.k === k)).filter((s): s is NonNullable<typeof s> => s !== undefined);
        const acc = pick.map((s) => s.acc);
        rows.push([r.cell.task ?? '?', r.cell.model, r.cell.pretraining ?? NO_PRETRAINING, initLabel(r), r.cell.backend, String(k), meanSpreadText(acc), meanSpreadText(pick.map((s) => s.accNorm)), String(pick[0]?.n ?? 0), { html: prov.links(cs) }]);
        values.push({ panel: String(r.cell.task), series: `${r.cell.model} · ${r.cell.pretraining ?? NO_PRETRAINING} · ${initLabel(r)} · ${r.cell.backend}`, k, acc: meanStd(acc).mean });
      }
    }
    if (values.length) {
      const spec = {
        data: { values },
        facet: { field: 'panel', type: 'nominal', title: 'task' },
        columns: 3,
        spec: {
          width: 260,
          height: 160,
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'k', type: 'quantitative', title: 'examples in the prompt (K)' },
            y: { field: 'acc', type: 'quantitative', title: 'acc (mean over seeds)' },
            color: { field: 'series', type: 'nominal', title: 'model · recipe · init · backend' },
          },
        },
      } as unknown as TopLevelSpec;
      parts.push(await nextChart(spec, 'In-context accuracy by number of examples in the prompt'));
    }
    parts.push(table(['task', 'model', 'pretraining', 'init', 'backend', 'shots', 'acc', 'acc_norm', 'examples', 'provenance'], rows));
    sections.push({ id: 'incontext', title: 'In-context evaluation', html: parts.join('\n') });
  }

  // ---- representation probes ------------------------------------------------------------------------------
  sections.push(...(await probeSections(records, prov, nextChart)));

  // ---- skipped cells -------------------------------------------------------------------------------------------
  if (skipped.length) {
    const rows = [...groupBy(skipped, (r) => JSON.stringify([r.cell.backend, r.reason ?? ''])).values()].map((rs) => {
      const cells = rs.map((r) => `<li>${escapeHtml(`${describeCondition(r)} / seed ${r.cell.seed}`)}</li>`).join('');
      return [
        rs[0].cell.backend,
        String(rs.length),
        { html: `<details><summary>${rs.length} cell(s)</summary><ul>${cells}</ul></details>` },
        { html: `<pre class="reason">${escapeHtml(rs[0].reason ?? '')}</pre>` },
        { html: prov.links(rs) },
      ] satisfies Cell[];
    });
    sections.push({
      id: 'skipped',
      title: 'Skipped cells',
      html: `<p class="note">Cells that did not run or failed, grouped by backend and reason.</p>\n${table(['backend', 'cells', 'which', 'reason', 'provenance'], rows)}`,
    });
  }

  // ---- provenance --------------------------------------------------------------------------------------------
  if (records.length) {
    const parts = ['<p class="note">Every table row above links to the provenance entries (P1, P2, ...) of the records behind its numbers.</p>'];
    for (const { id, records: rs } of prov.entries) {
      const p = rs[0].provenance;
      const times = rs.flatMap((r) => [r.provenance.startedAt, r.provenance.finishedAt]).sort();
      const kinds = [...groupBy(rs, (r) => r.kind).entries()].map(([k, v]) => `${v.length} ${k}`).join(', ');
      const dl: [string, string][] = [
        ['config', `${p.configName} (hash ${p.configHash})`],
        ['git', p.gitSha ?? 'unknown (not a git checkout)'],
        ['backend', `${p.backend.name}: ${p.backend.version} (${p.backend.device})`],
        ['machine', `${p.machine.cpu}, ${p.machine.cores} cores, ${mib(p.machine.memoryBytes)}, ${p.machine.platform}, Node.js ${p.machine.node}`],
        ['packages', Object.entries(p.packages).map(([k, v]) => `${k}@${v}`).join(', ')],
        ['time', `${times[0]} to ${times.at(-1)}`],
        ['records', kinds],
      ];
      parts.push(`<h3 id="prov-${id}">P${id}</h3><dl class="prov">${dl.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`);
    }
    sections.push({ id: 'provenance', title: 'Provenance', html: parts.join('\n') });
  }

  const summary = records.length
    ? `${ft.length} fine-tuning cell(s), ${pre.length} pretraining job(s), ${ic.length} in-context cell(s), ${bench.length} benchmark(s), ${records.filter((r) => r.kind === 'probe').length} probe(s), ${skipped.length} skipped; seeds ${seeds.join(', ') || 'n/a'}.`
    : 'No results.';
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing may be loaded or run: the page is self-contained, and any injected markup stays inert.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="generator" content="ssbench">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>${escapeHtml(summary)}</p>`,
    options.command ? `<p class="note">Regenerate with <code>${escapeHtml(options.command)}</code>.</p>` : '',
    sections.length ? `<nav aria-label="sections"><ul>${sections.map((s) => `<li><a href="#${s.id}">${escapeHtml(s.title)}</a></li>`).join('')}</ul></nav>` : '',
    '</header>',
    '<main>',
    ...sections.map((s) => `<section id="${s.id}" aria-labelledby="${s.id}-h">\n<h2 id="${s.id}-h">${escapeHtml(s.title)}</h2>\n${s.html}\n</section>`),
    '</main>',
    '<footer><p>Charts: Vega-Lite, rendered to SVG when the report was built.</p></footer>',
    '</body>',
    '</html>',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

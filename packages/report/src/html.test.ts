/**
 * The HTML report, checked as text: sections, hand-computed numbers (mean ± std over seeds, mean loss curves,
 * backend averages), escaping of every string from the results, self-containment (nothing to load), unique
 * element ids across the inline SVG charts, provenance links. tests/browser/report.test.ts opens it in Chromium.
 */
import { describe, expect, test, vi } from 'vitest';
import { escapeHtml, htmlReport } from './html';
import type { ReportRecord } from './markdown';

type Prov = ReportRecord['provenance'];

function provenance(backend: string, gitSha = 'abc1234'): Prov {
  return {
    configHash: 'f'.repeat(64),
    configName: 'fixture',
    gitSha,
    packages: { '@ssbench/task-sentiment': '1.0.0', '@ssbench/model-bert': '0.1.0' },
    backend: { name: `@ssbench/backend-${backend}`, device: 'cpu', version: `${backend}-runtime 9.9.9` },
    machine: { cpu: 'Test CPU', cores: 2, memoryBytes: 8 * 2 ** 30, platform: 'linux test', node: 'v20.0.0' },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:10:00.000Z',
  };
}

interface FtOptions {
  model?: string;
  pretraining: string | null;
  init?: string;
  task?: string;
  backend?: string;
  seed: number;
  metrics: Record<string, number>;
  losses?: number[];
  stepMs?: number;
  tokensPerSecond?: number;
}

function finetune(o: FtOptions): ReportRecord {
  const backend = o.backend ?? 'ort';
  return {
    kind: 'finetune',
    cell: { model: o.model ?? 'bert-mini', pretraining: o.pretraining, task: o.task ?? 'sentiment', backend, seed: o.seed, ...(o.init ? { init: o.init } : {}) },
    metrics: o.metrics,
    higherIsBetter: Object.fromEntries(Object.keys(o.metrics).map((m) => [m, true])),
    taskVersion: '1.0.0',
    lossCurve: (o.losses ?? [0.7, 0.6, 0.5]).map((loss, i) => ({ step: (i + 1) * 10, loss })),
    timings: { compileMs: 100, trainStepMs: { median: o.stepMs ?? 20, p90: 30, runs: 10 }, inferenceMs: { median: 5, p90: 6, runs: 10 }, tokensPerSecond: o.tokensPerSecond ?? 1000 },
    peakMemoryBytes: 512 * 2 ** 20,
    parity: backend === 'ort' ? null : { referenceBackend: 'ort', maxAbsDiff: 2e-6, lossCurveMaxAbsDiff: 3e-5 },
    provenance: provenance(backend),
  } as ReportRecord;
}

function pretrain(model: string, recipe: string, losses: number[], seed = 1): ReportRecord {
  return {
    kind: 'pretrain',
    cell: { model, pretraining: recipe, backend: 'ort', seed },
    lossCurve: losses.map((loss, i) => ({ step: (i + 1) * 5, loss, metrics: { mlm_accuracy: 0.1 * (i + 1) } })),
    timings: { compileMs: 50, trainStepMs: { median: 40, p90: 50, runs: 10 }, tokensPerSecond: 2000 },
    peakMemoryBytes: 600 * 2 ** 20,
    provenance: provenance('ort'),
  } as ReportRecord;
}

function skipped(backend: string, reason: string, model = 'bert-mini'): ReportRecord {
  return { kind: 'skipped', stage: 'finetune', cell: { model, pretraining: 'mlm', task: 'sentiment', backend, seed: 1 }, reason, provenance: provenance(backend) } as ReportRecord;
}

/** Three seeds of pretrained (mlm), from scratch and re-initialised embeddings; two backends; pretraining; a skip. */
function fixtureRecords(): ReportRecord[] {
  const out: ReportRecord[] = [];
  const acc = { mlm: [0.8, 0.82, 0.84], scratch: [0.6, 0.62, 0.64], reinit: [0.7, 0.71, 0.72] };
  for (const [i, seed] of [1, 2, 3].entries()) {
    out.push(finetune({ pretraining: 'mlm', seed, metrics: { accuracy: acc.mlm[i], f1: 0.5 }, losses: [0.7, 0.5, 0.3 + 0.01 * i] }));
    out.push(finetune({ pretraining: null, seed, metrics: { accuracy: acc.scratch[i], f1: 0.4 }, losses: [0.7, 0.65, 0.6] }));
    out.push(finetune({ pretraining: 'mlm', init: 'reinit-embeddings', seed, metrics: { accuracy: acc.reinit[i], f1: 0.45 } }));
    out.push(finetune({ pretraining: 'mlm', backend: 'wasm', seed, metrics: { accuracy: acc.mlm[i], f1: 0.5 }, stepMs: 60 + 10 * i, tokensPerSecond: 300 }));
  }
  out.push(pretrain('bert-mini', 'mlm', [9, 8, 7, 6]));
  out.push(skipped('webgpu', 'backend unavailable: no WebGPU adapter'));
  return out;
}

/** The report of the fixture, built once (rendering the charts takes a while). */
let fixtureHtml: Promise<{ html: string; warnings: unknown[][] }> | undefined;
async function buildFixtureReport(): Promise<{ html: string; warnings: unknown[][] }> {
  // Vega and Vega-Lite log their warnings (e.g. a spec they had to guess about) with console.warn.
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const html = await htmlReport(fixtureRecords(), { command: 'ssbench report results.jsonl --html r.html' });
    return { html, warnings: warn.mock.calls.map((c) => [...c]) };
  } finally {
    warn.mockRestore();
  }
}
const fixtureReport = async () => (await (fixtureHtml ??= buildFixtureReport())).html;

describe('htmlReport', () => {
  test('has every section, the hand-computed numbers, and a chart per metric and curve', async () => {
    const html = await fixtureReport();
    expect((await fixtureHtml)?.warnings).toEqual([]); // the chart specs compile and render without warnings
    for (const id of ['downstream', 'finetune-curves', 'pretraining', 'backends', 'skipped', 'provenance']) expect(html).toContain(`<section id="${id}"`);
    expect(html).not.toContain('<section id="incontext"'); // no in-context records
    // accuracy over seeds: mlm 0.80/0.82/0.84 -> 0.82 ± 0.02; scratch 0.62 ± 0.02; re-init 0.71 ± 0.01.
    expect(html).toContain('<td>0.82 ± 0.02 (n=3)</td>');
    expect(html).toContain('<td>0.62 ± 0.02 (n=3)</td>');
    expect(html).toContain('<td>0.71 ± 0.01 (n=3)</td>');
    expect(html).toContain('<td>reinit-embeddings</td>');
    // Charts: 2 metric bar charts, 2 fine-tuning curve charts (ort, wasm), 1 pretraining chart.
    expect(html.match(/<figure class="chart"><svg /g)?.length).toBe(5);
    // Fine-tuning loss of the mlm cells: last logged 0.30, 0.31, 0.32 -> mean 0.31.
    expect(html).toMatch(/<td>mlm<\/td><td>pretrained<\/td><td>30<\/td><td>0.7<\/td><td>0.31<\/td>/);
    // Pretraining: first -> last logged loss, final metric of the last point.
    expect(html).toContain('<td>9 → 6</td><td>mlm_accuracy 0.4</td>');
    // Backend table: wasm step medians 60, 70, 80 -> 70; tokens/s 300; parity against ort.
    expect(html).toMatch(/<td>wasm<\/td><td>wasm-runtime 9.9.9 \(cpu\)<\/td><td>3<\/td><td>300<\/td><td>70 \/ 30<\/td>/);
    expect(html).toContain('<td>2.00e-6</td><td>3.00e-5</td>');
    expect(html).toContain('backend unavailable: no WebGPU adapter');
    expect(html).toContain('Regenerate with <code>ssbench report results.jsonl --html r.html</code>');
  });

  test('links every table row to its provenance; one entry per distinct provenance', async () => {
    const html = await fixtureReport();
    // ort, wasm and webgpu differ in backend: three entries, each with the full config hash and git SHA.
    for (const id of [1, 2, 3]) expect(html).toContain(`<h3 id="prov-${id}">P${id}</h3>`);
    expect(html).not.toContain('id="prov-4"');
    expect(html.split(`hash ${'f'.repeat(64)}`).length - 1).toBe(3);
    expect(html).toContain('<dd>abc1234</dd>');
    expect(html).toContain('@ssbench/backend-wasm: wasm-runtime 9.9.9 (cpu)');
    // Every body row of every table ends in a provenance cell with at least one link.
    const rows = [...html.matchAll(/<tbody>([\s\S]*?)<\/tbody>/g)].flatMap((m) => m[1].split('\n'));
    expect(rows.length).toBeGreaterThan(8);
    for (const row of rows) expect(row).toMatch(/<td>(<a href="#prov-\d">P\d<\/a>(, )?)+<\/td><\/tr>$/);
  });

  test('escapes every string from the results (cell names, reasons, provenance)', async () => {
    const evil = '<script>alert(1)</script>';
    const img = '"><img src=x onerror=alert(2)>';
    const records = fixtureRecords().map((r) => ({ ...r, cell: { ...r.cell, model: `${evil}${img}` } }));
    records.push(skipped('ort', `failed: ${evil}`));
    records[0] = { ...records[0], provenance: { ...records[0].provenance, configName: img, gitSha: evil } };
    const html = await htmlReport(records);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    // Every "<" starts a well-formed tag (attributes all double-quoted), so no result string opened one; and no
    // element has an event-handler attribute.
    const tags = [...html.matchAll(/<!doctype html>|<\/?([a-zA-Z][\w:-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*\/?>/g)];
    expect(tags.length).toBe(html.split('<').length - 1);
    for (const t of tags) for (const a of (t[2] ?? '').matchAll(/\s([\w:-]+)(?:="[^"]*")?/g)) expect(a[1]).not.toMatch(/^on/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x');
    expect(escapeHtml(`<a href="x" title='y'>&`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;');
  });

  test('is self-contained: no scripts, links, external URLs; a CSP that forbids loading; unique ids', async () => {
    const html = await fixtureReport();
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/<(script|link|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/\b(src|href)="(?!#)/); // every link is a fragment within the page
    expect(html).not.toMatch(/url\((?!#)/); // CSS and SVG references stay in the page
    expect(html).not.toMatch(/@import/);
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(5);
    expect(new Set(ids).size).toBe(ids.length);
    // Internal references point at existing ids.
    for (const m of html.matchAll(/(?:href="#|url\(#)([^")]+)/g)) expect(ids).toContain(m[1]);
  });

  test('is deterministic, keeps the last record of a cell, and drops a skip of a cell that later ran', async () => {
    const records = fixtureRecords();
    const first = records[0];
    // A resumed run: the cell appended twice (the later record wins) and an earlier skip of it.
    const again = { ...first, metrics: { accuracy: 0.86, f1: 0.5 } } as ReportRecord;
    const earlierSkip = { kind: 'skipped', stage: 'finetune', cell: first.cell, reason: 'interrupted', provenance: first.provenance } as ReportRecord;
    const html = await htmlReport([earlierSkip, ...records, again]);
    expect(html).toBe(await htmlReport([earlierSkip, ...records, again]));
    // accuracy 0.86, 0.82, 0.84 -> 0.84 ± 0.02
    expect(html).toContain('<td>0.84 ± 0.02 (n=3)</td>');
    expect(html).not.toContain('interrupted');
  });

  test('reads metrics generically: any names, lower-is-better, in-context shots', async () => {
    const reg = finetune({ pretraining: 'mlm', task: 'stability', seed: 1, metrics: { rmse: 0.25, spearman: 0.5 } });
    (reg as { higherIsBetter: Record<string, boolean> }).higherIsBetter = { rmse: false, spearman: true };
    const ic = {
      kind: 'incontext',
      cell: { model: 'gpt-mini', pretraining: 'next-token', task: 'sentiment', backend: 'ort', seed: 1 },
      taskVersion: '1.0.0',
      shots: [
        { k: 0, acc: 0.5, accNorm: 0.55, n: 100 },
        { k: 4, acc: 0.6, accNorm: 0.65, n: 100 },
      ],
      provenance: provenance('ort'),
    } as ReportRecord;
    const html = await htmlReport([reg, ic]);
    expect(html).toContain('rmse (lower is better)');
    expect(html).toContain('spearman (higher is better)');
    expect(html).toContain('<section id="incontext"');
    expect(html).toMatch(/<td>4<\/td><td>0.6 \(n=1\)<\/td><td>0.65 \(n=1\)<\/td><td>100<\/td>/);
  });

  test('an empty result set gives a page that says so', async () => {
    const html = await htmlReport([]);
    expect(html).toContain('<p>No results.</p>');
    expect(html).not.toContain('<svg');
  });
});

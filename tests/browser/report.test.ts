/**
 * The HTML report in a real browser: Debian's Chromium driven by playwright-core (STACK.md). Builds the report
 * from a small fixture result set, opens the file, and checks that the charts rendered (every SVG has a size,
 * bars and error bars are drawn to scale: bar height ∝ mean, error bar length ∝ 2 × std; the probe's similarity
 * heatmap has a rect per pair of sentences, one colour per value), that injected markup stayed text, and that the page logged no error and requested nothing but itself. Saves a screenshot.
 *
 * Skipped (with a note) where /usr/bin/chromium is not installed: `apt-get install chromium`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { type ReportRecord, htmlReport } from '../../packages/report/src/index';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`tests/browser/report.test.ts: skipped: ${CHROMIUM} is not installed (apt-get install chromium)`);

/** Where the screenshot goes (outside the repository; the test prints the path). */
const SCREENSHOT = join(tmpdir(), 'ssbench-screenshots', 'report.png');
const PAYLOAD = `<img src=x onerror="document.title='pwned'">`;

function provenance(backend: string): ReportRecord['provenance'] {
  return {
    configHash: 'ab'.repeat(32),
    configName: 'browser-fixture',
    gitSha: '0123abc',
    packages: { '@ssbench/task-sentiment': '1.0.0' },
    backend: { name: `@ssbench/backend-${backend}`, device: 'cpu', version: `${backend} 1.0` },
    machine: { cpu: 'Test CPU', cores: 2, memoryBytes: 2 ** 33, platform: 'linux', node: 'v20.0.0' },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:05:00.000Z',
  };
}

/** Means over 3 seeds: mlm 0.82 ± 0.02, scratch 0.62 ± 0.02, re-initialised embeddings 0.71 ± 0.01; wasm = mlm. */
const ACCURACY: Record<string, number[]> = { mlm: [0.8, 0.82, 0.84], scratch: [0.6, 0.62, 0.64], reinit: [0.7, 0.71, 0.72] };

function fixture(): ReportRecord[] {
  const out: ReportRecord[] = [];
  const ft = (variant: 'mlm' | 'scratch' | 'reinit', backend: string, seed: number): ReportRecord =>
    ({
      kind: 'finetune',
      cell: {
        model: 'bert-mini',
        pretraining: variant === 'scratch' ? null : 'mlm',
        task: 'sentiment',
        backend,
        seed,
        ...(variant === 'reinit' ? { init: 'reinit-embeddings' } : {}),
      },
      metrics: { accuracy: ACCURACY[variant][seed - 1] },
      higherIsBetter: { accuracy: true },
      taskVersion: '1.0.0',
      // 40 logged steps, loss decaying towards a variant-dependent floor.
      lossCurve: Array.from({ length: 40 }, (_, i) => ({ step: 5 * (i + 1), loss: (variant === 'scratch' ? 0.55 : 0.3) + 0.4 * Math.exp(-i / 10) + 0.005 * seed })),
      timings: { compileMs: 100, trainStepMs: { median: 20, p90: 25, runs: 10 }, inferenceMs: { median: 5, p90: 6, runs: 10 }, tokensPerSecond: 1000 },
      peakMemoryBytes: 2 ** 29,
      parity: backend === 'ort' ? null : { referenceBackend: 'ort', maxAbsDiff: 1e-6, lossCurveMaxAbsDiff: 1e-5 },
      provenance: provenance(backend),
    }) as ReportRecord;
  for (const seed of [1, 2, 3]) {
    out.push(ft('mlm', 'ort', seed), ft('scratch', 'ort', seed), ft('reinit', 'ort', seed), ft('mlm', 'wasm', seed));
  }
  for (const recipe of ['mlm', 'mlm-nsp'])
    out.push({
      kind: 'pretrain',
      cell: { model: 'bert-mini', pretraining: recipe, backend: 'ort', seed: 1 },
      lossCurve: Array.from({ length: 30 }, (_, i) => ({ step: 10 * (i + 1), loss: 9 - 2 * Math.log1p(i) - (recipe === 'mlm' ? 0 : 0.3) })),
      timings: { compileMs: 10, trainStepMs: { median: 40, p90: 45, runs: 30 }, tokensPerSecond: 2000 },
      peakMemoryBytes: 2 ** 29,
      provenance: provenance('ort'),
    } as ReportRecord);
  out.push(probeRecord());
  out.push({ kind: 'skipped', stage: 'finetune', cell: { model: 'bert-mini', pretraining: 'mlm', task: 'sentiment', backend: 'webgpu', seed: 1 }, reason: `failed: ${PAYLOAD}`, provenance: provenance('webgpu') } as ReportRecord);
  return out;
}

/** The last-layer similarity of "bank" in its four probe sentences (two per sense), for the heatmap. */
const SIMILARITY = [
  [1, 0.8, 0.3, 0.2],
  [0.8, 1, 0.25, 0.1],
  [0.3, 0.25, 1, 0.9],
  [0.2, 0.1, 0.9, 1],
];

/** A probe of the pretrained model: cross-lingual retrieval over 3 layers and the contextual "bank" probe. */
function probeRecord(): ReportRecord {
  return {
    kind: 'probe',
    cell: { model: 'bert-mini', pretraining: 'mlm', backend: 'ort', seed: 1 },
    crossLingual: {
      source: 'en',
      target: 'zh',
      pairs: 20,
      evaluated: 8,
      layers: [0, 1, 2].map((layer) => ({
        layer,
        before: { accuracyAt1: 0.125 * (layer + 1), mrr: 0.3 },
        after: { accuracyAt1: 0.25 * (layer + 1), mrr: 0.5 },
        vectorNorm: 2,
        meanSourceNorm: 4,
      })),
    },
    contextual: [
      {
        word: 'bank',
        senses: ['money', 'money', 'river', 'river'],
        sentences: ['I paid at the bank.', `The bank ${PAYLOAD} lent money.`, 'We sat on the bank of the river.', 'The river bank flooded.'],
        similarity: SIMILARITY,
        separation: [0, 1, 2].map((layer) => ({ layer, within: 0.5 + 0.1 * layer, across: 0.5, separation: 0.1 * layer })),
      },
    ],
    provenance: provenance('ort'),
  } as ReportRecord;
}

interface Measured {
  title: string;
  scripts: number;
  images: number;
  text: string;
  charts: {
    width: number;
    height: number;
    bars: { label: string; width: number; height: number; fill: string }[];
    rules: { label: string; length: number }[];
    lines: { points: number; width: number }[];
  }[];
}

/** Runs in the page (a string: the repository's TypeScript config has no DOM types). */
const MEASURE = `(() => {
  const box = (e) => e.getBoundingClientRect();
  return {
    title: document.title,
    scripts: document.querySelectorAll('script').length,
    images: document.querySelectorAll('img').length,
    text: document.body.innerText,
    charts: [...document.querySelectorAll('figure.chart > svg')].map((svg) => ({
      width: box(svg).width,
      height: box(svg).height,
      bars: [...svg.querySelectorAll('g.mark-rect.role-mark path')].map((p) => ({ label: p.getAttribute('aria-label') || '', width: box(p).width, height: box(p).height, fill: getComputedStyle(p).fill })),
      rules: [...svg.querySelectorAll('g.mark-rule.role-mark line')].map((l) => ({ label: l.getAttribute('aria-label') || '', length: box(l).height })),
      lines: [...svg.querySelectorAll('g.mark-line.role-mark path')].map((p) => ({ points: (p.getAttribute('d').match(/[ML]/g) || []).length, width: box(p).width })),
    })),
  };
})()`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('HTML report in Chromium', () => {
  it.skipIf(!HAVE_CHROMIUM)('renders every chart to scale, with no console error, page error or network request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssbench-browser-'));
    dirs.push(dir);
    const file = join(dir, 'report.html');
    writeFileSync(file, await htmlReport(fixture(), { title: 'browser fixture' }));
    const url = pathToFileURL(file).href;

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      // Anything but the page itself would be a request to the network: refuse it (and it is recorded above).
      await context.route(/^(?!file:)/, (route) => route.abort());

      await page.goto(url, { waitUntil: 'load' });
      const m = (await page.evaluate(MEASURE)) as Measured;

      // 1 metric bar chart, 2 fine-tuning curve charts (ort, wasm), 1 pretraining chart; the probe: cross-lingual
      // retrieval, sense separation, the similarity heatmap.
      expect(m.charts).toHaveLength(7);
      for (const c of m.charts) {
        expect(c.width).toBeGreaterThan(150);
        expect(c.height).toBeGreaterThan(150);
      }

      // Bars: mlm (ort), scratch, re-init, mlm (wasm); heights on one shared scale from 0.
      const [bars, ftOrt, ftWasm, pre, crossLingual, separation, heatmap] = m.charts;
      expect(bars.bars).toHaveLength(4);
      // Bars are labelled for screen readers: "pretraining recipe: mlm; accuracy (higher is better): 0.82; ...".
      const mean = (label: string) => Number(/accuracy \(higher is better\): ([\d.]+)/.exec(label)?.[1]);
      const pxPerUnit = bars.bars[0].height / mean(bars.bars[0].label);
      expect(pxPerUnit).toBeGreaterThan(100); // a 200 px tall plot of values up to ~0.85
      expect(bars.bars.map((b) => Number(mean(b.label).toFixed(10))).sort()).toEqual([0.62, 0.71, 0.82, 0.82]);
      for (const b of bars.bars) expect(Math.abs(b.height - mean(b.label) * pxPerUnit)).toBeLessThan(1.5);
      // Error bars: ± one std, so their length is 2 std on the bars' scale (std 0.02, 0.02, 0.01, 0.02).
      expect(bars.rules).toHaveLength(4);
      expect(bars.rules.map((r) => Math.round(r.length / pxPerUnit / 2 / 0.005) * 0.005).sort()).toEqual([0.01, 0.02, 0.02, 0.02]);

      // Curves: on ort, pretrained, re-initialised and scratch in the mlm panel; on wasm, pretrained only;
      // pretraining, one line per recipe. Each line has all its points (40 and 30 logged steps).
      expect(ftOrt.lines.map((l) => l.points)).toEqual([40, 40, 40]);
      expect(ftWasm.lines.map((l) => l.points)).toEqual([40]);
      expect(pre.lines.map((l) => l.points)).toEqual([30, 30]);
      for (const l of [...ftOrt.lines, ...ftWasm.lines, ...pre.lines]) expect(l.width).toBeGreaterThan(200);

      // Probe: before and with the language vector (one line each); separation of "bank" (one line).
      expect(crossLingual.lines.map((l) => l.points)).toEqual([3, 3]);
      expect(separation.lines.map((l) => l.points)).toEqual([3]);
      // The heatmap: 4 x 4 cells of one size, in a grid; equal similarities share a colour, different ones differ
      // (the diagonal, 1, is the darkest end of the scale).
      expect(heatmap.bars).toHaveLength(16);
      for (const cell of heatmap.bars) {
        expect(cell.width).toBeGreaterThan(20);
        expect(cell.height).toBeGreaterThan(15);
        expect(Math.abs(cell.width - heatmap.bars[0].width)).toBeLessThan(0.5);
      }
      const sim = (label: string) => Number(/cosine similarity: ([\d.]+)/.exec(label)?.[1]);
      const fillOf = new Map<number, Set<string>>();
      for (const cell of heatmap.bars) fillOf.set(sim(cell.label), (fillOf.get(sim(cell.label)) ?? new Set()).add(cell.fill));
      expect([...fillOf.keys()].sort()).toEqual([...new Set(SIMILARITY.flat())].sort());
      for (const fills of fillOf.values()) expect(fills.size).toBe(1);
      expect(new Set([...fillOf.values()].map((f) => [...f][0])).size).toBe(fillOf.size);
      expect(m.text).toContain('0.25'); // the values are written in the cells and the table

      // Injected markup is shown as text, not run or rendered.
      expect(m.scripts).toBe(0);
      expect(m.images).toBe(0);
      expect(m.title).toBe('ssbench report: browser fixture');
      expect(m.text).toContain(`failed: ${PAYLOAD}`);
      expect(m.text).toContain(`The bank ${PAYLOAD} lent money.`);
      expect(m.text).toContain('0.82 ± 0.02 (n=3)');

      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);

      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
      console.log(`tests/browser/report.test.ts: screenshot of the fixture report: ${SCREENSHOT}`);
    } finally {
      await browser.close();
    }
  });
});

/**
 * The probe sections of the HTML report (records of kind 'probe'): the cross-lingual retrieval chart and table
 * (accuracy@1 before and with the language vector, per layer), sense separation per layer and word, and the
 * last-layer cosine similarity heatmap of the first word for each pretrained model. Hand-made records; every
 * number checked against the record it comes from; every string from the records escaped.
 */
import { describe, expect, test, vi } from 'vitest';
import { htmlReport } from './html';
import type { ReportRecord } from './markdown';

function provenance(): ReportRecord['provenance'] {
  return {
    configHash: 'e'.repeat(64),
    configName: 'probe-fixture',
    gitSha: 'abc1234',
    packages: { '@ssbench/model-bert': '0.1.0' },
    backend: { name: '@ssbench/backend-onnxruntime', device: 'cpu', version: 'ort 1.0' },
    machine: { cpu: 'Test CPU', cores: 2, memoryBytes: 2 ** 33, platform: 'linux', node: 'v20.0.0' },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
  };
}

interface ProbeOptions {
  pretraining: string | null;
  seed?: number;
  model?: string;
  /** accuracy@1 before / after, per layer. */
  acc: [number, number][];
  /** Sense separation per layer, per word. */
  separation: Record<string, number[]>;
  word?: string;
  senses?: string[];
  sentences?: string[];
  source?: string;
}

/** Four sentences of the first word: two of each sense; 20 pairs, 8 evaluated (chance 1/8 = 12.5%). */
const SIMILARITY = [
  [1, 0.8, 0.3, 0.2],
  [0.8, 1, 0.25, 0.1],
  [0.3, 0.25, 1, 0.9],
  [0.2, 0.1, 0.9, 1],
];

function probe(o: ProbeOptions): ReportRecord {
  const words = Object.keys(o.separation);
  return {
    kind: 'probe',
    cell: { model: o.model ?? 'bert-t', pretraining: o.pretraining, backend: 'ort', seed: o.seed ?? 1 },
    crossLingual: {
      source: o.source ?? 'en',
      target: 'zh',
      pairs: 20,
      evaluated: 8,
      layers: o.acc.map(([before, after], layer) => ({
        layer,
        before: { accuracyAt1: before, mrr: before + 0.1 },
        after: { accuracyAt1: after, mrr: after + 0.05 },
        vectorNorm: 1.5 + layer,
        meanSourceNorm: 4,
      })),
    },
    contextual: words.map((word, w) => ({
      word: w === 0 && o.word ? o.word : word,
      senses: o.senses ?? ['money', 'money', 'river', 'river'],
      sentences: o.sentences ?? ['s one', 's two', 's three', 's four'],
      similarity: SIMILARITY,
      separation: o.separation[word].map((separation, layer) => ({ layer, within: 0.5 + separation, across: 0.5, separation })),
    })),
    provenance: provenance(),
  } as ReportRecord;
}

/** The report, with the console warnings of Vega and Vega-Lite while it was built. */
async function report(records: ReportRecord[]): Promise<{ html: string; warnings: unknown[][] }> {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const html = await htmlReport(records);
    return { html, warnings: warn.mock.calls.map((c) => [...c]) };
  } finally {
    warn.mockRestore();
  }
}

/** The HTML of one section ('' when the page has none). */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  return start < 0 ? '' : html.slice(start, html.indexOf('</section>', start));
}
const charts = (html: string) => html.match(/<figure class="chart"><svg /g)?.length ?? 0;

describe('htmlReport: probe records', () => {
  const records = () => [
    probe({ pretraining: 'mlm', acc: [[0.125, 0.25], [0.375, 0.75]], separation: { bank: [0, 0.2], apple: [0.001, 0.05] } }),
    probe({ pretraining: null, acc: [[0.125, 0.125], [0.25, 0.125]], separation: { bank: [0, 0.0125], apple: [0, -0.02] } }),
  ];

  test('cross-lingual: chart of accuracy@1 per layer before and with the vector, and the table of the numbers', async () => {
    const { html, warnings } = await report(records());
    expect(warnings).toEqual([]);
    const xl = section(html, 'probe-crosslingual');
    expect(xl).toContain('<h2 id="probe-crosslingual-h">Cross-lingual probe: the language vector</h2>');
    // 8 of 20 pairs evaluated: fitted on the other 12; chance 1/8.
    expect(xl).toContain('fitted on the other 12 pairs). Chance accuracy@1: 12.5%.');
    // Rows: model, init, layer, acc before, acc after, MRR before (acc + 0.1), MRR after (acc + 0.05), norms.
    expect(xl).toContain('<tr><td>bert-t</td><td>mlm</td><td>1</td><td>37.5%</td><td>75.0%</td><td>0.475</td><td>0.800</td><td>2.50 / 4.00</td>');
    expect(xl).toContain('<tr><td>bert-t</td><td>scratch</td><td>0</td><td>12.5%</td><td>12.5%</td><td>0.225</td><td>0.175</td><td>1.50 / 4.00</td>');
    expect(xl.match(/<tr><td>bert-t<\/td>/g)).toHaveLength(4); // 2 records x 2 layers
    // One chart; each point of its lines is labelled with its layer, value, series and before/after.
    expect(charts(xl)).toBe(1);
    expect(xl).toContain('aria-label="layer (0: embeddings): 1; translation retrieval accuracy@1: 75%; model · init: bert-t · mlm; sentence vectors: with language vector"');
    expect(xl).toContain('aria-label="layer (0: embeddings): 1; translation retrieval accuracy@1: 25%; model · init: bert-t · scratch; sentence vectors: before"');
    // Two series (pretrained, scratch) x before/after: four lines.
    expect(xl.match(/<g class="mark-line role-mark[^"]*"[^>]*><path /g)).toHaveLength(4); // vega: one group per line
    expect(html).toContain('2 probe(s)');
  });

  test('contextual: separation per layer and word, and the heatmap of the first word for the pretrained model only', async () => {
    const { html, warnings } = await report(records());
    expect(warnings).toEqual([]);
    const ctx = section(html, 'probe-contextual');
    expect(ctx).toContain('<th scope="col">bank</th><th scope="col">apple</th>');
    expect(ctx).toContain('<tr><td>bert-t</td><td>mlm</td><td>1</td><td>0.200</td><td>0.050</td>');
    expect(ctx).toContain('<tr><td>bert-t</td><td>scratch</td><td>1</td><td>0.013</td><td>-0.020</td>');
    // Separation chart + one heatmap (the scratch model gets none).
    expect(charts(ctx)).toBe(2);
    expect(ctx.match(/cosine similarity across sentences, last layer/g)).toHaveLength(1);
    expect(ctx).toContain('cosine similarity across sentences, last layer (bert-t, mlm)');
    // The heatmap: a rect mark with one cell per pair of sentences (4 x 4), coloured by a gradient legend from the
    // smallest to the largest similarity, each cell labelled with its value.
    const heat = ctx.slice(ctx.indexOf('<h3>&quot;bank&quot;'));
    const rects = /<g class="mark-rect role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(heat)?.[1] ?? '';
    expect(rects.match(/<path /g)).toHaveLength(16);
    expect(rects).toContain('aria-label="other sentence: 3 river; sentence: 1 money; cosine similarity: 0.3"');
    expect(heat).toContain("Gradient legend titled 'cosine similarity' for fill color with values from 0.1 to 1.0");
    const labels = /<g class="mark-text role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(heat)?.[1] ?? '';
    expect([...labels.matchAll(/>([-\d.]+)<\/text>/g)].map((m) => m[1])).toEqual(SIMILARITY.flat().map((v) => v.toFixed(2)));
    // The sentences and the matrix as a table.
    expect(heat).toContain('<tr><td>2 money</td><td>s two</td><td>0.80</td><td>1.00</td><td>0.25</td><td>0.10</td></tr>');
  });

  test('no probe records, no probe sections; only what the records have', async () => {
    expect((await report([])).html).not.toContain('probe-');
    const onlyXl = { ...records()[0], contextual: undefined } as ReportRecord;
    const { html } = await report([onlyXl]);
    expect(html).toContain('<section id="probe-crosslingual"');
    expect(html).not.toContain('<section id="probe-contextual"');
    // A model probed with two seeds: one line per seed.
    const seeds = await report([probe({ pretraining: 'mlm', acc: [[0.1, 0.2]], separation: { bank: [0] } }), probe({ pretraining: 'mlm', seed: 2, acc: [[0.1, 0.2]], separation: { bank: [0] } })]);
    expect(seeds.html).toContain("with 2 values: bert-t · mlm · seed 1, bert-t · mlm · seed 2");
  });

  test('escapes every string of a probe record; the page stays self-contained with unique ids', async () => {
    const evil = '<script>alert(1)</script>';
    const img = '"><img src=x onerror=alert(2)>';
    const r = probe({
      pretraining: `mlm${img}`,
      model: `m${evil}`,
      source: `en${evil}`,
      word: `bank${img}`,
      senses: [evil, img, 'river', 'river'],
      sentences: [`a ${evil}`, `b ${img}`, 'c', 'd'],
      acc: [[0.1, 0.2]],
      separation: { x: [0.1] },
    });
    const { html } = await report([r]);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    // Every "<" starts a well-formed tag with double-quoted attributes, none of them an event handler.
    const tags = [...html.matchAll(/<!doctype html>|<\/?([a-zA-Z][\w:-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*\/?>/g)];
    expect(tags.length).toBe(html.split('<').length - 1);
    for (const t of tags) for (const a of (t[2] ?? '').matchAll(/\s([\w:-]+)(?:="[^"]*")?/g)) expect(a[1]).not.toMatch(/^on/i);
    expect(html).toContain('<td>a &lt;script&gt;alert(1)&lt;/script&gt;</td>');
    expect(html).toContain('bank&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of html.matchAll(/(?:href="#|url\(#)([^")]+)/g)) expect(ids).toContain(m[1]);
    expect(html).not.toMatch(/\b(src|href)="(?!#)/);
  });
});

import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { Rng } from '@ssbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GLUE_FORMATS,
  GLUE_TASKS,
  type GlueExample,
  type GlueFormat,
  type GlueOptions,
  type GlueTaskName,
  createPairsTask,
  holdOutDev,
  loadGlueSplits,
  parseGlueTsv,
  readZipMember,
  resolvePairsOptions,
} from './index';

// ---- fixtures -------------------------------------------------------------------------------------------

interface Row {
  text: string;
  textB?: string;
  raw: string;
}

/** The header a GLUE file of this format has (MNLI: train's label1 only, or dev's label1..label5). */
function headerOf(f: GlueFormat, mnliDev = false): string[] {
  if (!f.variableLabelColumns) return [...f.columns];
  const labels = mnliDev ? ['label1', 'label2', 'label3', 'label4', 'label5'] : ['label1'];
  return [...f.columns, ...labels, f.target];
}

/** One TSV line: the row's text, second text and label in their columns, filler in the others. */
function lineOf(f: GlueFormat, columns: readonly string[], row: Row, i: number): string {
  return columns
    .map((c, k) => {
      if (c === f.text) return row.text;
      if (c === f.textB) return row.textB ?? '';
      if (c === f.target || (f.variableLabelColumns && k === columns.length - 1)) return row.raw;
      if (/^label\d$/.test(c)) return row.raw;
      return c === 'original_label' ? (row.raw === '0' ? '*' : '') : `${c.replace(/\W/g, '')}${i}`;
    })
    .join('\t');
}

function tsv(f: GlueFormat, rows: readonly Row[], mnliDev = false): string {
  const columns = f.hasHeader ? headerOf(f, mnliDev) : [...f.columns];
  const lines = rows.map((r, i) => lineOf(f, columns, r, i));
  return `${[...(f.hasHeader ? [columns.join('\t')] : []), ...lines].join('\n')}\n`;
}

/** Two rows per format, the first with an unbalanced quote (a CSV reader would swallow the following lines). */
const ROWS: Record<GlueTaskName, { rows: Row[]; labels: number[] }> = {
  cola: {
    rows: [
      { text: 'Bill said "stop the car.', raw: '1' },
      { text: 'The car stop Bill.', raw: '0' },
    ],
    labels: [1, 0],
  },
  sst2: {
    rows: [
      { text: 'a " charming journey . ', raw: '1' },
      { text: 'it \'s slow -- very , very slow . ', raw: '0' },
    ],
    labels: [1, 0],
  },
  mrpc: {
    rows: [
      { text: 'Amrozi accused his brother , whom he called " the witness .', textB: 'Referring to him as " the witness " , Amrozi accused his brother .', raw: '1' },
      { text: 'Yucaipa owned Dominick \'s .', textB: 'Yucaipa bought Dominick \'s in 1995 .', raw: '0' },
    ],
    labels: [1, 0],
  },
  qqp: {
    rows: [
      { text: 'What does "love mean?', textB: 'What is the meaning of "love"?', raw: '1' },
      { text: 'How do I learn Python?', textB: 'Why is the sky blue?', raw: '0' },
    ],
    labels: [1, 0],
  },
  stsb: {
    rows: [
      { text: 'A man with a "hard hat is dancing.', textB: 'A man wearing a hard hat is dancing.', raw: '5.000' },
      { text: 'A woman is cutting an onion.', textB: 'A man is cutting onions.', raw: '2.615' },
    ],
    labels: [5, 2.615],
  },
  mnli: {
    rows: [
      { text: 'The new rights are "nice enough', textB: 'Everyone really likes the newest benefits ', raw: 'neutral' },
      { text: 'He went home.', textB: 'He left.', raw: 'entailment' },
      { text: 'It rained.', textB: 'It was dry all day.', raw: 'contradiction' },
    ],
    labels: [1, 0, 2],
  },
  qnli: {
    rows: [
      { text: 'When did the "war end?', textB: 'The war ended in 1945.', raw: 'entailment' },
      { text: 'Who wrote it?', textB: 'It is a long book.', raw: 'not_entailment' },
    ],
    labels: [0, 1],
  },
  rte: {
    rows: [
      { text: 'No Weapons of "Mass Destruction Found in Iraq Yet.', textB: 'Weapons of Mass Destruction Found in Iraq.', raw: 'not_entailment' },
      { text: 'Herceptin was approved.', textB: 'Herceptin can be used.', raw: 'entailment' },
    ],
    labels: [1, 0],
  },
  wnli: {
    rows: [
      { text: 'I stuck a pin through a "carrot.', textB: 'The carrot had a hole.', raw: '1' },
      { text: 'John couldn\'t see the stage.', textB: 'The stage was short.', raw: '0' },
    ],
    labels: [1, 0],
  },
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssbench-pairs-glue-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---- parsing every format -------------------------------------------------------------------------------

describe('GLUE TSV loaders', () => {
  for (const task of GLUE_TASKS) {
    const f = GLUE_FORMATS[task];
    it(`${f.display}: reads the columns, keeps quotes literal, maps labels`, () => {
      const { rows, labels } = ROWS[task];
      const xs = parseGlueTsv(tsv(f, rows), f, 'train.tsv');
      expect(xs).toHaveLength(rows.length);
      xs.forEach((x, i) => {
        expect(x.text).toBe(rows[i].text.trim());
        expect(x.textB).toBe(rows[i].textB?.trim());
        if (f.rawLabels) expect((x as { label: number }).label).toBe(labels[i]);
        else expect((x as { target: number }).target).toBe(labels[i]);
      });
      // The quote in row 0 is part of the text (a CSV reader would have merged rows 0 and 1).
      expect(xs[0].text).toContain('"');
    });

    it(`${f.display}: a malformed row names the file, the line and what was expected`, () => {
      const good = tsv(f, ROWS[task].rows).split('\n');
      const headerLines = f.hasHeader ? 1 : 0;
      // Drop the last column of the second data row.
      const cut = [...good];
      cut[headerLines + 1] = cut[headerLines + 1].split('\t').slice(0, -1).join('\t');
      const n = headerOf(f).length;
      expect(() => parseGlueTsv(cut.join('\n'), f, '/data/bad.tsv')).toThrow(
        new RegExp(`^/data/bad\\.tsv:${headerLines + 2}: GLUE ${f.display.replace('-', '\\-')}: expected ${n} tab-separated columns .*got ${n - 1}`),
      );
      // An unknown label (or a score that is no number) on the first data row.
      const wrong = [...good];
      const cells = wrong[headerLines].split('\t');
      cells[f.variableLabelColumns ? cells.length - 1 : f.columns.indexOf(f.target)] = 'maybe';
      wrong[headerLines] = cells.join('\t');
      const expected = f.rawLabels ? `unknown ${f.target} "maybe" \\(expected one of ` : `${f.target} must be a number in \\[0, 5\\], got "maybe"`;
      expect(() => parseGlueTsv(wrong.join('\n'), f, 'bad.tsv')).toThrow(new RegExp(`^bad\\.tsv:${headerLines + 1}: .*${expected}`));
    });
  }

  it('MNLI reads both train (label1) and dev_matched (label1..label5) headers; gold_label is the last column', () => {
    const f = GLUE_FORMATS.mnli;
    const dev = parseGlueTsv(tsv(f, ROWS.mnli.rows, true), f, 'dev_matched.tsv');
    expect(dev.map((x) => (x as { label: number }).label)).toEqual([1, 0, 2]);
    expect(headerOf(f, true)).toHaveLength(16);
    expect(headerOf(f, false)).toHaveLength(12);
    const noGold = tsv(f, ROWS.mnli.rows).replace('\tgold_label\n', '\tlabel2\n');
    expect(() => parseGlueTsv(noGold, f, 'x.tsv')).toThrow(/x\.tsv:1: .*then "gold_label", got/);
  });

  it('STS-B scores are reals in [0, 5]', () => {
    const f = GLUE_FORMATS.stsb;
    const rows = (raw: string) => tsv(f, [{ text: 'a', textB: 'b', raw }]);
    expect((parseGlueTsv(rows('3.8'), f, 's.tsv')[0] as { target: number }).target).toBe(3.8);
    expect((parseGlueTsv(rows('0'), f, 's.tsv')[0] as { target: number }).target).toBe(0);
    expect(() => parseGlueTsv(rows('5.2'), f, 's.tsv')).toThrow(/s\.tsv:2: .*score must be a number in \[0, 5\], got "5\.2"/);
    expect(() => parseGlueTsv(rows('-0.5'), f, 's.tsv')).toThrow(/got "-0\.5"/);
    expect(() => parseGlueTsv(rows('3,5'), f, 's.tsv')).toThrow(/got "3,5"/);
    expect(() => parseGlueTsv(rows(''), f, 's.tsv')).toThrow(/got ""/);
  });

  it('headers: a wrong header, a test file, a BOM and CRLF line ends', () => {
    const f = GLUE_FORMATS.mrpc;
    const text = tsv(f, ROWS.mrpc.rows);
    expect(parseGlueTsv(`\uFEFF${text.replace(/\n/g, '\r\n')}`, f, 'm.tsv').map((x) => (x as { label: number }).label)).toEqual([1, 0]);
    expect(() => parseGlueTsv(text.replace('Quality', 'quality'), f, 'm.tsv')).toThrow(
      /m\.tsv:1: GLUE MRPC: expected the header "Quality", "#1 ID", "#2 ID", "#1 String", "#2 String", got "quality", .*test files carry no labels/,
    );
    // SST-2's unlabelled test.tsv has the header `index sentence`.
    expect(() => parseGlueTsv('index\tsentence\n0\tfine .\n', GLUE_FORMATS.sst2, 'test.tsv')).toThrow(/test\.tsv:1: .*got "index", "sentence" \(GLUE test files carry no labels/);
    // CoLA has no header: its test file's first row has two columns.
    expect(() => parseGlueTsv('index\tsentence\n0\tfine .\n', GLUE_FORMATS.cola, 'test.tsv')).toThrow(/test\.tsv:1: .*expected 4 tab-separated columns .*got 2 \(GLUE test files/);
    expect(() => parseGlueTsv('', GLUE_FORMATS.rte, 'e.tsv')).toThrow(/e\.tsv: GLUE RTE: the file is empty/);
    expect(() => parseGlueTsv('index\tsentence1\tsentence2\tlabel\n', GLUE_FORMATS.rte, 'e.tsv')).toThrow(/e\.tsv: GLUE RTE: no examples/);
    // An empty line inside the file is a malformed row (only the final newline is tolerated).
    expect(() => parseGlueTsv(text.replace('\n0\t', '\n\n0\t'), f, 'm.tsv')).toThrow(/m\.tsv:3: .*expected 5 tab-separated columns .*got 1/);
  });
});

// ---- splits and scores ----------------------------------------------------------------------------------

describe('GLUE splits', () => {
  const examples = (n0: number, n1: number): GlueExample[] => [
    ...Array.from({ length: n0 }, (_, i) => ({ text: `neg ${i}`, textB: 'b', label: 0 })),
    ...Array.from({ length: n1 }, (_, i) => ({ text: `pos ${i}`, textB: 'b', label: 1 })),
  ];

  it('holdOutDev is stratified, deterministic, seed-dependent and keeps identical pairs together', () => {
    const xs = examples(40, 20);
    const a = holdOutDev(xs, 0.1, new Rng(1));
    expect(a.dev.filter((x) => (x as { label: number }).label === 0)).toHaveLength(4);
    expect(a.dev.filter((x) => (x as { label: number }).label === 1)).toHaveLength(2);
    expect(a.train).toHaveLength(54);
    expect(new Set([...a.train, ...a.dev])).toEqual(new Set(xs));
    expect(holdOutDev(xs, 0.1, new Rng(1))).toEqual(a);
    expect(holdOutDev(xs, 0.1, new Rng(2)).dev).not.toEqual(a.dev);
    // Five copies of one pair: all in train or all in dev, whatever the seed.
    const dup = [...xs, ...Array.from({ length: 5 }, () => ({ text: 'same', textB: 'pair', label: 1 }))];
    for (let seed = 0; seed < 20; seed++) {
      const s = holdOutDev(dup, 0.2, new Rng(seed));
      expect([0, 5]).toContain(s.dev.filter((x) => x.text === 'same').length);
    }
  });

  it('loadGlueSplits: dev from train, GLUE dev as test (file order), caps are seeded subsets', async () => {
    const f = GLUE_FORMATS.rte;
    const rows = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ text: `${tag} ${i}`, textB: 'h', raw: i % 2 ? 'entailment' : 'not_entailment' }));
    await writeFile(join(dir, 'rte-train.tsv'), tsv(f, rows(40, 'train')));
    await writeFile(join(dir, 'rte-dev.tsv'), tsv(f, rows(10, 'dev')));
    const options: GlueOptions = {
      task: 'rte',
      data: { train: { path: join(dir, 'rte-train.tsv') }, dev: { path: join(dir, 'rte-dev.tsv') } },
      devFraction: 0.25,
      maxExamples: {},
      splitSeed: 13,
    };
    const s = await loadGlueSplits(options, { dataDir: dir });
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([30, 10, 10]);
    expect(s.test.map((x) => x.text)).toEqual(rows(10, 'dev').map((r) => r.text));
    expect(new Set([...s.train, ...s.dev].map((x) => x.text))).toEqual(new Set(rows(40, 'train').map((r) => r.text)));
    expect(await loadGlueSplits(options, { dataDir: dir })).toEqual(s);
    const capped = await loadGlueSplits({ ...options, maxExamples: { train: 7, test: 4 } }, { dataDir: dir });
    expect([capped.train.length, capped.dev.length, capped.test.length]).toEqual([7, 10, 4]);
    const testTexts = capped.test.map((x) => x.text);
    expect([...testTexts].sort((a, b) => Number(a.split(' ')[1]) - Number(b.split(' ')[1]))).toEqual(testTexts); // file order kept
  });
});

describe('GLUE metrics per format (hand-computed)', () => {
  const ctx = { dataDir: '/nonexistent' };
  const task = (glue: GlueTaskName) => createPairsTask(resolvePairsOptions({ glue, data: { train: { path: 'a' }, dev: { path: 'b' } } }), ctx);

  it('CoLA: Matthews correlation', () => {
    const t = task('cola');
    expect(t.metrics.map((m) => m.name)).toEqual(['mcc']);
    expect(t.head).toEqual({ kind: 'classification', labels: ['unacceptable', 'acceptable'] });
    // gold 1 0 0 0 1, pred 1 1 0 0 1: TP 2, FP 1, TN 2, FN 0 -> (2*2 - 1*0) / sqrt(3 * 2 * 3 * 2) = 4/6
    expect(t.score([1, 1, 0, 0, 1], [1, 0, 0, 0, 1]).mcc).toBeCloseTo(4 / 6, 12);
  });

  it('SST-2, MNLI, QNLI, RTE, WNLI: accuracy', () => {
    for (const g of ['sst2', 'qnli', 'rte', 'wnli'] as const) {
      const t = task(g);
      expect(t.metrics.map((m) => m.name)).toEqual(['accuracy']);
      expect(t.score([1, 0, 1, 1], [1, 1, 1, 0])).toEqual({ accuracy: 0.5 }); // 2 of 4 right
    }
    const mnli = task('mnli');
    expect(mnli.head).toEqual({ kind: 'classification', labels: ['entailment', 'neutral', 'contradiction'] });
    expect(mnli.score([0, 1, 2, 2, 1], [0, 2, 2, 1, 1])).toEqual({ accuracy: 3 / 5 });
    expect(() => mnli.score([3], [0])).toThrow(/predicted\[0\] is 3, expected a label id in 0\.\.2/);
  });

  it('MRPC, QQP: F1 of the positive class and accuracy', () => {
    for (const g of ['mrpc', 'qqp'] as const) {
      const t = task(g);
      expect(t.metrics.map((m) => m.name)).toEqual(['f1', 'accuracy']);
      // gold 1 0 0 1 1, pred 1 1 0 1 0: TP 2, FP 1, FN 1, TN 1 -> F1 = 2*2 / (2*2 + 1 + 1) = 4/6, accuracy 3/5
      const s = t.score([1, 1, 0, 1, 0], [1, 0, 0, 1, 1]);
      expect(s.f1).toBeCloseTo(4 / 6, 12);
      expect(s.accuracy).toBeCloseTo(3 / 5, 12);
    }
  });

  it('STS-B: a regression head scored by Pearson and Spearman', () => {
    const t = task('stsb');
    expect(t.head).toEqual({ kind: 'regression' });
    expect(t.metrics.map((m) => m.name)).toEqual(['pearson', 'spearman']);
    // See core's metrics tests: r = 6 / sqrt(60); rho (ties in gold) = 7 / sqrt(90)
    const s = t.score([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
    expect(s.pearson).toBeCloseTo(6 / Math.sqrt(60), 12);
    expect(s.spearman).toBeCloseTo(7 / Math.sqrt(90), 12);
    expect(t.score([3, 3, 3], [1, 2, 3]).pearson).toBeNaN(); // constant prediction: undefined, as scipy
    expect(() => t.score([1, 2], [1, 2, 3])).toThrow(/2 predictions for 3 gold/);
  });
});

// ---- downloads and archives -----------------------------------------------------------------------------

/** A ZIP archive (stored or deflated members) for the reader's tests. */
function makeZip(members: { name: string; data: Uint8Array; deflate: boolean }[]): Uint8Array {
  return zipSync(Object.fromEntries(members.map((m) => [m.name, [m.data, { level: m.deflate ? 6 : 0 }] as const])));
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('GLUE data by URL + sha256 and from ZIP archives', () => {
  const f = GLUE_FORMATS.cola;
  const trainTsv = tsv(f, [...ROWS.cola.rows, { text: 'Extra "one.', raw: '1' }, { text: 'Extra two.', raw: '0' }]);
  const devTsv = tsv(f, ROWS.cola.rows);
  const zip = makeZip([
    { name: 'CoLA/', data: new Uint8Array(0), deflate: false },
    { name: 'CoLA/train.tsv', data: Buffer.from(trainTsv), deflate: true },
    { name: 'CoLA/dev.tsv', data: Buffer.from(devTsv), deflate: false },
  ]);
  const url = 'https://example.org/glue/CoLA.zip';
  const fakeFetch = (body: Uint8Array, calls: string[]) =>
    (async (input: string | URL | Request) => {
      calls.push(String(input));
      return new Response(body);
    }) as typeof fetch;

  it('reads members of a ZIP archive (stored and deflated); a non-archive is a data error', () => {
    expect(Buffer.from(readZipMember(zip, 'CoLA/train.tsv', 'CoLA.zip')).toString()).toBe(trainTsv);
    expect(Buffer.from(readZipMember(zip, 'CoLA/dev.tsv', 'CoLA.zip')).toString()).toBe(devTsv);
    expect(() => readZipMember(zip, 'CoLA/test.tsv', 'CoLA.zip')).toThrow(/CoLA\.zip: the archive has no member "CoLA\/test\.tsv" \(members: CoLA\/train\.tsv, CoLA\/dev\.tsv\)/);
    expect(() => readZipMember(Buffer.from('not a zip at all, just text....'), 'a', 'x.zip')).toThrow(/x\.zip: not a readable ZIP archive/);
  });

  it('downloads once, verifies the sha256, and reads the named members', async () => {
    const dataDir = join(dir, 'dl-ok');
    const calls: string[] = [];
    const source = { url, sha256: sha256(zip) };
    const options = resolvePairsOptions({ glue: 'cola', data: { train: { ...source, member: 'CoLA/train.tsv' }, dev: { ...source, member: 'CoLA/dev.tsv' } } });
    const t = createPairsTask(options, { dataDir }, { fetchImpl: fakeFetch(zip, calls) });
    const s = await t.load();
    expect(s.train.length + s.dev.length).toBe(4);
    expect(s.test.map((x) => (x as { text: string }).text)).toEqual(['Bill said "stop the car.', 'The car stop Bill.']);
    expect(calls).toEqual([url]); // the second source found the verified copy in the cache
    expect(t.source).toMatch(/^GLUE CoLA: train and dev from https:\/\/example\.org\/glue\/CoLA\.zip!CoLA\/train\.tsv \(sha256 [0-9a-f]{12}\.\.\.\)/);
  });

  it('refuses a download whose sha256 does not match, and caches nothing', async () => {
    const dataDir = join(dir, 'dl-bad');
    const calls: string[] = [];
    const wrong = sha256(Buffer.from('something else'));
    const options = resolvePairsOptions({ glue: 'cola', data: { train: { url, sha256: wrong, member: 'CoLA/train.tsv' }, dev: { path: join(dir, 'unused.tsv') } } });
    const t = createPairsTask(options, { dataDir }, { fetchImpl: fakeFetch(zip, calls) });
    await expect(t.load()).rejects.toThrow(new RegExp(`${url.replace(/[./]/g, '\\$&')}: sha256 is ${sha256(zip)}, expected ${wrong}; refusing to use it`));
    await expect(t.load()).rejects.toThrow(/refusing/);
    expect(calls).toEqual([url, url]); // nothing was cached
  });

  it('a missing local file is a data error naming it', async () => {
    const options = resolvePairsOptions({ glue: 'qqp', data: { train: { path: join(dir, 'nope.tsv') }, dev: { path: join(dir, 'nope.tsv') } } });
    await expect(createPairsTask(options, { dataDir: dir }).load()).rejects.toThrow(/nope\.tsv: cannot read data file \(ENOENT\)/);
  });
});

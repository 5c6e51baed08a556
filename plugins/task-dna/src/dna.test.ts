import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, SsbenchError, type TaskContext, validatePluginOptions } from '@ssbench/core';
import { locateDebianFile } from '@ssbench/data';
import { afterAll, describe, expect, it } from 'vitest';
import plugin, { type DnaExample, type DnaOptionsInput, DnaTask, type DnaSplits, resolveDnaOptions } from './dna';
import { kmerize } from './nucleotides';
import { RRNA16S_FILE, lineage16S } from './sources';
import { SPLICE_FILE } from './splice';

const dir = mkdtempSync(join(tmpdir(), 'ssbench-dna-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emptyCtx: TaskContext = { dataDir: join(dir, 'data') };

function configError(f: () => unknown): SsbenchError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SsbenchError);
    expect((e as SsbenchError).code).toBe('config');
    return e as SsbenchError;
  }
  throw new Error('expected a config error');
}

// ---- a 16S-style fixture -----------------------------------------------------------------------------------------

interface FixtureRecord {
  id: string;
  phylum: string;
  genus: string;
  /** As written (mixed case, an ambiguity code). */
  raw: string;
}

/** P1: 10 genera x 2 sequences; P2: 15 genera x 1; P3: 2 sequences (below minPerClass 5). Random 150-nt sequences. */
function make16S(): { text: string; records: FixtureRecord[] } {
  const rng = new Rng(7);
  const records: FixtureRecord[] = [];
  const add = (phylum: string, genus: string) => {
    let raw = '';
    for (let i = 0; i < 150; i++) raw += 'ACGTacgt'[rng.int(8)];
    raw = `${raw.slice(0, 20)}y${raw.slice(21)}`; // an ambiguity code inside the default windows
    records.push({ id: `S${String(records.length).padStart(5, '0')}`, phylum, genus, raw });
  };
  for (let g = 0; g < 10; g++) for (let i = 0; i < 2; i++) add('P1', `G1_${g}`);
  for (let g = 0; g < 15; g++) add('P2', `G2_${g}`);
  for (let i = 0; i < 2; i++) add('P3', 'G3_0');
  const text = records
    .map((r, i) => {
      // Both header layouts of the real file: RDP (one tab) and the Broad genomes (three tabs).
      const desc = i % 2 === 0 ? `Some organism (T); X12345 Some organism` : `Some organism genome. \t${r.id}|16s_rRNA|X|Some organism|1\tGenbank`;
      const lines = r.raw.match(/.{1,60}/g)!.join('\n');
      return `>${r.id} ${desc}\tBacteria; ${r.phylum}; C; O; F; ${r.genus}\n${lines}\n`;
    })
    .join('');
  return { text, records };
}

const fixture16S = make16S();
const file16S = join(dir, 'rRNA16S.fasta');
writeFileSync(file16S, fixture16S.text);
const byId = new Map(fixture16S.records.map((r) => [r.id, r]));

const task16S = (options: DnaOptionsInput = {}) => new DnaTask(resolveDnaOptions({ dataset: '16s', minPerClass: 5, ...options }), emptyCtx, file16S);

const all = (s: DnaSplits): DnaExample[] => [...s.train, ...s.dev, ...s.test];
const ids = (xs: DnaExample[]) => xs.map((e) => e.id);

describe('options', () => {
  it('defaults to the splice data set with single nucleotides', () => {
    const o = resolveDnaOptions();
    expect(o).toMatchObject({ dataset: 'splice', k: 1, overlapping: false, window: { offset: 0, length: 126 }, split: { dev: 0.1, test: 0.2 }, splitSeed: 13 });
    expect(o.maxPerClass).toBeNull();
    expect(resolveDnaOptions({ dataset: '16s' })).toMatchObject({ rank: 'phylum', minPerClass: 100, maxPerClass: 500 });
  });

  it('the JSON schema fills in the same defaults and leaves data-set-specific options unset', () => {
    const where = { pointer: '/tasks/0/options' };
    for (const input of [{}, { dataset: '16s' }, { dataset: 'fasta', file: 'x.fa', labelPattern: 'c=(\\w+)' }] as DnaOptionsInput[]) {
      const filled = validatePluginOptions(plugin, input, where) as DnaOptionsInput;
      expect(resolveDnaOptions(filled)).toEqual(resolveDnaOptions(input));
    }
    expect(validatePluginOptions(plugin, {}, where)).not.toHaveProperty('rank');
    expect(() => validatePluginOptions(plugin, { dataset: 'rna' }, where)).toThrow(SsbenchError);
    expect(() => validatePluginOptions(plugin, { k: 0 }, where)).toThrow(SsbenchError);
  });

  it('refuses options of another data set, with a pointer', () => {
    expect(configError(() => resolveDnaOptions({ rank: 'genus' })).pointer).toBe('/rank');
    expect(configError(() => resolveDnaOptions({ dataset: '16s', labelPattern: 'x' })).pointer).toBe('/labelPattern');
    expect(configError(() => resolveDnaOptions({ minPerClass: 3 })).pointer).toBe('/minPerClass');
    expect(configError(() => resolveDnaOptions({ colour: 1 } as DnaOptionsInput)).message).toMatch(/unknown option "colour"/);
  });

  it('checks the fasta options', () => {
    expect(configError(() => resolveDnaOptions({ dataset: 'fasta' })).pointer).toBe('/file');
    expect(configError(() => resolveDnaOptions({ dataset: 'fasta', file: 'x.fa' })).message).toMatch(/exactly one of "labelPattern"/);
    expect(configError(() => resolveDnaOptions({ dataset: 'fasta', file: 'x.fa', labelPattern: 'a', labelsFile: 'b' })).message).toMatch(/exactly one/);
    expect(configError(() => resolveDnaOptions({ dataset: 'fasta', file: 'x.fa', labelPattern: '(' })).message).toMatch(/not a valid regular expression/);
  });

  it('checks k, the window and the split', () => {
    expect(configError(() => resolveDnaOptions({ k: 7 })).pointer).toBe('/k');
    expect(configError(() => resolveDnaOptions({ k: 3, window: { length: 2 } })).pointer).toBe('/window/length');
    expect(configError(() => resolveDnaOptions({ window: { offset: -1 } })).pointer).toBe('/window/offset');
    expect(configError(() => resolveDnaOptions({ split: { dev: 0.5, test: 0.5 } })).pointer).toBe('/split');
  });
});

describe('the 16s task on a fixture', () => {
  it('reads the lineage from the last tab-separated header field', () => {
    const rec = { id: 'x', description: 'a\tb|c\tBacteria; Firmicutes; Bacilli; Bacillales; Bacillaceae; Bacillus', sequence: 'A', line: 4 };
    expect(lineage16S(rec, 'f')).toEqual(['Bacteria', 'Firmicutes', 'Bacilli', 'Bacillales', 'Bacillaceae', 'Bacillus']);
    expect(() => lineage16S({ ...rec, description: 'no lineage' }, 'f.fa')).toThrow(/f\.fa:4: 16S record "x": expected the lineage/);
  });

  it('labels by phylum, drops classes under minPerClass and declares the alphabet', async () => {
    const task = task16S({ k: 2 });
    expect(task.head.labels).toEqual(['P1', 'P2']);
    expect(task.input).toEqual({ kind: 'symbols', alphabet: expect.arrayContaining(['AA', 'TT', 'N']) });
    expect(task.input.alphabet).toHaveLength(17);
    const s = await task.load();
    expect(all(s)).toHaveLength(35);
    expect(task.summary).toMatchObject({ records: 37, conflicting: 0, smallClasses: [{ label: 'P3', count: 2 }], capped: 0 });
    expect(all(s).every((e) => task.head.labels[e.label] === byId.get(e.id)!.phylum)).toBe(true);
  });

  it('turns the window into k-mer symbols of the normalised sequence', async () => {
    const s = await task16S({ k: 3, window: { offset: 10, length: 30 } }).load();
    for (const e of all(s)) {
      const normalised = byId.get(e.id)!.raw.toUpperCase().replace(/Y/g, 'N');
      expect(e.symbols).toEqual(kmerize(normalised.slice(10, 40), 3, false));
      expect(e.symbols).toHaveLength(10);
    }
    const overlapping = await task16S({ k: 3, overlapping: true, window: { offset: 10, length: 30 } }).load();
    expect(overlapping.train[0].symbols).toHaveLength(28);
  });

  it('splits deterministically, disjointly, stratified by phylum, never splitting a genus', async () => {
    const a = await task16S().load();
    const b = await task16S().load();
    expect(ids(a.test)).toEqual(ids(b.test));
    expect(ids(a.train)).toEqual(ids(b.train));
    expect(new Set(ids(all(a))).size).toBe(35);
    const part = new Map<string, string>();
    for (const p of ['train', 'dev', 'test'] as const)
      for (const e of a[p]) {
        const genus = byId.get(e.id)!.genus;
        expect(part.get(genus) ?? p).toBe(p);
        part.set(genus, p);
      }
    const count = (xs: DnaExample[], label: number) => xs.filter((e) => e.label === label).length;
    // P1: 20 sequences in genera of 2 -> test 4, dev 2; P2: 15 singletons -> test 3, dev round(1.5) = 2.
    expect([count(a.test, 0), count(a.dev, 0), count(a.train, 0)]).toEqual([4, 2, 14]);
    expect([count(a.test, 1), count(a.dev, 1), count(a.train, 1)]).toEqual([3, 2, 10]);
    const other = await task16S({ splitSeed: 14 }).load();
    expect(ids(other.test).sort()).not.toEqual(ids(a.test).sort());
  });

  it('caps classes by whole genera', async () => {
    const task = task16S({ maxPerClass: 9 });
    const s = await task.load();
    const count = (label: number) => all(s).filter((e) => e.label === label).length;
    expect(count(0)).toBe(8); // genera of 2 under a cap of 9
    expect(count(1)).toBe(9);
    expect(task.summary!.capped).toBe(12 + 6);
  });

  it('labels at another rank (genus: grouped by identical window)', async () => {
    const task = task16S({ rank: 'genus', minPerClass: 2 });
    expect(task.head.labels).toEqual([...Array.from({ length: 10 }, (_, g) => `G1_${g}`), 'G3_0']);
  });

  it('refuses a window that holds no k-mer, naming the record', async () => {
    await expect(task16S({ window: { offset: 149, length: 10 }, k: 2 }).load()).rejects.toThrow(/record "S00000" \(.*rRNA16S\.fasta:1\) is 150 nt long/);
  });
});

describe('the fasta task', () => {
  const fa = join(dir, 'user.fa');
  writeFileSync(
    fa,
    [
      '>r1 class=up',
      'ACGTACGTAA',
      '>r2 class=up',
      'ACGTACGTAA', // identical to r1: one group
      '>r3 class=down',
      'TTTTGGGGCC',
      '>r4 class=down',
      'GGGGCCCCAA',
      '>r5 class=up',
      'CCCCAAAATT',
      '>r6 class=down',
      'CCCCAAAATT', // same window as r5 under another label: both dropped
      '>r7 class=down',
      'ATATATATAT',
      '>r8 class=up',
      'GCGCGCGCGC',
      '',
    ].join('\n'),
  );

  it('labels by a header pattern, groups identical windows, drops conflicting ones', async () => {
    const task = new DnaTask(resolveDnaOptions({ dataset: 'fasta', file: fa, labelPattern: 'class=(\\w+)', minPerClass: 1, split: { dev: 0, test: 0.5 } }), emptyCtx);
    expect(task.head.labels).toEqual(['down', 'up']);
    const s = await task.load();
    expect(task.summary!.conflicting).toBe(2);
    expect(ids(all(s)).sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r7', 'r8']);
    const inTest = new Set(ids(s.test));
    expect(inTest.has('r1')).toBe(inTest.has('r2'));
    expect(task.source).toMatch(/^user FASTA .*user\.fa \(sha256 [0-9a-f]{16}\); labels from header pattern \/class=\(\\w\+\)\//);
  });

  it('labels by a TSV', async () => {
    const tsv = join(dir, 'labels.tsv');
    writeFileSync(tsv, ['r1\ta', 'r2\ta', 'r3\tb', 'r4\tb', 'r5\ta', 'r6\tb', 'r7\tb', 'r8\ta'].join('\n'));
    const task = new DnaTask(resolveDnaOptions({ dataset: 'fasta', file: fa, labelsFile: tsv, minPerClass: 1 }), emptyCtx);
    expect(task.head.labels).toEqual(['a', 'b']);
  });

  it('needs two classes after minPerClass', () => {
    const task = new DnaTask(resolveDnaOptions({ dataset: 'fasta', file: fa, labelPattern: 'class=(\\w+)' }), emptyCtx);
    expect(() => task.head).toThrow(/0 classes with at least 10 sequences/);
  });
});

describe('score', () => {
  it('computes accuracy and macro F1 (hand-computed)', () => {
    const task = plugin.create({}, emptyCtx) as DnaTask;
    // gold 0 0 1 1 1 2, pred 0 1 1 1 0 2: accuracy 4/6.
    // F1: label 0: tp 1, fp 1, fn 1 -> 2/4; label 1: tp 2, fp 1, fn 1 -> 4/6; label 2: 1. Macro = (0.5 + 2/3 + 1) / 3.
    const r = task.score([0, 1, 1, 1, 0, 2], [0, 0, 1, 1, 1, 2]);
    expect(r.accuracy).toBeCloseTo(4 / 6, 12);
    expect(r.macro_f1).toBeCloseTo((0.5 + 2 / 3 + 1) / 3, 12);
    expect(() => task.score([0, 3], [0, 1])).toThrow(/predicted\[1\] is 3/);
    expect(() => task.score([0], [0, 1])).toThrow(/1 predictions for 2 gold/);
  });
});

describe('the plugin', () => {
  it('creates a task without reading data (the runner reads `input` when loading a config)', async () => {
    const task = plugin.create({}, emptyCtx);
    expect(task.head).toEqual({ kind: 'classification', labels: ['ei', 'ie', 'n'] });
    expect(task.input).toEqual({ kind: 'symbols', alphabet: ['A', 'C', 'G', 'T', 'N'] });
    expect(task.version).toBe('1.0.0');
    if (!existsSync(SPLICE_FILE.path)) await expect(task.load()).rejects.toThrow(/apt-get install r-cran-mlbench/);
  });

  it('declares its data sets and says how to get them', async () => {
    expect(plugin.datasets.map((d) => d.name)).toEqual(['splice-junctions', '16s-rrna-gold']);
    for (const d of plugin.datasets) expect(d.source).toMatch(/^Debian \S+ \S+: \/usr\//);
    const status = await plugin.datasetStatus('16s-rrna-gold', emptyCtx);
    if (!existsSync(RRNA16S_FILE.path)) expect(status).toEqual({ ready: false, detail: expect.stringContaining('apt-get install microbiomeutil-data') });
    await expect(plugin.datasetStatus('nope', emptyCtx)).rejects.toThrow(/unknown data set "nope"/);
  });
});

// ---- the real data (skipped when the Debian packages are neither installed nor extracted) --------------------------

const repoData = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.ssbench-cache/data');
const realCtx: TaskContext = { dataDir: repoData };
const haveSplice = locateDebianFile(SPLICE_FILE, repoData) !== null;
const have16S = locateDebianFile(RRNA16S_FILE, repoData) !== null;
if (!haveSplice || !have16S) console.warn('r-cran-mlbench or microbiomeutil-data not installed or extracted under .ssbench-cache/data: skipping real-data DNA task tests');

describe('real data', () => {
  it.skipIf(!haveSplice)('splice: every sequence once, stratified 70/10/20, identical sequences in one split', async () => {
    const task = plugin.create({}, realCtx) as DnaTask;
    const s = await task.load();
    expect(task.source).toMatch(/^Debian r-cran-mlbench \S+ .*DNA\.rda/);
    const n = all(s).length;
    expect(n + task.summary!.conflicting).toBe(3186);
    expect(new Set(ids(all(s))).size).toBe(n);
    for (let label = 0; label < 3; label++) {
      const total = all(s).filter((e) => e.label === label).length;
      const test = s.test.filter((e) => e.label === label).length;
      // Groups of identical sequences are small: the test share is within a few sequences of 20 %.
      expect(Math.abs(test - 0.2 * total)).toBeLessThan(4);
    }
    const split = new Map<string, string>();
    for (const p of ['train', 'dev', 'test'] as const)
      for (const e of s[p]) {
        const key = e.symbols.join('');
        expect(split.get(key) ?? p).toBe(p);
        split.set(key, p);
      }
    expect(s.train.every((e) => e.symbols.length === 60)).toBe(true);
  });

  it.skipIf(!have16S)('16s: 5,181 sequences; phyla with >= 100 sequences, capped at 500, 126 symbols each', async () => {
    const task = plugin.create({ dataset: '16s' }, realCtx) as DnaTask;
    const s = await task.load();
    const sum = task.summary!;
    expect(sum.records).toBe(5181);
    expect(task.head.labels.length).toBeGreaterThanOrEqual(2);
    expect(sum.smallClasses.every((c) => c.count < 100)).toBe(true);
    const kept = all(s).length;
    expect(kept + sum.capped + sum.conflicting + sum.smallClasses.reduce((a, c) => a + c.count, 0)).toBe(5181);
    for (let label = 0; label < task.head.labels.length; label++) expect(all(s).filter((e) => e.label === label).length).toBeLessThanOrEqual(500);
    expect(all(s).every((e) => e.symbols.length === 126)).toBe(true);
  });
});

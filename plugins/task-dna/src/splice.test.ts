import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { SsbenchError } from '@ssbench/core';
import { type RColumn, type RDataFrame, locateDebianFile } from '@ssbench/data';
import { describe, expect, it } from 'vitest';
import { SPLICE_FILE, decompressRData, readSpliceFile, spliceRecords } from './splice';

const ONE_HOT: Record<string, string> = { A: '100', C: '010', G: '001', T: '000' };

/**
 * The mlbench layout: V1..V180 factors (3 indicators per nucleotide) and a Class factor. `levels` is the order
 * of each indicator column's levels (R sorts them "0", "1"; a reversed order checks that codes are read through
 * the levels).
 */
function frameOf(seqs: string[], classes: string[], levels: string[] = ['0', '1']): RDataFrame {
  const columns: RColumn[] = [];
  for (let j = 0; j < 180; j++) {
    const codes = Int32Array.from(seqs, (s) => levels.indexOf(ONE_HOT[s[Math.floor(j / 3)]][j % 3]));
    columns.push({ name: `V${j + 1}`, kind: 'factor', levels, ordered: false, codes });
  }
  const classLevels = ['ei', 'ie', 'n'];
  columns.push({ name: 'Class', kind: 'factor', levels: classLevels, ordered: false, codes: Int32Array.from(classes, (c) => classLevels.indexOf(c)) });
  return { rowCount: seqs.length, rowNames: null, columns };
}

const seqA = 'ACGT'.repeat(15);
const seqB = 'TTGCA'.repeat(12);

function dataError(f: () => unknown): SsbenchError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SsbenchError);
    return e as SsbenchError;
  }
  throw new Error('expected a data error');
}

describe('spliceRecords', () => {
  it('decodes the indicator columns (A=100, C=010, G=001, T=000) and the class', () => {
    const recs = spliceRecords(frameOf([seqA, seqB], ['ie', 'n']), 'DNA.rda');
    expect(recs).toEqual([
      { row: 1, sequence: seqA, label: 1 },
      { row: 2, sequence: seqB, label: 2 },
    ]);
  });

  it('reads indicator values through the factor levels, not the codes', () => {
    expect(spliceRecords(frameOf([seqB], ['ei'], ['1', '0']), 'x')[0].sequence).toBe(seqB);
  });

  it('refuses an indicator pattern that is no nucleotide, naming the row and position', () => {
    const frame = frameOf([seqA, seqA], ['ei', 'ei']);
    // Row 2, nucleotide 5 (an A = 100) becomes 110.
    (frame.columns[13] as { codes: Int32Array }).codes[1] = 1;
    const e = dataError(() => spliceRecords(frame, 'DNA.rda'));
    expect(e.file).toBe('DNA.rda');
    expect(e.message).toContain('row 2, nucleotide 5 (columns V13..V15) is 110');
  });

  it('refuses unknown class levels and missing columns', () => {
    const frame = frameOf([seqA], ['ei']);
    (frame.columns[180] as { levels: string[] }).levels = ['ei', 'ie', 'other'];
    expect(dataError(() => spliceRecords(frame, 'x')).message).toContain('unknown Class levels "other"');
    const short = frameOf([seqA], ['ei']);
    short.columns.splice(7, 1);
    expect(dataError(() => spliceRecords(short, 'x')).message).toContain('no factor column "V8"');
  });
});

describe('decompressRData', () => {
  it('inflates gzip and passes uncompressed bytes through', async () => {
    const text = new TextEncoder().encode('RDX2\nX\n...');
    expect(await decompressRData(gzipSync(text), 'a.rda')).toEqual(text);
    expect(await decompressRData(text, 'a.rda')).toBe(text);
  });

  it('decompresses xz (bytes of `printf "hello, R\\n" | xz -c --check=crc32`)', async () => {
    const xz = Uint8Array.from([
      253, 55, 122, 88, 90, 0, 0, 1, 105, 34, 222, 54, 2, 0, 33, 1, 22, 0, 0, 0, 116, 47, 229, 163, 1, 0, 8, 104, 101, 108, 108, 111, 44, 32, 82, 10, 0, 0, 0, 0, 79, 16,
      10, 11, 0, 1, 29, 9, 147, 97, 54, 166, 144, 66, 153, 13, 1, 0, 0, 0, 0, 1, 89, 90,
    ]);
    expect(new TextDecoder().decode(await decompressRData(xz, 'a.rda.xz'))).toBe('hello, R\n');
  });

  it('refuses bzip2 and corrupt xz with a data error naming the file', async () => {
    await expect(decompressRData(new TextEncoder().encode('BZh91AY&SY'), 'b.rda')).rejects.toThrow(/b\.rda: bzip2-compressed R data is not supported/);
    const bad = Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    await expect(decompressRData(bad, 'c.rda')).rejects.toThrow(/c\.rda: cannot decompress \(xz\)/);
  });
});

const repoData = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.ssbench-cache/data');
const realFile = locateDebianFile(SPLICE_FILE, repoData);
if (!realFile) console.warn(`${SPLICE_FILE.path} (Debian r-cran-mlbench) neither installed nor extracted under .ssbench-cache/data: skipping the real splice data test`);

describe('the real mlbench DNA.rda', () => {
  it.skipIf(!realFile)('has 3,186 sequences of 60 nt: ei 767, ie 765, n 1,654, with the donor GT and acceptor AG at the junction', async () => {
    const recs = await readSpliceFile(realFile!);
    expect(recs).toHaveLength(3186);
    expect(recs.every((r) => /^[ACGT]{60}$/.test(r.sequence))).toBe(true);
    const counts = [0, 0, 0];
    for (const r of recs) counts[r.label]++;
    expect(counts).toEqual([767, 765, 1654]);
    // The junction is between positions 30 and 31: an exon-intron boundary (ei) starts the intron with GT, an
    // intron-exon boundary (ie) ends it with AG (the canonical splice sites), so the decoding must put them there.
    const share = (label: number, at: number, dinuc: string) => {
      const rs = recs.filter((r) => r.label === label);
      return rs.filter((r) => r.sequence.slice(at, at + 2) === dinuc).length / rs.length;
    };
    expect(share(0, 30, 'GT')).toBeGreaterThan(0.95);
    expect(share(1, 28, 'AG')).toBeGreaterThan(0.95);
    expect(share(2, 30, 'GT')).toBeLessThan(0.2);
  });
});

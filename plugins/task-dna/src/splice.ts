/**
 * Primate splice-junction gene sequences (UCI; StatLog version by Ross King), as shipped in the R package mlbench
 * (Debian `r-cran-mlbench`, file `data/DNA.rda`).
 *
 * Source: G. Towell, M. Noordewier and J. Shavlik (donors), Genbank 64.1; mlbench's `?DNA`: 3,186 sequences of 60
 * nucleotides, the junction between positions 30 and 31, classes "ei" (exon-intron boundary, donor), "ie"
 * (intron-exon boundary, acceptor), "n" (neither); the 4 examples with ambiguous nucleotides were removed. Each
 * nucleotide is stored as 3 binary indicator factors (columns V1..V180, levels "0"/"1"): A = 1 0 0, C = 0 1 0,
 * G = 0 0 1, T = 0 0 0 (as the package's help page says); the class is the factor column "Class".
 *
 * The file is an xz-compressed R save file; it is decompressed here (gzip and uncompressed files are read too)
 * and parsed by `@ssbench/data`'s R reader.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { SsbenchError } from '@ssbench/core';
import { type DebianFile, type RDataFrame, parseRData, rDataCompression, rDataFrame } from '@ssbench/data';

export const SPLICE_FILE: DebianFile = { package: 'r-cran-mlbench', path: '/usr/lib/R/site-library/mlbench/data/DNA.rda' };
export const SPLICE_LABELS = ['ei', 'ie', 'n'] as const;
export const SPLICE_LENGTH = 60;

export interface SpliceRecord {
  /** 1-based row of the data frame. */
  row: number;
  /** 60 nucleotides over A, C, G, T. */
  sequence: string;
  /** Index into SPLICE_LABELS. */
  label: number;
}

/** Decompresses an R data file by its magic bytes (xz, gzip, or none). */
export async function decompressRData(bytes: Uint8Array, what: string): Promise<Uint8Array> {
  const kind = rDataCompression(bytes);
  try {
    if (kind === 'none') return bytes;
    if (kind === 'gzip') return new Uint8Array(gunzipSync(bytes));
    if (kind === 'xz') {
      // Imported here, not at module load: the WebAssembly decoder is only needed for this file.
      const mod = (await import('xz-decompress')) as unknown as { XzReadableStream?: XzCtor; default?: { XzReadableStream: XzCtor } };
      const Xz = mod.XzReadableStream ?? mod.default?.XzReadableStream;
      if (!Xz) throw new Error('xz-decompress does not export XzReadableStream');
      return new Uint8Array(await new Response(new Xz(new Blob([bytes]).stream())).arrayBuffer());
    }
  } catch (e) {
    throw new SsbenchError('data', `cannot decompress (${kind}): ${(e as Error).message}`, { file: what });
  }
  throw new SsbenchError('data', 'bzip2-compressed R data is not supported: recompress it with xz or gzip (R: tools::resaveRdaFiles(file, compress = "xz"))', {
    file: what,
  });
}

type XzCtor = new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;

const INDICATORS: Record<string, string> = { '100': 'A', '010': 'C', '001': 'G', '000': 'T' };

/** The 3,186 sequences of the mlbench `DNA` data frame. Errors name `what`, the row and the position. */
export function spliceRecords(frame: RDataFrame, what: string): SpliceRecord[] {
  const fail = (reason: string) => new SsbenchError('data', `splice data (mlbench DNA): ${reason}`, { file: what });
  const byName = new Map(frame.columns.map((c) => [c.name, c]));
  const cls = byName.get('Class');
  if (cls?.kind !== 'factor') throw fail('no factor column "Class"');
  const labelOfLevel = cls.levels.map((l) => SPLICE_LABELS.indexOf(l as (typeof SPLICE_LABELS)[number]));
  const unknown = cls.levels.filter((_, i) => labelOfLevel[i] < 0);
  if (unknown.length > 0) throw fail(`unknown Class levels ${unknown.map((l) => `"${l}"`).join(', ')} (expected ${SPLICE_LABELS.join(', ')})`);
  // bits[j][i]: 0 or 1, column V(j+1) at row i (-1 for NA).
  const bits: Int8Array[] = [];
  for (let j = 0; j < 3 * SPLICE_LENGTH; j++) {
    const col = byName.get(`V${j + 1}`);
    if (col?.kind !== 'factor') throw fail(`no factor column "V${j + 1}" (expected V1..V${3 * SPLICE_LENGTH}, three indicators per nucleotide)`);
    const value = col.levels.map((l) => (l === '0' ? 0 : l === '1' ? 1 : -2));
    const bad = col.levels.find((_, i) => value[i] === -2);
    if (bad !== undefined) throw fail(`column V${j + 1} has the level "${bad}", expected "0" and "1"`);
    bits.push(Int8Array.from(col.codes, (c) => (c < 0 ? -1 : value[c])));
  }
  const out: SpliceRecord[] = [];
  for (let i = 0; i < frame.rowCount; i++) {
    let sequence = '';
    for (let p = 0; p < SPLICE_LENGTH; p++) {
      const key = `${bits[3 * p][i]}${bits[3 * p + 1][i]}${bits[3 * p + 2][i]}`;
      const nt = INDICATORS[key];
      if (nt === undefined)
        throw fail(`row ${i + 1}, nucleotide ${p + 1} (columns V${3 * p + 1}..V${3 * p + 3}) is ${key.includes('-') ? 'NA' : key}, not one of A=100, C=010, G=001, T=000`);
      sequence += nt;
    }
    const code = cls.codes[i];
    if (code < 0) throw fail(`row ${i + 1} has no Class (NA)`);
    out.push({ row: i + 1, sequence, label: labelOfLevel[code] });
  }
  return out;
}

/** Reads `DNA.rda` (compressed or not) into records. */
export async function readSpliceFile(path: string): Promise<SpliceRecord[]> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new SsbenchError('data', `cannot read the splice data (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: path });
  }
  const objects = parseRData(await decompressRData(bytes, path), path);
  const df = objects.get('DNA');
  if (!df) throw new SsbenchError('data', `no object "DNA" in the R data file (found: ${[...objects.keys()].join(', ') || 'none'})`, { file: path });
  return spliceRecords(rDataFrame(df, path), path);
}

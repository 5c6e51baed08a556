/**
 * Prokka's genus-specific protein databases (Debian `prokka` 1.14.6, `/usr/share/prokka/db/genus/<Genus>`): plain
 * FASTA, headers `>ID EC~~~gene~~~product` with EC and gene possibly empty, e.g.
 * `>EG10611-MONOMER ~~~mrp~~~putative ATPase` or `>YP_005354858.1 2.7.7.7~~~~~~DNA polymerase III`.
 * Escherichia (4,209 proteins, EcoCyc ids), Staphylococcus (3,652) and Enterococcus (3,104; RefSeq ids).
 */
import { SsbenchError } from '@ssbench/core';
import { type DebianFile, type FastaRecord, readFasta } from '@ssbench/data';
import { PROTEIN_LETTERS, normalizeProtein } from './amino';

export const PROKKA_GENERA = ['Enterococcus', 'Escherichia', 'Staphylococcus'] as const;
export type ProkkaGenus = (typeof PROKKA_GENERA)[number];

export const prokkaFile = (genus: ProkkaGenus): DebianFile => ({ package: 'prokka', path: `/usr/share/prokka/db/genus/${genus}` });

/** Top-level EC classes (the enzyme-class labels, in order: label i is EC i + 1). */
export const EC_CLASSES = ['oxidoreductase', 'transferase', 'hydrolase', 'lyase', 'isomerase', 'ligase'] as const;

/** One protein from a file. */
export interface ProteinRecord {
  id: string;
  /** `file:line` of the header. */
  origin: string;
  /** Normalised residues (20 standard + X). */
  sequence: string;
  /** EC number as written ('' when none). */
  ec: string;
  gene: string;
  product: string;
}

/** The residues of a record, normalised; errors name the file and the header line. */
export function proteinSequence(r: FastaRecord, file: string): string {
  const n = normalizeProtein(r.sequence);
  if ('sequence' in n) return n.sequence;
  throw new SsbenchError(
    'data',
    `protein "${r.id}": ${JSON.stringify(n.badChar)} at residue ${n.badIndex + 1} is not allowed (a "*" only ends a sequence; gaps are not allowed)`,
    { file, line: r.line },
  );
}

/** Parses one prokka database file. */
export function readProkkaFile(file: string): ProteinRecord[] {
  return readFasta(file, { alphabet: PROTEIN_LETTERS }).map((r) => {
    const parts = r.description.split('~~~');
    if (parts.length !== 3)
      throw new SsbenchError('data', `prokka header of "${r.id}": expected "EC~~~gene~~~product" after the id, got ${JSON.stringify(r.description)}`, {
        file,
        line: r.line,
      });
    const ec = parts[0].trim();
    if (ec !== '' && !/^\d+(\.(\d+|-|n\d+)){0,3}$/.test(ec))
      throw new SsbenchError('data', `prokka header of "${r.id}": EC number ${JSON.stringify(ec)} is not of the form 1.2.3.4`, { file, line: r.line });
    return { id: r.id, origin: `${file}:${r.line}`, sequence: proteinSequence(r, file), ec, gene: parts[1].trim(), product: parts[2].trim() };
  });
}

/** The top-level EC class (1-7) of an EC number, or null when there is none. */
export function ecClass(ec: string): number | null {
  return ec === '' ? null : Number(ec.split('.')[0]);
}

/**
 * FASTA reader. A record is a header line `>id description` followed by sequence lines; the sequence is the
 * concatenation of those lines with all whitespace removed (so CRLF line ends, trailing blanks and blank lines
 * anywhere are harmless). Lines starting with `;` are comments (the original Pearson FASTA convention) and are
 * skipped. The id is the header's first whitespace-delimited word (leading blanks after `>` are ignored), the
 * description is the rest of the line, trimmed (inner tabs are kept: some files put fields there).
 *
 * Errors are data errors naming the file and line: sequence text before the first header, a header with
 * nothing after `>`, a record without sequence, a character outside the alphabet (when one is given; compared
 * case-insensitively, the column is reported).
 */
import { readFileSync } from 'node:fs';
import { SsbenchError } from '@ssbench/core';

export interface FastaRecord {
  /** First word of the header. */
  id: string;
  /** Rest of the header after the id (may be empty). */
  description: string;
  /** The sequence as written, whitespace removed (case kept). */
  sequence: string;
  /** 1-based line of the header. */
  line: number;
}

/** An allowed-character set with a name for messages. */
export interface FastaAlphabet {
  name: string;
  /** Allowed characters; upper- and lower-case forms of each are accepted. */
  letters: string;
}

/** IUPAC nucleotide codes (DNA and RNA, ambiguity codes, gap). */
export const IUPAC_NUCLEOTIDES: FastaAlphabet = { name: 'IUPAC nucleotide codes', letters: 'ACGTURYSWKMBDHVN-.' };

/**
 * IUPAC amino-acid codes: the 20 standard residues, U (selenocysteine), O (pyrrolysine), the ambiguity codes B,
 * Z, J, X, the translation stop `*` and the gap `-`.
 */
export const IUPAC_AMINO_ACIDS: FastaAlphabet = { name: 'IUPAC amino-acid codes', letters: 'ACDEFGHIKLMNPQRSTVWYUOBZJX*-' };

export interface FastaOptions {
  /** Refuse any sequence character outside this alphabet. */
  alphabet?: FastaAlphabet;
}

/** Parses FASTA text; `file` names it in error messages. */
export function parseFasta(text: string, file: string, options: FastaOptions = {}): FastaRecord[] {
  // One character class of the allowed letters in both cases (a native regex scan: FASTA files run to megabytes).
  const letters = options.alphabet ? options.alphabet.letters.toUpperCase() + options.alphabet.letters.toLowerCase() : '';
  const disallowed = options.alphabet ? new RegExp(`[^${letters.replace(/[\\\]^-]/g, '\\$&')}]`, 'u') : null;
  const out: FastaRecord[] = [];
  let current: { id: string; description: string; line: number; parts: string[] } | null = null;
  const finish = () => {
    if (current === null) return;
    const sequence = current.parts.join('');
    if (sequence === '') throw new SsbenchError('data', `FASTA record "${current.id}" has an empty sequence`, { file, line: current.line });
    out.push({ id: current.id, description: current.description, sequence, line: current.line });
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const lineNo = i + 1;
    if (raw.startsWith('>')) {
      finish();
      const header = raw.slice(1).replace(/\r$/, '').replace(/^\s+/, '');
      if (header.trim() === '') throw new SsbenchError('data', 'FASTA header is empty (nothing after ">")', { file, line: lineNo });
      const m = /^(\S+)(.*)$/s.exec(header)!;
      current = { id: m[1], description: m[2].trim(), line: lineNo, parts: [] };
      continue;
    }
    if (raw.startsWith(';')) continue;
    const seq = raw.replace(/\s+/g, '');
    if (seq === '') continue;
    if (current === null) throw new SsbenchError('data', 'FASTA sequence data before the first ">" header line', { file, line: lineNo });
    const bad = disallowed?.exec(seq);
    if (bad)
      throw new SsbenchError(
        'data',
        `FASTA record "${current.id}": character ${JSON.stringify(bad[0])} is not one of the ${options.alphabet!.name} (${options.alphabet!.letters})`,
        { file, line: lineNo, column: raw.indexOf(bad[0]) + 1 },
      );
    current.parts.push(seq);
  }
  finish();
  return out;
}

/** Reads and parses a FASTA file (whole-file: meant for files of up to some tens of MB). */
export function readFasta(path: string, options: FastaOptions = {}): FastaRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SsbenchError('data', `cannot read FASTA file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: path });
  }
  return parseFasta(text, path, options);
}

// ---- labelled FASTA (user data sets) ---------------------------------------------------------------------------

/**
 * Where the labels of a user FASTA file come from: a regular expression over the header (`id description`, joined
 * by one space; the first capture group is the label, or the whole match when the pattern has no group), or a
 * labels TSV (`id<TAB>label` per line).
 */
export type FastaLabelSource = { pattern: RegExp } | { labelsFile: string };

/** The options of a task's `fasta` data set, as a user writes them. */
export interface FastaOptionsInput {
  file?: string;
  labelPattern?: string;
  labelsFile?: string;
}

/**
 * Checks a `fasta` data set's options: `file`, and exactly one of `labelPattern` (a valid regular expression) and
 * `labelsFile`. Errors are config errors pointing at the option (`/file`, `/labelPattern`).
 */
export function resolveFastaSource(input: FastaOptionsInput): { file: string; labels: FastaLabelSource } {
  const optionsError = (pointer: string, message: string) => new SsbenchError('config', message, { pointer });
  if (typeof input.file !== 'string' || input.file === '') throw optionsError('/file', 'dataset "fasta" needs "file": the path of a FASTA file');
  if ((input.labelPattern === undefined) === (input.labelsFile === undefined))
    throw optionsError('/labelPattern', 'dataset "fasta" needs exactly one of "labelPattern" (a regular expression over the headers) and "labelsFile" (a TSV of id and label)');
  let labels: FastaLabelSource;
  if (input.labelPattern !== undefined) {
    try {
      labels = { pattern: new RegExp(input.labelPattern) };
    } catch (e) {
      throw optionsError('/labelPattern', `labelPattern is not a valid regular expression: ${(e as Error).message}`);
    }
  } else labels = { labelsFile: input.labelsFile as string };
  return { file: input.file, labels };
}

/**
 * Reads a labels TSV: one `id<TAB>label` per line; blank lines and lines starting with `#` are skipped. Errors
 * name the file and line (missing tab, empty id or label, an id listed twice).
 */
export function readLabelsTsv(file: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SsbenchError('data', `cannot read the labels file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  const out = new Map<string, string>();
  const firstLine = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new SsbenchError('data', 'expected "id<TAB>label"', { file, line: i + 1 });
    const id = line.slice(0, tab).trim();
    const label = line.slice(tab + 1).trim();
    if (id === '' || label === '') throw new SsbenchError('data', `empty ${id === '' ? 'id' : 'label'} in "id<TAB>label"`, { file, line: i + 1 });
    if (out.has(id)) throw new SsbenchError('data', `id "${id}" is listed twice (first on line ${firstLine.get(id)})`, { file, line: i + 1 });
    out.set(id, label);
    firstLine.set(id, i + 1);
  });
  return out;
}

/**
 * Reads a FASTA file and labels every record (a record without a label is an error naming its header line; ids
 * in the TSV that the FASTA file lacks are ignored).
 */
export function readLabelledFasta(file: string, source: FastaLabelSource, options: FastaOptions = {}): (FastaRecord & { label: string })[] {
  const labels = 'labelsFile' in source ? readLabelsTsv(source.labelsFile) : null;
  return readFasta(file, options).map((rec) => {
    let label: string | undefined;
    if (labels === null) {
      const pattern = (source as { pattern: RegExp }).pattern;
      const header = rec.description === '' ? rec.id : `${rec.id} ${rec.description}`;
      const m = pattern.exec(header);
      label = m ? (m.length > 1 ? m[1] : m[0]) : undefined;
      if (label === undefined || label === '')
        throw new SsbenchError('data', `record "${rec.id}": the header does not match the label pattern ${pattern} (or its group is empty)`, { file, line: rec.line });
    } else {
      label = labels.get(rec.id);
      if (label === undefined) throw new SsbenchError('data', `record "${rec.id}" has no label in ${(source as { labelsFile: string }).labelsFile}`, { file, line: rec.line });
    }
    return { ...rec, label };
  });
}

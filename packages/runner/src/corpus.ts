/** Resolves a recipe's `corpus` entry to real text: a named bundled corpus or a local text file. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SsbenchError } from '@ssbench/core';
import { type Corpus, loadSotu, loadTextFile } from '@ssbench/corpora';

export type CorpusSpec =
  | { name: 'sotu'; maxDocuments?: number; years?: [number, number] }
  | { path: string; maxDocuments?: number; sentences?: 'splitter' | 'lines' };

export const BUNDLED_CORPORA = ['sotu'] as const;

export function loadCorpus(spec: CorpusSpec, baseDir: string, configFile: string): Corpus {
  if ('path' in spec) {
    const file = resolve(baseDir, spec.path);
    if (!existsSync(file))
      throw new SsbenchError('data', `corpus file not found: ${file} (expected a UTF-8 text file, documents separated by blank lines)`, {
        file: configFile,
      });
    return loadTextFile(file, { maxDocuments: spec.maxDocuments, sentences: spec.sentences });
  }
  if (spec.name === 'sotu') return loadSotu({ maxDocuments: spec.maxDocuments, years: spec.years });
  throw new SsbenchError('config', `unknown corpus "${(spec as { name: string }).name}" (bundled: ${BUNDLED_CORPORA.join(', ')})`, { file: configFile });
}

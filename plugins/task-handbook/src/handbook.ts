/**
 * "Which chapter is this paragraph from?" on the Debian Administrator's Handbook, for zero-shot cross-lingual
 * transfer (multilingual BERT fine-tuned on English and tested on Chinese): train and dev paragraphs are in
 * `trainLang`, test paragraphs in `testLang`, and the test paragraphs are the translations of paragraphs that are
 * in neither train nor dev.
 *
 * Data: Debian package `debian-handbook` (11.20220922; GPL-2.0+ or CC-BY-SA-3.0), read and aligned by
 * `@ssbench/corpora`'s `loadHandbookPairs` (paragraphs paired by position within each of the book's HTML files;
 * untranslated paragraphs dropped; see that file for the checks). The paragraph pool is the set of aligned pairs
 * of the two languages (en-US and zh-CN by default: 2,075 pairs in 11.20220922), so every paragraph exists in both
 * languages. When trainLang equals testLang (the in-language baseline) the pool is that language paired with
 * zh-CN (or with en-US when the language is zh-CN), so the four en/zh combinations share one split.
 *
 * Labels: the chapters (file stem of the chapter's top-level page, e.g. "apt" for "Chapter 6. Maintenance and
 * Updates: The APT Tools") with at least `minParagraphs` pairs (default 50: 12 of the book's 21 chapters and front
 * matter, 1,863 pairs), in reading order.
 *
 * Splits (task version 1.0.0): per chapter, the pairs (sorted by id "<file>#<paragraph>") are shuffled with a
 * seeded RNG that depends only on `splitSeed` and the chapter, then dealt: the first `testPerChapter` to test, the
 * next `devPerChapter` to dev, the next `trainPerChapter` to train (the rest unused). So the test set does not
 * depend on the train cap or on the languages. Defaults 20 / 8 / 60 give 240 test, 96 dev and 648 train
 * paragraphs over 12 balanced-ish labels: a 1-2 minute fine-tune of a tiny BERT on 2 cores (3 epochs, batch 32,
 * ~61 steps at 128 tokens). Metrics: accuracy and macro F1 over the labels.
 */
import { dirname } from 'node:path';
import type {
  ClassificationTask,
  DatasetInfo,
  DatasetStatus,
  JSONSchema,
  MetricSpec,
  Splits,
  TaskContext,
  TaskPlugin,
  TextInput,
} from '@ssbench/core';
import { Rng, SsbenchError, accuracy, checkLabelIds, precisionRecallF1 } from '@ssbench/core';
import {
  HANDBOOK_HTML_PATH,
  HANDBOOK_LICENCE,
  HANDBOOK_PACKAGE,
  type HandbookAlignment,
  type HandbookPair,
  loadHandbookPairs,
  resolveHandbookLang,
} from '@ssbench/corpora';
import { locateDebianFile, prepareDebianPackage } from '@ssbench/data';

/** The task's version: bump when data, splits or metrics change (results of different versions don't compare). */
export const HANDBOOK_TASK_VERSION = '1.0.0';
export const HANDBOOK_DATASET = 'debian-handbook';

export interface HandbookTaskOptionsInput {
  trainLang?: string;
  testLang?: string;
  minParagraphs?: number;
  trainPerChapter?: number;
  devPerChapter?: number;
  testPerChapter?: number;
  splitSeed?: number;
}

export interface HandbookTaskOptions {
  /** Language directory names ("en-US", "zh-CN"). */
  trainLang: string;
  testLang: string;
  minParagraphs: number;
  trainPerChapter: number;
  devPerChapter: number;
  testPerChapter: number;
  splitSeed: number;
}

/** One paragraph; `pair` is the aligned pair's id ("<file>#<index>") and `lang` the language of `text`. */
export interface HandbookExample extends TextInput {
  label: number;
  pair: string;
  lang: string;
}

export interface HandbookSplits extends Splits<HandbookExample> {
  train: HandbookExample[];
  dev: HandbookExample[];
  test: HandbookExample[];
}

export const HANDBOOK_DEFAULTS = {
  trainLang: 'en',
  testLang: 'zh-CN',
  minParagraphs: 50,
  trainPerChapter: 60,
  devPerChapter: 8,
  testPerChapter: 20,
  splitSeed: 13,
} as const;

const LANG_PATTERN = '^(en|zh|[a-z]{2}-[A-Z]{2})$';

export const handbookOptionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Debian handbook chapter classification (cross-lingual) options',
  type: 'object',
  additionalProperties: false,
  properties: {
    trainLang: {
      type: 'string',
      pattern: LANG_PATTERN,
      default: HANDBOOK_DEFAULTS.trainLang,
      description: 'Language of the train and dev paragraphs: "en", "zh" or a handbook directory name ("en-US", "zh-CN", "zh-TW", "fr-FR", ...).',
    },
    testLang: {
      type: 'string',
      pattern: LANG_PATTERN,
      default: HANDBOOK_DEFAULTS.testLang,
      description: 'Language of the test paragraphs (the translations of paragraphs held out of train and dev). Equal to trainLang: the in-language baseline.',
    },
    minParagraphs: {
      type: 'integer',
      minimum: 2,
      default: HANDBOOK_DEFAULTS.minParagraphs,
      description: 'A chapter is a label when it has at least this many aligned paragraphs; must exceed testPerChapter + devPerChapter.',
    },
    trainPerChapter: { type: 'integer', minimum: 1, default: HANDBOOK_DEFAULTS.trainPerChapter, description: 'At most this many train paragraphs per chapter.' },
    devPerChapter: { type: 'integer', minimum: 0, default: HANDBOOK_DEFAULTS.devPerChapter, description: 'Dev paragraphs per chapter.' },
    testPerChapter: { type: 'integer', minimum: 1, default: HANDBOOK_DEFAULTS.testPerChapter, description: 'Test paragraphs per chapter.' },
    splitSeed: {
      type: 'integer',
      default: HANDBOOK_DEFAULTS.splitSeed,
      description: 'Seed of the split shuffle (independent of the experiment seed: every seed sees the same test set).',
    },
  },
};

function optionsError(pointer: string, message: string): SsbenchError {
  return new SsbenchError('config', message, { pointer });
}

/** Applies defaults and checks the options (also when the runner's schema validation did not run). */
export function resolveHandbookTaskOptions(input: HandbookTaskOptionsInput = {}): HandbookTaskOptions {
  const known = Object.keys(handbookOptionsSchema.properties as object);
  for (const k of Object.keys(input)) if (!known.includes(k)) throw optionsError(`/${k}`, `unknown option "${k}" (known: ${known.join(', ')})`);
  const lang = (key: 'trainLang' | 'testLang') => {
    const v = input[key] ?? HANDBOOK_DEFAULTS[key];
    try {
      return resolveHandbookLang(v);
    } catch (e) {
      throw optionsError(`/${key}`, `${key}: ${(e as Error).message}`);
    }
  };
  const int = (key: 'minParagraphs' | 'trainPerChapter' | 'devPerChapter' | 'testPerChapter', min: number) => {
    const v = input[key] ?? HANDBOOK_DEFAULTS[key];
    if (!Number.isInteger(v) || v < min) throw optionsError(`/${key}`, `${key} must be an integer >= ${min}, got ${v}`);
    return v;
  };
  const o: HandbookTaskOptions = {
    trainLang: lang('trainLang'),
    testLang: lang('testLang'),
    minParagraphs: int('minParagraphs', 2),
    trainPerChapter: int('trainPerChapter', 1),
    devPerChapter: int('devPerChapter', 0),
    testPerChapter: int('testPerChapter', 1),
    splitSeed: input.splitSeed ?? HANDBOOK_DEFAULTS.splitSeed,
  };
  if (!Number.isSafeInteger(o.splitSeed)) throw optionsError('/splitSeed', `splitSeed must be an integer, got ${o.splitSeed}`);
  if (o.minParagraphs <= o.testPerChapter + o.devPerChapter)
    throw optionsError(
      '/minParagraphs',
      `minParagraphs (${o.minParagraphs}) must exceed testPerChapter + devPerChapter (${o.testPerChapter} + ${o.devPerChapter}) so that every label has train paragraphs`,
    );
  return o;
}

/** The two languages whose aligned pairs form the paragraph pool (see the file header). */
export function pairLanguages(o: Pick<HandbookTaskOptions, 'trainLang' | 'testLang'>): [string, string] {
  if (o.trainLang !== o.testLang) return [o.trainLang, o.testLang];
  return [o.trainLang, o.trainLang === 'zh-CN' ? 'en-US' : 'zh-CN'];
}

// ---- data location ------------------------------------------------------------------------------------------

const indexFile = (lang: string) => ({ package: HANDBOOK_PACKAGE, path: `${HANDBOOK_HTML_PATH}/${lang}/index.html` });

/** The HTML root holding `lang`'s directory (installed or extracted under dataDir), or null. */
export function locateHandbookRoot(lang: string, dataDir: string): string | null {
  const index = locateDebianFile(indexFile(lang), dataDir);
  return index === null ? null : dirname(dirname(index));
}

function requireRoot(langs: readonly string[], dataDir: string): string {
  const roots = langs.map((l) => locateHandbookRoot(l, dataDir));
  const missing = langs.filter((_, i) => roots[i] === null);
  if (missing.length > 0 || roots[0] !== roots[1])
    throw new SsbenchError(
      'data',
      `data set "${HANDBOOK_DATASET}" needs ${langs.map((l) => `${HANDBOOK_HTML_PATH}/${l}/`).join(' and ')} from the Debian package ${HANDBOOK_PACKAGE}` +
        `${missing.length > 0 ? ` (missing: ${missing.join(', ')})` : ' in one place'}: run \`apt-get install ${HANDBOOK_PACKAGE}\` ` +
        `(or \`ssbench data prepare ${HANDBOOK_DATASET}\`, which extracts it under ${dataDir}/debian/${HANDBOOK_PACKAGE} without installing it)`,
    );
  return roots[0] as string;
}

// ---- splits -------------------------------------------------------------------------------------------------

/** Chapters with at least `minParagraphs` pairs, in the alignment's (reading) order. */
export function chapterLabels(alignment: HandbookAlignment, minParagraphs: number): string[] {
  const counts = new Map<string, number>();
  for (const p of alignment.pairs) counts.set(p.chapter, (counts.get(p.chapter) ?? 0) + 1);
  return alignment.chapters.map((c) => c.id).filter((id) => (counts.get(id) ?? 0) >= minParagraphs);
}

/**
 * Deals each label's pairs to test, dev and train (see the file header). Returns pair lists per split, each in a
 * fixed shuffled order (seeded by splitSeed only) that mixes labels.
 */
export function splitPairs(
  pairs: readonly HandbookPair[],
  labels: readonly string[],
  o: Pick<HandbookTaskOptions, 'trainPerChapter' | 'devPerChapter' | 'testPerChapter' | 'splitSeed'>,
): { train: HandbookPair[]; dev: HandbookPair[]; test: HandbookPair[] } {
  const root = new Rng(o.splitSeed).fork('task-handbook');
  const out = { train: [] as HandbookPair[], dev: [] as HandbookPair[], test: [] as HandbookPair[] };
  for (const label of labels) {
    const mine = pairs.filter((p) => p.chapter === label).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const order = root.fork(`chapter/${label}`).shuffle(mine);
    out.test.push(...order.slice(0, o.testPerChapter));
    out.dev.push(...order.slice(o.testPerChapter, o.testPerChapter + o.devPerChapter));
    out.train.push(...order.slice(o.testPerChapter + o.devPerChapter, o.testPerChapter + o.devPerChapter + o.trainPerChapter));
  }
  for (const k of ['train', 'dev', 'test'] as const) root.fork(`order/${k}`).shuffle(out[k]);
  return out;
}

// ---- the task -----------------------------------------------------------------------------------------------

export class HandbookTask implements ClassificationTask {
  readonly head: { kind: 'classification'; labels: readonly string[] };
  readonly version = HANDBOOK_TASK_VERSION;
  readonly metrics: readonly MetricSpec[] = [
    { name: 'accuracy', higherIsBetter: true },
    { name: 'macroF1', higherIsBetter: true },
  ];
  readonly options: HandbookTaskOptions;
  private readonly find: () => string;
  private data: { alignment: HandbookAlignment; labels: readonly string[] } | null = null;

  /**
   * @param htmlRoot where the per-language HTML directories are: a function (default: installed or extracted under
   *   ctx.dataDir, via @ssbench/data), for tests.
   */
  constructor(options: HandbookTaskOptions, ctx: TaskContext, htmlRoot?: () => string) {
    this.options = options;
    this.find = htmlRoot ?? (() => requireRoot(pairLanguages(options), ctx.dataDir));
    // The labels are the chapters found in the data: reading `head.labels` reads the data (once, synchronously),
    // so it is right whether or not load() ran on this instance.
    const read = () => this.read().labels;
    this.head = {
      kind: 'classification',
      get labels(): readonly string[] {
        return read();
      },
    };
  }

  get source(): string {
    const [a, b] = pairLanguages(this.options);
    const what = this.data?.alignment.source ?? `debian:${HANDBOOK_PACKAGE} ${HANDBOOK_HTML_PATH}/{${a},${b}}/*.html`;
    return `${what}: The Debian Administrator's Handbook (Hertzog & Mas), licence ${HANDBOOK_LICENCE}`;
  }

  /** The alignment and labels, read once. */
  private read(): { alignment: HandbookAlignment; labels: readonly string[] } {
    if (this.data === null) {
      const [source, target] = pairLanguages(this.options);
      let alignment: HandbookAlignment;
      try {
        alignment = loadHandbookPairs({ htmlRoot: this.find(), source, target });
      } catch (e) {
        if (e instanceof SsbenchError) throw e;
        throw new SsbenchError('data', (e as Error).message, { cause: e });
      }
      const labels = chapterLabels(alignment, this.options.minParagraphs);
      if (labels.length < 2)
        throw new SsbenchError(
          'data',
          `debian-handbook ${source}/${target}: only ${labels.length} chapter(s) have ${this.options.minParagraphs} or more aligned paragraphs; lower minParagraphs`,
        );
      this.data = { alignment, labels: Object.freeze(labels) };
    }
    return this.data;
  }

  /** Alignment statistics (pairs kept, anchor agreement; see @ssbench/corpora's handbook.ts), after reading. */
  alignmentStats(): HandbookAlignment['stats'] {
    return this.read().alignment.stats;
  }

  async load(): Promise<HandbookSplits> {
    const { alignment, labels } = this.read();
    const { trainLang, testLang } = this.options;
    const ids = new Map(labels.map((l, i) => [l, i]));
    const parts = splitPairs(alignment.pairs, labels, this.options);
    const [sourceLang] = pairLanguages(this.options);
    const side = (p: HandbookPair, lang: string) => (lang === sourceLang ? p.source : p.target);
    const example = (p: HandbookPair, lang: string): HandbookExample => ({ text: side(p, lang), label: ids.get(p.chapter) as number, pair: p.id, lang });
    return {
      train: parts.train.map((p) => example(p, trainLang)),
      dev: parts.dev.map((p) => example(p, trainLang)),
      test: parts.test.map((p) => example(p, testLang)),
    };
  }

  score(predicted: readonly number[], gold: readonly number[]): Record<string, number> {
    checkLabelIds(predicted, gold, this.head.labels.length);
    const k = this.head.labels.length;
    const labels = Array.from({ length: k }, (_, i) => i);
    return { accuracy: accuracy(predicted, gold), macroF1: precisionRecallF1(predicted, gold, { average: 'macro', labels }).f1 };
  }
}

// ---- the plugin ---------------------------------------------------------------------------------------------

export const HANDBOOK_DATASET_INFO: DatasetInfo = {
  name: HANDBOOK_DATASET,
  description: "The Debian Administrator's Handbook in 26 languages (HTML); en-US and zh-CN paragraphs aligned by position",
  source: `Debian package ${HANDBOOK_PACKAGE} (11.20220922) ${HANDBOOK_HTML_PATH}/<lang>/*.html`,
  licence: HANDBOOK_LICENCE,
  size: '127 HTML files per language; 3,034 paragraphs; 2,075 translated en-US/zh-CN pairs in 21 chapters',
  debianPackage: HANDBOOK_PACKAGE,
};

async function datasetStatus(name: string, ctx: TaskContext): Promise<DatasetStatus> {
  if (name !== HANDBOOK_DATASET) throw new SsbenchError('config', `unknown data set "${name}" (task-handbook has: ${HANDBOOK_DATASET})`);
  const en = locateHandbookRoot('en-US', ctx.dataDir);
  const zh = locateHandbookRoot('zh-CN', ctx.dataDir);
  if (en !== null && zh !== null) return { ready: true, detail: en === zh ? en : `${en} (en-US), ${zh} (zh-CN)` };
  return {
    ready: false,
    detail: `apt-get install ${HANDBOOK_PACKAGE} (or ssbench data prepare ${HANDBOOK_DATASET}: extracts it under ${ctx.dataDir}/debian/${HANDBOOK_PACKAGE})`,
  };
}

const plugin = {
  kind: 'task' as const,
  name: '@ssbench/task-handbook',
  version: HANDBOOK_TASK_VERSION,
  description:
    "Chapter of a paragraph of the Debian Administrator's Handbook; zero-shot cross-lingual transfer: train on trainLang (en), test on the testLang (zh-CN) translations of held-out paragraphs.",
  optionsSchema: handbookOptionsSchema,
  datasets: [HANDBOOK_DATASET_INFO],
  datasetStatus,
  prepare: async (name: string, ctx: TaskContext): Promise<DatasetStatus> => {
    if (name !== HANDBOOK_DATASET) throw new SsbenchError('config', `unknown data set "${name}" (task-handbook has: ${HANDBOOK_DATASET})`);
    if (!(await datasetStatus(name, ctx)).ready) prepareDebianPackage(HANDBOOK_PACKAGE, ctx.dataDir);
    return datasetStatus(name, ctx);
  },
  create: (options: HandbookTaskOptionsInput, ctx: TaskContext) => new HandbookTask(resolveHandbookTaskOptions(options), ctx),
} satisfies TaskPlugin<HandbookTaskOptionsInput>;

export default plugin;

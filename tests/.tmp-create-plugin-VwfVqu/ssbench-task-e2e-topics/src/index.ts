/**
 * ssbench-task-e2e-topics: an ssbench task plugin (sequence -> class).
 *
 * The task: the topic (sport or cooking) of a short English sentence, over the 24 labelled sentences in
 * `src/data.ts`. It is small on purpose: it shows every part of the task contract and runs offline in seconds.
 * Replace the data, the labels and the metrics with your own task's and keep the structure.
 *
 * Splits (task version 1.0.0): for each label, the examples are shuffled with a seeded RNG that depends only on
 * `splitSeed` and the label (never on the experiment's seed, so every seed sees the same test set), then dealt to
 * test, then dev, by the `split` fractions; the rest is train. With the defaults: 12 train, 6 dev, 6 test.
 * Metrics: accuracy and macro-averaged F1 over the labels (scikit-learn conventions).
 */
import type { ClassificationExample, ClassificationTask, DatasetStatus, JSONSchema, MetricSpec, Splits, TaskContext, TaskPlugin, TextInput } from '@ssbench/core';
import { Rng, SsbenchError, accuracy, precisionRecallF1 } from '@ssbench/core';
import { EXAMPLES, LABELS, type LabelledSentence } from './data';

export { EXAMPLES, LABELS } from './data';

/** The package name: how configs name this plugin once it is installed. */
export const PACKAGE_NAME = 'ssbench-task-e2e-topics';

/** The task's version: bump it when the data, the splits or the metrics change (results of different versions never compare). */
export const TASK_VERSION = '1.0.0';

/** The one data set this task reads (for `ssbench data list`). */
export const DATASET = 'inline-topics';

/** Options as a config writes them: every field is optional. */
export interface OptionsInput {
  splitSeed?: number;
  split?: { dev?: number; test?: number };
}

/** Options with the defaults applied. */
export interface Options {
  splitSeed: number;
  split: { dev: number; test: number };
}

const DEFAULTS: Options = { splitSeed: 13, split: { dev: 0.25, test: 0.25 } };

/**
 * JSON Schema (draft-07) of the options. The runner validates a config's `options` against it (errors name the
 * JSON pointer, e.g. `/tasks/0/options/split/dev`) and fills in the defaults before calling `create`.
 */
export const optionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'ssbench-task-e2e-topics options',
  type: 'object',
  additionalProperties: false,
  properties: {
    splitSeed: {
      type: 'integer',
      default: DEFAULTS.splitSeed,
      description: 'Seed of the split shuffle (independent of the experiment seed: every seed sees the same test set).',
    },
    split: {
      type: 'object',
      additionalProperties: false,
      properties: {
        dev: { type: 'number', minimum: 0, maximum: 1, default: DEFAULTS.split.dev },
        test: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: DEFAULTS.split.test },
      },
      default: DEFAULTS.split,
      description: 'Fractions of each label held out for dev and test; the rest is train.',
    },
  },
};

function optionsError(pointer: string, message: string): SsbenchError {
  return new SsbenchError('config', message, { pointer });
}

/**
 * Applies the defaults and checks what the schema cannot express. `create` calls it, so a task made directly (in
 * tests, or by another program) is checked too. Pointers in its errors are relative to the options object.
 */
export function resolveOptions(input: OptionsInput = {}): Options {
  const known = Object.keys(optionsSchema.properties as object);
  for (const k of Object.keys(input)) if (!known.includes(k)) throw optionsError(`/${k}`, `unknown option "${k}" (known: ${known.join(', ')})`);
  const splitSeed = input.splitSeed ?? DEFAULTS.splitSeed;
  if (!Number.isSafeInteger(splitSeed)) throw optionsError('/splitSeed', `splitSeed must be an integer, got ${JSON.stringify(splitSeed)}`);
  const split = { dev: input.split?.dev ?? DEFAULTS.split.dev, test: input.split?.test ?? DEFAULTS.split.test };
  for (const k of ['dev', 'test'] as const)
    if (typeof split[k] !== 'number' || !(split[k] >= 0 && split[k] <= 1)) throw optionsError(`/split/${k}`, `split.${k} must be a fraction in [0, 1], got ${JSON.stringify(split[k])}`);
  if (!(split.dev + split.test < 1)) throw optionsError('/split', `split.dev + split.test is ${split.dev + split.test}: nothing is left to train on`);
  // Every label needs at least one test example, and at least one train example, or the scores mean little.
  for (let label = 0; label < LABELS.length; label++) {
    const n = EXAMPLES.filter((e) => e.label === label).length;
    const held = Math.round(n * split.test) + Math.round(n * split.dev);
    if (Math.round(n * split.test) < 1) throw optionsError('/split/test', `split.test ${split.test} leaves no test example of label "${LABELS[label]}" (${n} examples)`);
    if (held >= n) throw optionsError('/split', `split.dev + split.test leaves no training example of label "${LABELS[label]}" (${n} examples)`);
  }
  return { splitSeed, split };
}

export type Example = ClassificationExample & TextInput;

/**
 * Deals the examples to train, dev and test: per label, a seeded shuffle (splitSeed and the label only), then
 * round(n * test) to test, round(n * dev) to dev, the rest to train. Each split is then put in a fixed mixed order.
 */
export function splitExamples(examples: readonly LabelledSentence[], split: Options['split'], splitSeed: number): Splits<Example> {
  const root = new Rng(splitSeed).fork(PACKAGE_NAME);
  const out: Splits<Example> = { train: [], dev: [], test: [] };
  for (let label = 0; label < LABELS.length; label++) {
    const mine = root.fork(`label/${label}`).shuffle(examples.filter((e) => e.label === label).map((e) => ({ text: e.text, label: e.label })));
    const nTest = Math.round(mine.length * split.test);
    const nDev = Math.round(mine.length * split.dev);
    out.test.push(...mine.slice(0, nTest));
    out.dev.push(...mine.slice(nTest, nTest + nDev));
    out.train.push(...mine.slice(nTest + nDev));
  }
  for (const part of ['train', 'dev', 'test'] as const) root.fork(`order/${part}`).shuffle(out[part]);
  return out;
}

export class TopicTask implements ClassificationTask {
  readonly head = { kind: 'classification', labels: LABELS } as const;
  readonly version = TASK_VERSION;
  readonly input = { kind: 'text' } as const;
  readonly metrics: readonly MetricSpec[] = [
    { name: 'accuracy', higherIsBetter: true },
    { name: 'macro_f1', higherIsBetter: true },
  ];
  /** Recorded with every result: where the data came from and under which licence. */
  readonly source = `${PACKAGE_NAME} src/data.ts: ${EXAMPLES.length} sentences written for this package (same licence as the package)`;

  readonly options: Options;

  constructor(options: Options) {
    this.options = options;
  }

  async load(): Promise<Splits<Example>> {
    return splitExamples(EXAMPLES, this.options.split, this.options.splitSeed);
  }

  /** Accuracy and macro F1 of predicted label ids against the gold ones; throws on ids outside the labels. */
  score(predicted: readonly number[], gold: readonly number[]): Record<string, number> {
    if (predicted.length !== gold.length) throw new Error(`score: ${predicted.length} predictions for ${gold.length} gold labels`);
    for (const [what, xs] of [
      ['predicted', predicted],
      ['gold', gold],
    ] as const) {
      const i = xs.findIndex((x) => !Number.isInteger(x) || x < 0 || x >= LABELS.length);
      if (i >= 0) throw new Error(`score: ${what}[${i}] is ${xs[i]}, expected a label id in 0..${LABELS.length - 1}`);
    }
    const labels = LABELS.map((_, i) => i);
    return { accuracy: accuracy(predicted, gold), macro_f1: precisionRecallF1(predicted, gold, { average: 'macro', labels }).f1 };
  }
}

const plugin = {
  kind: 'task' as const,
  name: PACKAGE_NAME,
  version: TASK_VERSION,
  description: 'Topic (sport or cooking) of short English sentences: a tiny inline classification task.',
  optionsSchema,
  datasets: [
    {
      name: DATASET,
      description: '24 short English sentences labelled sport or cooking, 12 each',
      source: `${PACKAGE_NAME} src/data.ts (written for this package)`,
      licence: 'same as the package',
      size: `${EXAMPLES.length} sentences`,
    },
  ],
  // The data ships inside the package: always ready, nothing to prepare. A task that downloads or extracts data
  // reports here whether it is in ctx.dataDir, and adds `prepare(name, ctx)` that puts it there.
  datasetStatus: async (name: string, _ctx: TaskContext): Promise<DatasetStatus> =>
    name === DATASET ? { ready: true, detail: 'inline in the package (src/data.ts)' } : { ready: false, detail: `unknown data set "${name}" (this task has "${DATASET}")` },
  // ctx.dataDir is where a task caches downloaded or extracted data; this one has none to read.
  create: (options: OptionsInput, _ctx: TaskContext) => new TopicTask(resolveOptions(options)),
} satisfies TaskPlugin<OptionsInput>;

export default plugin;

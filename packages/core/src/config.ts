/**
 * The experiment config: its JSON Schema, the schema assembled with every plugin's `optionsSchema`,
 * validation with readable errors, reading config files, and a stable hash of a config.
 *
 * A config is one JSON file. ajv (draft-07) validates it against `coreConfigSchema` extended, per plugin, with
 * that plugin's `optionsSchema` under each entry's `options` (`assembleConfigSchema`); the same assembled
 * schema, with the bundled plugins, is published as `schema.json` (`generatePublishedSchema`) so editors
 * complete and check configs that carry `"$schema"`. Defaults written in the schema are filled in by ajv.
 * Every problem is reported, each as `file: /json/pointer: expected ..., got ...`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import type { ErrorObject } from 'ajv';
import { closestMatches, didYouMean, type ErrorIssue, escapePointerSegment, SsbenchError } from './errors';
import type { JSONSchema, PluginKind } from './registry';

// ---- the config type (mirrors the schema, after defaults are applied) -------------------------------------

export type LrSchedule = 'constant' | 'linear';

export interface OptimizerConfig {
  /** Peak learning rate (> 0). */
  lr: number;
  /** Linear warm-up from 0 to `lr` over this many optimizer steps. */
  warmupSteps: number;
  /** AdamW decoupled weight decay. */
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Learning-rate schedule after warm-up: constant, or linear decay to 0 at the last step. */
  schedule: LrSchedule;
  /** Clip the global gradient norm to this value (BERT: 1.0); no clipping when absent. */
  clipNorm?: number;
}

/** A config entry naming a plugin (npm package name or local path) with its options. */
export interface PluginEntryConfig {
  id: string;
  plugin: string;
  options: Record<string, unknown>;
}

export type ModelConfig = PluginEntryConfig;
export type BackendConfig = PluginEntryConfig;

export interface ObjectiveConfig {
  plugin: string;
  options: Record<string, unknown>;
}

/** A named corpus (from `@ssbench/corpora`) or a local text file; tell them apart with `'path' in corpus`. */
export type CorpusConfig =
  | { name: string; path?: never; maxDocuments?: number; years?: [number, number]; languages?: string[] }
  | { path: string; name?: never; maxDocuments?: number; sentences?: 'splitter' | 'lines' };

export interface TokenizerConfig {
  /** wordpiece (BERT) or bpe (GPT-2's byte-level BPE). */
  kind: 'wordpiece' | 'bpe';
  vocabSize: number;
  lowerCase: boolean;
}

export interface PretrainingConfig {
  id: string;
  objectives: ObjectiveConfig[];
  corpus: CorpusConfig;
  tokenizer: TokenizerConfig;
  steps: number;
  batchSize: number;
  seqLen: number;
  optimizer: OptimizerConfig;
}

export interface FinetuneConfig {
  epochs: number;
  batchSize: number;
  maxSeqLen: number;
  optimizer: OptimizerConfig;
}

/** In-context (few-shot) evaluation of decoder models on a task, lm-evaluation-harness style. */
export interface IncontextConfig {
  /** Numbers of examples in the prompt, each evaluated side by side (e.g. zero-, one- and few-shot). */
  shots: number[];
  /** Task description put before the examples ('' for none). */
  description: string;
  /** doc_to_text template: {text} (and {textB}) are replaced by the example's text. */
  prompt: string;
  /** Evaluate at most this many test examples (the first ones of the test split). */
  maxExamples: number;
}

/**
 * How a symbol task's alphabet is mapped onto the experiment's text vocabulary (Kao & Lee 2021): each symbol gets a
 * distinct random token id, drawn with `seed` from the ids at or above `skipIds` (special tokens excluded).
 */
export interface SymbolsConfig {
  seed: number;
  skipIds: number;
}

export interface TaskConfig extends PluginEntryConfig {
  finetune: FinetuneConfig;
  /** Present: decoder models are also evaluated in context on this task. */
  incontext?: IncontextConfig;
  /** Symbol-to-token mapping of a task with symbol inputs (absent: seed 100, skipIds 1000). */
  symbols?: SymbolsConfig;
}

export interface ProbesConfig {
  crossLingual?: { source: string; target: string; evaluate: number; maxTokens: number };
  contextual?: { words?: string[] };
}

export interface TimingConfig {
  warmupRuns: number;
  runs: number;
}

export interface ExperimentConfig {
  $schema?: string;
  name: string;
  description?: string;
  seeds: number[];
  output: { dir: string };
  models: ModelConfig[];
  pretraining: PretrainingConfig[];
  fromScratch: boolean;
  /**
   * Also fine-tune every pretrained model with its embeddings re-initialised (pretrained layers, fresh embeddings:
   * Kao & Lee's ablation). Absent means false.
   */
  reinitEmbeddings?: boolean;
  /** Representation probes of encoder models (cross-lingual language vector, contextual similarity). */
  probes?: ProbesConfig;
  tasks: TaskConfig[];
  backends: BackendConfig[];
  /** Id of the backend others are compared against (default: the first backend). */
  referenceBackend: string;
  /** Id of the backend that runs pretraining (default: the reference backend). */
  pretrainBackend: string;
  timing: TimingConfig;
}

// ---- the core schema -------------------------------------------------------------------------------------

/** Ids of models, pretraining recipes, tasks and backends. */
export const ID_PATTERN = '^[a-z0-9][a-z0-9._-]*$';
/** The experiment name (also the default output directory `runs/<name>`). */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';

const PATTERN_DESCRIPTIONS: Readonly<Record<string, string>> = Object.freeze({
  [ID_PATTERN]: 'an id of lowercase letters, digits, ".", "_" and "-", starting with a letter or digit',
  [NAME_PATTERN]: 'a name of letters, digits, ".", "_" and "-", starting with a letter or digit',
});

const idSchema = (what: string): JSONSchema => ({
  type: 'string',
  pattern: ID_PATTERN,
  description: `Id of this ${what}, used in results and reports (lowercase letters, digits, ".", "_", "-").`,
});

const pluginSpecSchema = (kind: PluginKind): JSONSchema => ({
  type: 'string',
  minLength: 1,
  description: `The ${kind} plugin: an npm package name (e.g. "@ssbench/${kind}-...") or a local path starting with "./".`,
});

const optionsSchema: JSONSchema = {
  type: 'object',
  default: {},
  description: "Options of the plugin, checked against the plugin's own optionsSchema.",
};

function optimizerSchema(defaultLr: number): JSONSchema {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'AdamW with linear warm-up, then a constant or linearly decaying learning rate.',
    properties: {
      lr: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: defaultLr, description: 'Peak learning rate.' },
      warmupSteps: { type: 'integer', minimum: 0, default: 0, description: 'Optimizer steps of linear warm-up.' },
      weightDecay: { type: 'number', minimum: 0, default: 0.01, description: 'Decoupled weight decay (AdamW).' },
      beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9 },
      beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.999 },
      eps: { type: 'number', exclusiveMinimum: 0, default: 1e-6 },
      schedule: {
        enum: ['constant', 'linear'],
        default: 'linear',
        description: 'Learning rate after warm-up: constant, or linear decay to 0 at the last step.',
      },
      clipNorm: { type: 'number', exclusiveMinimum: 0, description: 'Clip the global gradient norm to this (BERT: 1.0); absent: no clipping.' },
    },
  };
}

function pluginEntrySchema(kind: 'model' | 'task' | 'backend', extra: Record<string, JSONSchema> = {}): JSONSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'plugin'],
    properties: { id: idSchema(kind), plugin: pluginSpecSchema(kind), options: optionsSchema, ...extra },
  };
}

const objectiveEntrySchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['plugin'],
  properties: { plugin: pluginSpecSchema('objective'), options: optionsSchema },
};

const maxDocumentsSchema: JSONSchema = {
  type: 'integer',
  minimum: 1,
  description: 'Use at most this many documents of the corpus.',
};

const corpusSchema: JSONSchema = {
  type: 'object',
  description: 'Pretraining text: a named corpus ({ "name": "sotu" }) or a local text file ({ "path": "data/my.txt" }).',
  // if/then/else rather than oneOf: an error then comes from the one form the user meant, not from both.
  if: { type: 'object', properties: { path: true }, required: ['path'] },
  // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword
  then: {
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: {
        type: 'string',
        minLength: 1,
        description: "A UTF-8 text file, relative to the config's directory; documents are separated by blank lines.",
      },
      maxDocuments: maxDocumentsSchema,
      sentences: {
        enum: ['splitter', 'lines'],
        description: 'How documents are cut into sentences: a sentence splitter, or one sentence per line.',
      },
    },
  },
  else: {
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', pattern: ID_PATTERN, description: 'A corpus from @ssbench/corpora, e.g. "sotu".' },
      maxDocuments: maxDocumentsSchema,
      years: {
        type: 'array',
        items: [{ type: 'integer' }, { type: 'integer' }],
        minItems: 2,
        maxItems: 2,
        additionalItems: false,
        description: 'Only documents from these years, inclusive (corpora of dated documents, e.g. sotu).',
      },
      languages: {
        type: 'array',
        items: { type: 'string', minLength: 2 },
        minItems: 1,
        uniqueItems: true,
        description: 'Languages of a multilingual corpus (handbook: e.g. ["en", "zh-CN"]); the text of all of them is mixed.',
      },
    },
  },
};

const probesSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'Representation probes run on every encoder model (pretrained and from scratch) after pretraining, on the reference backend: the language vector and translation retrieval (cross-lingual), and contextual similarity of ambiguous words.',
  properties: {
    crossLingual: {
      type: 'object',
      additionalProperties: false,
      required: ['source', 'target'],
      description:
        'Aligned Debian handbook paragraphs: per layer, retrieval of the target-language translation among the evaluated pairs, before and after adding the language vector (mean target minus mean source, fitted on the other pairs).',
      properties: {
        source: { type: 'string', description: 'Language of the queries, e.g. "en".' },
        target: { type: 'string', description: 'Language of the candidates, e.g. "zh-CN".' },
        evaluate: { type: 'integer', minimum: 2, default: 500, description: 'Pairs whose retrieval is measured (the rest fit the language vector).' },
        maxTokens: { type: 'integer', minimum: 8, default: 128, description: 'Paragraphs are cut to this many tokens (including [CLS] and [SEP]).' },
      },
    },
    contextual: {
      type: 'object',
      additionalProperties: false,
      description: "Cosine similarity of an ambiguous word's contextual vectors across sentences (bank, apple, bat, spring, plant), clustered by sense.",
      properties: {
        words: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true, description: 'Words of the bundled probe sentences (default: all).' },
      },
    },
  },
};

const pretrainingEntrySchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'objectives', 'corpus', 'steps'],
  properties: {
    id: idSchema('pretraining recipe'),
    objectives: { type: 'array', minItems: 1, items: objectiveEntrySchema, description: 'Self-supervised objectives, losses summed.' },
    corpus: corpusSchema,
    tokenizer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Vocabulary trained on the corpus: WordPiece (BERT) or byte-level BPE (GPT-2).',
      properties: {
        kind: { enum: ['wordpiece', 'bpe'], default: 'wordpiece', description: 'wordpiece (BERT) or bpe (GPT-2 byte-level BPE; lowerCase does not apply)' },
        vocabSize: { type: 'integer', minimum: 16, maximum: 1000000, default: 4000 },
        lowerCase: { type: 'boolean', default: true },
      },
    },
    steps: { type: 'integer', minimum: 1, description: 'Optimizer steps of pretraining.' },
    batchSize: { type: 'integer', minimum: 1, default: 32 },
    seqLen: { type: 'integer', minimum: 2, maximum: 65536, default: 128, description: 'Tokens per training sequence.' },
    optimizer: optimizerSchema(5e-4),
  },
};

const finetuneSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'Fine-tuning of every (pretrained or from-scratch) model on this task.',
  properties: {
    epochs: { type: 'integer', minimum: 1, default: 3 },
    batchSize: { type: 'integer', minimum: 1, default: 32 },
    maxSeqLen: { type: 'integer', minimum: 2, maximum: 65536, default: 128 },
    optimizer: optimizerSchema(1e-4),
  },
};

const incontextSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'In-context evaluation of decoder models on this task (lm-evaluation-harness conventions): description, K examples "prompt + \' \' + label" separated by blank lines, then the test prompt; each label is scored by log-likelihood (acc, acc_norm).',
  properties: {
    shots: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 0, maximum: 64 }, default: [0, 1, 5] },
    description: { type: 'string', default: '' },
    prompt: { type: 'string', default: '{text}\nAnswer:', description: 'doc_to_text template: {text} and {textB} are replaced' },
    maxExamples: { type: 'integer', minimum: 1, default: 200 },
  },
};

const symbolsSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'Tasks with symbol inputs (DNA, protein, music): each symbol of the alphabet becomes one token of the vocabulary, a distinct random id drawn with this seed from the ids at or above skipIds (special tokens excluded), as Kao & Lee (2021). Absent: seed 100, skipIds 1000.',
  properties: {
    seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 100, description: 'Seed of the random assignment (Kao & Lee used 100-109).' },
    skipIds: { type: 'integer', minimum: 0, default: 1000, description: 'Never use the first skipIds ids of the vocabulary.' },
  },
};

/** The config schema without plugin options (each `options` is any object). Draft-07. */
export const coreConfigSchema: JSONSchema = deepFreeze({
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'ssbench experiment config',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'seeds', 'models', 'tasks', 'backends'],
  properties: {
    $schema: { type: 'string', description: 'Path or URL of this JSON Schema, for editors.' },
    name: { type: 'string', pattern: NAME_PATTERN, description: 'Experiment name; results go to runs/<name> by default.' },
    description: { type: 'string' },
    seeds: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'integer', minimum: 0, maximum: 4294967295 },
      description: 'Every cell runs once per seed.',
    },
    output: {
      type: 'object',
      additionalProperties: false,
      properties: { dir: { type: 'string', minLength: 1, description: 'Results directory (default runs/<name>).' } },
    },
    models: { type: 'array', minItems: 1, items: pluginEntrySchema('model') },
    pretraining: {
      type: 'array',
      default: [],
      items: pretrainingEntrySchema,
      description: 'Pretraining recipes; every model is pretrained with each.',
    },
    fromScratch: {
      type: 'boolean',
      default: true,
      description: 'Also fine-tune every model on every task without pretraining.',
    },
    // No schema default (here and for `symbols`): a config that does not use them validates to the same value, so
    // its hash, and the results directories that hash guards, stay valid.
    reinitEmbeddings: {
      type: 'boolean',
      description:
        'Also fine-tune every pretrained model with its embedding parameters freshly initialised (pretrained layers, new embeddings: the random-embedding ablation of Kao & Lee 2021). Default false.',
    },
    probes: probesSchema,
    tasks: { type: 'array', minItems: 1, items: pluginEntrySchema('task', { finetune: finetuneSchema, incontext: incontextSchema, symbols: symbolsSchema }) },
    backends: { type: 'array', minItems: 1, items: pluginEntrySchema('backend') },
    referenceBackend: {
      type: 'string',
      pattern: ID_PATTERN,
      description: 'Id of the backend the others are compared against (default: the first).',
    },
    pretrainBackend: {
      type: 'string',
      pattern: ID_PATTERN,
      description: 'Id of the backend that runs pretraining (default: the reference backend).',
    },
    timing: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        warmupRuns: { type: 'integer', minimum: 0, default: 3, description: 'Untimed runs before timing.' },
        runs: { type: 'integer', minimum: 1, default: 20, description: 'Timed runs (median and p90 are reported).' },
      },
    },
  },
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

// ---- plugin references and the assembled schema ----------------------------------------------------------

/** A plugin's options schema, for the plugin as a config names it (`plugin`: the package name or path). */
export interface PluginSchemaInfo {
  kind: PluginKind;
  /** Exactly as written in the config's `plugin` fields. */
  plugin: string;
  /** Absent: the plugin takes no options (any option is an error). */
  optionsSchema?: JSONSchema;
}

/** Where a config names a plugin. */
export interface PluginRef {
  kind: PluginKind;
  plugin: string;
  /** JSON pointer of the entry (its `options` are at `${pointer}/options`). */
  pointer: string;
}

/**
 * Every plugin a config names, with the entry's pointer, in document order. Works on unvalidated input
 * (entries without a string `plugin` are skipped), so the runner can load plugins before full validation.
 */
export function listPluginRefs(config: unknown): PluginRef[] {
  const refs: PluginRef[] = [];
  if (typeof config !== 'object' || config === null) return refs;
  const c = config as Record<string, unknown>;
  const scan = (arr: unknown, kind: PluginKind, base: string) => {
    if (!Array.isArray(arr)) return;
    arr.forEach((e, i) => {
      if (typeof e === 'object' && e !== null && typeof (e as { plugin?: unknown }).plugin === 'string') {
        refs.push({ kind, plugin: (e as { plugin: string }).plugin, pointer: `${base}/${i}` });
      }
    });
  };
  scan(c.models, 'model', '/models');
  if (Array.isArray(c.pretraining)) {
    c.pretraining.forEach((p, i) => {
      if (typeof p === 'object' && p !== null) scan((p as { objectives?: unknown }).objectives, 'objective', `/pretraining/${i}/objectives`);
    });
  }
  scan(c.tasks, 'task', '/tasks');
  scan(c.backends, 'backend', '/backends');
  return refs;
}

const NO_OPTIONS_SCHEMA: JSONSchema = deepFreeze({ type: 'object', additionalProperties: false, properties: {} });

/** Keywords whose values are data, not schemas. */
const DATA_KEYWORDS: ReadonlySet<string> = new Set(['enum', 'const', 'default', 'examples', 'required']);
/** Keywords whose values map names to schemas. */
const MAP_KEYWORDS: ReadonlySet<string> = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependencies']);

/** Copy of a plugin schema for embedding under `#/definitions/<key>`: local `$ref`s re-rooted, `$id`/`$schema` dropped. */
function embedSchema(schema: JSONSchema, key: string): JSONSchema {
  const prefix = `#/definitions/${escapePointerSegment(key)}`;
  const walk = (node: unknown, top: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, false));
    if (typeof node !== 'object' || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (top && (k === '$schema' || k === '$id')) continue;
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#')) out[k] = prefix + v.slice(1);
      else if (DATA_KEYWORDS.has(k)) out[k] = v;
      else if (MAP_KEYWORDS.has(k) && typeof v === 'object' && v !== null && !Array.isArray(v)) {
        out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, walk(sub, false)]));
      } else out[k] = walk(v, false);
    }
    return out;
  };
  return walk(schema, true) as JSONSchema;
}

function definitionKey(kind: PluginKind, plugin: string, taken: Set<string>): string {
  const base = `${kind}.${plugin.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+/, '')}`;
  let key = base;
  for (let n = 2; taken.has(key); n++) key = `${base}.${n}`;
  taken.add(key);
  return key;
}

function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The entry schemas (array `items`) of each plugin kind inside a (mutable copy of the) config schema. */
function entrySchemas(schema: JSONSchema): Record<PluginKind, JSONSchema> {
  const props = schema.properties as Record<string, JSONSchema>;
  const items = (name: string) => props[name].items as JSONSchema;
  const pretraining = items('pretraining');
  const objectives = (pretraining.properties as Record<string, JSONSchema>).objectives.items as JSONSchema;
  return { model: items('models'), objective: objectives, task: items('tasks'), backend: items('backends') };
}

/** One schema per kind+plugin (duplicates must agree); throws an internal error on conflicting duplicates. */
function dedupePluginSchemas(pluginSchemas: readonly PluginSchemaInfo[]): PluginSchemaInfo[] {
  const seen = new Map<string, PluginSchemaInfo>();
  for (const info of pluginSchemas) {
    const k = `${info.kind}\u0000${info.plugin}`;
    const prev = seen.get(k);
    if (prev === undefined) seen.set(k, info);
    else if (canonicalJson(prev.optionsSchema ?? null) !== canonicalJson(info.optionsSchema ?? null)) {
      throw new SsbenchError('internal', `two different options schemas given for ${info.kind} plugin "${info.plugin}"`);
    }
  }
  return [...seen.values()];
}

/**
 * The config schema with each plugin's `optionsSchema` applied to the `options` of the entries that name
 * that plugin (`if: { plugin: const } then: { options: $ref }`), so a single ajv pass validates everything
 * and reports errors at their real pointers (`/models/0/options/hidden`). A plugin without an
 * `optionsSchema` accepts no options.
 */
export function assembleConfigSchema(pluginSchemas: readonly PluginSchemaInfo[]): JSONSchema {
  const schema = cloneJson(coreConfigSchema) as JSONSchema;
  const infos = dedupePluginSchemas(pluginSchemas);
  if (infos.length === 0) return schema;
  const definitions: Record<string, JSONSchema> = {};
  const taken = new Set<string>();
  const entries = entrySchemas(schema);
  for (const info of infos) {
    const key = definitionKey(info.kind, info.plugin, taken);
    definitions[key] = embedSchema(info.optionsSchema ?? NO_OPTIONS_SCHEMA, key);
    const entry = entries[info.kind];
    const allOf = (entry.allOf ??= []) as JSONSchema[];
    allOf.push({
      if: { type: 'object', required: ['plugin'], properties: { plugin: { const: info.plugin } } },
      // `default` so that plugin defaults also fill in an entry written without `options`; the $ref sits in
      // allOf because draft-07 tools ignore keywords next to a $ref.
      // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword
      then: { properties: { options: { default: {}, allOf: [{ $ref: `#/definitions/${escapePointerSegment(key)}` }] } } },
    });
  }
  schema.definitions = definitions;
  return schema;
}

/**
 * The JSON Schema published as `schema.json` at the repository root: the assembled schema with the bundled
 * plugins, plus the plugin names as `examples` for editor completion. Deterministic for the same input.
 */
export function generatePublishedSchema(pluginSchemas: readonly PluginSchemaInfo[] = []): JSONSchema {
  const sorted = [...pluginSchemas].sort((a, b) =>
    a.kind !== b.kind ? (a.kind < b.kind ? -1 : 1) : a.plugin < b.plugin ? -1 : a.plugin > b.plugin ? 1 : 0,
  );
  const schema = assembleConfigSchema(sorted);
  const entries = entrySchemas(schema);
  for (const kind of Object.keys(entries) as PluginKind[]) {
    const names = sorted.filter((p) => p.kind === kind).map((p) => p.plugin);
    if (names.length > 0) ((entries[kind].properties as Record<string, JSONSchema>).plugin as JSONSchema).examples = names;
  }
  const { $schema, title, ...rest } = schema;
  return {
    $schema,
    $comment: 'Generated by generatePublishedSchema() in @ssbench/core from the core schema and the bundled plugins. Do not edit.',
    title,
    ...rest,
  };
}

// ---- validation ------------------------------------------------------------------------------------------

export interface ValidateConfigOptions {
  /** The config file, as it should appear in messages. */
  file?: string;
  /**
   * Options schemas of the plugins the config names. When given, every plugin the config names must be
   * among them (an unknown one is an error with "did you mean"), and each entry's options are validated.
   */
  pluginSchemas?: readonly PluginSchemaInfo[];
}

/** Other names people write for a property, for "did you mean". Keys are the schema's property names. */
const PROPERTY_ALIASES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  lr: ['learningRate', 'learning_rate', 'learnRate', 'rate'],
  warmupSteps: ['warmup', 'numWarmupSteps'],
  weightDecay: ['wd', 'decay', 'l2'],
  eps: ['epsilon', 'adamEpsilon'],
  beta1: ['adamBeta1'],
  beta2: ['adamBeta2'],
  batchSize: ['bs', 'batch', 'trainBatchSize'],
  seqLen: ['sequenceLength', 'seqLength', 'maxLength', 'blockSize', 'contextLength', 'maxSeqLen'],
  maxSeqLen: ['maxSeqLength', 'maxLength', 'sequenceLength', 'seqLen'],
  epochs: ['numEpochs', 'numTrainEpochs', 'nEpochs'],
  steps: ['maxSteps', 'numSteps', 'trainSteps', 'trainingSteps'],
  vocabSize: ['vocab', 'vocabularySize'],
  lowerCase: ['doLowerCase', 'uncased'],
  warmupRuns: ['warmups'],
  runs: ['repeats', 'repetitions'],
  seeds: ['seed'],
  models: ['model'],
  tasks: ['task'],
  backends: ['backend'],
  objectives: ['objective'],
  maxDocuments: ['maxDocs', 'documents'],
  dir: ['directory', 'outDir', 'outputDir'],
  options: ['opts', 'config', 'params', 'settings', 'args'],
  plugin: ['package', 'use'],
  optimizer: ['optim'],
  referenceBackend: ['baseline', 'reference'],
  clipNorm: ['maxGradNorm', 'gradClip', 'clipGradNorm', 'gradientClipping'],
});

/** "did you mean" for an unknown property among `allowed` (including the usual other names for them). */
function suggestProperty(prop: string, allowed: readonly string[]): string | undefined {
  const byName = new Map<string, string>();
  for (const a of allowed) {
    byName.set(a, a);
    for (const alias of PROPERTY_ALIASES[a] ?? []) if (!byName.has(alias)) byName.set(alias, a);
  }
  const exact = byName.get(prop);
  if (exact !== undefined && exact !== prop) return didYouMean([exact]);
  const targets = [...new Set(closestMatches(prop, byName.keys(), 6).map((m) => byName.get(m) as string))];
  return didYouMean(targets.filter((t) => t !== prop).slice(0, 3));
}

/** A JSON value as it appears in a message: primitives as JSON, containers by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (typeof value === 'object') return 'an object';
  const s = JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}..."` : s;
}

function describeType(type: unknown): string {
  const article = (t: string) => (t === 'array' || t === 'object' || t === 'integer' ? `an ${t}` : t === 'null' ? 'null' : `a ${t}`);
  if (Array.isArray(type)) return type.map((t) => article(String(t))).join(' or ');
  return article(String(type));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One ajv error as an issue (undefined for errors that only repeat others, like a failed `if`). */
function issueOfAjvError(err: ErrorObject): ErrorIssue | undefined {
  const ptr = err.instancePath;
  const data = err.data;
  const p = err.params as Record<string, unknown>;
  const parent = (err.parentSchema ?? {}) as JSONSchema;
  const numberWord = parent.type === 'integer' ? 'an integer' : 'a number';
  switch (err.keyword) {
    case 'if':
      return undefined; // the failing then/else branch reports the actual problems
    case 'type':
      return { pointer: ptr, message: `expected ${describeType(p.type)}, got ${describeValue(data)}` };
    case 'required':
      return { pointer: ptr, message: `missing required property "${String(p.missingProperty)}"` };
    case 'additionalProperties': {
      const prop = String(p.additionalProperty);
      const allowed = Object.keys((parent.properties ?? {}) as object);
      const hint = suggestProperty(prop, allowed);
      const tail = hint !== undefined ? ` (${hint})` : allowed.length === 0 ? ' (no properties are allowed here)' : ` (allowed: ${allowed.join(', ')})`;
      return { pointer: `${ptr}/${escapePointerSegment(prop)}`, message: `unknown property "${prop}"${tail}` };
    }
    case 'enum': {
      const allowed = (p.allowedValues ?? err.schema) as unknown[];
      const hint = typeof data === 'string' ? didYouMean(closestMatches(data, allowed.filter((a): a is string => typeof a === 'string'))) : undefined;
      return {
        pointer: ptr,
        message: `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describeValue(data)}${hint !== undefined ? ` (${hint})` : ''}`,
      };
    }
    case 'const':
      return { pointer: ptr, message: `expected ${JSON.stringify(p.allowedValue)}, got ${describeValue(data)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { pointer: ptr, message: `expected ${numberWord} ${String(p.comparison)} ${String(p.limit)}, got ${describeValue(data)}` };
    case 'multipleOf':
      return { pointer: ptr, message: `expected a multiple of ${String(p.multipleOf)}, got ${describeValue(data)}` };
    case 'minItems':
      return { pointer: ptr, message: `expected at least ${plural(Number(p.limit), 'item')}, got ${(data as unknown[]).length}` };
    case 'maxItems':
      return { pointer: ptr, message: `expected at most ${plural(Number(p.limit), 'item')}, got ${(data as unknown[]).length}` };
    case 'minLength':
      return {
        pointer: ptr,
        message: Number(p.limit) === 1 ? 'expected a non-empty string' : `expected at least ${plural(Number(p.limit), 'character')}, got ${describeValue(data)}`,
      };
    case 'maxLength':
      return { pointer: ptr, message: `expected at most ${plural(Number(p.limit), 'character')}, got ${describeValue(data)}` };
    case 'pattern': {
      const pattern = String(p.pattern);
      const what = PATTERN_DESCRIPTIONS[pattern] ?? `a string matching /${pattern}/`;
      return { pointer: ptr, message: `expected ${what}, got ${describeValue(data)}` };
    }
    case 'uniqueItems': {
      const a = Number(p.i);
      const b = Number(p.j);
      const [first, dup] = a < b ? [a, b] : [b, a];
      const value = Array.isArray(data) ? describeValue(data[dup]) : 'a value';
      return { pointer: `${ptr}/${dup}`, message: `duplicate value ${value} (same as ${ptr}/${first})` };
    }
    case 'minProperties':
    case 'maxProperties':
      return { pointer: ptr, message: `expected ${err.keyword === 'minProperties' ? 'at least' : 'at most'} ${plural(Number(p.limit), 'property')}` };
    case 'false schema':
      return { pointer: ptr, message: 'no value is allowed here' };
    default:
      return { pointer: ptr, message: err.message ?? `failed "${err.keyword}"` };
  }
}

/** ajv errors as issues, without repeats; pointers prefixed with `prefix` (the pointer of the validated value). */
function issuesOfAjvErrors(errors: readonly ErrorObject[], prefix = ''): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  const seen = new Set<string>();
  for (const err of errors) {
    const issue = issueOfAjvError(err);
    if (issue === undefined) continue;
    issue.pointer = prefix + (issue.pointer ?? '');
    const key = `${issue.pointer}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function newAjv(): Ajv {
  // strict off: plugin schemas may carry annotations ajv does not know. Formats are not checked (no ajv-formats).
  return new Ajv({ allErrors: true, verbose: true, useDefaults: true, strict: false, validateFormats: false });
}

/** Compiles each plugin schema on its own, so a broken one is reported against its plugin. */
function checkPluginSchemas(infos: readonly PluginSchemaInfo[]): void {
  const ajv = newAjv();
  for (const info of infos) {
    if (info.optionsSchema === undefined) continue;
    try {
      ajv.compile(info.optionsSchema);
    } catch (cause) {
      const msg = cause instanceof Error ? cause.message : String(cause);
      throw new SsbenchError('plugin', `${info.kind} plugin "${info.plugin}" has an invalid optionsSchema: ${msg}`, { cause });
    }
  }
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Checks the schema cannot express: unique ids, backend references, plugins known, something to run. */
function crossFieldIssues(config: Record<string, unknown>, pluginSchemas: readonly PluginSchemaInfo[] | undefined): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  const ids = (list: string, what: string): string[] => {
    const arr = config[list];
    if (!Array.isArray(arr)) return [];
    const first = new Map<string, number>();
    const out: string[] = [];
    arr.forEach((e, i) => {
      const id = asRecord(e)?.id;
      if (typeof id !== 'string') return;
      const prev = first.get(id);
      if (prev !== undefined) {
        issues.push({ pointer: `/${list}/${i}/id`, message: `duplicate ${what} id "${id}" (also /${list}/${prev}/id)` });
      } else {
        first.set(id, i);
        out.push(id);
      }
    });
    return out;
  };
  ids('models', 'model');
  ids('pretraining', 'pretraining');
  ids('tasks', 'task');
  const backendIds = ids('backends', 'backend');

  for (const field of ['referenceBackend', 'pretrainBackend'] as const) {
    const v = config[field];
    if (typeof v === 'string' && Array.isArray(config.backends) && !backendIds.includes(v)) {
      const hint = didYouMean(closestMatches(v, backendIds));
      const known = backendIds.length > 0 ? `; backend ids are ${backendIds.map((b) => `"${b}"`).join(', ')}` : '';
      issues.push({ pointer: `/${field}`, message: `unknown backend id "${v}"${known}${hint !== undefined ? ` (${hint})` : ''}` });
    }
  }

  if (Array.isArray(config.pretraining)) {
    config.pretraining.forEach((p, i) => {
      const steps = asRecord(p)?.steps;
      const opt = asRecord(asRecord(p)?.optimizer);
      const warmup = opt?.warmupSteps;
      if (Number.isInteger(steps) && (steps as number) >= 1 && typeof warmup === 'number' && opt?.schedule === 'linear' && warmup >= (steps as number)) {
        issues.push({
          pointer: `/pretraining/${i}/optimizer/warmupSteps`,
          message: `expected fewer warm-up steps than steps (${steps}) for the linear schedule, got ${warmup}`,
        });
      }
    });
  }

  if (config.fromScratch === false && Array.isArray(config.pretraining) && config.pretraining.length === 0) {
    issues.push({ pointer: '/fromScratch', message: 'nothing to run: fromScratch is false and there is no pretraining' });
  }

  if (pluginSchemas !== undefined) {
    for (const ref of listPluginRefs(config)) {
      const known = pluginSchemas.filter((p) => p.kind === ref.kind).map((p) => p.plugin);
      if (!known.includes(ref.plugin)) {
        const hint = didYouMean(closestMatches(ref.plugin, known));
        issues.push({
          pointer: `${ref.pointer}/plugin`,
          message: `unknown ${ref.kind} plugin "${ref.plugin}"${hint !== undefined ? ` (${hint})` : known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`,
        });
      }
    }
  }
  return issues;
}

/**
 * Validates a parsed config and returns it with defaults filled in (the input is not modified). Throws an
 * SsbenchError (code 'config', exit code 2) listing every problem, each with its JSON pointer.
 */
export function validateConfig(raw: unknown, options: ValidateConfigOptions = {}): ExperimentConfig {
  const { file, pluginSchemas } = options;
  const infos = pluginSchemas === undefined ? [] : dedupePluginSchemas(pluginSchemas);
  checkPluginSchemas(infos);
  const schema = assembleConfigSchema(infos);
  let validate: ReturnType<Ajv['compile']>;
  try {
    validate = newAjv().compile(schema);
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    throw new SsbenchError('internal', `the assembled config schema does not compile: ${msg}`, { cause });
  }
  const data = structuredClone(raw);
  validate(data);
  const issues = issuesOfAjvErrors(validate.errors ?? []);
  const record = asRecord(data);
  if (record !== undefined) issues.push(...crossFieldIssues(record, pluginSchemas === undefined ? undefined : infos));
  if (issues.length > 0) {
    throw new SsbenchError('config', `invalid config (${plural(issues.length, 'error')})`, file === undefined ? { issues } : { file, issues });
  }
  const config = data as ExperimentConfig;
  config.output ??= { dir: `runs/${config.name}` };
  config.output.dir ??= `runs/${config.name}`;
  config.referenceBackend ??= config.backends[0].id;
  config.pretrainBackend ??= config.referenceBackend;
  return config;
}

/**
 * Validates one entry's plugin options against the plugin's `optionsSchema` (none: no options allowed) and
 * returns them with the schema's defaults filled in (the input is not modified). Errors carry pointers
 * under `where.pointer` (the entry's `options`, e.g. `/models/0/options`): an SsbenchError code 'config'.
 * This is the per-entry alternative to passing `pluginSchemas` to `validateConfig`.
 */
export function validatePluginOptions(
  plugin: { kind: PluginKind; name: string; optionsSchema?: JSONSchema },
  options: unknown,
  where: { file?: string; pointer: string },
): Record<string, unknown> {
  const info: PluginSchemaInfo = { kind: plugin.kind, plugin: plugin.name };
  if (plugin.optionsSchema !== undefined) info.optionsSchema = plugin.optionsSchema;
  checkPluginSchemas([info]);
  const validate = newAjv().compile(plugin.optionsSchema ?? NO_OPTIONS_SCHEMA);
  const data = structuredClone(options ?? {});
  if (validate(data)) return data as Record<string, unknown>;
  const issues = issuesOfAjvErrors(validate.errors ?? [], where.pointer);
  throw new SsbenchError(
    'config',
    `invalid options for ${plugin.kind} plugin "${plugin.name}" (${plural(issues.length, 'error')})`,
    where.file === undefined ? { issues } : { file: where.file, issues },
  );
}

// ---- reading config files --------------------------------------------------------------------------------

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Finds the first syntax error of a JSON text, or a duplicate property name (which JSON.parse would
 * silently resolve to the last one). Returns undefined for valid JSON without duplicates.
 */
export function findJsonError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const n = text.length;
  const charAt = (k: number) => (k < n ? JSON.stringify(text[k]) : 'end of file');
  const ws = () => {
    while (i < n) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) throw new JsonSyntax(i, 'comments are not allowed in JSON');
      else break;
    }
  };
  const string = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    while (true) {
      if (i >= n) throw new JsonSyntax(start, 'unterminated string');
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\n' || c === '\r') throw new JsonSyntax(i, 'line break inside a string (missing closing quote?)');
      if (c < ' ') throw new JsonSyntax(i, 'unescaped control character in a string');
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntax(i, 'invalid \\u escape (expected 4 hex digits)');
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          out += e;
          i += 2;
        } else {
          throw new JsonSyntax(i, `invalid escape "\\${e ?? ''}" in a string`);
        }
      } else {
        out += c;
        i++;
      }
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m === null || m[0] === '' || m[0] === '-') throw new JsonSyntax(i, 'invalid number');
    i += m[0].length;
    if (i < n && /[0-9.eE+\-a-zA-Z]/.test(text[i])) throw new JsonSyntax(i, `invalid number (unexpected ${charAt(i)})`);
  };
  const value = (depth: number) => {
    if (depth > 1000) throw new JsonSyntax(i, 'nesting too deep');
    ws();
    if (i >= n) throw new JsonSyntax(i, 'unexpected end of file (expected a value)');
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      const keys = new Set<string>();
      while (true) {
        ws();
        if (text[i] === '}') throw new JsonSyntax(i, 'trailing comma before "}"');
        if (text[i] === "'") throw new JsonSyntax(i, 'property names must use double quotes');
        if (text[i] !== '"') throw new JsonSyntax(i, `expected a property name in double quotes, got ${charAt(i)}`);
        const keyStart = i;
        const key = string();
        if (keys.has(key)) throw new JsonSyntax(keyStart, `duplicate property ${JSON.stringify(key)}`);
        keys.add(key);
        ws();
        if (text[i] !== ':') throw new JsonSyntax(i, `expected ":" after property name, got ${charAt(i)}`);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        throw new JsonSyntax(i, `expected "," or "}" after property value, got ${charAt(i)}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      while (true) {
        ws();
        if (text[i] === ']') throw new JsonSyntax(i, 'trailing comma before "]"');
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        throw new JsonSyntax(i, `expected "," or "]" after array element, got ${charAt(i)}`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    if (c === "'") throw new JsonSyntax(i, 'strings must use double quotes');
    if (c === '-' || (c >= '0' && c <= '9')) {
      number();
      return;
    }
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    throw new JsonSyntax(i, `unexpected ${charAt(i)} (expected a value)`);
  };
  try {
    value(0);
    ws();
    if (i < n) throw new JsonSyntax(i, `unexpected ${charAt(i)} after the end of the JSON value`);
    return undefined;
  } catch (e) {
    if (e instanceof JsonSyntax) return { offset: e.offset, message: e.message };
    throw e;
  }
}

/**
 * Parses JSON text; a syntax error or duplicate property is an SsbenchError (code 'config') naming the file,
 * line and column. A leading byte-order mark is ignored.
 */
export function parseJsonText(text: string, file?: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const where = file === undefined ? {} : { file };
  const problem = findJsonError(body);
  if (problem !== undefined) {
    const { line, column } = lineColumn(body, problem.offset);
    throw new SsbenchError('config', `invalid JSON: ${problem.message}`, { ...where, line, column });
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (cause) {
    // Should not happen (findJsonError accepts only valid JSON); keep JSON.parse's word for it.
    const msg = cause instanceof Error ? cause.message : String(cause);
    const pos = /position (\d+)/.exec(msg);
    const loc = pos === null ? {} : lineColumn(body, Number(pos[1]));
    throw new SsbenchError('config', `invalid JSON: ${msg}`, { ...where, ...loc, cause });
  }
}

/** Reads and parses a JSON config file; a missing or unreadable file or bad JSON is an SsbenchError (code 'config'). */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    const reason =
      code === 'ENOENT'
        ? `config file not found: ${path}`
        : code === 'EISDIR'
          ? `config path is a directory, not a file: ${path}`
          : `cannot read config file ${path}: ${cause instanceof Error ? cause.message : String(cause)}`;
    throw new SsbenchError('config', reason, { cause });
  }
  return parseJsonText(text, path);
}

// ---- hashing ---------------------------------------------------------------------------------------------

/**
 * JSON with object keys sorted (by UTF-16 code unit) at every level and no whitespace: equal values give
 * equal text regardless of key order. Like JSON.stringify, `undefined` properties are left out and `toJSON`
 * is honoured; unlike it, non-finite numbers, bigints, functions and symbols throw instead of being
 * changed or dropped silently.
 */
export function canonicalJson(value: unknown): string {
  const walk = (v: unknown, at: string): string => {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON: () => unknown }).toJSON();
    }
    if (v === null) return 'null';
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return JSON.stringify(v);
      case 'number':
        if (!Number.isFinite(v)) throw new TypeError(`canonicalJson: non-finite number ${v} at ${at || '/'}`);
        return JSON.stringify(v);
      case 'object': {
        if (Array.isArray(v)) {
          return `[${v.map((x, i) => (x === undefined ? 'null' : walk(x, `${at}/${i}`))).join(',')}]`;
        }
        if (ArrayBuffer.isView(v)) {
          return walk(Array.from(v as unknown as ArrayLike<number>), at);
        }
        const keys = Object.keys(v).sort();
        const parts: string[] = [];
        for (const k of keys) {
          const x = (v as Record<string, unknown>)[k];
          if (x === undefined) continue;
          parts.push(`${JSON.stringify(k)}:${walk(x, `${at}/${escapePointerSegment(k)}`)}`);
        }
        return `{${parts.join(',')}}`;
      }
      default:
        throw new TypeError(`canonicalJson: cannot encode a ${typeof v} at ${at || '/'}`);
    }
  };
  return walk(value, '');
}

/** sha256 (hex) of `canonicalJson(value)`. */
export function configHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

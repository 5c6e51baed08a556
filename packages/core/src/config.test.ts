import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assembleConfigSchema,
  canonicalJson,
  configHash,
  coreConfigSchema,
  findJsonError,
  generatePublishedSchema,
  lineColumn,
  listPluginRefs,
  type PluginSchemaInfo,
  parseJsonText,
  readConfigFile,
  validateConfig,
  validatePluginOptions,
} from './config';
import { SsbenchError } from './errors';

function baseConfig(): Record<string, unknown> {
  return {
    $schema: '../schema.json',
    name: 'quickstart',
    seeds: [1, 2, 3],
    models: [{ id: 'bert-mini', plugin: '@ssbench/model-bert', options: { hidden: 128 } }],
    pretraining: [
      {
        id: 'mlm-nsp',
        objectives: [{ plugin: '@ssbench/objective-bert', options: { nsp: true } }],
        corpus: { name: 'sotu', maxDocuments: 200 },
        steps: 2000,
        optimizer: { lr: 5e-4, warmupSteps: 100 },
      },
    ],
    tasks: [{ id: 'sentiment', plugin: '@ssbench/task-sentiment', finetune: { epochs: 2 } }],
    backends: [
      { id: 'ort-cpu', plugin: '@ssbench/backend-onnxruntime', options: { executionProvider: 'cpu' } },
      { id: 'tfjs-cpu', plugin: '@ssbench/backend-tfjs' },
    ],
  };
}

/** The SsbenchError thrown by validateConfig (fails the test if none). */
function configError(raw: unknown, pluginSchemas?: PluginSchemaInfo[]): SsbenchError {
  try {
    validateConfig(raw, pluginSchemas === undefined ? { file: 'configs/x.json' } : { file: 'configs/x.json', pluginSchemas });
  } catch (e) {
    if (e instanceof SsbenchError) return e;
    throw e;
  }
  throw new Error('expected validateConfig to throw');
}

/** "pointer: message" of every issue. */
function issueLines(err: SsbenchError): string[] {
  // The root pointer "" is shown as "/", as SsbenchError.format() does.
  return err.issues.map((i) => `${i.pointer || '/'}: ${i.message}`);
}

// biome-ignore lint/suspicious/noExplicitAny: the tests write deliberately wrong values anywhere in a config
type Loose = Record<string, any>;

function withChange(change: (c: Loose) => void): Record<string, unknown> {
  const c = baseConfig();
  change(c as Loose);
  return c;
}

const bertSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    hidden: { type: 'integer', minimum: 8, default: 256 },
    layers: { type: 'integer', minimum: 1, default: 2 },
    activation: { enum: ['gelu', 'relu'], default: 'gelu' },
  },
};

const pluginSchemas: PluginSchemaInfo[] = [
  { kind: 'model', plugin: '@ssbench/model-bert', optionsSchema: bertSchema },
  {
    kind: 'objective',
    plugin: '@ssbench/objective-bert',
    optionsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: { nsp: { type: 'boolean', default: false }, maskProb: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.15 } },
    },
  },
  // No optionsSchema: takes no options.
  { kind: 'task', plugin: '@ssbench/task-sentiment' },
  {
    kind: 'backend',
    plugin: '@ssbench/backend-onnxruntime',
    optionsSchema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: false,
      definitions: { provider: { enum: ['cpu', 'cuda'] } },
      properties: { executionProvider: { $ref: '#/definitions/provider', default: 'cpu' }, threads: { type: 'integer', minimum: 1 } },
    },
  },
  { kind: 'backend', plugin: '@ssbench/backend-tfjs', optionsSchema: { type: 'object', properties: { device: { enum: ['cpu', 'wasm'], default: 'cpu' } } } },
];

describe('validateConfig: valid configs and defaults', () => {
  it('accepts the example config and fills in every default', () => {
    const raw = baseConfig();
    const before = JSON.stringify(raw);
    const c = validateConfig(raw, { file: 'configs/quickstart.json' });
    expect(JSON.stringify(raw)).toBe(before); // input untouched
    expect(c.name).toBe('quickstart');
    expect(c.output).toEqual({ dir: 'runs/quickstart' });
    expect(c.fromScratch).toBe(true);
    expect(c.referenceBackend).toBe('ort-cpu');
    expect(c.pretrainBackend).toBe('ort-cpu');
    expect(c.timing).toEqual({ warmupRuns: 3, runs: 20 });
    expect(c.tasks[0].options).toEqual({});
    expect(c.backends[1].options).toEqual({});
    expect(c.tasks[0].finetune).toEqual({
      epochs: 2,
      batchSize: 32,
      maxSeqLen: 128,
      optimizer: { lr: 1e-4, warmupSteps: 0, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'linear' },
    });
    const p = c.pretraining[0];
    expect(p.tokenizer).toEqual({ kind: 'wordpiece', vocabSize: 4000, lowerCase: true });
    expect(p.batchSize).toBe(32);
    expect(p.seqLen).toBe(128);
    expect(p.optimizer).toEqual({ lr: 5e-4, warmupSteps: 100, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'linear' });
    expect(p.objectives[0].options).toEqual({ nsp: true });
  });

  it('keeps given values: output dir, reference and pretrain backends, timing', () => {
    const c = validateConfig(
      withChange((c) => {
        c.output = { dir: 'out/q' };
        c.referenceBackend = 'tfjs-cpu';
        c.timing = { runs: 5 };
      }),
    );
    expect(c.output.dir).toBe('out/q');
    expect(c.referenceBackend).toBe('tfjs-cpu');
    expect(c.pretrainBackend).toBe('tfjs-cpu'); // defaults to the reference
    expect(c.timing).toEqual({ warmupRuns: 3, runs: 5 });
    const d = validateConfig(withChange((c) => (c.pretrainBackend = 'tfjs-cpu')));
    expect(d.referenceBackend).toBe('ort-cpu');
    expect(d.pretrainBackend).toBe('tfjs-cpu');
  });

  it('pretraining is optional (default []) and corpus may be a path', () => {
    const c = validateConfig(withChange((c) => delete c.pretraining));
    expect(c.pretraining).toEqual([]);
    const d = validateConfig(withChange((c) => (c.pretraining[0].corpus = { path: 'data/my.txt' })));
    expect(d.pretraining[0].corpus).toEqual({ path: 'data/my.txt' });
  });
});

describe('validateConfig: symbol tasks and the re-initialised embeddings variant', () => {
  it('both are optional, have no default (so existing configs keep their hash), and take their values', () => {
    const c = validateConfig(baseConfig());
    expect(c.reinitEmbeddings).toBeUndefined();
    expect(c.tasks[0].symbols).toBeUndefined();
    const d = validateConfig(
      withChange((c) => {
        c.reinitEmbeddings = true;
        c.tasks[0].symbols = { skipIds: 5 };
      }),
    );
    expect(d.reinitEmbeddings).toBe(true);
    expect(d.tasks[0].symbols).toEqual({ seed: 100, skipIds: 5 }); // seed defaults inside the object
    expect(configHash(validateConfig(withChange((c) => (c.reinitEmbeddings = true))))).not.toBe(configHash(c));
  });

  it('rejects bad values with pointers', () => {
    const err = configError(
      withChange((c) => {
        c.reinitEmbeddings = 'yes';
        c.tasks[0].symbols = { seed: -1, skip: 3 };
      }),
    );
    expect(issueLines(err)).toEqual([
      '/reinitEmbeddings: expected a boolean, got "yes"',
      '/tasks/0/symbols/skip: unknown property "skip" (did you mean "skipIds"?)',
      '/tasks/0/symbols/seed: expected an integer >= 0, got -1',
    ]);
  });
});

describe('validateConfig: errors', () => {
  it('a typo in a property name: exit code 2, exact pointer and a suggestion', () => {
    const err = configError(withChange((c) => (c.pretraining[0].optimizer = { lerning_rate: 1e-3 })));
    expect(err.code).toBe('config');
    expect(err.exitCode).toBe(2);
    expect(issueLines(err)).toEqual(['/pretraining/0/optimizer/lerning_rate: unknown property "lerning_rate" (did you mean "lr"?)']);
    expect(err.message).toContain(
      'configs/x.json: /pretraining/0/optimizer/lerning_rate: unknown property "lerning_rate" (did you mean "lr"?)',
    );
    expect(err.message.split('\n')[0]).toBe('configs/x.json: invalid config (1 error)');
  });

  it('typos at the top level and in entries', () => {
    const err = configError(
      withChange((c) => {
        c.descripton = 'x';
        c.models[0].opts = {};
        c.timing = { warmup: 1, zzz: 2 };
      }),
    );
    expect(issueLines(err)).toEqual([
      '/descripton: unknown property "descripton" (did you mean "description"?)',
      '/models/0/opts: unknown property "opts" (did you mean "options"?)',
      '/timing/warmup: unknown property "warmup" (did you mean "warmupRuns"?)',
      '/timing/zzz: unknown property "zzz" (allowed: warmupRuns, runs)',
    ]);
  });

  it('a wrong type names the expected type and the actual JSON value', () => {
    const err = configError(withChange((c) => (c.pretraining[0].steps = '2000')));
    expect(err.exitCode).toBe(2);
    expect(issueLines(err)).toEqual(['/pretraining/0/steps: expected an integer, got "2000"']);
    expect(err.message).toContain('configs/x.json: /pretraining/0/steps: expected an integer, got "2000"');
    const more = configError(
      withChange((c) => {
        c.seeds = [1, 2.5];
        c.fromScratch = 'yes';
        c.models[0].options = [];
        c.tasks = {};
      }),
    );
    expect(issueLines(more)).toEqual([
      '/seeds/1: expected an integer, got 2.5',
      '/models/0/options: expected an object, got an empty array',
      '/fromScratch: expected a boolean, got "yes"',
      '/tasks: expected an array, got an object',
    ]);
  });

  it('out-of-range numbers state the bound', () => {
    const err = configError(
      withChange((c) => {
        c.pretraining[0].optimizer = { lr: 0, beta2: 1, weightDecay: -0.1 };
        c.pretraining[0].steps = 0;
        c.tasks[0].finetune = { epochs: 0 };
        c.seeds = [-1];
      }),
    );
    expect(issueLines(err)).toEqual([
      '/seeds/0: expected an integer >= 0, got -1',
      '/pretraining/0/steps: expected an integer >= 1, got 0',
      '/pretraining/0/optimizer/lr: expected a number > 0, got 0',
      '/pretraining/0/optimizer/weightDecay: expected a number >= 0, got -0.1',
      '/pretraining/0/optimizer/beta2: expected a number < 1, got 1',
      '/tasks/0/finetune/epochs: expected an integer >= 1, got 0',
    ]);
  });

  it('a bad enum value lists the allowed values and suggests the closest', () => {
    const err = configError(withChange((c) => (c.tasks[0].finetune = { optimizer: { schedule: 'linaer' } })));
    expect(issueLines(err)).toEqual([
      '/tasks/0/finetune/optimizer/schedule: expected one of "constant", "linear", got "linaer" (did you mean "linear"?)',
    ]);
    const corpus = configError(withChange((c) => (c.pretraining[0].corpus = { path: 'a.txt', sentences: 'paragraphs' })));
    expect(issueLines(corpus)).toEqual(['/pretraining/0/corpus/sentences: expected one of "splitter", "lines", got "paragraphs"']);
  });

  it('duplicate ids name both places', () => {
    const err = configError(
      withChange((c) => {
        c.models.push({ id: 'bert-mini', plugin: '@ssbench/model-bert' });
        c.backends.push({ id: 'ort-cpu', plugin: '@ssbench/backend-onnxruntime' });
      }),
    );
    expect(err.exitCode).toBe(2);
    expect(issueLines(err)).toEqual([
      '/models/1/id: duplicate model id "bert-mini" (also /models/0/id)',
      '/backends/2/id: duplicate backend id "ort-cpu" (also /backends/0/id)',
    ]);
  });

  it('an unknown referenceBackend or pretrainBackend names the pointer and the backend ids', () => {
    const err = configError(
      withChange((c) => {
        c.referenceBackend = 'ort-cpu2';
        c.pretrainBackend = 'gpu';
      }),
    );
    expect(err.exitCode).toBe(2);
    expect(issueLines(err)).toEqual([
      '/referenceBackend: unknown backend id "ort-cpu2"; backend ids are "ort-cpu", "tfjs-cpu" (did you mean "ort-cpu"?)',
      '/pretrainBackend: unknown backend id "gpu"; backend ids are "ort-cpu", "tfjs-cpu"',
    ]);
    expect(err.message).toContain('configs/x.json: /referenceBackend: unknown backend id "ort-cpu2"');
  });

  it('duplicate seeds, bad ids, missing and empty required fields', () => {
    const err = configError(
      withChange((c) => {
        c.seeds = [1, 2, 1];
        c.models[0].id = 'Bert Mini';
        delete c.tasks[0].plugin;
        c.backends = [];
        delete c.name;
      }),
    );
    expect(issueLines(err)).toEqual([
      '/: missing required property "name"',
      '/seeds/2: duplicate value 1 (same as /seeds/0)',
      '/models/0/id: expected an id of lowercase letters, digits, ".", "_" and "-", starting with a letter or digit, got "Bert Mini"',
      '/tasks/0: missing required property "plugin"',
      '/backends: expected at least 1 item, got 0',
    ]);
    // The root pointer prints as "/".
    expect(err.message).toContain('configs/x.json: /: missing required property "name"');
  });

  it('corpus: an error comes from the form the user meant', () => {
    const both = configError(withChange((c) => (c.pretraining[0].corpus = { path: 'a.txt', name: 'sotu' })));
    expect(issueLines(both)).toEqual(['/pretraining/0/corpus/name: unknown property "name" (allowed: path, maxDocuments, sentences)']);
    const neither = configError(withChange((c) => (c.pretraining[0].corpus = { maxDocuments: 3 })));
    expect(issueLines(neither)).toEqual(['/pretraining/0/corpus: missing required property "name"']);
    const badPath = configError(withChange((c) => (c.pretraining[0].corpus = { path: '' })));
    expect(issueLines(badPath)).toEqual(['/pretraining/0/corpus/path: expected a non-empty string']);
  });

  it('warm-up must be shorter than pretraining for the linear schedule', () => {
    const err = configError(withChange((c) => (c.pretraining[0].optimizer = { warmupSteps: 2000 })));
    expect(issueLines(err)).toEqual([
      '/pretraining/0/optimizer/warmupSteps: expected fewer warm-up steps than steps (2000) for the linear schedule, got 2000',
    ]);
    expect(() => validateConfig(withChange((c) => (c.pretraining[0].optimizer = { warmupSteps: 2000, schedule: 'constant' })))).not.toThrow();
  });

  it('corpus options: years for a named corpus, sentences for a file, clipNorm for the optimizer', () => {
    const c = validateConfig(
      withChange((c) => {
        c.pretraining[0].corpus = { name: 'sotu', years: [1990, 2000] };
        c.pretraining[0].optimizer.clipNorm = 1;
      }),
    );
    expect(c.pretraining[0].corpus).toEqual({ name: 'sotu', years: [1990, 2000] });
    expect(c.pretraining[0].optimizer.clipNorm).toBe(1);
    expect(c.tasks[0].finetune.optimizer.clipNorm).toBeUndefined();
    const err = configError(
      withChange((c) => {
        c.pretraining[0].corpus = { name: 'sotu', years: [1990] };
        c.pretraining[0].optimizer.max_grad_norm = 1;
      }),
    );
    expect(issueLines(err)).toEqual([
      '/pretraining/0/corpus/years: expected at least 2 items, got 1',
      '/pretraining/0/optimizer/max_grad_norm: unknown property "max_grad_norm" (did you mean "clipNorm"?)',
    ]);
  });

  it('nothing to run when fromScratch is false and there is no pretraining', () => {
    const err = configError(
      withChange((c) => {
        c.fromScratch = false;
        c.pretraining = [];
      }),
    );
    expect(issueLines(err)).toEqual(['/fromScratch: nothing to run: fromScratch is false and there is no pretraining']);
  });

  it('reports every error at once', () => {
    const err = configError(
      withChange((c) => {
        c.seeds = [];
        c.pretraining[0].steps = 'many';
        c.pretraining[0].objectives = [];
        c.timing = { runs: 0 };
        c.referenceBackend = 'nope';
      }),
    );
    expect(err.issues).toHaveLength(5);
    expect(err.reason).toBe('invalid config (5 errors)');
    expect(err.message.split('\n')).toHaveLength(6);
  });

  it('a root that is not an object', () => {
    expect(issueLines(configError([]))).toEqual(['/: expected an object, got an empty array']);
    expect(issueLines(configError(null))).toEqual(['/: expected an object, got null']);
  });
});

describe('validateConfig with plugin schemas', () => {
  it('validates options with pointers under each entry and applies plugin defaults', () => {
    const c = validateConfig(baseConfig(), { pluginSchemas });
    expect(c.models[0].options).toEqual({ hidden: 128, layers: 2, activation: 'gelu' });
    expect(c.pretraining[0].objectives[0].options).toEqual({ nsp: true, maskProb: 0.15 });
    expect(c.backends[0].options).toEqual({ executionProvider: 'cpu' });
    expect(c.backends[1].options).toEqual({ device: 'cpu' });
  });

  it('reports plugin option errors at /models/0/options/...', () => {
    const err = configError(
      withChange((c) => {
        c.models[0].options = { hidden: '128', hiden: 3, activation: 'gleu' };
        c.backends[0].options = { executionProvider: 'gpu' };
        c.pretraining[0].objectives[0].options = { maskProb: 1.5 };
        c.tasks[0].options = { labels: 3 };
      }),
      pluginSchemas,
    );
    expect(err.exitCode).toBe(2);
    expect(issueLines(err)).toEqual([
      '/models/0/options/hiden: unknown property "hiden" (did you mean "hidden"?)',
      '/models/0/options/hidden: expected an integer, got "128"',
      '/models/0/options/activation: expected one of "gelu", "relu", got "gleu" (did you mean "gelu"?)',
      '/pretraining/0/objectives/0/options/maskProb: expected a number <= 1, got 1.5',
      '/tasks/0/options/labels: unknown property "labels" (no properties are allowed here)',
      '/backends/0/options/executionProvider: expected one of "cpu", "cuda", got "gpu" (did you mean "cpu"?)',
    ]);
    expect(err.message).toContain('configs/x.json: /models/0/options/hidden: expected an integer, got "128"');
  });

  it('the same plugin in two entries is validated in both', () => {
    const err = configError(
      withChange((c) => {
        c.models.push({ id: 'bert-small', plugin: '@ssbench/model-bert', options: { layers: 0 } });
      }),
      pluginSchemas,
    );
    expect(issueLines(err)).toEqual(['/models/1/options/layers: expected an integer >= 1, got 0']);
  });

  it('an unknown plugin name is an error with "did you mean"', () => {
    const err = configError(withChange((c) => (c.models[0].plugin = '@ssbench/model-brt')), pluginSchemas);
    expect(issueLines(err)).toEqual(['/models/0/plugin: unknown model plugin "@ssbench/model-brt" (did you mean "@ssbench/model-bert"?)']);
  });

  it('an invalid plugin optionsSchema is a plugin error naming the plugin', () => {
    const bad: PluginSchemaInfo[] = [...pluginSchemas.slice(1), { kind: 'model', plugin: '@ssbench/model-bert', optionsSchema: { type: 'integr' } }];
    let err: unknown;
    try {
      validateConfig(baseConfig(), { pluginSchemas: bad });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SsbenchError);
    expect((err as SsbenchError).code).toBe('plugin');
    expect((err as SsbenchError).message).toContain('model plugin "@ssbench/model-bert" has an invalid optionsSchema');
  });
});

describe('validatePluginOptions', () => {
  const plugin = { kind: 'model' as const, name: '@ssbench/model-bert', optionsSchema: bertSchema };

  it('returns options with defaults, without modifying the input', () => {
    const input = { hidden: 64 };
    expect(validatePluginOptions(plugin, input, { pointer: '/models/0/options' })).toEqual({ hidden: 64, layers: 2, activation: 'gelu' });
    expect(input).toEqual({ hidden: 64 });
    expect(validatePluginOptions(plugin, undefined, { pointer: '/models/0/options' })).toEqual({ hidden: 256, layers: 2, activation: 'gelu' });
  });

  it('reports errors under the given pointer', () => {
    let err: SsbenchError | undefined;
    try {
      validatePluginOptions(plugin, { hidden: 4, dropout: 0.1 }, { file: 'c.json', pointer: '/models/2/options' });
    } catch (e) {
      err = e as SsbenchError;
    }
    expect(err?.exitCode).toBe(2);
    expect(err?.reason).toBe('invalid options for model plugin "@ssbench/model-bert" (2 errors)');
    expect(issueLines(err as SsbenchError)).toEqual([
      '/models/2/options/dropout: unknown property "dropout" (allowed: hidden, layers, activation)',
      '/models/2/options/hidden: expected an integer >= 8, got 4',
    ]);
    expect(err?.message).toContain('c.json: /models/2/options/hidden: expected an integer >= 8, got 4');
  });

  it('a plugin without optionsSchema accepts only empty options', () => {
    const none = { kind: 'task' as const, name: 't' };
    expect(validatePluginOptions(none, {}, { pointer: '/tasks/0/options' })).toEqual({});
    expect(() => validatePluginOptions(none, { x: 1 }, { pointer: '/tasks/0/options' })).toThrow(/\/tasks\/0\/options\/x: unknown property "x"/);
  });
});

describe('schemas', () => {
  it('the core schema compiles under ajv strict mode', () => {
    expect(() => new Ajv({ strict: true, allErrors: true, useDefaults: true }).compile(coreConfigSchema)).not.toThrow();
  });

  it('the assembled schema compiles under strict mode and re-roots plugin $refs', () => {
    const schema = assembleConfigSchema(pluginSchemas);
    const ajv = new Ajv({ strict: true, allErrors: true, useDefaults: true });
    const validate = ajv.compile(schema);
    const data = baseConfig();
    expect(validate(data)).toBe(true);
    const bad = withChange((c) => (c.backends[0].options = { executionProvider: 'tpu' }));
    expect(validate(bad)).toBe(false);
    expect(validate.errors?.some((e) => e.instancePath === '/backends/0/options/executionProvider' && e.keyword === 'enum')).toBe(true);
    const defs = schema.definitions as Record<string, Record<string, unknown>>;
    expect(Object.keys(defs)).toEqual([
      'model.ssbench_model-bert',
      'objective.ssbench_objective-bert',
      'task.ssbench_task-sentiment',
      'backend.ssbench_backend-onnxruntime',
      'backend.ssbench_backend-tfjs',
    ]);
    const ort = defs['backend.ssbench_backend-onnxruntime'];
    expect(ort.$schema).toBeUndefined();
    expect((ort.properties as Record<string, { $ref: string }>).executionProvider.$ref).toBe(
      '#/definitions/backend.ssbench_backend-onnxruntime/definitions/provider',
    );
    // The core schema itself is not modified.
    expect(coreConfigSchema.definitions).toBeUndefined();
  });

  it('the published schema is deterministic, lists plugin names and validates configs', () => {
    const a = generatePublishedSchema(pluginSchemas);
    const b = generatePublishedSchema([...pluginSchemas].reverse());
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(Object.keys(a).slice(0, 3)).toEqual(['$schema', '$comment', 'title']);
    expect(a.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const models = (a.properties as Record<string, { items: { properties: { plugin: { examples: string[] } } } }>).models;
    expect(models.items.properties.plugin.examples).toEqual(['@ssbench/model-bert']);
    const validate = new Ajv({ strict: true, allErrors: true }).compile(a);
    expect(validate(baseConfig())).toBe(true);
    expect(validate(withChange((c) => (c.models[0].options = { hidden: 'x' })))).toBe(false);
    // Without plugins it is the core schema plus the comment.
    const core = generatePublishedSchema();
    expect(core.definitions).toBeUndefined();
    expect(core.properties).toEqual(coreConfigSchema.properties);
  });

  it('listPluginRefs finds every plugin with its entry pointer, also in unvalidated input', () => {
    expect(listPluginRefs(baseConfig())).toEqual([
      { kind: 'model', plugin: '@ssbench/model-bert', pointer: '/models/0' },
      { kind: 'objective', plugin: '@ssbench/objective-bert', pointer: '/pretraining/0/objectives/0' },
      { kind: 'task', plugin: '@ssbench/task-sentiment', pointer: '/tasks/0' },
      { kind: 'backend', plugin: '@ssbench/backend-onnxruntime', pointer: '/backends/0' },
      { kind: 'backend', plugin: '@ssbench/backend-tfjs', pointer: '/backends/1' },
    ]);
    expect(listPluginRefs({ models: [{ plugin: 3 }, null], tasks: 'x' })).toEqual([]);
    expect(listPluginRefs(null)).toEqual([]);
  });
});

describe('reading config files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ssbench-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function fileWith(name: string, text: string): string {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  }

  function readError(file: string): SsbenchError {
    try {
      readConfigFile(file);
    } catch (e) {
      if (e instanceof SsbenchError) return e;
      throw e;
    }
    throw new Error('expected readConfigFile to throw');
  }

  it('reads a valid file (and ignores a byte-order mark)', () => {
    const f = fileWith('ok.json', `\uFEFF${JSON.stringify(baseConfig(), null, 2)}`);
    expect(readConfigFile(f)).toEqual(baseConfig());
  });

  it('a missing file names the path', () => {
    const err = readError(path.join(dir, 'nope.json'));
    expect(err.code).toBe('config');
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(`config file not found: ${path.join(dir, 'nope.json')}`);
    mkdirSync(path.join(dir, 'adir.json'));
    expect(readError(path.join(dir, 'adir.json')).message).toContain('is a directory');
  });

  it('a syntax error reports file, line and column', () => {
    // Line 3 is `  "seeds": [1, 2,],`: the "]" after the trailing comma is at column 18.
    const text = '{\n  "name": "x",\n  "seeds": [1, 2,],\n  "models": []\n}\n';
    const f = fileWith('trailing.json', text);
    const err = readError(f);
    expect(err.code).toBe('config');
    expect(err.exitCode).toBe(2);
    expect(err.line).toBe(3);
    expect(err.column).toBe(18);
    expect(err.message).toBe(`${f}:3:18: invalid JSON: trailing comma before "]"`);
  });

  it('other syntax errors: missing comma, unterminated string, comments, single quotes, duplicates', () => {
    const cases: [string, number, number, string][] = [
      // text, line, column, message
      ['{\n  "a": 1\n  "b": 2\n}', 3, 3, 'expected "," or "}" after property value, got "\\""'],
      ['{\n  "a": "abc\n}', 2, 12, 'line break inside a string (missing closing quote?)'],
      ['{\n  // comment\n  "a": 1\n}', 2, 3, 'comments are not allowed in JSON'],
      ["{'a': 1}", 1, 2, 'property names must use double quotes'],
      ['{\n  "a": 1,\n  "a": 2\n}', 3, 3, 'duplicate property "a"'],
      ['{"a": 1}}', 1, 9, 'unexpected "}" after the end of the JSON value'],
      ['{"a": tru}', 1, 7, 'unexpected "t" (expected a value)'],
      ['{"a": 01}', 1, 8, 'invalid number (unexpected "1")'],
      ['{"a": "\\x"}', 1, 8, 'invalid escape "\\x" in a string'],
      ['', 1, 1, 'unexpected end of file (expected a value)'],
      ['{"a": [1, 2}', 1, 12, 'expected "," or "]" after array element, got "}"'],
      ['{"a": "b', 1, 7, 'unterminated string'],
    ];
    for (const [text, line, column, message] of cases) {
      let err: SsbenchError | undefined;
      try {
        parseJsonText(text, 'c.json');
      } catch (e) {
        err = e as SsbenchError;
      }
      expect(err, text).toBeInstanceOf(SsbenchError);
      expect(`${err?.line}:${err?.column}: ${err?.reason}`, text).toBe(`${line}:${column}: invalid JSON: ${message}`);
    }
  });

  it('findJsonError accepts exactly what JSON.parse accepts (random mutations of a config)', () => {
    const valid = JSON.stringify({ ...baseConfig(), s: 'a\\"b\u00e9\n', n: [-0.5e-3, 1e10, 0, -0, true, false, null, {}, []] }, null, 2);
    expect(findJsonError(valid)).toBeUndefined();
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = '{}[],:"\\ \n0123456789-+.eEtrufalsn\'/ab';
    for (let k = 0; k < 3000; k++) {
      let t = valid;
      const edits = 1 + rand(3);
      for (let e = 0; e < edits; e++) {
        const at = rand(t.length + 1);
        const op = rand(3);
        if (op === 0) t = t.slice(0, at) + t.slice(at + 1);
        else if (op === 1) t = t.slice(0, at) + alphabet[rand(alphabet.length)] + t.slice(at);
        else t = t.slice(0, at) + alphabet[rand(alphabet.length)] + t.slice(at + 1);
      }
      let parses = true;
      try {
        JSON.parse(t);
      } catch {
        parses = false;
      }
      const found = findJsonError(t);
      if (parses) {
        // Valid JSON is accepted unless a mutation created a duplicate property.
        if (found !== undefined) expect(found.message, t).toMatch(/^duplicate property/);
      } else {
        expect(found, t).toBeDefined();
      }
    }
  });

  it('lineColumn counts from 1', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});

describe('canonicalJson and configHash', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson([undefined, 'x'])).toBe('[null,"x"]');
  });

  it('hash is independent of key order, sensitive to values and array order', () => {
    expect(configHash({ a: 1, b: { c: 2, d: 3 } })).toBe(configHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(configHash({ a: 1 })).not.toBe(configHash({ a: 2 }));
    expect(configHash([1, 2])).not.toBe(configHash([2, 1]));
    expect(configHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is sha256 of the canonical text', () => {
    // printf '%s' '{"a":1,"b":[true,null,"x"],"c":{"d":0.5,"e":"é"}}' | sha256sum
    expect(canonicalJson({ c: { e: 'é', d: 0.5 }, b: [true, null, 'x'], a: 1 })).toBe('{"a":1,"b":[true,null,"x"],"c":{"d":0.5,"e":"é"}}');
    expect(configHash({ c: { e: 'é', d: 0.5 }, b: [true, null, 'x'], a: 1 })).toBe('2b9d043f7e3c945de09b8ca8079cbc89bcab6831430fad50e8184b257dcdfa20');
  });

  it('refuses values JSON would change silently', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/non-finite number NaN at \/a/);
    expect(() => canonicalJson({ a: [1, Number.POSITIVE_INFINITY] })).toThrow(/at \/a\/1/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/cannot encode a function at \/f/);
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
  });

  it('honours toJSON and encodes typed arrays as arrays', () => {
    expect(canonicalJson({ d: new Date(0) })).toBe('{"d":"1970-01-01T00:00:00.000Z"}');
    expect(canonicalJson(new Float32Array([0.5, 1]))).toBe('[0.5,1]');
  });

  it('the hash of a validated config does not depend on key order in the file', () => {
    const a = validateConfig(baseConfig());
    const reordered = Object.fromEntries(Object.entries(baseConfig()).reverse());
    expect(configHash(validateConfig(reordered))).toBe(configHash(a));
  });
});

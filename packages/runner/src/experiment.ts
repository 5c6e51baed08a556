/**
 * Loading an experiment: read the config file, validate it against core's schema, load every plugin it names
 * (npm package or local path), validate each plugin's options against the plugin's own schema, and resolve
 * the defaults. Every error is an SsbenchError naming the file and the JSON pointer.
 */
import { dirname, resolve } from 'node:path';
import {
  type BackendPlugin,
  type ExperimentConfig,
  type ModelPlugin,
  type ObjectivePlugin,
  type Plugin,
  PluginRegistry,
  type PluginKind,
  SsbenchError,
  type TaskPlugin,
  configHash,
  readConfigFile,
  validateConfig,
  validatePluginOptions,
} from '@ssbench/core';
import { type CorpusSpec, checkCorpus } from './corpus';
import { DEFAULT_SYMBOL_OPTIONS, vocabularyTooSmall } from './symbols';

/** The plugins that ship with ssbench (resolvable from this package); names suggested on typos. */
export const BUNDLED_PLUGINS: readonly string[] = [
  '@ssbench/backend-tfjs',
  '@ssbench/backend-onnxruntime',
  '@ssbench/model-bert',
  '@ssbench/model-gpt',
  '@ssbench/model-seq2seq',
  '@ssbench/objective-bert',
  '@ssbench/objective-gpt',
  '@ssbench/objective-seq2seq',
  '@ssbench/task-sentiment',
  '@ssbench/task-pos',
  '@ssbench/task-pairs',
  '@ssbench/task-qa',
  '@ssbench/task-dna',
  '@ssbench/task-protein',
  '@ssbench/task-music',
  '@ssbench/task-handbook',
];

export interface Resolved<P extends Plugin> {
  id: string;
  plugin: P;
  options: Record<string, unknown>;
  /** JSON pointer of the entry in the config. */
  pointer: string;
}

export interface Experiment {
  file: string;
  baseDir: string;
  config: ExperimentConfig;
  hash: string;
  models: Resolved<ModelPlugin>[];
  pretraining: (ExperimentConfig['pretraining'] extends (infer R)[] | undefined ? R : never)[];
  objectives: Map<string, Resolved<ObjectivePlugin>[]>;
  tasks: Resolved<TaskPlugin>[];
  backends: Resolved<BackendPlugin>[];
  outputDir: string;
  /** Whether a pretraining recipe's objectives can train a model (its architecture). */
  compatible(modelId: string, recipeId: string): boolean;
}

export async function loadExperiment(file: string, options: { outputDir?: string } = {}): Promise<Experiment> {
  const raw = readConfigFile(file);
  const config = validateConfig(raw, { file });
  const baseDir = dirname(resolve(file));
  const registry = new PluginRegistry();

  async function load<P extends Plugin>(spec: string, kind: PluginKind, pointer: string): Promise<P> {
    let plugin: Plugin;
    try {
      plugin = (await registry.load(spec, { baseDir, kind, knownNames: BUNDLED_PLUGINS, fromDir: import.meta.dirname })) as Plugin;
    } catch (err) {
      if (err instanceof SsbenchError) {
        err.file ??= file;
        err.pointer ??= pointer;
      }
      throw err;
    }
    if (plugin.kind !== kind)
      throw new SsbenchError('plugin', `"${spec}" is a ${plugin.kind} plugin, expected a ${kind} plugin`, { file, pointer });
    return plugin as P;
  }

  async function resolveEntry<P extends Plugin>(
    entry: { id?: string; plugin: string; options?: Record<string, unknown> },
    kind: PluginKind,
    pointer: string,
  ): Promise<Resolved<P>> {
    const plugin = await load<P>(entry.plugin, kind, `${pointer}/plugin`);
    const opts = validatePluginOptions(plugin, entry.options ?? {}, { file, pointer: `${pointer}/options` });
    return { id: entry.id ?? plugin.name, plugin, options: opts, pointer };
  }

  const models: Resolved<ModelPlugin>[] = [];
  for (const [i, m] of config.models.entries()) models.push(await resolveEntry<ModelPlugin>(m, 'model', `/models/${i}`));
  const tasks: Resolved<TaskPlugin>[] = [];
  for (const [i, t] of config.tasks.entries()) tasks.push(await resolveEntry<TaskPlugin>(t, 'task', `/tasks/${i}`));
  const backends: Resolved<BackendPlugin>[] = [];
  for (const [i, be] of config.backends.entries()) backends.push(await resolveEntry<BackendPlugin>(be, 'backend', `/backends/${i}`));
  const objectives = new Map<string, Resolved<ObjectivePlugin>[]>();
  for (const [i, p] of (config.pretraining ?? []).entries()) {
    const list: Resolved<ObjectivePlugin>[] = [];
    for (const [j, o] of p.objectives.entries()) {
      const r = await resolveEntry<ObjectivePlugin>(o, 'objective', `/pretraining/${i}/objectives/${j}`);
      // A recipe pretrains the models its objective can train (an experiment may mix encoders and decoders);
      // one that fits no model at all is a config error.
      if (!models.some((m) => r.plugin.requires.includes(m.plugin.architecture)))
        throw new SsbenchError(
          'config',
          `objective ${r.plugin.name} trains ${r.plugin.requires.join('/')} models, but the config's models are ${[...new Set(models.map((m) => m.plugin.architecture))].join(', ')}`,
          { file, pointer: `/pretraining/${i}/objectives/${j}/plugin` },
        );
      list.push(r);
    }
    if (list.length !== 1)
      throw new SsbenchError('config', 'exactly one objective plugin per pretraining recipe is supported; combine objectives through that plugin\'s options (e.g. sentencePair: "nsp")', {
        file,
        pointer: `/pretraining/${i}/objectives`,
      });
    objectives.set(p.id, list);
    // A missing data file is found here, so that `ssbench validate` reports it (not only `run`, later).
    checkCorpus(p.corpus as CorpusSpec, baseDir, file, `/pretraining/${i}/corpus`);
  }
  checkSymbolAlphabets(config, tasks, file);
  return {
    compatible: (modelId: string, recipeId: string) => {
      const m = models.find((x) => x.id === modelId);
      return !!m && (objectives.get(recipeId) ?? []).every((o) => o.plugin.requires.includes(m.plugin.architecture));
    },
    file,
    baseDir,
    config,
    hash: configHash(config),
    models,
    pretraining: config.pretraining ?? [],
    objectives,
    tasks,
    backends,
    outputDir: resolve(options.outputDir ?? config.output?.dir ?? `runs/${config.name}`),
  };
}

/**
 * A symbol task's alphabet must fit in each recipe's vocabulary above `symbols.skipIds` (symbols.ts). Checked here
 * with the configured vocabSize and the special tokens at the start of a trained vocabulary (5 for WordPiece, 6 for
 * byte-level BPE), so `validate` and `plan` catch it; the run checks again with the trained vocabularies. A task
 * whose `create` fails here (data not prepared yet) is left to the run, which reports that failure itself.
 */
function checkSymbolAlphabets(config: ExperimentConfig, tasks: readonly Resolved<TaskPlugin>[], file: string): void {
  tasks.forEach((t, i) => {
    let input: ReturnType<TaskPlugin['create']>['input'];
    try {
      input = t.plugin.create(t.options, { dataDir: resolve('.ssbench-cache', 'data') }).input;
    } catch {
      return;
    }
    if (input?.kind !== 'symbols') {
      if (config.tasks[i].symbols)
        throw new SsbenchError('config', `task "${t.id}" has text inputs: "symbols" applies only to tasks with symbol inputs (DNA, protein, music); remove it`, {
          file,
          pointer: `/tasks/${i}/symbols`,
        });
      return;
    }
    const { skipIds } = config.tasks[i].symbols ?? DEFAULT_SYMBOL_OPTIONS;
    for (const [j, p] of (config.pretraining ?? []).entries()) {
      const specials = p.tokenizer.kind === 'bpe' ? 6 : 5;
      const usable = Math.max(0, p.tokenizer.vocabSize - Math.max(skipIds, specials));
      if (usable < input.alphabet.length)
        throw new SsbenchError(
          'config',
          vocabularyTooSmall(t.id, input.alphabet.length, `recipe "${p.id}" (vocabSize ${p.tokenizer.vocabSize}, /pretraining/${j}/tokenizer/vocabSize)`, usable, skipIds),
          { file, pointer: `/tasks/${i}/symbols` },
        );
    }
  });
}

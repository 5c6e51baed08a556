/**
 * Executing a plan: probe backends (an unavailable one becomes "skipped" records with its reason), pretrain
 * (cached on disk by a hash of everything that determines the checkpoint), fine-tune and evaluate every cell,
 * append each finished cell to results.jsonl at once. A rerun with the same config resumes: finished cells
 * are not redone.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type BackendSession,
  type ResultRecord,
  Rng,
  SsbenchError,
  type Splits,
  type ClassificationExample,
  type TaskInstance,
  type TextInput,
  appendJsonl,
  writeFileAtomic,
  configHash,
  readJsonl,
} from '@ssbench/core';
import { type Tensor, initParams, readSafetensorsFile, writeSafetensorsFile } from '@ssbench/graph';
import { tokenizeCorpus } from './data';
import { type PreparedTask, prepareTask } from './downstream';
import type { Experiment } from './experiment';
import { type FinetuneSettings, finetune } from './finetune';
import { type FinetuneCell, type IncontextCell, type Plan, type PretrainJob, type ProbeCell, cellInit, cellKey, describeCell } from './plan';
import { DEFAULT_SYMBOL_OPTIONS, usableIdCount, vocabularyTooSmall } from './symbols';
import { evaluateInContext, tokenLogprobGraph } from './incontext';
import { pretrain } from './pretrain';
import { type CorpusSpec, loadCorpus } from './corpus';
import { randomWeights, runProbes } from './probe-run';
import { type TextTokenizer, loadTokenizer, trainTokenizer } from './tokenizer';
import { gitSha, machineInfo, packageVersions } from './provenance';

export interface ProgressEvent {
  cell: string;
  step: number;
  total: number;
  loss: number;
  msPerStep: number;
}

export interface Reporter {
  info(message: string): void;
  progress(event: ProgressEvent): void;
  cellDone(cell: string, summary: string): void;
}

export interface RunOptions {
  reporter: Reporter;
  cacheDir?: string;
  /**
   * Run only these cells (sharding, filtering); default all. (Method syntax: a filter written for a subset of the
   * cell kinds is accepted.)
   */
  filter?(cell: PretrainJob | FinetuneCell | IncontextCell | ProbeCell): boolean;
}

export interface RunSummary {
  resultsFile: string;
  ran: number;
  resumed: number;
  skipped: number;
  failed: number;
}

interface Recipe {
  id: string;
  tokenizer: TextTokenizer;
}

export async function runExperiment(exp: Experiment, plan: Plan, options: RunOptions): Promise<RunSummary> {
  const { reporter } = options;
  const cacheDir = resolve(options.cacheDir ?? '.ssbench-cache');
  const dataDir = join(cacheDir, 'data');
  mkdirSync(exp.outputDir, { recursive: true });
  const resultsFile = join(exp.outputDir, 'results.jsonl');
  const previous = existsSync(resultsFile) ? readJsonl<ResultRecord>(resultsFile) : [];
  const foreign = previous.find((r) => r.provenance.configHash !== exp.hash);
  if (foreign)
    throw new SsbenchError(
      'config',
      `${resultsFile} holds results of a different version of this config (hash ${foreign.provenance.configHash.slice(0, 12)}, now ${exp.hash.slice(0, 12)}); choose another --output directory or delete it`,
      { file: exp.file },
    );
  const done = new Map<string, ResultRecord>();
  // Skips already on record (same cell, same reason) are not appended again when a run is repeated.
  const skippedBefore = new Set<string>();
  for (const r of previous) {
    if (r.kind === 'finetune' || r.kind === 'pretrain' || r.kind === 'incontext' || r.kind === 'probe') done.set(recordKey(r), r);
    else if (r.kind === 'skipped') skippedBefore.add(JSON.stringify([r.stage, r.cell, r.reason]));
  }

  const machine = machineInfo();
  const packages = packageVersions(exp);
  const sha = gitSha();
  const provenance = (backend: { name: string; device: string; version: string }, startedAt: string) => ({
    configHash: exp.hash,
    configName: exp.config.name,
    gitSha: sha,
    packages,
    backend,
    machine,
    startedAt,
    finishedAt: new Date().toISOString(),
  });
  const summary: RunSummary = { resultsFile, ran: 0, resumed: 0, skipped: 0, failed: 0 };
  const write = (r: ResultRecord) => appendJsonl(resultsFile, r);
  const filter = (cell: PretrainJob | FinetuneCell | IncontextCell | ProbeCell) => options.filter?.(cell) ?? true;

  // ---- backends ---------------------------------------------------------------------------------------
  const sessions = new Map<string, BackendSession>();
  const unavailable = new Map<string, string>();
  const backendInfo = new Map<string, { name: string; device: string; version: string }>();
  const neededBackends = new Set([...plan.finetune.filter(filter).map((c) => c.backend), ...plan.pretrain.filter(filter).map((c) => c.backend)]);
  if (plan.finetune.some((c) => filter(c) && c.backend !== plan.referenceBackend)) neededBackends.add(plan.referenceBackend);
  for (const c of plan.probes) if (filter(c)) neededBackends.add(c.backend);
  for (const be of exp.backends) {
    if (!neededBackends.has(be.id)) continue;
    const a = await be.plugin.probe(be.options);
    if (!a.available) {
      unavailable.set(be.id, a.reason);
      reporter.info(`backend ${be.id}: unavailable (${a.reason}); its cells are skipped`);
      continue;
    }
    try {
      const s = await be.plugin.create(be.options);
      sessions.set(be.id, s);
      backendInfo.set(be.id, { name: be.plugin.name, device: s.device, version: s.version });
      reporter.info(`backend ${be.id}: ${s.version} (${s.device})`);
    } catch (err) {
      unavailable.set(be.id, `failed to start: ${(err as Error).message}`);
      reporter.info(`backend ${be.id}: failed to start (${(err as Error).message}); its cells are skipped`);
    }
  }

  const skip = (cell: PretrainJob | FinetuneCell | IncontextCell | ProbeCell, reason: string, failed = false) => {
    const now = new Date().toISOString();
    const seen = JSON.stringify([cell.kind, cellCoordinates(cell), reason]);
    if (!skippedBefore.has(seen))
      write({
      kind: 'skipped',
      stage: cell.kind,
      cell: cellCoordinates(cell),
      reason,
      provenance: provenance(
        backendInfo.get(cell.backend) ?? { name: exp.backends.find((b) => b.id === cell.backend)?.plugin.name ?? cell.backend, device: 'n/a', version: 'n/a' },
        now,
      ),
    } as unknown as ResultRecord);
    if (failed) summary.failed++;
    else summary.skipped++;
    reporter.info(`${failed ? 'FAILED' : 'skipped'}: ${describeCell(cell)}: ${reason}`);
  };

  // ---- tokenizers (one per pretraining recipe; from-scratch cells use the first recipe's) --------------------
  const recipes = new Map<string, Recipe>();
  const corpora = new Map<string, ReturnType<typeof loadCorpus>>();
  for (const [i, p] of exp.pretraining.entries()) {
    const corpus = loadCorpus(p.corpus as CorpusSpec, exp.baseDir, exp.file, `/pretraining/${i}/corpus`, dataDir);
    corpora.set(p.id, corpus);
    const tokKey = configHash({ corpus: p.corpus, tokenizer: p.tokenizer, version: 1 });
    const tokDir = join(cacheDir, 'tokenizers', tokKey);
    let tokenizer = loadTokenizer(p.tokenizer.kind, tokDir);
    if (!tokenizer) {
      reporter.info(`training a ${p.tokenizer.vocabSize}-token ${p.tokenizer.kind === 'bpe' ? 'byte-level BPE' : 'WordPiece'} vocabulary on ${corpus.name}`);
      tokenizer = trainTokenizer(
        p.tokenizer.kind,
        corpus.documents.flatMap((d) => d.sentences),
        { vocabSize: p.tokenizer.vocabSize, lowerCase: p.tokenizer.lowerCase },
      );
      tokenizer.save(tokDir);
    }
    recipes.set(p.id, { id: p.id, tokenizer });
  }
  // From-scratch cells share the vocabulary of the model's first compatible recipe (so pretrained and scratch
  // models differ only in their initial weights).
  const firstRecipeId = (model: string) => (exp.pretraining.find((p) => exp.compatible(model, p.id)) ?? exp.pretraining[0])?.id ?? '';
  const tokenizerFor = (pretraining: string | null, model: string): TextTokenizer => {
    const r = recipes.get(pretraining ?? firstRecipeId(model));
    if (!r) throw new SsbenchError('config', 'from-scratch cells need a tokenizer: add a pretraining recipe (its vocabulary is shared)', { file: exp.file, pointer: '/pretraining' });
    return r.tokenizer;
  };

  // ---- tasks (created once; their data is loaded when a cell first needs it) ----------------------------------
  const taskInstances = new Map<string, TaskInstance>();
  const taskOf = (id: string): TaskInstance => {
    let t = taskInstances.get(id);
    if (!t) {
      const entry = exp.tasks.find((x) => x.id === id);
      if (!entry) throw new Error(`unknown task ${id}`);
      t = entry.plugin.create(entry.options, { dataDir });
      taskInstances.set(id, t);
    }
    return t;
  };
  const symbolOptions = (taskId: string) => exp.config.tasks.find((t) => t.id === taskId)?.symbols ?? DEFAULT_SYMBOL_OPTIONS;
  // A symbol task's alphabet must fit in every vocabulary it is used with: checked before anything is trained
  // (the trained vocabulary can be smaller than the configured vocabSize, which loadExperiment checked).
  for (const entry of exp.tasks) {
    if (!plan.finetune.some((c) => filter(c) && c.task === entry.id)) continue;
    const input = taskOf(entry.id).input;
    if (input?.kind !== 'symbols') continue;
    const { skipIds } = symbolOptions(entry.id);
    for (const r of recipes.values()) {
      const usable = usableIdCount(r.tokenizer.vocabSize, r.tokenizer.reservedIds, skipIds);
      if (usable < input.alphabet.length)
        throw new SsbenchError('config', vocabularyTooSmall(entry.id, input.alphabet.length, `the vocabulary trained for recipe "${r.id}" (${r.tokenizer.vocabSize} tokens)`, usable, skipIds), {
          file: exp.file,
          pointer: `${entry.pointer}/symbols`,
        });
    }
  }

  // ---- pretraining ------------------------------------------------------------------------------------
  const checkpoints = new Map<string, Map<string, Tensor>>();
  /**
   * The pretrained weights a cell starts from: null for a from-scratch cell, undefined (and the cell recorded as
   * skipped) when its pretraining was skipped or failed.
   */
  const startingCheckpoint = (cell: FinetuneCell | IncontextCell | ProbeCell): Map<string, Tensor> | null | undefined => {
    if (!cell.pretraining) return null;
    const pj = plan.pretrain.find((p) => p.model === cell.model && p.pretraining === cell.pretraining);
    const base = pj ? checkpoints.get(cellKey(pj)) : undefined;
    if (!base) skip(cell, `no pretrained checkpoint for ${cell.model}/${cell.pretraining} (its pretraining was skipped or failed: see the pretrain record)`);
    return base;
  };
  for (const job of plan.pretrain) {
    const key = cellKey(job);
    const needed = plan.finetune.some((c) => filter(c) && c.pretraining === job.pretraining && c.model === job.model);
    if (!filter(job) && !needed) continue;
    const recipe = exp.pretraining.find((p) => p.id === job.pretraining);
    const m = exp.models.find((x) => x.id === job.model);
    const objective = exp.objectives.get(job.pretraining)?.[0];
    if (!recipe || !m || !objective) throw new Error(`inconsistent plan for ${key}`);
    const be = exp.backends.find((x) => x.id === job.backend);
    const cacheKey = configHash({
      model: { plugin: m.plugin.name, version: m.plugin.version, options: m.options },
      recipe,
      objective: { plugin: objective.plugin.name, version: objective.plugin.version, options: objective.options },
      backend: { plugin: be?.plugin.name, options: be?.options },
      seed: job.seed,
    });
    const ckptDir = join(cacheDir, 'pretrain', cacheKey);
    const ckptFile = join(ckptDir, 'model.safetensors');
    if (existsSync(ckptFile)) {
      checkpoints.set(key, (await readSafetensorsFile(ckptFile)).tensors);
      if (done.has(key)) {
        summary.resumed++;
        continue;
      }
      reporter.info(`${describeCell(job)}: using cached checkpoint ${ckptDir}`);
      // Another results file made this checkpoint: copy its record (loss curve, timings, provenance of the
      // checkpoint) into this one, so that the report shows the pretraining and a rerun counts it as done.
      const cachedRecordFile = join(ckptDir, 'record.json');
      if (existsSync(cachedRecordFile)) {
        const cached = JSON.parse(readFileSync(cachedRecordFile, 'utf8')) as ResultRecord;
        const record = {
          ...cached,
          fromCache: true,
          provenance: { ...cached.provenance, configHash: exp.hash, configName: exp.config.name },
        } as unknown as ResultRecord;
        write(record);
        done.set(key, record);
        summary.resumed++;
        continue;
      }
    }
    const session = sessions.get(job.backend);
    if (!session) {
      skip(job, `pretrain backend ${job.backend} unavailable: ${unavailable.get(job.backend)}`);
      continue;
    }
    const tokenizer = tokenizerFor(job.pretraining, job.model);
    const instance = m.plugin.create(m.options, { vocabSize: tokenizer.vocabSize });
    const startedAt = new Date().toISOString();
    if (!checkpoints.has(key)) {
      const corpus = tokenizeCorpus(tokenizer, corpora.get(job.pretraining)?.documents ?? []);
      const obj = objective.plugin.create(objective.options, { vocabSize: tokenizer.vocabSize, specialIds: tokenizer.specialIds, seqLen: recipe.seqLen });
      reporter.info(`${describeCell(job)}: ${recipe.steps} steps of batch ${recipe.batchSize} x ${recipe.seqLen}`);
      let out: Awaited<ReturnType<typeof pretrain>>;
      try {
        out = await pretrain({
          model: instance,
          objective: obj,
          corpus,
          steps: recipe.steps,
          batchSize: recipe.batchSize,
          optimizer: recipe.optimizer,
          seed: job.seed,
          session,
          logEvery: Math.max(1, Math.round(recipe.steps / 100)),
          onProgress: (p) => reporter.progress({ cell: describeCell(job), ...p }),
        });
      } catch (err) {
        if (err instanceof SsbenchError) throw err;
        // The cells that start from this checkpoint are skipped with the reason; the others still run.
        skip(job, `failed: ${(err as Error).message}`, true);
        continue;
      }
      mkdirSync(ckptDir, { recursive: true });
      await writeSafetensorsFile(ckptFile, out.weights, { format: 'pt', ssbench: JSON.stringify({ model: m.options, recipe: recipe.id }) });
      tokenizer.save(ckptDir);
      checkpoints.set(key, out.weights);
      const record = {
        kind: 'pretrain',
        cell: cellCoordinates(job),
        cacheKey,
        checkpoint: ckptDir,
        lossCurve: out.lossCurve,
        timings: out.timings,
        peakMemoryBytes: out.peakRssBytes,
        provenance: provenance(backendInfo.get(job.backend) as { name: string; device: string; version: string }, startedAt),
      } as unknown as ResultRecord;
      writeFileAtomic(join(ckptDir, 'record.json'), `${JSON.stringify(record)}\n`);
      write(record);
      const last = out.lossCurve[out.lossCurve.length - 1];
      reporter.cellDone(describeCell(job), `loss ${out.lossCurve[0]?.loss.toFixed(3)} -> ${last?.loss.toFixed(3)} ${fmtMetrics(last?.metrics ?? {})}`);
      summary.ran++;
    }
  }

  // ---- fine-tuning -----------------------------------------------------------------------------------
  const splits = new Map<string, Splits<unknown>>();
  const loadSplits = async (taskId: string): Promise<Splits<unknown>> => {
    let s = splits.get(taskId);
    if (!s) {
      s = (await taskOf(taskId).load()) as Splits<unknown>;
      splits.set(taskId, s);
    }
    return s;
  };
  const prepared = new Map<string, PreparedTask>();
  for (const cell of plan.finetune) {
    if (!filter(cell)) continue;
    const key = cellKey(cell);
    if (done.has(key)) {
      summary.resumed++;
      continue;
    }
    if (!sessions.has(cell.backend)) {
      skip(cell, unavailable.get(cell.backend) ?? 'backend not started');
      continue;
    }
    const task = exp.tasks.find((t) => t.id === cell.task);
    if (!task) throw new Error(`unknown task ${cell.task}`);
    const taskInstance = taskOf(cell.task);
    const tokenizer = tokenizerFor(cell.pretraining, cell.model);
    const ft = exp.config.tasks.find((t) => t.id === cell.task)?.finetune;
    if (!ft) throw new Error(`task ${cell.task} has no finetune settings`);
    const encKey = JSON.stringify([cell.task, cell.pretraining ?? firstRecipeId(cell.model)]);
    if (!prepared.has(encKey))
      prepared.set(encKey, prepareTask(taskInstance, await loadSplits(cell.task), tokenizer, { taskId: cell.task, maxSeqLen: ft.maxSeqLen, symbols: symbolOptions(cell.task) }));
    const data = prepared.get(encKey) as PreparedTask;
    const base = startingCheckpoint(cell);
    if (base === undefined) continue;
    const m = exp.models.find((x) => x.id === cell.model);
    if (!m) throw new Error(`unknown model ${cell.model}`);
    const settings: FinetuneSettings = {
      epochs: ft.epochs,
      batchSize: ft.batchSize,
      optimizer: ft.optimizer,
      evalBatchSize: 64,
      timing: exp.config.timing ?? { warmupRuns: 3, runs: 20 },
    };
    const startedAt = new Date().toISOString();
    const label = describeCell(cell);
    try {
      const out = await finetune({
        model: m.plugin.create(m.options, { vocabSize: tokenizer.vocabSize }),
        task: data,
        seed: cell.seed,
        pad: tokenizer.specialIds.pad,
        baseWeights: base,
        init: cellInit(cell),
        session: sessions.get(cell.backend) as BackendSession,
        reference: cell.backend === plan.referenceBackend ? null : (sessions.get(plan.referenceBackend) ?? null),
        settings,
        onProgress: (p) => reporter.progress({ cell: label, ...p }),
      });
      // Loss-curve agreement with the same cell on the reference backend (same seed, same data order, same masks).
      let lossCurveMaxAbsDiff: number | null = null;
      if (cell.backend !== plan.referenceBackend) {
        const ref = done.get(cellKey({ ...cell, backend: plan.referenceBackend })) as { lossCurve?: { loss: number }[] } | undefined;
        if (ref?.lossCurve && ref.lossCurve.length === out.lossCurve.length)
          lossCurveMaxAbsDiff = Math.max(...out.lossCurve.map((p, i) => Math.abs(p.loss - (ref.lossCurve as { loss: number }[])[i].loss)));
      }
      const record = {
        kind: 'finetune',
        cell: cellCoordinates(cell),
        taskVersion: task.plugin.version,
        taskSource: taskInstance.source,
        head: data.notes,
        metrics: out.metrics,
        devMetrics: out.devMetrics,
        higherIsBetter: Object.fromEntries(taskInstance.metrics.map((x) => [x.name, x.higherIsBetter])),
        lossCurve: out.lossCurve,
        devCurve: out.devCurve,
        timings: out.timings,
        peakMemoryBytes: out.peakRssBytes,
        backendMemoryBytes: out.backendMemoryBytes,
        parity: out.parity ? { referenceBackend: plan.referenceBackend, maxAbsDiff: out.parity.maxAbsDiff, lossCurveMaxAbsDiff } : null,
        provenance: provenance(backendInfo.get(cell.backend) as { name: string; device: string; version: string }, startedAt),
      } as unknown as ResultRecord;
      write(record);
      done.set(key, record);
      summary.ran++;
      reporter.cellDone(
        label,
        `${fmtMetrics(out.metrics)} | ${out.timings.trainStepMs.median.toFixed(1)} ms/step${out.parity ? ` | parity ${out.parity.maxAbsDiff.toExponential(1)}` : ''}`,
      );
    } catch (err) {
      if (err instanceof SsbenchError) throw err;
      skip(cell, `failed: ${(err as Error).message}`, true);
    }
  }
  // ---- in-context evaluation of decoder models ----------------------------------------------------------
  for (const cell of plan.incontext) {
    if (!filter(cell)) continue;
    const key = cellKey(cell);
    if (done.has(key)) {
      summary.resumed++;
      continue;
    }
    const session = sessions.get(cell.backend);
    if (!session) {
      skip(cell, unavailable.get(cell.backend) ?? 'backend not started');
      continue;
    }
    const task = exp.tasks.find((t) => t.id === cell.task);
    const settings = exp.config.tasks.find((t) => t.id === cell.task)?.incontext;
    const m = exp.models.find((x) => x.id === cell.model);
    if (!task || !settings || !m) throw new Error(`inconsistent in-context cell ${key}`);
    const taskInstance = taskOf(cell.task);
    // Prompts are text with a label word: in-context evaluation needs a text classification task.
    if (taskInstance.head.kind !== 'classification' || taskInstance.input?.kind === 'symbols') {
      skip(
        cell,
        `in-context evaluation needs a text classification task; "${cell.task}" ${taskInstance.head.kind === 'classification' ? 'has symbol inputs' : `has a ${taskInstance.head.kind} head`} (remove its "incontext" settings)`,
      );
      continue;
    }
    const labels = taskInstance.head.labels;
    const data = (await loadSplits(cell.task)) as Splits<ClassificationExample & TextInput>;
    const tokenizer = tokenizerFor(cell.pretraining, cell.model);
    const model = m.plugin.create(m.options, { vocabSize: tokenizer.vocabSize });
    if (model.architecture !== 'decoder') continue;
    const base = startingCheckpoint(cell);
    if (base === undefined) continue;
    const weights = base ?? initParams(tokenLogprobGraph(model).params, new Rng(cell.seed).fork('init'));
    const startedAt = new Date().toISOString();
    const label = describeCell(cell);
    const maxLen = Number((model.config as { nPositions?: number }).nPositions ?? 256) - 1;
    const out = await evaluateInContext({
      model,
      tokenizer,
      weights: Object.fromEntries(weights),
      session,
      train: data.train,
      test: data.test,
      format: { description: settings.description, prompt: settings.prompt, choices: labels, targetDelimiter: ' ', fewshotDelimiter: '\n\n' },
      shots: settings.shots,
      maxExamples: settings.maxExamples,
      maxLen,
      rng: new Rng(cell.seed),
      onProgress: (d, total) => reporter.progress({ cell: label, step: d, total, loss: Number.NaN, msPerStep: 0 }),
    });
    const record = {
      kind: 'incontext',
      cell: cellCoordinates(cell),
      taskVersion: task.plugin.version,
      shots: out.shots,
      timings: { compileMs: out.compileMs, scoreMs: out.scoreMs },
      provenance: provenance(backendInfo.get(cell.backend) as { name: string; device: string; version: string }, startedAt),
    } as unknown as ResultRecord;
    write(record);
    done.set(key, record);
    summary.ran++;
    reporter.cellDone(label, out.shots.map((s) => `${s.k}-shot acc ${s.acc.toFixed(3)} acc_norm ${s.accNorm.toFixed(3)}`).join(', '));
  }
  // ---- representation probes of encoder models ------------------------------------------------------------
  for (const cell of plan.probes) {
    if (!filter(cell)) continue;
    const key = cellKey(cell);
    if (done.has(key)) {
      summary.resumed++;
      continue;
    }
    const session = sessions.get(cell.backend);
    const m = exp.models.find((x) => x.id === cell.model);
    const settings = exp.config.probes;
    if (!m || !settings) throw new Error(`inconsistent probe cell ${key}`);
    if (!session) {
      skip(cell, unavailable.get(cell.backend) ?? 'backend not started');
      continue;
    }
    const tokenizer = tokenizerFor(cell.pretraining, cell.model);
    const model = m.plugin.create(m.options, { vocabSize: tokenizer.vocabSize });
    const base = startingCheckpoint(cell);
    if (base === undefined) continue;
    const weights = base ?? randomWeights(model, cell.seed);
    const label = describeCell(cell);
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    try {
      const maxPositions = Number((model.config as { maxPositions?: number }).maxPositions ?? 512);
      const out = await runProbes({ settings, model, weights, tokenizer, session, dataDir, seed: cell.seed, maxPositions, onProgress: (m) => reporter.info(`  ${label}: ${m}`) });
      const record = {
        kind: 'probe',
        cell: cellCoordinates(cell),
        ...out,
        timings: { ms: performance.now() - t0 },
        provenance: provenance(backendInfo.get(cell.backend) as { name: string; device: string; version: string }, startedAt),
      } as unknown as ResultRecord;
      write(record);
      done.set(key, record);
      summary.ran++;
      const last = out.crossLingual?.layers.at(-1);
      reporter.cellDone(
        label,
        [
          last ? `retrieval@1 last layer ${last.before.accuracyAt1.toFixed(3)} -> ${last.after.accuracyAt1.toFixed(3)} with the language vector` : '',
          out.contextual ? `sense separation (last layer) ${out.contextual.map((c) => `${c.word} ${(c.separation.at(-1)?.separation ?? Number.NaN).toFixed(3)}`).join(', ')}` : '',
        ]
          .filter(Boolean)
          .join(' | '),
      );
    } catch (err) {
      if (err instanceof SsbenchError) throw err;
      skip(cell, `failed: ${(err as Error).message}`, true);
    }
  }
  for (const s of sessions.values()) await s.dispose();
  return summary;
}

function recordKey(r: ResultRecord): string {
  const c = (r as unknown as { cell: Record<string, unknown> }).cell;
  return cellKey({ kind: r.kind, ...(c as object) } as PretrainJob | FinetuneCell | IncontextCell | ProbeCell);
}

function cellCoordinates(cell: PretrainJob | FinetuneCell | IncontextCell | ProbeCell): Record<string, unknown> {
  const { kind: _kind, ...rest } = cell;
  return rest;
}

function fmtMetrics(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(', ');
}


/**
 * Fine-tuning cell: start from pretrained weights (all of them, or all but the embeddings), or random ones, train
 * the task's head and the whole model with AdamW on one backend, then evaluate on the test split, time inference
 * and check parity of the head's outputs against the reference backend on the same weights and inputs. The head
 * (graph, targets, decoding) comes from the prepared task (downstream.ts, heads.ts); this loop is the same for
 * every head kind.
 */
import type { BackendSession, Batch, Executable, ModelInstance } from '@ssbench/core';
import { Rng } from '@ssbench/core';
import { type OptimizerOptions, type ParamSpec, type Tensor, buildTrainingGraph, initParams, initialState } from '@ssbench/graph';
import { type EncodedRow, epochGroups, evalGroups, inputBatch } from './data';
import type { EvalSet, PreparedTask } from './downstream';
import { classificationHead, headGraph } from './heads';
import type { FinetuneInit } from './plan';
import { type Timing, summarizeTimes } from './timing';
import { TrainLoop } from './training';

/** The model with a classification head (benchmarks time its evaluation graph). */
export function classifierGraph(model: ModelInstance, numLabels: number, training: boolean) {
  return headGraph(model, classificationHead(numLabels), training);
}

/**
 * Whether a parameter belongs to a model's embeddings (re-initialised in the 'reinit-embeddings' variant): BERT's
 * `bert.embeddings.*` (word, position and token-type tables and their LayerNorm), GPT-2's `transformer.wte` /
 * `transformer.wpe`, BART's `model.shared` and the `embed_tokens` / `embed_positions` / `layernorm_embedding` of its
 * encoder and decoder (Hugging Face names).
 */
export function isEmbeddingParam(name: string): boolean {
  return /(^|\.)(embeddings|wte|wpe|shared|embed_tokens|embed_positions|layernorm_embedding)(\.|$)/.test(name);
}

/**
 * Initial weights of a cell: the checkpoint's where it has them ('pretrained'), except the embeddings
 * ('reinit-embeddings'), or none ('scratch'); every other parameter (the head, re-initialised embeddings) gets the
 * model's own initialisation drawn from `rng`.
 */
export function initialWeights(params: readonly ParamSpec[], rng: Rng, checkpoint: ReadonlyMap<string, Tensor> | null, init: FinetuneInit): Map<string, Tensor> {
  if (init !== 'scratch' && !checkpoint) throw new Error(`a ${init} cell needs a checkpoint`);
  const base = init === 'scratch' ? undefined : init === 'pretrained' ? (checkpoint ?? undefined) : new Map([...(checkpoint ?? [])].filter(([name]) => !isEmbeddingParam(name)));
  return initParams(params, rng, base);
}

export interface FinetuneSettings {
  epochs: number;
  batchSize: number;
  optimizer: Omit<OptimizerOptions, 'totalSteps' | 'schedule'> & { schedule?: OptimizerOptions['schedule'] };
  evalBatchSize: number;
  timing: { warmupRuns: number; runs: number };
}

export interface FinetuneInput<R extends EncodedRow = EncodedRow> {
  model: ModelInstance;
  task: PreparedTask<R>;
  seed: number;
  pad: number;
  /** The pretrained checkpoint (null for 'scratch'). */
  baseWeights: ReadonlyMap<string, Tensor> | null;
  init: FinetuneInit;
  session: BackendSession;
  /** Reference backend session for parity, or null when this is the reference. */
  reference: BackendSession | null;
  settings: FinetuneSettings;
  onProgress?: (p: { step: number; total: number; loss: number; msPerStep: number }) => void;
}

export interface FinetuneOutput {
  metrics: Record<string, number>;
  devMetrics: Record<string, number>;
  lossCurve: { step: number; loss: number }[];
  devCurve: { epoch: number; step: number; metrics: Record<string, number> }[];
  timings: { compileMs: number; trainStepMs: Timing; inferenceMs: Timing; tokensPerSecond: number };
  /** Max |difference| of every head output on the first two test batches (null on the reference backend). */
  parity: { maxAbsDiff: number } | null;
  peakRssBytes: number;
  backendMemoryBytes: number | null;
}

/** Runs an evaluation set through `exe` in batches; returns the task's metrics and the outputs of the first `keep` batches. */
async function evaluate<R extends EncodedRow>(exe: Executable, set: EvalSet<R>, batchSize: number, pad: number, keep = 0): Promise<{ metrics: Record<string, number>; outputs: Record<string, Tensor>[] }> {
  const pass = set.begin();
  const outputs: Record<string, Tensor>[] = [];
  for (const rows of evalGroups(set.rows, batchSize)) {
    const out = await exe.run(inputBatch(rows, pad));
    pass.add(rows, out);
    if (outputs.length < keep) outputs.push(out);
  }
  return { metrics: pass.finish(), outputs };
}

export async function finetune<R extends EncodedRow>(input: FinetuneInput<R>): Promise<FinetuneOutput> {
  const { model, task, settings, session } = input;
  if (task.test.rows.length === 0) throw new Error('the task has an empty test split');
  const rng = new Rng(input.seed);
  const stepsPerEpoch = Math.ceil(task.train.length / settings.batchSize);
  const totalSteps = stepsPerEpoch * settings.epochs;

  const { b, loss } = headGraph(model, task.head, true);
  const tg = buildTrainingGraph(b, loss as NonNullable<typeof loss>, { schedule: 'linear', ...settings.optimizer, totalSteps });
  const t0 = performance.now();
  const trainExe = await session.compile(tg.graph);
  const compileMs = performance.now() - t0;

  const weights = initialWeights(tg.params, rng.fork('init'), input.baseWeights, input.init);
  const loop = new TrainLoop(trainExe, tg, b.dropouts, { ...Object.fromEntries(weights), ...initialState(tg.params) }, rng.fork('dropout'));

  const evalGraph = headGraph(model, task.head, false).b.build();
  const evalExe = await session.compile(evalGraph);
  const bound = () => withWeights(evalExe, Object.fromEntries(loop.weights()));

  const lossCurve: { step: number; loss: number }[] = [];
  const devCurve: FinetuneOutput['devCurve'] = [];
  const stepTimes: number[] = [];
  let tokens = 0;
  let peakRss = process.memoryUsage().rss;
  const dataRng = rng.fork('data');
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
    for (const group of epochGroups(task.train, settings.batchSize, dataRng)) {
      const rows = group.map((i) => task.train[i]);
      const inputs = inputBatch(rows, input.pad);
      const batch: Batch = { ...inputs, ...task.head.targets(rows, inputs.input_ids.shape[1]) };
      const r = await loop.run(batch);
      if (!Number.isFinite(r.loss)) throw new Error(`loss became ${r.loss} at step ${loop.step}`);
      lossCurve.push({ step: loop.step, loss: r.loss });
      stepTimes.push(r.ms);
      tokens += batch.input_ids.shape[0] * batch.input_ids.shape[1];
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      input.onProgress?.({ step: loop.step, total: totalSteps, loss: r.loss, msPerStep: r.ms });
    }
    if (task.dev.rows.length > 0) {
      const dev = await evaluate(bound(), task.dev, settings.evalBatchSize, input.pad);
      devCurve.push({ epoch, step: loop.step, metrics: dev.metrics });
    }
  }

  const finalWeights = Object.fromEntries(loop.weights());
  const test = await evaluate(withWeights(evalExe, finalWeights), task.test, settings.evalBatchSize, input.pad, 2);
  const devMetrics = devCurve[devCurve.length - 1]?.metrics ?? {};

  // Inference latency on one evaluation batch, warm-up separated from the timed runs.
  const probeFeeds = inputBatch(evalGroups(task.test.rows, settings.evalBatchSize)[0], input.pad);
  const inferTimes: number[] = [];
  for (let i = 0; i < settings.timing.warmupRuns + settings.timing.runs; i++) {
    const s = performance.now();
    await evalExe.run({ ...finalWeights, ...probeFeeds });
    inferTimes.push(performance.now() - s);
  }
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  let parity: FinetuneOutput['parity'] = null;
  if (input.reference) {
    const refExe = await input.reference.compile(evalGraph);
    const refBatches = evalGroups(task.test.rows, settings.evalBatchSize).slice(0, test.outputs.length);
    let maxAbsDiff = 0;
    for (const [i, rows] of refBatches.entries()) {
      const ref = await refExe.run({ ...finalWeights, ...inputBatch(rows, input.pad) });
      for (const [name, t] of Object.entries(ref)) {
        const a = t.data as Float32Array;
        const o = test.outputs[i][name].data as Float32Array;
        for (let j = 0; j < a.length; j++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[j] - o[j]));
      }
    }
    parity = { maxAbsDiff };
    await refExe.dispose();
  }
  const backendMemoryBytes = session.memoryBytes?.() ?? null;
  await trainExe.dispose();
  await evalExe.dispose();
  const trainStepMs = summarizeTimes(stepTimes, Math.min(3, Math.max(0, stepTimes.length - 1)));
  const trainSeconds = stepTimes.reduce((a, x) => a + x, 0) / 1000;
  return {
    metrics: test.metrics,
    devMetrics,
    lossCurve,
    devCurve,
    timings: {
      compileMs,
      trainStepMs,
      inferenceMs: summarizeTimes(inferTimes, settings.timing.warmupRuns),
      tokensPerSecond: tokens / trainSeconds,
    },
    parity,
    peakRssBytes: peakRss,
    backendMemoryBytes,
  };
}

/** Binds fixed feeds (the weights) to an executable. */
function withWeights(exe: Executable, weights: Record<string, Tensor>): Executable {
  return {
    inputNames: exe.inputNames,
    outputNames: exe.outputNames,
    run: (feeds) => exe.run({ ...weights, ...feeds }),
    dispose: () => exe.dispose(),
  };
}

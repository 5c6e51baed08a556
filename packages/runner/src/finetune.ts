/**
 * Fine-tuning cell: start from pretrained weights (or random ones), train a classification head and the whole
 * encoder with AdamW on one backend, then evaluate on the test split, time inference and check parity of the
 * logits against the reference backend on the same weights and inputs.
 */
import type { BackendSession, Batch, ClassificationTask, Executable, ModelInstance } from '@ssbench/core';
import { Rng } from '@ssbench/core';
import {
  GraphBuilder,
  type OptimizerOptions,
  type Tensor,
  buildTrainingGraph,
  initParams,
  initialState,
  softmaxCrossEntropy,
} from '@ssbench/graph';
import { type EncodedExample, epochBatches, evalBatches } from './data';
import { type Timing, summarizeTimes } from './timing';
import { TrainLoop } from './training';

export function classifierGraph(model: ModelInstance, numLabels: number, training: boolean) {
  const b = new GraphBuilder(training ? 'finetune-step' : 'classify');
  const inputs = {
    inputIds: b.input('input_ids', 'int32', ['batch', 'seq']),
    tokenTypeIds: b.input('token_type_ids', 'int32', ['batch', 'seq']),
    attentionMask: b.input('attention_mask', 'float32', ['batch', 'seq']),
  };
  const out = model.forward(b, inputs, { training });
  const logits = model.classifierLogits(b, out.pooled, numLabels, { training }); // [batch, labels]
  if (!training) {
    b.output('logits', logits);
    return { b, loss: null };
  }
  const labels = b.input('labels', 'int32', ['batch', 1]);
  return { b, loss: softmaxCrossEntropy(b, logits, labels) };
}

export interface FinetuneSettings {
  epochs: number;
  batchSize: number;
  optimizer: Omit<OptimizerOptions, 'totalSteps' | 'schedule'> & { schedule?: OptimizerOptions['schedule'] };
  evalBatchSize: number;
  timing: { warmupRuns: number; runs: number };
}

export interface FinetuneInput {
  model: ModelInstance;
  task: ClassificationTask;
  seed: number;
  data: { train: EncodedExample[]; dev: EncodedExample[]; test: EncodedExample[] };
  pad: number;
  baseWeights: ReadonlyMap<string, Tensor> | null;
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
  parity: { maxAbsDiff: number } | null;
  peakRssBytes: number;
  backendMemoryBytes: number | null;
}

async function predict(exe: Executable, batches: readonly Batch[]): Promise<{ predictions: number[]; logits: Tensor[] }> {
  const predictions: number[] = [];
  const logits: Tensor[] = [];
  for (const batch of batches) {
    const { labels: _labels, ...feeds } = batch;
    const out = (await exe.run(feeds)).logits;
    logits.push(out);
    const [n, k] = out.shape;
    const d = out.data as Float32Array;
    for (let r = 0; r < n; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (d[r * k + c] > d[r * k + best]) best = c;
      predictions.push(best);
    }
  }
  return { predictions, logits };
}

export async function finetune(input: FinetuneInput): Promise<FinetuneOutput> {
  const { model, task, settings, session } = input;
  const numLabels = task.head.labels.length;
  const rng = new Rng(input.seed);
  const stepsPerEpoch = Math.ceil(input.data.train.length / settings.batchSize);
  const totalSteps = stepsPerEpoch * settings.epochs;

  const { b, loss } = classifierGraph(model, numLabels, true);
  const tg = buildTrainingGraph(b, loss as NonNullable<typeof loss>, { schedule: 'linear', ...settings.optimizer, totalSteps });
  const t0 = performance.now();
  const trainExe = await session.compile(tg.graph);
  const compileMs = performance.now() - t0;

  const weights = initParams(tg.params, rng.fork('init'), input.baseWeights ?? undefined);
  const loop = new TrainLoop(trainExe, tg, b.dropouts, { ...Object.fromEntries(weights), ...initialState(tg.params) }, rng.fork('dropout'));

  const evalGraph = classifierGraph(model, numLabels, false).b.build();
  const evalExe = await session.compile(evalGraph);
  const gold = (xs: EncodedExample[]) => xs.map((e) => e.label);
  const devBatches = evalBatches(input.data.dev, settings.evalBatchSize, input.pad);
  const testBatches = evalBatches(input.data.test, settings.evalBatchSize, input.pad);
  const evalFeeds = () => Object.fromEntries(loop.weights());

  const lossCurve: { step: number; loss: number }[] = [];
  const devCurve: FinetuneOutput['devCurve'] = [];
  const stepTimes: number[] = [];
  let tokens = 0;
  let peakRss = process.memoryUsage().rss;
  const dataRng = rng.fork('data');
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
    for (const batch of epochBatches(input.data.train, settings.batchSize, input.pad, dataRng)) {
      const r = await loop.run(batch);
      if (!Number.isFinite(r.loss)) throw new Error(`loss became ${r.loss} at step ${loop.step}`);
      lossCurve.push({ step: loop.step, loss: r.loss });
      stepTimes.push(r.ms);
      tokens += batch.input_ids.shape[0] * batch.input_ids.shape[1];
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      input.onProgress?.({ step: loop.step, total: totalSteps, loss: r.loss, msPerStep: r.ms });
    }
    const dev = await predict(withWeights(evalExe, evalFeeds()), devBatches);
    devCurve.push({ epoch, step: loop.step, metrics: task.score(dev.predictions, gold(input.data.dev)) });
  }

  const weightsFeeds = evalFeeds();
  const bound = withWeights(evalExe, weightsFeeds);
  const test = await predict(bound, testBatches);
  const metrics = task.score(test.predictions, gold(input.data.test));
  const devMetrics = devCurve[devCurve.length - 1]?.metrics ?? {};

  // Inference latency on one evaluation batch, warm-up separated from the timed runs.
  const probe = testBatches[0];
  const { labels: _l, ...probeFeeds } = probe;
  const inferTimes: number[] = [];
  for (let i = 0; i < settings.timing.warmupRuns + settings.timing.runs; i++) {
    const s = performance.now();
    await bound.run(probeFeeds);
    inferTimes.push(performance.now() - s);
  }
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  let parity: FinetuneOutput['parity'] = null;
  if (input.reference) {
    const refExe = await input.reference.compile(evalGraph);
    const ref = await predict(withWeights(refExe, weightsFeeds), testBatches.slice(0, 2));
    let maxAbsDiff = 0;
    ref.logits.forEach((t, i) => {
      const a = t.data as Float32Array;
      const o = test.logits[i].data as Float32Array;
      for (let j = 0; j < a.length; j++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[j] - o[j]));
    });
    parity = { maxAbsDiff };
    await refExe.dispose();
  }
  const backendMemoryBytes = session.memoryBytes?.() ?? null;
  await trainExe.dispose();
  await evalExe.dispose();
  const trainStepMs = summarizeTimes(stepTimes, Math.min(3, Math.max(0, stepTimes.length - 1)));
  const trainSeconds = stepTimes.reduce((a, x) => a + x, 0) / 1000;
  return {
    metrics,
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

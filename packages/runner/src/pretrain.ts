/**
 * Pretraining job: a self-supervised objective's loss on a model, trained as one training-step graph on one
 * backend, for a fixed number of steps over an endless seeded stream of batches from the corpus.
 */
import type { BackendSession, ModelInstance, ObjectiveInstance, TokenizedCorpus } from '@ssbench/core';
import { Rng } from '@ssbench/core';
import { GraphBuilder, type OptimizerOptions, type Tensor, buildTrainingGraph, initParams, initialState } from '@ssbench/graph';
import { type Timing, summarizeTimes } from './timing';
import { TrainLoop } from './training';

export interface PretrainInput {
  model: ModelInstance;
  objective: ObjectiveInstance;
  corpus: TokenizedCorpus;
  steps: number;
  batchSize: number;
  optimizer: Omit<OptimizerOptions, 'totalSteps' | 'schedule'> & { schedule?: OptimizerOptions['schedule'] };
  seed: number;
  session: BackendSession;
  /** Record the loss every `logEvery` steps (mean over the interval). */
  logEvery: number;
  onProgress?: (p: { step: number; total: number; loss: number; msPerStep: number; metrics: Record<string, number> }) => void;
}

export interface PretrainOutput {
  weights: Map<string, Tensor>;
  lossCurve: { step: number; loss: number; metrics: Record<string, number> }[];
  timings: { compileMs: number; trainStepMs: Timing; tokensPerSecond: number };
  peakRssBytes: number;
}

export async function pretrain(input: PretrainInput): Promise<PretrainOutput> {
  const rng = new Rng(input.seed);
  const b = new GraphBuilder('pretrain-step');
  const { loss, metrics } = input.objective.buildLoss(b, input.model);
  const tg = buildTrainingGraph(b, loss, { schedule: 'linear', ...input.optimizer, totalSteps: input.steps }, metrics);
  const t0 = performance.now();
  const exe = await input.session.compile(tg.graph);
  const compileMs = performance.now() - t0;
  const weights = initParams(tg.params, rng.fork('init'));
  const loop = new TrainLoop(exe, tg, b.dropouts, { ...Object.fromEntries(weights), ...initialState(tg.params) }, rng.fork('dropout'));
  const batches = input.objective.batches(input.corpus, input.batchSize, rng.fork('data'));

  const lossCurve: PretrainOutput['lossCurve'] = [];
  const times: number[] = [];
  let tokens = 0;
  let peakRss = process.memoryUsage().rss;
  let acc = { loss: 0, n: 0, metrics: {} as Record<string, number> };
  for (let step = 1; step <= input.steps; step++) {
    const batch = batches.next().value;
    if (!batch) throw new Error('the objective produced no batch: is the corpus empty?');
    const r = await loop.run(batch);
    if (!Number.isFinite(r.loss)) throw new Error(`pretraining loss became ${r.loss} at step ${step}: lower the learning rate`);
    times.push(r.ms);
    const ids = batch.input_ids;
    tokens += ids ? ids.shape[0] * ids.shape[1] : 0;
    acc.loss += r.loss;
    acc.n += 1;
    const stepMetrics: Record<string, number> = {};
    for (const [k, t] of Object.entries(r.extra)) {
      stepMetrics[k] = (t.data as Float32Array)[0];
      acc.metrics[k] = (acc.metrics[k] ?? 0) + stepMetrics[k];
    }
    if (step % input.logEvery === 0 || step === input.steps) {
      lossCurve.push({
        step,
        loss: acc.loss / acc.n,
        metrics: Object.fromEntries(Object.entries(acc.metrics).map(([k, v]) => [k, v / acc.n])),
      });
      acc = { loss: 0, n: 0, metrics: {} };
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    input.onProgress?.({ step, total: input.steps, loss: r.loss, msPerStep: r.ms, metrics: stepMetrics });
  }
  await exe.dispose();
  const seconds = times.reduce((a, x) => a + x, 0) / 1000;
  return {
    weights: loop.weights(),
    lossCurve,
    timings: { compileMs, trainStepMs: summarizeTimes(times, Math.min(3, times.length - 1)), tokensPerSecond: tokens / seconds },
    peakRssBytes: peakRss,
  };
}

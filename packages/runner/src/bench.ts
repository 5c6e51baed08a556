/**
 * `ssbench bench`: training-step and inference throughput of a config's model on each backend, in ms, tokens/s
 * and achieved GFLOP/s, next to each backend's own large-MatMul rate as the practical peak of this machine.
 * Conventions (REFERENCE.md, backend comparison): compile time apart, warm-up runs apart, median and p90 of
 * the timed runs; the same graph and the same inputs on every backend.
 */
import { writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { type BackendSession, Rng, type TokenizedCorpus } from '@ssbench/core';
import { GraphBuilder, buildTrainingGraph, initParams, initialState, tensor } from '@ssbench/graph';
import { loadExperiment } from './experiment';
import { classificationBatch, type EncodedExample } from './data';
import { classifierGraph } from './finetune';
import { machineInfo } from './provenance';
import { type Timing, summarizeTimes } from './timing';
import { TrainLoop } from './training';

export interface BenchOptions {
  config: string;
  steps: number;
  batch?: number;
  seq?: number;
  threads?: number;
  json?: string;
  out: Writable;
}

export interface BenchRow {
  backend: string;
  runtime: string;
  available: boolean;
  reason?: string;
  trainCompileMs?: number;
  trainStepMs?: Timing;
  trainTokensPerSecond?: number;
  trainGflops?: number;
  inferenceMs?: Timing;
  inferenceTokensPerSecond?: number;
  inferenceGflops?: number;
  matmulGflops?: number;
}

/** A random-token corpus: throughput does not depend on which tokens are fed. */
function syntheticCorpus(vocabSize: number, firstId: number, rng: Rng): TokenizedCorpus {
  const documents = Array.from({ length: 64 }, () => ({
    sentences: Array.from({ length: 40 }, () => {
      const n = 8 + rng.int(24);
      const ids = Array.from({ length: n }, () => firstId + rng.int(vocabSize - firstId));
      return { ids, wordStarts: ids.map(() => true) };
    }),
  }));
  return { documents };
}

async function matmulRate(session: BackendSession, n: number, threads?: number): Promise<number> {
  const b = new GraphBuilder('matmul');
  const x = b.input('a', 'float32', [n, n]);
  const y = b.input('b', 'float32', [n, n]);
  b.output('c', b.matmul(x, y));
  const exe = await session.compile(b.build(), { threads });
  const rng = new Rng(1);
  const a = new Float32Array(n * n).map(() => rng.next() - 0.5);
  const feeds = { a: tensor('float32', [n, n], a), b: tensor('float32', [n, n], a) };
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    await exe.run(feeds);
    times.push(performance.now() - t);
  }
  await exe.dispose();
  const t = summarizeTimes(times, 2);
  return (2 * n ** 3) / (t.median / 1000) / 1e9;
}

export async function benchCommand(opts: BenchOptions): Promise<BenchRow[]> {
  const exp = await loadExperiment(opts.config);
  const recipe = exp.pretraining[0];
  if (!recipe) throw new Error('bench needs a config with a pretraining recipe (it times that recipe\'s training step)');
  const model = exp.models[0];
  const objective = exp.objectives.get(recipe.id)?.[0];
  if (!objective) throw new Error('no objective');
  const batchSize = opts.batch ?? recipe.batchSize;
  const seqLen = opts.seq ?? recipe.seqLen;
  const vocabSize = recipe.tokenizer.vocabSize;
  const specialIds = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
  const out = opts.out;
  const m = machineInfo();
  out.write(`ssbench bench: ${exp.config.name} model "${model.id}" ${JSON.stringify(model.options)}\n`);
  out.write(`objective ${objective.plugin.name} ${JSON.stringify(objective.options)}; batch ${batchSize} x seq ${seqLen}, vocab ${vocabSize}; ${m.cpu}, ${m.cores} cores\n\n`);

  const rows: BenchRow[] = [];
  const modelConfig = model.plugin.create(model.options, { vocabSize }).config;
  let predictionsPerBatch = 0;
  let nsp = false;
  for (const be of exp.backends) {
    const options = { ...be.options, ...(opts.threads && 'threads' in (be.plugin.optionsSchema.properties as object) ? { threads: opts.threads } : {}) };
    const a = await be.plugin.probe(options);
    if (!a.available) {
      rows.push({ backend: be.id, runtime: be.plugin.name, available: false, reason: a.reason });
      out.write(`${be.id}: unavailable: ${a.reason}\n`);
      continue;
    }
    const session = await be.plugin.create(options);
    const instance = model.plugin.create(model.options, { vocabSize });
    const obj = objective.plugin.create(objective.options, { vocabSize, specialIds, seqLen });
    const rng = new Rng(7);
    const corpus = syntheticCorpus(vocabSize, 5, rng);

    // Training step: the objective's full loss, backward pass and AdamW in one graph.
    const b = new GraphBuilder('bench-train');
    const { loss, metrics } = obj.buildLoss(b, instance);
    const tg = buildTrainingGraph(b, loss, { lr: 1e-4, warmupSteps: 10, totalSteps: 1000, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'linear' }, metrics);
    let t = performance.now();
    const exe = await session.compile(tg.graph, { threads: opts.threads });
    const trainCompileMs = performance.now() - t;
    const weights = initParams(tg.params, rng.fork('init'));
    const loop = new TrainLoop(exe, tg, b.dropouts, { ...Object.fromEntries(weights), ...initialState(tg.params) }, rng.fork('dropout'));
    const batches = obj.batches(corpus, batchSize, rng.fork('data'));
    const first = batches.next().value;
    if (!first) throw new Error('no batch');
    // Time the same full-length batch every step so every backend does identical work.
    const times: number[] = [];
    for (let i = 0; i < 3 + opts.steps; i++) times.push((await loop.run(first)).ms);
    await exe.dispose();
    const trainStepMs = summarizeTimes(times, 3);
    const ids = first.input_ids;
    const tokens = ids.shape[0] * ids.shape[1];
    const predictions = first.mlm_positions ? first.mlm_positions.shape[0] : 0;
    predictionsPerBatch = predictions;
    nsp = 'pair_labels' in first;
    const hidden = instance.hidden;
    const fwdFlops = tokens * instance.flopsPerToken(ids.shape[1]) + predictions * (2 * hidden * hidden + 2 * hidden * vocabSize);
    const trainFlops = 3 * fwdFlops; // forward + backward (2x forward), the usual estimate

    // Inference: the encoder plus a classification head on the same token batch.
    const eb = classifierGraph(instance, 2, false).b;
    const evalGraph = eb.build();
    const evalExe = await session.compile(evalGraph, { threads: opts.threads });
    const evalWeights = initParams(eb.params, rng.fork('init'), weights);
    const examples: EncodedExample[] = Array.from({ length: ids.shape[0] }, (_, r) => ({
      ids: Array.from((ids.data as Int32Array).subarray(r * ids.shape[1], (r + 1) * ids.shape[1])),
      types: new Array(ids.shape[1]).fill(0),
      label: 0,
    }));
    const { labels: _labels, ...feeds } = classificationBatch(examples, specialIds.pad);
    const inferTimes: number[] = [];
    for (let i = 0; i < 3 + opts.steps; i++) {
      t = performance.now();
      await evalExe.run({ ...Object.fromEntries(evalWeights), ...feeds });
      inferTimes.push(performance.now() - t);
    }
    await evalExe.dispose();
    const inferenceMs = summarizeTimes(inferTimes, 3);
    const inferFlops = tokens * instance.flopsPerToken(ids.shape[1]);
    const matmulGflops = await matmulRate(session, 1024, opts.threads);
    await session.dispose();
    const row: BenchRow = {
      backend: be.id,
      runtime: `${session.version} (${session.device})`,
      available: true,
      trainCompileMs,
      trainStepMs,
      trainTokensPerSecond: tokens / (trainStepMs.median / 1000),
      trainGflops: trainFlops / (trainStepMs.median / 1000) / 1e9,
      inferenceMs,
      inferenceTokensPerSecond: tokens / (inferenceMs.median / 1000),
      inferenceGflops: inferFlops / (inferenceMs.median / 1000) / 1e9,
      matmulGflops,
    };
    rows.push(row);
    out.write(
      `${be.id}: train step ${trainStepMs.median.toFixed(1)} ms (p90 ${trainStepMs.p90.toFixed(1)}), ${row.trainTokensPerSecond?.toFixed(0)} tokens/s, ${row.trainGflops?.toFixed(1)} GFLOP/s; ` +
        `inference ${inferenceMs.median.toFixed(2)} ms (p90 ${inferenceMs.p90.toFixed(2)}), ${row.inferenceTokensPerSecond?.toFixed(0)} tokens/s, ${row.inferenceGflops?.toFixed(1)} GFLOP/s; ` +
        `matmul 1024^3 ${matmulGflops.toFixed(1)} GFLOP/s; compile ${trainCompileMs.toFixed(0)} ms\n`,
    );
  }
  if (opts.json)
    writeFileSync(opts.json, `${JSON.stringify({ config: exp.config.name, modelConfig, objective: objective.options, predictionsPerBatch, nsp, batchSize, seqLen, vocabSize, threads: opts.threads ?? null, machine: m, rows }, null, 2)}\n`);
  return rows;
}

/**
 * Per-op time of the quickstart training step on tfjs (default wasm): the same training graph as `ssbench bench`
 * and bench/profile-ort.ts (model, objective, AdamW from the config's first pretraining recipe), run through the
 * tfjs executor with per-node hooks.
 *
 *   npx tsx bench/profile-tfjs.ts [config] [--device wasm|cpu] [--steps 5] [--top 25]
 */
import { Rng, type TokenizedCorpus } from '../packages/core/src/index';
import { GraphBuilder, buildTrainingGraph, initParams, initialState, type Tensor } from '../packages/graph/src/index';
import { loadExperiment } from '../packages/runner/src/experiment';
import { bindSymbols, dropoutMasks } from '../packages/runner/src/training';
import tfjsPlugin, { type TfjsExecutable } from '../plugins/backend-tfjs/src/index';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1] : d;
};
const config = argv[0] && !argv[0].startsWith('--') ? argv[0] : 'configs/quickstart.json';
const device = opt('device', 'wasm') as 'wasm';
const steps = Number(opt('steps', '5'));

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

const exp = await loadExperiment(config);
const recipe = exp.pretraining[0];
const model = exp.models[0];
const objective = exp.objectives.get(recipe.id)?.[0];
if (!objective) throw new Error('no objective');
const vocabSize = recipe.tokenizer.vocabSize;
const instance = model.plugin.create(model.options, { vocabSize });
const obj = objective.plugin.create(objective.options, { vocabSize, specialIds: { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 }, seqLen: recipe.seqLen });
const rng = new Rng(7);
const b = new GraphBuilder('bench-train');
const { loss, metrics } = obj.buildLoss(b, instance);
const tg = buildTrainingGraph(b, loss, { lr: 1e-4, warmupSteps: 10, totalSteps: 1000, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'linear' }, metrics);
const batch = obj.batches(syntheticCorpus(vocabSize, 5, rng), recipe.batchSize, rng.fork('data')).next().value;
if (!batch) throw new Error('no batch');
const dims = bindSymbols(tg.graph, batch);
const feeds: Record<string, Tensor> = {
  ...Object.fromEntries(initParams(tg.params, rng.fork('init'))),
  ...initialState(tg.params),
  ...batch,
  ...dropoutMasks(b.dropouts, dims, rng.fork('dropout')),
  [tg.stepInput]: { dtype: 'float32', shape: [], data: new Float32Array([1]) },
};
const session = await tfjsPlugin.create({ device });
const exe = (await session.compile(tg.graph)) as TfjsExecutable;
const times: number[] = [];
for (let i = 0; i < steps + 1; i++) {
  const t = performance.now();
  await exe.run(feeds);
  times.push(performance.now() - t);
}
const warm = times.slice(1).sort((x, y) => x - y);
console.log(`tfjs-${device}: ${tg.graph.nodes.length} nodes, ${exe.stepCount} steps; step median ${warm[warm.length >> 1].toFixed(1)} ms, min ${warm[0].toFixed(1)} ms`);
const byOp = new Map<string, { ms: number; n: number }>();
const byNode = new Map<number, { ms: number; desc: string }>();
let t = 0;
const reps = 3;
for (let r = 0; r < reps; r++)
  await exe.runWithHooks(feeds, {
    beforeStep: () => {
      t = performance.now();
    },
    afterStep: (step) => {
      const ms = (performance.now() - t) / reps;
      const e = byOp.get(step.node.op) ?? { ms: 0, n: 0 };
      e.ms += ms;
      e.n += 1 / reps;
      byOp.set(step.node.op, e);
      const shapes = step.node.inputs.map((i) => (i ? `[${tg.graph.values.get(i)?.shape.join(',') ?? '?'}]` : '-')).join(' ');
      const nd = byNode.get(step.index) ?? { ms: 0, desc: `${step.node.op} ${JSON.stringify(step.node.attrs)} ${shapes} -> ${step.node.outputs[0]}` };
      nd.ms += ms;
      byNode.set(step.index, nd);
    },
  });
const total = [...byOp.values()].reduce((a, e) => a + e.ms, 0);
console.log(`per op type (sum of node times ${total.toFixed(1)} ms):`);
for (const [op, e] of [...byOp].sort((x, y) => y[1].ms - x[1].ms)) console.log(`  ${op.padEnd(18)} ${e.ms.toFixed(2).padStart(8)} ms  ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  x${Math.round(e.n)}`);
console.log('slowest nodes:');
for (const { ms, desc } of [...byNode.values()].sort((x, y) => y.ms - x.ms).slice(0, Number(opt('top', '25')))) console.log(`  ${ms.toFixed(2).padStart(7)} ms  ${desc}`);
await exe.dispose();
await session.dispose();

/**
 * Where the time of a training step (and of inference) goes on onnxruntime-node: builds the training graph with
 * the same recipe as `ssbench bench` (packages/runner/src/bench.ts), counts its nodes by op type, times the
 * parts of a step (dropout masks in JS, feeds, session.run, the whole TrainLoop step) and, with --profile,
 * runs the graph under onnxruntime's profiler and sums kernel time by op type and by node.
 *
 *   npx tsx bench/profile-ort.ts [config] [--threads 1] [--steps 20] [--profile] [--top 25] [--infer]
 *     [--opt all|extended|basic|disabled] [--spin] [--save-optimized]
 *
 * --infer also times (and profiles) the classification graph; --spin lets idle intra-op threads spin (the
 * backend's `spinning` option); --save-optimized writes onnxruntime's optimised models to /tmp/ssbench-opt-*.onnx.
 * The profile skips the first run; "by scope" groups nodes by the first part of their name (forward layers,
 * grad, adamw, updated.* = the last node of each parameter/moment update). Measurements only; nothing here is
 * imported by the packages.
 */
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpuUsage } from 'node:process';
import { Rng, type TokenizedCorpus } from '../packages/core/src/index';
import { GraphBuilder, type Graph, buildTrainingGraph, initParams, initialState, toOnnx, type Tensor } from '../packages/graph/src/index';
import { loadExperiment } from '../packages/runner/src/experiment';
import { classifierGraph } from '../packages/runner/src/finetune';
import { classificationBatch } from '../packages/runner/src/data';
import { TrainLoop, bindSymbols, dropoutMasks, resolveShape } from '../packages/runner/src/training';
import ortPlugin, { loadOrt } from '../plugins/backend-onnxruntime/src/plugin';

const argv = process.argv.slice(2);
const flag = (n: string) => argv.includes(`--${n}`);
const opt = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1] : d;
};
const config = argv[0] && !argv[0].startsWith('--') ? argv[0] : 'configs/quickstart.json';
const threads = Number(opt('threads', '1'));
const steps = Number(opt('steps', '20'));
const level = opt('opt', 'all') as 'all';

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

function countOps(g: Graph): string {
  const c = new Map<string, number>();
  for (const n of g.nodes) c.set(n.op, (c.get(n.op) ?? 0) + 1);
  return [...c.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
}

function med(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface ProfEvent { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string } }

/** Sums the profile's kernel times, skipping the first run (allocations, warm-up). */
function summariseProfile(file: string, describe: (node: string) => string = () => ''): void {
  const all = JSON.parse(readFileSync(file, 'utf8')) as ProfEvent[];
  const runsTs = all.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((x, y) => x.ts - y.ts);
  const cutoff = runsTs[0].ts + runsTs[0].dur;
  const events = all.filter((e) => e.ts >= cutoff);
  const runs = runsTs.length - 1;
  const byOp = new Map<string, { us: number; n: number }>();
  const byNode = new Map<string, { us: number; op: string }>();
  let runUs = 0;
  let kernelUs = 0;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') runUs += e.dur;
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    const o = byOp.get(op) ?? { us: 0, n: 0 };
    o.us += e.dur;
    o.n += 1;
    byOp.set(op, o);
    const node = e.name.replace(/_kernel_time$/, '');
    const nn = byNode.get(node) ?? { us: 0, op };
    nn.us += e.dur;
    byNode.set(node, nn);
    kernelUs += e.dur;
  }
  console.log(`profile: ${runs} runs, model_run ${(runUs / runs / 1000).toFixed(2)} ms/run, kernels ${(kernelUs / runs / 1000).toFixed(2)} ms/run, ${byNode.size} kernels`);
  console.log('by op type (ms per run, kernel launches per run, share):');
  for (const [op, v] of [...byOp.entries()].sort((a, b) => b[1].us - a[1].us))
    console.log(`  ${op.padEnd(28)} ${(v.us / runs / 1000).toFixed(3).padStart(8)} ms  ${String(v.n / runs).padStart(5)}  ${((100 * v.us) / kernelUs).toFixed(1)}%`);
  const byScope = new Map<string, number>();
  for (const [n, v] of byNode) {
    const scope = n.includes('/') ? n.split('/')[0] : n.startsWith('updated.') ? 'updated.*' : '(top)';
    byScope.set(scope, (byScope.get(scope) ?? 0) + v.us);
  }
  const scopeOp = new Map<string, number>();
  for (const [n, v] of byNode) {
    const scope = n.includes('/') ? n.split('/')[0] : '(top)';
    scopeOp.set(`${scope}:${v.op}`, (scopeOp.get(`${scope}:${v.op}`) ?? 0) + v.us);
  }
  console.log(`by scope and op: ${[...scopeOp.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `${k} ${(v / runs / 1000).toFixed(2)}`).join(', ')}`);
  console.log(`by scope: ${[...byScope.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / runs / 1000).toFixed(2)}`).join(', ')}`);
  console.log('top nodes:');
  for (const [n, v] of [...byNode.entries()].sort((a, b) => b[1].us - a[1].us).slice(0, Number(opt('top', '25'))))
    console.log(`  ${(v.us / runs / 1000).toFixed(3).padStart(8)} ms  ${v.op.padEnd(22)} ${n.padEnd(46)} ${describe(n)}`);
}

/** "MatMul [32,64,128] x [128,512]"-style description of the IR node an ORT node name came from. */
function describer(graph: Graph, dims: ReadonlyMap<string, number>): (node: string) => string {
  const byOut = new Map(graph.nodes.map((n) => [n.outputs[0], n]));
  const shapeOf = (v: string) => {
    const info = graph.values.get(v);
    if (!info) return '?';
    return `[${info.shape.map((d) => (typeof d === 'number' ? d : (() => { try { return resolveShape([d], dims)[0]; } catch { return d; } })())).join(',')}]`;
  };
  return (name) => {
    const base = name.replace(/\/(MatmulTransposeFusion|MatMulAddFusion|MatMulScaleFusion|Gelu.*|.*Fusion).*$/, '');
    const n = byOut.get(base);
    if (!n) return '';
    return `${n.op}(${n.inputs.filter(Boolean).map(shapeOf).join(', ')})${n.attrs.perm ? ` perm ${n.attrs.perm}` : ''}`;
  };
}

async function profileGraph(graph: Graph, feeds: Record<string, Tensor>[], label: string, dims: ReadonlyMap<string, number> = new Map()): Promise<void> {
  const ort = await loadOrt();
  const prefix = `/tmp/ssbench-prof-${label}`;
  const s = await ort.InferenceSession.create(toOnnx(graph, { valueInfo: false }), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: level,
    enableProfiling: true,
    extra: { session: { intra_op: { allow_spinning: flag('spin') ? '1' : '0' } } },
    profileFilePrefix: prefix,
    ...(flag('save-optimized') ? { optimizedModelFilePath: `/tmp/ssbench-opt-${label}.onnx` } : {}),
    logSeverityLevel: 3,
  });
  const wall: number[] = [];
  for (const f of feeds) {
    const o: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const i of graph.inputs) o[i.name] = new ort.Tensor(f[i.name].dtype, f[i.name].data, f[i.name].shape);
    const t = performance.now();
    await s.run(o);
    wall.push(performance.now() - t);
  }
  console.log(`session.run wall (JS side, profiled session): ${(wall.slice(1).reduce((a, b) => a + b, 0) / (wall.length - 1)).toFixed(2)} ms/run`);
  s.endProfiling(); // writes <prefix>_<date>.json (the JS API returns no file name)
  await s.release();
  const file = readdirSync('/tmp')
    .filter((f) => f.startsWith(`ssbench-prof-${label}_`) && f.endsWith('.json'))
    .map((f) => `/tmp/${f}`)
    .sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs)[0];
  if (!file) throw new Error('no profile file written');
  summariseProfile(file, describer(graph, dims));
  for (const f of readdirSync('/tmp')) if (f.startsWith(`ssbench-prof-${label}_`)) rmSync(`/tmp/${f}`);
}

async function main(): Promise<void> {
  const exp = await loadExperiment(config);
  const recipe = exp.pretraining[0];
  const model = exp.models[0];
  const objective = exp.objectives.get(recipe.id)?.[0];
  if (!objective) throw new Error('no objective');
  const vocabSize = recipe.tokenizer.vocabSize;
  const specialIds = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
  const instance = model.plugin.create(model.options, { vocabSize });
  const obj = objective.plugin.create(objective.options, { vocabSize, specialIds, seqLen: recipe.seqLen });
  const rng = new Rng(7);
  const corpus = syntheticCorpus(vocabSize, 5, rng);
  const b = new GraphBuilder('bench-train');
  const { loss, metrics } = obj.buildLoss(b, instance);
  const tg = buildTrainingGraph(b, loss, { lr: 1e-4, warmupSteps: 10, totalSteps: 1000, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'linear' }, metrics);
  const g = tg.graph;
  console.log(`training graph: ${g.nodes.length} nodes, ${g.inputs.length} inputs, ${g.outputs.length} outputs, ${g.initializers.size} initializers, ${b.dropouts.length} dropout masks`);
  console.log(`  ${countOps(g)}`);
  const batch = obj.batches(corpus, recipe.batchSize, rng.fork('data')).next().value;
  if (!batch) throw new Error('no batch');
  const dims = bindSymbols(g, batch);
  console.log(`  batch: ${JSON.stringify(Object.fromEntries(Object.entries(batch).map(([k, t]) => [k, t.shape])))}`);

  // Dropout masks in JS.
  const drng = new Rng(3);
  const maskMs: number[] = [];
  let maskCount = 0;
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    const m = dropoutMasks(b.dropouts, dims, drng);
    maskMs.push(performance.now() - t);
    maskCount = Object.values(m).reduce((s, x) => s + x.data.length, 0);
  }
  console.log(`dropout masks: ${maskCount} values, ${med(maskMs).toFixed(2)} ms (median of 10)`);

  const session = await ortPlugin.create({ executionProvider: 'cpu', threads, graphOptimizationLevel: level, spinning: flag('spin') });
  let t = performance.now();
  const exe = await session.compile(g, { threads });
  console.log(`compile ${(performance.now() - t).toFixed(0)} ms`);
  const weights = initParams(tg.params, rng.fork('init'));
  const loop = new TrainLoop(exe, tg, b.dropouts, { ...Object.fromEntries(weights), ...initialState(tg.params) }, rng.fork('dropout'));
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 3 + steps; i++) {
    const c0 = cpuUsage();
    const r = await loop.run(batch);
    const c = cpuUsage(c0);
    if (i >= 3) {
      wall.push(r.ms);
      cpu.push((c.user + c.system) / 1000);
    }
    if (i === 0 || i === 2 + steps) console.log(`  step ${i + 1}: loss ${r.loss.toFixed(5)}`);
  }
  console.log(`train step (TrainLoop, ${threads} thread(s), opt ${level}): median ${med(wall).toFixed(1)} ms wall, ${med(cpu).toFixed(1)} ms CPU; min ${Math.min(...wall).toFixed(1)} ms`);
  await exe.dispose();

  if (flag('profile')) {
    const state = { ...Object.fromEntries(weights), ...initialState(tg.params) };
    const feeds = Array.from({ length: 10 }, (_, i) => ({
      ...state,
      ...batch,
      ...dropoutMasks(b.dropouts, dims, drng),
      [tg.stepInput]: { dtype: 'float32' as const, shape: [], data: new Float32Array([i + 1]) },
    }));
    await profileGraph(g, feeds, 'train', dims);
  }

  if (flag('infer')) {
    const eb = classifierGraph(instance, 2, false).b;
    const eg = eb.build();
    console.log(`inference graph: ${eg.nodes.length} nodes; ${countOps(eg)}`);
    const ew = initParams(eb.params, rng.fork('init'), weights);
    const ids = batch.input_ids;
    const examples = Array.from({ length: ids.shape[0] }, (_, r) => ({
      ids: Array.from((ids.data as Int32Array).subarray(r * ids.shape[1], (r + 1) * ids.shape[1])),
      types: new Array(ids.shape[1]).fill(0),
      label: 0,
    }));
    const { labels: _l, ...f } = classificationBatch(examples, 0);
    const feeds = { ...Object.fromEntries(ew), ...f };
    const ee = await session.compile(eg, { threads });
    const it: number[] = [];
    for (let i = 0; i < 3 + steps; i++) {
      t = performance.now();
      await ee.run(feeds);
      if (i >= 3) it.push(performance.now() - t);
    }
    console.log(`inference: median ${med(it).toFixed(2)} ms, min ${Math.min(...it).toFixed(2)} ms`);
    await ee.dispose();
    if (flag('profile')) await profileGraph(eg, Array.from({ length: 10 }, () => feeds), 'infer');
  }
  await session.dispose();
}

await main();

/**
 * Times one BERT-style MLM training step (forward + backward + AdamW with clipping: `buildTrainingGraph`, one IR
 * graph) on tfjs, with a per-op profile.
 *
 *   cd /work/main && npx tsx plugins/backend-tfjs/bench/train-step.ts [--device wasm|cpu] [--batch 32] [--seq 64]
 *     [--hidden 128] [--layers 2] [--heads 2] [--vocab 1000] [--steps 5] [--profile] [--check]
 *
 * The model mirrors plugins/model-bert (post-LN encoder, Linear as x @ Transpose(W) + b with W [out, in], erf
 * GELU, tied MLM decoder over 15% of the positions) but is built here so that this backend package does not
 * depend on another plugin. `--check` compares the first step with the reference interpreter.
 */
import { type Graph, GraphBuilder, type Tensor, type Value, buildTrainingGraph, initialState, interpret, stepFeed, tensor } from '@ssbench/graph';
import * as tfjsModule from '@tensorflow/tfjs';
import * as wasmModule from '@tensorflow/tfjs-backend-wasm';
import { type Step, compileGraph, disposeCompiled, runCompiled } from '../src/executor';
import { strategyFor } from '../src/ops';
import { type TfjsExecutable, createSession } from '../src/plugin';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const device = arg('device', 'wasm') as 'wasm' | 'cpu';
const B = Number(arg('batch', '32'));
const S = Number(arg('seq', '64'));
const H = Number(arg('hidden', '128'));
const L = Number(arg('layers', '2'));
const NH = Number(arg('heads', '2'));
const V = Number(arg('vocab', '1000'));
const STEPS = Number(arg('steps', '5'));
const PROFILE = process.argv.includes('--profile');
const CHECK = process.argv.includes('--check');
/** --plain: the straightforward tfjs formulation of every op (strategy of an unknown backend), for comparison. */
const PLAIN = process.argv.includes('--plain');
const I = 4 * H;
const NPRED = Math.ceil(B * S * 0.15);

function buildStep(): { graph: Graph; params: { name: string; shape: number[] }[]; state: { input: string; output: string }[] } {
  const b = new GraphBuilder('bert-mlm-step');
  const param = (name: string, shape: number[]) => b.param(name, shape, { kind: 'normal', std: 0.02 });
  const ids = b.input('input_ids', 'int32', ['batch', 'seq']);
  const types = b.input('token_type_ids', 'int32', ['batch', 'seq']);
  const mask = b.input('attention_mask', 'float32', ['batch', 'seq']);
  const predPos = b.input('pred_positions', 'int32', ['npred']);
  const labels = b.input('pred_labels', 'int32', ['npred', 1]);

  const linear = (x: Value, p: string, i: number, o: number) => b.add(b.matmul(x, b.transpose(param(`${p}.weight`, [o, i]), [1, 0])), param(`${p}.bias`, [o]));
  const ln = (x: Value, p: string) => b.layerNorm(x, param(`${p}.weight`, [H]), param(`${p}.bias`, [H]), 1e-12);
  const gelu = (x: Value) => b.mul(b.mul(x, 0.5), b.add(b.erf(b.mul(x, Math.SQRT1_2)), 1));

  const wte = param('wte', [V, H]);
  const pos = b.slice(param('wpe', [512, H]), [0], [S], [0]); // [seq, H]
  let h = ln(b.add(b.add(b.gather(wte, ids), pos), b.gather(param('tte', [2, H]), types)), 'emb.ln'); // [batch, seq, H]
  const ext = b.mul(b.sub(1, b.unsqueeze(mask, [1, 2])), -10000); // [batch, 1, 1, seq]
  const dh = H / NH;
  for (let l = 0; l < L; l++) {
    const p = `l${l}`;
    const heads = (t: Value) => b.transpose(b.reshape(t, [0, 0, NH, dh]), [0, 2, 1, 3]); // [batch, nh, seq, dh]
    const q = heads(linear(h, `${p}.q`, H, H));
    const k = heads(linear(h, `${p}.k`, H, H));
    const v = heads(linear(h, `${p}.v`, H, H));
    const scores = b.add(b.mul(b.matmul(q, b.transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(dh)), ext); // [batch, nh, seq, seq]
    const ctx = b.reshape(b.transpose(b.matmul(b.softmax(scores, -1), v), [0, 2, 1, 3]), [0, 0, H]); // [batch, seq, H]
    const a = ln(b.add(linear(ctx, `${p}.o`, H, H), h), `${p}.ln1`);
    h = ln(b.add(linear(gelu(linear(a, `${p}.i`, H, I)), `${p}.f`, I, H), a), `${p}.ln2`);
  }
  const flat = b.reshape(h, [-1, H]); // [batch*seq, H]
  const sel = b.gather(flat, predPos); // [npred, H]
  const t = ln(gelu(linear(sel, 'mlm.dense', H, H)), 'mlm.ln');
  const logits = b.add(b.matmul(t, b.transpose(wte, [1, 0])), param('mlm.bias', [V])); // [npred, V]
  const logp = b.logSoftmax(logits, -1);
  const loss = b.neg(b.reduceMean(b.gatherElements(logp, labels, 1), [0, 1], false));
  const tg = buildTrainingGraph(b, loss, { lr: 1e-3, warmupSteps: 10, totalSteps: 1000, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'linear', clipNorm: 1 });
  return { graph: tg.graph, params: tg.params.map((p) => ({ name: p.name, shape: [...p.shape] })), state: tg.state };
}

function buildParamsSpec(params: { name: string; shape: number[] }[]) {
  return params.map((p) => ({ name: p.name, shape: p.shape, init: { kind: 'zeros' as const }, decay: true }));
}

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

async function main() {
  const { graph, params, state } = buildStep();
  const rnd = lcg(1);
  const feeds: Record<string, Tensor> = {};
  for (const p of params) {
    const n = p.shape.reduce((a, c) => a * c, 1);
    const d = new Float32Array(n);
    const ones = /ln\d?\.weight$/.test(p.name);
    for (let i = 0; i < n; i++) d[i] = ones ? 1 : p.name.endsWith('bias') ? 0 : (rnd() - 0.5) * 0.04;
    feeds[p.name] = tensor('float32', p.shape, d);
  }
  feeds.input_ids = tensor('int32', [B, S], Int32Array.from({ length: B * S }, () => Math.floor(rnd() * V)));
  feeds.token_type_ids = tensor('int32', [B, S], Int32Array.from({ length: B * S }, (_, i) => (i % S < S / 2 ? 0 : 1)));
  feeds.attention_mask = tensor('float32', [B, S], new Float32Array(B * S).fill(1));
  feeds.pred_positions = tensor('int32', [NPRED], Int32Array.from({ length: NPRED }, () => Math.floor(rnd() * B * S)));
  feeds.pred_labels = tensor('int32', [NPRED, 1], Int32Array.from({ length: NPRED }, () => Math.floor(rnd() * V)));
  Object.assign(feeds, initialState(buildParamsSpec(params)));
  feeds['optimizer.step'] = stepFeed(1);

  // Static imports handed to the loader, so that a bundle of this script (esbuild) carries tfjs with it.
  const importer = async (spec: string) => (spec === '@tensorflow/tfjs' ? tfjsModule : spec === '@tensorflow/tfjs-backend-wasm' ? wasmModule : import(spec));
  const session = await createSession({ device }, importer);
  const t0 = performance.now();
  let exe: Pick<TfjsExecutable, 'run' | 'runWithHooks' | 'stepCount' | 'dispose'> = await session.compile(graph);
  if (PLAIN) {
    await exe.dispose();
    const cg = compileGraph(session.tf, graph, strategyFor('plain'));
    exe = {
      run: async (feeds) => runCompiled(session.tf, graph, cg, feeds),
      runWithHooks: async (feeds, hooks) => runCompiled(session.tf, graph, cg, feeds, hooks),
      stepCount: cg.steps.length,
      dispose: async () => disposeCompiled(cg),
    };
  }
  const tCompile = performance.now() - t0;
  console.log(`${session.version}${PLAIN ? ' [plain kernels]' : ''}: graph ${graph.nodes.length} nodes, ${exe.stepCount} steps, compile ${tCompile.toFixed(1)} ms`);
  console.log(`model: batch ${B}, seq ${S}, hidden ${H}, layers ${L}, heads ${NH}, vocab ${V}, ${NPRED} predictions`);

  const times: number[] = [];
  let loss = 0;
  let cur = feeds;
  for (let s = 0; s < STEPS + 1; s++) {
    const a = performance.now();
    const out = await exe.run(cur);
    times.push(performance.now() - a);
    loss = (out.loss.data as Float32Array)[0];
    if (s === 0 && CHECK) {
      const t1 = performance.now();
      const ref = interpret(graph, cur);
      let worst = 0;
      for (const o of graph.outputs) {
        const x = out[o.name].data;
        const y = ref[o.name].data;
        for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(Number(x[i]) - Number(y[i])) / Math.max(1, Math.abs(Number(y[i]))));
      }
      console.log(`check vs interpreter (${(performance.now() - t1).toFixed(0)} ms): max relative diff over all outputs ${worst.toExponential(2)}`);
    }
    const next: Record<string, Tensor> = { ...cur, 'optimizer.step': stepFeed(s + 2) };
    for (const st of state) next[st.input] = out[st.output];
    cur = next;
    if (s === 0) console.log(`step 0 (warm-up): ${times[0].toFixed(1)} ms, loss ${loss.toFixed(4)}`);
  }
  const warm = times.slice(1).sort((x, y) => x - y);
  console.log(`steps 1..${STEPS}: median ${warm[Math.floor(warm.length / 2)].toFixed(1)} ms, min ${warm[0].toFixed(1)} ms, last loss ${loss.toFixed(4)}`);
  console.log(`tensors after runs: ${session.tf.memory().numTensors}, bytes ${session.memoryBytes?.()}`);

  if (PROFILE) {
    const byOp = new Map<string, { ms: number; n: number }>();
    const byNode: { step: Step; ms: number }[] = [];
    let t = 0;
    const reps = 3;
    for (let r = 0; r < reps; r++) {
      await exe.runWithHooks(cur, {
        beforeStep: () => {
          t = performance.now();
        },
        afterStep: (step) => {
          const ms = (performance.now() - t) / reps;
          const e = byOp.get(step.node.op) ?? { ms: 0, n: 0 };
          e.ms += ms;
          e.n += 1 / reps;
          byOp.set(step.node.op, e);
          if (r === 0) byNode[step.index] = { step, ms: 0 };
          byNode[step.index].ms += ms;
        },
      });
    }
    const total = [...byOp.values()].reduce((a, e) => a + e.ms, 0);
    console.log(`\nper op type (sum of node times ${total.toFixed(1)} ms):`);
    for (const [op, e] of [...byOp].sort((x, y) => y[1].ms - x[1].ms)) {
      console.log(`  ${op.padEnd(18)} ${e.ms.toFixed(2).padStart(8)} ms  ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  x${Math.round(e.n)}`);
    }
    console.log('\nslowest nodes:');
    for (const { step, ms } of [...byNode].sort((x, y) => y.ms - x.ms).slice(0, 25)) {
      const shapes = step.node.inputs.map((i) => (i ? `[${graph.values.get(i)?.shape.join(',') ?? '?'}]` : '-')).join(' ');
      console.log(`  ${ms.toFixed(2).padStart(7)} ms  #${step.index} ${step.node.op} ${JSON.stringify(step.node.attrs)} ${shapes}`);
    }
  }
  await exe.dispose();
  await session.dispose();
}

await main();

/**
 * Autoregressive generation with a key/value cache: one prefill graph run over the prompt, then one decode-step
 * graph run per new token, feeding back each layer's keys and values ([batch, heads, length, headDim]), so a step
 * costs O(current length) instead of re-running the whole prefix.
 *
 * Reference: Hugging Face transformers `generation/utils.py` (`_sample`: greedy when not sampling, else
 * softmax(logits / temperature) after `TopKLogitsWarper`, which keeps every logit >= the k-th largest) and the
 * `past_key_values` / `present` layout of GPT-2's ONNX export (optimum). openai/gpt-2 `src/sample.py`
 * (`sample_sequence`: `past` grows by concatenation along the sequence axis, `top_k_logits`).
 *
 * Scope: one prompt (batch 1), no padding. Sampling draws from ssbench's seeded `Rng`, so one seed gives the same
 * tokens on every backend as long as the backends' logits agree to within the sampling thresholds.
 */
import { type BackendSession, type Executable, Rng } from '@ssbench/core';
import { type Graph, type Tensor, tensor } from '@ssbench/graph';
import type { GptOptions } from './gpt';

export interface GenerateOptions {
  /** Tokens to generate (at most; generation stops early at a stop token). */
  maxNewTokens: number;
  /** 0 (the default): greedy argmax. Otherwise sample from softmax(logits / temperature). */
  temperature?: number;
  /** Sample only among the k highest logits (ties with the k-th kept); 0 or absent: no limit. */
  topK?: number;
  /** Seed of the sampling stream (default 0). */
  seed?: number;
  /** Stop after generating one of these ids (it is included in the output). */
  stopTokenIds?: readonly number[];
  /** Keep each step's next-token logits (a copy of [vocab] floats per step). Default false. */
  keepLogits?: boolean;
}

export interface GenerateResult {
  /** The generated ids (without the prompt). */
  tokens: number[];
  /** Per generated token, the logits it was chosen from (only with `keepLogits`). */
  logits: Float32Array[];
  /** Why generation ended. */
  finish: 'length' | 'stop';
}

/** What generation needs from the model (GptDecoder provides it). */
export interface CachedDecoder {
  readonly options: GptOptions;
  readonly vocabSize: number;
  prefillGraph(): Graph;
  decodeGraph(): Graph;
}

/** Graph names of the KV-cache inputs and outputs (those of HF's ONNX export of GPT-2). */
export const pastKeyName = (layer: number) => `past_key_values.${layer}.key`;
export const pastValueName = (layer: number) => `past_key_values.${layer}.value`;
export const presentKeyName = (layer: number) => `present.${layer}.key`;
export const presentValueName = (layer: number) => `present.${layer}.value`;

function fail(message: string): never {
  throw new Error(`@ssbench/model-gpt generate: ${message}`);
}

/**
 * The next token from one row of logits: argmax when temperature is 0 (lowest id on ties), else a draw from
 * softmax(logits / temperature) restricted to the topK largest (every logit equal to the k-th is kept, as HF does).
 */
export function pickToken(logits: ArrayLike<number>, options: { temperature?: number; topK?: number }, rng: { next(): number }): number {
  const temperature = options.temperature ?? 0;
  const V = logits.length;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let threshold = Number.NEGATIVE_INFINITY;
  const k = options.topK ?? 0;
  if (k > 0 && k < V) threshold = Float64Array.from(logits).sort().reverse()[k - 1];
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < V; i++) if (logits[i] >= threshold && logits[i] > max) max = logits[i];
  const p = new Float64Array(V);
  let z = 0;
  for (let i = 0; i < V; i++) if (logits[i] >= threshold) z += p[i] = Math.exp((logits[i] - max) / temperature);
  let u = rng.next() * z;
  let last = 0;
  for (let i = 0; i < V; i++) {
    if (p[i] === 0) continue;
    last = i;
    u -= p[i];
    if (u < 0) return i;
  }
  return last; // rounding: u landed on the total
}

function checkOptions(model: CachedDecoder, promptIds: readonly number[], o: GenerateOptions): void {
  if (promptIds.length === 0) fail('the prompt is empty (GPT-2 needs at least one token, e.g. <|endoftext|>)');
  for (const id of promptIds) if (!Number.isInteger(id) || id < 0 || id >= model.vocabSize) fail(`prompt id ${id} is outside the vocabulary [0, ${model.vocabSize})`);
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1) fail(`maxNewTokens must be a positive integer, got ${o.maxNewTokens}`);
  const t = o.temperature ?? 0;
  if (!(t >= 0) || !Number.isFinite(t)) fail(`temperature must be a finite number >= 0, got ${o.temperature}`);
  const k = o.topK ?? 0;
  if (!Number.isInteger(k) || k < 0) fail(`topK must be a non-negative integer, got ${o.topK}`);
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) fail(`seed must be a safe integer, got ${o.seed}`);
  // The last generated token is never fed back, so positions run up to prompt + maxNewTokens - 2.
  const P = model.options.nPositions;
  if (promptIds.length + o.maxNewTokens - 1 > P)
    fail(`prompt (${promptIds.length} tokens) + maxNewTokens (${o.maxNewTokens}) - 1 exceeds nPositions ${P}`);
}

/** Feeds of an executable's parameter inputs from `weights`; names the first missing one. */
function weightFeeds(exe: Executable, weights: ReadonlyMap<string, Tensor>, skip: (name: string) => boolean): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const name of exe.inputNames) {
    if (skip(name)) continue;
    const t = weights.get(name);
    if (!t) fail(`no weight "${name}" (the graph needs every transformer.* parameter)`);
    out[name] = t;
  }
  return out;
}

/** KV-cache generation for one prompt: see the file header. Compiles both graphs on `session` and disposes them. */
export async function generateWithCache(
  model: CachedDecoder,
  session: BackendSession,
  weights: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>,
  promptIds: readonly number[],
  options: GenerateOptions,
): Promise<GenerateResult> {
  checkOptions(model, promptIds, options);
  const w = weights instanceof Map ? (weights as ReadonlyMap<string, Tensor>) : new Map(Object.entries(weights as Record<string, Tensor>));
  const L = model.options.nLayer;
  const rng = new Rng(options.seed ?? 0);
  const stops = new Set(options.stopTokenIds ?? []);
  const isCache = (n: string) => n.startsWith('past_key_values.');
  const prefill = await session.compile(model.prefillGraph());
  let decode: Executable | undefined;
  try {
    decode = await session.compile(model.decodeGraph());
    const prefillWeights = weightFeeds(prefill, w, (n) => n === 'input_ids');
    const decodeWeights = weightFeeds(decode, w, (n) => n === 'input_ids' || isCache(n));
    let out = await prefill.run({ ...prefillWeights, input_ids: tensor('int32', [1, promptIds.length], promptIds) });
    const tokens: number[] = [];
    const kept: Float32Array[] = [];
    for (;;) {
      const logits = out.logits;
      if (logits?.shape.length !== 2 || logits.shape[1] !== model.vocabSize) fail(`the backend returned logits [${logits?.shape.join(', ')}], expected [1, ${model.vocabSize}]`);
      const row = logits.data as Float32Array;
      if (options.keepLogits) kept.push(Float32Array.from(row));
      const next = pickToken(row, options, rng);
      tokens.push(next);
      if (stops.has(next)) return { tokens, logits: kept, finish: 'stop' };
      if (tokens.length >= options.maxNewTokens) return { tokens, logits: kept, finish: 'length' };
      const feeds: Record<string, Tensor> = { ...decodeWeights, input_ids: tensor('int32', [1, 1], [next]) };
      for (let i = 0; i < L; i++) {
        feeds[pastKeyName(i)] = out[presentKeyName(i)];
        feeds[pastValueName(i)] = out[presentValueName(i)];
      }
      out = await decode.run(feeds);
    }
  } finally {
    await decode?.dispose();
    await prefill.dispose();
  }
}

/**
 * Greedy generation with a BART model: the encoder runs once over the source, then the decoder runs once per new
 * token over the whole prefix generated so far and the next token is the argmax of the last position's logits.
 *
 * No key/value cache: every step re-runs the decoder over the full prefix (O(T^2) decoder work for T tokens instead
 * of O(T)), which keeps one decoder graph for training, scoring and generation; fine for evaluation-sized outputs.
 *
 * Reference: Hugging Face transformers `generation/utils.py` (greedy search: argmax of the last position's logits;
 * encoder-decoder models start the decoder with `decoder_start_token_id`, EOS for BART; finished rows are padded with
 * the pad id until every row is done).
 */
import { type Graph, GraphBuilder, type Tensor, tensor } from '@ssbench/graph';
import type { BartModel } from './bart';

/** What generation needs from a backend (a `BackendSession` from @ssbench/core fits). */
export interface GenerationSession {
  compile(graph: Graph): Promise<{ run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>; dispose(): Promise<void> }>;
}

export interface GreedyOptions {
  /** Tokens to generate per row (at most; a row stops at EOS, which is included in its output). */
  maxNewTokens: number;
  /** The decoder's first input token (BART: EOS, as in training where the decoder input is the target shifted right). */
  decoderStartId: number;
  eosId: number;
  /** Pads the sources to one length and fills finished rows. */
  padId: number;
}

export interface GreedyResult {
  /** Per source row, the generated ids (without the start token). */
  tokens: number[][];
  /** Per row: 'stop' when it produced EOS, 'length' when maxNewTokens ran out. */
  finish: ('stop' | 'length')[];
}

function fail(message: string): never {
  throw new Error(`@ssbench/model-seq2seq generate: ${message}`);
}

/** Inference encoder: inputs `input_ids` [batch, src] int32, `attention_mask` [batch, src]; output `memory` [batch, src, H]. */
export function encoderGraph(model: BartModel): Graph {
  const b = new GraphBuilder('bart-encoder');
  const inputIds = b.input('input_ids', 'int32', ['batch', 'src']);
  const attentionMask = b.input('attention_mask', 'float32', ['batch', 'src']);
  b.output('memory', model.encode(b, { inputIds, attentionMask }, { training: false }).memory);
  return b.build();
}

/**
 * Inference decoder step: inputs `decoder_input_ids` / `decoder_attention_mask` [batch, tgt], `memory` [batch, src,
 * H] and `attention_mask` [batch, src]; output `logits` [batch, V] of the last decoder position.
 */
export function decoderStepGraph(model: BartModel): Graph {
  const H = model.hidden;
  const b = new GraphBuilder('bart-decoder-step');
  const decoderInputIds = b.input('decoder_input_ids', 'int32', ['batch', 'tgt']);
  const decoderAttentionMask = b.input('decoder_attention_mask', 'float32', ['batch', 'tgt']);
  const memory = b.input('memory', 'float32', ['batch', 'src', H]);
  const memoryMask = b.input('attention_mask', 'float32', ['batch', 'src']);
  const fo = { training: false };
  const { sequence } = model.decode(b, { decoderInputIds, decoderAttentionMask, memory, memoryMask }, fo); // [batch, tgt, H]
  const last = b.sub(b.slice(b.shapeOf(decoderInputIds), [1], [2], [0]), b.constant(tensor('int64', [1], [1]), 'one')); // [1] int64 (= tgt - 1)
  const rows = b.reshape(b.gather(sequence, last, 1), [-1, H]); // [batch, tgt, H] at [1] -> [batch, 1, H] -> [batch, H]
  b.output('logits', model.lmLogits(b, rows, fo)); // [batch, V]
  return b.build();
}

/** The feeds a graph takes from `weights` (its parameter inputs), checked to be present. */
function weightFeeds(graph: Graph, weights: ReadonlyMap<string, Tensor>, skip: ReadonlySet<string>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const v of graph.inputs) {
    if (skip.has(v.name)) continue;
    const t = weights.get(v.name);
    if (!t) fail(`missing weight ${v.name}`);
    out[v.name] = t;
  }
  return out;
}

/**
 * Greedy decoding of every source row (token id lists, unpadded, of any lengths) on `session`. The two graphs are
 * compiled once (symbolic batch and lengths) and disposed at the end.
 */
export async function greedyGenerate(
  model: BartModel,
  session: GenerationSession,
  weights: ReadonlyMap<string, Tensor>,
  sources: readonly (readonly number[])[],
  options: GreedyOptions,
): Promise<GreedyResult> {
  const { maxNewTokens, decoderStartId, eosId, padId } = options;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) fail(`maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
  if (sources.length === 0) fail('no source rows');
  const B = sources.length;
  const S = Math.max(...sources.map((s) => s.length));
  if (S === 0) fail('every source row is empty');
  const maxPositions = model.options.maxPositions;
  if (S > maxPositions) fail(`source length ${S} exceeds maxPositions ${maxPositions}`);
  if (1 + maxNewTokens > maxPositions) fail(`1 + maxNewTokens (${1 + maxNewTokens}) exceeds maxPositions ${maxPositions}`);
  const ids = new Int32Array(B * S).fill(padId);
  const mask = new Float32Array(B * S);
  sources.forEach((s, r) => {
    if (s.length === 0) fail(`source row ${r} is empty`);
    ids.set(s, r * S);
    mask.fill(1, r * S, r * S + s.length);
  });
  const attentionMask = tensor('float32', [B, S], mask);

  const encGraph = encoderGraph(model);
  const decGraph = decoderStepGraph(model);
  const enc = await session.compile(encGraph);
  const dec = await session.compile(decGraph);
  try {
    const encFeeds = weightFeeds(encGraph, weights, new Set(['input_ids', 'attention_mask']));
    const { memory } = await enc.run({ ...encFeeds, input_ids: tensor('int32', [B, S], ids), attention_mask: attentionMask });
    const decFeeds = weightFeeds(decGraph, weights, new Set(['decoder_input_ids', 'decoder_attention_mask', 'memory', 'attention_mask']));
    const prefix: number[][] = sources.map(() => [decoderStartId]);
    const finish: ('stop' | 'length')[] = sources.map(() => 'length');
    const done = sources.map(() => false);
    const V = model.vocabSize;
    for (let step = 0; step < maxNewTokens && done.some((d) => !d); step++) {
      const T = step + 1;
      const out = await dec.run({
        ...decFeeds,
        decoder_input_ids: tensor('int32', [B, T], Int32Array.from(prefix.flat())),
        decoder_attention_mask: tensor('float32', [B, T], new Float32Array(B * T).fill(1)),
        memory,
        attention_mask: attentionMask,
      });
      const logits = out.logits.data as Float32Array; // [B, V]
      for (let r = 0; r < B; r++) {
        if (done[r]) {
          prefix[r].push(padId);
          continue;
        }
        let best = 0;
        for (let v = 1; v < V; v++) if (logits[r * V + v] > logits[r * V + best]) best = v;
        prefix[r].push(best);
        if (best === eosId) {
          done[r] = true;
          finish[r] = 'stop';
        }
      }
    }
    const tokens = prefix.map((p, r) => {
      const gen = p.slice(1);
      return finish[r] === 'stop' ? gen.slice(0, gen.indexOf(eosId) + 1) : gen;
    });
    return { tokens, finish };
  } finally {
    await enc.dispose();
    await dec.dispose();
  }
}

/**
 * The probe cells of an experiment: for every encoder model, pretrained (each recipe) and from scratch, on the
 * reference backend, the representation probes the config asks for (`probes.crossLingual`, `probes.contextual`).
 * Pure plumbing around probes.ts: load the data, tokenise, run the hidden-states graph, summarise per layer.
 */
import type { BackendSession, ModelInstance, ProbesConfig } from '@ssbench/core';
import { Rng } from '@ssbench/core';
import { loadHandbookPairs } from '@ssbench/corpora';
import { GraphBuilder, type Tensor, initParams } from '@ssbench/graph';
import {
  type CrossLingualLayerResult,
  contextualSimilarity,
  contextualWordVectors,
  crossLingualProbe,
  probeSentences,
  senseSeparation,
  sentenceVectors,
  splitProbePairs,
  wrapSequence,
} from './probes';
import type { TextTokenizer } from './tokenizer';

export interface ContextualWordResult {
  word: string;
  /** The sentences' senses, in the order of the matrix rows. */
  senses: string[];
  sentences: string[];
  /** Cosine similarity matrix of the word's vectors at the last layer. */
  similarity: number[][];
  /** Per layer (0 = embeddings): mean same-sense minus mean cross-sense cosine. */
  separation: { layer: number; within: number; across: number; separation: number }[];
}

export interface ProbeOutput {
  crossLingual?: { source: string; target: string; pairs: number; evaluated: number; layers: CrossLingualLayerResult[] };
  contextual?: ContextualWordResult[];
}

/** Random weights of a model, as a from-scratch fine-tuning cell starts (same init, seeded). */
export function randomWeights(model: ModelInstance, seed: number): Map<string, Tensor> {
  const b = new GraphBuilder('init');
  model.forward(
    b,
    {
      inputIds: b.input('input_ids', 'int32', ['batch', 'seq']),
      tokenTypeIds: b.input('token_type_ids', 'int32', ['batch', 'seq']),
      attentionMask: b.input('attention_mask', 'float32', ['batch', 'seq']),
    },
    { training: false },
  );
  return initParams(b.params, new Rng(seed).fork('init'));
}

export async function runProbes(input: {
  settings: ProbesConfig;
  model: ModelInstance;
  weights: ReadonlyMap<string, Tensor>;
  tokenizer: TextTokenizer;
  session: BackendSession;
  dataDir: string;
  seed: number;
  maxPositions: number;
  onProgress?: (what: string) => void;
}): Promise<ProbeOutput> {
  const { settings, model, weights, tokenizer, session } = input;
  const sp = tokenizer.specialIds;
  const out: ProbeOutput = {};
  if (settings.crossLingual) {
    const { source, target, evaluate, maxTokens } = settings.crossLingual;
    const aligned = loadHandbookPairs({ source, target, dataDir: input.dataDir });
    const pairs = aligned.pairs;
    if (pairs.length <= evaluate) throw new Error(`probes.crossLingual: ${pairs.length} aligned pairs, need more than evaluate = ${evaluate}`);
    const maxLen = Math.min(maxTokens, input.maxPositions);
    const encode = (texts: string[]) => texts.map((t) => wrapSequence(tokenizer.encode(t).ids, sp, maxLen));
    input.onProgress?.(`cross-lingual probe: ${pairs.length} ${source}/${target} pairs`);
    const src = await sentenceVectors({ session, model, weights, sequences: encode(pairs.map((p) => p.source)), pad: sp.pad, batchSize: 32 });
    const tgt = await sentenceVectors({ session, model, weights, sequences: encode(pairs.map((p) => p.target)), pad: sp.pad, batchSize: 32 });
    const split = splitProbePairs(pairs.length, evaluate, input.seed);
    out.crossLingual = { source: aligned.sourceLang, target: aligned.targetLang, pairs: pairs.length, evaluated: evaluate, layers: crossLingualProbe(src, tgt, split) };
  }
  if (settings.contextual) {
    const all = probeSentences();
    const words = settings.contextual.words ?? [...new Set(all.map((s) => s.word))];
    out.contextual = [];
    for (const word of words) {
      // Sentences longer than the model's positions (with [CLS] and [SEP]) are left out.
      const items = all.filter((s) => s.word === word && tokenizer.encode(s.text).ids.length + 2 <= input.maxPositions);
      if (items.length === 0) throw new Error(
          `probes.contextual: no probe sentences for "${word}" that fit ${input.maxPositions} positions (bundled words: ${[...new Set(all.map((s) => s.word))].join(', ')})`,
        );
      input.onProgress?.(`contextual probe: "${word}" in ${items.length} sentences`);
      const { vectors } = await contextualWordVectors({
        session,
        model,
        weights,
        pad: sp.pad,
        tokenizer,
        specialIds: sp,
        items: items.map((s) => ({ text: s.text, word: s.word })),
      });
      const senses = items.map((s) => s.sense);
      const separation = vectors.map((layer, l) => ({ layer: l, ...senseSeparation(contextualSimilarity(layer), senses) }));
      out.contextual.push({ word, senses, sentences: items.map((s) => s.text), similarity: contextualSimilarity(vectors[vectors.length - 1]), separation });
    }
  }
  return out;
}

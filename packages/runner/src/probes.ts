/**
 * Representation probes: what each layer of an encoder represents.
 *
 * - Cross-lingual (multilingual BERT; Pires, Schlinger & Garrette 2019, "How multilingual is Multilingual BERT?",
 *   ACL; Libovický, Rosa & Fraser 2020, "On the Language Neutrality of Pre-trained Multilingual Representations",
 *   Findings of EMNLP): per layer, sentence vectors are the mean of the hidden states over a sentence's tokens; the
 *   **language vector** is the mean of all target-language (Chinese) token states minus the mean of all
 *   source-language (English) ones; adding it to English sentence vectors should move them toward their
 *   translations, measured by retrieving the true translation among the candidates by cosine similarity
 *   (accuracy@1 and MRR), before and after. The language vector is fitted on pairs disjoint from the evaluated
 *   ones.
 * - Contextual embeddings (Ethayarajh 2019, "How Contextual are Contextualized Word Representations?", EMNLP):
 *   the vectors of one word in different sentences (mean of its sub-tokens' states at a layer), their cosine
 *   matrix, and how much more similar same-sense occurrences are than different-sense ones.
 *
 * Conventions, chosen here and used throughout:
 * - Pooling excludes [CLS] and [SEP] by default (`skipSpecial`): they are the same tokens in every language and
 *   sentence and would pull all vectors together. Padding is never pooled.
 * - The language vector is token-level, as the reference notes state ("mean of all Chinese token embeddings minus
 *   mean of all English ones"): sentence means weighted by their token counts give exactly the mean over all
 *   tokens. (Pass no weights for the sentence-level variant.) Because a sentence vector is a mean of token states,
 *   adding the vector to every token of a sentence adds it to the sentence vector: the probe adds it to sentence
 *   vectors.
 * - Ranks count ties against the query (rank = 1 + number of other candidates at least as similar as the true
 *   one), so a degenerate model whose vectors are all equal scores the minimum, not the maximum.
 * - Cosine similarity with a zero vector is 0.
 *
 * Everything except `hiddenStatesGraph`/`runHiddenStates` and the two functions built on them is a pure function
 * over host float arrays (float64 accumulation).
 */
import type { BackendSession, ModelInstance } from '@ssbench/core';
import { Rng } from '@ssbench/core';
import { type Graph, GraphBuilder, type Tensor, tensor } from '@ssbench/graph';
import probeSentencesData from './probe-sentences.json' with { type: 'json' };

// ---- the hidden-states graph ------------------------------------------------------------------------------

/**
 * A forward graph whose outputs are every layer's hidden states: inputs `input_ids`, `token_type_ids` (int32) and
 * `attention_mask` (float32), all [batch, seq]; outputs `hidden.0` (embedding output) ... `hidden.L` (last layer),
 * each [batch, seq, hidden]. Throws when the model does not expose `hiddenStates`.
 */
export function hiddenStatesGraph(model: ModelInstance): { graph: Graph; layers: number } {
  const b = new GraphBuilder('hidden-states');
  const inputs = {
    inputIds: b.input('input_ids', 'int32', ['batch', 'seq']),
    tokenTypeIds: b.input('token_type_ids', 'int32', ['batch', 'seq']),
    attentionMask: b.input('attention_mask', 'float32', ['batch', 'seq']),
  };
  const out = model.forward(b, inputs, { training: false });
  const hs = out.hiddenStates;
  if (hs === undefined || hs.length === 0)
    throw new Error(`hiddenStatesGraph: the ${model.architecture} model does not expose per-layer hidden states (EncoderOutputs.hiddenStates)`);
  hs.forEach((v, l) => {
    b.output(`hidden.${l}`, v); // [batch, seq, hidden]
  });
  return { graph: b.build(), layers: hs.length };
}

/**
 * [CLS] ids [SEP], keeping the first `maxLen - 2` ids so the sequence fits the model (BERT's learned positions end
 * at maxPositions: sequences longer than that fail at run time).
 */
export function wrapSequence(ids: readonly number[], special: { cls: number; sep: number }, maxLen: number): number[] {
  if (!Number.isInteger(maxLen) || maxLen < 3) throw new RangeError(`wrapSequence: maxLen must be an integer >= 3, got ${maxLen}`);
  return [special.cls, ...ids.slice(0, maxLen - 2), special.sep];
}

/** One batch of `runHiddenStates`: which sequences it holds (in row order) and every layer's states. */
export interface HiddenStatesBatch {
  /** Index into `sequences` of each row. */
  readonly indices: readonly number[];
  /** Per layer (0 = embeddings): [rows, seq, hidden] float32. */
  readonly layers: readonly Tensor[];
  /** [rows, seq] float32: 1 at real tokens, 0 at padding. */
  readonly mask: Tensor;
}

export interface RunHiddenStatesOptions {
  readonly session: BackendSession;
  readonly model: ModelInstance;
  /** Parameter values by name (a checkpoint may hold more, e.g. pretraining heads: only the graph's are fed). */
  readonly weights: ReadonlyMap<string, Tensor>;
  /**
   * Token ids, already wrapped in the model's special tokens ([CLS] ... [SEP], see {@link wrapSequence}) and no
   * longer than the model's positions; token types are all 0.
   */
  readonly sequences: readonly (readonly number[])[];
  readonly pad: number;
  /** Rows per run (default 16). Sequences are batched by length to cut padding. */
  readonly batchSize?: number;
  readonly onBatch: (batch: HiddenStatesBatch) => void;
}

/**
 * Builds {@link hiddenStatesGraph}, compiles it on `session`, runs every sequence through it and hands each batch
 * to `onBatch` (the executable is disposed at the end). Returns the number of layers (L + 1) and the hidden width.
 */
export async function runHiddenStates(options: RunHiddenStatesOptions): Promise<{ layers: number; hidden: number }> {
  const { session, model, weights, sequences, pad } = options;
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`runHiddenStates: batchSize must be a positive integer, got ${batchSize}`);
  sequences.forEach((s, i) => {
    if (s.length === 0) throw new RangeError(`runHiddenStates: sequence ${i} is empty`);
  });
  const { graph, layers } = hiddenStatesGraph(model);
  const feedsW: Record<string, Tensor> = {};
  for (const input of graph.inputs) {
    if (input.name === 'input_ids' || input.name === 'token_type_ids' || input.name === 'attention_mask') continue;
    const w = weights.get(input.name);
    if (w === undefined) throw new Error(`runHiddenStates: no weight for the model parameter "${input.name}"`);
    feedsW[input.name] = w;
  }
  const exe = await session.compile(graph);
  let hidden = model.hidden;
  try {
    // Longest first, so the first batch is the largest allocation; ties by index (deterministic).
    const order = sequences.map((_, i) => i).sort((a, b) => sequences[b].length - sequences[a].length || a - b);
    for (let start = 0; start < order.length; start += batchSize) {
      const indices = order.slice(start, start + batchSize);
      const rows = indices.length;
      const seq = Math.max(...indices.map((i) => sequences[i].length));
      const ids = new Int32Array(rows * seq).fill(pad);
      const mask = new Float32Array(rows * seq);
      indices.forEach((i, r) => {
        ids.set(sequences[i], r * seq);
        mask.fill(1, r * seq, r * seq + sequences[i].length);
      });
      const maskT = tensor('float32', [rows, seq], mask);
      const out = await exe.run({
        ...feedsW,
        input_ids: tensor('int32', [rows, seq], ids),
        token_type_ids: tensor('int32', [rows, seq], new Int32Array(rows * seq)),
        attention_mask: maskT,
      });
      const states = Array.from({ length: layers }, (_, l) => out[`hidden.${l}`]);
      hidden = states[0].shape[2];
      options.onBatch({ indices, layers: states, mask: maskT });
    }
  } finally {
    await exe.dispose();
  }
  return { layers, hidden };
}

// ---- pooling ------------------------------------------------------------------------------------------------

/**
 * Mean of each row's hidden states over its real tokens: hidden [batch, seq, H], mask [batch, seq] (1 real, 0
 * padding; real tokens first). `skipSpecial` (default true) leaves out each row's first and last real token
 * ([CLS] and [SEP]). Returns one vector per row and the number of tokens it averages; a row with nothing to pool
 * is an error.
 */
export function meanPooled(hidden: Tensor, mask: Tensor, options: { skipSpecial?: boolean } = {}): { vectors: Float32Array[]; counts: number[] } {
  if (hidden.shape.length !== 3) throw new RangeError(`meanPooled: hidden must be [batch, seq, hidden], got [${hidden.shape.join(', ')}]`);
  const [B, S, H] = hidden.shape;
  if (mask.shape.length !== 2 || mask.shape[0] !== B || mask.shape[1] !== S)
    throw new RangeError(`meanPooled: mask [${mask.shape.join(', ')}] does not match hidden [${hidden.shape.join(', ')}]`);
  const skip = options.skipSpecial ?? true;
  const h = hidden.data as Float32Array;
  const m = mask.data;
  const vectors: Float32Array[] = [];
  const counts: number[] = [];
  for (let r = 0; r < B; r++) {
    let first = -1;
    let last = -1;
    for (let s = 0; s < S; s++)
      if (Number(m[r * S + s]) !== 0) {
        if (first < 0) first = s;
        last = s;
      }
    const from = skip ? first + 1 : first;
    const to = skip ? last - 1 : last; // inclusive
    if (first < 0 || to < from) throw new RangeError(`meanPooled: row ${r} has no token to pool (${first < 0 ? 'all padding' : 'only [CLS] and [SEP]'})`);
    const acc = new Float64Array(H);
    let n = 0;
    for (let s = from; s <= to; s++) {
      if (Number(m[r * S + s]) === 0) continue;
      const o = (r * S + s) * H;
      for (let c = 0; c < H; c++) acc[c] += h[o + c];
      n++;
    }
    vectors.push(Float32Array.from(acc, (x) => x / n));
    counts.push(n);
  }
  return { vectors, counts };
}

/** Sentence vectors of every layer: `vectors[layer][sentence]`, and the tokens pooled per sentence. */
export interface PooledLayers {
  readonly vectors: Float32Array[][];
  readonly counts: number[];
}

/** {@link runHiddenStates} + {@link meanPooled}: per-layer sentence vectors in the order of `sequences`. */
export async function sentenceVectors(options: Omit<RunHiddenStatesOptions, 'onBatch'> & { skipSpecial?: boolean }): Promise<PooledLayers> {
  const n = options.sequences.length;
  let vectors: Float32Array[][] = [];
  const counts = new Array<number>(n).fill(0);
  await runHiddenStates({
    ...options,
    onBatch: ({ indices, layers, mask }) => {
      if (vectors.length === 0) vectors = layers.map(() => new Array<Float32Array>(n));
      layers.forEach((t, l) => {
        const p = meanPooled(t, mask, { skipSpecial: options.skipSpecial });
        indices.forEach((i, r) => {
          vectors[l][i] = p.vectors[r];
          counts[i] = p.counts[r];
        });
      });
    },
  });
  return { vectors, counts };
}

// ---- language vector and translation retrieval -------------------------------------------------------------

function checkVectors(xs: readonly Float32Array[], what: string): number {
  if (xs.length === 0) throw new RangeError(`${what}: no vectors`);
  const d = xs[0].length;
  xs.forEach((x, i) => {
    if (x.length !== d) throw new RangeError(`${what}: vector ${i} has ${x.length} dimensions, vector 0 has ${d}`);
  });
  return d;
}

function weightedMean(xs: readonly Float32Array[], weights: readonly number[] | undefined, what: string): Float64Array {
  const d = checkVectors(xs, what);
  if (weights !== undefined && weights.length !== xs.length) throw new RangeError(`${what}: ${weights.length} weights for ${xs.length} vectors`);
  const acc = new Float64Array(d);
  let total = 0;
  xs.forEach((x, i) => {
    const w = weights === undefined ? 1 : weights[i];
    if (!(w >= 0)) throw new RangeError(`${what}: weight ${i} is ${w}`);
    for (let c = 0; c < d; c++) acc[c] += w * x[c];
    total += w;
  });
  if (total === 0) throw new RangeError(`${what}: the weights sum to 0`);
  return acc.map((x) => x / total);
}

/**
 * mean(target) - mean(source) for one layer. With `weights` (tokens per sentence, as `PooledLayers.counts`)
 * the sentence means are weighted by them, which is the token-level mean; without, the sentence-level one.
 */
export function languageVector(
  source: readonly Float32Array[],
  target: readonly Float32Array[],
  weights?: { source: readonly number[]; target: readonly number[] },
): Float32Array {
  const s = weightedMean(source, weights?.source, 'languageVector (source)');
  const t = weightedMean(target, weights?.target, 'languageVector (target)');
  if (s.length !== t.length) throw new RangeError(`languageVector: source vectors have ${s.length} dimensions, target ${t.length}`);
  return Float32Array.from(t, (x, c) => x - s[c]);
}

/** cos(a, b) in float64; 0 when either is the zero vector. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`cosine: ${a.length} vs ${b.length} dimensions`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export interface RetrievalResult {
  /** Share of queries whose true translation is the most similar candidate. */
  readonly accuracyAt1: number;
  /** Mean reciprocal rank of the true translation. */
  readonly mrr: number;
  /** Rank of each query's true translation (1 = best). */
  readonly ranks: number[];
}

/**
 * Retrieval of translations by cosine similarity: query i's true translation is candidate i (so there are as many
 * candidates as queries). `shift` is added to every query first (the language vector).
 */
export function translationRetrieval(queries: readonly Float32Array[], candidates: readonly Float32Array[], options: { shift?: Float32Array } = {}): RetrievalResult {
  if (queries.length !== candidates.length) throw new RangeError(`translationRetrieval: ${queries.length} queries but ${candidates.length} candidates (candidate i translates query i)`);
  const d = checkVectors(queries, 'translationRetrieval (queries)');
  if (checkVectors(candidates, 'translationRetrieval (candidates)') !== d) throw new RangeError('translationRetrieval: queries and candidates differ in dimension');
  if (options.shift !== undefined && options.shift.length !== d) throw new RangeError(`translationRetrieval: shift has ${options.shift.length} dimensions, vectors ${d}`);
  const shift = options.shift;
  const ranks = queries.map((q0, i) => {
    const q = shift ? Float32Array.from(q0, (x, c) => x + shift[c]) : q0;
    const sims = candidates.map((c) => cosine(q, c));
    let rank = 1;
    sims.forEach((s, j) => {
      if (j !== i && s >= sims[i]) rank++;
    });
    return rank;
  });
  return {
    accuracyAt1: ranks.filter((r) => r === 1).length / ranks.length,
    mrr: ranks.reduce((a, r) => a + 1 / r, 0) / ranks.length,
    ranks,
  };
}

/** A seeded split of n pair indices into `fit` (for the language vector) and `evaluate` (retrieval), disjoint. */
export function splitProbePairs(n: number, evaluate: number, seed: number): { fit: number[]; evaluate: number[] } {
  if (!Number.isInteger(evaluate) || evaluate < 1 || evaluate >= n) throw new RangeError(`splitProbePairs: evaluate must be in [1, ${n - 1}], got ${evaluate}`);
  const order = new Rng(seed).fork('probes/pairs').permutation(n);
  return { evaluate: order.slice(0, evaluate).sort((a, b) => a - b), fit: order.slice(evaluate).sort((a, b) => a - b) };
}

export interface CrossLingualLayerResult {
  /** 0 = embedding output, L = last layer. */
  readonly layer: number;
  /** Retrieval of the target sentence from the source sentence as it is ... */
  readonly before: Omit<RetrievalResult, 'ranks'>;
  /** ... and with the language vector (fitted on the `fit` pairs) added. */
  readonly after: Omit<RetrievalResult, 'ranks'>;
  /** Euclidean norm of the language vector, and the mean norm of the evaluated source vectors (for scale). */
  readonly vectorNorm: number;
  readonly meanSourceNorm: number;
}

/**
 * The language-vector probe on aligned pairs: `source.vectors[l][i]` and `target.vectors[l][i]` are sentence i in
 * the two languages. Per layer, the language vector is fitted on `split.fit` (token-level unless
 * `tokenWeighted: false`) and retrieval is measured on `split.evaluate` (candidates: the evaluated targets).
 */
export function crossLingualProbe(
  source: PooledLayers,
  target: PooledLayers,
  split: { fit: readonly number[]; evaluate: readonly number[] },
  options: { tokenWeighted?: boolean } = {},
): CrossLingualLayerResult[] {
  if (source.vectors.length !== target.vectors.length)
    throw new RangeError(`crossLingualProbe: ${source.vectors.length} source layers vs ${target.vectors.length} target layers`);
  const n = source.counts.length;
  if (target.counts.length !== n) throw new RangeError(`crossLingualProbe: ${n} source sentences vs ${target.counts.length} target sentences`);
  const fitSet = new Set(split.fit);
  const overlap = split.evaluate.filter((i) => fitSet.has(i));
  if (overlap.length > 0) throw new RangeError(`crossLingualProbe: pairs ${overlap.slice(0, 5).join(', ')} are in both fit and evaluate`);
  for (const i of [...split.fit, ...split.evaluate]) if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`crossLingualProbe: pair index ${i} out of [0, ${n})`);
  const tokenWeighted = options.tokenWeighted ?? true;
  const pick = <T>(xs: readonly T[], idx: readonly number[]) => idx.map((i) => xs[i]);
  const strip = (r: RetrievalResult) => ({ accuracyAt1: r.accuracyAt1, mrr: r.mrr });
  const norm = (v: Float32Array) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return source.vectors.map((srcLayer, l) => {
    const tgtLayer = target.vectors[l];
    const v = languageVector(
      pick(srcLayer, split.fit),
      pick(tgtLayer, split.fit),
      tokenWeighted ? { source: pick(source.counts, split.fit), target: pick(target.counts, split.fit) } : undefined,
    );
    const q = pick(srcLayer, split.evaluate);
    const c = pick(tgtLayer, split.evaluate);
    return {
      layer: l,
      before: strip(translationRetrieval(q, c)),
      after: strip(translationRetrieval(q, c, { shift: v })),
      vectorNorm: norm(v),
      meanSourceNorm: q.reduce((a, x) => a + norm(x), 0) / q.length,
    };
  });
}

// ---- contextual embeddings ------------------------------------------------------------------------------------

/** The cosine similarity matrix of one word's contextual vectors (symmetric, 1 on the diagonal for non-zero vectors). */
export function contextualSimilarity(vectors: readonly Float32Array[]): number[][] {
  checkVectors(vectors, 'contextualSimilarity');
  return vectors.map((a, i) => vectors.map((b, j) => (i === j && a.some((x) => x !== 0) ? 1 : cosine(a, b))));
}

/**
 * Sense clustering of a similarity matrix: the mean similarity of pairs (i < j) with the same sense label, the
 * mean of pairs with different labels, and their difference (> 0: occurrences cluster by sense).
 */
export function senseSeparation(similarity: readonly (readonly number[])[], senses: readonly string[]): { within: number; across: number; separation: number } {
  const n = senses.length;
  if (similarity.length !== n || similarity.some((row) => row.length !== n)) throw new RangeError(`senseSeparation: the matrix is not ${n} x ${n}`);
  let within = 0;
  let nw = 0;
  let across = 0;
  let na = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      if (senses[i] === senses[j]) {
        within += similarity[i][j];
        nw++;
      } else {
        across += similarity[i][j];
        na++;
      }
    }
  if (nw === 0 || na === 0) throw new RangeError(`senseSeparation: needs two occurrences of one sense and two different senses (${nw} same-sense, ${na} cross-sense pairs)`);
  return { within: within / nw, across: across / na, separation: within / nw - across / na };
}

/** What the word finder needs from a tokenizer (the runner's TextTokenizer fits). */
export interface ProbeTokenizer {
  encode(text: string): { ids: number[]; wordStarts: boolean[] };
}

/**
 * The sub-token positions of the first whole-word occurrence of `word` in `sentence`'s encoding: the word's own
 * encoding must appear starting at a word start and be followed by a word start or the end. Forms tried, in
 * order: the word, " word" (byte-level BPE marks mid-sentence words by their leading space), and the same with a
 * capital first letter (cased vocabularies: "Apple", sentence-initial "Spring"). Throws when none occurs.
 */
export function findWordPieces(tokenizer: ProbeTokenizer, sentence: string, word: string): { ids: number[]; positions: number[] } {
  const enc = tokenizer.encode(sentence);
  const capital = word.charAt(0).toUpperCase() + word.slice(1);
  for (const form of [word, ` ${word}`, capital, ` ${capital}`]) {
    const w = tokenizer.encode(form).ids;
    if (w.length === 0) continue;
    for (let i = 0; i + w.length <= enc.ids.length; i++) {
      if (!enc.wordStarts[i]) continue;
      if (w.some((id, k) => enc.ids[i + k] !== id)) continue;
      const end = i + w.length;
      if (end < enc.ids.length && !enc.wordStarts[end]) continue;
      return { ids: enc.ids, positions: w.map((_, k) => i + k) };
    }
  }
  throw new Error(`findWordPieces: "${word}" does not occur as a whole word in "${sentence}"`);
}

export interface ContextualWordOptions extends Omit<RunHiddenStatesOptions, 'onBatch' | 'sequences'> {
  readonly tokenizer: ProbeTokenizer;
  readonly specialIds: { cls: number; sep: number };
  readonly items: readonly { text: string; word: string }[];
}

/**
 * Each item's word vector at every layer: the mean of its sub-tokens' hidden states, the sentence encoded as
 * [CLS] sentence [SEP]. Returns `vectors[layer][item]` and the sub-token positions (in the wrapped sequence).
 */
export async function contextualWordVectors(options: ContextualWordOptions): Promise<{ vectors: Float32Array[][]; positions: number[][] }> {
  const found = options.items.map((it) => findWordPieces(options.tokenizer, it.text, it.word));
  const sequences = found.map((f) => [options.specialIds.cls, ...f.ids, options.specialIds.sep]);
  const positions = found.map((f) => f.positions.map((p) => p + 1)); // +1: [CLS]
  const n = sequences.length;
  let vectors: Float32Array[][] = [];
  await runHiddenStates({
    ...options,
    sequences,
    onBatch: ({ indices, layers }) => {
      if (vectors.length === 0) vectors = layers.map(() => new Array<Float32Array>(n));
      layers.forEach((t, l) => {
        const [, S, H] = t.shape;
        const d = t.data as Float32Array;
        indices.forEach((i, r) => {
          const acc = new Float64Array(H);
          for (const p of positions[i]) for (let c = 0; c < H; c++) acc[c] += d[(r * S + p) * H + c];
          vectors[l][i] = Float32Array.from(acc, (x) => x / positions[i].length);
        });
      });
    },
  });
  return { vectors, positions };
}

// ---- the demo sentences ----------------------------------------------------------------------------------------

/** One sentence of the contextual-embedding demo: `word` occurs in `text` with the meaning `sense`. */
export interface ProbeSentence {
  readonly word: string;
  readonly sense: string;
  readonly text: string;
}

/**
 * The demo sentences of `probe-sentences.json` (written for ssbench): ambiguous English words (bank, apple, bat,
 * spring, ...) in several sentences per sense. Checked on load: every entry names its word, sense and text, and
 * every word has at least two senses with at least two sentences each.
 */
export function probeSentences(): ProbeSentence[] {
  const raw = (probeSentencesData as { sentences: unknown[] }).sentences;
  const out: ProbeSentence[] = raw.map((r, i) => {
    const e = r as Partial<ProbeSentence>;
    for (const k of ['word', 'sense', 'text'] as const)
      if (typeof e[k] !== 'string' || e[k].trim() === '') throw new Error(`probe-sentences.json: /sentences/${i}/${k} must be a non-empty string`);
    if (!new RegExp(`\\b${e.word}\\b`, 'i').test(e.text as string)) throw new Error(`probe-sentences.json: /sentences/${i}: "${e.word}" does not occur in "${e.text}"`);
    return { word: e.word as string, sense: e.sense as string, text: e.text as string };
  });
  for (const word of new Set(out.map((s) => s.word))) {
    const senses = new Map<string, number>();
    for (const s of out) if (s.word === word) senses.set(s.sense, (senses.get(s.sense) ?? 0) + 1);
    if (senses.size < 2 || [...senses.values()].some((c) => c < 2)) throw new Error(`probe-sentences.json: "${word}" needs two or more senses with two or more sentences each`);
  }
  return out;
}

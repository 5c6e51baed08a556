/**
 * BART's document corruptions as pure, seeded functions over one token id sequence `[BOS, ..., EOS]`: whole-word /
 * span masking (token masking, text infilling, token deletion), token insertion, sentence permutation and document
 * rotation. Each returns the corrupted `source`, the uncorrupted `target` and what a test needs to check it.
 *
 * References:
 *  - Lewis et al., "BART: Denoising Sequence-to-Sequence Pre-training for Natural Language Generation, Translation,
 *    and Comprehension" (ACL 2020), section 2.2 (the five noises) and 5.1 (the recipe).
 *  - fairseq `fairseq/data/denoising_dataset.py` (`DenoisingDataset`: `add_whole_word_mask`, `add_insertion_noise`,
 *    `permute_sentences`, `add_rolling_noise`), https://github.com/facebookresearch/fairseq.
 *
 * Semantics kept from fairseq:
 *  - Masking: the budget is ceil(#word starts * p); BOS and EOS are never word starts. 'span-poisson' draws span
 *    lengths (in words) from the truncated Poisson until they sum to at least the budget, trims the last one so they
 *    sum to exactly the budget, and turns zero-length spans into inserted tokens; 'subword' / 'word' use length-1
 *    spans. Span starts are distinct word starts drawn uniformly without replacement. A span starting at a word start
 *    covers that word and then runs on through continuation pieces and the next `length - 1` words, never into EOS.
 *    Spans may overlap one another (upstream does not prevent it). Each span is random (drawn from the given id range)
 *    with probability maskRandom, else <mask>. replace_length -1: every covered token is replaced; 0: covered tokens
 *    are deleted; 1: the span's first token is replaced and the rest deleted.
 *  - 'subword' ignores the word starts (fairseq passes no whole-word mask for it): every inner token is a unit.
 *  - Insertion: n = ceil(len * p) new tokens (len counting BOS/EOS) at n distinct positions of the result other than
 *    its first and last; exactly ceil(n * maskRandom) of them random, the rest <mask>.
 *  - Sentence permutation: ceil(n * p) of the n sentences are chosen and shuffled among their own slots.
 *  - Rotation: with probability p, the tokens between BOS and EOS are rotated to start at a random one.
 * Deviations, on purpose:
 *  - Counts use `ceilCount`, a ceil that ignores floating-point noise (10 * 0.3 = 3.0000000000000004 gives 3, not 4).
 *  - Zero-length spans insert exactly their count (fairseq re-derives it as ceil(len * (count / len)), which float
 *    error can push one higher). fairseq's "all spans have length 0" branch cannot be reached: the trimmed last span
 *    is always >= 1.
 *  - Random tokens come from a caller-given id range (fairseq: [1, len(vocab)), specials included).
 *  - Where spans overlap with replace_length -1, the later write wins (fairseq steps all spans in lockstep).
 *  - Sentence permutation takes the sentence boundaries as positions. fairseq finds them by looking for its
 *    full-stop token (EOS), which its own denoising task strips with StripTokenDataset; it then also overwrites the
 *    last real token with a pretend full stop, so in that setup every sequence is one "sentence" and nothing moves.
 *  - Rotation offsets are uniform over the n inner tokens (fairseq draws offset in [1, len - 1], where len - 1 and 1
 *    both give the identity, so the identity has twice the weight).
 */
import type { RandomSource } from '@ssbench/core';
import {
  checkNoiseContext,
  type DocumentRotationOptions,
  type NoiseContext,
  type ResolvedNoiseOptions,
  resolveNoiseOptions,
  type SentencePermutationOptions,
  type TextInfillingOptions,
  type TokenDeletionOptions,
  type TokenInsertionOptions,
  type TokenMaskingOptions,
  type WholeWordMaskOptions,
} from './options';
import { createPoissonSampler } from './poisson';

/** What every corruption returns. */
export interface NoiseResult {
  /** The corrupted sequence (encoder input); starts with BOS and ends with EOS. */
  readonly source: number[];
  /** The uncorrupted input (decoder target). */
  readonly target: number[];
  /**
   * For each source position, the input position it stands in for (kept, moved, or replaced in place), or -1 for an
   * inserted token. compose uses it to carry word starts and sentence boundaries through a chain of noises.
   */
  readonly origin: number[];
}

/** One masked span, in input positions. */
export interface MaskedSpan {
  /** The word start the span begins at. */
  readonly start: number;
  /** One past the last covered position (the span stops before EOS). */
  readonly end: number;
  /** Its length in words (units) as assigned; it covers fewer only when it reaches EOS. */
  readonly words: number;
  /** Replaced by random tokens instead of <mask> (irrelevant for deletion). */
  readonly random: boolean;
}

export interface MaskingResult extends NoiseResult {
  /** Word starts (units) in the input, BOS and EOS excluded. */
  readonly wordStartCount: number;
  /** ceil(wordStartCount * p): the words to mask, summed over spans (zero-length spans count 0). */
  readonly budget: number;
  /** The non-empty spans, in the order their lengths were drawn. Their `words` sum to `budget`. */
  readonly spans: MaskedSpan[];
  /** 'span-poisson': the lengths as drawn, up to and including the one that reached the budget (before trimming). */
  readonly sampledLengths: number[];
  /** Zero-length spans, each of which became one inserted token. */
  readonly insertions: number;
  /** Source positions of those inserted tokens, ascending. */
  readonly insertedPositions: number[];
  /** Input positions covered by some span (the union), ascending. */
  readonly maskedPositions: number[];
}

export interface InsertionResult extends NoiseResult {
  /** Source positions of the inserted tokens, ascending. */
  readonly insertedPositions: number[];
  /** How many of them are random tokens (the rest are <mask>). */
  readonly randomCount: number;
}

export interface PermutationResult extends NoiseResult {
  /** `ordering[k]` is the input sentence placed k-th. */
  readonly ordering: number[];
  /** Input sentences as [start, end) position pairs (the tail after the last given end is a sentence too). */
  readonly inputSentences: [number, number][];
  /** Exclusive end positions of the sentences in the source, ascending; the last is source.length - 1. */
  readonly sentenceEnds: number[];
}

export interface RotationResult extends NoiseResult {
  /** Whether the rotation was drawn (probability p); an offset of 1 is the identity either way. */
  readonly rotated: boolean;
  /** Input position of the token that now follows BOS (1 when not rotated). */
  readonly offset: number;
}

/** ceil(n * p), ignoring floating-point noise: a product within 1e-9 (relative) of an integer counts as that integer. */
export function ceilCount(n: number, p: number): number {
  const x = n * p;
  const r = Math.round(x);
  return Math.abs(x - r) <= 1e-9 * Math.max(1, Math.abs(x)) ? r : Math.ceil(x);
}

/** Throws unless `tokens` is `[BOS, ..., EOS]` of integer ids. */
export function checkSequence(tokens: readonly number[], ctx: NoiseContext, fn: string): void {
  checkNoiseContext(ctx, fn);
  if (!Array.isArray(tokens) || tokens.length < 2) {
    throw new Error(`${fn}: tokens must be an array of at least 2 ids (BOS ... EOS), got length ${tokens?.length}`);
  }
  if (tokens[0] !== ctx.bosId) throw new Error(`${fn}: tokens must start with BOS (id ${ctx.bosId}), got ${tokens[0]}`);
  const last = tokens[tokens.length - 1];
  if (last !== ctx.eosId) throw new Error(`${fn}: tokens must end with EOS (id ${ctx.eosId}), got ${last}`);
  for (let i = 0; i < tokens.length; i++) {
    if (!Number.isInteger(tokens[i])) throw new Error(`${fn}: tokens[${i}] is not an integer id: ${tokens[i]}`);
  }
}

/** The first k of a uniformly random permutation of 0..n-1 (partial Fisher-Yates). */
function sampleIndices(n: number, k: number, rng: RandomSource): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.slice(0, k);
}

function randomToken(ctx: NoiseContext, rng: RandomSource): number {
  return ctx.randomTokens.low + rng.int(ctx.randomTokens.high - ctx.randomTokens.low);
}

/** fairseq `add_insertion_noise` with an exact count n; `origin` maps `tokens` to the caller's input. */
function insertNoise(
  tokens: readonly number[],
  origin: readonly number[],
  n: number,
  maskRandom: number,
  ctx: NoiseContext,
  rng: RandomSource,
): { source: number[]; origin: number[]; insertedPositions: number[]; randomCount: number } {
  if (n === 0) return { source: [...tokens], origin: [...origin], insertedPositions: [], randomCount: 0 };
  const total = tokens.length + n;
  // n distinct positions among 1..total-2 (never the first or last slot of the result).
  const slots = sampleIndices(total - 2, n, rng).map((s) => s + 1);
  const randomCount = ceilCount(n, maskRandom);
  const source = new Array<number>(total).fill(-1);
  slots.forEach((s, k) => {
    source[s] = k < randomCount ? randomToken(ctx, rng) : ctx.maskId;
  });
  const outOrigin = new Array<number>(total).fill(-1);
  let j = 0;
  for (let i = 0; i < total; i++) {
    if (source[i] !== -1) continue;
    source[i] = tokens[j];
    outOrigin[i] = origin[j];
    j++;
  }
  // Inserted ids are never -1 (ids are checked non-negative), so the fill above only took free slots.
  return { source, origin: outOrigin, insertedPositions: slots.sort((a, b) => a - b), randomCount };
}

/** Word starts (units) of a sequence: never BOS or EOS; 'subword' or no wordStarts: every inner token. */
function unitStarts(tokens: readonly number[], wordStarts: readonly boolean[] | undefined, useWords: boolean, fn: string): Uint8Array {
  if (wordStarts !== undefined && wordStarts.length !== tokens.length) {
    throw new Error(`${fn}: wordStarts must have one entry per token (${tokens.length}), got ${wordStarts.length}`);
  }
  const isStart = new Uint8Array(tokens.length);
  for (let i = 1; i < tokens.length - 1; i++) isStart[i] = !useWords || wordStarts === undefined || wordStarts[i] ? 1 : 0;
  return isStart;
}

function identity(n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function maskSpans(
  fn: string,
  tokens: readonly number[],
  wordStarts: readonly boolean[] | undefined,
  o: ResolvedNoiseOptions<'wholeWordMask'>,
  ctx: NoiseContext,
  rng: RandomSource,
): MaskingResult {
  checkSequence(tokens, ctx, fn);
  const len = tokens.length;
  const last = len - 1;
  const isStart = unitStarts(tokens, wordStarts, o.maskLength !== 'subword', fn);
  const starts: number[] = [];
  for (let i = 1; i < last; i++) if (isStart[i]) starts.push(i);
  const budget = ceilCount(starts.length, o.p);
  const unchanged = (): MaskingResult => ({
    source: [...tokens],
    target: [...tokens],
    origin: identity(len),
    wordStartCount: starts.length,
    budget,
    spans: [],
    sampledLengths: [],
    insertions: 0,
    insertedPositions: [],
    maskedPositions: [],
  });
  if (budget === 0) return unchanged();

  // Span lengths in words, summing to exactly the budget.
  let lengths: number[];
  const sampledLengths: number[] = [];
  let insertions = 0;
  if (o.maskLength === 'span-poisson') {
    const sampler = createPoissonSampler(o.poissonLambda);
    let cum = 0;
    while (cum < budget) {
      const l = sampler.sample(rng);
      sampledLengths.push(l);
      cum += l;
    }
    const trimmed = [...sampledLengths];
    trimmed[trimmed.length - 1] -= cum - budget; // >= 1: the sum before it was < budget
    lengths = trimmed.filter((l) => l > 0);
    insertions = trimmed.length - lengths.length;
  } else {
    lengths = new Array<number>(budget).fill(1);
  }

  // Distinct span starts, one per span, in the order the lengths were drawn; each span random with p = maskRandom.
  const chosen = sampleIndices(starts.length, lengths.length, rng);
  const spans: MaskedSpan[] = lengths.map((words, j) => {
    const start = starts[chosen[j]];
    let remaining = words - 1;
    let end = start + 1;
    while (end < last) {
      if (isStart[end] && --remaining < 0) break;
      end++;
    }
    return { start, end, words, random: rng.next() < o.maskRandom };
  });

  const out = [...tokens];
  const keep = new Uint8Array(len).fill(1);
  const covered = new Uint8Array(len);
  const fill = (span: MaskedSpan): number => (span.random ? randomToken(ctx, rng) : ctx.maskId);
  for (const s of spans) covered.fill(1, s.start, s.end);
  if (o.replaceLength === 0) {
    for (const s of spans) keep.fill(0, s.start, s.end);
  } else {
    for (const s of spans) out[s.start] = fill(s); // every span's first token first, as fairseq
    for (const s of spans) {
      for (let i = s.start + 1; i < s.end; i++) {
        if (o.replaceLength === -1) out[i] = fill(s);
        else keep[i] = 0;
      }
    }
  }
  const kept: number[] = [];
  const keptOrigin: number[] = [];
  for (let i = 0; i < len; i++) {
    if (!keep[i]) continue;
    kept.push(out[i]);
    keptOrigin.push(i);
  }
  const ins = insertNoise(kept, keptOrigin, insertions, o.maskRandom, ctx, rng);
  const maskedPositions: number[] = [];
  for (let i = 0; i < len; i++) if (covered[i]) maskedPositions.push(i);
  return {
    source: ins.source,
    target: [...tokens],
    origin: ins.origin,
    wordStartCount: starts.length,
    budget,
    spans,
    sampledLengths,
    insertions,
    insertedPositions: ins.insertedPositions,
    maskedPositions,
  };
}

/**
 * fairseq `add_whole_word_mask` with every option (defaults: the BART-large recipe, i.e. text infilling).
 * `wordStarts` (one per token; false for "##" continuation pieces) defines the units unless maskLength is 'subword';
 * without it every token is a unit.
 */
export function wholeWordMask(
  tokens: readonly number[],
  wordStarts: readonly boolean[] | undefined,
  options: WholeWordMaskOptions,
  ctx: NoiseContext,
  rng: RandomSource,
): MaskingResult {
  return maskSpans('wholeWordMask', tokens, wordStarts, resolveNoiseOptions('wholeWordMask', options), ctx, rng);
}

/** BART token masking: each masked token -> <mask> (or a random token for a maskRandom fraction of spans). */
export function tokenMasking(
  tokens: readonly number[],
  wordStarts: readonly boolean[] | undefined,
  options: TokenMaskingOptions,
  ctx: NoiseContext,
  rng: RandomSource,
): MaskingResult {
  const o = resolveNoiseOptions('tokenMasking', options);
  return maskSpans('tokenMasking', tokens, wordStarts, { ...o, replaceLength: -1 }, ctx, rng);
}

/** BART text infilling: Poisson(lambda) spans of words, each -> a single <mask>; zero-length spans insert a <mask>. */
export function textInfilling(
  tokens: readonly number[],
  wordStarts: readonly boolean[] | undefined,
  options: TextInfillingOptions,
  ctx: NoiseContext,
  rng: RandomSource,
): MaskingResult {
  const o = resolveNoiseOptions('textInfilling', options);
  return maskSpans('textInfilling', tokens, wordStarts, { ...o, maskLength: 'span-poisson', replaceLength: 1 }, ctx, rng);
}

/** BART token deletion: masked tokens are removed. Zero-length 'span-poisson' spans still insert a <mask>. */
export function tokenDeletion(
  tokens: readonly number[],
  wordStarts: readonly boolean[] | undefined,
  options: TokenDeletionOptions,
  ctx: NoiseContext,
  rng: RandomSource,
): MaskingResult {
  const o = resolveNoiseOptions('tokenDeletion', options);
  return maskSpans('tokenDeletion', tokens, wordStarts, { ...o, replaceLength: 0, maskRandom: 0 }, ctx, rng);
}

/** fairseq `add_insertion_noise`: ceil(len * p) new tokens, ceil(n * maskRandom) of them random, the rest <mask>. */
export function tokenInsertion(
  tokens: readonly number[],
  options: TokenInsertionOptions,
  ctx: NoiseContext,
  rng: RandomSource,
): InsertionResult {
  const o = resolveNoiseOptions('tokenInsertion', options);
  checkSequence(tokens, ctx, 'tokenInsertion');
  const n = ceilCount(tokens.length, o.p);
  const ins = insertNoise(tokens, identity(tokens.length), n, o.maskRandom, ctx, rng);
  return { ...ins, target: [...tokens] };
}

/**
 * Sentences between BOS and EOS as [start, end) pairs from exclusive end positions (ascending, each in
 * [2, len - 1]); text after the last end, if any, is one more sentence.
 */
export function sentenceSpans(length: number, sentenceEnds: readonly number[], fn = 'sentenceSpans'): [number, number][] {
  const last = length - 1;
  const out: [number, number][] = [];
  let start = 1;
  for (const [k, end] of sentenceEnds.entries()) {
    if (!Number.isInteger(end) || end <= start || end > last) {
      throw new Error(
        `${fn}: sentenceEnds[${k}] = ${end} is not a valid exclusive end: ends must be integers, strictly increasing, after the previous end (${start}) and at most ${last} (the EOS position)`,
      );
    }
    out.push([start, end]);
    start = end;
  }
  if (start < last) out.push([start, last]);
  return out;
}

/**
 * BART sentence permutation: ceil(n * p) of the n sentences are shuffled among their own slots (p = 1: a uniformly
 * random permutation of all of them). BOS and EOS stay in place. `sentenceEnds`: exclusive end position of each
 * sentence in `tokens` (see {@link sentenceSpans}).
 */
export function sentencePermutation(
  tokens: readonly number[],
  sentenceEnds: readonly number[],
  options: SentencePermutationOptions,
  ctx: NoiseContext,
  rng: RandomSource,
): PermutationResult {
  const o = resolveNoiseOptions('sentencePermutation', options);
  checkSequence(tokens, ctx, 'sentencePermutation');
  const inputSentences = sentenceSpans(tokens.length, sentenceEnds, 'sentencePermutation');
  const n = inputSentences.length;
  const k = ceilCount(n, o.p);
  const ordering = identity(n);
  if (k > 0) {
    const chosen = sampleIndices(n, k, rng);
    const perm = sampleIndices(k, k, rng);
    for (let i = 0; i < k; i++) ordering[chosen[i]] = chosen[perm[i]];
  }
  const source = [tokens[0]];
  const origin = [0];
  const ends: number[] = [];
  for (const s of ordering) {
    const [a, b] = inputSentences[s];
    for (let i = a; i < b; i++) {
      source.push(tokens[i]);
      origin.push(i);
    }
    ends.push(source.length);
  }
  source.push(tokens[tokens.length - 1]);
  origin.push(tokens.length - 1);
  return { source, target: [...tokens], origin, ordering, inputSentences, sentenceEnds: ends };
}

/**
 * BART document rotation: with probability p, the tokens between BOS and EOS are rotated so that the one at input
 * position `offset` (uniform over the inner tokens) comes first. Recover the input with {@link undoRotation}.
 */
export function documentRotation(
  tokens: readonly number[],
  options: DocumentRotationOptions,
  ctx: NoiseContext,
  rng: RandomSource,
): RotationResult {
  const o = resolveNoiseOptions('documentRotation', options);
  checkSequence(tokens, ctx, 'documentRotation');
  const last = tokens.length - 1;
  const rotated = rng.next() < o.p;
  const offset = rotated && last > 1 ? 1 + rng.int(last - 1) : 1;
  const origin = [0];
  for (let i = offset; i < last; i++) origin.push(i);
  for (let i = 1; i < offset; i++) origin.push(i);
  origin.push(last);
  return { source: origin.map((i) => tokens[i]), target: [...tokens], origin, rotated, offset };
}

/** Inverse of {@link documentRotation}: the input, from the rotated sequence and the offset it returned. */
export function undoRotation(source: readonly number[], offset: number): number[] {
  const last = source.length - 1;
  if (!Number.isInteger(offset) || offset < 1 || (offset > last - 1 && offset !== 1)) {
    throw new Error(`undoRotation: offset must be an integer in [1, ${Math.max(1, last - 1)}], got ${offset}`);
  }
  const head = last - offset; // tokens offset..last-1 now sit at 1..head
  return [source[0], ...source.slice(1 + head, last), ...source.slice(1, 1 + head), source[last]];
}

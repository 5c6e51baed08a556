/**
 * Composition of seq2seq corruptions: a list of noises applied in the order given, each with its own options, on one
 * `[BOS, ..., EOS]` sequence; word starts and sentence boundaries are carried through each step.
 *
 * References:
 *  - Lewis et al. 2020 (BART), section 5.1: the best recipe combines text infilling and sentence permutation.
 *  - fairseq `fairseq/data/denoising_dataset.py`, `DenoisingDataset.__getitem__`: when several noises are on, the
 *    order is sentence permutation -> whole-word masking -> insertion -> rotation, and the target is the uncorrupted
 *    sequence. Here the caller's list order is used as given (pass fairseq's order to reproduce it).
 *  - Song et al. 2019 (MASS) and microsoft/MASS: MASS defines its own target (the fragment) and decoder input.
 *
 * Carrying state between steps: a token that stands for an input token (kept, moved or replaced in place) keeps that
 * token's word-start flag and sentence; an inserted token is a word start and belongs to the sentence of the token
 * before it (the one after it when it follows BOS). A sentence cut in two by a rotation becomes two sentences.
 */
import type { RandomSource } from '@ssbench/core';
import {
  checkSequence,
  documentRotation,
  type InsertionResult,
  type MaskingResult,
  type PermutationResult,
  type RotationResult,
  sentencePermutation,
  sentenceSpans,
  textInfilling,
  tokenDeletion,
  tokenInsertion,
  tokenMasking,
  wholeWordMask,
} from './denoising';
import { type MassResult, massMasking } from './mass';
import {
  checkNoiseKind,
  type DocumentRotationOptions,
  type MassOptions,
  type NoiseContext,
  type SentencePermutationOptions,
  type TextInfillingOptions,
  type TokenDeletionOptions,
  type TokenInsertionOptions,
  type TokenMaskingOptions,
  type WholeWordMaskOptions,
} from './options';

/** One entry of a composition: a noise kind (the function's name) and its options. */
export type NoiseSpec =
  | { readonly kind: 'wholeWordMask'; readonly options?: WholeWordMaskOptions }
  | { readonly kind: 'tokenMasking'; readonly options?: TokenMaskingOptions }
  | { readonly kind: 'textInfilling'; readonly options?: TextInfillingOptions }
  | { readonly kind: 'tokenDeletion'; readonly options?: TokenDeletionOptions }
  | { readonly kind: 'sentencePermutation'; readonly options?: SentencePermutationOptions }
  | { readonly kind: 'documentRotation'; readonly options?: DocumentRotationOptions }
  | { readonly kind: 'tokenInsertion'; readonly options: TokenInsertionOptions }
  | { readonly kind: 'massMasking'; readonly options?: MassOptions };

/** The result of one step, tagged with its kind. */
export type NoiseStep =
  | { readonly kind: 'wholeWordMask' | 'tokenMasking' | 'textInfilling' | 'tokenDeletion'; readonly result: MaskingResult }
  | { readonly kind: 'sentencePermutation'; readonly result: PermutationResult }
  | { readonly kind: 'documentRotation'; readonly result: RotationResult }
  | { readonly kind: 'tokenInsertion'; readonly result: InsertionResult }
  | { readonly kind: 'massMasking'; readonly result: MassResult };

/** Ids plus what compose needs to know about the input sequence. */
export interface ComposeContext extends NoiseContext {
  /** One per token, false for "##" continuation pieces. Default: every token starts a word. */
  readonly wordStarts?: readonly boolean[];
  /** Exclusive end positions of the sentences (see `sentenceSpans`). Required by sentencePermutation. */
  readonly sentenceEnds?: readonly number[];
}

export interface ComposeResult {
  /** Encoder input after every step. */
  readonly source: number[];
  /** The uncorrupted input; with MASS, the fragment MASS predicts. */
  readonly target: number[];
  /** MASS only: the decoder input it defines. */
  readonly decoderInput?: number[];
  /** Word-start flags of the source (carried through the steps). */
  readonly wordStarts: boolean[];
  /** Sentence boundaries of the source as exclusive ends (carried through the steps). */
  readonly sentenceEnds: number[];
  /** For each source position, the input position it stands for, or -1 for an inserted token. */
  readonly origin: number[];
  /** Every step's own result, in order. */
  readonly steps: NoiseStep[];
}

/** Applies one noise to a sequence (dispatch on `spec.kind`). */
export function applyNoise(
  spec: NoiseSpec,
  tokens: readonly number[],
  wordStarts: readonly boolean[] | undefined,
  sentenceEnds: readonly number[] | undefined,
  ctx: NoiseContext,
  rng: RandomSource,
): NoiseStep {
  checkNoiseKind((spec as { kind?: unknown })?.kind, 'applyNoise');
  switch (spec.kind) {
    case 'wholeWordMask':
      return { kind: spec.kind, result: wholeWordMask(tokens, wordStarts, spec.options ?? {}, ctx, rng) };
    case 'tokenMasking':
      return { kind: spec.kind, result: tokenMasking(tokens, wordStarts, spec.options ?? {}, ctx, rng) };
    case 'textInfilling':
      return { kind: spec.kind, result: textInfilling(tokens, wordStarts, spec.options ?? {}, ctx, rng) };
    case 'tokenDeletion':
      return { kind: spec.kind, result: tokenDeletion(tokens, wordStarts, spec.options ?? {}, ctx, rng) };
    case 'sentencePermutation':
      if (sentenceEnds === undefined) {
        throw new Error('sentencePermutation: needs the sentence boundaries (sentenceEnds), none were given');
      }
      return { kind: spec.kind, result: sentencePermutation(tokens, sentenceEnds, spec.options ?? {}, ctx, rng) };
    case 'documentRotation':
      return { kind: spec.kind, result: documentRotation(tokens, spec.options ?? {}, ctx, rng) };
    case 'tokenInsertion':
      return { kind: spec.kind, result: tokenInsertion(tokens, spec.options as TokenInsertionOptions, ctx, rng) };
    case 'massMasking':
      return { kind: spec.kind, result: massMasking(tokens, spec.options ?? {}, ctx, rng) };
  }
}

/** Sentence index of every position (-1 for BOS and EOS) from exclusive ends. */
function sentenceIds(length: number, sentenceEnds: readonly number[]): number[] {
  const ids = new Array<number>(length).fill(-1);
  for (const [s, [a, b]] of sentenceSpans(length, sentenceEnds, 'compose').entries()) ids.fill(s, a, b);
  return ids;
}

/**
 * Relabels the inner positions by run: a new run starts where the sentence changes or where the input positions go
 * backwards inside one sentence (a rotation wrapping around within a sentence), so each piece stays its own sentence.
 */
function splitRuns(ids: readonly number[], origin: readonly number[]): number[] {
  const last = ids.length - 1;
  const out = new Array<number>(ids.length).fill(-1);
  let run = -1;
  let prevOrigin = -1;
  for (let i = 1; i < last; i++) {
    const wraps = origin[i] >= 0 && prevOrigin >= 0 && origin[i] < prevOrigin;
    if (i === 1 || ids[i] !== ids[i - 1] || wraps) {
      run++;
      prevOrigin = -1;
    }
    out[i] = run;
    if (origin[i] >= 0) prevOrigin = origin[i];
  }
  return out;
}

/** Exclusive ends of the runs of equal sentence ids between BOS and EOS. */
function runEnds(ids: readonly number[]): number[] {
  const last = ids.length - 1;
  const ends: number[] = [];
  for (let i = 1; i < last; i++) if (i + 1 === last || ids[i + 1] !== ids[i]) ends.push(i + 1);
  return ends;
}

/**
 * Applies `noises` in the order given to `tokens` (`[BOS, ..., EOS]`), drawing from `rng` in that order (so the
 * same seed gives the same result, and so does calling the functions one after another on the same stream).
 * The target is the uncorrupted input, except with MASS, which must then be the last noise (its decoder input is
 * aligned with the positions of its own input).
 */
export function compose(
  noises: readonly NoiseSpec[],
  tokens: readonly number[],
  ctx: ComposeContext,
  rng: RandomSource,
): ComposeResult {
  if (!Array.isArray(noises)) throw new Error(`compose: noises must be an array of { kind, options }, got ${JSON.stringify(noises)}`);
  noises.forEach((spec, i) => {
    checkNoiseKind((spec as { kind?: unknown } | undefined)?.kind, `compose: noises[${i}]`);
    if (spec.kind === 'massMasking' && i !== noises.length - 1) {
      throw new Error(
        `compose: noises[${i}] is massMasking but is not the last noise; MASS must come last (its decoder input and target are aligned with its own input)`,
      );
    }
  });
  checkSequence(tokens, ctx, 'compose');
  if (ctx.wordStarts !== undefined && ctx.wordStarts.length !== tokens.length) {
    throw new Error(`compose: wordStarts must have one entry per token (${tokens.length}), got ${ctx.wordStarts.length}`);
  }
  let cur: readonly number[] = tokens;
  let ws: boolean[] = ctx.wordStarts === undefined ? tokens.map(() => true) : [...ctx.wordStarts];
  let sent = sentenceIds(tokens.length, ctx.sentenceEnds ?? []);
  let origin = tokens.map((_, i) => i);
  const steps: NoiseStep[] = [];
  for (const spec of noises) {
    const step = applyNoise(spec, cur, ws, ctx.sentenceEnds === undefined ? undefined : runEnds(sent), ctx, rng);
    steps.push(step);
    const o = step.result.origin;
    const last = o.length - 1;
    const nextSent = new Array<number>(o.length);
    for (let i = 0; i < o.length; i++) {
      if (o[i] >= 0) nextSent[i] = sent[o[i]];
      else if (i > 1) nextSent[i] = nextSent[i - 1];
      else {
        let j = i + 1;
        while (j < last && o[j] < 0) j++;
        nextSent[i] = j < last ? sent[o[j]] : 0;
      }
    }
    ws = o.map((k) => (k >= 0 ? ws[k] : true));
    sent = splitRuns(nextSent, o);
    origin = o.map((k) => (k >= 0 ? origin[k] : -1));
    cur = step.result.source;
  }
  const lastStep = steps[steps.length - 1];
  const mass = lastStep?.kind === 'massMasking' ? lastStep.result : undefined;
  return {
    source: [...cur],
    target: mass === undefined ? [...tokens] : [...mass.target],
    ...(mass === undefined ? {} : { decoderInput: [...mass.decoderInput] }),
    wordStarts: ws,
    sentenceEnds: runEnds(sent),
    origin,
    steps,
  };
}

/**
 * MASS fragment masking: the encoder sees the sequence with one contiguous fragment masked, the decoder predicts
 * that fragment given its previous tokens.
 *
 * References:
 *  - Song et al., "MASS: Masked Sequence to Sequence Pre-training for Language Generation" (ICML 2019), section 2.2
 *    (fragment of about half the sentence, k = 50%; 80/10/10 mask/keep/random in the encoder; the decoder input is
 *    the fragment shifted right, the other decoder positions masked).
 *  - microsoft/MASS `MASS/src/trainer.py` (`restricted_mask_sent`, `shuffle_segments`, `unfold_segments`,
 *    `mask_word`), https://github.com/microsoft/MASS: the fragment is at the start with probability 0.2, at the end
 *    with 0.2, otherwise (0.6) the segments are shuffled, which places it uniformly over all its possible starts
 *    (start and end included); `target_i = words[pos_i - 1]` (decoder input) and `output_i = words[pos_i]` (target).
 *
 * Deviations, on purpose: the fragment length is max(1, round_half_even(n * ratio)) over the n tokens between BOS and
 * EOS and the fragment never covers BOS or EOS (upstream rounds len * 0.5 with both delimiters counted, and its
 * "end" placement covers the trailing </s>); the length is per sequence (upstream uses one length per batch).
 */
import type { RandomSource } from '@ssbench/core';
import { checkSequence, type NoiseResult } from './denoising';
import { type MassOptions, type NoiseContext, resolveNoiseOptions } from './options';

export type MassPlacement = 'start' | 'end' | 'random';
export type MassReplacement = 'mask' | 'keep' | 'random';

export interface MassResult extends NoiseResult {
  /**
   * Decoder input, same length as the source: at each fragment position the input token before it (the fragment
   * shifted right), <mask> everywhere else.
   */
  readonly decoderInput: number[];
  /** The fragment's tokens: `tokens.slice(fragmentStart, fragmentStart + fragmentLength)`. Replaces NoiseResult's target. */
  readonly target: number[];
  /** Input position of the fragment's first token (>= 1). */
  readonly fragmentStart: number;
  readonly fragmentLength: number;
  /** Which of the three placements was drawn (with one possible start they coincide). */
  readonly placement: MassPlacement;
  /** What each fragment token became in the source. */
  readonly replacements: MassReplacement[];
}

/** Python 3 `round()`: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The fragment length for n inner tokens: max(1, round(n * ratio)), at most n. */
export function massFragmentLength(n: number, ratio = 0.5): number {
  return Math.min(n, Math.max(1, roundHalfEven(n * ratio)));
}

/** MASS masking of one `[BOS, ..., EOS]` sequence with at least one token between BOS and EOS. */
export function massMasking(tokens: readonly number[], options: MassOptions, ctx: NoiseContext, rng: RandomSource): MassResult {
  const o = resolveNoiseOptions('massMasking', options);
  checkSequence(tokens, ctx, 'massMasking');
  const n = tokens.length - 2;
  if (n < 1) throw new Error('massMasking: the sequence has no token between BOS and EOS to mask');
  const fragmentLength = massFragmentLength(n, o.ratio);
  const starts = n - fragmentLength + 1; // possible first positions 1..starts
  const u = rng.next();
  let placement: MassPlacement;
  let offset: number;
  if (u < o.startProb) {
    placement = 'start';
    offset = 0;
  } else if (u < o.startProb + o.endProb) {
    placement = 'end';
    offset = starts - 1;
  } else {
    placement = 'random';
    offset = rng.int(starts);
  }
  const fragmentStart = 1 + offset;
  const fragmentEnd = fragmentStart + fragmentLength;
  const source = [...tokens];
  const decoderInput = new Array<number>(tokens.length).fill(ctx.maskId);
  const replacements: MassReplacement[] = [];
  for (let i = fragmentStart; i < fragmentEnd; i++) {
    decoderInput[i] = tokens[i - 1];
    const r = rng.next();
    if (r < o.maskTokenRate) {
      source[i] = ctx.maskId;
      replacements.push('mask');
    } else if (r < o.maskTokenRate + o.randomTokenRate) {
      source[i] = ctx.randomTokens.low + rng.int(ctx.randomTokens.high - ctx.randomTokens.low);
      replacements.push('random');
    } else {
      replacements.push('keep');
    }
  }
  const origin = tokens.map((_, i) => i);
  return {
    source,
    target: tokens.slice(fragmentStart, fragmentEnd),
    origin,
    decoderInput,
    fragmentStart,
    fragmentLength,
    placement,
    replacements,
  };
}

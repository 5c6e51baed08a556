/**
 * Span lengths for BART's text infilling: a Poisson(lambda) distribution truncated the way fairseq builds it, sampled
 * by inverse CDF from a seeded uniform source.
 *
 * References:
 *  - Lewis et al., "BART: Denoising Sequence-to-Sequence Pre-training for Natural Language Generation, Translation,
 *    and Comprehension" (ACL 2020), section 2.2 ("Text Infilling": span lengths drawn from Poisson(lambda = 3));
 *    the released BART-large recipe uses `--poisson-lambda 3.5` (facebookresearch/fairseq issue #1899).
 *  - fairseq `fairseq/data/denoising_dataset.py`, `DenoisingDataset.__init__` (`mask_span_distribution`):
 *    probabilities `e^-lambda * lambda^k / k!` for k = 0, 1, ... up to 127, stopping after the first k whose
 *    probability is below 1e-7, then `torch.distributions.Categorical(ps)` (which renormalises).
 *
 * Deviation, on purpose: fairseq stops at the first probability below 1e-7 even before the mode, so for lambda > ~16.1
 * (e^-lambda < 1e-7) its table holds only k = 0 and every span has length 0. Here the cut-off only applies once
 * k >= lambda (past the mode); for lambda <= 16 the table is identical to fairseq's.
 */
import type { RandomSource } from '@ssbench/core';

/** Largest lambda accepted: the table stops at k = 127 (as fairseq), which cuts real mass beyond about 64. */
export const MAX_POISSON_LAMBDA = 64;

/** fairseq's `range(0, 128)`: span lengths 0..127. */
const MAX_SPAN_LENGTH = 127;
const CUTOFF = 1e-7;

/** A truncated, renormalised Poisson distribution over span lengths 0..K with an inverse-CDF sampler. */
export interface PoissonSampler {
  readonly lambda: number;
  /** Normalised probabilities of lengths 0..K (K = probabilities.length - 1). */
  readonly probabilities: readonly number[];
  /** Mean of the truncated distribution (equals lambda up to the truncated tail, < 1e-6 for lambda <= 16). */
  readonly mean: number;
  /** Variance of the truncated distribution. */
  readonly variance: number;
  /** One length: the smallest k with u < CDF(k), u = rng.next(). */
  sample(rng: RandomSource): number;
}

/** Throws unless 0 < lambda <= MAX_POISSON_LAMBDA; `what` names the option in the message. */
export function checkPoissonLambda(lambda: number, what = 'poissonLambda'): void {
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda <= 0) {
    throw new Error(`${what} must be a number > 0 (the mean span length), got ${String(lambda)}`);
  }
  if (lambda > MAX_POISSON_LAMBDA) {
    throw new Error(
      `${what} must be at most ${MAX_POISSON_LAMBDA} (span lengths are truncated at ${MAX_SPAN_LENGTH} as in fairseq), got ${lambda}`,
    );
  }
}

/** The unnormalised table fairseq builds (see the file header for the one deviation). */
export function poissonTable(lambda: number): number[] {
  checkPoissonLambda(lambda, 'poissonTable: lambda');
  const ps: number[] = [];
  let pk = Math.exp(-lambda); // k = 0
  for (let k = 0; k <= MAX_SPAN_LENGTH; k++) {
    if (k > 0) pk *= lambda / k; // e^-lambda lambda^k / k!, built up term by term (no overflowing factorials)
    ps.push(pk);
    if (pk < CUTOFF && k >= lambda) break;
  }
  return ps;
}

export function createPoissonSampler(lambda: number): PoissonSampler {
  const table = poissonTable(lambda);
  const total = table.reduce((s, p) => s + p, 0);
  const probabilities = table.map((p) => p / total);
  const cdf: number[] = [];
  let acc = 0;
  let mean = 0;
  let second = 0;
  probabilities.forEach((p, k) => {
    acc += p;
    cdf.push(acc);
    mean += k * p;
    second += k * k * p;
  });
  const last = cdf.length - 1;
  cdf[last] = 1; // rounding: every u in [0, 1) lands in the table
  return {
    lambda,
    probabilities,
    mean,
    variance: second - mean * mean,
    sample(rng: RandomSource): number {
      const u = rng.next();
      // Binary search for the first k with u < cdf[k].
      let lo = 0;
      let hi = last;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (u < cdf[mid]) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    },
  };
}

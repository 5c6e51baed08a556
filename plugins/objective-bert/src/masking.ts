/**
 * Masked-language-model input corruption for BERT: static masking (a fixed number of positions per sequence, as in
 * the original data generator), dynamic masking (independent Bernoulli per token, as RoBERTa / Hugging Face's
 * collator), and whole-word masking for both.
 *
 * References:
 *  - Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding" (NAACL 2019),
 *    section 3.1 / appendix A.1; google-research/bert `create_pretraining_data.py`
 *    (`create_masked_lm_predictions`, flag `do_whole_word_mask`),
 *    https://github.com/google-research/bert/blob/master/create_pretraining_data.py
 *  - Liu et al., "RoBERTa: A Robustly Optimized BERT Pretraining Approach" (arXiv:1907.11692), section 4.1;
 *    huggingface/transformers `data/data_collator.py` (`DataCollatorForLanguageModeling.torch_mask_tokens`).
 *
 * Static masking, per sequence: candidates are all non-special positions (whole-word: words, i.e. a word-start
 * piece plus the "##" pieces that follow it); the budget is `min(maxPredictions, max(1, round(nCandidates *
 * maskProb)))` with Python 3's round-half-to-even; candidates are shuffled (Fisher-Yates, as Python's
 * `random.shuffle`) and taken in order, skipping a word that would overflow the budget (so whole-word masking can
 * end a little under it, as upstream). Differences from upstream, on purpose:
 *  - the budget counts candidate tokens, not `len(tokens)` including [CLS]/[SEP];
 *  - a "##" piece joins the previous word only if that word ends right before it (upstream would attach a "##"
 *    piece that follows [SEP] to the last word before the [SEP]);
 *  - random replacements are drawn uniformly from the non-special ids (upstream draws from the whole vocabulary).
 * Each chosen position: with `maskTokenRate` -> [MASK], with `randomTokenRate` -> a random token, otherwise
 * unchanged (one uniform draw per position; upstream's nested 0.8 / 0.5 draws give the same distribution).
 */

import type { RandomSource } from '@ssbench/core';

/** Masked positions (sorted ascending), the original ids there, and the corrupted input. */
export interface MaskedSequence {
  readonly inputIds: number[];
  readonly positions: number[];
  readonly labels: number[];
}

/** Whole-word masking needs the word starts of the sequence (from the tokenizer's `wordStarts`); checked at run time. */
export interface WholeWordOption {
  /** Choose whole words (a word start plus its "##" pieces). Default false. Requires `wordStarts`. */
  readonly wholeWord?: boolean;
  /** One entry per id: false for "##" continuation pieces. */
  readonly wordStarts?: readonly boolean[];
}

interface CommonMaskingOptions {
  /** Fraction of candidate tokens to predict. Default 0.15. */
  readonly maskProb?: number;
  /** Of the chosen positions, the fraction replaced by [MASK]. Default 0.8. */
  readonly maskTokenRate?: number;
  /** Of the chosen positions, the fraction replaced by a random non-special token. Default 0.1. */
  readonly randomTokenRate?: number;
  /** Ids never chosen and never drawn as random replacements ([PAD], [CLS], [SEP], and any others). */
  readonly specialIds: Iterable<number>;
  readonly maskId: number;
  readonly vocabSize: number;
  /** Seeded randomness (`next()` uniform in [0, 1), `int(n)` uniform in [0, n)); `Rng` from @ssbench/core. */
  readonly rng: RandomSource;
}

/** Options of {@link maskStatic}. */
export type StaticMaskingOptions = CommonMaskingOptions &
  WholeWordOption & {
    /** Upper bound on the positions per sequence (`max_predictions_per_seq`). Default: no bound. */
    readonly maxPredictions?: number;
  };

/** Options of {@link maskDynamic}. */
export type DynamicMaskingOptions = CommonMaskingOptions & WholeWordOption;

/** Python 3 `round()`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The number of positions {@link maskStatic} chooses from `nCandidates` candidate tokens. */
export function staticMaskCount(nCandidates: number, maskProb = 0.15, maxPredictions = Number.POSITIVE_INFINITY): number {
  if (nCandidates <= 0) return 0;
  return Math.min(maxPredictions, Math.max(1, roundHalfEven(nCandidates * maskProb)));
}

/**
 * Candidate units of a sequence: each non-special position alone, or (whole-word) each word's positions.
 * A continuation piece (wordStarts false) joins the previous unit only if that unit ends right before it.
 */
export function maskingCandidates(
  ids: readonly number[],
  specials: ReadonlySet<number>,
  wordStarts?: readonly boolean[],
): number[][] {
  const units: number[][] = [];
  let lastEnd = -2; // index of the last position of the last unit
  for (let i = 0; i < ids.length; i++) {
    if (specials.has(ids[i])) continue;
    if (wordStarts !== undefined && !wordStarts[i] && lastEnd === i - 1 && units.length > 0) {
      units[units.length - 1].push(i);
    } else {
      units.push([i]);
    }
    lastEnd = i;
  }
  return units;
}

interface Prepared {
  readonly specials: ReadonlySet<number>;
  readonly units: number[][];
  readonly replace: (id: number) => number;
}

function prepare(ids: readonly number[], o: CommonMaskingOptions & WholeWordOption, fn: string): Prepared {
  const maskProb = o.maskProb ?? 0.15;
  const maskRate = o.maskTokenRate ?? 0.8;
  const randomRate = o.randomTokenRate ?? 0.1;
  if (!(maskProb >= 0 && maskProb <= 1)) throw new Error(`${fn}: maskProb must be in [0, 1], got ${maskProb}`);
  if (!(maskRate >= 0 && randomRate >= 0 && maskRate + randomRate <= 1 + 1e-12)) {
    throw new Error(
      `${fn}: maskTokenRate (${maskRate}) and randomTokenRate (${randomRate}) must be >= 0 with a sum <= 1`,
    );
  }
  if (!Number.isInteger(o.vocabSize) || o.vocabSize <= 0) {
    throw new Error(`${fn}: vocabSize must be a positive integer, got ${o.vocabSize}`);
  }
  if (o.wholeWord === true && (o.wordStarts === undefined || o.wordStarts.length !== ids.length)) {
    throw new Error(
      `${fn}: wholeWord needs wordStarts with one entry per id (got ${o.wordStarts?.length ?? 'none'} for ${ids.length} ids)`,
    );
  }
  const specials = new Set(o.specialIds);
  // Random replacements: uniform over [0, vocabSize) minus the special ids, by skipping over sorted specials.
  const sortedSpecials = [...specials].filter((s) => s >= 0 && s < o.vocabSize).sort((a, b) => a - b);
  const nOrdinary = o.vocabSize - sortedSpecials.length;
  if (randomRate > 0 && nOrdinary <= 0) throw new Error(`${fn}: no non-special token to draw random replacements from`);
  const { rng, maskId } = o;
  const randomToken = (): number => {
    let r = rng.int(nOrdinary);
    for (const s of sortedSpecials) {
      if (r >= s) r++;
      else break;
    }
    return r;
  };
  const replace = (id: number): number => {
    const u = rng.next();
    if (u < maskRate) return maskId;
    if (u < maskRate + randomRate) return randomToken();
    return id;
  };
  return { specials, units: maskingCandidates(ids, specials, o.wholeWord ? o.wordStarts : undefined), replace };
}

function finish(ids: readonly number[], chosen: number[], replace: (id: number) => number): MaskedSequence {
  const inputIds = [...ids];
  for (const i of chosen) inputIds[i] = replace(ids[i]);
  const positions = [...chosen].sort((a, b) => a - b);
  return { inputIds, positions, labels: positions.map((i) => ids[i]) };
}

/**
 * BERT's static masking: exactly `staticMaskCount(nCandidates, maskProb, maxPredictions)` positions (whole-word:
 * at most that many, see the file header), never a special id.
 */
export function maskStatic(ids: readonly number[], options: StaticMaskingOptions): MaskedSequence {
  const maxPredictions = options.maxPredictions ?? Number.POSITIVE_INFINITY;
  if (!(maxPredictions >= 0)) throw new Error(`maskStatic: maxPredictions must be >= 0, got ${maxPredictions}`);
  const { units, replace } = prepare(ids, options, 'maskStatic');
  const nCandidates = units.reduce((n, u) => n + u.length, 0);
  const budget = staticMaskCount(nCandidates, options.maskProb ?? 0.15, maxPredictions);
  const { rng } = options;
  for (let i = units.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = units[i];
    units[i] = units[j];
    units[j] = t;
  }
  const chosen: number[] = [];
  for (const unit of units) {
    if (chosen.length >= budget) break;
    if (chosen.length + unit.length > budget) continue;
    for (const i of unit) chosen.push(i);
  }
  return finish(ids, chosen, replace);
}

/**
 * Dynamic masking (RoBERTa / Hugging Face DataCollatorForLanguageModeling): each candidate (token, or whole word)
 * is chosen independently with probability `maskProb`; the number of positions varies and can be 0.
 */
export function maskDynamic(ids: readonly number[], options: DynamicMaskingOptions): MaskedSequence {
  const { units, replace } = prepare(ids, options, 'maskDynamic');
  const p = options.maskProb ?? 0.15;
  const chosen: number[] = [];
  for (const unit of units) {
    if (options.rng.next() < p) for (const i of unit) chosen.push(i);
  }
  return finish(ids, chosen, replace);
}

/**
 * Options of the seq2seq corruption functions: types, defaults (each with its source), validation with messages
 * that name the option, and a draft-07 JSON Schema per noise, all generated from one table so they cannot drift.
 *
 * Sources of the defaults:
 *  - BART-large pretraining command, facebookresearch/fairseq issue #1899 (Lewis et al. 2020, BART):
 *    `--mask 0.3 --mask-random 0.1 --poisson-lambda 3.5 --mask-length span-poisson --replace-length 1
 *     --permute-sentences 1 --rotate 0.0 --insert 0.0`.
 *  - fairseq `fairseq/tasks/denoising.py` command-line defaults: `--mask 0.0 --mask-random 0.0 --insert 0.0
 *     --rotate 0.5 --poisson-lambda 3.0 --permute-sentences 0.0 --mask-length subword --replace-length -1`.
 *  - MASS (Song et al., "MASS: Masked Sequence to Sequence Pre-training for Language Generation", ICML 2019;
 *    microsoft/MASS `MASS/src/trainer.py`, `restricted_mask_sent` / `shuffle_segments` / `mask_word`):
 *    `--word_mass 0.5`, `--word_mask_keep_rand 0.8,0.1,0.1`, fragment at the start 20% / end 20% / anywhere 60%.
 * A noise listed in a recipe should do something, so where fairseq's command-line default is "off" (0) the BART-large
 * value is used; rotation (off in BART-large) takes fairseq's command-line default 0.5; insertion has no non-zero
 * default anywhere upstream, so its rate is required.
 */
import { closestMatches, didYouMean } from '@ssbench/core';
import { checkPoissonLambda, MAX_POISSON_LAMBDA } from './poisson';

/** Token ids the corruption needs. Sequences start with `bosId` and end with `eosId`. */
export interface NoiseContext {
  readonly bosId: number;
  readonly eosId: number;
  readonly maskId: number;
  /**
   * Random replacements and random insertions are drawn uniformly from the ids in `[low, high)` (fairseq draws from
   * `[1, len(vocab))`, which includes its special symbols; pass the range of ordinary tokens).
   */
  readonly randomTokens: { readonly low: number; readonly high: number };
}

/** How a masked span is measured (fairseq `--mask-length`). */
export type MaskLength = 'subword' | 'word' | 'span-poisson';
/** What a masked span becomes (fairseq `--replace-length`): -1 one <mask> per token, 0 nothing, 1 one <mask>. */
export type ReplaceLength = -1 | 0 | 1;

/** fairseq `add_whole_word_mask` with every knob; {@link tokenMasking} and friends fix some of them. */
export interface WholeWordMaskOptions {
  /** Fraction of word starts to mask: the budget is ceil(#word starts * p). Default 0.3 (BART-large `--mask`). */
  readonly p?: number;
  /** 'subword': every token is a unit; 'word': whole words; 'span-poisson': Poisson(lambda) words. Default 'span-poisson' (BART-large). */
  readonly maskLength?: MaskLength;
  /** Mean span length in words for 'span-poisson'. Default 3.5 (BART-large; the paper says 3). */
  readonly poissonLambda?: number;
  /** -1 each token -> <mask>; 0 delete; 1 whole span -> one <mask>. Default 1 (BART-large). */
  readonly replaceLength?: ReplaceLength;
  /** Fraction of spans (and of inserted tokens) that get random tokens instead of <mask>. Default 0.1 (BART-large). */
  readonly maskRandom?: number;
}

/** Token masking (BART 2.2): every chosen token -> <mask> (replace_length -1). */
export interface TokenMaskingOptions {
  /** Default 0.3 (BART-large `--mask`). */
  readonly p?: number;
  /** Default 'subword' (fairseq `--mask-length` default; BART: "random tokens are sampled"). */
  readonly maskLength?: MaskLength;
  /** Only for maskLength 'span-poisson'. Default 3.5 (BART-large). */
  readonly poissonLambda?: number;
  /** Default 0.1 (BART-large `--mask-random`). */
  readonly maskRandom?: number;
}

/** Text infilling (BART 2.2): Poisson spans, each -> one <mask> (span-poisson, replace_length 1). */
export interface TextInfillingOptions {
  /** Default 0.3 (BART-large `--mask`). */
  readonly p?: number;
  /** Default 3.5 (BART-large `--poisson-lambda`). */
  readonly poissonLambda?: number;
  /** Default 0.1 (BART-large `--mask-random`). */
  readonly maskRandom?: number;
}

/** Token deletion (BART 2.2): chosen tokens are removed (replace_length 0). */
export interface TokenDeletionOptions {
  /** Default 0.3 (the BART-large masking rate; the paper gives no deletion rate). */
  readonly p?: number;
  /** Default 'subword' (fairseq `--mask-length` default). */
  readonly maskLength?: MaskLength;
  /** Only for maskLength 'span-poisson'. Default 3.5 (BART-large). */
  readonly poissonLambda?: number;
}

export interface SentencePermutationOptions {
  /** Fraction of sentences that take part in the shuffle: ceil(n * p). Default 1.0 (BART-large `--permute-sentences 1`). */
  readonly p?: number;
}

export interface DocumentRotationOptions {
  /** Probability that a sequence is rotated. Default 0.5 (fairseq `--rotate` default; BART-large uses 0). */
  readonly p?: number;
}

export interface TokenInsertionOptions {
  /** Inserted tokens: ceil(len * p), len counting BOS and EOS. Required: upstream's default (`--insert 0.0`) is off. */
  readonly p: number;
  /** Fraction of the inserted tokens that are random rather than <mask>: ceil(n * maskRandom). Default 0.1 (BART-large). */
  readonly maskRandom?: number;
}

export interface MassOptions {
  /** Fragment length: max(1, round(n * ratio)) of the n tokens between BOS and EOS. Default 0.5 (MASS `--word_mass`). */
  readonly ratio?: number;
  /** Of the fragment's tokens in the encoder input, the fraction -> <mask>. Default 0.8 (MASS `--word_mask_keep_rand`). */
  readonly maskTokenRate?: number;
  /** Of the fragment's tokens in the encoder input, the fraction -> a random token. Default 0.1 (the rest are kept). */
  readonly randomTokenRate?: number;
  /** Probability that the fragment starts at the first token. Default 0.2 (MASS `shuffle_segments`). */
  readonly startProb?: number;
  /** Probability that the fragment ends at the last token. Default 0.2 (MASS `shuffle_segments`). */
  readonly endProb?: number;
}

/** The options type of each noise kind (also the function names). */
export interface NoiseOptionsByKind {
  wholeWordMask: WholeWordMaskOptions;
  tokenMasking: TokenMaskingOptions;
  textInfilling: TextInfillingOptions;
  tokenDeletion: TokenDeletionOptions;
  sentencePermutation: SentencePermutationOptions;
  documentRotation: DocumentRotationOptions;
  tokenInsertion: TokenInsertionOptions;
  massMasking: MassOptions;
}

export type NoiseKind = keyof NoiseOptionsByKind;

/** Options with every default filled in. */
export type ResolvedNoiseOptions<K extends NoiseKind> = Required<NoiseOptionsByKind[K]>;

// ---- the table ---------------------------------------------------------------------------------------------

type OptionSpec =
  | { readonly type: 'rate'; readonly default?: number; readonly description: string } // [0, 1]
  | { readonly type: 'fraction'; readonly default: number; readonly description: string } // (0, 1]
  | { readonly type: 'lambda'; readonly default: number; readonly description: string } // (0, MAX_POISSON_LAMBDA]
  | {
      readonly type: 'enum';
      readonly values: readonly (string | number)[];
      readonly default: string | number;
      readonly description: string;
    };

const P_MASK = {
  type: 'rate',
  default: 0.3,
  description: 'fraction of word starts to mask: budget ceil(#word starts * p) (BART-large --mask 0.3)',
} as const;
const MASK_LENGTH_SUBWORD = {
  type: 'enum',
  values: ['subword', 'word', 'span-poisson'],
  default: 'subword',
  description: "unit of a masked span: 'subword' one token, 'word' one whole word, 'span-poisson' Poisson(lambda) words (fairseq --mask-length default 'subword')",
} as const;
const LAMBDA = {
  type: 'lambda',
  default: 3.5,
  description: "mean span length in words for 'span-poisson' (BART-large --poisson-lambda 3.5; the paper's ablations use 3)",
} as const;
const MASK_RANDOM = {
  type: 'rate',
  default: 0.1,
  description: 'fraction of spans replaced by random tokens instead of <mask> (BART-large --mask-random 0.1)',
} as const;

const SPECS: { readonly [K in NoiseKind]: { readonly [name: string]: OptionSpec } } = {
  wholeWordMask: {
    p: P_MASK,
    maskLength: { ...MASK_LENGTH_SUBWORD, default: 'span-poisson', description: `${MASK_LENGTH_SUBWORD.description}; default 'span-poisson' (BART-large)` },
    poissonLambda: LAMBDA,
    replaceLength: {
      type: 'enum',
      values: [-1, 0, 1],
      default: 1,
      description: 'what a span becomes: -1 one <mask> per token, 0 deleted, 1 a single <mask> (BART-large --replace-length 1)',
    },
    maskRandom: MASK_RANDOM,
  },
  tokenMasking: { p: P_MASK, maskLength: MASK_LENGTH_SUBWORD, poissonLambda: LAMBDA, maskRandom: MASK_RANDOM },
  textInfilling: { p: P_MASK, poissonLambda: LAMBDA, maskRandom: MASK_RANDOM },
  tokenDeletion: {
    p: { ...P_MASK, description: 'fraction of word starts to delete: ceil(#word starts * p) (the BART-large masking rate 0.3)' },
    maskLength: MASK_LENGTH_SUBWORD,
    poissonLambda: LAMBDA,
  },
  sentencePermutation: {
    p: {
      type: 'rate',
      default: 1,
      description: 'fraction of sentences shuffled among themselves: ceil(n * p); 1 is a full permutation (BART-large --permute-sentences 1)',
    },
  },
  documentRotation: {
    p: {
      type: 'rate',
      default: 0.5,
      description: 'probability of rotating a sequence (fairseq --rotate default 0.5; the BART-large recipe turns it off)',
    },
  },
  tokenInsertion: {
    p: {
      type: 'rate',
      description: 'inserted tokens: ceil(len * p), len counting BOS/EOS (fairseq --insert; required: upstream default 0 is off)',
    },
    maskRandom: { ...MASK_RANDOM, description: 'fraction of inserted tokens that are random: ceil(n * maskRandom) (BART-large --mask-random 0.1)' },
  },
  massMasking: {
    ratio: {
      type: 'fraction',
      default: 0.5,
      description: 'fragment length max(1, round(n * ratio)) of the n tokens between BOS and EOS (MASS --word_mass 0.5)',
    },
    maskTokenRate: { type: 'rate', default: 0.8, description: 'fragment tokens -> <mask> in the encoder input (MASS --word_mask_keep_rand 0.8,0.1,0.1)' },
    randomTokenRate: { type: 'rate', default: 0.1, description: 'fragment tokens -> random token in the encoder input (MASS: 0.1); the rest are kept' },
    startProb: { type: 'rate', default: 0.2, description: 'probability that the fragment starts at the first token (MASS: 0.2)' },
    endProb: { type: 'rate', default: 0.2, description: 'probability that the fragment ends at the last token (MASS: 0.2); otherwise the start is uniform' },
  },
};

const REQUIRED: { readonly [K in NoiseKind]?: readonly string[] } = { tokenInsertion: ['p'] };

/** The noise kinds, in the order fairseq applies them when combined (whole-word masking variants together). */
export const NOISE_KINDS: readonly NoiseKind[] = [
  'sentencePermutation',
  'wholeWordMask',
  'tokenMasking',
  'textInfilling',
  'tokenDeletion',
  'tokenInsertion',
  'documentRotation',
  'massMasking',
];

function isNoiseKind(kind: unknown): kind is NoiseKind {
  return typeof kind === 'string' && Object.hasOwn(SPECS, kind);
}

/** Throws unless `kind` is a noise kind, suggesting close names. */
export function checkNoiseKind(kind: unknown, where = 'noise'): asserts kind is NoiseKind {
  if (isNoiseKind(kind)) return;
  const hint = typeof kind === 'string' ? didYouMean(closestMatches(kind, NOISE_KINDS)) : undefined;
  throw new Error(
    `${where}: unknown noise kind ${JSON.stringify(kind)}${hint === undefined ? '' : ` (${hint})`}; known: ${NOISE_KINDS.join(', ')}`,
  );
}

function rangeText(spec: OptionSpec): string {
  switch (spec.type) {
    case 'rate':
      return 'a number in [0, 1]';
    case 'fraction':
      return 'a number in (0, 1]';
    case 'lambda':
      return `a number > 0 and <= ${MAX_POISSON_LAMBDA}`;
    case 'enum':
      return `one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
}

function checkValue(fn: string, name: string, spec: OptionSpec, v: unknown): void {
  const bad = (): never => {
    throw new Error(`${fn}: option "${name}" must be ${rangeText(spec)}, got ${JSON.stringify(v) ?? String(v)}`);
  };
  switch (spec.type) {
    case 'rate':
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) bad();
      return;
    case 'fraction':
      if (typeof v !== 'number' || !(v > 0 && v <= 1)) bad();
      return;
    case 'lambda':
      if (typeof v !== 'number') bad();
      checkPoissonLambda(v as number, `${fn}: option "${name}"`);
      return;
    case 'enum':
      if (!spec.values.includes(v as string | number)) bad();
      return;
  }
}

/**
 * Validates `options` of a noise kind and fills in the defaults. Throws an Error naming the function and the option:
 * unknown option (with a suggestion), a rate outside [0, 1], lambda <= 0, an unknown enum value, a missing required
 * option, and the cross-field rules a JSON Schema cannot state (MASS: maskTokenRate + randomTokenRate <= 1,
 * startProb + endProb <= 1).
 */
export function resolveNoiseOptions<K extends NoiseKind>(kind: K, options: unknown = {}): ResolvedNoiseOptions<K> {
  checkNoiseKind(kind);
  const fn = kind as string;
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${fn}: options must be an object, got ${JSON.stringify(options)}`);
  }
  const specs = SPECS[kind];
  const given = options as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (Object.hasOwn(specs, name)) continue;
    const hint = didYouMean(closestMatches(name, Object.keys(specs)));
    throw new Error(
      `${fn}: unknown option "${name}"${hint === undefined ? '' : ` (${hint})`}; known options: ${Object.keys(specs).join(', ')}`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const v = given[name];
    if (v === undefined) {
      if (spec.default === undefined || REQUIRED[kind]?.includes(name)) {
        throw new Error(`${fn}: option "${name}" is required (${spec.description})`);
      }
      out[name] = spec.default;
    } else {
      checkValue(fn, name, spec, v);
      out[name] = v;
    }
  }
  if (kind === 'massMasking') {
    const o = out as Required<MassOptions>;
    if (o.maskTokenRate + o.randomTokenRate > 1 + 1e-12) {
      throw new Error(
        `${fn}: options "maskTokenRate" (${o.maskTokenRate}) + "randomTokenRate" (${o.randomTokenRate}) must be <= 1 (the rest are kept)`,
      );
    }
    if (o.startProb + o.endProb > 1 + 1e-12) {
      throw new Error(`${fn}: options "startProb" (${o.startProb}) + "endProb" (${o.endProb}) must be <= 1`);
    }
  }
  return out as ResolvedNoiseOptions<K>;
}

/** Checks a {@link NoiseContext}: integer ids, and a non-empty random-token range of non-negative integers. */
export function checkNoiseContext(ctx: NoiseContext, fn = 'noise'): void {
  for (const key of ['bosId', 'eosId', 'maskId'] as const) {
    const v = ctx[key];
    if (!Number.isInteger(v) || v < 0) throw new Error(`${fn}: context "${key}" must be a non-negative integer id, got ${String(v)}`);
  }
  const r = ctx.randomTokens;
  if (r === undefined || !Number.isInteger(r.low) || !Number.isInteger(r.high) || r.low < 0 || r.high <= r.low) {
    throw new Error(
      `${fn}: context "randomTokens" must be { low, high } integers with 0 <= low < high (random ids are drawn from [low, high)), got ${JSON.stringify(r)}`,
    );
  }
}

// ---- JSON Schemas ------------------------------------------------------------------------------------------

function propertySchema(spec: OptionSpec): Record<string, unknown> {
  const common = spec.default === undefined ? { description: spec.description } : { default: spec.default, description: spec.description };
  switch (spec.type) {
    case 'rate':
      return { type: 'number', minimum: 0, maximum: 1, ...common };
    case 'fraction':
      return { type: 'number', exclusiveMinimum: 0, maximum: 1, ...common };
    case 'lambda':
      return { type: 'number', exclusiveMinimum: 0, maximum: MAX_POISSON_LAMBDA, ...common };
    case 'enum':
      return { enum: [...spec.values], ...common };
  }
}

/**
 * The draft-07 JSON Schema of one noise's options (`additionalProperties: false`, defaults as in
 * {@link resolveNoiseOptions}). Cross-field rules (MASS rates summing to <= 1) are checked by resolveNoiseOptions only.
 */
export function noiseOptionsSchema(kind: NoiseKind): Record<string, unknown> {
  checkNoiseKind(kind);
  const properties: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(SPECS[kind])) properties[name] = propertySchema(spec);
  const required = REQUIRED[kind];
  return {
    type: 'object',
    additionalProperties: false,
    properties,
    ...(required === undefined ? {} : { required: [...required] }),
  };
}

/** Every noise's options schema, by kind. */
export function noiseOptionsSchemas(): { [K in NoiseKind]: Record<string, unknown> } {
  const out = {} as { [K in NoiseKind]: Record<string, unknown> };
  for (const kind of NOISE_KINDS) out[kind] = noiseOptionsSchema(kind);
  return out;
}

/**
 * Schema of a {@link compose} list: `[{ kind, options }]`, each item's options checked against its kind's schema
 * (with `if`/`then`, so a validator that fills defaults, such as ajv's `useDefaults`, fills them per kind).
 */
export function composeSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'array',
    description: 'noises applied in the order given (fairseq combines them as permutation -> masking -> insertion -> rotation)',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { enum: [...NOISE_KINDS] },
        options: { type: 'object' },
      },
      allOf: NOISE_KINDS.map((kind) => ({
        if: { properties: { kind: { const: kind } }, required: ['kind'] },
        // biome-ignore lint/suspicious/noThenProperty: the JSON Schema if/then keyword, not a thenable
        then: {
          properties: { options: noiseOptionsSchema(kind) },
          ...(REQUIRED[kind] === undefined ? {} : { required: ['options'] }),
        },
      })),
    },
  };
}

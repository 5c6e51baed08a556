import { validatePluginOptions } from '@ssbench/core';
import { describe, expect, it } from 'vitest';
import {
  checkNoiseContext,
  checkNoiseKind,
  composeSchema,
  NOISE_KINDS,
  type NoiseKind,
  noiseOptionsSchema,
  noiseOptionsSchemas,
  resolveNoiseOptions,
} from './options';

/** Validates with core's ajv setup (draft-07, useDefaults) and returns the options with defaults filled in. */
function viaSchema(schema: Record<string, unknown>, options: unknown): Record<string, unknown> {
  return validatePluginOptions({ kind: 'objective', name: 'seq2seq-test', optionsSchema: schema }, options, { pointer: '' });
}

const EXPECTED_DEFAULTS: { [K in Exclude<NoiseKind, 'tokenInsertion'>]: Record<string, unknown> } = {
  wholeWordMask: { p: 0.3, maskLength: 'span-poisson', poissonLambda: 3.5, replaceLength: 1, maskRandom: 0.1 },
  tokenMasking: { p: 0.3, maskLength: 'subword', poissonLambda: 3.5, maskRandom: 0.1 },
  textInfilling: { p: 0.3, poissonLambda: 3.5, maskRandom: 0.1 },
  tokenDeletion: { p: 0.3, maskLength: 'subword', poissonLambda: 3.5 },
  sentencePermutation: { p: 1 },
  documentRotation: { p: 0.5 },
  massMasking: { ratio: 0.5, maskTokenRate: 0.8, randomTokenRate: 0.1, startProb: 0.2, endProb: 0.2 },
};

describe('resolveNoiseOptions', () => {
  it('fills the documented defaults (BART-large recipe, fairseq --rotate, MASS)', () => {
    for (const [kind, expected] of Object.entries(EXPECTED_DEFAULTS)) {
      expect(resolveNoiseOptions(kind as NoiseKind, {}), kind).toEqual(expected);
      expect(resolveNoiseOptions(kind as NoiseKind, undefined), kind).toEqual(expected);
    }
    expect(resolveNoiseOptions('tokenInsertion', { p: 0.05 })).toEqual({ p: 0.05, maskRandom: 0.1 });
  });

  it('keeps given values', () => {
    expect(resolveNoiseOptions('wholeWordMask', { p: 0.15, maskLength: 'word', replaceLength: -1, maskRandom: 0, poissonLambda: 3 })).toEqual({
      p: 0.15,
      maskLength: 'word',
      replaceLength: -1,
      maskRandom: 0,
      poissonLambda: 3,
    });
  });

  it('rejects bad values with a message naming the function and the option', () => {
    expect(() => resolveNoiseOptions('textInfilling', { p: 1.5 })).toThrow('textInfilling: option "p" must be a number in [0, 1], got 1.5');
    expect(() => resolveNoiseOptions('tokenMasking', { p: -0.1 })).toThrow(/option "p" must be a number in \[0, 1\]/);
    expect(() => resolveNoiseOptions('tokenMasking', { maskRandom: Number.NaN })).toThrow(/option "maskRandom"/);
    expect(() => resolveNoiseOptions('textInfilling', { maskRandom: '0.1' })).toThrow(/option "maskRandom" must be a number/);
    expect(() => resolveNoiseOptions('textInfilling', { poissonLambda: 0 })).toThrow(/textInfilling: option "poissonLambda" must be a number > 0/);
    expect(() => resolveNoiseOptions('textInfilling', { poissonLambda: -2 })).toThrow(/"poissonLambda"/);
    expect(() => resolveNoiseOptions('wholeWordMask', { replaceLength: 2 })).toThrow('wholeWordMask: option "replaceLength" must be one of -1, 0, 1, got 2');
    expect(() => resolveNoiseOptions('tokenMasking', { maskLength: 'words' })).toThrow(/option "maskLength" must be one of "subword", "word", "span-poisson"/);
    expect(() => resolveNoiseOptions('documentRotation', { p: 2 })).toThrow(/documentRotation: option "p"/);
    expect(() => resolveNoiseOptions('sentencePermutation', { p: -1 })).toThrow(/sentencePermutation: option "p"/);
    expect(() => resolveNoiseOptions('massMasking', { ratio: 0 })).toThrow(/option "ratio" must be a number in \(0, 1\]/);
  });

  it('rejects unknown options with a suggestion, missing required ones, and non-objects', () => {
    expect(() => resolveNoiseOptions('textInfilling', { poisonLambda: 3 })).toThrow(/unknown option "poisonLambda" \(did you mean "poissonLambda"\?\)/);
    expect(() => resolveNoiseOptions('textInfilling', { replaceLength: 1 })).toThrow(/textInfilling: unknown option "replaceLength"/);
    expect(() => resolveNoiseOptions('tokenInsertion', {})).toThrow(/tokenInsertion: option "p" is required/);
    expect(() => resolveNoiseOptions('tokenMasking', 0.3)).toThrow(/options must be an object/);
    expect(() => resolveNoiseOptions('tokenMasking', [0.3])).toThrow(/options must be an object/);
  });

  it('checks the MASS rates that must sum to at most 1', () => {
    expect(() => resolveNoiseOptions('massMasking', { maskTokenRate: 0.9, randomTokenRate: 0.2 })).toThrow(/"maskTokenRate" \(0.9\) \+ "randomTokenRate" \(0.2\) must be <= 1/);
    expect(() => resolveNoiseOptions('massMasking', { startProb: 0.6, endProb: 0.5 })).toThrow(/"startProb" \(0.6\) \+ "endProb" \(0.5\)/);
    expect(resolveNoiseOptions('massMasking', { startProb: 0.5, endProb: 0.5 }).endProb).toBe(0.5);
  });

  it('rejects unknown kinds with a suggestion', () => {
    expect(() => checkNoiseKind('textInfiling')).toThrow(/unknown noise kind "textInfiling" \(did you mean "textInfilling"\?\)/);
    expect(() => resolveNoiseOptions('nope' as NoiseKind, {})).toThrow(/unknown noise kind "nope"/);
  });
});

describe('checkNoiseContext', () => {
  const ok = { bosId: 2, eosId: 3, maskId: 4, randomTokens: { low: 5, high: 100 } };
  it('accepts a valid context and names the bad field otherwise', () => {
    expect(() => checkNoiseContext(ok)).not.toThrow();
    expect(() => checkNoiseContext({ ...ok, maskId: -1 })).toThrow(/context "maskId" must be a non-negative integer id/);
    expect(() => checkNoiseContext({ ...ok, bosId: 1.5 })).toThrow(/"bosId"/);
    expect(() => checkNoiseContext({ ...ok, randomTokens: { low: 5, high: 5 } })).toThrow(/"randomTokens" must be \{ low, high \}/);
  });
});

describe('JSON Schemas', () => {
  it('are draft-07 objects with additionalProperties false whose defaults equal resolveNoiseOptions defaults', () => {
    const all = noiseOptionsSchemas();
    expect(Object.keys(all).sort()).toEqual([...NOISE_KINDS].sort());
    for (const kind of NOISE_KINDS) {
      const schema = all[kind];
      expect(schema.type).toBe('object');
      expect(schema.additionalProperties).toBe(false);
      expect(schema).toEqual(noiseOptionsSchema(kind));
      const given = kind === 'tokenInsertion' ? { p: 0.1 } : {};
      expect(viaSchema(schema, given), kind).toEqual(resolveNoiseOptions(kind, given));
      // Every property documents itself.
      for (const [name, prop] of Object.entries(schema.properties as Record<string, Record<string, unknown>>)) {
        expect(typeof prop.description, `${kind}.${name}`).toBe('string');
      }
    }
  });

  it('reject what resolveNoiseOptions rejects (single-field rules)', () => {
    const bad: [NoiseKind, Record<string, unknown>][] = [
      ['textInfilling', { p: 1.5 }],
      ['textInfilling', { poissonLambda: 0 }],
      ['textInfilling', { poisonLambda: 3 }],
      ['wholeWordMask', { replaceLength: 2 }],
      ['tokenMasking', { maskLength: 'words' }],
      ['tokenInsertion', {}],
      ['massMasking', { ratio: 0 }],
      ['documentRotation', { p: -0.5 }],
    ];
    for (const [kind, options] of bad) {
      expect(() => viaSchema(noiseOptionsSchema(kind), options), `${kind} ${JSON.stringify(options)}`).toThrow(/invalid options/);
      expect(() => resolveNoiseOptions(kind, options)).toThrow();
    }
  });

  it('composeSchema fills per-kind defaults and rejects unknown kinds or missing insertion options', () => {
    const schema = composeSchema();
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const filled = validatePluginOptions(
      { kind: 'objective', name: 'seq2seq-test', optionsSchema: { type: 'object', properties: { noises: schema } } },
      { noises: [{ kind: 'sentencePermutation', options: {} }, { kind: 'textInfilling', options: { p: 0.2 } }, { kind: 'tokenInsertion', options: { p: 0.1 } }] },
      { pointer: '' },
    );
    expect(filled.noises).toEqual([
      { kind: 'sentencePermutation', options: { p: 1 } },
      { kind: 'textInfilling', options: { p: 0.2, poissonLambda: 3.5, maskRandom: 0.1 } },
      { kind: 'tokenInsertion', options: { p: 0.1, maskRandom: 0.1 } },
    ]);
    const wrap = { type: 'object', properties: { noises: schema } };
    const check = (noises: unknown) => validatePluginOptions({ kind: 'objective', name: 't', optionsSchema: wrap }, { noises }, { pointer: '' });
    expect(() => check([{ kind: 'textInfiling' }])).toThrow(/invalid options/);
    expect(() => check([{ kind: 'tokenInsertion' }])).toThrow(/invalid options/);
    expect(() => check([{ kind: 'textInfilling', options: { p: 3 } }])).toThrow(/invalid options/);
    expect(() => check([{ kind: 'textInfilling', options: { p: 0.3 }, extra: 1 }])).toThrow(/invalid options/);
  });
});

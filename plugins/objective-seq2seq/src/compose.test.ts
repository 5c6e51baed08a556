import { Rng } from '@ssbench/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { compose, type NoiseSpec } from './compose';
import { documentRotation, sentencePermutation, sentenceSpans, textInfilling, tokenInsertion } from './denoising';
import { massMasking } from './mass';
import type { NoiseContext } from './options';
import { type FixtureSequence, loadSeq2seqFixture } from './sotu-fixture';

let seqs: FixtureSequence[];
let ctx: NoiseContext;

beforeAll(() => {
  const fx = loadSeq2seqFixture({ maxLen: 128, maxSequences: 3000 });
  seqs = fx.sequences;
  ctx = fx.ctx;
});

function check(cond: boolean, msg: () => string): void {
  if (!cond) throw new Error(msg());
}

function same(a: readonly unknown[], b: readonly unknown[], what: string): void {
  check(a.length === b.length && a.every((x, i) => x === b[i]), () => `${what}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
}

/** fairseq's order when several noises are on. */
const FAIRSEQ_ORDER: NoiseSpec[] = [
  { kind: 'sentencePermutation', options: { p: 1 } },
  { kind: 'textInfilling', options: { p: 0.3, poissonLambda: 3.5, maskRandom: 0.1 } },
  { kind: 'tokenInsertion', options: { p: 0.05 } },
  { kind: 'documentRotation', options: { p: 0.5 } },
];

const withSeq = (seq: FixtureSequence) => ({ ...ctx, wordStarts: seq.wordStarts, sentenceEnds: seq.sentenceEnds });

/** Input sentence index of every position (-1 for BOS/EOS), from the test's own slicing. */
function sentenceOf(seq: FixtureSequence): number[] {
  const ids = new Array<number>(seq.ids.length).fill(-1);
  let start = 1;
  seq.sentenceEnds.forEach((e, s) => {
    ids.fill(s, start, e);
    start = e;
  });
  return ids;
}

describe('compose', () => {
  it('applies the list in order: equals calling the functions one after another on the same stream', () => {
    for (const [k, seq] of seqs.slice(0, 1000).entries()) {
      const composed = compose(FAIRSEQ_ORDER, seq.ids, withSeq(seq), new Rng(1000 + k));
      const rng = new Rng(1000 + k);
      const perm = sentencePermutation(seq.ids, seq.sentenceEnds, { p: 1 }, ctx, rng);
      const ws = perm.origin.map((o) => seq.wordStarts[o]); // permutation only moves tokens
      const infill = textInfilling(perm.source, ws, { p: 0.3, poissonLambda: 3.5, maskRandom: 0.1 }, ctx, rng);
      const ins = tokenInsertion(infill.source, { p: 0.05 }, ctx, rng);
      const rot = documentRotation(ins.source, { p: 0.5 }, ctx, rng);
      same(composed.source, rot.source, 'source');
      same(composed.target, seq.ids, 'target');
      expect(composed.decoderInput).toBeUndefined();
      expect(composed.steps.map((s) => s.kind)).toEqual(FAIRSEQ_ORDER.map((s) => s.kind));
      same(composed.steps[0].result.source, perm.source, 'step 1');
      same(composed.steps[1].result.source, infill.source, 'step 2');
      same(composed.steps[2].result.source, ins.source, 'step 3');
      // Each step's input is the previous step's output.
      for (let i = 1; i < composed.steps.length; i++) same(composed.steps[i].result.target, composed.steps[i - 1].result.source, `step ${i} input`);
    }
  });

  it('is deterministic for a seed and depends on it', () => {
    let differ = 0;
    for (const [k, seq] of seqs.slice(0, 300).entries()) {
      const a = compose(FAIRSEQ_ORDER, seq.ids, withSeq(seq), new Rng(k));
      const b = compose(FAIRSEQ_ORDER, seq.ids, withSeq(seq), new Rng(k));
      expect(b).toEqual(a);
      const c = compose(FAIRSEQ_ORDER, seq.ids, withSeq(seq), new Rng(k + 1_000_000));
      if (c.source.join() !== a.source.join()) differ++;
    }
    expect(differ).toBeGreaterThan(290);
  });

  it('order matters: masking-then-permutation differs from permutation-then-masking', () => {
    const a: NoiseSpec[] = [{ kind: 'textInfilling' }, { kind: 'sentencePermutation' }];
    const b: NoiseSpec[] = [{ kind: 'sentencePermutation' }, { kind: 'textInfilling' }];
    let differ = 0;
    let multi = 0;
    for (const [k, seq] of seqs.slice(0, 300).entries()) {
      if (seq.sentenceEnds.length < 2) continue;
      multi++;
      const ra = compose(a, seq.ids, withSeq(seq), new Rng(k));
      const rb = compose(b, seq.ids, withSeq(seq), new Rng(k));
      expect(ra.steps[0].kind).toBe('textInfilling');
      expect(rb.steps[0].kind).toBe('sentencePermutation');
      if (ra.source.join() !== rb.source.join()) differ++;
    }
    expect(differ).toBeGreaterThan(multi * 0.9);
  });

  it('carries word starts and sentence boundaries: permutation + rotation only move tokens', () => {
    const noises: NoiseSpec[] = [{ kind: 'sentencePermutation' }, { kind: 'documentRotation', options: { p: 1 } }];
    for (const [k, seq] of seqs.slice(0, 1000).entries()) {
      const r = compose(noises, seq.ids, withSeq(seq), new Rng(k));
      const sent = sentenceOf(seq);
      check(r.source.length === seq.ids.length, () => 'length');
      r.origin.forEach((o, i) => {
        check(o >= 0 && r.source[i] === seq.ids[o], () => `origin at ${i}`);
        check(r.wordStarts[i] === seq.wordStarts[o], () => `word start at ${i}`);
      });
      // Every carried sentence is a run of consecutive input positions inside one input sentence.
      for (const [a, b] of sentenceSpans(r.source.length, r.sentenceEnds)) {
        for (let i = a + 1; i < b; i++) check(r.origin[i] === r.origin[i - 1] + 1, () => 'segment not contiguous');
        check(sent[r.origin[a]] === sent[r.origin[b - 1]], () => 'segment spans two input sentences');
      }
    }
  });

  it('masking then permutation moves each (corrupted) sentence as a whole', () => {
    const noises: NoiseSpec[] = [{ kind: 'textInfilling' }, { kind: 'tokenInsertion', options: { p: 0.05 } }, { kind: 'sentencePermutation' }];
    for (const [k, seq] of seqs.slice(0, 1000).entries()) {
      const r = compose(noises, seq.ids, withSeq(seq), new Rng(k));
      const sent = sentenceOf(seq);
      check(r.wordStarts.length === r.source.length, () => 'wordStarts length');
      const seen = new Set<number>();
      for (const [a, b] of sentenceSpans(r.source.length, r.sentenceEnds)) {
        const from = new Set(r.origin.slice(a, b).filter((o) => o >= 0).map((o) => sent[o]));
        check(from.size <= 1, () => `a carried sentence mixes input sentences ${[...from]}`);
        for (const s of from) {
          check(!seen.has(s), () => `input sentence ${s} split by the permutation`);
          seen.add(s);
        }
      }
      // Positions inserted by the infilling or the insertion step are word starts.
      r.origin.forEach((o, i) => {
        if (o < 0) check(r.wordStarts[i], () => 'inserted token not a word start');
      });
    }
  });

  it('every noise together: BOS/EOS kept, target untouched, carried state sized to the source', () => {
    const all: NoiseSpec[] = [
      { kind: 'sentencePermutation', options: { p: 0.5 } },
      { kind: 'tokenMasking', options: { p: 0.1, maskLength: 'word' } },
      { kind: 'tokenDeletion', options: { p: 0.1 } },
      { kind: 'textInfilling', options: { p: 0.2 } },
      { kind: 'wholeWordMask', options: { replaceLength: -1, p: 0.1 } },
      { kind: 'tokenInsertion', options: { p: 0.1, maskRandom: 0.5 } },
      { kind: 'documentRotation', options: { p: 1 } },
    ];
    for (const [k, seq] of seqs.slice(0, 1000).entries()) {
      const r = compose(all, seq.ids, withSeq(seq), new Rng(k));
      check(r.source[0] === ctx.bosId && r.source[r.source.length - 1] === ctx.eosId, () => 'BOS/EOS');
      same(r.target, seq.ids, 'target');
      check(r.wordStarts.length === r.source.length && r.origin.length === r.source.length, () => 'carried lengths');
      check(r.sentenceEnds[r.sentenceEnds.length - 1] === r.source.length - 1, () => 'last sentence end');
      check(r.steps.length === all.length, () => 'steps');
    }
  });

  it('MASS last: its target and decoder input; MASS elsewhere is refused', () => {
    const seq = seqs[3];
    const r = compose([{ kind: 'sentencePermutation' }, { kind: 'massMasking' }], seq.ids, withSeq(seq), new Rng(9));
    const rng = new Rng(9);
    const perm = sentencePermutation(seq.ids, seq.sentenceEnds, {}, ctx, rng);
    const mass = massMasking(perm.source, {}, ctx, rng);
    expect(r.source).toEqual(mass.source);
    expect(r.target).toEqual(mass.target);
    expect(r.decoderInput).toEqual(mass.decoderInput);
    expect(r.target).toEqual(perm.source.slice(mass.fragmentStart, mass.fragmentStart + mass.fragmentLength));
    expect(() => compose([{ kind: 'massMasking' }, { kind: 'documentRotation' }], seq.ids, withSeq(seq), new Rng(1))).toThrow(
      /noises\[0\] is massMasking but is not the last noise/,
    );
  });

  it('an empty list returns the input; errors name the problem', () => {
    const seq = seqs[0];
    const r = compose([], seq.ids, withSeq(seq), new Rng(1));
    expect(r.source).toEqual(seq.ids);
    expect(r.sentenceEnds).toEqual(seq.sentenceEnds);
    expect(() => compose([{ kind: 'textInfiling' } as unknown as NoiseSpec], seq.ids, withSeq(seq), new Rng(1))).toThrow(
      /noises\[0\]: unknown noise kind "textInfiling" \(did you mean "textInfilling"\?\)/,
    );
    expect(() => compose([{ kind: 'sentencePermutation' }], seq.ids, ctx, new Rng(1))).toThrow(/sentencePermutation: needs the sentence boundaries/);
    expect(() => compose([{ kind: 'tokenInsertion' } as unknown as NoiseSpec], seq.ids, ctx, new Rng(1))).toThrow(/tokenInsertion: option "p" is required/);
    expect(() => compose([], seq.ids, { ...ctx, wordStarts: [true] }, new Rng(1))).toThrow(/wordStarts must have one entry per token/);
    expect(() => compose([], seq.ids.slice(1), ctx, new Rng(1))).toThrow(/compose: tokens must start with BOS/);
  });
});

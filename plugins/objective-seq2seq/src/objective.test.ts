import { type ModelInstance, Rng, SsbenchError, type TokenizedCorpus, validatePluginOptions } from '@ssbench/core';
import { loadSotu } from '@ssbench/corpora';
import { GraphBuilder, type Tensor, buildTrainingGraph, initParams, initialState, interpret, tensor } from '@ssbench/graph';
import bart from '@ssbench/model-seq2seq';
import { trainWordPiece } from '@ssbench/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NoiseSpec } from './compose';
import plugin, { contentBudget, createSeq2SeqObjective, documentExamples, massFragmentLength } from './index';

let corpus: TokenizedCorpus;
let vocabSize: number;
let specialIds: { pad: number; unk: number; cls: number; sep: number; mask: number };

beforeAll(() => {
  const text = loadSotu({ maxDocuments: 6 });
  const wp = trainWordPiece(
    text.documents.flatMap((d) => d.sentences),
    { vocabSize: 400 },
  );
  vocabSize = wp.vocabSize;
  specialIds = wp.specialIds;
  corpus = {
    documents: text.documents.map((d) => ({ sentences: d.sentences.map((s) => wp.encode(s)).map((e) => ({ ids: e.ids, wordStarts: e.wordStarts })) })),
  };
});

const i32 = (t: Tensor) => Array.from(t.data as Int32Array);
const f32 = (t: Tensor) => Array.from(t.data as Float32Array);

/** Rows of a [n, s] tensor, each cut to its mask's length. */
function rows(ids: Tensor, mask: Tensor): number[][] {
  const [n, s] = ids.shape;
  const d = i32(ids);
  const m = f32(mask);
  return Array.from({ length: n }, (_, r) => {
    const len = m.slice(r * s, (r + 1) * s).reduce((a, x) => a + x, 0);
    // Real tokens first, then padding only.
    for (let k = 0; k < s; k++) expect(m[r * s + k]).toBe(k < len ? 1 : 0);
    return d.slice(r * s, r * s + len);
  });
}

/** Per row, the (position, label) pairs of lm_positions / lm_labels. */
function predictions(batch: Record<string, Tensor>): { pos: number; label: number }[][] {
  const [n, tgt] = batch.decoder_input_ids.shape;
  const pos = i32(batch.lm_positions);
  const lab = i32(batch.lm_labels);
  expect(batch.lm_labels.shape).toEqual([pos.length, 1]);
  const out: { pos: number; label: number }[][] = Array.from({ length: n }, () => []);
  pos.forEach((p, k) => {
    out[Math.floor(p / tgt)].push({ pos: p % tgt, label: lab[k] });
  });
  return out;
}

const ALL_KINDS: NoiseSpec[] = [
  { kind: 'textInfilling' },
  { kind: 'tokenMasking' },
  { kind: 'tokenDeletion' },
  { kind: 'wholeWordMask', options: { maskLength: 'word', replaceLength: -1 } },
  { kind: 'sentencePermutation' },
  { kind: 'documentRotation', options: { p: 1 } },
  { kind: 'tokenInsertion', options: { p: 0.2 } },
  { kind: 'massMasking' },
];

/** A tiny BART and the objective's training-step graph (dropout 0, so no masks are fed). */
function tinyTraining(ctx: { vocabSize: number }, noises: NoiseSpec[], seqLen: number, lr = 1e-2) {
  const model = bart.create({ dModel: 16, encoderLayers: 1, decoderLayers: 1, heads: 2, ffnDim: 32, maxPositions: 64, dropout: 0 }, ctx);
  const obj = plugin.create({ noises }, { vocabSize: ctx.vocabSize, specialIds, seqLen });
  const b = new GraphBuilder('seq2seq-step');
  const { loss, metrics } = obj.buildLoss(b, model);
  const tg = buildTrainingGraph(b, loss, { lr, warmupSteps: 0, totalSteps: 1000, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, schedule: 'constant' }, metrics);
  expect(b.dropouts).toEqual([]);
  return { obj, tg, state: { ...Object.fromEntries(initParams(tg.params, new Rng(1).fork('init'))), ...initialState(tg.params) } };
}

type Training = ReturnType<typeof tinyTraining>;

/** One training step through the reference interpreter; returns the loss and metrics and advances the state. */
function step(t: Training, batch: Record<string, Tensor>, n: number): { loss: number; acc: number } {
  const out = interpret(t.tg.graph, { ...t.state, ...batch, [t.tg.stepInput]: tensor('float32', [], [n]) });
  for (const s of t.tg.state) t.state[s.input] = out[s.output];
  return { loss: f32(out[t.tg.lossOutput])[0], acc: f32(out[t.tg.extraOutputs.lm_accuracy])[0] };
}

describe('seq2seq objective: batches', () => {
  it('BART layout: source [BOS .. EOS] corrupted, decoder input = target shifted right from EOS, labels = the uncorrupted target', () => {
    const seqLen = 40;
    const obj = plugin.create({ noises: [{ kind: 'sentencePermutation' }, { kind: 'textInfilling' }] }, { vocabSize, specialIds, seqLen });
    const originals = new Set(corpus.documents.flatMap((d) => documentExamples(d, seqLen - 2, specialIds.cls, specialIds.sep)).map((e) => e.tokens.join()));
    const stream = obj.batches(corpus, 8, new Rng(3));
    let corrupted = 0;
    for (let k = 0; k < 10; k++) {
      const batch = stream.next().value as Record<string, Tensor>;
      expect(Object.keys(batch).sort()).toEqual(['attention_mask', 'decoder_attention_mask', 'decoder_input_ids', 'input_ids', 'lm_labels', 'lm_positions']);
      const [n, src] = batch.input_ids.shape;
      const [n2, tgt] = batch.decoder_input_ids.shape;
      expect([n, n2]).toEqual([8, 8]);
      expect(src).toBeLessThanOrEqual(seqLen);
      expect(tgt).toBeLessThanOrEqual(seqLen);
      const sources = rows(batch.input_ids, batch.attention_mask);
      const decs = rows(batch.decoder_input_ids, batch.decoder_attention_mask);
      const preds = predictions(batch);
      // Padding is the pad id.
      const ids = i32(batch.input_ids);
      sources.forEach((s, r) => {
        for (let c = s.length; c < src; c++) expect(ids[r * src + c]).toBe(specialIds.pad);
      });
      for (let r = 0; r < n; r++) {
        const target = preds[r].map((p) => p.label);
        // Every real decoder position predicts, in order; none points at padding.
        expect(preds[r].map((p) => p.pos)).toEqual(decs[r].map((_, i) => i));
        // Labels are an uncorrupted example: BOS ... EOS of the corpus.
        expect(originals.has(target.join())).toBe(true);
        expect(target[0]).toBe(specialIds.cls);
        expect(target[target.length - 1]).toBe(specialIds.sep);
        // Decoder input = target shifted right, starting with EOS.
        expect(decs[r]).toEqual([specialIds.sep, ...target.slice(0, -1)]);
        // Source: BOS ... EOS, a corruption of the same example (same multiset of ordinary tokens or fewer + masks).
        const s = sources[r];
        expect(s[0]).toBe(specialIds.cls);
        expect(s[s.length - 1]).toBe(specialIds.sep);
        if (s.join() !== target.join()) corrupted++;
      }
      // Predictions = every real decoder token of the batch.
      expect(batch.lm_positions.shape[0]).toBe(f32(batch.decoder_attention_mask).reduce((a, x) => a + x, 0));
    }
    expect(corrupted).toBeGreaterThan(70);
  });

  it('MASS layout: the decoder sees the fragment shifted right (masks elsewhere) and predicts only the fragment', () => {
    const obj = createSeq2SeqObjective({ noises: [{ kind: 'massMasking' }] }, { vocabSize, specialIds, seqLen: 32 });
    const batch = obj.batches(corpus, 8, new Rng(4)).next().value as Record<string, Tensor>;
    const sources = rows(batch.input_ids, batch.attention_mask);
    const decs = rows(batch.decoder_input_ids, batch.decoder_attention_mask);
    const preds = predictions(batch);
    for (let r = 0; r < 8; r++) {
      const dec = decs[r];
      expect(dec.length).toBe(sources[r].length);
      const pos = preds[r].map((p) => p.pos);
      const inner = sources[r].length - 2;
      expect(pos.length).toBe(massFragmentLength(inner, 0.5));
      // Contiguous fragment between BOS and EOS.
      expect(pos).toEqual(pos.map((_, j) => pos[0] + j));
      expect(pos[0]).toBeGreaterThanOrEqual(1);
      expect(pos[pos.length - 1]).toBeLessThanOrEqual(inner);
      // Decoder input: previous token at fragment positions (the label before it), <mask> elsewhere.
      dec.forEach((t, i) => {
        const j = pos.indexOf(i);
        if (j < 0) expect(t).toBe(specialIds.mask);
        else if (j > 0) expect(t).toBe(preds[r][j - 1].label);
      });
    }
  });

  it('reserves room for token insertion so the source fits seqLen; a corpus smaller than a batch still streams', () => {
    expect(contentBudget(40, [{ kind: 'textInfilling' }])).toBe(38);
    expect(contentBudget(40, [{ kind: 'tokenInsertion', options: { p: 0.2 } }])).toBe(31); // 33 + ceil(6.6) = 40
    expect(() => plugin.create({ noises: [{ kind: 'tokenInsertion', options: { p: 1 } }] }, { vocabSize, specialIds, seqLen: 3 })).toThrow(/no room/);
    const obj = plugin.create({ noises: [{ kind: 'tokenInsertion', options: { p: 0.2 } }] }, { vocabSize, specialIds, seqLen: 40 });
    const stream = obj.batches(corpus, 16, new Rng(5));
    for (let k = 0; k < 5; k++) expect((stream.next().value as Record<string, Tensor>).input_ids.shape[1]).toBeLessThanOrEqual(40);
    const small: TokenizedCorpus = { documents: [{ sentences: [corpus.documents[0].sentences[0]] }] };
    const b = plugin.create({}, { vocabSize, specialIds, seqLen: 64 }).batches(small, 4, new Rng(6)).next().value as Record<string, Tensor>;
    expect(b.input_ids.shape[0]).toBe(4);
    expect(() => plugin.create({}, { vocabSize, specialIds, seqLen: 64 }).batches({ documents: [] }, 4, new Rng(6)).next()).toThrow(/no text/);
  });

  it('every noise kind gives a batch that trains: finite loss near ln(V) at init, finite gradients, parameters move', () => {
    const t = tinyTraining({ vocabSize }, [{ kind: 'textInfilling' }], 24);
    ALL_KINDS.forEach((spec, k) => {
      const obj = plugin.create({ noises: [spec] }, { vocabSize, specialIds, seqLen: 24 });
      const batch = obj.batches(corpus, 2, new Rng(10 + k)).next().value as Record<string, Tensor>;
      expect(batch.lm_positions.shape[0], spec.kind).toBeGreaterThan(0);
      const before = f32(t.state['model.decoder.layers.0.fc1.weight']).slice(0, 4);
      const { loss } = step(t, batch, k + 1);
      expect(Number.isFinite(loss), spec.kind).toBe(true);
      if (k === 0) expect(Math.abs(loss - Math.log(vocabSize))).toBeLessThan(0.5);
      const after = f32(t.state['model.decoder.layers.0.fc1.weight']).slice(0, 4);
      expect(after.every(Number.isFinite)).toBe(true);
      expect(after).not.toEqual(before);
    });
  });
});

describe('seq2seq objective: loss', () => {
  it('padding never counts: extra padding (with junk ids) leaves the loss unchanged', () => {
    const seqLen = 24;
    const t = tinyTraining({ vocabSize }, [{ kind: 'textInfilling' }], seqLen);
    const batch = t.obj.batches(corpus, 3, new Rng(7)).next().value as Record<string, Tensor>;
    const padRight = (x: Tensor, extra: number, fill: number) => {
      const [n, s] = x.shape;
      const out = new (x.dtype === 'int32' ? Int32Array : Float32Array)(n * (s + extra)).fill(fill);
      for (let r = 0; r < n; r++) out.set((x.data as Int32Array | Float32Array).subarray(r * s, (r + 1) * s), r * (s + extra));
      return tensor(x.dtype, [n, s + extra], out);
    };
    const tgt = batch.decoder_input_ids.shape[1];
    const padded = {
      input_ids: padRight(batch.input_ids, 3, 17),
      attention_mask: padRight(batch.attention_mask, 3, 0),
      decoder_input_ids: padRight(batch.decoder_input_ids, 2, 23),
      decoder_attention_mask: padRight(batch.decoder_attention_mask, 2, 0),
      lm_positions: tensor('int32', batch.lm_positions.shape, Int32Array.from(i32(batch.lm_positions), (p) => Math.floor(p / tgt) * (tgt + 2) + (p % tgt))),
      lm_labels: batch.lm_labels,
    };
    const run = (f: Record<string, Tensor>) => f32(interpret(t.tg.graph, { ...t.state, ...f, [t.tg.stepInput]: tensor('float32', [], [1]) })[t.tg.lossOutput])[0];
    const a = run(batch);
    expect(Math.abs(run(padded) - a)).toBeLessThan(1e-5);
    // The loss is the mean over the predictions: doubling the list (same rows twice) leaves it unchanged too.
    const twice = { ...batch, lm_positions: tensor('int32', [2 * batch.lm_positions.shape[0]], Int32Array.from([...i32(batch.lm_positions), ...i32(batch.lm_positions)])), lm_labels: tensor('int32', [2 * batch.lm_labels.shape[0], 1], Int32Array.from([...i32(batch.lm_labels), ...i32(batch.lm_labels)])) };
    expect(Math.abs(run(twice) - a)).toBeLessThan(1e-5);
  });

  it('a tiny BART trained on one batch with buildTrainingGraph + interpret lowers the loss from ~ln(V)', () => {
    // A small vocabulary (specials 0..4 and 20 ordinary ids) so that the model can fit the batch in a few steps.
    const V = 25;
    const u = new Rng(8);
    const synthetic: TokenizedCorpus = {
      documents: Array.from({ length: 4 }, () => ({
        sentences: Array.from({ length: 2 }, () => {
          const ids = Array.from({ length: 4 + u.int(4) }, () => 5 + u.int(V - 5));
          return { ids, wordStarts: ids.map(() => true) };
        }),
      })),
    };
    const t = tinyTraining({ vocabSize: V }, [{ kind: 'textInfilling' }], 20, 3e-2);
    const batch = t.obj.batches(synthetic, 4, new Rng(9)).next().value as Record<string, Tensor>;
    const losses: number[] = [];
    let acc = 0;
    for (let s = 1; s <= 15; s++) {
      const r = step(t, batch, s);
      losses.push(r.loss);
      acc = r.acc;
    }
    expect(Math.abs(losses[0] - Math.log(V))).toBeLessThan(0.3);
    expect(losses[losses.length - 1]).toBeLessThan(0.5 * losses[0]);
    expect(acc).toBeGreaterThan(0.4);
  });

  it('buildLoss refuses a model that is not an encoder-decoder', () => {
    const obj = plugin.create({}, { vocabSize, specialIds, seqLen: 16 });
    const encoder = { architecture: 'encoder' } as unknown as ModelInstance;
    expect(() => obj.buildLoss(new GraphBuilder('x'), encoder)).toThrow(/trains encoder-decoder models .*not encoder models/);
  });
});

describe('seq2seq objective: options', () => {
  const validate = (options: unknown) => validatePluginOptions(plugin, options, { pointer: '/objectives/0/options' });
  const issues = (options: unknown): { pointer?: string; message: string }[] => {
    try {
      validate(options);
    } catch (e) {
      expect(e).toBeInstanceOf(SsbenchError);
      return [...(e as SsbenchError).issues];
    }
    throw new Error('validation passed');
  };

  it('is the plugin the runner loads', () => {
    expect(plugin).toMatchObject({ kind: 'objective', name: '@ssbench/objective-seq2seq', requires: ['encoder-decoder'] });
    expect(plugin.version).toMatch(/^\d+\.\d+\.\d+/);
    // Defaults: the BART-large recipe.
    expect(validate({})).toEqual({ noises: [{ kind: 'sentencePermutation' }, { kind: 'textInfilling' }] });
    expect(validate({ noises: [{ kind: 'massMasking', options: { ratio: 0.3 } }] })).toMatchObject({ noises: [{ kind: 'massMasking', options: { ratio: 0.3 } }] });
  });

  it('rejects bad options at validation, naming the option', () => {
    expect(issues({ noises: [{ kind: 'textInfilling', options: { p: 1.5 } }] })).toEqual([
      { pointer: '/objectives/0/options/noises/0/options/p', message: 'expected a number <= 1, got 1.5' },
    ]);
    expect(issues({ noises: [{ kind: 'tokenMasking' }, { kind: 'documentRotation', options: { p: -0.1 } }] })[0]).toMatchObject({
      pointer: '/objectives/0/options/noises/1/options/p',
    });
    expect(issues({ noises: [{ kind: 'textInfilling', options: { poissonLambda: 0 } }] })).toEqual([
      { pointer: '/objectives/0/options/noises/0/options/poissonLambda', message: 'expected a number > 0, got 0' },
    ]);
    const unknown = issues({ noises: [{ kind: 'textInfiling' }] });
    expect(unknown[0].pointer).toBe('/objectives/0/options/noises/0/kind');
    expect(unknown[0].message).toMatch(/got "textInfiling".*did you mean "textInfilling"/);
    expect(issues({ noises: [{ kind: 'textInfilling', options: { lambda: 3 } }] })[0]).toMatchObject({ pointer: '/objectives/0/options/noises/0/options/lambda' });
    expect(issues({ noises: [] })[0]).toMatchObject({ pointer: '/objectives/0/options/noises', message: 'expected at least 1 item, got 0' });
    expect(issues({ noises: [{ kind: 'tokenInsertion' }] })[0]).toMatchObject({ pointer: '/objectives/0/options/noises/0' });
    expect(issues({ noise: [] })[0]).toMatchObject({ pointer: '/objectives/0/options/noise' });
  });

  it('checks at create what a schema cannot: MASS last, MASS rates summing to at most 1', () => {
    const ctx = { vocabSize: 100, specialIds: { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 }, seqLen: 32 };
    expect(() => plugin.create({ noises: [{ kind: 'massMasking' }, { kind: 'documentRotation' }] }, ctx)).toThrow(/noises\[0\]" is massMasking but not the last/);
    expect(() => plugin.create({ noises: [{ kind: 'massMasking', options: { maskTokenRate: 0.8, randomTokenRate: 0.3 } }] }, ctx)).toThrow(
      /noises\[0\]": massMasking: options "maskTokenRate" \(0.8\) \+ "randomTokenRate" \(0.3\) must be <= 1/,
    );
    expect(() => plugin.create({ noises: [{ kind: 'nope' } as never] }, ctx)).toThrow(/noises\[0\]": .*unknown noise kind "nope"/);
    expect(() => plugin.create({}, { ...ctx, vocabSize: 5 })).toThrow(/no ordinary token id/);
  });
});

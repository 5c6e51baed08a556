import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from '@ssbench/backend-onnxruntime';
import type { BackendSession, Executable } from '@ssbench/core';
import { Rng } from '@ssbench/core';
import { locateHandbook, loadHandbookPairs } from '@ssbench/corpora';
import { type Graph, GraphBuilder, type Tensor, initParams, interpret, tensor } from '@ssbench/graph';
import { createBert } from '@ssbench/model-bert';
import { BasicTokenizer, WordPiece, isCjkIdeograph, trainWordPiece } from '@ssbench/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contextualSimilarity,
  contextualWordVectors,
  cosine,
  crossLingualProbe,
  findWordPieces,
  hiddenStatesGraph,
  languageVector,
  meanPooled,
  probeSentences,
  runHiddenStates,
  senseSeparation,
  sentenceVectors,
  splitProbePairs,
  translationRetrieval,
  wrapSequence,
} from './probes';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const arr = (v: Float32Array) => Array.from(v);

describe('meanPooled', () => {
  // Row 0: [CLS] (10,10), a (1,2), b (3,4), [SEP] (20,20). Row 1: [CLS] (0,0), c (5,-1), [SEP] (7,7), pad (100,100).
  const hidden = tensor('float32', [2, 4, 2], f32(10, 10, 1, 2, 3, 4, 20, 20, 0, 0, 5, -1, 7, 7, 100, 100));
  const mask = tensor('float32', [2, 4], f32(1, 1, 1, 1, 1, 1, 1, 0));

  it('averages real tokens, without [CLS]/[SEP] by default, never padding', () => {
    const p = meanPooled(hidden, mask);
    expect(p.vectors.map(arr)).toEqual([
      [2, 3],
      [5, -1],
    ]);
    expect(p.counts).toEqual([2, 1]);
    const all = meanPooled(hidden, mask, { skipSpecial: false });
    expect(all.vectors.map(arr)).toEqual([
      [(10 + 1 + 3 + 20) / 4, (10 + 2 + 4 + 20) / 4],
      [(0 + 5 + 7) / 3, (0 - 1 + 7) / 3],
    ]);
    expect(all.counts).toEqual([4, 3]);
  });

  it('wraps ids in [CLS] ... [SEP] within a length', () => {
    expect(wrapSequence([7, 8, 9, 10], { cls: 2, sep: 3 }, 5)).toEqual([2, 7, 8, 9, 3]);
    expect(wrapSequence([7], { cls: 2, sep: 3 }, 5)).toEqual([2, 7, 3]);
    expect(() => wrapSequence([7], { cls: 2, sep: 3 }, 2)).toThrow(/maxLen must be an integer >= 3/);
  });

  it('refuses rows with nothing to pool and mismatched shapes', () => {
    const h = tensor('float32', [1, 3, 1], f32(1, 2, 3));
    expect(() => meanPooled(h, tensor('float32', [1, 3], f32(1, 1, 0)))).toThrow(/row 0 has no token to pool \(only \[CLS\] and \[SEP\]\)/);
    expect(() => meanPooled(h, tensor('float32', [1, 3], f32(0, 0, 0)), { skipSpecial: false })).toThrow(/all padding/);
    expect(() => meanPooled(h, tensor('float32', [1, 2], f32(1, 1)))).toThrow(/does not match/);
  });
});

describe('language vector and translation retrieval', () => {
  it('is mean(target) - mean(source), sentence-level or weighted by tokens', () => {
    const src = [f32(1, 0), f32(3, 0)];
    const tgt = [f32(0, 1), f32(0, 3)];
    expect(arr(languageVector(src, tgt))).toEqual([-2, 2]);
    // weights src [1, 3]: (1*1 + 3*3)/4 = 2.5; tgt [3, 1]: (3*1 + 1*3)/4 = 1.5
    expect(arr(languageVector(src, tgt, { source: [1, 3], target: [3, 1] }))).toEqual([-2.5, 1.5]);
    expect(() => languageVector(src, [f32(1, 2, 3)])).toThrow(/2 dimensions, target 3/);
    expect(() => languageVector(src, tgt, { source: [0, 0], target: [1, 1] })).toThrow(/sum to 0/);
  });

  it('token-weighted sentence means equal the mean over all tokens', () => {
    // Two sentences of 3 and 1 real tokens (no specials skipped): the token-level mean is over 4 tokens.
    const h = tensor('float32', [2, 3, 1], f32(1, 2, 6, 10, 0, 0));
    const m = tensor('float32', [2, 3], f32(1, 1, 1, 1, 0, 0));
    const p = meanPooled(h, m, { skipSpecial: false });
    const zero = [f32(0), f32(0)];
    // target - source with source = 0: the weighted mean of the sentences = (1 + 2 + 6 + 10) / 4.
    expect(languageVector(zero, p.vectors, { source: [1, 1], target: p.counts })[0]).toBeCloseTo(19 / 4, 6);
    expect(languageVector(zero, p.vectors)[0]).toBeCloseTo((3 + 10) / 2, 6); // sentence-level
  });

  it('ranks the true translation by cosine similarity, ties counted against it', () => {
    expect(cosine(f32(1, 1), f32(2, 2))).toBeCloseTo(1, 12);
    expect(cosine(f32(0, 0), f32(1, 0))).toBe(0);
    const q = [f32(1, 0), f32(0, 1), f32(1, 1)];
    const c = [f32(0, 1), f32(1, 0), f32(1, 1)];
    // q0: sims c0 0 (true), c1 1, c2 0.71 -> rank 3; q1 likewise rank 3; q2: c2 1 (true) -> rank 1.
    expect(translationRetrieval(q, c)).toEqual({ accuracyAt1: 1 / 3, mrr: (1 / 3 + 1 / 3 + 1) / 3, ranks: [3, 3, 1] });
    // Shift (-1, 1): q0 -> (0,1) = c0 -> rank 1; q1 -> (-1,2): c0 .89, c1 -.45 (true), c2 .32 -> rank 3;
    // q2 -> (0,2): c0 1, c1 0, c2 .71 (true) -> rank 2.
    const shifted = translationRetrieval(q, c, { shift: f32(-1, 1) });
    expect(shifted.ranks).toEqual([1, 3, 2]);
    expect(shifted.mrr).toBeCloseTo((1 + 1 / 3 + 1 / 2) / 3, 12);
    // All vectors equal: every query ties with every candidate -> worst rank.
    expect(translationRetrieval([f32(1, 1), f32(1, 1)], [f32(2, 2), f32(2, 2)])).toEqual({ accuracyAt1: 0, mrr: 0.5, ranks: [2, 2] });
    expect(() => translationRetrieval(q, c.slice(1))).toThrow(/3 queries but 2 candidates/);
  });

  it('probes per layer: the vector is fitted on the fit pairs only and moves sources onto their translations', () => {
    // Layer 0: target = source + (0, 5) for pairs 0..4; pair 5 (evaluated) has offset (0, 50), which would change
    // the vector if it were fitted on. Layer 1: target = source (no language offset).
    const srcs = [f32(1, 0), f32(0.8, 0.6), f32(0.6, 0.8), f32(0, 1), f32(-0.6, 0.8), f32(-1, 0.1)];
    const tgt0 = srcs.map((s, i) => f32(s[0], s[1] + (i === 5 ? 50 : 5)));
    const source = { vectors: [srcs, srcs], counts: [1, 1, 1, 1, 1, 1] };
    const target = { vectors: [tgt0, srcs], counts: [1, 1, 1, 1, 1, 1] };
    const split = { fit: [0, 2, 4], evaluate: [1, 3, 5] };
    const [l0, l1] = crossLingualProbe(source, target, split);
    expect(l0.vectorNorm).toBeCloseTo(5, 5);
    const q = [1, 3, 5].map((i) => srcs[i]);
    const c = [1, 3, 5].map((i) => tgt0[i]);
    const before = translationRetrieval(q, c);
    expect(l0.before).toEqual({ accuracyAt1: before.accuracyAt1, mrr: before.mrr });
    expect(l0.after.accuracyAt1).toBe(1); // sources 1 and 3 land exactly on their targets; 5 is closest to its own
    expect(l0.meanSourceNorm).toBeCloseTo((1 + 1 + Math.hypot(-1, 0.1)) / 3, 6);
    expect(l1).toMatchObject({ layer: 1, vectorNorm: 0, before: { accuracyAt1: 1, mrr: 1 }, after: { accuracyAt1: 1, mrr: 1 } });
    expect(() => crossLingualProbe(source, target, { fit: [0, 1], evaluate: [1, 2] })).toThrow(/pairs 1 are in both/);
    expect(() => crossLingualProbe(source, target, { fit: [0], evaluate: [9] })).toThrow(/9 out of \[0, 6\)/);
  });

  it('weights the fitted vector by tokens unless told not to', () => {
    // fit pair 0: offset (0, 2), 1 token each side; pair 1: offset (0, 4), 3 tokens each side.
    const s = [f32(1, 0), f32(0, 1), f32(1, 1)];
    const t = [f32(1, 2), f32(0, 5), f32(1, 1)];
    const src = { vectors: [s], counts: [1, 3, 1] };
    const tgt = { vectors: [t], counts: [1, 3, 1] };
    const split = { fit: [0, 1], evaluate: [2] };
    expect(crossLingualProbe(src, tgt, split)[0].vectorNorm).toBeCloseTo((2 + 3 * 4) / 4, 6);
    expect(crossLingualProbe(src, tgt, split, { tokenWeighted: false })[0].vectorNorm).toBeCloseTo(3, 6);
  });

  it('splits pair indices disjointly and deterministically', () => {
    const a = splitProbePairs(10, 4, 7);
    expect(a.evaluate.length).toBe(4);
    expect([...a.fit, ...a.evaluate].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(splitProbePairs(10, 4, 7)).toEqual(a);
    expect(splitProbePairs(10, 4, 8)).not.toEqual(a);
    expect(() => splitProbePairs(3, 3, 1)).toThrow(/evaluate must be in \[1, 2\]/);
  });
});

describe('contextual similarity', () => {
  it('is the cosine matrix (zero vectors similar to nothing)', () => {
    const r = Math.SQRT1_2;
    const m = contextualSimilarity([f32(1, 0), f32(0, 2), f32(1, 1), f32(0, 0)]);
    const want = [
      [1, 0, r, 0],
      [0, 1, r, 0],
      [r, r, 1, 0],
      [0, 0, 0, 0],
    ];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(m[i][j], `${i},${j}`).toBeCloseTo(want[i][j], 12);
  });

  it('measures sense clustering as mean within-sense minus mean across-sense similarity', () => {
    const sim = [
      [1, 0.9, 0.1, 0.2],
      [0.9, 1, 0.3, 0.4],
      [0.1, 0.3, 1, 0.7],
      [0.2, 0.4, 0.7, 1],
    ];
    const s = senseSeparation(sim, ['river', 'river', 'money', 'money']);
    expect(s.within).toBeCloseTo((0.9 + 0.7) / 2, 12);
    expect(s.across).toBeCloseTo((0.1 + 0.2 + 0.3 + 0.4) / 4, 12);
    expect(s.separation).toBeCloseTo(0.8 - 0.25, 12);
    expect(() => senseSeparation(sim, ['a', 'b', 'c', 'd'])).toThrow(/0 same-sense/);
    expect(() => senseSeparation(sim, ['a', 'a'])).toThrow(/not 2 x 2/);
  });

  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'bank', 'banks', 'river', 'bat', '##s', 'ban', '##k', 'a', '.', 'apple'];
  const wp = new WordPiece(vocab);

  it('finds the sub-token positions of a whole word', () => {
    expect(findWordPieces(wp, 'The river bank.', 'bank')).toEqual({ ids: [5, 8, 6, 14], positions: [2] });
    // "bats" = bat ##s: "bat" must not match inside it; the later whole "bat" does.
    expect(findWordPieces(wp, 'bats a bat', 'bat')).toEqual({ ids: [9, 10, 13, 9], positions: [3] });
    // A word of two pieces: "bank" split as ban ##k with a vocabulary lacking "bank".
    const wp2 = new WordPiece(vocab.filter((t) => t !== 'bank' && t !== 'banks'));
    const f = findWordPieces(wp2, 'the bank', 'bank');
    expect(f.positions).toEqual([1, 2]);
    expect(f.ids.slice(1).map((id) => wp2.vocab[id])).toEqual(['ban', '##k']);
    expect(() => findWordPieces(wp, 'the banks', 'bank')).toThrow(/"bank" does not occur as a whole word in "the banks"/);
    // Cased vocabularies: "Apple" is tried after "apple".
    const cased = new WordPiece(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'Apple', 'app', '##le', 'sells'], { lowerCase: false });
    expect(findWordPieces(cased, 'Apple sells', 'apple').positions).toEqual([0]);
  });

  it('ships demo sentences: 5 words x 2 senses x 5 sentences, each word found once per sentence', () => {
    const s = probeSentences();
    expect(s.length).toBe(50);
    const words = [...new Set(s.map((x) => x.word))];
    expect(words).toEqual(['bank', 'apple', 'bat', 'spring', 'plant']);
    for (const w of words) {
      const senses = new Map<string, number>();
      for (const x of s) if (x.word === w) senses.set(x.sense, (senses.get(x.sense) ?? 0) + 1);
      expect([...senses.values()], w).toEqual([5, 5]);
    }
    const tok = trainWordPiece(
      s.map((x) => x.text),
      { vocabSize: 400, lowerCase: true, minFrequency: 1 },
    );
    for (const x of s) expect(findWordPieces(tok, x.text, x.word).positions.length, x.text).toBeGreaterThan(0);
  });
});

// ---- the tokenizer on Chinese -----------------------------------------------------------------------------

const repoData = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.ssbench-cache/data');
const haveHandbook = locateHandbook('zh-CN', { dataDir: repoData }) !== null && locateHandbook('en-US', { dataDir: repoData }) !== null;

/** Every piece that holds a CJK ideograph is exactly one ideograph (as BERT's _tokenize_chinese_chars makes it). */
function cjkPiecesAreSingleChars(tokens: readonly string[]): boolean {
  return tokens.every((t) => {
    const chars = [...t.replace(/^##/, '')];
    return !chars.some((ch) => isCjkIdeograph(ch.codePointAt(0) as number)) || chars.length === 1;
  });
}

describe('WordPiece on Chinese (BERT _tokenize_chinese_chars)', () => {
  it('the basic tokenizer makes every CJK ideograph a word and splits CJK punctuation', () => {
    expect(new BasicTokenizer().tokenize('Debian 是一个 GNU/Linux 的发行版。')).toEqual(['debian', '是', '一', '个', 'gnu', '/', 'linux', '的', '发', '行', '版', '。']);
    expect(new BasicTokenizer().tokenize('（稳定版）：apt-get')).toEqual(['（', '稳', '定', '版', '）', '：', 'apt', '-', 'get']);
  });

  it('a WordPiece vocabulary trained on Chinese text never merges ideographs', () => {
    const text = ['软件包管理系统是 Debian 的核心。', '软件包管理系统很好用。', '管理软件包的工具叫做 apt。'];
    const wp = trainWordPiece(text, { vocabSize: 80, lowerCase: true, minFrequency: 1 });
    const e = wp.encode(text[0]);
    expect(e.tokens.slice(0, 4)).toEqual(['软', '件', '包', '管']);
    expect(e.wordStarts.slice(0, 4)).toEqual([true, true, true, true]);
    expect(cjkPiecesAreSingleChars(wp.vocab)).toBe(true);
  });

  it.skipIf(!haveHandbook)('holds on the real handbook (zh-CN): one ideograph per piece', () => {
    const pairs = loadHandbookPairs({ dataDir: repoData }).pairs.slice(0, 400);
    const wp = trainWordPiece(
      pairs.flatMap((p) => [p.source, p.target]),
      { vocabSize: 3000, lowerCase: true },
    );
    expect(cjkPiecesAreSingleChars(wp.vocab)).toBe(true);
    const tokens = pairs.flatMap((p) => wp.encode(p.target).tokens);
    expect(cjkPiecesAreSingleChars(tokens)).toBe(true);
    expect(tokens.filter((t) => isCjkIdeograph(t.codePointAt(0) as number)).length).toBeGreaterThan(10_000);
  });
});

// ---- a tiny random BERT on onnxruntime-node (cpu) ------------------------------------------------------------

const interpretSession: BackendSession = {
  version: 'interpret',
  device: 'cpu',
  async compile(g: Graph): Promise<Executable> {
    return {
      inputNames: g.inputs.map((i) => i.name),
      outputNames: g.outputs.map((o) => o.name),
      run: async (feeds) => interpret(g, feeds),
      dispose: async () => {},
    };
  },
  async dispose() {},
};

describe('hidden states of a tiny BERT on onnxruntime-node (cpu)', () => {
  let session: BackendSession;
  beforeAll(async () => {
    const a = await ort.probe({ executionProvider: 'cpu' });
    if (!a.available) throw new Error(`onnxruntime-node cpu is needed for this test: ${a.reason}`);
    session = await ort.create({ executionProvider: 'cpu', threads: 1 });
  });
  afterAll(async () => {
    await session?.dispose();
  });

  const V = 40;
  const model = createBert({ hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 32, maxPositions: 32, hiddenDropout: 0 }, { vocabSize: V });
  // Parameters (plus a pretraining-head weight the graph doesn't use, as a checkpoint would hold).
  const b = new GraphBuilder('params');
  model.forward(
    b,
    { inputIds: b.input('i', 'int32', ['b', 's']), tokenTypeIds: b.input('t', 'int32', ['b', 's']), attentionMask: b.input('m', 'float32', ['b', 's']) },
    { training: false },
  );
  const weights = initParams(
    b.params.map((p) => (p.init.kind === 'normal' ? { ...p, init: { kind: 'normal' as const, std: 0.5 } } : p)),
    new Rng(3),
  );
  weights.set('cls.predictions.bias', tensor('float32', [V], new Float32Array(V)));
  const sequences = [
    [2, 7, 8, 9, 3],
    [2, 10, 3],
    [2, 11, 12, 13, 14, 15, 3],
  ];

  it('builds L + 1 [batch, seq, hidden] outputs', () => {
    const { graph, layers } = hiddenStatesGraph(model);
    expect(layers).toBe(3);
    expect(graph.outputs.map((o) => [o.name, o.shape])).toEqual([0, 1, 2].map((l) => [`hidden.${l}`, ['batch', 'seq', 16]]));
  });

  it('runs batched by length; states agree with the reference interpreter and do not depend on padding', async () => {
    const seen: { indices: number[]; shapes: number[][]; mask: number[] }[] = [];
    const byIndex = new Map<number, Tensor[]>();
    const info = await runHiddenStates({
      session,
      model,
      weights,
      sequences,
      pad: 0,
      batchSize: 2,
      onBatch: ({ indices, layers, mask }) => {
        seen.push({ indices: [...indices], shapes: layers.map((t) => [...t.shape]), mask: Array.from(mask.data as Float32Array) });
        indices.forEach((i, r) => {
          const [, S, H] = layers[0].shape;
          byIndex.set(
            i,
            layers.map((t) => tensor('float32', [1, S, H], (t.data as Float32Array).slice(r * S * H, (r + 1) * S * H))),
          );
        });
      },
    });
    expect(info).toEqual({ layers: 3, hidden: 16 });
    // Longest first: [2 (7 tokens), 0 (5 tokens)], then [1 (3 tokens)].
    expect(seen.map((s) => s.indices)).toEqual([[2, 0], [1]]);
    expect(seen[0].shapes).toEqual([
      [2, 7, 16],
      [2, 7, 16],
      [2, 7, 16],
    ]);
    expect(seen[0].mask).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(seen[1].shapes[2]).toEqual([1, 3, 16]);

    // Sequence 0 alone through the reference interpreter: the same states at its 5 real positions.
    const alone: Tensor[][] = [];
    await runHiddenStates({ session: interpretSession, model, weights, sequences: [sequences[0]], pad: 0, onBatch: ({ layers }) => alone.push([...layers]) });
    for (let l = 0; l < 3; l++) {
      const a = alone[0][l].data as Float32Array; // [1, 5, 16]
      const o = byIndex.get(0)?.[l].data as Float32Array; // [1, 7, 16], last 2 positions padding
      let d = 0;
      for (let k = 0; k < 5 * 16; k++) d = Math.max(d, Math.abs(a[k] - o[k]));
      expect(d, `layer ${l}`).toBeLessThan(1e-4);
    }
    // The layers differ from each other (each layer transforms the states).
    expect(Math.abs((alone[0][0].data as Float32Array)[16] - (alone[0][2].data as Float32Array)[16])).toBeGreaterThan(1e-3);
  });

  it('gives sentence vectors and contextual word vectors per layer', async () => {
    const pooled = await sentenceVectors({ session, model, weights, sequences, pad: 0, batchSize: 2 });
    expect(pooled.vectors.length).toBe(3);
    expect(pooled.vectors.every((layer) => layer.length === 3 && layer.every((v) => v.length === 16))).toBe(true);
    expect(pooled.counts).toEqual([3, 1, 5]);
    // Sequence 1 has one real token between [CLS] and [SEP]: its vector is that token's state.
    const single: Tensor[] = [];
    await runHiddenStates({ session, model, weights, sequences: [sequences[1]], pad: 0, onBatch: ({ layers }) => single.push(layers[2]) });
    const tokenState = (single[0].data as Float32Array).slice(16, 32);
    for (let c = 0; c < 16; c++) expect(pooled.vectors[2][1][c]).toBeCloseTo(tokenState[c], 4);

    const wp = new WordPiece(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'river', 'bank', 'money', 'in', 'ban', '##k']);
    const ctx = await contextualWordVectors({
      session,
      model,
      weights,
      pad: 0,
      tokenizer: wp,
      specialIds: wp.specialIds,
      items: [
        { text: 'the river bank', word: 'bank' },
        { text: 'money in the bank', word: 'bank' },
      ],
    });
    expect(ctx.positions).toEqual([[3], [4]]);
    expect(ctx.vectors.length).toBe(3);
    // The same word gets a different vector in each sentence at every layer: at layer 0 through its position
    // embedding, above through attention to its context.
    for (const layer of ctx.vectors) {
      const sim = contextualSimilarity(layer);
      expect(sim[0][0]).toBe(1);
      expect(sim[0][1]).toBe(sim[1][0]);
      expect(sim[0][1]).toBeLessThan(0.9999);
    }
  });

  it('names a missing weight', async () => {
    const partial = new Map([...weights].filter(([n]) => n !== 'bert.encoder.layer.1.output.dense.bias'));
    await expect(runHiddenStates({ session, model, weights: partial, sequences, pad: 0, onBatch: () => {} })).rejects.toThrow(
      /no weight for the model parameter "bert.encoder.layer.1.output.dense.bias"/,
    );
  });
});

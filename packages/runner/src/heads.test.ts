/**
 * Task heads on a tiny BERT (hidden 16, 1 layer, no dropout): the encoded rows and batches checked by hand, each
 * loss recomputed by hand from the evaluation graph's outputs (through the reference interpreter), the
 * re-initialised-embeddings start, and parity of the new heads' graphs between onnxruntime (cpu) and tfjs (wasm).
 */
import { type Batch, type ModelInstance, Rng } from '@ssbench/core';
import { type Graph, type Tensor, buildTrainingGraph, initParams, initialState, interpret, stepFeed } from '@ssbench/graph';
import bert from '@ssbench/model-bert';
import { WordPiece } from '@ssbench/tokenizers';
import { describe, expect, it } from 'vitest';
import { type EncodedRow, type SpanRow, type TaggingRow, encodeSpanExample, encodeTagging, inputBatch } from './data';
import { initialWeights, isEmbeddingParam } from './finetune';
import { type Head, headGraph, regressionHead, spanHead, tagPredictions, taggingHead } from './heads';
import { wrapWordPiece } from './tokenizer';
import { bindSymbols, dropoutMasks } from './training';

// [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'dog', '##s', 'run', '##ning', 'fast', 'where', 'is', 'cat', 'sat', '?', '.'];
const tok = wrapWordPiece(new WordPiece(VOCAB));
const id = (t: string) => VOCAB.indexOf(t);

function tinyBert(dropout = 0): ModelInstance {
  return bert.create({ hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 32, hiddenDropout: dropout } as never, { vocabSize: VOCAB.length });
}

/** The loss (training graph without the optimizer) and the evaluation outputs of a head, on the same weights. */
function lossAndOutputs<R extends EncodedRow>(head: Head<R>, rows: R[]): { loss: number; outputs: Record<string, Tensor> } {
  const model = tinyBert();
  const train = headGraph(model, head, true);
  train.b.output('loss', train.loss as NonNullable<typeof train.loss>);
  const weights = Object.fromEntries(initParams(train.b.params, new Rng(5)));
  const inputs = inputBatch(rows, 0);
  const batch = { ...inputs, ...head.targets(rows, inputs.input_ids.shape[1]) };
  const loss = (interpret(train.b.build(), { ...weights, ...batch }).loss.data as Float32Array)[0];
  const outputs = interpret(headGraph(model, head, false).b.build(), { ...weights, ...inputs });
  return { loss, outputs };
}

/** -log softmax(row)[label] */
const nll = (row: ArrayLike<number>, label: number) => {
  const xs = Array.from(row);
  const m = Math.max(...xs);
  return Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0)) + m - xs[label];
};

describe('tagging', () => {
  const row = encodeTagging(tok, { words: ['the', 'dogs', 'running', 'fast'], tags: [0, 1, 2, 3] }, 16);
  const short = encodeTagging(tok, { words: ['the', 'dogs', 'running', 'fast'], tags: [0, 1, 2, 3] }, 6);

  it('encodes [CLS] word pieces [SEP] with each word at its first piece; truncation keeps words whose first piece fits', () => {
    expect(row.ids).toEqual([id('[CLS]'), id('the'), id('dog'), id('##s'), id('run'), id('##ning'), id('fast'), id('[SEP]')]);
    expect(row.wordPositions).toEqual([1, 2, 4, 6]);
    expect(row.tags).toEqual([0, 1, 2, 3]);
    expect(row.truncatedWords).toBe(0);
    // maxLen 6: [CLS] the dog ##s run [SEP]: "running" keeps its first piece, "fast" is cut.
    expect(short.ids).toEqual([id('[CLS]'), id('the'), id('dog'), id('##s'), id('run'), id('[SEP]')]);
    expect(short.wordPositions).toEqual([1, 2, 4]);
    expect(short.truncatedWords).toBe(1);
  });

  it('batch targets: the tag and weight 1 at first pieces only (not ##s, ##ning, specials or padding)', () => {
    const t = taggingHead(4).targets([row, short], 8);
    expect(t.tag_weights.shape).toEqual([2, 8]);
    expect(Array.from(t.tag_weights.data as Float32Array)).toEqual([0, 1, 1, 0, 1, 0, 1, 0, /* short */ 0, 1, 1, 0, 1, 0, 0, 0]);
    expect(Array.from(t.tag_labels.data as Int32Array)).toEqual([0, 0, 1, 0, 2, 0, 3, 0, /* short */ 0, 0, 1, 0, 2, 0, 0, 0]);
  });

  it('the loss is the mean cross-entropy over first pieces of the evaluation logits', () => {
    const head = taggingHead(4);
    const { loss, outputs } = lossAndOutputs<TaggingRow>(head, [row, short]);
    const logits = outputs.logits; // [2, 8, 4]
    expect(logits.shape).toEqual([2, 8, 4]);
    const d = logits.data as Float32Array;
    const at = (r: number, p: number) => d.subarray((r * 8 + p) * 4, (r * 8 + p + 1) * 4);
    const terms = [...row.wordPositions.map((p, k) => nll(at(0, p), row.tags[k])), ...short.wordPositions.map((p, k) => nll(at(1, p), short.tags[k]))];
    expect(loss).toBeCloseTo(terms.reduce((a, x) => a + x, 0) / terms.length, 5);
    // Decoding reads the same positions.
    const preds = tagPredictions([row, short], logits);
    expect(preds[0]).toHaveLength(4);
    expect(preds[1]).toHaveLength(3);
    preds[0].forEach((tag, k) => {
      const v = Array.from(at(0, row.wordPositions[k]));
      expect(tag).toBe(v.indexOf(Math.max(...v)));
    });
  });
});

describe('span', () => {
  const ex = { id: 'q1', question: 'where is the cat?', context: 'The cat sat. The dog sat.', answers: [{ text: 'dog', start: 17 }] };

  it('encodes [CLS] question [SEP] window [SEP] with the answer positions and character offsets', () => {
    const [r] = encodeSpanExample(tok, ex, 0, 32, 'train');
    // question: where is the cat ? (5 tokens); context: the cat sat . the dog sat . (8 tokens)
    expect(r.ids).toEqual([2, id('where'), id('is'), id('the'), id('cat'), id('?'), 3, id('the'), id('cat'), id('sat'), id('.'), id('the'), id('dog'), id('sat'), id('.'), 3]);
    expect(r.types).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect([r.contextFirst, r.contextLast]).toEqual([7, 14]);
    expect([r.start, r.end]).toEqual([12, 12]);
    expect(ex.context.slice(...r.offsets[r.start - r.contextFirst])).toBe('dog');
  });

  it('long contexts: training keeps the window with the answer; evaluation keeps every window', () => {
    // maxLen 12: question 4 tokens (at most (12-3)/2), window 12-4-3 = 5 tokens, stride 2: windows [0,5) [2,7) [4,8).
    const windows = encodeSpanExample(tok, ex, 3, 12, 'eval');
    expect(windows.map((w) => w.contextLast - w.contextFirst + 1)).toEqual([5, 5, 4]);
    expect(windows.map((w) => w.example)).toEqual([3, 3, 3]);
    expect(windows.map((w) => w.start)).toEqual([0, 9, 7]); // "dog" is context token 5: outside the first window
    const [train] = encodeSpanExample(tok, ex, 3, 12, 'train');
    expect(train).toEqual(windows[1]);
    // An unanswerable question targets [CLS] in the first window.
    const [none] = encodeSpanExample(tok, { ...ex, answers: [] }, 0, 12, 'train');
    expect([none.start, none.end]).toEqual([0, 0]);
    expect(none.ids).toEqual(windows[0].ids);
  });

  it('the loss is the mean of start and end cross-entropies over real positions (padding masked)', () => {
    const a = encodeSpanExample(tok, ex, 0, 32, 'train')[0]; // 16 tokens
    const b = encodeSpanExample(tok, { ...ex, question: 'where?' }, 1, 32, 'train')[0]; // 13 tokens: padded by 3
    const { loss, outputs } = lossAndOutputs<SpanRow>(spanHead(), [a, b]);
    const seq = 16;
    const s = outputs.start_logits.data as Float32Array;
    const e = outputs.end_logits.data as Float32Array;
    expect(outputs.start_logits.shape).toEqual([2, seq]);
    const rowLoss = (r: SpanRow, i: number, x: Float32Array, target: number) => nll(x.subarray(i * seq, i * seq + r.ids.length), target);
    const expected = (rowLoss(a, 0, s, a.start) + rowLoss(b, 1, s, b.start)) / 2 / 2 + (rowLoss(a, 0, e, a.end) + rowLoss(b, 1, e, b.end)) / 2 / 2;
    expect(loss).toBeCloseTo(expected, 4);
  });
});

describe('regression', () => {
  it('the loss is the mean squared error of the scalar outputs', () => {
    const rows = [
      { ids: [2, 5, 6, 3], types: [0, 0, 0, 0], target: 1.5 },
      { ids: [2, 10, 3], types: [0, 0, 0], target: -0.5 },
    ];
    const { loss, outputs } = lossAndOutputs(regressionHead(), rows);
    const p = outputs.logits.data as Float32Array;
    expect(outputs.logits.shape).toEqual([2, 1]);
    expect(loss).toBeCloseTo(((p[0] - 1.5) ** 2 + (p[1] + 0.5) ** 2) / 2, 5);
  });
});

describe('token heads on every model family', () => {
  it('GPT-2 and BART sequences give tagging logits [batch, seq, labels] and span logits [batch, seq]', async () => {
    const gpt = (await import('@ssbench/model-gpt')).default.create({ nEmbd: 16, nLayer: 1, nHead: 2, nPositions: 32 } as never, { vocabSize: VOCAB.length });
    const bart = (await import('@ssbench/model-seq2seq')).default.create({ dModel: 16, encoderLayers: 1, decoderLayers: 1, heads: 2, ffnDim: 32, maxPositions: 32 } as never, {
      vocabSize: VOCAB.length,
    });
    const rows = [encodeTagging(tok, { words: ['the', 'dogs', 'running'], tags: [0, 1, 2] }, 16), encodeTagging(tok, { words: ['fast'], tags: [3] }, 16)];
    for (const model of [gpt, bart]) {
      for (const [head, name, shape] of [
        [taggingHead(4), 'logits', [2, 7, 4]], // [CLS] the dog ##s run ##ning [SEP]
        [spanHead(), 'start_logits', [2, 7]],
      ] as const) {
        const { b } = headGraph(model, head as unknown as Head<EncodedRow>, false);
        const out = interpret(b.build(), { ...Object.fromEntries(initParams(b.params, new Rng(1))), ...inputBatch(rows, 0) });
        expect(out[name].shape, `${model.architecture} ${head.kind}`).toEqual(shape);
        expect(Array.from(out[name].data as Float32Array).every(Number.isFinite)).toBe(true);
      }
    }
  });
});

describe('re-initialised embeddings', () => {
  it('start from the checkpoint except every embedding parameter, which gets a fresh initialisation', () => {
    const model = tinyBert();
    const { b } = headGraph(model, taggingHead(3), true);
    const checkpoint = initParams(
      b.params.filter((p) => !p.name.startsWith('classifier')),
      new Rng(1),
    );
    const reinit = initialWeights(b.params, new Rng(2).fork('init'), checkpoint, 'reinit-embeddings');
    const pretrained = initialWeights(b.params, new Rng(2).fork('init'), checkpoint, 'pretrained');
    const embeddingNames = b.params.map((p) => p.name).filter(isEmbeddingParam);
    expect(embeddingNames.sort()).toEqual([
      'bert.embeddings.LayerNorm.bias',
      'bert.embeddings.LayerNorm.weight',
      'bert.embeddings.position_embeddings.weight',
      'bert.embeddings.token_type_embeddings.weight',
      'bert.embeddings.word_embeddings.weight',
    ]);
    for (const [name, t] of checkpoint) {
      if (isEmbeddingParam(name)) {
        // Random tables are redrawn; the LayerNorm gets its init (ones/zeros), equal to the checkpoint's here only because that one is untrained.
        if (name.includes('_embeddings.')) expect(reinit.get(name)?.data).not.toEqual(t.data);
        expect(reinit.get(name)).not.toBe(t);
      } else expect(reinit.get(name)).toBe(t); // encoder layers, pooler: the checkpoint's tensors
      expect(pretrained.get(name)).toBe(t);
    }
    expect(() => initialWeights(b.params, new Rng(2), null, 'reinit-embeddings')).toThrow(/needs a checkpoint/);
    // GPT-2 and BART embedding names too; not the layers.
    for (const n of ['transformer.wte.weight', 'transformer.wpe.weight', 'model.shared.weight', 'model.encoder.embed_positions.weight', 'model.decoder.layernorm_embedding.bias'])
      expect(isEmbeddingParam(n)).toBe(true);
    for (const n of ['bert.encoder.layer.0.output.dense.weight', 'transformer.h.0.attn.c_attn.weight', 'classifier.weight', 'qa_outputs.bias']) expect(isEmbeddingParam(n)).toBe(false);
  });
});

describe('parity of the token heads: onnxruntime cpu vs tfjs wasm (same graph, same feeds)', () => {
  // (The regression head is the classification head with one output and an MSE: its ops are covered by tests/parity.test.ts.)
  const rowsOf: Record<string, () => { head: Head<EncodedRow>; rows: EncodedRow[] }> = {
    tagging: () => ({
      head: taggingHead(4) as unknown as Head<EncodedRow>,
      rows: [encodeTagging(tok, { words: ['the', 'dogs', 'running', 'fast'], tags: [0, 1, 2, 3] }, 16), encodeTagging(tok, { words: ['the', 'cat'], tags: [1, 2] }, 16)],
    }),
    span: () => ({
      head: spanHead() as unknown as Head<EncodedRow>,
      rows: [
        encodeSpanExample(tok, { id: 'a', question: 'where is the cat?', context: 'The cat sat. The dog sat.', answers: [{ text: 'cat', start: 4 }] }, 0, 32, 'train')[0],
        encodeSpanExample(tok, { id: 'b', question: 'where?', context: 'The dog is fast.', answers: [{ text: 'fast', start: 11 }] }, 1, 32, 'train')[0],
      ],
    }),
  };

  it('evaluation outputs and two training steps agree to 1e-4', async () => {
    const ort = (await import('@ssbench/backend-onnxruntime')).default;
    const tfjs = (await import('@ssbench/backend-tfjs')).default;
    const sessions = [await ort.create({ executionProvider: 'cpu' } as never), await tfjs.create({ device: 'wasm' } as never)];
    try {
      for (const [kind, make] of Object.entries(rowsOf)) {
        const { head, rows } = make();
        const model = tinyBert(0.1); // dropout on: the masks are fed, so both backends see the same ones
        const inputs = inputBatch(rows, 0);
        const batch: Batch = { ...inputs, ...head.targets(rows, inputs.input_ids.shape[1]) };
        const evalGraph: Graph = headGraph(model, head, false).b.build();
        const train = headGraph(model, head, true);
        const tg = buildTrainingGraph(train.b, train.loss as NonNullable<typeof train.loss>, { lr: 1e-3, warmupSteps: 0, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'constant', totalSteps: 2 });
        const weights = Object.fromEntries(initParams(tg.params, new Rng(3)));
        // The same dropout masks on both backends, fresh for each step.
        const stepMasks = [1, 2].map((step) => dropoutMasks(train.b.dropouts, bindSymbols(tg.graph, batch), new Rng(9 + step)));
        const results: { eval: Record<string, Tensor>; losses: number[] }[] = [];
        for (const s of sessions) {
          const ev = await s.compile(evalGraph);
          const tr = await s.compile(tg.graph);
          const evalOut = await ev.run({ ...weights, ...inputs });
          let state: Record<string, Tensor> = { ...weights, ...initialState(tg.params) };
          const losses: number[] = [];
          for (let step = 1; step <= 2; step++) {
            const out = await tr.run({ ...state, ...batch, ...stepMasks[step - 1], [tg.stepInput]: stepFeed(step) });
            losses.push((out[tg.lossOutput].data as Float32Array)[0]);
            state = Object.fromEntries(tg.state.map((x) => [x.input, out[x.output]]));
          }
          results.push({ eval: evalOut, losses });
          await ev.dispose();
          await tr.dispose();
        }
        const [a, b] = results;
        expect(Object.keys(a.eval).sort(), kind).toEqual(Object.keys(b.eval).sort());
        for (const name of Object.keys(a.eval)) {
          const x = a.eval[name].data as Float32Array;
          const y = b.eval[name].data as Float32Array;
          expect(x.length).toBe(y.length);
          const diff = Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i])));
          expect(diff, `${kind} ${name}`).toBeLessThan(1e-4);
        }
        for (const [i, l] of a.losses.entries()) expect(Math.abs(l - b.losses[i]), `${kind} loss at step ${i + 1}`).toBeLessThan(1e-4);
        expect(a.losses[1], `${kind}: the second step has a different loss`).not.toBe(a.losses[0]);
      }
    } finally {
      for (const s of sessions) await s.dispose();
    }
  });
});

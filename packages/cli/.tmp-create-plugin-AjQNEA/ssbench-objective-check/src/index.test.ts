/**
 * Tests of the objective plugin: the registry loads it as the runner would; rows are packed and masked as the header
 * says; batches are consistent (positions point at [MASK] tokens whose labels are the original ids); and the loss,
 * run by @ssbench/graph's reference interpreter on a tiny stand-in encoder, equals a plain JS cross-entropy.
 */
import type { EncoderInputs, EncoderModel, EncoderOutputs, TokenizedCorpus } from '@ssbench/core';
import { PluginRegistry, Rng, validatePluginOptions } from '@ssbench/core';
import { GraphBuilder, type Tensor, type Value, interpret, tensor } from '@ssbench/graph';
import { describe, expect, it } from 'vitest';
import plugin, { PACKAGE_NAME, maskRow, packRows } from './index';

const specialIds = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
const V = 12; // vocabulary: ids 5..11 are words
const H = 3;

/** A corpus of documents of sentences of token ids (word starts are not used by this objective). */
function corpus(docs: number[][][]): TokenizedCorpus {
  return { documents: docs.map((sentences) => ({ sentences: sentences.map((ids) => ({ ids, wordStarts: ids.map(() => true) })) })) };
}

/**
 * A stand-in encoder for the test: each position's state is its token's embedding, and the masked-LM head is tied
 * to the embeddings (logits = h E^T). Only what the objective uses is implemented.
 */
class EmbeddingOnly implements EncoderModel {
  readonly architecture = 'encoder' as const;
  readonly config = {};
  readonly hidden = H;
  forward(b: GraphBuilder, inputs: EncoderInputs): EncoderOutputs {
    const sequence = b.gather(b.param('embeddings', [V, H], { kind: 'normal', std: 1 }), inputs.inputIds); // [batch, seq, H]
    return { sequence, pooled: b.reduceMean(sequence, [1], false) }; // pooled: [batch, H]
  }
  mlmLogits(b: GraphBuilder, hidden: Value): Value {
    return b.gemm(hidden, b.value('embeddings'), null, { transB: true }); // [n, H] @ [V, H]^T -> [n, V]
  }
  pairLogits(): Value {
    throw new Error('not used');
  }
  classifierLogits(): Value {
    throw new Error('not used');
  }
  flopsPerToken(): number {
    return 0;
  }
}

describe('the plugin object', () => {
  it('is loaded by the registry as the runner loads it, and its options have defaults', async () => {
    const loaded = await new PluginRegistry().load('./index.ts', { baseDir: import.meta.dirname, kind: 'objective' });
    expect(loaded).toBe(plugin);
    expect(plugin.name).toBe(PACKAGE_NAME);
    expect(plugin.requires).toEqual(['encoder']);
    expect(validatePluginOptions(plugin, {}, { pointer: '/pretraining/0/objectives/0/options' })).toEqual({ probability: 0.15 });
    expect(() => validatePluginOptions(plugin, { probability: 0 }, { pointer: '/pretraining/0/objectives/0/options' })).toThrow(
      /\/pretraining\/0\/objectives\/0\/options\/probability/,
    );
  });
});

describe('rows and masking', () => {
  it('packs each document into [CLS] ... [SEP] rows of at most seqLen ids, never across documents', () => {
    const rows = packRows(corpus([[[5, 6, 7], [8, 9]], [[10]]]), 5, specialIds.cls, specialIds.sep);
    expect(rows).toEqual([
      [2, 5, 6, 7, 3],
      [2, 8, 9, 3],
      [2, 10, 3],
    ]);
  });

  it('masks round(p x n) tokens (at least one), never [CLS]/[SEP], and labels them with the original ids', () => {
    const row = [2, 5, 6, 7, 8, 9, 10, 11, 5, 6, 7, 3]; // 10 tokens between [CLS] and [SEP]
    const rng = new Rng(1);
    for (let trial = 0; trial < 50; trial++) {
      const m = maskRow(row, 0.3, specialIds.mask, rng);
      expect(m.positions).toHaveLength(3); // round(0.3 * 10)
      expect(new Set(m.positions).size).toBe(3);
      expect(m.positions.every((p) => p >= 1 && p <= 10)).toBe(true);
      expect(m.labels).toEqual(m.positions.map((p) => row[p]));
      expect(m.inputIds).toEqual(row.map((id, i) => (m.positions.includes(i) ? specialIds.mask : id)));
    }
    expect(maskRow([2, 5, 3], 0.01, specialIds.mask, rng).positions).toEqual([1]); // at least one
    // Seeded: the same RNG state masks the same positions.
    expect(maskRow(row, 0.5, 4, new Rng(9))).toEqual(maskRow(row, 0.5, 4, new Rng(9)));
  });

  it('every position is masked about equally often (uniform choice)', () => {
    const rng = new Rng(2);
    const counts = new Array(12).fill(0);
    for (let t = 0; t < 2000; t++) for (const p of maskRow([2, 5, 6, 7, 8, 9, 10, 11, 5, 6, 7, 3], 0.2, 4, rng).positions) counts[p]++;
    // 2000 rows x 2 masks over 10 positions: 400 each in expectation (binomial sd ~ 18).
    for (let p = 1; p <= 10; p++) expect(Math.abs(counts[p] - 400)).toBeLessThan(80);
    expect([counts[0], counts[11]]).toEqual([0, 0]);
  });
});

describe('batches and loss', () => {
  const objective = plugin.create({ probability: 0.25 }, { vocabSize: V, specialIds, seqLen: 6 });
  const text = corpus([[[5, 6, 7, 8, 9, 10, 11]], [[6, 6, 7]]]);

  it('batches are padded, and their positions point at [MASK] tokens of real rows', () => {
    const stream = objective.batches(text, 3, new Rng(4));
    for (let k = 0; k < 5; k++) {
      const batch = stream.next().value as Record<string, Tensor>;
      const [n, seq] = batch.input_ids.shape;
      expect(n).toBe(3);
      expect(seq).toBeLessThanOrEqual(6);
      const ids = Array.from(batch.input_ids.data as Int32Array);
      const attention = Array.from(batch.attention_mask.data as Float32Array);
      expect(ids.map((id) => id === specialIds.pad)).toEqual(attention.map((a) => a === 0));
      const positions = Array.from(batch.mlm_positions.data as Int32Array);
      expect(batch.mlm_labels.shape).toEqual([positions.length, 1]);
      for (const p of positions) {
        expect(ids[p]).toBe(specialIds.mask);
        expect(attention[p]).toBe(1);
      }
      expect(Array.from(batch.mlm_labels.data as Int32Array).every((l) => l >= 5 && l < V)).toBe(true);
    }
  });

  it('the loss is the mean cross-entropy of the masked ids (ln V when every logit is 0)', () => {
    const b = new GraphBuilder('mlm');
    const { loss, metrics } = objective.buildLoss(b, new EmbeddingOnly());
    b.output('loss', loss);
    b.output('accuracy', metrics.mlm_accuracy);
    const graph = b.build();
    const batch = objective.batches(text, 2, new Rng(5)).next().value as Record<string, Tensor>;

    const zeros = interpret(graph, { ...batch, embeddings: tensor('float32', [V, H]) });
    expect(zeros.loss.data[0]).toBeCloseTo(Math.log(V), 5);

    const rng = new Rng(6);
    const E = Array.from({ length: V * H }, () => rng.uniform(-1, 1));
    const out = interpret(graph, { ...batch, embeddings: tensor('float32', [V, H], E) });
    // Every masked position holds [MASK], so its state is E[mask] and its logits are E[mask] . E[v].
    const logits = Array.from({ length: V }, (_, v) => [0, 1, 2].reduce((s, k) => s + E[specialIds.mask * H + k] * E[v * H + k], 0));
    const logZ = Math.log(logits.reduce((s, l) => s + Math.exp(l), 0));
    const labels = Array.from(batch.mlm_labels.data as Int32Array);
    const expected = labels.reduce((s, l) => s + logZ - logits[l], 0) / labels.length;
    expect(out.loss.data[0]).toBeCloseTo(expected, 5);
    const best = logits.indexOf(Math.max(...logits));
    expect(out.accuracy.data[0]).toBeCloseTo(labels.filter((l) => l === best).length / labels.length, 6);
  });
});

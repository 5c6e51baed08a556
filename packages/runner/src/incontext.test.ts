import { Rng } from '@ssbench/core';
import { type Graph, type Tensor, initParams, interpret, tensor } from '@ssbench/graph';
import gpt from '@ssbench/model-gpt';
import { describe, expect, it } from 'vitest';
import { buildContext, sampleShots, scoreContinuations, tokenLogprobGraph } from './incontext';

const format = { description: 'Classify the sentiment.', prompt: 'Review: {text}\nSentiment:', choices: ['negative', 'positive'], targetDelimiter: ' ', fewshotDelimiter: '\n\n' };

describe('in-context prompts (lm-evaluation-harness layout)', () => {
  it('puts description, examples with targets and the test prompt in order', () => {
    const ctx = buildContext(format, [{ text: 'Great.', label: 1 }, { text: 'Awful.', label: 0 }], { text: 'Fine.', label: 1 });
    expect(ctx).toBe('Classify the sentiment.\n\nReview: Great.\nSentiment: positive\n\nReview: Awful.\nSentiment: negative\n\nReview: Fine.\nSentiment:');
    expect(buildContext({ ...format, description: '' }, [], { text: 'Fine.', label: 1 })).toBe('Review: Fine.\nSentiment:');
  });

  it('samples k distinct examples, deterministic per seed, never the excluded one', () => {
    const a = sampleShots(10, 5, new Rng(1), 3);
    expect(new Set(a).size).toBe(5);
    expect(a).not.toContain(3);
    expect(sampleShots(10, 5, new Rng(1), 3)).toEqual(a);
    for (let s = 0; s < 50; s++) expect(sampleShots(4, 3, new Rng(s), 2)).not.toContain(2);
    expect(() => sampleShots(4, 4, new Rng(1), 0)).toThrow(/pool of 3/);
  });
});

describe('continuation scoring', () => {
  it('sums log p(continuation | context) as the full forward pass implies, for every choice in one padded batch', async () => {
    const V = 50;
    const model = gpt.create({ nEmbd: 16, nLayer: 1, nHead: 2, nPositions: 32, residDropout: 0, embdDropout: 0 } as never, { vocabSize: V });
    if (model.architecture !== 'decoder') throw new Error('expected a decoder');
    const g: Graph = tokenLogprobGraph(model).build();
    const weights = Object.fromEntries(initParams(tokenLogprobGraph(model).params, new Rng(3)));
    const exe = { inputNames: [], outputNames: [], run: async (f: Record<string, Tensor>) => interpret(g, f), dispose: async () => {} };
    const context = [5, 6, 7, 8];
    const choices = [[9], [10, 11, 12]];
    const scores = await scoreContinuations(exe, weights, context, choices, 31, 0);
    // Reference: each choice alone, unpadded, summing log-probabilities token by token.
    for (const [r, c] of choices.entries()) {
      const whole = [...context, ...c];
      const n = whole.length - 1;
      const out = interpret(g, {
        ...weights,
        input_ids: tensor('int32', [1, n], whole.slice(0, -1)),
        token_type_ids: tensor('int32', [1, n], new Array(n).fill(0)),
        attention_mask: tensor('float32', [1, n], new Array(n).fill(1)),
        next_ids: tensor('int32', [n, 1], whole.slice(1)),
      });
      const lp = out.logprobs.data as Float32Array;
      let sum = 0;
      for (let i = n - c.length; i < n; i++) sum += lp[i];
      expect(scores[r]).toBeCloseTo(sum, 4);
      expect(sum).toBeLessThan(0);
    }
  });
});

import { validatePluginOptions } from '@ssbench/core';
import { describe, expect, it } from 'vitest';
import plugin, { BibleParaphraseTask, GlueClassificationTask, GlueRegressionTask, createPairsTask, resolvePairsOptions } from './index';

const validate = (options: unknown) => validatePluginOptions(plugin, options, { pointer: '/tasks/0/options' });
const sha = 'ab'.repeat(32);

describe('task-pairs options', () => {
  it('defaults to the Bible task; the schema fills splitSeed and devFraction', () => {
    expect(validate({})).toEqual({ splitSeed: 13, devFraction: 0.1 });
    expect(resolvePairsOptions({})).toEqual({
      kind: 'bible',
      bible: { splitBy: 'book', devFraction: 0.1, testFraction: 0.2, maxExamples: { train: 4000, dev: 500, test: 1000 }, splitSeed: 13 },
    });
    expect(resolvePairsOptions({ maxExamples: { train: 100 }, splitBy: 'chapter' })).toMatchObject({
      bible: { splitBy: 'chapter', maxExamples: { train: 100, dev: 500, test: 1000 } },
    });
  });

  it('a GLUE task takes data sources by path or by URL with sha256', () => {
    const data = { train: { path: 'glue/MRPC/train.tsv' }, dev: { url: 'https://example.org/MRPC.zip', sha256: sha, member: 'MRPC/dev.tsv' } };
    expect(validate({ glue: 'mrpc', data })).toEqual({ glue: 'mrpc', data, splitSeed: 13, devFraction: 0.1 });
    expect(resolvePairsOptions({ glue: 'mrpc', data, maxExamples: { test: 50 } })).toEqual({
      kind: 'glue',
      glue: { task: 'mrpc', data, devFraction: 0.1, maxExamples: { test: 50 }, splitSeed: 13 },
    });
  });

  it('the schema and resolvePairsOptions reject options that do not fit', () => {
    expect(() => validate({ glue: 'mnli' })).toThrow(/\/tasks\/0\/options: missing required property "data"/);
    expect(() => validate({ glue: 'squad', data: {} })).toThrow(/\/tasks\/0\/options\/glue/);
    expect(() => validate({ glue: 'rte', data: { train: { path: 'a' }, dev: { url: 'https://x/y.tsv', sha256: 'abc' } } })).toThrow(/\/tasks\/0\/options\/data\/dev/);
    expect(() => validate({ glue: 'rte', data: { train: { path: 'a' }, dev: { path: 'b' } }, splitBy: 'book' })).toThrow(/\/tasks\/0\/options\/splitBy/);
    expect(() => validate({ data: { train: { path: 'a' }, dev: { path: 'b' } } })).toThrow(/\/tasks\/0\/options: must have property glue when property data is present/);
    expect(() => validate({ devFraction: 0.9 })).toThrow(/\/tasks\/0\/options\/devFraction/);

    expect(() => resolvePairsOptions({ glue: 'mnli' })).toThrow(/\/data: GLUE mnli needs "data"/);
    expect(() => resolvePairsOptions({ glue: 'squad' as never, data: { train: { path: 'a' }, dev: { path: 'b' } } })).toThrow(/\/glue: unknown GLUE task "squad"/);
    expect(() => resolvePairsOptions({ glue: 'rte', data: { train: { path: 'a' }, dev: { path: 'b' } }, testFraction: 0.3 })).toThrow(
      /\/testFraction: testFraction applies to the Bible task only/,
    );
    expect(() => resolvePairsOptions({ glue: 'rte', data: { train: { path: 'a' }, dev: { url: 'https://x/y', sha256: 'abc' } } })).toThrow(
      /\/data\/dev: expected \{"path": file\} or \{"url": "https:\/\/\.\.\.", "sha256": 64 hex digits\}/,
    );
    expect(() => resolvePairsOptions({ data: { train: { path: 'a' }, dev: { path: 'b' } } })).toThrow(/\/data: "data" applies to GLUE tasks only/);
    expect(() => resolvePairsOptions({ maxExamples: { train: 1 } })).toThrow(/\/maxExamples\/train: maxExamples\.train must be at least 2 for the Bible task/);
    expect(() => resolvePairsOptions({ maxExamples: { train: 2.5 } })).toThrow(/must be a positive integer, got 2\.5/);
    expect(() => resolvePairsOptions({ testFraction: 0 })).toThrow(/\/testFraction: testFraction must be a number in \(0, 0\.5\], got 0/);
    expect(() => resolvePairsOptions({ seed: 1 } as never)).toThrow(/unknown option "seed"/);
  });
});

describe('task-pairs plugin', () => {
  it('declares itself and creates the task the options name', () => {
    expect(plugin).toMatchObject({ kind: 'task', name: '@ssbench/task-pairs', version: '1.0.0' });
    const ctx = { dataDir: '/tmp/ssbench-none' };
    expect(plugin.create({}, ctx)).toBeInstanceOf(BibleParaphraseTask);
    const data = { train: { path: 'a' }, dev: { path: 'b' } };
    expect(plugin.create({ glue: 'qqp', data }, ctx)).toBeInstanceOf(GlueClassificationTask);
    expect(plugin.create({ glue: 'stsb', data }, ctx)).toBeInstanceOf(GlueRegressionTask);
    const bible = createPairsTask(resolvePairsOptions({}), ctx);
    expect(bible.head).toEqual({ kind: 'classification', labels: ['not_paraphrase', 'paraphrase'] });
    expect(bible.metrics.map((m) => m.name)).toEqual(['accuracy', 'f1']);
    expect(bible.version).toBe('1.0.0');
  });

  it('scores the Bible task like MRPC (accuracy, F1 of "paraphrase")', () => {
    const t = plugin.create({}, { dataDir: '/tmp/ssbench-none' });
    // gold 1 1 0 0 1 0, pred 1 0 0 1 1 0: TP 2, FN 1, FP 1, TN 2 -> accuracy 4/6, F1 = 4 / (4 + 1 + 1)
    const s = t.score([1, 0, 0, 1, 1, 0], [1, 1, 0, 0, 1, 0]);
    expect(s.accuracy).toBeCloseTo(4 / 6, 12);
    expect(s.f1).toBeCloseTo(4 / 6, 12);
    expect(() => t.score([2], [1])).toThrow(/predicted\[0\] is 2/);
  });
});

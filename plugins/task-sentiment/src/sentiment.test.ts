import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, {
  SENTIMENT_DOMAINS,
  type SentimentExample,
  type SentimentOptionsInput,
  SentimentTask,
  type SentimentSplits,
  domainFile,
  readDomainFile,
  resolveSentimentOptions,
} from './index';

const load = (options: SentimentOptionsInput = {}) => plugin.create(options).load() as Promise<SentimentSplits>;
const key = (e: SentimentExample) => `${e.domain}\u0000${e.text}`;
const count = (xs: readonly SentimentExample[], f: (e: SentimentExample) => boolean) => xs.filter(f).length;

describe('sentiment data', () => {
  it('has 1,000 balanced sentences per domain', () => {
    for (const d of SENTIMENT_DOMAINS) {
      const xs = readDomainFile(domainFile(d), d);
      expect(xs.length, d).toBe(1000);
      expect(count(xs, (e) => e.label === 1), d).toBe(500);
      expect(xs.every((e) => e.domain === d && e.text.length > 0)).toBe(true);
    }
  });

  describe('bad files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ssbench-sentiment-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('names the file and the record index', async () => {
      const bad = join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify([{ text: 'good', class: 1 }, { text: 'meh', class: 2 }, { text: 'x', class: 0 }]));
      expect(() => readDomainFile(bad, 'amazon')).toThrow(/bad\.json: \/1\/class: record 1: "class" must be 0 or 1, got 2/);
      const noText = join(dir, 'notext.json');
      await writeFile(noText, JSON.stringify([{ text: 'good', class: 1 }, { text: '', class: 0 }, { text: 'x', class: 0 }]));
      expect(() => readDomainFile(noText, 'yelp')).toThrow(/notext\.json: \/1\/text: record 1: "text" must be a non-empty string/);
      const notJson = join(dir, 'broken.json');
      await writeFile(notJson, '[{"text": "a", "class": 1},');
      expect(() => readDomainFile(notJson, 'imdb')).toThrow(/broken\.json: invalid JSON/);
      expect(() => readDomainFile(join(dir, 'absent.json'), 'imdb')).toThrow(/absent\.json: cannot read sentiment data \(ENOENT\)/);
      // The fixtures' trailing {"text":"","class":null} is dropped only at the end.
      const trailing = join(dir, 'trailing.json');
      await writeFile(trailing, JSON.stringify([{ text: 'a', class: 1 }, { text: '', class: null }]));
      expect(readDomainFile(trailing, 'imdb')).toEqual([{ text: 'a', label: 1, domain: 'imdb' }]);
      // A task over a missing file fails at load with the file's name.
      const task = new SentimentTask(resolveSentimentOptions({ domains: ['amazon'] }), () => join(dir, 'gone.json'));
      await expect(task.load()).rejects.toThrow(/gone\.json/);
    });
  });
});

describe('sentiment splits', () => {
  it('have the stratified sizes, are disjoint and cover every sentence', async () => {
    const s = await load();
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([2100, 300, 600]);
    for (const d of SENTIMENT_DOMAINS)
      for (const label of [0, 1]) {
        const f = (e: SentimentExample) => e.domain === d && e.label === label;
        expect([count(s.train, f), count(s.dev, f), count(s.test, f)], `${d}/${label}`).toEqual([350, 50, 100]);
      }
    // Disjoint as sentences (duplicated sentences are kept together, so no text is in two splits).
    const sets = [s.train, s.dev, s.test].map((xs) => new Set(xs.map(key)));
    for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) for (const k of sets[i]) expect(sets[j].has(k)).toBe(false);
    // Every record appears exactly once overall.
    const all = SENTIMENT_DOMAINS.flatMap((d) => readDomainFile(domainFile(d), d)).map(key).sort();
    expect([...s.train, ...s.dev, ...s.test].map(key).sort()).toEqual(all);
  });

  it('are deterministic, depend on splitSeed only, and a domain’s test set does not depend on the others', async () => {
    const a = await load();
    const b = await load();
    expect(b).toEqual(a);
    const c = await load({ splitSeed: 14 });
    expect(new Set(c.test.map(key))).not.toEqual(new Set(a.test.map(key)));
    const yelpOnly = await load({ domains: ['yelp'] });
    expect(new Set(yelpOnly.test.map(key))).toEqual(new Set(a.test.filter((e) => e.domain === 'yelp').map(key)));
    expect(yelpOnly.train.every((e) => e.domain === 'yelp')).toBe(true);
  });

  it('supports domain transfer: train/dev from trainDomains, test from testDomains', async () => {
    const s = await load({ trainDomains: ['amazon', 'imdb'], testDomains: ['yelp'] });
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([1400, 200, 200]);
    expect(s.train.every((e) => e.domain !== 'yelp') && s.dev.every((e) => e.domain !== 'yelp')).toBe(true);
    expect(s.test.every((e) => e.domain === 'yelp')).toBe(true);
    const custom = await load({ domains: ['imdb'], split: { dev: 0.2, test: 0.3 } });
    expect([custom.train.length, custom.dev.length, custom.test.length]).toEqual([500, 200, 300]);
  });

  it('rejects bad options', () => {
    expect(() => resolveSentimentOptions({ domains: ['twitter' as never] })).toThrow(/\/domains\/0: unknown domain "twitter"/);
    expect(() => resolveSentimentOptions({ split: { dev: 0.5, test: 0.5 } })).toThrow(/nothing left to train on/);
    expect(() => resolveSentimentOptions({ seed: 1 } as never)).toThrow(/unknown option "seed"/);
  });
});

describe('sentiment task', () => {
  it('declares its head, metrics, version and source', () => {
    const t = plugin.create({});
    expect(plugin).toMatchObject({ kind: 'task', name: '@ssbench/task-sentiment', version: '1.0.0' });
    expect(t.head).toEqual({ kind: 'classification', labels: ['negative', 'positive'] });
    expect(t.metrics).toEqual([
      { name: 'accuracy', higherIsBetter: true },
      { name: 'f1', higherIsBetter: true },
    ]);
    expect(t.source).toMatch(/^npm sentiment@5\.0\.2 .*UCI.*MIT/);
  });

  it('scores a hand-computed case', () => {
    const t = plugin.create({});
    // gold:      1 1 1 0 0 0 1 0
    // predicted: 1 0 1 1 0 0 1 1   -> tp 3, fp 2, fn 1, tn 2
    const s = t.score([1, 0, 1, 1, 0, 0, 1, 1], [1, 1, 1, 0, 0, 0, 1, 0]);
    expect(s.accuracy).toBeCloseTo(5 / 8, 12);
    // precision 3/5, recall 3/4, F1 = 2PR/(P+R) = 2*3 / (2*3 + 2 + 1) = 6/9
    expect(s.f1).toBeCloseTo(2 / 3, 12);
    expect(t.score([0, 0], [0, 0])).toEqual({ accuracy: 1, f1: 0 }); // no positives: F1 0 (sklearn zero_division)
    expect(() => t.score([1], [1, 0])).toThrow(/1 predictions for 2 gold/);
    expect(() => t.score([2, 0], [1, 0])).toThrow(/predicted\[0\] is 2/);
  });
});

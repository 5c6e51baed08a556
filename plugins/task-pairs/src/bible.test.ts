import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng } from '@ssbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, {
  type AlignedVerse,
  BIBLE_BOOKS,
  type BibleOptions,
  type BiblePairExample,
  BibleParaphraseTask,
  INSTALL_COMMAND,
  type RunCommand,
  alignVerses,
  bibleCacheFile,
  bibleStatus,
  cleanVerseText,
  createPairsTask,
  makeBibleSplits,
  parseDiatheke,
  prepareBible,
  readBibleCache,
  resolvePairsOptions,
  samplePairs,
  splitVerses,
} from './index';

// ---- fixtures: diatheke OSIS output as version 1.9 prints it ----------------------------------------------

const KJV_DUMP = [
  'Genesis 1:1: In the <w>beginning</w> God created the heaven and the earth.<milestone type="line"/>',
  'Genesis 1:2: And the earth was without form, and void.  <milestone type="line"/>',
  ' Genesis 1:3: \u00b6 And God said, Let there be light: and there was light.<milestone type="line"/>',
  ' Exodus 6:3: And I appeared unto Abraham, but by my <w>name</w> \\nd <w>JEHOVAH</w> was I not <w>know</w>n to them.<milestone type="line"/>',
  'A <w>Psalm</w> of <w>David</w>, when he fled.   Psalms 3:1: <w>LORD</w>, how are they increased that trouble me! <milestone type="line"/>',
  'A <w>Psalm</w> of <w>David</w>, when he fled.   Psalms 3:2: Many there be which say of my soul, There is no help for him in God. Selah. <milestone type="line"/>',
  '<w>David’s</w> Psalm of praise.   I John 1:1: That which was from the beginning, which we have heard.<milestone type="line"/>',
  '<w>David’s</w> Psalm of praise.   II John 1:1: The elder unto the elect lady &amp; her children.<milestone type="line"/>',
  '<w>David’s</w> Psalm of praise.   III John 1:1: The elder unto the wellbeloved Gaius.<milestone type="line"/>',
  '<w>David’s</w> Psalm of praise.   III John 1:14: But I trust I shall shortly see thee.<milestone type="line"/>',
  '(engKJV2006eb)',
  '',
].join('\n');

const WEB_DUMP = [
  'Genesis 1:1: <w>In</w> <w>the</w> <w>beginning</w>, <w>God</w><w>created</w> <w>the</w> <w>heavens</w>.<milestone type="line"/>',
  'Genesis 1:2: <w>The</w> <w>earth</w> <w>was</w> formless and empty. <milestone type="line"/>',
  'Genesis 1:3: <w>God</w> said, “Let there be light,” and there was light.<milestone type="line"/>',
  'Exodus 6:3: I appeared to Abraham, but by my name Yahweh I was not known to them.<milestone type="line"/>',
  'A Psalm by David, when he fled from Absalom his son.  Psalms 3:1: Yahweh, how my adversaries have increased! <milestone type="line"/>',
  'A Psalm by David, when he fled from Absalom his son.  Psalms 3:2: Many there are who say of my soul, “There is no help for him in God.” Selah.<milestone type="line"/>',
  'A praise psalm by David.  Tobit 1:1: The book of the words of Tobit.<milestone type="line"/>',
  '<title canonical="true" type="psalm">A praise psalm by David.</title> <lg sID="gen1"/> <l level="1" sID="gen2"/>Esther (Greek) 4:6: <milestone type="line"/>',
  'A praise psalm by David.  I John 1:1: That which was from the beginning, that which we have heard.<milestone type="line"/>',
  'A praise psalm by David.  II John 1:1: The elder, to the chosen lady and her children.<milestone type="line"/>',
  'A praise psalm by David.  III John 1:1: The elder to Gaius the beloved.<milestone type="line"/>',
  '<title canonical="true" type="psalm">Extra.</title> <lg sID="gen3"/> <l level="1" sID="gen4"/>III John 1:15: Peace be to you.<milestone type="line"/>',
  '(engWEB2015eb)',
  '',
].join('\n');

describe('diatheke output parser', () => {
  it('reads references after headings, drops markup and skips books outside the 66', () => {
    const kjv = parseDiatheke(KJV_DUMP, 'kjv dump', 'engKJV2006eb');
    expect(kjv.module).toBe('engKJV2006eb');
    expect(kjv.verses.map((v) => `${v.book} ${v.chapter}:${v.verse}`)).toEqual([
      'Genesis 1:1',
      'Genesis 1:2',
      'Genesis 1:3',
      'Exodus 6:3',
      'Psalms 3:1',
      'Psalms 3:2',
      'I John 1:1',
      'II John 1:1',
      'III John 1:1',
      'III John 1:14',
    ]);
    const text = (ref: string) => kjv.verses.find((v) => `${v.book} ${v.chapter}:${v.verse}` === ref)?.text;
    expect(text('Genesis 1:3')).toBe('And God said, Let there be light: and there was light.'); // pilcrow dropped
    expect(text('Exodus 6:3')).toBe('And I appeared unto Abraham, but by my name JEHOVAH was I not known to them.'); // \nd, <w>know</w>n
    expect(text('Psalms 3:1')).toBe('LORD, how are they increased that trouble me!'); // heading dropped
    expect(text('II John 1:1')).toBe('The elder unto the elect lady & her children.');
    expect(kjv.verses[4].line).toBe(5);
    expect(kjv.skippedVerses).toBe(0);

    const web = parseDiatheke(WEB_DUMP, 'web dump', 'engWEB2015eb');
    expect(web.verses[0].text).toBe('In the beginning, God created the heavens.'); // <w>God</w><w>created</w>
    expect(web.skippedVerses).toBe(2);
    expect(web.skippedBooks).toEqual(['Tobit', 'Esther (Greek)']);
    // A heading that leaks raw OSIS before the reference: the book is still "III John", not "John".
    expect(web.verses.at(-1)).toMatchObject({ book: 'III John', chapter: 1, verse: 15, text: 'Peace be to you.' });
  });

  it('appends lines without a reference to the verse (plain format) and tolerates CRLF', () => {
    const plain = 'Psalms 1:1: Blessed is the man who doesn’t walk in the counsel of the wicked,\r\nnor stand on the path of sinners, \r\n\r\nPsalms 1:2: But his delight is in Yahweh’s law.\r\n(engWEB2015eb)\r\n';
    const p = parseDiatheke(plain, 'plain');
    expect(p.verses.map((v) => v.text)).toEqual([
      'Blessed is the man who doesn’t walk in the counsel of the wicked, nor stand on the path of sinners,',
      'But his delight is in Yahweh’s law.',
    ]);
    // "chapter 3:16: " inside a verse is no reference (lower-case word before it).
    expect(parseDiatheke('John 3:1: see chapter 3:16: here\n(m)\n', 'x').verses[0].text).toBe('see chapter 3:16: here');
  });

  it('refuses truncated, foreign or repeated output with the line', () => {
    expect(() => parseDiatheke(KJV_DUMP, 'kjv dump', 'engWEB2015eb')).toThrow(/^kjv dump:11: this is the dump of module engKJV2006eb, expected engWEB2015eb/);
    expect(() => parseDiatheke(KJV_DUMP.replace('(engKJV2006eb)', ''), 'kjv dump')).toThrow(/kjv dump: no module trailer line .*truncated/);
    expect(() => parseDiatheke(`${KJV_DUMP}Genesis 2:1: more\n`, 'kjv dump')).toThrow(/kjv dump:12: text after the module trailer "\(engKJV2006eb\)"/);
    expect(() => parseDiatheke(KJV_DUMP.replace('Genesis 1:2:', 'Genesis 1:1:'), 'kjv dump')).toThrow(/kjv dump:2: Genesis 1:1 appears twice \(first on line 1\)/);
    expect(() => parseDiatheke('Module not found\n(engKJV2006eb)\n', 'dump')).toThrow(/dump:1: expected a verse reference such as "Genesis 1:1: ", got "Module not found"/);
    expect(() => parseDiatheke('(engKJV2006eb)\n', 'dump')).toThrow(/dump: no verses of the 66 books in the dump of engKJV2006eb/);
  });

  it('cleanVerseText decodes entities and collapses white space', () => {
    expect(cleanVerseText('  a&lt;b&gt; &#233;&#x41; <w>x</w><w>y</w>\u00b6 z  ')).toBe('a<b> éA x y z');
  });

  it('aligns the two translations by reference, in canonical order', () => {
    const a = alignVerses(parseDiatheke(KJV_DUMP, 'k').verses, parseDiatheke(WEB_DUMP, 'w').verses);
    expect(a.verses.map((v) => `${v.book} ${v.chapter}:${v.verse}`)).toEqual([
      'Genesis 1:1',
      'Genesis 1:2',
      'Genesis 1:3',
      'Exodus 6:3',
      'Psalms 3:1',
      'Psalms 3:2',
      'I John 1:1',
      'II John 1:1',
      'III John 1:1',
    ]);
    expect(a.kjvOnly).toBe(1); // III John 1:14
    expect(a.webOnly).toBe(1); // III John 1:15 (versification)
    expect(a.verses[4]).toEqual({
      book: 'Psalms',
      chapter: 3,
      verse: 1,
      kjv: 'LORD, how are they increased that trouble me!',
      web: 'Yahweh, how my adversaries have increased!',
    });
  });
});

// ---- preparing, the cache and the data set status --------------------------------------------------------

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssbench-pairs-bible-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MODULES = 'Biblical Texts:\nengKJV2006eb : King James Version\nengWEB2015eb : World English Bible\n';

/** diatheke and dpkg-query answered from the given dumps; `calls` records each command. */
function fakeRun(calls: string[], modules = MODULES, dumps = { kjv: KJV_DUMP, web: WEB_DUMP }): RunCommand {
  return async (program, args) => {
    calls.push(`${program} ${args.join(' ')}`);
    if (program === 'dpkg-query') return { 'sword-text-kjv': '14.3-1', 'sword-text-web': '426.0-1', diatheke: '1.9.0' }[args[2]] ?? '';
    if (args[1] === 'system') return modules;
    return args[1] === 'engKJV2006eb' ? dumps.kjv : dumps.web;
  };
}

/** A larger dump in diatheke's OSIS layout: 8 books x 3 chapters x 4 verses, a heading before each chapter. */
function syntheticDump(module: string, words: string): string {
  const lines: string[] = [];
  for (const book of BIBLE_BOOKS.slice(0, 8))
    for (let c = 1; c <= 3; c++)
      for (let v = 1; v <= 4; v++) lines.push(`${v === 1 ? 'A heading.  ' : ''}${book} ${c}:${v}: <w>${words}</w> ${book} ${c} ${v}.<milestone type="line"/>`);
  return `${lines.join('\n')}\n(${module})\n`;
}
const SYNTHETIC = { kjv: syntheticDump('engKJV2006eb', 'Thus saith'), web: syntheticDump('engWEB2015eb', 'This says') };

describe('bible-kjv-web data set', () => {
  it('datasetStatus says what to install when diatheke or a module is missing', async () => {
    const enoent: RunCommand = async () => {
      throw Object.assign(new Error('spawn diatheke ENOENT'), { code: 'ENOENT' });
    };
    const none = await bibleStatus(join(dir, 'none'), enoent);
    expect(none).toEqual({ ready: false, detail: `diatheke is not installed; install with \`${INSTALL_COMMAND}\`` });
    const noWeb = await bibleStatus(join(dir, 'none'), fakeRun([], 'Biblical Texts:\nengKJV2006eb : King James Version\n'));
    expect(noWeb.ready).toBe(false);
    expect(noWeb.detail).toMatch(/SWORD module\(s\) engWEB2015eb \(Debian sword-text-web\) not installed; install with `apt-get install -y --no-install-recommends diatheke sword-text-kjv sword-text-web`/);
    expect((await bibleStatus(join(dir, 'none'), fakeRun([]))).detail).toMatch(/run `ssbench data prepare bible-kjv-web`/);
    await expect(prepareBible(join(dir, 'none'), enoent)).resolves.toMatchObject({ ready: false });
    expect(existsSync(bibleCacheFile(join(dir, 'none')))).toBe(false);
  });

  it('prepare dumps both modules once, writes the canonical JSONL, and the task loads from it', async () => {
    const dataDir = join(dir, 'prepared');
    const calls: string[] = [];
    const status = await prepareBible(dataDir, fakeRun(calls));
    const file = bibleCacheFile(dataDir);
    expect(status).toEqual({ ready: true, detail: `${file} (9 aligned verses)` });
    expect(calls.filter((c) => c.startsWith('diatheke -b eng'))).toEqual([
      'diatheke -b engKJV2006eb -f OSIS -l en -k Genesis 1:1-Revelation 22:21',
      'diatheke -b engWEB2015eb -f OSIS -l en -k Genesis 1:1-Revelation 22:21',
    ]);
    const { meta, verses } = readBibleCache(file);
    expect(meta).toMatchObject({ verses: 9, kjvOnly: 1, webOnly: 1, diathekeVersion: '1.9.0', skippedVerses: { kjv: 0, web: 2 } });
    expect(meta.modules.map((m) => `${m.debianPackage} ${m.packageVersion}`)).toEqual(['sword-text-kjv 14.3-1', 'sword-text-web 426.0-1']);
    expect(verses[0]).toEqual({ book: 'Genesis', chapter: 1, verse: 1, kjv: 'In the beginning God created the heaven and the earth.', web: 'In the beginning, God created the heavens.' });
    // Prepared: no second dump; the status is ready.
    expect(await prepareBible(dataDir, fakeRun(calls))).toEqual({ ready: true, detail: file });
    expect(calls.filter((c) => c.startsWith('diatheke -b eng'))).toHaveLength(2);
    expect(await bibleStatus(dataDir, fakeRun([]))).toEqual({ ready: true, detail: file });

    // Nine verses in six chapters are too few for three splits: a data error that says so.
    const options = resolvePairsOptions({ maxExamples: { train: 4, dev: 2, test: 2 } });
    const task = createPairsTask(options, { dataDir }, { run: fakeRun(calls) });
    expect(task.source).toMatch(/^Debian sword-text-kjv \(engKJV2006eb\) \+ sword-text-web \(engWEB2015eb\)/);
    await expect(task.load()).rejects.toThrow(/the (dev|test) split of the Bible verses holds [01] verse\(s\), too few to sample pairs from \(9 verses dealt by book\)/);
    expect(task.source).toMatch(/^Debian sword-text-kjv 14\.3-1 \(engKJV2006eb\) \+ sword-text-web 426\.0-1 \(engWEB2015eb\), dumped with diatheke 1\.9\.0 .*public domain$/);
  });

  it('the task prepares on first load, and fails with the install line when it cannot', async () => {
    const calls: string[] = [];
    const options = resolvePairsOptions({ maxExamples: { train: 20, dev: 6, test: 10 }, devFraction: 0.25, testFraction: 0.25 });
    const task = createPairsTask(options, { dataDir: join(dir, 'lazy') }, { run: fakeRun(calls, MODULES, SYNTHETIC) });
    expect(task).toBeInstanceOf(BibleParaphraseTask);
    const s = await (task as BibleParaphraseTask).load();
    expect(calls.some((c) => c.startsWith('diatheke -b engKJV2006eb'))).toBe(true);
    // 8 books of 12 verses: test and dev get 2 books (24 verses) each, train the other 4 (48 verses).
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([20, 6, 10]);
    expect(s.test[0]).toMatchObject({ label: expect.any(Number), kind: expect.stringMatching(/^(paraphrase|hard|random)$/) });
    const pos = s.test.find((e) => e.label === 1) as BiblePairExample;
    expect([pos.text, pos.textB].sort()).toEqual([`This says ${pos.ref.replace(':', ' ')}.`, `Thus saith ${pos.ref.replace(':', ' ')}.`]);
    const missing = createPairsTask(resolvePairsOptions({}), { dataDir: join(dir, 'never') }, { run: fakeRun([], 'Biblical Texts:\n') });
    await expect(missing.load()).rejects.toThrow(/data set "bible-kjv-web" is not available: SWORD module\(s\) engKJV2006eb .*apt-get install -y --no-install-recommends diatheke/);
  });

  it('a damaged cache is a data error with its line', async () => {
    const dataDir = join(dir, 'prepared');
    const file = bibleCacheFile(dataDir);
    const lines = readFileSync(file, 'utf8').split('\n');
    const broken = join(dir, 'broken.jsonl');
    writeFileSync(broken, [...lines.slice(0, 3), '{"book":"Tobit","chapter":1,"verse":1,"kjv":"a","web":"b"}', ...lines.slice(4)].join('\n'));
    expect(() => readBibleCache(broken)).toThrow(/broken\.jsonl:4: expected \{"book": one of the 66 books/);
    writeFileSync(broken, [...lines.slice(0, 3), '{"book":', ...lines.slice(4)].join('\n'));
    expect(() => readBibleCache(broken)).toThrow(/broken\.jsonl:4: expected one JSON object per line/);
    writeFileSync(broken, lines.slice(0, 5).join('\n'));
    expect(() => readBibleCache(broken)).toThrow(/broken\.jsonl: the header says 9 verses, the file holds 4 \(truncated\?\)/);
    writeFileSync(broken, '{"format":"other"}\n');
    expect(() => readBibleCache(broken)).toThrow(/broken\.jsonl:1: expected a header/);
  });

  it('the plugin declares the data set and rejects other names', async () => {
    expect(plugin.datasets.map((d) => d.name)).toEqual(['bible-kjv-web']);
    expect(plugin.datasets[0].licence).toMatch(/public domain/);
    await expect(plugin.datasetStatus('glue-mnli', { dataDir: dir })).rejects.toThrow(/unknown data set "glue-mnli"/);
  });
});

// ---- splits and pair sampling ----------------------------------------------------------------------------

/**
 * A synthetic aligned corpus: `books` books x 4 chapters x 6 verses; KJV texts start with "kjv", WEB texts with
 * "web". The last verse of each chapter of books 1 and 2 repeats one text ("And the LORD spake unto Moses"), and
 * book 3 repeats book 0's first chapter word for word.
 */
function corpus(books = 12): AlignedVerse[] {
  const out: AlignedVerse[] = [];
  for (let b = 0; b < books; b++)
    for (let c = 1; c <= 4; c++)
      for (let v = 1; v <= 6; v++) {
        const book = BIBLE_BOOKS[b];
        const repeated = (b === 1 || b === 2) && v === 6;
        const copy = b === 3 && c === 1;
        const id = copy ? `${BIBLE_BOOKS[0]} ${c}:${v}` : `${book} ${c}:${v}`;
        out.push({
          book,
          chapter: c,
          verse: v,
          kjv: repeated ? 'kjv And the LORD spake unto Moses, saying,' : `kjv text of ${id}, with some words`,
          web: repeated ? 'web Yahweh spoke to Moses, saying,' : `web text of ${id}, in other words`,
        });
      }
  return out;
}

const OPTIONS: BibleOptions = { splitBy: 'book', devFraction: 0.2, testFraction: 0.2, maxExamples: { train: 60, dev: 20, test: 20 }, splitSeed: 13 };
const texts = (xs: readonly BiblePairExample[]) => new Set(xs.flatMap((e) => [e.text, e.textB]));
const chapterOf = (ref: string) => ref.replace(/:\d+$/, '');

describe('Bible splits and pairs', () => {
  it('splitVerses deals whole books, and keeps every text in one split once', () => {
    const verses = corpus();
    const s = splitVerses(verses, OPTIONS);
    const booksOf = (xs: AlignedVerse[]) => new Set(xs.map((v) => v.book));
    for (const [a, b] of [
      ['train', 'dev'],
      ['train', 'test'],
      ['dev', 'test'],
    ] as const)
      for (const book of booksOf(s[a])) expect(booksOf(s[b]).has(book), `${book} in ${a} and ${b}`).toBe(false);
    // 12 books x 24 verses = 288; test and dev get at most round(288 * 0.2) = 58 verses, i.e. 2 books each.
    expect(s.test.length).toBeLessThanOrEqual(58);
    expect(s.dev.length).toBeLessThanOrEqual(58);
    const all = [...s.train, ...s.dev, ...s.test];
    for (const key of ['kjv', 'web'] as const) expect(new Set(all.map((v) => v[key])).size).toBe(all.length);
    // Duplicates were dropped, nothing else: 288 - 7 repeats of the Moses verse - 6 copied verses (if book 0 and 3 both kept).
    expect(all.length).toBe(288 - 7 - 6);
  });

  it('splitBy chapter deals chapters; the split depends on splitSeed only', () => {
    const verses = corpus();
    const s = splitVerses(verses, { ...OPTIONS, splitBy: 'chapter' });
    const chaptersOf = (xs: AlignedVerse[]) => new Set(xs.map((v) => `${v.book} ${v.chapter}`));
    for (const c of chaptersOf(s.test)) expect(chaptersOf(s.train).has(c)).toBe(false);
    expect(splitVerses(verses, { ...OPTIONS, splitBy: 'chapter' })).toEqual(s);
    expect(splitVerses(verses, { ...OPTIONS, splitBy: 'chapter', splitSeed: 14 }).test).not.toEqual(s.test);
  });

  it('samplePairs: balanced, half hard (same chapter), half random (another chapter), one text of each translation', () => {
    const verses = corpus(4).filter((v) => !v.kjv.includes('Moses'));
    const pairs = samplePairs(verses, 41, new Rng(5));
    const pos = pairs.filter((e) => e.label === 1);
    const neg = pairs.filter((e) => e.label === 0);
    expect(pos).toHaveLength(20); // floor(41 / 2)
    expect(neg).toHaveLength(20);
    expect(neg.filter((e) => e.kind === 'hard')).toHaveLength(10);
    expect(neg.filter((e) => e.kind === 'random')).toHaveLength(10);
    for (const e of pairs) {
      expect([e.text.slice(0, 3), e.textB.slice(0, 3)].sort()).toEqual(['kjv', 'web']);
      if (e.kind === 'paraphrase') expect(e.refB).toBe(e.ref);
      else expect(e.refB).not.toBe(e.ref);
      if (e.kind === 'hard') expect(chapterOf(e.refB)).toBe(chapterOf(e.ref));
      if (e.kind === 'random') expect(chapterOf(e.refB)).not.toBe(chapterOf(e.ref));
    }
    // Both orders occur (the translation in first position says nothing about the label).
    for (const label of [0, 1]) {
      const kjvFirst = pairs.filter((e) => e.label === label && e.text.startsWith('kjv')).length;
      expect(kjvFirst).toBeGreaterThan(0);
      expect(kjvFirst).toBeLessThan(20);
    }
    expect(new Set(neg.map((e) => `${e.text}\u0000${e.textB}`)).size).toBe(20); // no repeated negative
    expect(samplePairs(verses, 41, new Rng(5))).toEqual(pairs);
    expect(samplePairs(verses, 41, new Rng(6))).not.toEqual(pairs);
    expect(samplePairs(verses, 1000, new Rng(5))).toHaveLength(2 * verses.length); // capped by the verses
  });

  it('makeBibleSplits: balanced splits within their caps, deterministic, no text shared between splits', () => {
    const verses = corpus();
    const s = makeBibleSplits(verses, OPTIONS);
    for (const split of ['train', 'dev', 'test'] as const) {
      const xs = s[split];
      expect(xs.length).toBeLessThanOrEqual(OPTIONS.maxExamples[split]);
      expect(xs.length).toBeGreaterThan(0);
      expect(xs.filter((e) => e.label === 1).length * 2).toBe(xs.length);
    }
    expect(s.train).toHaveLength(60);
    const [tr, dv, te] = [texts(s.train), texts(s.dev), texts(s.test)];
    for (const t of te) expect(tr.has(t) || dv.has(t)).toBe(false);
    for (const t of dv) expect(tr.has(t)).toBe(false);
    // A split's pairs come from its own books only.
    const books = (xs: BiblePairExample[]) => new Set(xs.flatMap((e) => [e.ref, e.refB]).map((r) => r.replace(/ \d+:\d+$/, '')));
    for (const b of books(s.test)) expect(books(s.train).has(b)).toBe(false);
    expect(makeBibleSplits(verses, OPTIONS)).toEqual(s);
    // The test set does not depend on the train cap.
    expect(makeBibleSplits(verses, { ...OPTIONS, maxExamples: { ...OPTIONS.maxExamples, train: 10 } }).test).toEqual(s.test);
  });

  it('drops verse pairs whose lengths differ by more than 3x', () => {
    const verses = corpus(6);
    const glossary = 'x'.repeat(1000);
    const long = verses.map((v) => (v.book === 'Genesis' ? { ...v, web: `${v.web} ${glossary}` } : v));
    const s = makeBibleSplits(long, { ...OPTIONS, maxExamples: { train: 1000, dev: 1000, test: 1000 } });
    for (const split of [s.train, s.dev, s.test]) for (const e of split) expect(e.ref.startsWith('Genesis') || e.refB.startsWith('Genesis')).toBe(false);
  });
});

// ---- real data ---------------------------------------------------------------------------------------------

const hasDiatheke = (() => {
  try {
    return /engKJV2006eb/.test(execFileSync('diatheke', ['-b', 'system', '-k', 'modulelist'], { encoding: 'utf8' })) && true;
  } catch {
    return false;
  }
})();
const realCache = bibleCacheFile(resolve(import.meta.dirname, '../../../.ssbench-cache/data'));

describe('real KJV and WEB modules', () => {
  it.skipIf(!hasDiatheke)('parses real diatheke output around headings (needs diatheke, sword-text-kjv and sword-text-web)', () => {
    const dump = (module: string, range: string) => execFileSync('diatheke', ['-b', module, '-f', 'OSIS', '-l', 'en', '-k', range], { encoding: 'utf8' });
    const range = 'Psalms 2:12-3:2';
    const kjv = parseDiatheke(dump('engKJV2006eb', range), 'kjv', 'engKJV2006eb');
    const web = parseDiatheke(dump('engWEB2015eb', range), 'web', 'engWEB2015eb');
    const a = alignVerses(kjv.verses, web.verses);
    expect(a.verses.map((v) => `${v.chapter}:${v.verse}`)).toEqual(['2:12', '3:1', '3:2']);
    expect(a.verses[1].kjv).toBe('LORD, how are they increased that trouble me! many are they that rise up against me.');
    for (const v of a.verses) expect(`${v.kjv} ${v.web}`).not.toMatch(/Psalm (of|by) David|[<>]/);
    const gen = parseDiatheke(dump('engWEB2015eb', 'Genesis 1:1'), 'web', 'engWEB2015eb');
    expect(gen.verses[0].text).toBe('In the beginning, God created the heavens and the earth.');
  });

  it.skipIf(!existsSync(realCache))(`the prepared corpus (needs ${realCache}: run \`ssbench data prepare bible-kjv-web\`)`, () => {
    const { meta, verses } = readBibleCache(realCache);
    expect(meta.verses).toBeGreaterThan(31000);
    expect(new Set(verses.map((v) => v.book)).size).toBe(66);
    const defaults = resolvePairsOptions({});
    if (defaults.kind !== 'bible') throw new Error('the default task is the Bible task');
    const s = makeBibleSplits(verses, defaults.bible);
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([4000, 500, 1000]);
    for (const xs of [s.train, s.dev, s.test]) expect(xs.filter((e) => e.label === 1).length * 2).toBe(xs.length);
    const [tr, te] = [texts(s.train), texts(s.test)];
    for (const t of te) expect(tr.has(t)).toBe(false);
  });
});

/**
 * Offline paraphrase identification on aligned Bible translations (lecture case 3: two sequences -> class):
 * the King James Version (1769 text, SWORD module engKJV2006eb, Debian `sword-text-kjv`) against the World English
 * Bible (engWEB2015eb, Debian `sword-text-web`), both public domain, dumped with the SWORD front end `diatheke`.
 *
 * Dump: `diatheke -b <module> -f OSIS -l en -k "Genesis 1:1-Revelation 22:21"`. The OSIS output format is used
 * rather than `-f plain` because plain text is ambiguous: it breaks poetry into several lines and prints section
 * headings (Psalm titles, and in diatheke 1.9 a stale heading before every later verse) on lines of their own,
 * so a heading cannot be told from the previous verse's last line. In the OSIS output every verse is one line,
 * `[heading]  Book C:V: text`, words are `<w>` elements (so a missing space in the module's markup, WEB's
 * `<w>God</w><w>created</w>`, can be restored), and the dump ends with the module's name in parentheses.
 *
 * Canonical form (task version 1.0.0): verses of the 66 protocanonical books present and non-empty in both
 * translations, aligned by reference (KJV versification vs the WEB module's NRSVA; the few verses the two number
 * differently are caught by the length filter below or differ only slightly), cached as JSONL under the data
 * directory by `prepare`.
 *
 * Pairs: a positive is one verse in the two translations; a negative pairs a verse of one translation with a
 * different verse of the other, half "hard" (another verse of the same chapter) and half random (a verse of
 * another chapter); every pair holds one KJV and one WEB text, in a random order, so neither the style nor the
 * position says which class it is. Classes are balanced.
 *
 * Splits: books (or chapters, `splitBy`) are shuffled with a seeded RNG (`splitSeed` only) and dealt to test,
 * dev and train by verse count; negatives are drawn within a split, so no verse text is in two splits. Verses
 * whose normalised text (either translation) repeats ("And the LORD spake unto Moses, saying,") are kept once,
 * in the first of test, dev, train where they occur. Verse pairs whose lengths differ by more than a factor of
 * MAX_LENGTH_RATIO are dropped (misaligned verses; WEB's glossary, which the module appends to Revelation 22:21).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClassificationExample, ClassificationTask, DatasetInfo, DatasetStatus, MetricSpec, Splits, TaskContext, TextInput } from '@ssbench/core';
import { Rng, SsbenchError, writeFileAtomic } from '@ssbench/core';
import { classificationScores } from './glue';

export const BIBLE_DATASET = 'bible-kjv-web';

/** The 66 books as diatheke names them in its `en` locale, in canonical order. */
export const BIBLE_BOOKS: readonly string[] = [
  'Genesis',
  'Exodus',
  'Leviticus',
  'Numbers',
  'Deuteronomy',
  'Joshua',
  'Judges',
  'Ruth',
  'I Samuel',
  'II Samuel',
  'I Kings',
  'II Kings',
  'I Chronicles',
  'II Chronicles',
  'Ezra',
  'Nehemiah',
  'Esther',
  'Job',
  'Psalms',
  'Proverbs',
  'Ecclesiastes',
  'Song of Solomon',
  'Isaiah',
  'Jeremiah',
  'Lamentations',
  'Ezekiel',
  'Daniel',
  'Hosea',
  'Joel',
  'Amos',
  'Obadiah',
  'Jonah',
  'Micah',
  'Nahum',
  'Habakkuk',
  'Zephaniah',
  'Haggai',
  'Zechariah',
  'Malachi',
  'Matthew',
  'Mark',
  'Luke',
  'John',
  'Acts',
  'Romans',
  'I Corinthians',
  'II Corinthians',
  'Galatians',
  'Ephesians',
  'Philippians',
  'Colossians',
  'I Thessalonians',
  'II Thessalonians',
  'I Timothy',
  'II Timothy',
  'Titus',
  'Philemon',
  'Hebrews',
  'James',
  'I Peter',
  'II Peter',
  'I John',
  'II John',
  'III John',
  'Jude',
  'Revelation of John',
];

export interface Translation {
  /** Key in the canonical records. */
  key: 'kjv' | 'web';
  module: string;
  debianPackage: string;
  title: string;
}

export const TRANSLATIONS: readonly Translation[] = [
  { key: 'kjv', module: 'engKJV2006eb', debianPackage: 'sword-text-kjv', title: 'King James Version (1769)' },
  { key: 'web', module: 'engWEB2015eb', debianPackage: 'sword-text-web', title: 'World English Bible' },
];

export const INSTALL_COMMAND = 'apt-get install -y --no-install-recommends diatheke sword-text-kjv sword-text-web';
export const DIATHEKE_RANGE = 'Genesis 1:1-Revelation 22:21';

/** Verse pairs whose character lengths differ by more than this factor are dropped as misaligned. */
export const MAX_LENGTH_RATIO = 3;

export const BIBLE_LABELS = ['not_paraphrase', 'paraphrase'] as const;

export const bibleDataset: DatasetInfo = {
  name: BIBLE_DATASET,
  description: 'The same verse in the King James Version and the World English Bible (paraphrase pairs; negatives sampled)',
  source: 'Debian sword-text-kjv (SWORD module engKJV2006eb) and sword-text-web (engWEB2015eb), dumped with diatheke',
  licence: 'public domain (both translations)',
  size: '~31,000 aligned verses (66 books)',
  debianPackage: 'sword-text-kjv',
};

// ---- parsing diatheke's output ------------------------------------------------------------------------

export interface VerseRef {
  book: string;
  chapter: number;
  verse: number;
}

export interface ParsedVerse extends VerseRef {
  text: string;
  /** 1-based line of the output where the verse starts. */
  line: number;
}

export interface DiathekeParse {
  /** The module named on the trailer line `(engKJV2006eb)`. */
  module: string;
  verses: ParsedVerse[];
  /** Verses of books outside the 66 (the WEB module's deuterocanon) and of verse 0 (introductions), left out. */
  skippedVerses: number;
  skippedBooks: string[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * Verse text from diatheke's OSIS (or plain) output: adjacent `<w>` elements are separated by a space (WEB's
 * markup has `<w>God</w><w>created</w>`), then every tag is removed (KJV's `<w>give</w>n` stays "given"),
 * entities decoded, stray USFM character markers dropped (27 KJV verses have `\nd LORD`, the "name of deity"
 * style), KJV's paragraph marks (pilcrows) dropped and white space collapsed.
 */
export function cleanVerseText(raw: string): string {
  return raw
    .replace(/<\/w>(?=<w[\s>])/g, '</w> ')
    .replace(/<[^>]*>/g, '')
    .replace(/\\[a-z]+\d*\*?(?=\s|$)/g, ' ')
    .replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, name: string) => {
      if (name[0] === '#') return String.fromCodePoint(name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1)));
      return ENTITIES[name] ?? whole;
    })
    .replace(/\u00b6/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Known book names, longest first, so "II John" is tried before "I John" and "John". */
const BOOKS_LONGEST_FIRST = [...BIBLE_BOOKS].sort((a, b) => b.length - a.length);

/** The known book that `before` ends with (at a word boundary), or null. */
function bookAtEnd(before: string): string | null {
  for (const book of BOOKS_LONGEST_FIRST) {
    if (!before.endsWith(book)) continue;
    const k = before.length - book.length;
    if (k === 0 || /\s/.test(before[k - 1])) return book;
  }
  return null;
}

/**
 * Parses the output of `diatheke -b <module> -f OSIS -k <range>`: each verse starts on a line with its reference
 * `Book C:V: ` (possibly after a heading, which is dropped); lines without a reference continue the current verse
 * (only the plain format has them); the last line is the module trailer `(<module>)`. Verses of books outside the
 * 66 are skipped. A missing trailer (truncated output), a trailer of another module, a reference seen twice or
 * output without verses is a data error naming `file` (a description of the dump) and the line.
 */
export function parseDiatheke(output: string, file: string, expectedModule?: string): DiathekeParse {
  const lines = output.split('\n');
  const verses: ParsedVerse[] = [];
  const seen = new Map<string, number>();
  const skippedBooks = new Set<string>();
  let skippedVerses = 0;
  let module: string | null = null;
  let current: ParsedVerse | null = null;
  let currentSkipped = false;
  const parts: string[] = [];
  const finish = () => {
    if (current) current.text = cleanVerseText(parts.join(' '));
    parts.length = 0;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    const lineNo = i + 1;
    if (line.trim() === '') continue;
    if (module !== null) throw new SsbenchError('data', `text after the module trailer "(${module})"`, { file, line: lineNo });
    const trailer = /^\s*\(([^()\s]+)\)\s*$/.exec(line);
    if (trailer) {
      module = trailer[1];
      if (expectedModule !== undefined && module !== expectedModule)
        throw new SsbenchError('data', `this is the dump of module ${module}, expected ${expectedModule}`, { file, line: lineNo });
      continue;
    }
    const ref = /(?<=\S )(\d+):(\d+):(?=\s|$)/.exec(line);
    // The text before the reference, markup removed: a heading may leak raw OSIS (`<l sID="x"/>III John 1:15: `).
    const before = ref ? line.slice(0, ref.index - 1).replace(/<[^>]*>/g, ' ') : '';
    const book = ref ? bookAtEnd(before) : null;
    // An unknown book's reference ends in a capitalised word or a parenthesised one: "Tobit", "Esther (Greek)".
    const unknownRef = ref !== null && book === null && /(?:^|\s)[A-Z(][^\s]*$/.test(before);
    if (ref && (book !== null || unknownRef)) {
      finish();
      const chapter = Number(ref[1]);
      const verse = Number(ref[2]);
      if (book === null || chapter === 0 || verse === 0) {
        skippedVerses++;
        if (book === null) skippedBooks.add(before.split(/\s{2,}/).pop()?.trim() ?? before);
        current = null;
        currentSkipped = true;
        continue;
      }
      const key = `${book} ${chapter}:${verse}`;
      const prev = seen.get(key);
      if (prev !== undefined) throw new SsbenchError('data', `${key} appears twice (first on line ${prev})`, { file, line: lineNo });
      seen.set(key, lineNo);
      current = { book, chapter, verse, text: '', line: lineNo };
      currentSkipped = false;
      verses.push(current);
      parts.push(line.slice(ref.index + ref[0].length));
    } else if (current) parts.push(line);
    else if (!currentSkipped)
      throw new SsbenchError('data', `expected a verse reference such as "Genesis 1:1: ", got ${JSON.stringify(line.slice(0, 80))}`, { file, line: lineNo });
  }
  finish();
  if (module === null)
    throw new SsbenchError('data', 'no module trailer line "(<module>)" at the end: the dump is truncated or is not diatheke output', { file });
  if (verses.length === 0)
    throw new SsbenchError('data', `no verses of the 66 books in the dump of ${module} (check the module with \`diatheke -b system -k modulelist\`)`, { file });
  return { module, verses, skippedVerses, skippedBooks: [...skippedBooks] };
}

// ---- alignment and the canonical cache ----------------------------------------------------------------

export interface AlignedVerse extends VerseRef {
  kjv: string;
  web: string;
}

export interface Alignment {
  verses: AlignedVerse[];
  /** Verses with text in only one translation (or none), left out. */
  kjvOnly: number;
  webOnly: number;
  emptyInBoth: number;
}

const refKey = (v: VerseRef) => `${v.book} ${v.chapter}:${v.verse}`;

/** Joins the two translations by reference (canonical order); a verse empty or absent in either is left out. */
export function alignVerses(kjv: readonly ParsedVerse[], web: readonly ParsedVerse[]): Alignment {
  const webByRef = new Map(web.map((v) => [refKey(v), v]));
  const kjvRefs = new Set(kjv.map(refKey));
  const out: Alignment = { verses: [], kjvOnly: 0, webOnly: 0, emptyInBoth: 0 };
  for (const k of kjv) {
    const w = webByRef.get(refKey(k));
    const hasK = k.text !== '';
    const hasW = w !== undefined && w.text !== '';
    if (hasK && hasW) out.verses.push({ book: k.book, chapter: k.chapter, verse: k.verse, kjv: k.text, web: (w as ParsedVerse).text });
    else if (hasK) out.kjvOnly++;
    else if (hasW) out.webOnly++;
    else out.emptyInBoth++;
  }
  for (const w of web) if (!kjvRefs.has(refKey(w)) && w.text !== '') out.webOnly++;
  const order = new Map(BIBLE_BOOKS.map((b, i) => [b, i]));
  out.verses.sort((a, b) => (order.get(a.book) as number) - (order.get(b.book) as number) || a.chapter - b.chapter || a.verse - b.verse);
  return out;
}

export interface BibleCacheMeta {
  format: 'ssbench/bible-kjv-web';
  version: 1;
  /** Module name, Debian package and its version per translation. */
  modules: { key: 'kjv' | 'web'; module: string; debianPackage: string; packageVersion: string }[];
  diathekeVersion: string;
  command: string;
  verses: number;
  kjvOnly: number;
  webOnly: number;
  emptyInBoth: number;
  skippedVerses: Record<string, number>;
}

export const bibleCacheFile = (dataDir: string) => join(dataDir, BIBLE_DATASET, 'aligned-v1.jsonl');

/** Writes the canonical JSONL (a header line with the provenance, then one verse per line) atomically. */
export function writeBibleCache(file: string, meta: BibleCacheMeta, verses: readonly AlignedVerse[]): void {
  const lines = [JSON.stringify(meta), ...verses.map((v) => JSON.stringify({ book: v.book, chapter: v.chapter, verse: v.verse, kjv: v.kjv, web: v.web }))];
  writeFileAtomic(file, `${lines.join('\n')}\n`);
}

/** Reads and checks the canonical JSONL; a bad line is a data error with its line number. */
export function readBibleCache(file: string): { meta: BibleCacheMeta; verses: AlignedVerse[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SsbenchError('data', `cannot read the aligned Bible verses (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const parse = (i: number): Record<string, unknown> => {
    try {
      const v = JSON.parse(lines[i]);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v;
    } catch {}
    throw new SsbenchError('data', 'expected one JSON object per line', { file, line: i + 1 });
  };
  if (lines.length === 0) throw new SsbenchError('data', 'the file is empty', { file });
  const meta = parse(0) as unknown as BibleCacheMeta;
  if (meta.format !== 'ssbench/bible-kjv-web' || meta.version !== 1)
    throw new SsbenchError('data', `expected a header {"format":"ssbench/bible-kjv-web","version":1,...}; delete the file and run \`ssbench data prepare ${BIBLE_DATASET}\``, {
      file,
      line: 1,
    });
  const books = new Set(BIBLE_BOOKS);
  const verses: AlignedVerse[] = [];
  for (let i = 1; i < lines.length; i++) {
    const r = parse(i);
    const ok =
      typeof r.book === 'string' &&
      books.has(r.book) &&
      Number.isInteger(r.chapter) &&
      (r.chapter as number) > 0 &&
      Number.isInteger(r.verse) &&
      (r.verse as number) > 0 &&
      typeof r.kjv === 'string' &&
      r.kjv !== '' &&
      typeof r.web === 'string' &&
      r.web !== '';
    if (!ok) throw new SsbenchError('data', 'expected {"book": one of the 66 books, "chapter": n > 0, "verse": n > 0, "kjv": text, "web": text}', { file, line: i + 1 });
    verses.push(r as unknown as AlignedVerse);
  }
  if (verses.length !== meta.verses) throw new SsbenchError('data', `the header says ${meta.verses} verses, the file holds ${verses.length} (truncated?)`, { file });
  return { meta, verses };
}

// ---- preparing: running diatheke -------------------------------------------------------------------------

/** Runs a program and resolves with its standard output (tests pass a fake). */
export type RunCommand = (program: string, args: readonly string[]) => Promise<string>;

export const runCommand: RunCommand = (program, args) =>
  new Promise((resolvePromise, reject) => {
    execFile(program, [...args], { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolvePromise(stdout);
    });
  });

const notInstalled = (what: string): DatasetStatus => ({ ready: false, detail: `${what}; install with \`${INSTALL_COMMAND}\`` });

/** Whether diatheke runs and both modules are installed; null when they are, else the status saying what to do. */
async function checkTools(run: RunCommand): Promise<DatasetStatus | null> {
  let list: string;
  try {
    list = await run('diatheke', ['-b', 'system', '-k', 'modulelist']);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return notInstalled(code === 'ENOENT' ? 'diatheke is not installed' : `diatheke failed (${(e as Error).message.split('\n')[0]})`);
  }
  const missing = TRANSLATIONS.filter((t) => !new RegExp(`^${t.module}\\s*:`, 'm').test(list));
  if (missing.length > 0) return notInstalled(`SWORD module(s) ${missing.map((t) => `${t.module} (Debian ${t.debianPackage})`).join(', ')} not installed`);
  return null;
}

async function packageVersion(run: RunCommand, pkg: string): Promise<string> {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    return (await run('dpkg-query', ['-W', '-f=${Version}', pkg])).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Ready when the canonical JSONL exists; otherwise what to run (`apt-get install ...` or `ssbench data prepare`). */
export async function bibleStatus(dataDir: string, run: RunCommand = runCommand): Promise<DatasetStatus> {
  const file = bibleCacheFile(dataDir);
  if (existsSync(file)) return { ready: true, detail: file };
  return (await checkTools(run)) ?? { ready: false, detail: `run \`ssbench data prepare ${BIBLE_DATASET}\` (dumps both translations with diatheke: about a minute)` };
}

/**
 * Dumps both translations with diatheke, aligns them and writes the canonical JSONL (atomically). Does nothing
 * when the file exists. Returns the status; a dump that does not parse is a data error.
 */
export async function prepareBible(dataDir: string, run: RunCommand = runCommand): Promise<DatasetStatus> {
  const file = bibleCacheFile(dataDir);
  if (existsSync(file)) return { ready: true, detail: file };
  const problem = await checkTools(run);
  if (problem) return problem;
  const parsed: Record<string, DiathekeParse> = {};
  for (const t of TRANSLATIONS) {
    const args = ['-b', t.module, '-f', 'OSIS', '-l', 'en', '-k', DIATHEKE_RANGE];
    const what = `output of \`diatheke ${args.slice(0, -1).join(' ')} "${DIATHEKE_RANGE}"\``;
    let output: string;
    try {
      output = await run('diatheke', args);
    } catch (e) {
      throw new SsbenchError('data', `${what} failed: ${(e as Error).message.split('\n')[0]}`);
    }
    parsed[t.key] = parseDiatheke(output, what, t.module);
  }
  const aligned = alignVerses(parsed.kjv.verses, parsed.web.verses);
  const meta: BibleCacheMeta = {
    format: 'ssbench/bible-kjv-web',
    version: 1,
    modules: await Promise.all(
      TRANSLATIONS.map(async (t) => ({ key: t.key, module: t.module, debianPackage: t.debianPackage, packageVersion: await packageVersion(run, t.debianPackage) })),
    ),
    diathekeVersion: await packageVersion(run, 'diatheke'),
    command: `diatheke -b <module> -f OSIS -l en -k "${DIATHEKE_RANGE}"`,
    verses: aligned.verses.length,
    kjvOnly: aligned.kjvOnly,
    webOnly: aligned.webOnly,
    emptyInBoth: aligned.emptyInBoth,
    skippedVerses: Object.fromEntries(TRANSLATIONS.map((t) => [t.key, parsed[t.key].skippedVerses])),
  };
  writeBibleCache(file, meta, aligned.verses);
  return { ready: true, detail: `${file} (${aligned.verses.length} aligned verses)` };
}

// ---- splits and pairs -----------------------------------------------------------------------------------

export interface BibleOptions {
  splitBy: 'book' | 'chapter';
  devFraction: number;
  testFraction: number;
  /** Caps on pairs per split (balanced: at most floor(max / 2) positives and as many negatives). */
  maxExamples: { train: number; dev: number; test: number };
  splitSeed: number;
}

/** Lower case, letters and digits only: verses that differ only in case or punctuation count as the same text. */
export function normaliseVerse(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** True when the two translations' lengths are within MAX_LENGTH_RATIO of each other. */
export function lengthsAgree(v: AlignedVerse): boolean {
  const a = v.kjv.length;
  const b = v.web.length;
  return Math.max(a, b) <= MAX_LENGTH_RATIO * Math.min(a, b);
}

export interface VerseSplits {
  train: AlignedVerse[];
  dev: AlignedVerse[];
  test: AlignedVerse[];
}

/**
 * Deals books (or chapters) to test, dev and train: the groups are shuffled (seeded by `splitSeed` only) and
 * each goes to test while test holds at most round(n * testFraction) verses, else to dev likewise, else to
 * train. Then, in the order test, dev, train, a verse whose normalised KJV or WEB text was already taken (in
 * its own split or an earlier one) is dropped, so no text is in two splits or twice in one.
 */
export function splitVerses(verses: readonly AlignedVerse[], options: Pick<BibleOptions, 'splitBy' | 'devFraction' | 'testFraction' | 'splitSeed'>): VerseSplits {
  const groupOf = (v: AlignedVerse) => (options.splitBy === 'book' ? v.book : `${v.book} ${v.chapter}`);
  const groups = new Map<string, AlignedVerse[]>();
  for (const v of verses) {
    const g = groups.get(groupOf(v));
    if (g) g.push(v);
    else groups.set(groupOf(v), [v]);
  }
  const want = { test: Math.round(verses.length * options.testFraction), dev: Math.round(verses.length * options.devFraction) };
  const dealt: VerseSplits = { train: [], dev: [], test: [] };
  const have = { test: 0, dev: 0 };
  const order = new Rng(options.splitSeed).fork('task-pairs').fork('bible').fork(`groups/${options.splitBy}`).shuffle([...groups.values()]);
  for (const g of order) {
    const to = have.test + g.length <= want.test ? 'test' : have.dev + g.length <= want.dev ? 'dev' : 'train';
    if (to !== 'train') have[to] += g.length;
    dealt[to].push(...g);
  }
  const taken = new Set<string>();
  const out: VerseSplits = { train: [], dev: [], test: [] };
  const index = new Map(verses.map((v, i) => [v, i]));
  for (const split of ['test', 'dev', 'train'] as const) {
    // Canonical order inside a split, whatever order the groups were dealt in.
    dealt[split].sort((a, b) => (index.get(a) as number) - (index.get(b) as number));
    for (const v of dealt[split]) {
      const k = `kjv\u0000${normaliseVerse(v.kjv)}`;
      const w = `web\u0000${normaliseVerse(v.web)}`;
      if (taken.has(k) || taken.has(w)) continue;
      taken.add(k);
      taken.add(w);
      out[split].push(v);
    }
  }
  return out;
}

export type PairKind = 'paraphrase' | 'hard' | 'random';

/** One pair: `text` and `textB` are one KJV and one WEB verse, in a random order. */
export interface BiblePairExample extends TextInput {
  text: string;
  textB: string;
  label: number;
  /** References of `text`'s and `textB`'s verses, e.g. 'Genesis 1:1'. */
  ref: string;
  refB: string;
  kind: PairKind;
}

/**
 * Balanced pairs from one split's verses: n = min(floor(maxPairs / 2), verses) anchor verses, each giving a
 * positive (its two translations) and a negative (one of its translations with the other translation of a
 * partner verse). The first floor(n / 2) anchors (in random order) take a partner from the same chapter (hard),
 * the others from another chapter (random); when a chapter has no other verse the partner is random, and when
 * the split has one chapter only it is hard. A negative that repeats an earlier one is redrawn.
 */
export function samplePairs(verses: readonly AlignedVerse[], maxPairs: number, rng: Rng): BiblePairExample[] {
  const n = Math.min(Math.floor(maxPairs / 2), verses.length);
  if (n === 0) return [];
  if (verses.length < 2) throw new SsbenchError('data', `cannot sample negative pairs from ${verses.length} verse`);
  const chapterOf = verses.map((v) => `${v.book} ${v.chapter}`);
  const byChapter = new Map<string, number[]>();
  chapterOf.forEach((c, i) => {
    const xs = byChapter.get(c);
    if (xs) xs.push(i);
    else byChapter.set(c, [i]);
  });
  const oneChapter = byChapter.size === 1;
  const anchors = rng.fork('anchors').permutation(verses.length).slice(0, n);
  const pick = rng.fork('partners');
  const coin = rng.fork('sides');
  const hardPartner = (a: number): number | null => {
    const mates = byChapter.get(chapterOf[a]) as number[];
    if (mates.length < 2) return null;
    const j = pick.int(mates.length - 1);
    return mates[j] >= a ? mates[j + 1] : mates[j]; // uniform over the chapter without a (mates ascend)
  };
  const randomPartner = (a: number): number => {
    for (;;) {
      const j = pick.int(verses.length);
      if (chapterOf[j] !== chapterOf[a]) return j;
    }
  };
  const ref = (i: number) => refKey(verses[i]);
  const pair = (kjv: number, web: number, label: number, kind: PairKind): BiblePairExample => {
    const kjvFirst = coin.bernoulli(0.5);
    const [a, b] = kjvFirst ? [kjv, web] : [web, kjv];
    return {
      text: kjvFirst ? verses[kjv].kjv : verses[web].web,
      textB: kjvFirst ? verses[web].web : verses[kjv].kjv,
      label,
      ref: ref(a),
      refB: ref(b),
      kind,
    };
  };
  const seen = new Set<string>();
  const out: BiblePairExample[] = [];
  anchors.forEach((a, i) => {
    const wantHard = i < Math.floor(n / 2);
    for (let attempt = 0; attempt < 50; attempt++) {
      let partner = wantHard || oneChapter ? hardPartner(a) : null;
      const kind: PairKind = partner !== null ? 'hard' : 'random';
      if (partner === null) partner = randomPartner(a);
      const anchorIsKjv = coin.bernoulli(0.5);
      const [kjv, web] = anchorIsKjv ? [a, partner] : [partner, a];
      const key = `${kjv}|${web}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(pair(a, a, 1, 'paraphrase'), pair(kjv, web, 0, kind));
      return;
    }
    // No new negative for this anchor (tiny splits only): leave its positive out too, to stay balanced.
  });
  return rng.fork('order').shuffle(out);
}

// ---- the task -----------------------------------------------------------------------------------------

export interface BibleSplits extends Splits<ClassificationExample> {
  train: BiblePairExample[];
  dev: BiblePairExample[];
  test: BiblePairExample[];
}

/** Pairs of every split from the aligned verses (after the length filter), as `BibleParaphraseTask.load`. */
export function makeBibleSplits(verses: readonly AlignedVerse[], options: BibleOptions): BibleSplits {
  const pools = splitVerses(verses.filter(lengthsAgree), options);
  const rng = new Rng(options.splitSeed).fork('task-pairs').fork('bible');
  const pairs = (split: 'train' | 'dev' | 'test') => {
    if (pools[split].length < 2)
      throw new SsbenchError(
        'data',
        `the ${split} split of the Bible verses holds ${pools[split].length} verse(s), too few to sample pairs from (${verses.length} verses dealt by ${options.splitBy})`,
      );
    return samplePairs(pools[split], options.maxExamples[split], rng.fork(`pairs/${split}`));
  };
  return { train: pairs('train'), dev: pairs('dev'), test: pairs('test') };
}

export class BibleParaphraseTask implements ClassificationTask {
  readonly head = { kind: 'classification', labels: BIBLE_LABELS } as const;
  readonly metrics: readonly MetricSpec[] = [
    { name: 'accuracy', higherIsBetter: true },
    { name: 'f1', higherIsBetter: true },
  ];
  readonly input = { kind: 'text' } as const;
  readonly version: string;
  readonly options: BibleOptions;
  private readonly ctx: TaskContext;
  private readonly run: RunCommand;
  private meta: BibleCacheMeta | null = null;

  constructor(options: BibleOptions, ctx: TaskContext, version: string, run: RunCommand = runCommand) {
    this.options = options;
    this.ctx = ctx;
    this.version = version;
    this.run = run;
  }

  /** The Debian packages (with the versions dumped, once loaded), modules and licence. */
  get source(): string {
    const mods = this.meta?.modules ?? TRANSLATIONS.map((t) => ({ ...t, packageVersion: '' }));
    const pkgs = mods.map((m) => `${m.debianPackage}${m.packageVersion ? ` ${m.packageVersion}` : ''} (${m.module})`).join(' + ');
    const diatheke = this.meta ? ` ${this.meta.diathekeVersion}` : '';
    return `Debian ${pkgs}, dumped with diatheke${diatheke} to ${bibleCacheFile(this.ctx.dataDir)}: KJV 1769 and World English Bible, public domain`;
  }

  async load(): Promise<BibleSplits> {
    const file = bibleCacheFile(this.ctx.dataDir);
    if (!existsSync(file)) {
      const status = await prepareBible(this.ctx.dataDir, this.run);
      if (!status.ready) throw new SsbenchError('data', `data set "${BIBLE_DATASET}" is not available: ${status.detail}`);
    }
    const { meta, verses } = readBibleCache(file);
    this.meta = meta;
    return makeBibleSplits(verses, this.options);
  }

  score(predicted: readonly number[], gold: readonly number[]): Record<string, number> {
    return classificationScores(this.metrics, this.head.labels, predicted, gold);
  }
}

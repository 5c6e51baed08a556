/**
 * The Debian Administrator's Handbook as text in several languages and as aligned EN-ZH (or any two languages)
 * paragraph pairs: pretraining text for multilingual models and a parallel corpus for cross-lingual probes.
 *
 * Data: Debian package `debian-handbook` (11.20220922 in bookworm; GPL-2.0+ or CC-BY-SA-3.0, Raphaël Hertzog and
 * Roland Mas), `/usr/share/doc/debian-handbook/html/<lang>/*.html`: one XHTML file per chapter and per section,
 * written by the publican 4.3 DocBook generator, the same file names in every language. The directory is found
 * where `apt-get install debian-handbook` puts it or where `@ssbench/data`'s `prepareDebianPackage` extracts the
 * package (`<dataDir>/debian/debian-handbook/usr/...`, the layout of its `locateDebianFile`; this package does not
 * depend on `@ssbench/data`, so the two locations are checked here), or under an explicit `htmlRoot`.
 *
 * Parsing (htmlparser2, HTML entities decoded by it):
 * - paragraphs are the `<div class="para">` elements (publican nests `<div class="url">→ URL</div>` inside them);
 *   their text is the concatenated text nodes, with `<sup>n</sup>` as `^n` (2^24) and the "→" before a URL
 *   dropped, whitespace collapsed. A paragraph without its end tag (a truncated file) or inside another paragraph
 *   is an error naming file and line;
 * - a file's chapter is found by following its `<link rel="up">` until the file whose parent is index.html
 *   (sections of chapter 6 live in `sect.apt-get.html` etc. whose "up" is `apt.html`); the chapter id is that
 *   file's name without ".html" (the same in every language), its title the file's `<title>`;
 * - files are read in the book's reading order, following `<link rel="next">` from index.html (files not on that
 *   chain follow in name order).
 *
 * Alignment (measured on 11.20220922, en-US vs zh-CN): every one of the 127 files has the same number of
 * paragraphs in both languages (3,034), and paragraphs are paired by position within a file. Checks:
 * - a file whose paragraph counts differ is dropped whole (0 files in 11.20220922);
 * - a pair whose target text equals the source text is untranslated (the zh-CN files carry 957 paragraphs still
 *   in English) and dropped, as are 2 empty paragraphs: 2,075 pairs remain;
 * - anchors: the language-independent tokens of a paragraph (the text of `<code>` elements, URLs without their
 *   scheme and trailing punctuation, and digit sequences such as 3.0 or 2004). For pairs where either side has
 *   anchors, the anchor multisets' Jaccard index is computed, and the same for the pairing shifted by one
 *   paragraph as a baseline: 11.20220922 gives mean 0.94 (91% identical anchor sets) for the aligned pairs and
 *   0.03 for the shifted ones, over 1,296 pairs with anchors. A file whose aligned agreement is not above its
 *   shifted baseline (with at least 3 pairs that have anchors) is treated as misaligned and dropped (none is).
 *   The remaining disagreements are genuine translation choices (numbers written as words, http vs https,
 *   translated placeholders such as `language-code_COUNTRY-CODE`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type AnyNode, type Document, DomHandler, type Element, isTag, isText } from 'domhandler';
import { DomUtils, Parser } from 'htmlparser2';
import type { Corpus, CorpusDocument } from './corpus';
import { splitSentences } from './sentences';

/** The Debian package that ships the handbook. */
export const HANDBOOK_PACKAGE = 'debian-handbook';
/** Where the package puts the per-language HTML directories. */
export const HANDBOOK_HTML_PATH = '/usr/share/doc/debian-handbook/html';
export const HANDBOOK_LICENCE = 'GPL-2.0+ or CC-BY-SA-3.0';

const LANG_ALIASES: Readonly<Record<string, string>> = { en: 'en-US', zh: 'zh-CN' };
const LANG_RE = /^[a-z]{2}-[A-Z]{2}$/;

/** "en" -> "en-US", "zh" -> "zh-CN"; directory names such as "zh-TW" or "fr-FR" pass through. */
export function resolveHandbookLang(lang: string): string {
  const l = LANG_ALIASES[lang] ?? lang;
  if (!LANG_RE.test(l)) throw new Error(`debian-handbook: language ${JSON.stringify(lang)} is not "en", "zh" or a directory name like "zh-CN"`);
  return l;
}

/** Where to look for the handbook: an HTML root (holding `<lang>/` directories) or ssbench's data directory. */
export interface HandbookLocation {
  /** Directory holding the per-language directories (`en-US/`, `zh-CN/`, ...). Checked alone when given. */
  readonly htmlRoot?: string;
  /** ssbench's data directory: `<dataDir>/debian/debian-handbook` is where `prepareDebianPackage` extracts. */
  readonly dataDir?: string;
}

/** Candidate HTML roots, in the order they are checked. */
function candidateRoots(where: HandbookLocation): string[] {
  if (where.htmlRoot !== undefined) return [where.htmlRoot];
  const roots = [HANDBOOK_HTML_PATH];
  if (where.dataDir !== undefined) roots.push(join(where.dataDir, 'debian', HANDBOOK_PACKAGE, HANDBOOK_HTML_PATH));
  return roots;
}

/** The directory of one language's HTML files, or null when it is in none of the locations. */
export function locateHandbook(lang: string, where: HandbookLocation = {}): string | null {
  const l = resolveHandbookLang(lang);
  for (const root of candidateRoots(where)) {
    const dir = join(root, l);
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

function requireHandbook(lang: string, where: HandbookLocation): string {
  const dir = locateHandbook(lang, where);
  if (dir !== null) return dir;
  const looked = candidateRoots(where).map((r) => join(r, resolveHandbookLang(lang), 'index.html'));
  throw new Error(
    `debian-handbook (${resolveHandbookLang(lang)}) not found (looked for ${looked.join(', ')}): run \`apt-get install ${HANDBOOK_PACKAGE}\` ` +
      `or extract it with @ssbench/data prepareDebianPackage('${HANDBOOK_PACKAGE}', dataDir) (\`ssbench data prepare\`)`,
  );
}

/** The package version from `changelog.gz` beside the HTML root ("11.20220922"), or null when it is not there. */
export function handbookVersion(langDir: string): string | null {
  const changelog = join(langDir, '..', '..', 'changelog.gz');
  if (!existsSync(changelog)) return null;
  try {
    const head = gunzipSync(readFileSync(changelog)).toString('utf8', 0, 200);
    const m = /^debian-handbook \(([^)]+)\)/.exec(head);
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

// ---- one HTML file --------------------------------------------------------------------------------------------

/** One `<div class="para">`: its text, its language-independent anchors and the line it starts on (1-based). */
export interface HandbookParagraph {
  readonly text: string;
  readonly anchors: readonly string[];
  readonly line: number;
}

/** One publican HTML file. `up` and `next` are file names (no directory), null when absent. */
export interface HandbookFile {
  readonly file: string;
  readonly title: string;
  readonly up: string | null;
  readonly next: string | null;
  readonly paragraphs: HandbookParagraph[];
}

/** Line numbers (1-based) of increasing offsets of `text`, counted incrementally. */
function lineCounter(text: string): (offset: number) => number {
  let at = 0;
  let line = 1;
  return (offset) => {
    if (offset < at) {
      at = 0;
      line = 1;
    }
    for (let i = text.indexOf('\n', at); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
    at = offset;
    return line;
  };
}

/** A DOM handler that also remembers the elements whose end tag is missing (closed implicitly by the parser). */
class ImpliedCloseHandler extends DomHandler {
  readonly implied = new Set<Element>();
  override onclosetag(_name?: string, isImplied?: boolean): void {
    const open = this.tagStack[this.tagStack.length - 1];
    if (isImplied === true && open !== undefined && isTag(open)) this.implied.add(open);
    super.onclosetag();
  }
}

/** Parses HTML (entities decoded, start offsets kept); `implied` holds the elements whose end tag is missing. */
function parseHtml(html: string): { document: Document; implied: ReadonlySet<Element> } {
  const handler = new ImpliedCloseHandler(undefined, { withStartIndices: true });
  const parser = new Parser(handler);
  parser.end(html);
  return { document: handler.root, implied: handler.implied };
}

const hasClass = (el: Element, name: string) => (el.attribs.class ?? '').split(/\s+/).includes(name);

/** Appends the text under `node`: `<sup>` as ^, the "→" that starts a `<div class="url">` dropped, tags ignored. */
function collectText(node: AnyNode, parts: string[]): void {
  if (isText(node)) {
    parts.push(node.data);
    return;
  }
  if (!isTag(node)) return; // comments, processing instructions
  if (node.name === 'sup') parts.push('^');
  if (node.name === 'div' && hasClass(node, 'url')) {
    const inner: string[] = [];
    for (const child of node.children) collectText(child, inner);
    parts.push(' ', inner.join('').replace(/^\s*\u2192\s*/, '')); // "→ https://...": keep the URL
    return;
  }
  for (const child of node.children) collectText(child, parts);
}

/** Plain text of an element: see collectText; whitespace (including no-break spaces) collapsed. */
function elementText(node: AnyNode): string {
  const parts: string[] = [];
  collectText(node, parts);
  return parts.join('').replace(/\s+/g, ' ').trim();
}

/** Normalised URL anchor: no scheme, no trailing punctuation (ASCII or CJK), no trailing slash. */
function normaliseUrl(url: string): string {
  return url
    .replace(/^[a-z]+:\/\//, '')
    .replace(/[.,;:!?)\]}'"\u3002\uff0c\uff1b\uff1a\uff01\uff1f\uff09\u201d\u2019]+$/u, '')
    .replace(/\/$/, '');
}

/** The outermost `<code>` elements under `node` (publican nests `<code>` for placeholders: `blkid <code>device</code>`). */
function outermostCode(node: Element, out: Element[] = []): Element[] {
  for (const child of node.children) {
    if (!isTag(child)) continue;
    if (child.name === 'code') out.push(child);
    else outermostCode(child, out);
  }
  return out;
}

/** Language-independent tokens of a paragraph: `<code>` texts, URLs and digit sequences ("c:", "u:", "n:"). */
function paragraphAnchors(para: Element, text: string): string[] {
  const out: string[] = [];
  for (const code of outermostCode(para)) {
    const t = elementText(code);
    if (t.length > 0) out.push(`c:${t}`);
  }
  const urls = [...text.matchAll(/[a-z]+:\/\/[^\s<>"\u3000-\u303f\uff00-\uffef]+/g)];
  for (const m of urls) out.push(`u:${normaliseUrl(m[0])}`);
  const withoutUrls = urls.reduce((s, m) => s.replace(m[0], ' '), text);
  for (const m of withoutUrls.matchAll(/\d+(?:\.\d+)*/g)) out.push(`n:${m[0]}`);
  return out;
}

const isParagraph = (node: AnyNode): node is Element => isTag(node) && node.name === 'div' && hasClass(node, 'para');

/** The `<div class="para">` blocks of a parsed page, in document order; `file` is used in error messages. */
function paragraphsOf(parsed: ReturnType<typeof parseHtml>, html: string, file: string): HandbookParagraph[] {
  const lineOf = lineCounter(html);
  const out: HandbookParagraph[] = [];
  for (const para of DomUtils.filter(isParagraph, parsed.document.children) as Element[]) {
    const line = lineOf(para.startIndex ?? 0);
    const nested = DomUtils.findOne(isParagraph, para.children);
    if (nested !== null) throw new Error(`${file}:${lineOf(nested.startIndex ?? 0)}: <div class="para"> inside another paragraph`);
    if (parsed.implied.has(para)) throw new Error(`${file}:${line}: <div class="para"> is never closed`);
    const text = elementText(para);
    out.push({ text, anchors: paragraphAnchors(para, text), line });
  }
  return out;
}

/** The `<div class="para">` blocks of one file's HTML; `file` is used in error messages. */
export function parseHandbookParagraphs(html: string, file: string): HandbookParagraph[] {
  return paragraphsOf(parseHtml(html), html, file);
}

/** The file name an element `<link rel="...">` points to (no fragment), or null. */
function linkHref(document: Document, rel: string): string | null {
  const link = DomUtils.findOne((e) => e.name === 'link' && e.attribs.rel === rel, document.children);
  const href = link?.attribs.href?.split('#')[0] ?? '';
  return href.length > 0 ? href : null;
}

/** Reads one publican HTML file: title, up/next links and paragraphs. Errors name the path (and the line). */
export function readHandbookFile(path: string): HandbookFile {
  let html: string;
  try {
    html = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const parsed = parseHtml(html);
  const title = DomUtils.findOne((e) => e.name === 'title', parsed.document.children);
  if (title === null) throw new Error(`${path}: no <title> (not a publican HTML page?)`);
  return {
    file: path.slice(path.lastIndexOf('/') + 1),
    title: elementText(title),
    up: linkHref(parsed.document, 'up'),
    next: linkHref(parsed.document, 'next'),
    paragraphs: paragraphsOf(parsed, html, path),
  };
}

// ---- one language: files in reading order, grouped by chapter -----------------------------------------------

/** A file of the book with its chapter (the id of the top-level file it belongs to). */
export interface HandbookBookFile extends HandbookFile {
  readonly chapter: string;
}

/** A chapter: id (file name stem of its top-level file, language-independent), title, and its files' paragraphs. */
export interface HandbookChapter {
  readonly id: string;
  readonly title: string;
  readonly files: readonly string[];
}

/** One language of the book, in reading order. */
export interface HandbookBook {
  readonly lang: string;
  readonly dir: string;
  readonly version: string | null;
  readonly files: HandbookBookFile[];
  readonly chapters: HandbookChapter[];
}

const stem = (file: string) => file.replace(/\.html$/, '');

/** Reads every `*.html` of one language directory, orders the files and assigns chapters. */
export function readHandbookBook(dir: string, lang: string): HandbookBook {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => f.endsWith('.html'))
      .sort();
  } catch (err) {
    throw new Error(`cannot list ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (names.length === 0) throw new Error(`${dir}: no .html files`);
  const byName = new Map(names.map((n) => [n, readHandbookFile(join(dir, n))]));
  // Reading order: the "next" chain from index.html, then anything not on it.
  const order: string[] = [];
  const seen = new Set<string>();
  for (let f: string | null = byName.has('index.html') ? 'index.html' : null; f !== null && byName.has(f) && !seen.has(f); f = byName.get(f)?.next ?? null) {
    order.push(f);
    seen.add(f);
  }
  for (const n of names) if (!seen.has(n)) order.push(n);
  // Chapter: climb "up" links to the file whose parent is index.html (or that has no parent).
  const chapterOf = (name: string): string => {
    let cur = name;
    for (let hops = 0; hops <= names.length; hops++) {
      const up = byName.get(cur)?.up ?? null;
      if (up === null || up === 'index.html') return stem(cur);
      if (!byName.has(up)) throw new Error(`${join(dir, cur)}: <link rel="up"> points to ${up}, which is not in ${dir}`);
      cur = up;
    }
    throw new Error(`${join(dir, name)}: <link rel="up"> links form a cycle`);
  };
  const files = order.map((n) => ({ ...(byName.get(n) as HandbookFile), chapter: chapterOf(n) }));
  const chapters = new Map<string, { id: string; title: string; files: string[] }>();
  for (const f of files) {
    const c = chapters.get(f.chapter) ?? { id: f.chapter, title: byName.get(`${f.chapter}.html`)?.title ?? f.chapter, files: [] };
    c.files.push(f.file);
    chapters.set(f.chapter, c);
  }
  return { lang, dir, version: handbookVersion(dir), files, chapters: [...chapters.values()] };
}

// ---- pretraining text ---------------------------------------------------------------------------------------

/** Sentences of a paragraph in a CJK language: split after 。！？ (and closing quotes or brackets). */
export function splitCjkSentences(paragraph: string): string[] {
  return paragraph
    .split(/(?<=[\u3002\uff01\uff1f][\u201d\u2019\u300d\u300f\uff09]*)(?![\u201d\u2019\u300d\u300f\uff09])/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const isCjkLang = (lang: string) => /^(zh|ja|ko)-/.test(lang);

export interface HandbookOptions extends HandbookLocation {
  /** "en", "zh", or a directory name ("en-US", "zh-CN", "zh-TW", "fr-FR", ...). */
  readonly lang: string;
  /** A corpus sentence is a paragraph ("paragraph", default) or a sentence of it ("sentence"). */
  readonly unit?: 'paragraph' | 'sentence';
  /**
   * "drop" (default): leave out paragraphs identical to the en-US paragraph at the same position of the same file
   * (untranslated leftovers: 957 of zh-CN's 3,034); "keep" takes every paragraph. No effect for en-US.
   */
  readonly untranslated?: 'drop' | 'keep';
  /** Keep only these chapter ids (file stems such as "apt"); default every chapter. */
  readonly chapters?: readonly string[];
}

function sourceString(book: HandbookBook): string {
  return `debian:${HANDBOOK_PACKAGE}${book.version ? `@${book.version}` : ''} ${HANDBOOK_HTML_PATH}/${book.lang}/*.html`;
}

/**
 * The handbook in one language as a pretraining corpus: one document per chapter (id = chapter id), sentences =
 * paragraphs or sentences, in reading order. Chapters left with no text are omitted.
 */
export function loadHandbook(options: HandbookOptions): Corpus {
  const lang = resolveHandbookLang(options.lang);
  const unit = options.unit ?? 'paragraph';
  if (unit !== 'paragraph' && unit !== 'sentence') throw new Error(`loadHandbook: unit must be "paragraph" or "sentence", got ${JSON.stringify(unit)}`);
  const untranslated = options.untranslated ?? 'drop';
  if (untranslated !== 'drop' && untranslated !== 'keep') throw new Error(`loadHandbook: untranslated must be "drop" or "keep", got ${JSON.stringify(untranslated)}`);
  const book = readHandbookBook(requireHandbook(lang, options), lang);
  const reference = lang !== 'en-US' && untranslated === 'drop' ? readHandbookBook(requireHandbook('en-US', options), 'en-US') : null;
  const refFiles = new Map(reference?.files.map((f) => [f.file, f]) ?? []);
  const wanted = options.chapters ? new Set(options.chapters) : null;
  const split = (p: string) => (unit === 'paragraph' ? [p] : isCjkLang(lang) ? splitCjkSentences(p) : splitSentences(p));
  const docs = new Map<string, string[]>();
  for (const f of book.files) {
    if (wanted && !wanted.has(f.chapter)) continue;
    const ref = refFiles.get(f.file);
    const comparable = ref !== undefined && ref.paragraphs.length === f.paragraphs.length;
    const sentences = docs.get(f.chapter) ?? [];
    f.paragraphs.forEach((p, i) => {
      if (p.text.length === 0) return;
      if (comparable && ref.paragraphs[i].text === p.text) return; // untranslated
      sentences.push(...split(p.text));
    });
    docs.set(f.chapter, sentences);
  }
  const documents: CorpusDocument[] = [...docs].filter(([, s]) => s.length > 0).map(([id, sentences]) => ({ id, sentences }));
  if (documents.length === 0) throw new Error(`debian-handbook (${lang}) in ${book.dir}: no text${wanted ? ` in chapters ${[...wanted].join(', ')}` : ''}`);
  return { name: `debian-handbook-${lang}`, source: sourceString(book), licence: HANDBOOK_LICENCE, documents };
}

// ---- aligned pairs ------------------------------------------------------------------------------------------

/** One aligned paragraph pair. `id` is "<file>#<paragraph index in the file>", the same in both languages. */
export interface HandbookPair {
  readonly id: string;
  readonly chapter: string;
  readonly file: string;
  readonly index: number;
  readonly source: string;
  readonly target: string;
  /** Jaccard index of the two sides' anchor multisets; null when neither side has anchors. */
  readonly anchorAgreement: number | null;
}

/** What the alignment kept and how reliable it looks (see the file header). */
export interface HandbookAlignmentStats {
  readonly files: number;
  /** Files whose paragraph counts differ between the languages (dropped whole). */
  readonly filesCountMismatch: readonly string[];
  /** Files whose anchor agreement is not above the shifted baseline (dropped whole). */
  readonly filesMisaligned: readonly string[];
  /** Paragraphs of the files kept (= pairs + untranslated + empty). */
  readonly paragraphs: number;
  /** Paragraphs whose target text equals the source text (dropped). */
  readonly untranslated: number;
  /** Paragraphs empty on either side (dropped). */
  readonly empty: number;
  readonly pairs: number;
  /** Kept pairs where either side has anchors, their mean agreement and the share with identical anchor sets. */
  readonly anchoredPairs: number;
  readonly meanAnchorAgreement: number;
  readonly identicalAnchorShare: number;
  /** The same mean for pairs shifted by one paragraph (the baseline a misalignment would look like). */
  readonly shiftedMeanAnchorAgreement: number;
}

export interface HandbookAlignment {
  /** Language directory names, e.g. "en-US" and "zh-CN". */
  readonly sourceLang: string;
  readonly targetLang: string;
  readonly source: string;
  readonly licence: string;
  /** Chapters in reading order with their titles in the source language. */
  readonly chapters: readonly HandbookChapter[];
  readonly pairs: HandbookPair[];
  readonly stats: HandbookAlignmentStats;
}

export interface HandbookPairsOptions extends HandbookLocation {
  /** Default "en-US". */
  readonly source?: string;
  /** Default "zh-CN". */
  readonly target?: string;
}

/** Jaccard index of two multisets; null when both are empty. */
export function multisetJaccard(a: readonly string[], b: readonly string[]): number | null {
  if (a.length === 0 && b.length === 0) return null;
  const count = (xs: readonly string[]) => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  const ca = count(a);
  const cb = count(b);
  let inter = 0;
  let union = 0;
  for (const k of new Set([...ca.keys(), ...cb.keys()])) {
    const x = ca.get(k) ?? 0;
    const y = cb.get(k) ?? 0;
    inter += Math.min(x, y);
    union += Math.max(x, y);
  }
  return inter / union;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / xs.length);

/**
 * Paragraph pairs of two languages aligned by position within each file, with the checks of the file header.
 * Pairs are in the source language's reading order.
 */
export function loadHandbookPairs(options: HandbookPairsOptions = {}): HandbookAlignment {
  const sourceLang = resolveHandbookLang(options.source ?? 'en-US');
  const targetLang = resolveHandbookLang(options.target ?? 'zh-CN');
  if (sourceLang === targetLang) throw new Error(`loadHandbookPairs: source and target are both ${sourceLang}`);
  const src = readHandbookBook(requireHandbook(sourceLang, options), sourceLang);
  const tgt = readHandbookBook(requireHandbook(targetLang, options), targetLang);
  const tgtFiles = new Map(tgt.files.map((f) => [f.file, f]));
  const filesCountMismatch: string[] = [];
  const filesMisaligned: string[] = [];
  const pairs: HandbookPair[] = [];
  let paragraphs = 0;
  let untranslated = 0;
  let empty = 0;
  const shifted: number[] = [];
  for (const f of src.files) {
    const t = tgtFiles.get(f.file);
    if (t === undefined || t.paragraphs.length !== f.paragraphs.length) {
      filesCountMismatch.push(f.file);
      continue;
    }
    const kept: HandbookPair[] = [];
    const fileShifted: number[] = [];
    let fileEmpty = 0;
    let fileUntranslated = 0;
    f.paragraphs.forEach((p, i) => {
      const q = t.paragraphs[i];
      if (p.text.length === 0 || q.text.length === 0) {
        fileEmpty++;
        return;
      }
      if (p.text === q.text) {
        fileUntranslated++;
        return;
      }
      kept.push({
        id: `${f.file}#${i}`,
        chapter: f.chapter,
        file: f.file,
        index: i,
        source: p.text,
        target: q.text,
        anchorAgreement: multisetJaccard(p.anchors, q.anchors),
      });
      const next = t.paragraphs[i + 1];
      if (next !== undefined && next.text !== f.paragraphs[i + 1]?.text) {
        const j = multisetJaccard(p.anchors, next.anchors);
        if (j !== null) fileShifted.push(j);
      }
    });
    const aligned = kept.map((k) => k.anchorAgreement).filter((a): a is number => a !== null);
    if (aligned.length >= 3 && fileShifted.length > 0 && !(mean(aligned) > mean(fileShifted))) {
      filesMisaligned.push(f.file);
      continue;
    }
    pairs.push(...kept);
    shifted.push(...fileShifted);
    paragraphs += f.paragraphs.length;
    empty += fileEmpty;
    untranslated += fileUntranslated;
  }
  const agreements = pairs.map((p) => p.anchorAgreement).filter((a): a is number => a !== null);
  const keptChapters = new Set(pairs.map((p) => p.chapter));
  return {
    sourceLang,
    targetLang,
    source: `${sourceString(src)} + ${sourceString(tgt)}`,
    licence: HANDBOOK_LICENCE,
    chapters: src.chapters.filter((c) => keptChapters.has(c.id)),
    pairs,
    stats: {
      files: src.files.length,
      filesCountMismatch,
      filesMisaligned,
      paragraphs,
      untranslated,
      empty,
      pairs: pairs.length,
      anchoredPairs: agreements.length,
      meanAnchorAgreement: mean(agreements),
      identicalAnchorShare: agreements.length === 0 ? Number.NaN : agreements.filter((a) => a === 1).length / agreements.length,
      shiftedMeanAnchorAgreement: mean(shifted),
    },
  };
}

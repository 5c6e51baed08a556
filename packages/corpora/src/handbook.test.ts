import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HANDBOOK_HTML_PATH,
  loadHandbook,
  loadHandbookPairs,
  locateHandbook,
  multisetJaccard,
  parseHandbookParagraphs,
  readHandbookBook,
  readHandbookFile,
  resolveHandbookLang,
  splitCjkSentences,
} from './handbook';

const tmp = mkdtempSync(join(tmpdir(), 'ssbench-handbook-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// ---- a tiny publican-style book ------------------------------------------------------------------------------

interface PageSpec {
  title: string;
  up?: string;
  next?: string;
  paras: string[];
}

function page(p: PageSpec): string {
  const links = [p.up ? `<link rel="up" href="${p.up}" title="x" />` : '', p.next ? `<link rel="next" href="${p.next}" title="y" />` : ''].join('');
  const body = p.paras.map((x) => `<div class="para">\n\t\t\t${x}\n\t\t</div>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<html><head><title>${p.title}</title>${links}</head>\n<body><div class="section">\n${body}\n</div></body></html>\n`;
}

function writeBook(root: string, lang: string, pages: Record<string, PageSpec>): void {
  const dir = join(root, lang);
  mkdirSync(dir, { recursive: true });
  for (const [name, p] of Object.entries(pages)) writeFileSync(join(dir, name), page(p));
}

// Reading order: index -> ch1 -> sect.one -> ch2 -> bad; sect.one belongs to ch1 (up), sect.deep to sect.one.
const EN: Record<string, PageSpec> = {
  'index.html': { title: 'The Book', next: 'ch1.html', paras: ['Licence: see <a href="https://example.org/l">https://example.org/l</a>.'] },
  'ch1.html': {
    title: 'Chapter 1. First &amp; Foremost',
    up: 'index.html',
    next: 'sect.one.html',
    paras: [
      'Run <code class="command">apt-get update</code> &lt;now&gt;.',
      'There are 2<sup>24</sup> addresses. <div xmlns="" class="url">→ <a href="https://example.org/x">https://example.org/x</a></div>',
      'Untranslated paragraph.',
      '   ',
    ],
  },
  'sect.one.html': { title: '1.1. Section', up: 'ch1.html', next: 'ch2.html', paras: ['In 2004 it was 3.0 . Second sentence! Third?'] },
  'sect.deep.html': { title: '1.1.1. Deep', up: 'sect.one.html', paras: ['Deep <em>text</em>&#160;here&#x21;'] },
  'ch2.html': { title: 'Chapter 2. Second', up: 'index.html', next: 'bad.html', paras: ['Use <code>ls</code>.', 'Use <code>cp</code> 1.', 'Use <code>mv</code> 2.', 'Use <code>rm</code> 3.'] },
  'bad.html': { title: 'Appendix A. Mismatch', up: 'index.html', paras: ['One.', 'Two.'] },
};

const ZH: Record<string, PageSpec> = {
  'index.html': { title: '书', next: 'ch1.html', paras: ['许可：见 <a href="http://example.org/l">http://example.org/l</a>。'] },
  'ch1.html': {
    title: '第 1 章 首先',
    up: 'index.html',
    next: 'sect.one.html',
    paras: [
      '运行 <code class="command">apt-get update</code>。',
      '有 2<sup>24</sup> 个地址。<div xmlns="" class="url">→ <a href="https://example.org/x">https://example.org/x</a></div>',
      'Untranslated paragraph.',
      '',
    ],
  },
  'sect.one.html': { title: '1.1. 节', up: 'ch1.html', next: 'ch2.html', paras: ['在 2004 年是 3.0。第二句！第三句？'] },
  'sect.deep.html': { title: '1.1.1. 深', up: 'sect.one.html', paras: ['深的文字'] },
  // Shifted by one paragraph: zh[i] translates en[i-1] (an inserted paragraph first, the last one missing).
  'ch2.html': { title: '第 2 章', up: 'index.html', next: 'bad.html', paras: ['插入的段落。', '用 <code>ls</code>。', '用 <code>cp</code> 1。', '用 <code>mv</code> 2。'] },
  'bad.html': { title: '附录 A', up: 'index.html', paras: ['一。'] },
};

const root = join(tmp, 'html');
writeBook(root, 'en-US', EN);
writeBook(root, 'zh-CN', ZH);

describe('handbook HTML parsing', () => {
  it('extracts paragraphs: nested url divs, <sup>, entities, whitespace; anchors; line numbers', () => {
    const f = readHandbookFile(join(root, 'en-US', 'ch1.html'));
    expect(f).toMatchObject({ file: 'ch1.html', title: 'Chapter 1. First & Foremost', up: 'index.html', next: 'sect.one.html' });
    expect(f.paragraphs.map((p) => p.text)).toEqual(['Run apt-get update <now>.', 'There are 2^24 addresses. https://example.org/x', 'Untranslated paragraph.', '']);
    expect(f.paragraphs[0].anchors).toEqual(['c:apt-get update']);
    expect(f.paragraphs[1].anchors).toEqual(['u:example.org/x', 'n:2', 'n:24']);
    // page(): line 1 xml decl, 2 head, 3 <div class="section">, 4 first para, each para 3 lines.
    expect(f.paragraphs.map((p) => p.line)).toEqual([4, 7, 10, 13]);
    const deep = readHandbookFile(join(root, 'en-US', 'sect.deep.html'));
    expect(deep.paragraphs[0].text).toBe('Deep text here!'); // &#160; is a space once whitespace collapses
    expect(deep.next).toBeNull();
  });

  it('normalises URL anchors (scheme, trailing ASCII or CJK punctuation)', () => {
    const en = parseHandbookParagraphs('<div class="para">see https://www.gnu.org/licenses/.</div>', 'x')[0];
    const zh = parseHandbookParagraphs('<div class="para">请见 https://www.gnu.org/licenses/。</div>', 'y')[0];
    expect(en.anchors).toEqual(['u:www.gnu.org/licenses']);
    expect(zh.anchors).toEqual(en.anchors);
  });

  it('decodes every HTML entity and keeps an unknown one as text (as browsers do)', () => {
    const [p] = parseHandbookParagraphs('<div class="para">caf&eacute; &#x4e2d;&#25991; &lt;x&gt; &bogus; <code>blkid <code>device</code></code></div>', 'e.html');
    expect(p.text).toBe('café 中文 <x> &bogus; blkid device');
    expect(p.anchors).toEqual(['c:blkid device']); // outermost <code> only
  });

  it('reports unclosed and nested paragraphs with file and line', () => {
    expect(() => parseHandbookParagraphs('<p>\n<div class="para">open\n<div class="url">x</div>', 'f.html')).toThrow('f.html:2: <div class="para"> is never closed');
    expect(() => parseHandbookParagraphs('\n<div class="para">a\n<div class="para">b</div></div>', 'h.html')).toThrow('h.html:3: <div class="para"> inside another paragraph');
    expect(() => readHandbookFile(join(tmp, 'absent.html'))).toThrow(/absent\.html: ENOENT/);
    const noTitle = join(tmp, 'notitle.html');
    writeFileSync(noTitle, '<html><body></body></html>');
    expect(() => readHandbookFile(noTitle)).toThrow(/notitle\.html: no <title>/);
  });

  it('orders files by the next chain and assigns chapters through up links', () => {
    const book = readHandbookBook(join(root, 'en-US'), 'en-US');
    expect(book.files.map((f) => f.file)).toEqual(['index.html', 'ch1.html', 'sect.one.html', 'ch2.html', 'bad.html', 'sect.deep.html']);
    expect(book.files.map((f) => f.chapter)).toEqual(['index', 'ch1', 'ch1', 'ch2', 'bad', 'ch1']);
    expect(book.chapters.map((c) => [c.id, c.title, c.files])).toEqual([
      ['index', 'The Book', ['index.html']],
      ['ch1', 'Chapter 1. First & Foremost', ['ch1.html', 'sect.one.html', 'sect.deep.html']],
      ['ch2', 'Chapter 2. Second', ['ch2.html']],
      ['bad', 'Appendix A. Mismatch', ['bad.html']],
    ]);
    expect(book.version).toBeNull();
    const broken = join(tmp, 'broken', 'en-US');
    writeBook(join(tmp, 'broken'), 'en-US', { 'index.html': { title: 'B', paras: [] }, 'a.html': { title: 'A', up: 'gone.html', paras: ['x'] } });
    expect(() => readHandbookBook(broken, 'en-US')).toThrow(/a\.html: <link rel="up"> points to gone\.html/);
  });

  it('locates a language under an HTML root or a data directory, and says how to get it otherwise', () => {
    expect(resolveHandbookLang('en')).toBe('en-US');
    expect(resolveHandbookLang('zh')).toBe('zh-CN');
    expect(resolveHandbookLang('zh-TW')).toBe('zh-TW');
    expect(() => resolveHandbookLang('chinese')).toThrow(/"chinese"/);
    expect(locateHandbook('zh', { htmlRoot: root })).toBe(join(root, 'zh-CN'));
    const dataDir = join(tmp, 'data');
    writeBook(join(dataDir, 'debian', 'debian-handbook', 'usr/share/doc/debian-handbook/html'), 'fr-FR', { 'index.html': { title: 'Livre', paras: ['Bonjour.'] } });
    if (!existsSync(HANDBOOK_HTML_PATH)) expect(locateHandbook('fr-FR', { dataDir })).toBe(join(dataDir, 'debian/debian-handbook/usr/share/doc/debian-handbook/html/fr-FR'));
    expect(locateHandbook('de-DE', { htmlRoot: root })).toBeNull();
    expect(() => loadHandbook({ lang: 'de-DE', htmlRoot: root })).toThrow(/de-DE\/index\.html.*apt-get install debian-handbook/);
  });
});

describe('loadHandbook', () => {
  it('gives one document per chapter of paragraphs; zh drops untranslated and empty paragraphs', () => {
    const en = loadHandbook({ lang: 'en', htmlRoot: root });
    expect(en.name).toBe('debian-handbook-en-US');
    expect(en.licence).toBe('GPL-2.0+ or CC-BY-SA-3.0');
    expect(en.documents.map((d) => d.id)).toEqual(['index', 'ch1', 'ch2', 'bad']);
    expect(en.documents[1].sentences).toEqual([
      'Run apt-get update <now>.',
      'There are 2^24 addresses. https://example.org/x',
      'Untranslated paragraph.',
      'In 2004 it was 3.0 . Second sentence! Third?',
      'Deep text here!',
    ]);
    const zh = loadHandbook({ lang: 'zh', htmlRoot: root });
    expect(zh.documents[1].sentences).toEqual(['运行 apt-get update。', '有 2^24 个地址。 https://example.org/x', '在 2004 年是 3.0。第二句！第三句？', '深的文字']);
    const kept = loadHandbook({ lang: 'zh', htmlRoot: root, untranslated: 'keep' });
    expect(kept.documents[1].sentences).toContain('Untranslated paragraph.');
  });

  it('splits sentences (English rules; CJK after 。！？) and filters chapters', () => {
    const en = loadHandbook({ lang: 'en', htmlRoot: root, unit: 'sentence', chapters: ['ch1'] });
    expect(en.documents.map((d) => d.id)).toEqual(['ch1']);
    expect(en.documents[0].sentences.slice(3)).toEqual(['In 2004 it was 3.0 .', 'Second sentence!', 'Third?', 'Deep text here!']);
    const zh = loadHandbook({ lang: 'zh', htmlRoot: root, unit: 'sentence', chapters: ['ch1'] });
    expect(zh.documents[0].sentences).toEqual(['运行 apt-get update。', '有 2^24 个地址。', 'https://example.org/x', '在 2004 年是 3.0。', '第二句！', '第三句？', '深的文字']);
    // Closing quotes stay with their sentence.
    expect(splitCjkSentences('他说：“好。”然后走了。（完！）')).toEqual(['他说：“好。”', '然后走了。', '（完！）']);
    expect(() => loadHandbook({ lang: 'en', htmlRoot: root, chapters: ['nope'] })).toThrow(/no text in chapters nope/);
    expect(() => loadHandbook({ lang: 'en', htmlRoot: root, unit: 'word' as never })).toThrow(/unit must be/);
  });
});

describe('loadHandbookPairs', () => {
  it('aligns by position, drops untranslated/empty pairs, mismatched and misaligned files, and measures anchors', () => {
    const a = loadHandbookPairs({ htmlRoot: root });
    expect([a.sourceLang, a.targetLang]).toEqual(['en-US', 'zh-CN']);
    expect(a.pairs.map((p) => p.id)).toEqual(['index.html#0', 'ch1.html#0', 'ch1.html#1', 'sect.one.html#0', 'sect.deep.html#0']);
    expect(a.pairs[1]).toEqual({
      id: 'ch1.html#0',
      chapter: 'ch1',
      file: 'ch1.html',
      index: 0,
      source: 'Run apt-get update <now>.',
      target: '运行 apt-get update。',
      anchorAgreement: 1,
    });
    expect(a.chapters.map((c) => c.id)).toEqual(['index', 'ch1']);
    // Anchors: index u:example.org/l both sides -> 1; ch1#0 1; ch1#1 {u,n:2,n:24} both -> 1;
    // sect.one {n:2004, n:3.0} both -> 1; sect.deep none -> null.
    expect(a.pairs.map((p) => p.anchorAgreement)).toEqual([1, 1, 1, 1, null]);
    // Shifted baseline over the kept files: ch1#0 vs zh ch1#1: {c:apt-get update} vs {u,n:2,n:24} -> 0/4 = 0
    // (ch1#1's neighbour is untranslated, ch1#2 untranslated, #3 empty; index, sect.one, sect.deep have no next).
    expect(a.stats).toEqual({
      files: 6,
      filesCountMismatch: ['bad.html'],
      filesMisaligned: ['ch2.html'],
      paragraphs: 1 + 4 + 1 + 1, // kept files: index 1, ch1 4, sect.one 1, sect.deep 1
      untranslated: 1,
      empty: 1,
      pairs: 5,
      anchoredPairs: 4,
      meanAnchorAgreement: 1,
      identicalAnchorShare: 1,
      shiftedMeanAnchorAgreement: 0,
    });
    expect(() => loadHandbookPairs({ htmlRoot: root, source: 'zh', target: 'zh-CN' })).toThrow(/both zh-CN/);
  });

  it('computes multiset Jaccard indices', () => {
    expect(multisetJaccard([], [])).toBeNull();
    expect(multisetJaccard(['a'], [])).toBe(0);
    // {a:2, b:1} vs {a:1, c:1}: intersection min = a:1 -> 1; union max = a:2 + b:1 + c:1 = 4.
    expect(multisetJaccard(['a', 'a', 'b'], ['a', 'c'])).toBe(1 / 4);
  });
});

// ---- the real package, when present -------------------------------------------------------------------------

const repoData = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.ssbench-cache/data');
const realZh = locateHandbook('zh-CN', { dataDir: repoData });
const realEn = locateHandbook('en-US', { dataDir: repoData });
const noReal = realZh === null || realEn === null;
if (noReal) console.warn('debian-handbook not installed or extracted under .ssbench-cache/data: skipping the real-data handbook tests');

describe.skipIf(noReal)('debian-handbook 11.20220922 (real data)', () => {
  it('aligns ~2k EN-ZH paragraph pairs reliably', () => {
    const a = loadHandbookPairs({ dataDir: repoData });
    expect(a.source).toMatch(/^debian:debian-handbook@\d+\.\d+ .*en-US.*zh-CN/);
    expect(a.stats.filesCountMismatch).toEqual([]);
    expect(a.stats.filesMisaligned).toEqual([]);
    expect(a.stats.pairs).toBeGreaterThan(1800);
    expect(a.stats.pairs + a.stats.untranslated + a.stats.empty).toBe(a.stats.paragraphs);
    // Alignment reliability: aligned anchors agree far more than the shifted baseline.
    expect(a.stats.meanAnchorAgreement).toBeGreaterThan(0.85);
    expect(a.stats.shiftedMeanAnchorAgreement).toBeLessThan(0.15);
    expect(a.stats.anchoredPairs).toBeGreaterThan(1000);
    const cjk = /[\u4e00-\u9fff]/;
    expect(a.pairs.every((p) => cjk.test(p.target) && p.source.length > 0)).toBe(true);
    expect(a.chapters.find((c) => c.id === 'apt')?.title).toBe('Chapter 6. Maintenance and Updates: The APT Tools');
  });

  it('gives pretraining text in both languages with chapters as documents', () => {
    const en = loadHandbook({ lang: 'en', dataDir: repoData });
    const zh = loadHandbook({ lang: 'zh', dataDir: repoData, unit: 'sentence' });
    expect(en.documents.length).toBeGreaterThanOrEqual(19);
    expect(en.documents.map((d) => d.id)).toContain('apt');
    const zhText = zh.documents.flatMap((d) => d.sentences);
    expect(zhText.length).toBeGreaterThan(3000);
    expect(zhText.filter((s) => /[\u4e00-\u9fff]/.test(s)).length / zhText.length).toBeGreaterThan(0.95);
  });
});

import { describe, expect, it } from 'vitest';
import { BasicTokenizer, isBertPunctuation, isCjkIdeograph } from './basic';

describe('BasicTokenizer', () => {
  // The first cases are google-research/bert tokenization_test.py's.
  it('lower-cases and splits on whitespace and punctuation (upstream test_basic_tokenizer_lower)', () => {
    const t = new BasicTokenizer({ lowerCase: true });
    expect(t.tokenize(' \tHeLLo!how  \n Are yoU?  ')).toEqual(['hello', '!', 'how', 'are', 'you', '?']);
    expect(t.tokenize('H\u00E9llo')).toEqual(['hello']);
  });

  it('keeps case and accents when not lower-casing (upstream test_basic_tokenizer_no_lower)', () => {
    const t = new BasicTokenizer({ lowerCase: false });
    expect(t.tokenize(' \tHeLLo!how  \n Are yoU?  ')).toEqual(['HeLLo', '!', 'how', 'Are', 'yoU', '?']);
    expect(t.tokenize('H\u00E9llo')).toEqual(['H\u00E9llo']);
  });

  it('puts CJK ideographs in words of their own (upstream test_chinese)', () => {
    const t = new BasicTokenizer();
    expect(t.tokenize('ah\u535A\u63A8zz')).toEqual(['ah', '\u535A', '\u63A8', 'zz']);
    expect(t.tokenize('我爱NLP。')).toEqual(['我', '爱', 'nlp', '。']);
    // Extension B (astral) ideographs too; kana and hangul are not in BERT's ranges.
    expect(t.tokenize('a\u{20000}b')).toEqual(['a', '\u{20000}', 'b']);
    const cased = new BasicTokenizer({ lowerCase: false });
    expect(cased.tokenize('ひらがな 한국어')).toEqual(['ひらがな', '한국어']);
    // Uncased BERT strips the dakuten (U+3099 is Mn) and leaves hangul decomposed into jamo, as upstream does.
    expect(t.tokenize('ひらがな 한국어')).toEqual(['ひらかな', '한국어'.normalize('NFD')]);
    expect(new BasicTokenizer({ tokenizeCjk: false }).tokenize('ah\u535A\u63A8zz')).toEqual(['ah\u535A\u63A8zz']);
    expect(isCjkIdeograph(0x4e00)).toBe(true);
    expect(isCjkIdeograph(0x3042)).toBe(false);
  });

  it('strips accents by NFD and dropping combining marks, independently of lower-casing if asked', () => {
    expect(new BasicTokenizer().tokenize('Naïve CAFÉ résumé Ångström')).toEqual(['naive', 'cafe', 'resume', 'angstrom']);
    expect(new BasicTokenizer({ lowerCase: false, stripAccents: true }).tokenize('CAFÉ')).toEqual(['CAFE']);
    expect(new BasicTokenizer({ lowerCase: true, stripAccents: false }).tokenize('CAFÉ')).toEqual(['café']);
    // Decomposed input (e + U+0301) gives the same result as the precomposed form.
    expect(new BasicTokenizer().tokenize('cafe\u0301')).toEqual(['cafe']);
  });

  it('treats the ASCII symbol ranges and Unicode P* as punctuation, other symbols not', () => {
    const t = new BasicTokenizer();
    expect(t.tokenize('$100+5=105')).toEqual(['$', '100', '+', '5', '=', '105']);
    expect(t.tokenize("e-mail a^b`c|d~e <f> don't")).toEqual([
      'e', '-', 'mail', 'a', '^', 'b', '`', 'c', '|', 'd', '~', 'e', '<', 'f', '>', 'don', "'", 't',
    ]);
    expect(t.tokenize('«hi»—“ok”…')).toEqual(['«', 'hi', '»', '—', '“', 'ok', '”', '…']);
    // U+20AC EURO SIGN is Sc (a symbol, not punctuation) and stays in its word, as upstream.
    expect(t.tokenize('€5')).toEqual(['€5']);
    expect(isBertPunctuation('$'.codePointAt(0) as number)).toBe(true);
    expect(isBertPunctuation('€'.codePointAt(0) as number)).toBe(false);
  });

  it('cleans text: drops NUL, U+FFFD and control/format characters, maps Unicode spaces to spaces', () => {
    const t = new BasicTokenizer();
    expect(t.tokenize('a\u0000b c\uFFFDd')).toEqual(['ab', 'cd']);
    expect(t.tokenize('zero\u200Bwidth')).toEqual(['zerowidth']); // U+200B is Cf
    expect(t.tokenize('vertical\u000Btab')).toEqual(['verticaltab']); // VT is Cc, not BERT whitespace
    expect(t.tokenize('no\u00A0break\u3000ideographic\u2028line')).toEqual(['no', 'break', 'ideographic', 'line']);
    expect(t.tokenize('lone\uD800surrogate')).toEqual(['lonesurrogate']);
    expect(t.tokenize('')).toEqual([]);
    expect(t.tokenize(' \t\n ')).toEqual([]);
  });

  it('keeps astral characters whole', () => {
    expect(new BasicTokenizer().tokenize('hi😀there 𝒜')).toEqual(['hi😀there', '𝒜']);
  });
});

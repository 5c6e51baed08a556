/**
 * Character offsets of WordPiece and byte-level BPE tokens: the same tokens as `encode`, and slicing the original
 * text by each token's offsets gives back the token's surface (WordPiece: modulo lower-casing and accents).
 */
import { describe, expect, it } from 'vitest';
import { BasicTokenizer, stripAccents } from './basic';
import { trainByteLevelBPE } from './bpe-train';
import { trainWordPiece } from './train';
import { WordPiece } from './wordpiece';

const CORPUS = [
  'The Congress shall make no law respecting an establishment of religion.',
  "We don't want it; we won't have it, said the Président of the Café.",
  'Numbers like 1,234.56 and e-mail addresses: someone@example.org!',
  'Ünïcödé wörds, naïve façades, and 北京 ideographs.',
].flatMap((t) => [t, t.toLowerCase(), `${t} ${t}`]);

const TEXTS = [
  'The Congress shall make no law.',
  "  We don't  want\tit,\nsaid the PRÉSIDENT of the Café!  ",
  'Ünïcödé wörds: naïve façades (北京) and emoji 😀 too.',
  'cafe\u0301 is NFD; ΟΔΟΣ ends with a sigma; İstanbul.',
  'control\u0000chars\u00ADand zero\u200Bwidth',
  '',
];

describe('WordPiece.encodeWithOffsets', () => {
  const wp = trainWordPiece(CORPUS, { vocabSize: 200, lowerCase: true, minFrequency: 1 });
  const cased = trainWordPiece(CORPUS, { vocabSize: 200, lowerCase: false, minFrequency: 1 });

  for (const [name, tok] of [
    ['uncased', wp],
    ['cased', cased],
  ] as const) {
    it(`${name}: same pieces as encode, and each offset slice is the piece's surface`, () => {
      for (const text of TEXTS) {
        const e = tok.encode(text);
        const o = tok.encodeWithOffsets(text);
        expect(o.ids).toEqual(e.ids);
        expect(o.tokens).toEqual(e.tokens);
        expect(o.wordStarts).toEqual(e.wordStarts);
        expect(o.offsets).toHaveLength(e.ids.length);
        o.offsets.forEach(([start, end], k) => {
          expect(start).toBeGreaterThanOrEqual(0);
          expect(end).toBeGreaterThan(start);
          expect(end).toBeLessThanOrEqual(text.length);
          if (k > 0) expect(start).toBeGreaterThanOrEqual(o.offsets[k - 1][0]);
          const surface = text.slice(start, end);
          const token = o.tokens[k];
          if (token === '[UNK]') return; // spans its whole word
          const piece = token.startsWith('##') ? token.slice(2) : token;
          const normalised = tok.lowerCase ? stripAccents(surface.toLowerCase()) : surface;
          // Final sigma is normalised per word (the fallback gives the whole word's span).
          if (normalised !== piece) expect(normalised.toLowerCase(), `${JSON.stringify(text)} token ${k}`).toContain(piece.replace('ς', 'σ'));
          else expect(normalised).toBe(piece);
        });
      }
    });
  }

  it('maps pieces of a hand-made vocabulary to exact spans, accents and case included', () => {
    const tiny = new WordPiece(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'un', '##want', '##ed', ',', 'runn', '##ing', 'cafe']);
    const text = ' UNwant\u00E9d,running  Café';
    const o = tiny.encodeWithOffsets(text);
    expect(o.tokens).toEqual(['un', '##want', '##ed', ',', 'runn', '##ing', 'cafe']);
    expect(o.offsets.map(([s, e]) => text.slice(s, e))).toEqual(['UN', 'want', '\u00E9d', ',', 'runn', 'ing', 'Café']);
    // An unknown word is one [UNK] over the whole word.
    const u = tiny.encodeWithOffsets('xyz, un');
    expect(u.tokens).toEqual(['[UNK]', ',', 'un']);
    expect(u.offsets).toEqual([
      [0, 3],
      [3, 4],
      [5, 7],
    ]);
  });

  it('the basic tokenizer gives the same words with and without offsets', () => {
    const basic = new BasicTokenizer({ lowerCase: true });
    for (const text of TEXTS) {
      const words: string[] = [];
      basic.forEachWordWithOffsets(text, (w, s, e) => {
        expect(s).toHaveLength(w.length);
        expect(e).toHaveLength(w.length);
        words.push(w);
      });
      expect(words).toEqual(basic.tokenize(text));
    }
  });
});

describe('ByteLevelBPE.encodeWithOffsets', () => {
  const bpe = trainByteLevelBPE(CORPUS, { vocabSize: 320, minFrequency: 1, specialTokens: ['<|endoftext|>', '<sep>'] });

  it('same tokens as encode; each slice decodes from its token (spaces included)', () => {
    for (const text of [...TEXTS, 'one<|endoftext|>two <sep> three']) {
      const e = bpe.encode(text);
      const o = bpe.encodeWithOffsets(text);
      expect(o.ids).toEqual(e.ids);
      expect(o.offsets).toHaveLength(e.ids.length);
      let covered = 0;
      o.offsets.forEach(([start, end], k) => {
        expect(end).toBeGreaterThan(start);
        const decoded = bpe.decode([o.ids[k]]);
        // A token with part of a multi-byte character decodes to U+FFFD; it spans the whole character.
        if (!decoded.includes('\uFFFD')) expect(text.slice(start, end)).toBe(decoded);
        expect(start).toBeLessThanOrEqual(covered); // no gap
        covered = Math.max(covered, end);
      });
      expect(covered).toBe(text.length);
    }
  });

  it('treats special tokens as text when asked, with the same offsets rule', () => {
    const text = 'a<sep>b';
    const o = bpe.encodeWithOffsets(text, { specialTokens: false });
    expect(o.ids).toEqual(bpe.encode(text, { specialTokens: false }).ids);
    expect(o.offsets.map(([s, e]) => text.slice(s, e)).join('')).toBe(text);
  });
});

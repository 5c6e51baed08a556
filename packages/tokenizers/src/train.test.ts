import { loadSotu } from '@ssbench/corpora';
import { describe, expect, it } from 'vitest';
import { BasicTokenizer } from './basic';
import { trainWordPiece } from './train';

/**
 * The trainer's algorithm written the slow, obvious way: recount every pair from scratch before each merge.
 * The incremental trainer must produce exactly the same vocabulary.
 */
function naiveTrain(texts: string[], vocabSize: number, minFrequency: number): string[] {
  const basic = new BasicTokenizer();
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of basic.tokenize(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts.keys()].sort();
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const cp = (a: string, b: string) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number);
  const chars = [...new Set(words.flatMap((w) => [...w]))].sort(cp);
  for (const ch of chars) vocab.push(ch);
  for (const ch of chars) vocab.push(`##${ch}`);
  const idOf = (t: string) => vocab.indexOf(t);
  const segs = words.map((w) => [...w].map((ch, k) => idOf(k === 0 ? ch : `##${ch}`)));
  while (vocab.length < vocabSize) {
    const pairs = new Map<string, number>();
    segs.forEach((s, i) => {
      for (let k = 0; k + 1 < s.length; k++) {
        const key = `${s[k]},${s[k + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + (counts.get(words[i]) as number));
      }
    });
    let best: [number, number, number] | undefined;
    for (const [key, c] of pairs) {
      const [a, b] = key.split(',').map(Number);
      if (best === undefined || c > best[0] || (c === best[0] && (a < best[1] || (a === best[1] && b < best[2])))) {
        best = [c, a, b];
      }
    }
    if (best === undefined || best[0] < minFrequency) break;
    const [, a, b] = best;
    const merged = vocab[a] + vocab[b].replace(/^##/, '');
    let id = idOf(merged);
    if (id < 0) {
      vocab.push(merged);
      id = vocab.length - 1;
    }
    for (const s of segs) {
      for (let k = 0; k + 1 < s.length; k++) if (s[k] === a && s[k + 1] === b) s.splice(k, 2, id);
    }
  }
  return vocab;
}

const TOY = [
  'The low lower lowest newer newest wider widest.',
  'A newer, wider road; the lowest bridge. Low lows and "new" news!',
  'Aaaa aaa aa a: banana bandana cabana. 12345 123 12.',
];

describe('trainWordPiece', () => {
  it('starts with the specials, keeps every character seen and makes ## continuation pieces', () => {
    const wp = trainWordPiece(TOY, { vocabSize: 60, minFrequency: 1 });
    expect(wp.vocab.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect(wp.vocabSize).toBe(60);
    for (const ch of new Set([...TOY.join('').toLowerCase()].filter((c) => c.trim() !== ''))) {
      expect(wp.idOf(ch), ch).toBeDefined();
      expect(wp.idOf(`##${ch}`), ch).toBeDefined();
    }
    expect(wp.vocab.some((t) => t.startsWith('##') && t.length > 3)).toBe(true);
    expect(wp.vocab.some((t) => !t.startsWith('##') && !t.startsWith('[') && t.length > 1)).toBe(true);
    // Every training word is encodable (no [UNK]) and decodes back to the pre-tokenised text.
    for (const text of TOY) {
      const e = wp.encode(text);
      expect(e.ids).not.toContain(wp.specialIds.unk);
      expect(wp.decode(e.ids)).toBe(new BasicTokenizer().tokenize(text).join(' '));
    }
  });

  it('matches a from-scratch recount of pair frequencies merge for merge', () => {
    for (const [vocabSize, minFrequency] of [
      [40, 1],
      [80, 1],
      [200, 1],
      [200, 2],
    ] as const) {
      expect(trainWordPiece(TOY, { vocabSize, minFrequency }).vocab).toEqual(naiveTrain(TOY, vocabSize, minFrequency));
    }
    const sotu = loadSotu({ years: [1800, 1802] })
      .documents.flatMap((d) => d.sentences)
      .slice(0, 200);
    expect(trainWordPiece(sotu, { vocabSize: 300, minFrequency: 2 }).vocab).toEqual(naiveTrain(sotu, 300, 2));
  });

  it('is deterministic and independent of text order', () => {
    const a = trainWordPiece(TOY, { vocabSize: 70, minFrequency: 1 });
    const b = trainWordPiece([...TOY].reverse(), { vocabSize: 70, minFrequency: 1 });
    const c = trainWordPiece(TOY, { vocabSize: 70, minFrequency: 1 });
    expect(b.vocab).toEqual(a.vocab);
    expect(c.toVocabText()).toBe(a.toVocabText());
  });

  it('stops early when no pair reaches minFrequency', () => {
    const wp = trainWordPiece(['ab ab cd'], { vocabSize: 100, minFrequency: 2 });
    expect(wp.vocab).toEqual([
      ...['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b', 'c', 'd', '##a', '##b', '##c', '##d', 'ab'],
    ]);
  });

  it('honours lowerCase=false', () => {
    const wp = trainWordPiece(['Apple apple APPLE'], { vocabSize: 30, minFrequency: 1, lowerCase: false });
    expect(wp.lowerCase).toBe(false);
    expect(wp.idOf('A')).toBeDefined();
    expect(wp.encode('Apple').ids).not.toContain(wp.specialIds.unk);
  });

  it('rejects bad options', () => {
    expect(() => trainWordPiece(TOY, { vocabSize: 3 })).toThrow(/vocabSize/);
    expect(() => trainWordPiece(TOY, { vocabSize: 100, minFrequency: 0 })).toThrow(/minFrequency/);
  });

  it('learns a vocabulary from real text that encodes it and unseen text with few [UNK]s', () => {
    const train = loadSotu({ years: [1900, 1960] }).documents.flatMap((d) => d.sentences);
    const heldOut = loadSotu({ years: [1990, 2021] }).documents.flatMap((d) => d.sentences);
    const wp = trainWordPiece(train, { vocabSize: 4000, minFrequency: 2 });
    expect(wp.vocabSize).toBe(4000);
    const stats = (texts: string[]) => {
      let pieces = 0;
      let words = 0;
      let unk = 0;
      for (const t of texts) {
        const e = wp.encode(t);
        pieces += e.ids.length;
        words += e.wordStarts.filter(Boolean).length;
        unk += e.ids.filter((id) => id === wp.specialIds.unk).length;
      }
      return { pieces, words, unk };
    };
    const seen = stats(train);
    expect(seen.unk).toBe(0); // every character of the training text is in the vocabulary
    expect(seen.pieces / seen.words).toBeLessThan(1.25); // frequent words are whole tokens
    const unseen = stats(heldOut);
    expect(unseen.pieces / unseen.words).toBeLessThan(1.4);
    expect(unseen.unk / unseen.pieces).toBeLessThan(0.005);
    // Held-out [UNK]s come only from characters the training text never used (1990s typography: ’ — “ ”).
    const trainChars = new Set(train.flatMap((t) => [...t.toLowerCase()]));
    const basic = new BasicTokenizer();
    for (const text of heldOut) {
      for (const word of basic.tokenize(text)) {
        if (wp.encode(word).ids.includes(wp.specialIds.unk)) {
          expect([...word].some((ch) => !trainChars.has(ch)), word).toBe(true);
        }
      }
    }
    // Common words are single tokens, rarer ones split into a word start plus ## pieces.
    for (const w of ['the', 'congress', 'government', 'people']) expect(wp.encode(w).tokens).toEqual([w]);
    const rare = wp.encode('transcontinental');
    expect(rare.tokens.length).toBeGreaterThan(1);
    expect(rare.wordStarts).toEqual([true, ...Array(rare.tokens.length - 1).fill(false)]);
  });
});

import { loadSotu } from '@ssbench/corpora';
import { describe, expect, it } from 'vitest';
import { type BpeMerge, ByteLevelBPE } from './bpe';
import { trainByteLevelBPE } from './bpe-train';
import { byteTableOrder, bytesToUnicode, gpt2PreTokenize, toByteSymbols } from './bytes';

/**
 * The trainer's algorithm written the slow, obvious way: recount every pair from scratch before each merge.
 * The incremental trainer must produce exactly the same vocabulary and merge list.
 */
function naiveTrain(texts: string[], vocabSize: number, minFrequency: number, specials: string[]) {
  const counts = new Map<string, number>();
  for (const text of texts) {
    let rest = text;
    for (const s of specials) rest = rest.split(s).join('\u0000SPLIT\u0000');
    for (const part of rest.split('\u0000SPLIT\u0000')) {
      for (const p of gpt2PreTokenize(part)) counts.set(p, (counts.get(p) ?? 0) + 1);
    }
  }
  const table = bytesToUnicode();
  const vocab = [...specials, ...byteTableOrder().map((b) => table[b])];
  const words = [...counts.keys()].map((w) => ({ syms: [...toByteSymbols(w)], count: counts.get(w) as number }));
  const merges: BpeMerge[] = [];
  const done = new Set<string>();
  while (vocab.length < vocabSize) {
    const pairs = new Map<string, number>();
    for (const { syms, count } of words) {
      for (let k = 0; k + 1 < syms.length; k++) {
        const key = `${syms[k]} ${syms[k + 1]}`;
        if (!done.has(key)) pairs.set(key, (pairs.get(key) ?? 0) + count);
      }
    }
    let best: [number, string, string] | undefined;
    for (const [key, c] of pairs) {
      const [a, b] = key.split(' ');
      if (best === undefined || c > best[0] || (c === best[0] && (a < best[1] || (a === best[1] && b < best[2])))) {
        best = [c, a, b];
      }
    }
    if (best === undefined || best[0] < minFrequency) break;
    const [, a, b] = best;
    done.add(`${a} ${b}`);
    if (specials.includes(a + b)) continue;
    merges.push([a, b]);
    if (!vocab.includes(a + b)) vocab.push(a + b);
    for (const w of words) {
      const out: string[] = [];
      for (let k = 0; k < w.syms.length; k++) {
        if (k + 1 < w.syms.length && w.syms[k] === a && w.syms[k + 1] === b) {
          out.push(a + b);
          k++;
        } else out.push(w.syms[k]);
      }
      w.syms = out;
    }
  }
  return { vocab, merges };
}

const TOY = [
  'The low lower lowest newer newest wider widest.',
  'A newer, wider road; the lowest bridge. Low lows and "new" news!<|endoftext|>Next document.',
  'Aaaa aaa aa a: banana bandana cabana. 12345 123 12. Café café CAFÉ 東京 東京都 🙂🙂',
];

describe('trainByteLevelBPE', () => {
  it('starts with the special tokens and the 256 byte symbols, then adds merged tokens', () => {
    const bpe = trainByteLevelBPE(TOY, { vocabSize: 300, minFrequency: 1 });
    expect(bpe.vocabSize).toBe(300);
    expect(bpe.vocab[0]).toBe('<|endoftext|>');
    expect(bpe.vocab.slice(1, 257)).toEqual(byteTableOrder().map((b) => bytesToUnicode()[b]));
    expect(bpe.vocab[1 + 220]).toBe('Ġ'); // GPT-2's id of "Ġ" is 220, offset by the one special token
    for (let id = 257; id < 300; id++) expect(bpe.vocab[id].length).toBeGreaterThan(1);
    expect(bpe.merges.map(([a, b]) => a + b)).toContain('Ġlow');
    // Merged tokens never contain the special token or cross pre-token boundaries ("<|" and "endoftext").
    expect(bpe.vocab.some((t, id) => id > 0 && t.includes('endoftext'))).toBe(false);
    for (const text of TOY) expect(bpe.decode(bpe.encode(text).ids)).toBe(text);
  });

  it('matches a from-scratch recount of pair frequencies merge for merge', () => {
    for (const [vocabSize, minFrequency] of [
      [280, 1],
      [330, 1],
      [330, 2],
    ] as const) {
      const bpe = trainByteLevelBPE(TOY, { vocabSize, minFrequency });
      const naive = naiveTrain(TOY, vocabSize, minFrequency, ['<|endoftext|>']);
      expect(bpe.vocab).toEqual(naive.vocab);
      expect(bpe.merges).toEqual(naive.merges);
    }
    const sotu = loadSotu({ years: [1800, 1802] })
      .documents.flatMap((d) => d.sentences)
      .slice(0, 200);
    const specials = ['<|endoftext|>', '<pad>'];
    const bpe = trainByteLevelBPE(sotu, { vocabSize: 600, minFrequency: 2, specialTokens: specials });
    const naive = naiveTrain(sotu, 600, 2, specials);
    expect(bpe.vocab).toEqual(naive.vocab);
    expect(bpe.merges).toEqual(naive.merges);
    expect(bpe.vocab.slice(0, 2)).toEqual(specials);
  });

  it('is deterministic and independent of text order', () => {
    const a = trainByteLevelBPE(TOY, { vocabSize: 320, minFrequency: 1 });
    const b = trainByteLevelBPE([...TOY].reverse(), { vocabSize: 320, minFrequency: 1 });
    const c = trainByteLevelBPE(TOY, { vocabSize: 320, minFrequency: 1 });
    expect(b.vocab).toEqual(a.vocab);
    expect(b.merges).toEqual(a.merges);
    expect(c.toStrings()).toEqual(a.toStrings());
  });

  it('stops early when no pair reaches minFrequency', () => {
    const bpe = trainByteLevelBPE(['ab ab cd'], { vocabSize: 1000, minFrequency: 2 });
    // Pre-tokens: "ab" once, " ab" once, " cd" once; only (a, b) occurs twice.
    expect(bpe.merges).toEqual([['a', 'b']]);
    expect(bpe.vocabSize).toBe(1 + 256 + 1);
    expect(bpe.vocab[257]).toBe('ab');
  });

  it('accepts any iterable and no special tokens', () => {
    function* gen() {
      yield 'hello hello hello';
      yield 'help help';
    }
    const bpe = trainByteLevelBPE(gen(), { vocabSize: 260, specialTokens: [] });
    expect(bpe.vocabSize).toBe(260);
    expect(bpe.specialTokens).toEqual([]);
    expect(bpe.vocab[0]).toBe('!');
    expect(bpe.encode('<|endoftext|>').tokens.length).toBeGreaterThan(1);
  });

  it('rejects bad options', () => {
    expect(() => trainByteLevelBPE(TOY, { vocabSize: 256 })).toThrow(/vocabSize must be an integer >= 257/);
    expect(() => trainByteLevelBPE(TOY, { vocabSize: 300.5 })).toThrow(/vocabSize/);
    expect(() => trainByteLevelBPE(TOY, { vocabSize: 300, minFrequency: 0 })).toThrow(/minFrequency/);
    expect(() => trainByteLevelBPE(TOY, { vocabSize: 300, specialTokens: ['!'] })).toThrow(/listed twice/);
  });

  it('fills exactly vocabSize on real text, and pieces per word fall as the vocabulary grows', () => {
    const train = loadSotu({ years: [1900, 1960] }).documents.flatMap((d) => d.sentences);
    const heldOut = loadSotu({ years: [1990, 2021] }).documents.flatMap((d) => d.sentences);
    const full = trainByteLevelBPE(train, { vocabSize: 4000 });
    expect(full.vocabSize).toBe(4000);
    for (const w of [' the', ' Congress', ' government', ' people']) expect(full.encode(w).tokens).toEqual([toByteSymbols(w)]);
    for (const t of heldOut.slice(0, 500)) expect(full.decode(full.encode(t).ids)).toBe(t);
    // Training is prefix-consistent: a smaller vocabSize stops the same merge sequence earlier.
    const prefix = (n: number) => {
      const merges: BpeMerge[] = [];
      for (const m of full.merges) {
        if ((full.idOf(m[0] + m[1]) as number) >= n) break;
        merges.push(m);
      }
      return new ByteLevelBPE(full.vocab.slice(0, n), merges);
    };
    const small = trainByteLevelBPE(train, { vocabSize: 1000 });
    expect(small.vocabSize).toBe(1000);
    expect(prefix(1000).toStrings()).toEqual(small.toStrings());
    let words = 0;
    for (const t of heldOut) words += gpt2PreTokenize(t).length;
    const ratios: number[] = [];
    for (const bpe of [prefix(300), prefix(500), small, prefix(2000), full]) {
      let pieces = 0;
      for (const t of heldOut) pieces += bpe.encode(t).ids.length;
      ratios.push(pieces / words);
    }
    for (let k = 1; k < ratios.length; k++) expect(ratios[k]).toBeLessThan(ratios[k - 1]);
    expect(ratios[0]).toBeGreaterThan(2);
    expect(ratios[ratios.length - 1]).toBeLessThan(1.4);
  });
});

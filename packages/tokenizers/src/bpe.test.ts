import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSotu } from '@ssbench/corpora';
import { afterAll, describe, expect, it } from 'vitest';
import { type BpeMerge, ByteLevelBPE, parseMergesTxt, parseVocabJson } from './bpe';
import { trainByteLevelBPE } from './bpe-train';
import { fromByteSymbols } from './bytes';

const tmp = mkdtempSync(join(tmpdir(), 'ssbench-bpe-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A hand-written GPT-2-style pair of files: 9 byte symbols, 10 merges, the end-of-text token last (as GPT-2).
const TINY_VOCAB_JSON = `{"e": 0, "l": 1, "n": 2, "o": 3, "r": 4, "s": 5, "t": 6, "w": 7, "Ġ": 8,
  "er": 9, "lo": 10, "low": 11, "Ġn": 12, "ew": 13, "Ġnew": 14, "lower": 15, "Ġlow": 16, "es": 17, "est": 18,
  "<|endoftext|>": 19}`;
const TINY_MERGES_TXT = `#version: 0.2
e r
l o
lo w
Ġ n
e w
Ġn ew
low er
Ġ low
e s
es t
`;

/** openai/gpt-2 encoder.py `bpe`, transcribed literally on strings: the reference the heap version must match. */
function naiveBpe(token: string, ranks: Map<string, number>): string[] {
  let word = [...token];
  while (word.length > 1) {
    let best = -1;
    let bestRank = Number.POSITIVE_INFINITY;
    for (let k = 0; k + 1 < word.length; k++) {
      const r = ranks.get(`${word[k]} ${word[k + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = k;
      }
    }
    if (best < 0) break;
    const first = word[best];
    const second = word[best + 1];
    const out: string[] = [];
    let i = 0;
    while (i < word.length) {
      if (i + 1 < word.length && word[i] === first && word[i + 1] === second) {
        out.push(first + second);
        i += 2;
      } else {
        out.push(word[i]);
        i++;
      }
    }
    word = out;
  }
  return word;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROUND_TRIP = [
  'Plain ASCII text, with punctuation: (a) [b] {c}; "quoted" & more...',
  'Accents: naïve café, Ångström, São Paulo, Dvořák, Œuvre; ß and ﬁ ligature.',
  'CJK: 東京は日本の首都です。中文分词测试。한국어 문장입니다.',
  'Emoji: 🙂 👍🏽 👩‍👩‍👧‍👦 🇺🇸 🏳️‍🌈 ❤️',
  'Whitespace runs:    four spaces,\t\ttwo tabs,  \u00a0 nbsp, trailing   ',
  'Newlines\n\nparagraph\r\nwindows\n\n\n   indented\n',
  '\uFEFFleading BOM and a zero-width\u200bspace',
  '',
  ' ',
  '\n',
  "It's the year 2024; we've 1,234.56 dollars and 'll see.",
];

describe('ByteLevelBPE (hand-written vocab.json + merges.txt)', () => {
  const bpe = ByteLevelBPE.fromStrings(TINY_VOCAB_JSON, TINY_MERGES_TXT);

  it('parses both formats', () => {
    expect(bpe.vocabSize).toBe(20);
    expect(bpe.merges.length).toBe(10);
    expect(bpe.merges[0]).toEqual(['e', 'r']);
    expect(bpe.idOf('Ġnew')).toBe(14);
    expect(bpe.idOf('nope')).toBeUndefined();
    expect(bpe.tokenOf(19)).toBe('<|endoftext|>');
    expect(bpe.isSpecial(19)).toBe(true);
    expect(bpe.isSpecial(14)).toBe(false);
    expect(() => bpe.tokenOf(20)).toThrow(/outside the vocabulary/);
  });

  it('applies merges by rank, computed by hand', () => {
    // "lower": l o w e r -> (e r, rank 0) l o w er -> (l o, 1) lo w er -> (lo w, 2) low er -> (low er, 6) lower
    // " newest": Ġ n e w e s t -> (Ġ n, 3) Ġn e w e s t -> (e w, 4) Ġn ew e s t -> (Ġn ew, 5) Ġnew e s t
    //            -> (e s, 8) Ġnew es t -> (es t, 9) Ġnew est
    // " low": Ġ l o w -> (l o, 1) Ġ lo w -> (lo w, 2) Ġ low -> (Ġ low, 7) Ġlow
    const e = bpe.encode('lower newest low');
    expect(e.tokens).toEqual(['lower', 'Ġnew', 'est', 'Ġlow']);
    expect(e.ids).toEqual([15, 14, 18, 16]);
    // " newer": (e r, 0) wins over (e w, 4): Ġ n e w er -> Ġn e w er -> Ġn ew er -> Ġnew er; no "Ġnew er" rule.
    expect(bpe.encode(' newer').tokens).toEqual(['Ġnew', 'er']);
    // "rose": no rule applies to r o, o s, s e.
    expect(bpe.encode('rose').tokens).toEqual(['r', 'o', 's', 'e']);
    expect(bpe.decode(e.ids)).toBe('lower newest low');
    expect(bpe.encode('').ids).toEqual([]);
  });

  it('matches the end-of-text token in text before pre-tokenisation', () => {
    const e = bpe.encode('low<|endoftext|> low');
    expect(e.tokens).toEqual(['low', '<|endoftext|>', 'Ġlow']);
    expect(bpe.decode(e.ids)).toBe('low<|endoftext|> low');
    expect(bpe.decode(e.ids, { skipSpecial: true })).toBe('low low');
  });

  it('merges every occurrence of a pair left to right before the next rank', () => {
    const vocab = ['a', 'aa', 'aaa', 'aaaa'];
    // Ranks in order: "aaaaa" -> (a a) aa aa a -> (aa aa) aaaa a.
    const ordered = new ByteLevelBPE(vocab, [
      ['a', 'a'],
      ['aa', 'aa'],
    ], { specialTokens: [] });
    expect(ordered.encode('aaaaa').tokens).toEqual(['aaaa', 'a']);
    // A rule ranked before the rules that build its parts still waits for them: "aaa" -> (a a, 1) aa a -> (aa a, 0).
    const unordered = new ByteLevelBPE(vocab, [
      ['aa', 'a'],
      ['a', 'a'],
    ], { specialTokens: [] });
    expect(unordered.encode('aaa').tokens).toEqual(['aaa']);
    // ... but only after every (a a) in the word is merged: "aaaa" -> aa aa, and (aa aa) has no rule.
    expect(unordered.encode('aaaa').tokens).toEqual(['aa', 'aa']);
    // "aaaaa" -> (a a, 1) aa aa a -> (aa a, 0) aa aaa.
    expect(unordered.encode('aaaaa').tokens).toEqual(['aa', 'aaa']);
  });

  it('agrees with a literal transcription of upstream bpe on random words and merge lists', () => {
    const rand = mulberry32(7);
    for (const [alphabet, nMerges] of [
      [['a', 'b'], 40],
      [['a', 'b', 'c'], 60],
    ] as const) {
      const vocab: string[] = [];
      let layer = [''];
      for (let len = 1; len <= 6; len++) {
        layer = layer.flatMap((p) => alphabet.map((ch) => p + ch));
        vocab.push(...layer);
      }
      const short = vocab.filter((t) => t.length <= 3);
      for (let trial = 0; trial < 30; trial++) {
        const pairs = new Map<string, BpeMerge>();
        while (pairs.size < nMerges) {
          const a = short[Math.floor(rand() * short.length)];
          const b = short[Math.floor(rand() * short.length)];
          pairs.set(`${a} ${b}`, [a, b]);
        }
        const merges = [...pairs.values()];
        const ranks = new Map(merges.map(([a, b], r) => [`${a} ${b}`, r]));
        const bpe = new ByteLevelBPE(vocab, merges, { specialTokens: [] });
        for (let w = 0; w < 50; w++) {
          const len = 1 + Math.floor(rand() * 40);
          let word = '';
          for (let k = 0; k < len; k++) word += alphabet[Math.floor(rand() * alphabet.length)];
          expect(bpe.encode(word).tokens, word).toEqual(naiveBpe(word, ranks));
        }
      }
    }
  });

  it('rejects malformed files and unknown bytes', () => {
    expect(() => ByteLevelBPE.fromStrings('[1]', '')).toThrow(/JSON object/);
    expect(() => ByteLevelBPE.fromStrings('{"a": 0, "b": 2}', '')).toThrow(/ids must be the integers 0\.\.1/);
    expect(() => ByteLevelBPE.fromStrings('{"a": 0, "b": 0}', '')).toThrow(/ids must be|given to both/);
    expect(() => ByteLevelBPE.fromStrings('{"a": 0, "b": 1}', 'a b\n')).toThrow(/"ab" not in the vocabulary/);
    expect(() => ByteLevelBPE.fromStrings('{"a": 0, "b": 1, "ab": 2}', 'a b\na b\n')).toThrow(/same pair as rule 0/);
    expect(() => ByteLevelBPE.fromStrings('{"a": 0}', 'a\n')).toThrow(/line 1: want "left right"/);
    expect(() => ByteLevelBPE.fromStrings('{"a b": 0}', '')).toThrow(/not spelled in byte-level characters/);
    expect(() => new ByteLevelBPE(['a'], [], { specialTokens: ['a'] })).toThrow(/also a byte symbol/);
    expect(() => bpe.encode('lowest!')).toThrow(/byte 0x21 .* not in the vocabulary/);
  });

  it('appends special tokens missing from vocab.json and matches the longest first', () => {
    const b = ByteLevelBPE.fromStrings(TINY_VOCAB_JSON, TINY_MERGES_TXT, {
      specialTokens: ['<|end|>', '<|endoftext|>'],
    });
    expect(b.vocabSize).toBe(21);
    expect(b.idOf('<|end|>')).toBe(20);
    expect(b.idOf('<|endoftext|>')).toBe(19);
    expect(b.encode('<|endoftext|><|end|>low').ids).toEqual([19, 20, 11]);
  });
});

describe('ByteLevelBPE (trained)', () => {
  const train = loadSotu({ years: [1900, 1940] }).documents.flatMap((d) => d.sentences);
  const bpe = trainByteLevelBPE([...train, ...ROUND_TRIP], { vocabSize: 1500 });

  it('round-trips any text exactly, including characters split across tokens', () => {
    for (const text of ROUND_TRIP) {
      const e = bpe.encode(text);
      expect(e.tokens.length).toBe(e.ids.length);
      expect(bpe.decode(e.ids), JSON.stringify(text)).toBe(text);
      expect(e.tokens.join('')).toBe(e.ids.map((id) => bpe.tokenOf(id)).join(''));
      expect(fromByteSymbols(e.tokens.join(''))).toBe(text);
    }
    const held = loadSotu({ years: [2000, 2010] }).documents.flatMap((d) => d.sentences);
    for (const text of held) expect(bpe.decode(bpe.encode(text).ids)).toBe(text);
    // A rare character is several byte tokens; decoding only part of it gives U+FFFD.
    const emoji = bpe.encode('\u{1F996}'); // sauropod: 4 UTF-8 bytes, not in the training text
    expect(emoji.ids.length).toBeGreaterThan(1);
    expect(bpe.decode(emoji.ids.slice(0, 1))).toContain('\uFFFD');
    expect(bpe.decode(emoji.ids)).toBe('\u{1F996}');
  });

  it('keeps special tokens through encode and decode', () => {
    const eot = bpe.idOf('<|endoftext|>') as number;
    expect(eot).toBe(0);
    const text = 'The end.<|endoftext|>A new document<|endoftext|>';
    const e = bpe.encode(text);
    expect(e.ids.filter((id) => id === eot).length).toBe(2);
    expect(e.ids[e.ids.length - 1]).toBe(eot);
    expect(bpe.decode(e.ids)).toBe(text);
    expect(bpe.decode(e.ids, { skipSpecial: true })).toBe('The end.A new document');
    // Not recognised on request: ordinary pieces that still decode to the same text.
    const plain = bpe.encode(text, { specialTokens: false });
    expect(plain.ids).not.toContain(eot);
    expect(bpe.decode(plain.ids)).toBe(text);
  });

  it('reloads what toStrings / toFiles wrote with identical encodings', () => {
    const { vocabJson, mergesTxt } = bpe.toStrings();
    expect(mergesTxt.startsWith('#version: 0.2\n')).toBe(true);
    expect(mergesTxt.split('\n')[1]).toBe(bpe.merges[0].join(' '));
    expect(JSON.parse(vocabJson)['<|endoftext|>']).toBe(0);
    expect(parseVocabJson(vocabJson)).toEqual(bpe.vocab);
    expect(parseMergesTxt(mergesTxt)).toEqual(bpe.merges);
    const again = ByteLevelBPE.fromStrings(vocabJson, mergesTxt);
    expect(again.vocab).toEqual(bpe.vocab);
    expect(again.merges).toEqual(bpe.merges);
    const { vocabJsonPath, mergesTxtPath } = bpe.toFiles(join(tmp, 'gpt2-small'));
    expect(readFileSync(vocabJsonPath, 'utf8')).toBe(vocabJson);
    const fromDisk = ByteLevelBPE.fromFiles(vocabJsonPath, mergesTxtPath);
    const texts = [...ROUND_TRIP, ...train.slice(0, 300)];
    for (const text of texts) {
      const e = bpe.encode(text);
      expect(again.encode(text)).toEqual(e);
      expect(fromDisk.encode(text)).toEqual(e);
    }
    expect(() => ByteLevelBPE.fromFiles(join(tmp, 'missing.json'), mergesTxtPath)).toThrow(/cannot read .*missing\.json/);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WordPiece } from './wordpiece';

// google-research/bert tokenization_test.py's vocabulary, plus the specials this class requires.
const UPSTREAM_VOCAB = [
  '[UNK]', '[CLS]', '[SEP]', 'want', '##want', '##ed', 'wa', 'un', 'runn', '##ing', ',', '[PAD]', '[MASK]',
];

const tmp = mkdtempSync(join(tmpdir(), 'ssbench-wordpiece-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('WordPiece', () => {
  const wp = new WordPiece(UPSTREAM_VOCAB);

  it('segments greedily with ## continuations (upstream test_wordpiece_tokenizer)', () => {
    expect(wp.encode('').tokens).toEqual([]);
    const e = wp.encode('unwanted running');
    expect(e.tokens).toEqual(['un', '##want', '##ed', 'runn', '##ing']);
    expect(e.ids).toEqual([7, 4, 5, 8, 9]);
    expect(e.wordStarts).toEqual([true, false, false, true, false]);
    expect(wp.encode('unwantedX running').tokens).toEqual(['[UNK]', 'runn', '##ing']);
    expect(wp.encode('UNwant\u00E9d,running').tokens).toEqual(['un', '##want', '##ed', ',', 'runn', '##ing']);
  });

  it('exposes special ids, lookups and word starts', () => {
    expect(wp.specialIds).toEqual({ pad: 11, unk: 0, cls: 1, sep: 2, mask: 12 });
    expect(wp.vocabSize).toBe(UPSTREAM_VOCAB.length);
    expect(wp.idOf('runn')).toBe(8);
    expect(wp.idOf('nope')).toBeUndefined();
    expect(wp.tokenOf(9)).toBe('##ing');
    expect(wp.isWordStart(9)).toBe(false);
    expect(wp.isWordStart(8)).toBe(true);
    expect(wp.isWordStart(wp.specialIds.cls)).toBe(true);
    expect(wp.isSpecial(wp.specialIds.mask)).toBe(true);
    expect(wp.isSpecial(8)).toBe(false);
    expect(() => wp.tokenOf(99)).toThrow(/outside the vocabulary/);
  });

  it('takes the longest match first even when a shorter one would have avoided [UNK] (as upstream)', () => {
    const v = new WordPiece(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'ab', 'abc', '##cd', '##c', 'x']);
    expect(v.encode('abc').tokens).toEqual(['abc']);
    expect(v.encode('abcc').tokens).toEqual(['abc', '##c']);
    // "ab" + "##cd" would cover "abcd", but greedy takes "abc" and then finds no "##d".
    expect(v.encode('abcd').tokens).toEqual(['[UNK]']);
    expect(v.encode('x abcd x').wordStarts).toEqual([true, true, true]);
  });

  it('maps words longer than 100 characters to [UNK]', () => {
    const v = new WordPiece(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', '##a']);
    expect(v.encode('a'.repeat(100)).tokens).toEqual(['a', ...Array(99).fill('##a')]);
    expect(v.encode(`${'a'.repeat(101)} a`).tokens).toEqual(['[UNK]', 'a']);
    expect(new WordPiece(v.vocab, { maxInputCharsPerWord: 3 }).encode('aaaa aaa').tokens).toEqual([
      '[UNK]', 'a', '##a', '##a',
    ]);
  });

  it('handles astral characters as one character', () => {
    const v = new WordPiece(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', '##😀', '😀']);
    expect(v.encode('a😀 😀').tokens).toEqual(['a', '##😀', '😀']);
  });

  it('respects lowerCase=false', () => {
    const v = new WordPiece(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'Hello', 'hello'], { lowerCase: false });
    expect(v.encode('Hello hello HELLO').tokens).toEqual(['Hello', 'hello', '[UNK]']);
  });

  it('decodes by gluing ## pieces, optionally without special tokens', () => {
    const ids = [wp.specialIds.cls, ...wp.encode('unwanted, running').ids, wp.specialIds.sep];
    expect(wp.decode(ids)).toBe('[CLS] unwanted , running [SEP]');
    expect(wp.decode(ids, { skipSpecial: true })).toBe('unwanted , running');
  });

  it('round-trips vocab text and files', () => {
    const text = wp.toVocabText();
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n').length).toBe(UPSTREAM_VOCAB.length + 1);
    const again = WordPiece.fromVocabText(text);
    expect(again.vocab).toEqual(UPSTREAM_VOCAB);
    expect(WordPiece.fromVocabText(UPSTREAM_VOCAB.join('\r\n')).vocab).toEqual(UPSTREAM_VOCAB);
    const path = join(tmp, 'vocab.txt');
    writeFileSync(path, text);
    const fromFile = WordPiece.fromVocabFile(path);
    expect(fromFile.vocab).toEqual(UPSTREAM_VOCAB);
    expect(fromFile.encode('unwanted running').ids).toEqual(wp.encode('unwanted running').ids);
  });

  it('fails loudly on bad vocabularies, naming the file and line', () => {
    const missing = join(tmp, 'missing.txt');
    expect(() => WordPiece.fromVocabFile(missing)).toThrow(missing);
    expect(() => WordPiece.fromVocabText('[PAD]\n[UNK]\n[CLS]\n[SEP]\nx\n')).toThrow(/missing special token\(s\) \[MASK\]/);
    expect(() => WordPiece.fromVocabText('[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nx\nx\n')).toThrow(/lines 6 and 7/);
    const dup = join(tmp, 'dup.txt');
    writeFileSync(dup, '[PAD]\n[UNK]\n\n[CLS]\n[SEP]\n[MASK]\n');
    expect(() => WordPiece.fromVocabFile(dup)).toThrow(new RegExp(`${dup}.*empty token at id 2 \\(line 3\\)`));
  });
});

/**
 * The runner's view of a tokenizer: ids with word starts, the five special ids every objective and task head
 * uses, and files to cache it in. WordPiece (BERT) fits as it is; GPT-2's byte-level BPE gets the same special
 * tokens added ([CLS] text [SEP] with the last token's state as the classifier input is GPT-1's fine-tuning
 * layout: start and extract tokens).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SpecialIds, writeFileAtomic as writeAtomic } from '@ssbench/core';
import { ByteLevelBPE, WordPiece, trainByteLevelBPE, trainWordPiece } from '@ssbench/tokenizers';

export interface TextTokenizer {
  readonly kind: 'wordpiece' | 'bpe';
  readonly vocabSize: number;
  readonly specialIds: SpecialIds;
  encode(text: string): { ids: number[]; wordStarts: boolean[] };
  /**
   * `encode` plus each token's `[start, end)` UTF-16 offsets in `text`: `text.slice(start, end)` is the token's
   * surface (WordPiece: before lower-casing and accent stripping; byte-level BPE: with its leading space).
   */
  encodeWithOffsets(text: string): { ids: number[]; wordStarts: boolean[]; offsets: [number, number][] };
  /** Ids of every special token (the five of `specialIds`, and GPT-2's `<|endoftext|>`). */
  readonly reservedIds: readonly number[];
  /** Writes the vocabulary files (vocab.txt, or vocab.json + merges.txt) into `dir`. */
  save(dir: string): void;
}

/** Special tokens added to a byte-level BPE, in this order, after `<|endoftext|>`. */
const BPE_SPECIALS = ['<|endoftext|>', '<pad>', '<unk>', '<cls>', '<sep>', '<mask>'] as const;

class WordPieceTokenizer implements TextTokenizer {
  readonly kind = 'wordpiece';
  constructor(readonly wp: WordPiece) {}
  get vocabSize() {
    return this.wp.vocabSize;
  }
  get specialIds() {
    return this.wp.specialIds;
  }
  get reservedIds() {
    return Object.values(this.wp.specialIds);
  }
  encode(text: string) {
    const e = this.wp.encode(text);
    return { ids: e.ids, wordStarts: e.wordStarts };
  }
  encodeWithOffsets(text: string) {
    const e = this.wp.encodeWithOffsets(text);
    return { ids: e.ids, wordStarts: e.wordStarts, offsets: e.offsets };
  }
  save(dir: string) {
    writeAtomic(join(dir, 'vocab.txt'), this.wp.toVocabText());
  }
}

class BpeTokenizer implements TextTokenizer {
  readonly kind = 'bpe';
  readonly specialIds: SpecialIds;
  readonly reservedIds: readonly number[];
  constructor(readonly bpe: ByteLevelBPE) {
    const id = (t: string) => {
      const i = bpe.idOf(t);
      if (i === undefined) throw new Error(`byte-level BPE vocabulary lacks the special token ${t}`);
      return i;
    };
    this.specialIds = { pad: id('<pad>'), unk: id('<unk>'), cls: id('<cls>'), sep: id('<sep>'), mask: id('<mask>') };
    this.reservedIds = BPE_SPECIALS.map(id);
  }
  get vocabSize() {
    return this.bpe.vocabSize;
  }
  encode(text: string) {
    const e = this.bpe.encode(text, { specialTokens: false });
    // 'Ġ' is the byte symbol of a space: a piece that starts with it starts a word.
    return { ids: e.ids, wordStarts: e.tokens.map((t, i) => i === 0 || t.startsWith('Ġ')) };
  }
  encodeWithOffsets(text: string) {
    const e = this.bpe.encodeWithOffsets(text, { specialTokens: false });
    return { ids: e.ids, wordStarts: e.tokens.map((t, i) => i === 0 || t.startsWith('Ġ')), offsets: e.offsets };
  }
  save(dir: string) {
    const s = this.bpe.toStrings();
    writeAtomic(join(dir, 'vocab.json'), s.vocabJson);
    writeAtomic(join(dir, 'merges.txt'), s.mergesTxt);
  }
}

export function wrapWordPiece(wp: WordPiece): TextTokenizer {
  return new WordPieceTokenizer(wp);
}

export function trainTokenizer(kind: 'wordpiece' | 'bpe', texts: string[], options: { vocabSize: number; lowerCase: boolean }): TextTokenizer {
  if (kind === 'bpe') return new BpeTokenizer(trainByteLevelBPE(texts, { vocabSize: options.vocabSize, specialTokens: [...BPE_SPECIALS] }));
  return new WordPieceTokenizer(trainWordPiece(texts, { vocabSize: options.vocabSize, lowerCase: options.lowerCase, minFrequency: 2 }));
}

/** Loads a tokenizer that `save` wrote, or returns undefined when `dir` holds none. */
export function loadTokenizer(kind: 'wordpiece' | 'bpe', dir: string): TextTokenizer | undefined {
  if (kind === 'bpe') {
    const v = join(dir, 'vocab.json');
    const m = join(dir, 'merges.txt');
    if (!existsSync(v) || !existsSync(m)) return undefined;
    return new BpeTokenizer(ByteLevelBPE.fromStrings(readFileSync(v, 'utf8'), readFileSync(m, 'utf8'), { specialTokens: [...BPE_SPECIALS] }));
  }
  const f = join(dir, 'vocab.txt');
  return existsSync(f) ? new WordPieceTokenizer(WordPiece.fromVocabFile(f)) : undefined;
}

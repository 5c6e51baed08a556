/**
 * BERT WordPiece tokenizer: greedy longest-match-first segmentation of each basic-tokenizer word into vocabulary
 * pieces, with "##" marking pieces that continue a word.
 *
 * Reference: google-research/bert `tokenization.py` (`WordpieceTokenizer.tokenize`, `load_vocab`,
 * `FullTokenizer`), https://github.com/google-research/bert/blob/master/tokenization.py ; Schuster & Nakajima,
 * "Japanese and Korean voice search" (ICASSP 2012); Wu et al., "Google's Neural Machine Translation System"
 * (arXiv:1609.08144), section 4.1.
 *
 * Upstream behaviour kept: a word longer than `maxInputCharsPerWord` (100) code points, or one that cannot be
 * covered by vocabulary pieces, becomes a single [UNK]. The vocabulary file format is upstream's: one token per
 * line, id = line number (0-based). Special tokens inside raw text are NOT recognised ("[MASK]" in text is split
 * like any other text, as upstream); add them by id.
 */

import { readFileSync } from 'node:fs';
import { BasicTokenizer } from './basic';

/** The BERT special tokens, in the order a trained vocabulary lists them (ids 0..4). */
export const BERT_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** Continuation prefix of WordPiece pieces that do not start a word. */
export const CONTINUATION_PREFIX = '##';

/** Ids of the special tokens in one vocabulary. */
export interface SpecialIds {
  readonly pad: number;
  readonly unk: number;
  readonly cls: number;
  readonly sep: number;
  readonly mask: number;
}

/** Options of a {@link WordPiece} tokenizer that are not stored in vocab.txt. */
export interface WordPieceOptions {
  /** Lower-case input (BERT "uncased"). Default true. */
  readonly lowerCase?: boolean;
  /** Strip accents. Default: the value of `lowerCase` (as Hugging Face's BertNormalizer). */
  readonly stripAccents?: boolean;
  /** Words longer than this many code points become [UNK]. Default 100 (upstream). */
  readonly maxInputCharsPerWord?: number;
}

/** Result of {@link WordPiece.encode}: three arrays of the same length. */
export interface Encoding {
  readonly ids: number[];
  readonly tokens: string[];
  /** true where the piece begins a word (not a "##" continuation); whole-word masking groups on this. */
  readonly wordStarts: boolean[];
}

/** Result of {@link WordPiece.encodeWithOffsets}: the encoding plus each piece's character span in the input. */
export interface EncodingWithOffsets extends Encoding {
  /**
   * `[start, end)` UTF-16 offsets into the encoded text: `text.slice(start, end)` is the piece's original surface
   * (before lower-casing and accent stripping; without "##"). An [UNK] spans its whole word.
   */
  readonly offsets: [number, number][];
}

/** Options of {@link WordPiece.decode}. */
export interface DecodeOptions {
  /** Leave out [PAD], [CLS], [SEP], [MASK] and [UNK]. Default false. */
  readonly skipSpecial?: boolean;
}

interface WordPieces {
  readonly ids: readonly number[];
  readonly tokens: readonly string[];
}

const WORD_CACHE_LIMIT = 200_000;

/** A WordPiece vocabulary plus BERT's basic tokenizer. Immutable. */
export class WordPiece {
  /** Tokens by id. */
  readonly vocab: readonly string[];
  readonly specialIds: SpecialIds;
  readonly basic: BasicTokenizer;
  readonly maxInputCharsPerWord: number;
  private readonly ids: Map<string, number>;
  private readonly wordStartById: Uint8Array;
  private readonly specialIdSet: ReadonlySet<number>;
  /** Longest piece in code units (continuation pieces counted without "##"): bounds the greedy search. */
  private readonly maxPieceLength: number;
  private readonly cache = new Map<string, WordPieces>();

  /** Build from tokens listed by id. Throws on duplicates, empty tokens or a missing special token. */
  constructor(vocab: readonly string[], options: WordPieceOptions = {}) {
    const ids = new Map<string, number>();
    const wordStartById = new Uint8Array(vocab.length);
    let maxPieceLength = 1;
    vocab.forEach((token, id) => {
      if (token.length === 0) throw new Error(`WordPiece vocabulary: empty token at id ${id} (line ${id + 1})`);
      const previous = ids.get(token);
      if (previous !== undefined) {
        throw new Error(
          `WordPiece vocabulary: token ${JSON.stringify(token)} appears twice (ids ${previous} and ${id}, lines ${previous + 1} and ${id + 1})`,
        );
      }
      ids.set(token, id);
      const isContinuation = token.startsWith(CONTINUATION_PREFIX) && token.length > CONTINUATION_PREFIX.length;
      wordStartById[id] = isContinuation ? 0 : 1;
      const len = isContinuation ? token.length - CONTINUATION_PREFIX.length : token.length;
      if (len > maxPieceLength) maxPieceLength = len;
    });
    const missing = BERT_SPECIAL_TOKENS.filter((t) => !ids.has(t));
    if (missing.length > 0) {
      throw new Error(`WordPiece vocabulary: missing special token(s) ${missing.join(', ')}`);
    }
    const id = (t: string): number => ids.get(t) as number;
    this.vocab = [...vocab];
    this.ids = ids;
    this.wordStartById = wordStartById;
    this.maxPieceLength = maxPieceLength;
    this.specialIds = Object.freeze({
      pad: id('[PAD]'),
      unk: id('[UNK]'),
      cls: id('[CLS]'),
      sep: id('[SEP]'),
      mask: id('[MASK]'),
    });
    this.specialIdSet = new Set(Object.values(this.specialIds));
    this.basic = new BasicTokenizer({ lowerCase: options.lowerCase ?? true, stripAccents: options.stripAccents });
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
  }

  /** Parse vocab.txt text: one token per line, id = 0-based line number; a final newline is optional. */
  static fromVocabText(text: string, options: WordPieceOptions = {}): WordPiece {
    const lines = text.split(/\r?\n/);
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return new WordPiece(lines, options);
  }

  /** Read a vocab.txt file. Errors name the path. */
  static fromVocabFile(path: string, options: WordPieceOptions = {}): WordPiece {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read WordPiece vocabulary file ${path}: ${(err as Error).message}`);
    }
    try {
      return WordPiece.fromVocabText(text, options);
    } catch (err) {
      throw new Error(`${path}: ${(err as Error).message}`);
    }
  }

  /** vocab.txt text: one token per line in id order, ending with a newline. */
  toVocabText(): string {
    return `${this.vocab.join('\n')}\n`;
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  get lowerCase(): boolean {
    return this.basic.lowerCase;
  }

  /** Id of `token`, or undefined if it is not in the vocabulary. */
  idOf(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** Token of `id`; throws on an id outside the vocabulary. */
  tokenOf(id: number): string {
    const token = this.vocab[id];
    if (token === undefined) throw new Error(`token id ${id} is outside the vocabulary (size ${this.vocab.length})`);
    return token;
  }

  /** true unless `id` is a "##" continuation piece (special tokens and [UNK] start words). */
  isWordStart(id: number): boolean {
    return this.wordStartById[id] === 1;
  }

  /** true for [PAD], [UNK], [CLS], [SEP], [MASK]. */
  isSpecial(id: number): boolean {
    return this.specialIdSet.has(id);
  }

  /** Tokenise `text` (basic tokenizer, then WordPiece on each word). No [CLS]/[SEP] are added. */
  encode(text: string): Encoding {
    const ids: number[] = [];
    const tokens: string[] = [];
    const wordStarts: boolean[] = [];
    this.basic.forEachWord(text, (word) => {
      const pieces = this.wordPieces(word);
      for (let k = 0; k < pieces.ids.length; k++) {
        ids.push(pieces.ids[k]);
        tokens.push(pieces.tokens[k]);
        wordStarts.push(k === 0);
      }
    });
    return { ids, tokens, wordStarts };
  }

  /** {@link encode} plus the character offsets of every piece in `text` (same ids, tokens and word starts). */
  encodeWithOffsets(text: string): EncodingWithOffsets {
    const ids: number[] = [];
    const tokens: string[] = [];
    const wordStarts: boolean[] = [];
    const offsets: [number, number][] = [];
    this.basic.forEachWordWithOffsets(text, (word, starts, ends) => {
      const pieces = this.wordPieces(word);
      // Pieces are consecutive slices of the word ("##" aside), unless the word became one [UNK].
      const lengths = pieces.tokens.map((t, k) => (k > 0 ? t.length - CONTINUATION_PREFIX.length : t.length));
      const exact = lengths.reduce((a, x) => a + x, 0) === word.length && !(pieces.ids.length === 1 && pieces.ids[0] === this.specialIds.unk);
      let at = 0;
      for (let k = 0; k < pieces.ids.length; k++) {
        ids.push(pieces.ids[k]);
        tokens.push(pieces.tokens[k]);
        wordStarts.push(k === 0);
        if (exact) {
          offsets.push([starts[at], ends[at + lengths[k] - 1]]);
          at += lengths[k];
        } else offsets.push([starts[0], ends[word.length - 1]]);
      }
    });
    return { ids, tokens, wordStarts, offsets };
  }

  /**
   * Ids back to text: pieces joined by spaces with "##" continuations glued to the previous piece. Lower-casing,
   * accent stripping and the spaces around punctuation are not undone.
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    let out = '';
    for (const id of ids) {
      if (options.skipSpecial && this.specialIdSet.has(id)) continue;
      const token = this.tokenOf(id);
      if (this.wordStartById[id] === 0) out += token.slice(CONTINUATION_PREFIX.length);
      else out += out.length === 0 ? token : ` ${token}`;
    }
    return out;
  }

  /** Greedy longest-match-first segmentation of one basic-tokenizer word (cached). */
  private wordPieces(word: string): WordPieces {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const result = this.segment(word);
    if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, result);
    return result;
  }

  private segment(word: string): WordPieces {
    const unk: WordPieces = { ids: [this.specialIds.unk], tokens: ['[UNK]'] };
    // Upstream counts code points (Python str length).
    let codePoints = 0;
    for (const _ of word) {
      codePoints++;
      if (codePoints > this.maxInputCharsPerWord) return unk;
    }
    const ids: number[] = [];
    const tokens: string[] = [];
    const n = word.length;
    let start = 0;
    while (start < n) {
      let end = Math.min(n, start + this.maxPieceLength);
      let found = -1;
      let foundToken = '';
      while (end > start) {
        // Never cut a surrogate pair in half.
        const last = word.charCodeAt(end - 1);
        if (end < n && last >= 0xd800 && last <= 0xdbff) {
          end--;
          continue;
        }
        const sub = start > 0 ? CONTINUATION_PREFIX + word.slice(start, end) : word.slice(start, end);
        const id = this.ids.get(sub);
        if (id !== undefined) {
          found = id;
          foundToken = sub;
          break;
        }
        end--;
      }
      if (found < 0) return unk;
      ids.push(found);
      tokens.push(foundToken);
      start = end;
    }
    return { ids, tokens };
  }
}

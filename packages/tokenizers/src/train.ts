/**
 * WordPiece vocabulary training by BPE-style merges over word-frequency counts, as Hugging Face's WordPiece trainer
 * does (it runs its BPE trainer with continuing_subword_prefix="##" and keeps the resulting vocabulary).
 *
 * Reference: huggingface/tokenizers `tokenizers/src/models/wordpiece/trainer.rs` and
 * `tokenizers/src/models/bpe/trainer.rs` (`BpeTrainer::do_train`: word counts, alphabet, pair counts with
 * `where_to_update`, a max-heap of merges with lazy count refresh); Sennrich et al., "Neural Machine Translation of
 * Rare Words with Subword Units" (ACL 2016).
 *
 * Algorithm:
 *  1. Pre-tokenise every text with BERT's basic tokenizer and count words once (a Map word -> count).
 *  2. Vocabulary = [PAD] [UNK] [CLS] [SEP] [MASK], then every character seen, then "##c" for every character seen
 *     (each sorted by code point), so any word made of seen characters can be encoded without [UNK].
 *  3. Each unique word is a sequence of symbol ids: first character, then "##" characters.
 *  4. Repeat until the vocabulary has `vocabSize` tokens or the best pair occurs fewer than `minFrequency` times:
 *     take the most frequent adjacent pair (ties: smallest (left id, right id), i.e. the pair of tokens that entered
 *     the vocabulary first), add the merged token ("a" + "##b" -> "ab", "##a" + "##b" -> "##ab"), rewrite only the
 *     words that contain the pair, and update pair counts incrementally.
 *
 * Deterministic: the result depends only on the multiset of words (not on text order or hash order).
 * Differences from Hugging Face: no `limit_alphabet` (every character seen is kept, so the vocabulary can exceed
 * `vocabSize` only if the alphabet alone does); both "c" and "##c" for every character (HF adds "##c" only for
 * characters seen inside a word); ties are broken as above (HF's initial ids follow hash-map order).
 * Words longer than 100 code points are skipped (the encoder maps them to [UNK] anyway).
 */

import { CountHeap } from './heap';
import { BasicTokenizer } from './basic';
import { BERT_SPECIAL_TOKENS, CONTINUATION_PREFIX, WordPiece } from './wordpiece';

/** Options of {@link trainWordPiece}. */
export interface TrainWordPieceOptions {
  /** Target vocabulary size, special tokens included. */
  readonly vocabSize: number;
  /** A pair must occur at least this many times (weighted by word counts) to be merged. Default 2. */
  readonly minFrequency?: number;
  /** Lower-case (and strip accents) before training; stored in the returned tokenizer. Default true. */
  readonly lowerCase?: boolean;
  /** Skip words longer than this many code points. Default 100. */
  readonly maxInputCharsPerWord?: number;
}

/** Pair keys pack (left, right) as left * 2^21 + right; ids stay below 2^21 (2,097,152 tokens). */
const PAIR_SHIFT = 2 ** 21;


/** Count basic-tokenizer words over `texts`. */
function countWords(texts: Iterable<string>, basic: BasicTokenizer, maxChars: number): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (word: string): void => {
    // word.length (code units) >= code points, so only long words need the exact count.
    if (word.length > maxChars && [...word].length > maxChars) return;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  };
  for (const text of texts) basic.forEachWord(text, add);
  return counts;
}

/** Train a WordPiece vocabulary on `texts` (see the file header for the algorithm). */
export function trainWordPiece(texts: Iterable<string>, options: TrainWordPieceOptions): WordPiece {
  const { vocabSize } = options;
  const minFrequency = options.minFrequency ?? 2;
  const lowerCase = options.lowerCase ?? true;
  const maxChars = options.maxInputCharsPerWord ?? 100;
  if (!Number.isInteger(vocabSize) || vocabSize < BERT_SPECIAL_TOKENS.length) {
    throw new Error(`trainWordPiece: vocabSize must be an integer >= ${BERT_SPECIAL_TOKENS.length}, got ${vocabSize}`);
  }
  if (!(minFrequency >= 1)) throw new Error(`trainWordPiece: minFrequency must be >= 1, got ${minFrequency}`);
  if (vocabSize >= PAIR_SHIFT) throw new Error(`trainWordPiece: vocabSize must be < ${PAIR_SHIFT}`);

  const basic = new BasicTokenizer({ lowerCase });
  const wordCounts = countWords(texts, basic, maxChars);
  // Unique words in a fixed order (sorted), so nothing depends on the input order.
  const words = [...wordCounts.keys()].sort();
  const counts = new Float64Array(words.length);
  words.forEach((w, i) => {
    counts[i] = wordCounts.get(w) as number;
  });

  // Alphabet: every character seen, as a word start and as a "##" continuation, sorted by code point.
  const alphabet = new Set<string>();
  for (const w of words) for (const ch of w) alphabet.add(ch);
  const chars = [...alphabet];
  const byCodePoint = (a: string, b: string): number => (a.codePointAt(0) as number) - (b.codePointAt(0) as number);
  const vocab: string[] = [...BERT_SPECIAL_TOKENS];
  const tokenId = new Map<string, number>();
  const addToken = (t: string): number => {
    const known = tokenId.get(t);
    if (known !== undefined) return known;
    tokenId.set(t, vocab.length);
    vocab.push(t);
    return vocab.length - 1;
  };
  for (const t of vocab) tokenId.set(t, tokenId.size);
  chars.sort(byCodePoint);
  for (const ch of chars) addToken(ch);
  for (const ch of chars) addToken(CONTINUATION_PREFIX + ch);

  // Words as symbol-id arrays (mutable, shrink as merges apply).
  const symbols: Int32Array[] = new Array(words.length);
  const lengths = new Int32Array(words.length);
  words.forEach((w, i) => {
    const chars = [...w];
    const arr = new Int32Array(chars.length);
    chars.forEach((ch, k) => {
      arr[k] = tokenId.get(k === 0 ? ch : CONTINUATION_PREFIX + ch) as number;
    });
    symbols[i] = arr;
    lengths[i] = arr.length;
  });

  // Pair counts and the words each pair occurs in (entries can go stale; merging re-checks).
  const pairCounts = new Map<number, number>();
  const where = new Map<number, number[]>();
  for (let i = 0; i < words.length; i++) {
    const s = symbols[i];
    const c = counts[i];
    for (let k = 0; k + 1 < s.length; k++) {
      const key = s[k] * PAIR_SHIFT + s[k + 1];
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + c);
      const list = where.get(key);
      if (list === undefined) where.set(key, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    }
  }
  const heap = new CountHeap((a, b) => a < b); // ties: lower pair key (vocabulary order) first
  for (const [key, c] of pairCounts) heap.push(c, key);

  const delta = new Map<number, number>();
  const addDelta = (key: number, d: number): void => {
    delta.set(key, (delta.get(key) ?? 0) + d);
  };

  while (vocab.length < vocabSize && heap.size > 0) {
    const [count, key] = heap.pop();
    const current = pairCounts.get(key) ?? 0;
    if (current !== count) {
      if (current > 0) heap.push(current, key); // stale entry: refresh and retry
      continue;
    }
    if (count < minFrequency) break;
    const left = Math.floor(key / PAIR_SHIFT);
    const right = key - left * PAIR_SHIFT;
    const rightToken = vocab[right];
    const merged =
      vocab[left] + (rightToken.startsWith(CONTINUATION_PREFIX) ? rightToken.slice(CONTINUATION_PREFIX.length) : rightToken);
    // Two different pairs can spell the same token ("a"+"##bc" and "ab"+"##c"): addToken then reuses its id (the
    // vocabulary does not grow this round, but the pair is retired below, so the loop still makes progress).
    const newId = addToken(merged);

    const affected = where.get(key) ?? [];
    where.delete(key);
    delta.clear();
    for (const w of affected) {
      const s = symbols[w];
      const len = lengths[w];
      let hasPair = false;
      for (let k = 0; k + 1 < len; k++) {
        if (s[k] === left && s[k + 1] === right) {
          hasPair = true;
          break;
        }
      }
      if (!hasPair) continue;
      const c = counts[w];
      // Remove the word's old pairs, merge left to right, add its new pairs.
      for (let k = 0; k + 1 < len; k++) addDelta(s[k] * PAIR_SHIFT + s[k + 1], -c);
      let out = 0;
      for (let k = 0; k < len; k++) {
        if (k + 1 < len && s[k] === left && s[k + 1] === right) {
          s[out++] = newId;
          k++;
        } else {
          s[out++] = s[k];
        }
      }
      lengths[w] = out;
      for (let k = 0; k + 1 < out; k++) {
        const pk = s[k] * PAIR_SHIFT + s[k + 1];
        addDelta(pk, c);
        if (pk === key) continue;
        const list = where.get(pk);
        if (list === undefined) where.set(pk, [w]);
        else if (list[list.length - 1] !== w) list.push(w);
      }
    }
    for (const [pk, d] of delta) {
      if (d === 0) continue;
      const next = (pairCounts.get(pk) ?? 0) + d;
      if (next <= 0) pairCounts.delete(pk);
      else pairCounts.set(pk, next);
      if (d > 0) heap.push(next, pk);
    }
    pairCounts.delete(key);
  }

  return new WordPiece(vocab, { lowerCase, maxInputCharsPerWord: maxChars });
}

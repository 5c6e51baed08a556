/**
 * Byte-level BPE training (GPT-2's vocabulary construction): merges learned from adjacent-pair counts within
 * GPT-2 pre-tokens, starting from the 256 byte symbols.
 *
 * Reference: Sennrich et al., "Neural Machine Translation of Rare Words with Subword Units" (ACL 2016), algorithm 1;
 * Radford et al., "Language Models are Unsupervised Multitask Learners" (OpenAI 2019), section 2.2 (byte-level base
 * vocabulary, no merges across character categories: merges stay inside one pre-token); openai/gpt-2
 * `src/encoder.py` (byte table, pre-tokenisation regex); Hugging Face tokenizers `models/bpe/trainer.rs` (word
 * counts, pair counts updated only where a merge applies, a max-heap with lazy refresh).
 *
 * Algorithm:
 *  1. Cut special tokens out of every text, split the rest into GPT-2 pre-tokens, count each distinct pre-token once
 *     (a Map pre-token -> count).
 *  2. Vocabulary = the special tokens, then the 256 byte symbols in byte-table order (GPT-2's id order; it is also
 *     their order by code point).
 *  3. Each distinct pre-token is a sequence of byte-symbol ids (its UTF-8 bytes).
 *  4. Until the vocabulary has `vocabSize` tokens (or the best pair occurs fewer than `minFrequency` times): take the
 *     most frequent adjacent pair, weighted by pre-token counts (ties: the pair whose left token, then right token,
 *     is smaller as a string), append the merge rule and the joined token, rewrite only the pre-tokens that contain
 *     the pair (all occurrences, left to right) and update the pair counts by difference.
 *
 * Deterministic: the result depends only on the multiset of pre-tokens (not on text order or hash order).
 * Two different pairs can spell the same token ("a"+"bc", "ab"+"c"): both rules are kept, the token once, so the
 * merge list can be longer than vocabSize - 256 - specials. Each pair is merged at most once (it can reappear only
 * next to such a re-spelled token, and is then left unmerged in training). A pair that would spell a special token
 * is never merged. A smaller vocabSize gives a prefix of the vocabulary and merge list of a larger one.
 */

import { CountHeap } from './heap';
import { ByteLevelBPE, type BpeMerge, ENDOFTEXT, PAIR_SHIFT, specialTokenPattern, splitOnSpecialTokens } from './bpe';
import { bytesToUnicode, byteTableOrder, forEachPreToken } from './bytes';

/** Options of {@link trainByteLevelBPE}. */
export interface TrainByteLevelBPEOptions {
  /** Target vocabulary size: special tokens + 256 byte symbols + merged tokens. */
  readonly vocabSize: number;
  /** A pair must occur at least this many times (weighted by pre-token counts) to be merged. Default 2. */
  readonly minFrequency?: number;
  /** Special tokens, ids 0..k-1 in this order. Default ["<|endoftext|>"]. */
  readonly specialTokens?: readonly string[];
}


/** Count GPT-2 pre-tokens over `texts`, special tokens cut out. */
function countPreTokens(texts: Iterable<string>, specialTokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (piece: string): void => {
    counts.set(piece, (counts.get(piece) ?? 0) + 1);
  };
  const addText = (text: string): void => {
    if (text.length > 0) forEachPreToken(text, add);
  };
  const pattern = specialTokenPattern(specialTokens);
  for (const text of texts) splitOnSpecialTokens(text, pattern, addText, () => {});
  return counts;
}

/** Train a byte-level BPE vocabulary and merge list on `texts` (see the file header for the algorithm). */
export function trainByteLevelBPE(texts: Iterable<string>, options: TrainByteLevelBPEOptions): ByteLevelBPE {
  const { vocabSize } = options;
  const minFrequency = options.minFrequency ?? 2;
  const specialTokens = [...(options.specialTokens ?? [ENDOFTEXT])];
  const base = specialTokens.length + 256;
  if (!Number.isInteger(vocabSize) || vocabSize < base) {
    throw new Error(
      `trainByteLevelBPE: vocabSize must be an integer >= ${base} (${specialTokens.length} special tokens + 256 bytes), got ${vocabSize}`,
    );
  }
  if (!(minFrequency >= 1)) throw new Error(`trainByteLevelBPE: minFrequency must be >= 1, got ${minFrequency}`);
  if (vocabSize >= PAIR_SHIFT) throw new Error(`trainByteLevelBPE: vocabSize must be < ${PAIR_SHIFT}`);

  // Vocabulary: specials, then the byte symbols. The constructor at the end re-validates everything.
  const table = bytesToUnicode();
  const vocab: string[] = [];
  const tokenId = new Map<string, number>();
  const special = new Set(specialTokens);
  for (const t of [...specialTokens, ...byteTableOrder().map((b) => table[b])]) {
    if (tokenId.has(t)) throw new Error(`trainByteLevelBPE: token ${JSON.stringify(t)} listed twice (special tokens must not be byte symbols)`);
    tokenId.set(t, vocab.length);
    vocab.push(t);
  }
  const byteId = new Int32Array(256);
  for (let b = 0; b < 256; b++) byteId[b] = tokenId.get(table[b]) as number;

  const pieceCounts = countPreTokens(texts, specialTokens);
  const words = [...pieceCounts.keys()].sort();
  const counts = new Float64Array(words.length);
  const symbols: Int32Array[] = new Array(words.length);
  const lengths = new Int32Array(words.length);
  const encoder = new TextEncoder();
  words.forEach((w, i) => {
    counts[i] = pieceCounts.get(w) as number;
    const bytes = encoder.encode(w);
    const s = new Int32Array(bytes.length);
    for (let k = 0; k < bytes.length; k++) s[k] = byteId[bytes[k]];
    symbols[i] = s;
    lengths[i] = s.length;
  });

  // Pair counts and, per pair, the words it occurs in (lists can go stale; merging re-checks each word).
  const pairCounts = new Map<number, number>();
  const where = new Map<number, number[]>();
  const track = (key: number, w: number): void => {
    const list = where.get(key);
    if (list === undefined) where.set(key, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  };
  for (let i = 0; i < words.length; i++) {
    const s = symbols[i];
    const c = counts[i];
    for (let k = 0; k + 1 < s.length; k++) {
      const key = s[k] * PAIR_SHIFT + s[k + 1];
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + c);
      track(key, i);
    }
  }
  // Ties: the pair whose left, then right, token sorts first as a string.
  const heap = new CountHeap((a, b) => {
    const la = Math.floor(a / PAIR_SHIFT);
    const lb = Math.floor(b / PAIR_SHIFT);
    if (la !== lb) return vocab[la] < vocab[lb];
    return vocab[a - la * PAIR_SHIFT] < vocab[b - lb * PAIR_SHIFT];
  });
  for (const [key, c] of pairCounts) heap.push(c, key);

  const merges: BpeMerge[] = [];
  /** Pairs never to merge again: already merged, or spelling a special token. */
  const retired = new Set<number>();
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
    const joined = vocab[left] + vocab[right];
    retired.add(key);
    pairCounts.delete(key);
    if (special.has(joined)) {
      where.delete(key);
      continue;
    }
    let newId = tokenId.get(joined);
    if (newId === undefined) {
      newId = vocab.length;
      tokenId.set(joined, newId);
      vocab.push(joined);
    }
    merges.push([vocab[left], vocab[right]]);

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
        if (!retired.has(pk)) track(pk, w);
      }
    }
    for (const [pk, d] of delta) {
      if (d === 0 || retired.has(pk)) continue;
      const next = (pairCounts.get(pk) ?? 0) + d;
      if (next <= 0) pairCounts.delete(pk);
      else pairCounts.set(pk, next);
      if (d > 0) heap.push(next, pk);
    }
  }

  return new ByteLevelBPE(vocab, merges, { specialTokens });
}

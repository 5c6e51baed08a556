/**
 * GPT-2 byte-level BPE tokenizer: special tokens are cut out of the text first, the rest is split by GPT-2's
 * pre-tokenisation regex, each pre-token is UTF-8 encoded and spelled with the byte table, and merges are applied by
 * rank (lowest first, every occurrence left to right, repeatedly) within each pre-token.
 *
 * Reference: Radford et al., "Language Models are Unsupervised Multitask Learners" (OpenAI 2019), section 2.2;
 * openai/gpt-2 `src/encoder.py` (`Encoder.bpe`, `Encoder.encode`, `Encoder.decode`, `get_encoder`),
 * https://github.com/openai/gpt-2/blob/master/src/encoder.py ; Sennrich et al., "Neural Machine Translation of Rare
 * Words with Subword Units" (ACL 2016); file formats of Hugging Face's GPT-2 `vocab.json` / `merges.txt`.
 *
 * Upstream behaviour kept: the merge order is upstream's (`bpe`: take the adjacent pair of lowest rank, merge all its
 * non-overlapping occurrences left to right, repeat until no adjacent pair has a rank), with a cache per pre-token;
 * decoding joins the tokens' bytes and decodes UTF-8 with U+FFFD for invalid sequences (errors="replace"), so any
 * well-formed string round-trips exactly, including characters whose bytes are split across tokens.
 * Implementation: the per-word loop uses a linked list and a min-heap of (rank, position) so long pre-tokens are not
 * quadratic; positions of one rank are merged in a batch, left to right, before any pair that batch creates is
 * considered, which is exactly upstream's order even for merge lists whose ranks are not topologically sorted.
 *
 * Formats: vocab.json is a JSON object token -> id whose ids must be exactly 0..n-1; merges.txt has an optional first
 * line "#version: ..." and then one "left right" pair per line, rank = line order. Both parts and their concatenation
 * must be in the vocabulary. Special tokens are not marked in either file: pass the same `specialTokens` when loading
 * (those missing from vocab.json are appended after its last id, as Hugging Face adds special tokens).
 * Unlike upstream (which never matches "<|endoftext|>" in text), special tokens in the input text are recognised
 * before pre-tokenisation, longest first, as Hugging Face's added-token matching does; pass
 * `{ specialTokens: false }` to `encode` to treat them as ordinary text.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToUnicode, forEachPreToken, unicodeToBytes, utf8Decode } from './bytes';

/** GPT-2's end-of-text token, the default (and only) special token. */
export const ENDOFTEXT = '<|endoftext|>';

/** First line of the merges.txt files written here (Hugging Face's GPT-2 header). */
export const MERGES_HEADER = '#version: 0.2';

/** One merge rule: the two tokens joined (rank = position in the merge list). */
export type BpeMerge = readonly [string, string];

/** Options of a {@link ByteLevelBPE} that are not stored in vocab.json / merges.txt. */
export interface ByteLevelBPEOptions {
  /**
   * Tokens matched verbatim in the input before pre-tokenisation and decoded verbatim. Default ["<|endoftext|>"].
   * Those missing from the vocabulary are appended to it, in this order.
   */
  readonly specialTokens?: readonly string[];
}

/** Result of {@link ByteLevelBPE.encode}: two arrays of the same length. */
export interface ByteLevelEncoding {
  readonly ids: number[];
  /** Byte-level token strings ("Ġthe" for " the"). */
  readonly tokens: string[];
}

/** Result of {@link ByteLevelBPE.encodeWithOffsets}. */
export interface ByteLevelEncodingWithOffsets extends ByteLevelEncoding {
  /**
   * `[start, end)` UTF-16 offsets into the encoded text of each token: `text.slice(start, end)` is what the token
   * decodes to (a leading space included, as in "Ġthe"). A token holding only part of a character's UTF-8 bytes
   * spans that whole character (so neighbouring tokens may share it).
   */
  readonly offsets: [number, number][];
}

/** Options of {@link ByteLevelBPE.encode}. */
export interface ByteLevelEncodeOptions {
  /** Recognise special tokens in the text. Default true; false encodes "<|endoftext|>" as ordinary text. */
  readonly specialTokens?: boolean;
}

/** Options of {@link ByteLevelBPE.decode}. */
export interface ByteLevelDecodeOptions {
  /** Leave special tokens out. Default false. */
  readonly skipSpecial?: boolean;
}

/** The two files, as text. */
export interface ByteLevelBPEStrings {
  readonly vocabJson: string;
  readonly mergesTxt: string;
}

/** Pair keys pack (left, right) as left * 2^21 + right; ids stay below 2^21 (2,097,152 tokens). */
export const PAIR_SHIFT = 2 ** 21;

const WORD_CACHE_LIMIT = 200_000;

/** Binary min-heap of non-negative numbers. */
class NumberMinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): number {
    return this.items[0];
  }

  push(x: number): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= x) break;
      a[i] = a[parent];
      i = parent;
    }
    a[i] = x;
  }

  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop() as number;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r] < a[l] ? r : l;
        if (a[c] >= last) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/** Escape `s` for use as a literal inside a RegExp (no "u" flag). */
function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** RegExp source matching any of `specialTokens`, longest first (undefined for none). Use with the "g" flag. */
export function specialTokenPattern(specialTokens: readonly string[]): string | undefined {
  if (specialTokens.length === 0) return undefined;
  const alternatives = [...specialTokens].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
  return alternatives.map(escapeRegExp).join('|');
}

/**
 * Split `text` on the matches of `pattern` (from {@link specialTokenPattern}): calls `onText` for the (possibly
 * empty) stretches between them and `onSpecial` for each match, in order.
 */
export function splitOnSpecialTokens(
  text: string,
  pattern: string | undefined,
  onText: (text: string) => void,
  onSpecial: (token: string) => void,
): void {
  if (pattern === undefined) {
    onText(text);
    return;
  }
  const re = new RegExp(pattern, 'g');
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    onText(text.slice(last, m.index));
    onSpecial(m[0]);
    last = m.index + m[0].length;
  }
  onText(text.slice(last));
}

/** A byte-level BPE vocabulary and merge list. Immutable (apart from its encoding cache). */
export class ByteLevelBPE {
  /** Tokens by id (byte-level strings, special tokens verbatim). */
  readonly vocab: readonly string[];
  /** Merge rules by rank. */
  readonly merges: readonly BpeMerge[];
  readonly specialTokens: readonly string[];
  private readonly specialPattern: string | undefined;
  private readonly ids: Map<string, number>;
  private readonly specialIdSet: ReadonlySet<number>;
  /** Id of each byte's one-character token, -1 where the vocabulary lacks it. */
  private readonly byteIds: Int32Array;
  /** Pair key -> rank. */
  private readonly mergeRank: Map<number, number>;
  private readonly mergeLeft: Int32Array;
  private readonly mergeRight: Int32Array;
  private readonly mergeResult: Int32Array;
  /** Bytes spelled by each non-special token (empty for special tokens). */
  private readonly tokenBytes: Uint8Array[];
  private readonly cache = new Map<string, readonly number[]>();

  /**
   * Build from tokens listed by id and merges listed by rank. Throws on empty or duplicate tokens, on a non-special
   * token that is not spelled in byte-table characters, and on a merge whose parts or result are not in the
   * vocabulary or that appears twice.
   */
  constructor(vocab: readonly string[], merges: readonly BpeMerge[], options: ByteLevelBPEOptions = {}) {
    const specialTokens = [...(options.specialTokens ?? [ENDOFTEXT])];
    const seenSpecial = new Set<string>();
    for (const t of specialTokens) {
      if (typeof t !== 'string' || t.length === 0) throw new Error('ByteLevelBPE: special tokens must be non-empty strings');
      if (seenSpecial.has(t)) throw new Error(`ByteLevelBPE: special token ${JSON.stringify(t)} listed twice`);
      if (t.length === 1 && unicodeToBytes().has(t)) {
        throw new Error(`ByteLevelBPE: special token ${JSON.stringify(t)} is also a byte symbol`);
      }
      seenSpecial.add(t);
    }
    const all = [...vocab];
    const ids = new Map<string, number>();
    all.forEach((token, id) => {
      if (typeof token !== 'string' || token.length === 0) throw new Error(`ByteLevelBPE vocabulary: empty token at id ${id}`);
      const previous = ids.get(token);
      if (previous !== undefined) {
        throw new Error(`ByteLevelBPE vocabulary: token ${JSON.stringify(token)} has two ids (${previous} and ${id})`);
      }
      ids.set(token, id);
    });
    for (const t of specialTokens) {
      if (!ids.has(t)) {
        ids.set(t, all.length);
        all.push(t);
      }
    }
    if (all.length >= PAIR_SHIFT) throw new Error(`ByteLevelBPE vocabulary: at most ${PAIR_SHIFT - 1} tokens`);

    const inverse = unicodeToBytes();
    const tokenBytes: Uint8Array[] = new Array(all.length);
    all.forEach((token, id) => {
      if (seenSpecial.has(token)) {
        tokenBytes[id] = new Uint8Array(0);
        return;
      }
      const bytes = new Uint8Array(token.length);
      for (let i = 0; i < token.length; i++) {
        const b = inverse.get(token[i]);
        if (b === undefined) {
          throw new Error(
            `ByteLevelBPE vocabulary: token ${JSON.stringify(token)} (id ${id}) is not spelled in byte-level characters; if it is a special token, list it in specialTokens`,
          );
        }
        bytes[i] = b;
      }
      tokenBytes[id] = bytes;
    });

    const table = bytesToUnicode();
    const byteIds = new Int32Array(256);
    for (let b = 0; b < 256; b++) byteIds[b] = ids.get(table[b]) ?? -1;

    const mergeRank = new Map<number, number>();
    const mergeLeft = new Int32Array(merges.length);
    const mergeRight = new Int32Array(merges.length);
    const mergeResult = new Int32Array(merges.length);
    merges.forEach(([a, b], rank) => {
      const where = `ByteLevelBPE merges: rule ${rank} ${JSON.stringify(`${a} ${b}`)}`;
      const left = ids.get(a);
      const right = ids.get(b);
      const result = ids.get(a + b);
      if (left === undefined || right === undefined || result === undefined) {
        const missing = [a, b, a + b].filter((t) => !ids.has(t));
        throw new Error(`${where}: ${missing.map((t) => JSON.stringify(t)).join(', ')} not in the vocabulary`);
      }
      if (seenSpecial.has(a) || seenSpecial.has(b) || seenSpecial.has(a + b)) {
        throw new Error(`${where}: involves a special token`);
      }
      const key = left * PAIR_SHIFT + right;
      const previous = mergeRank.get(key);
      if (previous !== undefined) throw new Error(`${where}: same pair as rule ${previous}`);
      mergeRank.set(key, rank);
      mergeLeft[rank] = left;
      mergeRight[rank] = right;
      mergeResult[rank] = result;
    });

    this.vocab = Object.freeze(all);
    this.merges = Object.freeze(merges.map(([a, b]) => Object.freeze([a, b] as const)));
    this.specialTokens = Object.freeze(specialTokens);
    this.specialPattern = specialTokenPattern(specialTokens);
    this.ids = ids;
    this.specialIdSet = new Set(specialTokens.map((t) => ids.get(t) as number));
    this.byteIds = byteIds;
    this.mergeRank = mergeRank;
    this.mergeLeft = mergeLeft;
    this.mergeRight = mergeRight;
    this.mergeResult = mergeResult;
    this.tokenBytes = tokenBytes;
  }

  /** Parse vocab.json (token -> id, ids exactly 0..n-1) and merges.txt text. */
  static fromStrings(vocabJson: string, mergesTxt: string, options: ByteLevelBPEOptions = {}): ByteLevelBPE {
    return new ByteLevelBPE(parseVocabJson(vocabJson), parseMergesTxt(mergesTxt), options);
  }

  /** Read vocab.json and merges.txt files. Errors name the paths. */
  static fromFiles(vocabJsonPath: string, mergesTxtPath: string, options: ByteLevelBPEOptions = {}): ByteLevelBPE {
    const read = (path: string): string => {
      try {
        return readFileSync(path, 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${path}: ${(err as Error).message}`);
      }
    };
    const vocabText = read(vocabJsonPath);
    const mergesText = read(mergesTxtPath);
    let vocab: string[];
    let merges: BpeMerge[];
    try {
      vocab = parseVocabJson(vocabText);
    } catch (err) {
      throw new Error(`${vocabJsonPath}: ${(err as Error).message}`);
    }
    try {
      merges = parseMergesTxt(mergesText);
    } catch (err) {
      throw new Error(`${mergesTxtPath}: ${(err as Error).message}`);
    }
    try {
      return new ByteLevelBPE(vocab, merges, options);
    } catch (err) {
      throw new Error(`${vocabJsonPath} + ${mergesTxtPath}: ${(err as Error).message}`);
    }
  }

  /** vocab.json (one-line JSON object in id order) and merges.txt ("#version: 0.2", then one pair per line). */
  toStrings(): ByteLevelBPEStrings {
    // Built by hand: a JS object would list integer-like keys ("0", "12") first instead of in id order.
    const vocabJson = `{${this.vocab.map((t, id) => `${JSON.stringify(t)}:${id}`).join(',')}}`;
    const mergesTxt = `${MERGES_HEADER}\n${this.merges.map(([a, b]) => `${a} ${b}\n`).join('')}`;
    return { vocabJson, mergesTxt };
  }

  /** Write `dir`/vocab.json and `dir`/merges.txt (creating `dir`); returns the two paths. */
  toFiles(dir: string): { vocabJsonPath: string; mergesTxtPath: string } {
    const { vocabJson, mergesTxt } = this.toStrings();
    mkdirSync(dir, { recursive: true });
    const vocabJsonPath = join(dir, 'vocab.json');
    const mergesTxtPath = join(dir, 'merges.txt');
    writeFileSync(vocabJsonPath, vocabJson);
    writeFileSync(mergesTxtPath, mergesTxt);
    return { vocabJsonPath, mergesTxtPath };
  }

  get vocabSize(): number {
    return this.vocab.length;
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

  /** true for the ids of the special tokens. */
  isSpecial(id: number): boolean {
    return this.specialIdSet.has(id);
  }

  /** Tokenise `text`. No special tokens are added. */
  encode(text: string, options: ByteLevelEncodeOptions = {}): ByteLevelEncoding {
    const ids: number[] = [];
    const encodeText = (part: string): void => {
      if (part.length === 0) return;
      forEachPreToken(part, (piece) => {
        const pieceIds = this.pieceIds(piece);
        for (let k = 0; k < pieceIds.length; k++) ids.push(pieceIds[k]);
      });
    };
    if (options.specialTokens ?? true) {
      splitOnSpecialTokens(text, this.specialPattern, encodeText, (token) => ids.push(this.ids.get(token) as number));
    } else {
      encodeText(text);
    }
    return { ids, tokens: ids.map((id) => this.vocab[id]) };
  }

  /** {@link encode} plus the character offsets of every token in `text` (same ids and tokens). */
  encodeWithOffsets(text: string, options: ByteLevelEncodeOptions = {}): ByteLevelEncodingWithOffsets {
    const ids: number[] = [];
    const offsets: [number, number][] = [];
    let base = 0; // offset in `text` of the part being encoded
    const encodeText = (part: string): void => {
      forEachPreToken(part, (piece, at) => {
        // Character span of each UTF-8 byte of the piece.
        const byteStart: number[] = [];
        const byteEnd: number[] = [];
        for (let i = 0; i < piece.length; ) {
          const cp = piece.codePointAt(i) as number;
          const width = cp > 0xffff ? 2 : 1;
          const nBytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
          for (let k = 0; k < nBytes; k++) {
            byteStart.push(base + at + i);
            byteEnd.push(base + at + i + width);
          }
          i += width;
        }
        let b = 0;
        for (const id of this.pieceIds(piece)) {
          const n = this.tokenBytes[id].length;
          ids.push(id);
          offsets.push([byteStart[b], byteEnd[b + n - 1]]);
          b += n;
        }
      });
      base += part.length;
    };
    if (options.specialTokens ?? true) {
      splitOnSpecialTokens(text, this.specialPattern, encodeText, (token) => {
        ids.push(this.ids.get(token) as number);
        offsets.push([base, base + token.length]);
        base += token.length;
      });
    } else {
      encodeText(text);
    }
    return { ids, tokens: ids.map((id) => this.vocab[id]), offsets };
  }

  /** Ids back to text: the tokens' bytes, UTF-8 decoded (U+FFFD for invalid sequences); special tokens verbatim. */
  decode(ids: readonly number[], options: ByteLevelDecodeOptions = {}): string {
    let out = '';
    let buffer = new Uint8Array(256);
    let used = 0;
    const flush = (): void => {
      if (used === 0) return;
      out += utf8Decode(buffer.subarray(0, used));
      used = 0;
    };
    for (const id of ids) {
      const token = this.tokenOf(id);
      if (this.specialIdSet.has(id)) {
        if (options.skipSpecial) continue;
        flush();
        out += token;
        continue;
      }
      const bytes = this.tokenBytes[id];
      if (used + bytes.length > buffer.length) {
        const grown = new Uint8Array(Math.max(2 * buffer.length, used + bytes.length));
        grown.set(buffer.subarray(0, used));
        buffer = grown;
      }
      buffer.set(bytes, used);
      used += bytes.length;
    }
    flush();
    return out;
  }

  /** Ids of one pre-token (cached). */
  private pieceIds(piece: string): readonly number[] {
    const cached = this.cache.get(piece);
    if (cached !== undefined) return cached;
    const bytes = utf8Encoder.encode(piece);
    const symbols = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      const id = this.byteIds[bytes[i]];
      if (id < 0) {
        const ch = bytesToUnicode()[bytes[i]];
        throw new Error(
          `ByteLevelBPE: byte 0x${bytes[i].toString(16).padStart(2, '0')} (symbol ${JSON.stringify(ch)}) of ${JSON.stringify(piece)} is not in the vocabulary`,
        );
      }
      symbols[i] = id;
    }
    const result = this.applyMerges(symbols);
    if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
    this.cache.set(piece, result);
    return result;
  }

  /** Upstream `bpe` on a sequence of token ids (see the file header). Mutates `sym`. */
  private applyMerges(sym: Int32Array): number[] {
    const n = sym.length;
    if (n < 2 || this.mergeRank.size === 0) return Array.from(sym);
    // Heap entries pack (rank, position) as rank * 2^shift + position; division by a power of two is exact.
    const shift = 2 ** Math.ceil(Math.log2(n + 1));
    if (this.merges.length * shift > Number.MAX_SAFE_INTEGER) throw new Error(`ByteLevelBPE: pre-token of ${n} bytes is too long`);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new NumberMinHeap();
    const pushPair = (pos: number): void => {
      const q = next[pos];
      if (q < 0) return;
      const rank = this.mergeRank.get(sym[pos] * PAIR_SHIFT + sym[q]);
      if (rank !== undefined) heap.push(rank * shift + pos);
    };
    for (let i = 0; i + 1 < n; i++) pushPair(i);
    const merged: number[] = [];
    while (heap.size > 0) {
      const rank = Math.floor(heap.peek() / shift);
      const end = (rank + 1) * shift;
      const left = this.mergeLeft[rank];
      const right = this.mergeRight[rank];
      const result = this.mergeResult[rank];
      merged.length = 0;
      // Every occurrence of this pair, left to right; entries whose pair has since changed are skipped.
      while (heap.size > 0 && heap.peek() < end) {
        const pos = heap.pop() - rank * shift;
        const q = next[pos];
        if (sym[pos] !== left || q < 0 || sym[q] !== right) continue;
        sym[pos] = result;
        sym[q] = -1;
        const after = next[q];
        next[pos] = after;
        if (after >= 0) prev[after] = pos;
        merged.push(pos);
      }
      // Only now the pairs this batch created (a merged token differs from both its parts, so none of them
      // can be the pair just merged, and no merged position was consumed later in the batch).
      for (const pos of merged) {
        if (prev[pos] >= 0) pushPair(prev[pos]);
        pushPair(pos);
      }
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(sym[i]);
    return out;
  }
}

const utf8Encoder = new TextEncoder();

/** Parse vocab.json text into tokens by id. */
export function parseVocabJson(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`vocab.json is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('vocab.json must be a JSON object mapping tokens to ids');
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  const vocab: string[] = new Array(entries.length);
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length) {
      throw new Error(
        `vocab.json: id of ${JSON.stringify(token)} is ${JSON.stringify(id)}; ids must be the integers 0..${entries.length - 1}`,
      );
    }
    if (vocab[id] !== undefined) {
      throw new Error(`vocab.json: id ${id} is given to both ${JSON.stringify(vocab[id])} and ${JSON.stringify(token)}`);
    }
    vocab[id] = token;
  }
  return vocab;
}

/** Parse merges.txt text: an optional "#version" first line, then "left right" per line (blank lines skipped). */
export function parseMergesTxt(text: string): BpeMerge[] {
  const lines = text.split('\n');
  const merges: BpeMerge[] = [];
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (i === 0 && line.startsWith('#version')) return;
    if (line.length === 0) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new Error(`merges.txt line ${i + 1}: want "left right", got ${JSON.stringify(line)}`);
    }
    merges.push([parts[0], parts[1]]);
  });
  return merges;
}

/**
 * BERT's "basic" tokenizer: text cleaning, optional lower-casing and accent stripping, splitting on whitespace and
 * punctuation, and spaces around CJK ideographs.
 *
 * Reference: google-research/bert `tokenization.py` (`BasicTokenizer`, `_is_whitespace`, `_is_control`,
 * `_is_punctuation`, `_is_chinese_char`), https://github.com/google-research/bert/blob/master/tokenization.py
 *
 * Order of operations, as upstream: clean text -> spaces around CJK ideographs -> split on whitespace ->
 * (lower-case -> strip accents) per word -> split each word on punctuation.
 *
 * One deliberate widening: U+2028/U+2029 (categories Zl/Zp) separate words. Upstream they survive cleaning but
 * Python's `str.split()` (used by `whitespace_tokenize`) splits on them anyway, so the result is the same.
 */

/** Options of {@link BasicTokenizer}. */
export interface BasicTokenizerOptions {
  /** Lower-case every word (BERT "uncased"). Default true. */
  readonly lowerCase?: boolean;
  /** Strip accents (NFD, then drop combining marks, category Mn). Default: the value of `lowerCase`. */
  readonly stripAccents?: boolean;
  /** Put spaces around CJK ideographs so that each becomes one word. Default true. */
  readonly tokenizeCjk?: boolean;
}

const P_RE = /\p{P}/u;
const C_RE = /\p{C}/u;
const ZS_RE = /\p{Zs}/u;
const MN_RE = /\p{Mn}/gu;

/** BERT whitespace: space, tab, newline, carriage return, or Unicode category Zs (plus Zl/Zp, see file header). */
export function isBertWhitespace(cp: number): boolean {
  if (cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d) return true;
  if (cp < 0x80) return false;
  if (cp === 0x2028 || cp === 0x2029) return true;
  return ZS_RE.test(String.fromCodePoint(cp));
}

/** BERT control character: any Unicode category C* except tab, newline and carriage return (which are whitespace). */
export function isBertControl(cp: number): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false;
  if (cp < 0x20 || cp === 0x7f) return true;
  if (cp < 0x80) return false;
  return C_RE.test(String.fromCodePoint(cp));
}

/**
 * BERT punctuation: the ASCII symbol ranges 33-47, 58-64, 91-96, 123-126 (so "$", "^", "`", "+" ... count, as
 * upstream), or any Unicode category P*.
 */
export function isBertPunctuation(cp: number): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
    return true;
  }
  if (cp < 0x80) return false;
  return P_RE.test(String.fromCodePoint(cp));
}

/** The CJK Unified Ideographs blocks BERT treats as single-character words (upstream `_is_chinese_char`). */
export function isCjkIdeograph(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Character classes of the cleaning pass, cached for code points below 0x3000 (covers Latin, Greek, Cyrillic...). */
const KEEP = 0;
const DROP = 1;
const SPACE = 2;
const CJK = 3;
type CharClass = typeof KEEP | typeof DROP | typeof SPACE | typeof CJK;

function classify(cp: number): CharClass {
  if (cp === 0 || cp === 0xfffd || isBertControl(cp)) return DROP;
  if (isBertWhitespace(cp)) return SPACE;
  if (isCjkIdeograph(cp)) return CJK;
  return KEEP;
}

const CLASS_CACHE_SIZE = 0x3000;
let classCache: Uint8Array | undefined;
let punctCache: Uint8Array | undefined;

function classCacheTable(): Uint8Array {
  if (classCache === undefined) {
    const table = new Uint8Array(CLASS_CACHE_SIZE);
    for (let cp = 0; cp < CLASS_CACHE_SIZE; cp++) table[cp] = classify(cp);
    classCache = table;
  }
  return classCache;
}

function punctCacheTable(): Uint8Array {
  if (punctCache === undefined) {
    const table = new Uint8Array(CLASS_CACHE_SIZE);
    for (let cp = 0; cp < CLASS_CACHE_SIZE; cp++) table[cp] = isBertPunctuation(cp) ? 1 : 0;
    punctCache = table;
  }
  return punctCache;
}

/** Drop combining marks after canonical decomposition ("café" -> "cafe"). ASCII input is returned unchanged. */
export function stripAccents(word: string): string {
  let ascii = true;
  for (let i = 0; i < word.length; i++) {
    if (word.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return word;
  return word.normalize('NFD').replace(MN_RE, '');
}

/** BERT's basic tokenizer. Pure and stateless apart from its options; safe to share. */
export class BasicTokenizer {
  readonly lowerCase: boolean;
  readonly stripAccents: boolean;
  readonly tokenizeCjk: boolean;

  constructor(options: BasicTokenizerOptions = {}) {
    this.lowerCase = options.lowerCase ?? true;
    this.stripAccents = options.stripAccents ?? this.lowerCase;
    this.tokenizeCjk = options.tokenizeCjk ?? true;
  }

  /** Split `text` into words and punctuation marks, e.g. "Hello, World!" -> ["hello", ",", "world", "!"]. */
  tokenize(text: string): string[] {
    const out: string[] = [];
    this.forEachWord(text, (w) => {
      out.push(w);
    });
    return out;
  }

  /** Streaming form of {@link tokenize}: calls `emit` once per output word, in order, without building an array. */
  forEachWord(text: string, emit: (word: string) => void): void {
    const classes = classCacheTable();
    let word = '';
    const flush = (): void => {
      if (word.length > 0) {
        this.splitWord(word, emit);
        word = '';
      }
    };
    const n = text.length;
    let runStart = -1; // start of a run of Keep characters not yet appended to `word`
    for (let i = 0; i < n; ) {
      const cp = text.codePointAt(i) as number;
      const width = cp > 0xffff ? 2 : 1;
      const cls = cp < CLASS_CACHE_SIZE ? (classes[cp] as CharClass) : classify(cp);
      if (cls === KEEP || (cls === CJK && !this.tokenizeCjk)) {
        if (runStart < 0) runStart = i;
      } else {
        if (runStart >= 0) {
          word += text.slice(runStart, i);
          runStart = -1;
        }
        if (cls === SPACE) {
          flush();
        } else if (cls === CJK) {
          flush();
          emit(String.fromCodePoint(cp));
        }
        // DROP: removed without separating words (upstream `_clean_text`).
      }
      i += width;
    }
    if (runStart >= 0) word += text.slice(runStart);
    flush();
  }

  /**
   * {@link forEachWord} with character offsets: `emit(word, starts, ends)` gets, for each UTF-16 code unit of the
   * output word, the offsets in `text` (end exclusive) of the original character it came from, so
   * `text.slice(starts[a], ends[b - 1])` is the original surface of `word.slice(a, b)`. The words are exactly
   * those of `forEachWord`. Characters are normalised one at a time to find where each output unit came from;
   * in the rare case where that differs from normalising the whole word (Greek final sigma), every unit of the
   * word gets the span of the whole whitespace-delimited word.
   */
  forEachWordWithOffsets(text: string, emit: (word: string, starts: readonly number[], ends: readonly number[]) => void): void {
    const classes = classCacheTable();
    let chars: string[] = []; // code points of the current whitespace-delimited word (dropped characters removed)
    let at: number[] = []; // their offsets in `text`
    const flush = (): void => {
      if (chars.length === 0) return;
      const raw = chars.join('');
      const word = this.normalize(raw);
      const starts: number[] = [];
      const ends: number[] = [];
      let perChar = '';
      for (let k = 0; k < chars.length; k++) {
        const piece = this.normalize(chars[k]);
        perChar += piece;
        for (let u = 0; u < piece.length; u++) {
          starts.push(at[k]);
          ends.push(at[k] + chars[k].length);
        }
      }
      if (perChar !== word) {
        const first = at[0];
        const last = at[at.length - 1] + chars[chars.length - 1].length;
        starts.length = 0;
        ends.length = 0;
        for (let u = 0; u < word.length; u++) {
          starts.push(first);
          ends.push(last);
        }
      }
      this.splitNormalized(word, (from, to) => emit(word.slice(from, to), starts.slice(from, to), ends.slice(from, to)));
      chars = [];
      at = [];
    };
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i) as number;
      const width = cp > 0xffff ? 2 : 1;
      const cls = cp < CLASS_CACHE_SIZE ? (classes[cp] as CharClass) : classify(cp);
      if (cls === KEEP || (cls === CJK && !this.tokenizeCjk)) {
        chars.push(text.slice(i, i + width));
        at.push(i);
      } else if (cls === SPACE) {
        flush();
      } else if (cls === CJK) {
        flush();
        emit(String.fromCodePoint(cp), [i], [i + width]);
      }
      i += width;
    }
    flush();
  }

  /** Lower-casing and accent stripping of one whitespace-delimited word, as configured. */
  private normalize(raw: string): string {
    let word = raw;
    if (this.lowerCase) word = word.toLowerCase();
    if (this.stripAccents) word = stripAccents(word);
    return word;
  }

  /** Lower-case / strip accents one whitespace-delimited word, then split it on punctuation. */
  private splitWord(raw: string, emit: (word: string) => void): void {
    const word = this.normalize(raw);
    this.splitNormalized(word, (from, to) => emit(word.slice(from, to)));
  }

  /** Splits a normalised word on punctuation: `emit(from, to)` for each piece (punctuation marks alone). */
  private splitNormalized(word: string, emit: (from: number, to: number) => void): void {
    const punct = punctCacheTable();
    let start = 0;
    const n = word.length;
    for (let i = 0; i < n; ) {
      const cp = word.codePointAt(i) as number;
      const width = cp > 0xffff ? 2 : 1;
      const isPunct = cp < CLASS_CACHE_SIZE ? punct[cp] === 1 : isBertPunctuation(cp);
      if (isPunct) {
        if (i > start) emit(start, i);
        emit(i, i + width);
        start = i + width;
      }
      i += width;
    }
    if (start < n) emit(start, n);
  }
}

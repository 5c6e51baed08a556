/**
 * GPT-2's byte-level pre-tokenisation: the reversible byte -> printable-character table and the regex that splits
 * text into pre-tokens (words with their leading space, numbers, punctuation runs, whitespace runs).
 *
 * Reference: Radford et al., "Language Models are Unsupervised Multitask Learners" (OpenAI 2019), section 2.2;
 * openai/gpt-2 `src/encoder.py` (`bytes_to_unicode`, the `pat` regex in `Encoder.__init__`),
 * https://github.com/openai/gpt-2/blob/master/src/encoder.py ; Hugging Face tokenizers
 * `pre_tokenizers/byte_level.rs` (the same table and regex).
 *
 * Byte table (upstream `bytes_to_unicode`): the 188 printable bytes '!'..'~', '¡'..'¬', '®'..'ÿ' map to the
 * character with the same code point; the other 68 bytes (controls, space, DEL, 0x80-0xA0, soft hyphen) map, in
 * increasing byte order, to U+0100, U+0101, ... (so space 0x20 -> 'Ġ' U+0120, '\n' 0x0A -> 'Ċ' U+010A). The table
 * order (upstream's dict order: printable bytes first, then the others) is also the order of the mapped characters
 * by code point, and is the order of GPT-2's first 256 vocabulary ids.
 *
 * Regex (upstream):
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * Upstream runs it with Python's `regex` module, whose `\s` is Unicode White_Space; JavaScript's `\s` differs
 * (it adds U+FEFF and lacks U+0085), so `\s` is written `\p{White_Space}` here. Contractions are case-sensitive
 * ASCII-apostrophe only, as upstream. Note the upstream quirk kept here: a whitespace run followed by a word gives up
 * its last character to the word (" ?\p{L}+" takes one leading space), so "a\n\nb" splits as "a", "\n", "\n", "b".
 */

const PRINTABLE_RANGES: readonly (readonly [number, number])[] = [
  [0x21, 0x7e], // '!'..'~'
  [0xa1, 0xac], // '¡'..'¬'
  [0xae, 0xff], // '®'..'ÿ'
];

/** Source of the GPT-2 pre-tokenisation regex (use with the "gu" flags). */
export const GPT2_SPLIT_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+" +
  '|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+';

let byteToChar: readonly string[] | undefined;
let charToByte: ReadonlyMap<string, number> | undefined;
let tableOrder: readonly number[] | undefined;

function buildTables(): void {
  const order: number[] = [];
  for (const [lo, hi] of PRINTABLE_RANGES) for (let b = lo; b <= hi; b++) order.push(b);
  const printable = new Set(order);
  const chars: string[] = new Array(256);
  for (const b of order) chars[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (printable.has(b)) continue;
    chars[b] = String.fromCharCode(256 + n);
    n++;
    order.push(b);
  }
  byteToChar = Object.freeze(chars);
  charToByte = new Map(chars.map((ch, b) => [ch, b]));
  tableOrder = Object.freeze(order);
}

/** GPT-2's byte -> character table: element `b` is the one-character string that stands for byte `b`. */
export function bytesToUnicode(): readonly string[] {
  if (byteToChar === undefined) buildTables();
  return byteToChar as readonly string[];
}

/** Inverse of {@link bytesToUnicode}: character -> byte. */
export function unicodeToBytes(): ReadonlyMap<string, number> {
  if (charToByte === undefined) buildTables();
  return charToByte as ReadonlyMap<string, number>;
}

/** The 256 bytes in upstream table order (printable bytes first, then the others in increasing order). */
export function byteTableOrder(): readonly number[] {
  if (tableOrder === undefined) buildTables();
  return tableOrder as readonly number[];
}

const utf8Encoder = new TextEncoder();

/** UTF-8 encode `text` and spell each byte with its table character ("hé wó" -> "hÃ©ĠwÃ³"). */
export function toByteSymbols(text: string): string {
  const table = bytesToUnicode();
  const bytes = utf8Encoder.encode(text);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += table[bytes[i]];
  return out;
}

/** Bytes spelled by byte-level symbols; throws on a character that is not in the table. */
export function byteSymbolsToBytes(symbols: string): Uint8Array {
  const inverse = unicodeToBytes();
  const out = new Uint8Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) {
    const b = inverse.get(symbols[i]);
    if (b === undefined) {
      throw new Error(`${JSON.stringify(symbols[i])} (U+${symbols.charCodeAt(i).toString(16).toUpperCase()}) is not a byte-level symbol`);
    }
    out[i] = b;
  }
  return out;
}

/** Inverse of {@link toByteSymbols}; invalid UTF-8 becomes U+FFFD (upstream decodes with errors="replace"). */
export function fromByteSymbols(symbols: string): string {
  return utf8Decode(byteSymbolsToBytes(symbols));
}

/**
 * UTF-8 decode with U+FFFD for invalid sequences. `ignoreBOM` keeps a leading U+FEFF (TextDecoder would drop it
 * otherwise, breaking the round trip of text that starts with one).
 */
export function utf8Decode(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
}

/** Split `text` into GPT-2 pre-tokens (their concatenation is `text`). */
export function gpt2PreTokenize(text: string): string[] {
  const out: string[] = [];
  forEachPreToken(text, (piece) => out.push(piece));
  return out;
}

/** Call `fn` on each GPT-2 pre-token of `text`, in order, with its UTF-16 offset in `text`. */
export function forEachPreToken(text: string, fn: (piece: string, start: number) => void): void {
  // A fresh RegExp per call: a shared global regex would carry lastIndex across (re-entrant) calls.
  const re = new RegExp(GPT2_SPLIT_PATTERN, 'gu');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) fn(m[0], m.index);
}

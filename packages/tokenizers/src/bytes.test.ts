import { describe, expect, it } from 'vitest';
import {
  byteSymbolsToBytes,
  byteTableOrder,
  bytesToUnicode,
  fromByteSymbols,
  gpt2PreTokenize,
  toByteSymbols,
  unicodeToBytes,
} from './bytes';

describe('GPT-2 byte table', () => {
  const table = bytesToUnicode();
  const inverse = unicodeToBytes();

  it('has 256 one-character entries and is a bijection with its inverse', () => {
    expect(table.length).toBe(256);
    expect(new Set(table).size).toBe(256);
    expect(inverse.size).toBe(256);
    table.forEach((ch, b) => {
      expect(ch.length).toBe(1);
      expect(inverse.get(ch)).toBe(b);
    });
  });

  it('keeps the 188 printable bytes and moves the other 68 to U+0100.. in byte order', () => {
    const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    let shifted = 0;
    for (let b = 0; b < 256; b++) {
      if (printable(b)) expect(table[b]).toBe(String.fromCharCode(b));
      else expect(table[b]).toBe(String.fromCharCode(256 + shifted++));
    }
    expect(shifted).toBe(68);
    expect(table[0x20]).toBe('Ġ'); // space
    expect(table[0x0a]).toBe('Ċ'); // newline
    expect(table[0x00]).toBe('Ā');
    expect(table[0x7f]).toBe('ġ'); // DEL, right after the 33 bytes 0x00..0x20
    expect(table[0xad]).toBe('Ń'); // soft hyphen, the last one
    // No mapped character is whitespace (merges.txt separates tokens with a space).
    for (const ch of table) expect(/\s/u.test(ch)).toBe(false);
  });

  it('orders bytes as upstream: printable first; that is code-point order and GPT-2 id order', () => {
    const order = byteTableOrder();
    expect(order.length).toBe(256);
    expect(new Set(order).size).toBe(256);
    expect(order.slice(0, 3)).toEqual([0x21, 0x22, 0x23]);
    expect(order[188]).toBe(0x00);
    // GPT-2's vocab.json: "Ċ" (newline) is id 198, "Ġ" (space) is id 220.
    expect(order.indexOf(0x0a)).toBe(198);
    expect(order.indexOf(0x20)).toBe(220);
    const chars = order.map((b) => table[b]);
    expect(chars).toEqual([...chars].sort());
  });

  it('spells text as byte symbols and back', () => {
    expect(toByteSymbols('hé wó')).toBe('hÃ©ĠwÃ³');
    expect(toByteSymbols('\n')).toBe('Ċ');
    expect([...byteSymbolsToBytes('hÃ©')]).toEqual([0x68, 0xc3, 0xa9]);
    for (const text of ['plain', 'naïve café', '東京', '🙂👩‍👩‍👧', '\uFEFFbom', ' \t\r\n ', '']) {
      expect(fromByteSymbols(toByteSymbols(text))).toBe(text);
    }
    expect(fromByteSymbols('Ã')).toBe('\uFFFD'); // half a character: replacement, as errors="replace"
    expect(() => byteSymbolsToBytes('Ġ中')).toThrow(/not a byte-level symbol/);
  });
});

describe('GPT-2 pre-tokenisation', () => {
  it('splits a sentence as the upstream regex does', () => {
    expect(gpt2PreTokenize("Hello world! It's 2024, isn't   it?\n\nYes  ")).toEqual([
      'Hello',
      ' world',
      '!',
      ' It',
      "'s",
      ' 2024',
      ',',
      ' isn',
      "'t",
      '  ', // a space run gives its last space to the next word
      ' it',
      '?',
      '\n', // likewise "\n\n" before a word: "\n" + "\n" (the second is not followed by whitespace)
      '\n',
      'Yes',
      '  ', // trailing whitespace stays together
    ]);
  });

  it('handles contractions, numbers, punctuation runs and other scripts', () => {
    expect(gpt2PreTokenize("I'm we'll they'd you've THEY'RE 'll")).toEqual([
      'I',
      "'m",
      ' we',
      "'ll",
      ' they',
      "'d",
      ' you',
      "'ve",
      ' THEY', // contractions are lower-case only
      "'",
      'RE',
      " '", // a space before a contraction joins the punctuation run
      'll',
    ]);
    expect(gpt2PreTokenize('abc123def 3.14 -- $5...')).toEqual(['abc', '123', 'def', ' 3', '.', '14', ' --', ' $', '5', '...']);
    expect(gpt2PreTokenize('naïve café 東京 🙂! x')).toEqual(['naïve', ' café', ' 東京', ' 🙂!', ' x']);
    expect(gpt2PreTokenize('a \t b')).toEqual(['a', ' \t', ' b']);
    expect(gpt2PreTokenize('a\u00a0b\r\nc')).toEqual(['a', '\u00a0', 'b', '\r', '\n', 'c']);
    expect(gpt2PreTokenize('')).toEqual([]);
  });

  it('covers the text exactly', () => {
    const text = "  Leading spaces, 'quotes', émojis 👍🏽 and\ttabs\n\n\n  end. 数字１２３ \u2028x\uFEFF ";
    expect(gpt2PreTokenize(text).join('')).toBe(text);
  });
});

import { describe, expect, it } from 'vitest';
import { finite, markdownTable, meanOf, num } from './format';

describe('num', () => {
  it('shows about four significant digits, exponents only outside [1e-3, 1e7)', () => {
    expect(num(0.123456)).toBe('0.1235');
    expect(num(-2.5)).toBe('-2.5');
    expect(num(12345.6)).toBe('12346'); // >= 10^4: rounded to an integer
    expect(num(0.0001234)).toBe('1.23e-4');
    expect(num(12345678)).toBe('1.23e+7');
    expect(num(0)).toBe('0');
    expect(num(1.23456, 2)).toBe('1.2');
  });

  it('is n/a for missing and non-finite values', () => {
    expect(num(undefined)).toBe('n/a');
    expect(num(Number.NaN)).toBe('n/a');
    expect(num(Number.POSITIVE_INFINITY)).toBe('n/a');
  });
});

describe('finite and meanOf', () => {
  it('ignore missing and non-finite values', () => {
    expect(finite([1, undefined, null, Number.NaN, 3, Number.NEGATIVE_INFINITY])).toEqual([1, 3]);
    expect(meanOf([1, undefined, null, Number.NaN, 3])).toBe(2); // (1 + 3) / 2
    expect(meanOf([undefined, Number.NaN])).toBeUndefined();
  });
});

describe('markdownTable', () => {
  it('writes a header, a separator row and one line per row', () => {
    expect(
      markdownTable(
        ['a', 'b'],
        [
          ['1', '2'],
          ['3', '4'],
        ],
      ),
    ).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |');
  });
});

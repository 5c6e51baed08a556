/** Number and table formatting shared by the Markdown report, the HTML report and `compare`. */
import { meanStd } from '@ssbench/core';

/** A number with about four significant digits, without exponent between 1e-3 and 1e7. */
export function num(x: number | undefined, digits = 4): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a < 1e-3 || a >= 1e7) return x.toExponential(2);
  if (a >= 10 ** digits) return Math.round(x).toString();
  return Number(x.toPrecision(digits)).toString();
}

/** The finite numbers among the values. */
export function finite(values: readonly (number | undefined | null)[]): number[] {
  return values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
}

/** Mean of the finite values, or undefined. */
export function meanOf(values: readonly (number | undefined | null)[]): number | undefined {
  const v = finite(values);
  return v.length ? meanStd(v).mean : undefined;
}

/** A Markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

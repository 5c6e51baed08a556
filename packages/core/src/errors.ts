/**
 * SsbenchError: the one error type a user is meant to read.
 *
 * A config, data or plugin problem stops the run with a message that says where (file, JSON pointer, line)
 * and what was expected, so the user can fix it without reading a stack trace. The CLI prints `format()`
 * and exits with `exitCode`.
 */
import { distance } from 'fastest-levenshtein';

export type SsbenchErrorCode = 'config' | 'data' | 'plugin' | 'backend' | 'internal';

/**
 * Process exit codes by error code: 2 for problems the user fixes in their inputs (config, data, plugins),
 * 3 for a backend failing at run time, 1 for bugs in ssbench itself.
 */
export const EXIT_CODES: Readonly<Record<SsbenchErrorCode, number>> = Object.freeze({
  config: 2,
  data: 2,
  plugin: 2,
  backend: 3,
  internal: 1,
});

/** Where a problem is. All fields optional; `format` prints whichever are known. */
export interface ErrorLocation {
  /** File path as the user wrote or would recognise it (relative paths are fine). */
  file?: string;
  /** JSON pointer (RFC 6901) into the file's document, e.g. `/models/0/options/hidden`. */
  pointer?: string;
  /** 1-based line. */
  line?: number;
  /** 1-based column. */
  column?: number;
}

/** One problem among several reported together (e.g. every schema violation of a config). */
export interface ErrorIssue extends ErrorLocation {
  message: string;
}

export interface SsbenchErrorOptions extends ErrorLocation {
  /** Individual problems; `format` prints one line each under the summary. */
  issues?: readonly ErrorIssue[];
  /** A suggestion printed after the message, e.g. `did you mean "lr"?`. */
  hint?: string;
  cause?: unknown;
}

/** `file:line:column: /pointer: message` with the parts that are known. */
export function formatLocation(loc: ErrorLocation): string {
  let where = '';
  if (loc.file !== undefined) {
    where = loc.file;
    if (loc.line !== undefined) {
      where += `:${loc.line}`;
      if (loc.column !== undefined) where += `:${loc.column}`;
    }
  } else if (loc.line !== undefined) {
    where = `line ${loc.line}` + (loc.column !== undefined ? `, column ${loc.column}` : '');
  }
  const parts: string[] = [];
  if (where !== '') parts.push(where);
  // An empty pointer is the document root: print it as "/" so the reader sees it is a location.
  if (loc.pointer !== undefined) parts.push(loc.pointer === '' ? '/' : loc.pointer);
  return parts.join(': ');
}

function formatIssue(issue: ErrorIssue, file: string | undefined): string {
  const loc = formatLocation({ ...issue, file: issue.file ?? file });
  return loc === '' ? issue.message : `${loc}: ${issue.message}`;
}

/**
 * The location fields (`file`, `pointer`, `line`, `column`) and `hint` may be filled in after construction by
 * a caller that knows more (e.g. the runner adds the config file and pointer to a registry error with
 * `err.file ??= file`); `message` always reflects them, since it is `format()`.
 */
export class SsbenchError extends Error {
  override readonly name = 'SsbenchError';
  readonly code: SsbenchErrorCode;
  readonly exitCode: number;
  /** The message without location or issues (`message` is the full `format()` text). */
  readonly reason: string;
  file?: string;
  pointer?: string;
  line?: number;
  column?: number;
  readonly issues: readonly ErrorIssue[];
  hint?: string;

  constructor(code: SsbenchErrorCode, reason: string, options: SsbenchErrorOptions = {}) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = EXIT_CODES[code];
    this.reason = reason;
    if (options.file !== undefined) this.file = options.file;
    if (options.pointer !== undefined) this.pointer = options.pointer;
    if (options.line !== undefined) this.line = options.line;
    if (options.column !== undefined) this.column = options.column;
    if (options.hint !== undefined) this.hint = options.hint;
    this.issues = Object.freeze([...(options.issues ?? [])]);
    // The message users see (uncaught, or logged) is the formatted one, kept current as fields are filled in.
    // (Assigning `message` replaces it with the assigned text, as on a plain Error.)
    Object.defineProperty(this, 'message', {
      get: () => this.format(),
      set: (text: string) => {
        Object.defineProperty(this, 'message', { value: text, writable: true, enumerable: false, configurable: true });
      },
      enumerable: false,
      configurable: true,
    });
    // The stack's first line was written by Error() before the fields were set: give it the full message.
    if (typeof this.stack === 'string') {
      const frames = this.stack.indexOf('\n    at ');
      this.stack = `${this.name}: ${this.format()}${frames >= 0 ? this.stack.slice(frames) : ''}`;
    }
  }

  /**
   * One readable message: `configs/x.json: /models/0/options/hidden: expected integer, got "128"`.
   * With issues, the summary line is followed by one indented line per issue, each with its location.
   */
  format(): string {
    const loc = formatLocation(this);
    let text = loc === '' ? this.reason : `${loc}: ${this.reason}`;
    if (this.hint !== undefined) text += ` (${this.hint})`;
    for (const issue of this.issues) text += `\n  ${formatIssue(issue, this.file)}`;
    return text;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      exitCode: this.exitCode,
      reason: this.reason,
      file: this.file,
      pointer: this.pointer,
      line: this.line,
      column: this.column,
      hint: this.hint,
      issues: this.issues,
    };
  }
}

/**
 * True for an SsbenchError, also one thrown by another copy of `@ssbench/core` (a plugin that bundled its
 * own), where `instanceof` would say no.
 */
export function isSsbenchError(value: unknown): value is SsbenchError {
  if (value instanceof SsbenchError) return true;
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; code?: unknown; exitCode?: unknown; format?: unknown };
  return (
    v.name === 'SsbenchError' &&
    typeof v.code === 'string' &&
    v.code in EXIT_CODES &&
    typeof v.exitCode === 'number' &&
    typeof v.format === 'function'
  );
}

/** RFC 6901 escaping of one pointer segment. */
export function escapePointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Builds a JSON pointer from segments: `jsonPointer(['models', 0, 'options'])` is `/models/0/options`. */
export function jsonPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${escapePointerSegment(s)}`).join('');
}

// ---- "did you mean" -----------------------------------------------------------------------------------

/** Lower case without `-`, `_`, spaces and dots, so `learning_rate` and `learningRate` compare equal. */
function normaliseName(s: string): string {
  return s.toLowerCase().replace(/[-_.\s]/g, '');
}

/** True when b is a with one pair of adjacent characters swapped ("gleu"/"gelu"): one typo, not two edits. */
function isTransposition(a: string, b: string): boolean {
  if (a.length !== b.length || a === b) return false;
  let i = 0;
  while (a[i] === b[i]) i++;
  return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

/**
 * Length of the longer of the two parts that differ once the common prefix and suffix are removed, so that
 * `@ssbench/model-gpt` is not "close" to `@ssbench/model-bert` only because their shared prefix is long.
 */
function differingLength(a: string, b: string): number {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let q = 0;
  while (q < a.length - p && q < b.length - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
  return Math.max(a.length, b.length) - p - q;
}

/**
 * Up to `max` candidates close to `input`, closest first: Levenshtein distance (fastest-levenshtein; a swap
 * of two adjacent characters counts as one edit) after normalising case and separators, within a third of the longer name's length and within half the length
 * of the part where the two differ (after their common prefix and suffix); a candidate that contains
 * the input (or is contained in it, 3+ characters) also counts, ranked after closer ones.
 */
export function closestMatches(input: string, candidates: Iterable<string>, max = 3): string[] {
  const ni = normaliseName(input);
  const scored: { name: string; score: number }[] = [];
  for (const name of new Set(candidates)) {
    if (name === input) continue;
    const nc = normaliseName(name);
    const limit = Math.max(1, Math.floor(Math.max(ni.length, nc.length) / 3));
    const d = isTransposition(ni, nc) ? 1 : distance(ni, nc);
    if (d <= limit && d <= Math.max(1, Math.floor(differingLength(ni, nc) / 2))) {
      scored.push({ name, score: d });
    } else if (Math.min(ni.length, nc.length) >= 3 && (nc.includes(ni) || ni.includes(nc))) {
      scored.push({ name, score: limit + Math.abs(nc.length - ni.length) });
    }
  }
  scored.sort((a, b) => a.score - b.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return scored.slice(0, max).map((s) => s.name);
}

/** `did you mean "a"?`, `did you mean "a" or "b"?`; undefined for no matches. */
export function didYouMean(matches: readonly string[]): string | undefined {
  if (matches.length === 0) return undefined;
  const q = matches.map((m) => JSON.stringify(m));
  const list = q.length === 1 ? q[0] : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
  return `did you mean ${list}?`;
}

/**
 * A reader of R's serialization format, as far as data sets need it: the vectors (logical, integer, double,
 * complex, character, raw, list), pairlists, symbols and attributes that make up data frames, factors and
 * named vectors. Written from R's own description of the format ("R Internals", section 1.8 "Serialization
 * Formats", and src/main/serialize.c): an item is a 32-bit flags word (SEXP type in the low byte, then the
 * "is object", "has attributes" and "has tag" bits, the general-purpose "levels" field above bit 12) followed by
 * the type's payload; vectors are a length and the elements; pairlist cells are [attributes] [tag] CAR CDR;
 * symbols are remembered in a reference table and later occurrences are REFSXP items pointing back at them.
 *
 * Only the XDR (big-endian) encoding is read, format versions 2 and 3. An `.rda`/`.RData` file is the
 * `RDX2\n`/`RDX3\n` magic followed by one serialized pairlist of (name, object); an `.rds` file is one
 * serialized object. Both are usually compressed (gzip, bzip2 or xz): this module only parses uncompressed bytes
 * (`rDataCompression` says which decompressor a file needs), so it has no dependency on a decompressor.
 *
 * Anything else (closures, environments, language objects, byte code, external pointers, S4 objects, ALTREP
 * objects other than compact sequences and wrappers) is refused with a data error that names the SEXP type and the
 * byte offset.
 */
import { SsbenchError } from '@ssbench/core';

/** R's NA_integer_ (and NA for logicals): the smallest 32-bit integer. */
export const R_NA_INTEGER = -2147483648;

export type RAttributes = ReadonlyMap<string, RValue>;

interface RVector<T extends string, D> {
  readonly type: T;
  readonly data: D;
  readonly attributes: RAttributes;
}

/**
 * A deserialized R object. NA: `R_NA_INTEGER` in integer and logical data, NaN in double data (R's NA_real_ and
 * NaN are not distinguished), null in character data.
 */
export type RValue =
  | { readonly type: 'null' }
  | { readonly type: 'symbol'; readonly name: string }
  /** 0 (FALSE), 1 (TRUE) or R_NA_INTEGER. */
  | RVector<'logical', Int32Array>
  | RVector<'integer', Int32Array>
  | RVector<'double', Float64Array>
  /** Interleaved real and imaginary parts: [re0, im0, re1, im1, ...]. */
  | RVector<'complex', Float64Array>
  | RVector<'character', (string | null)[]>
  | RVector<'raw', Uint8Array>
  | RVector<'list', RValue[]>
  | RVector<'pairlist', { tag: string | null; value: RValue }[]>;

/** Compression of an R data file, from its magic bytes ('none' for an uncompressed serialization). */
export type RCompression = 'gzip' | 'bzip2' | 'xz' | 'none';

export function rDataCompression(bytes: Uint8Array): RCompression {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  if (bytes.length >= 3 && bytes[0] === 0x42 && bytes[1] === 0x5a && bytes[2] === 0x68) return 'bzip2'; // "BZh"
  if (bytes.length >= 6 && bytes[0] === 0xfd && bytes[1] === 0x37 && bytes[2] === 0x7a && bytes[3] === 0x58 && bytes[4] === 0x5a && bytes[5] === 0x00)
    return 'xz';
  return 'none';
}

// SEXP type codes (Rinternals.h) and the pseudo-types of the serialization stream (serialize.c).
const SEXP_NAMES: Record<number, string> = {
  0: 'NILSXP',
  1: 'SYMSXP',
  2: 'LISTSXP',
  3: 'CLOSXP (function)',
  4: 'ENVSXP (environment)',
  5: 'PROMSXP (promise)',
  6: 'LANGSXP (call or formula)',
  7: 'SPECIALSXP',
  8: 'BUILTINSXP',
  9: 'CHARSXP',
  10: 'LGLSXP',
  13: 'INTSXP',
  14: 'REALSXP',
  15: 'CPLXSXP',
  16: 'STRSXP',
  17: 'DOTSXP',
  18: 'ANYSXP',
  19: 'VECSXP',
  20: 'EXPRSXP (expression)',
  21: 'BCODESXP (byte code)',
  22: 'EXTPTRSXP (external pointer)',
  23: 'WEAKREFSXP',
  24: 'RAWSXP',
  25: 'S4SXP (S4 object)',
  238: 'ALTREP_SXP',
  239: 'ATTRLISTSXP',
  240: 'ATTRLANGSXP',
  241: 'BASEENV_SXP',
  242: 'EMPTYENV_SXP',
  243: 'BCREPREF',
  244: 'BCREPDEF',
  245: 'GENERICREFSXP',
  246: 'CLASSREFSXP',
  247: 'PERSISTSXP',
  248: 'PACKAGESXP',
  249: 'NAMESPACESXP',
  250: 'BASENAMESPACE_SXP',
  251: 'MISSINGARG_SXP',
  252: 'UNBOUNDVALUE_SXP',
  253: 'GLOBALENV_SXP (global environment)',
  254: 'NILVALUE_SXP',
  255: 'REFSXP',
};

const NILSXP = 0;
const SYMSXP = 1;
const LISTSXP = 2;
const CHARSXP = 9;
const LGLSXP = 10;
const INTSXP = 13;
const REALSXP = 14;
const CPLXSXP = 15;
const STRSXP = 16;
const VECSXP = 19;
const RAWSXP = 24;
const ALTREP_SXP = 238;
const NILVALUE_SXP = 254;
const REFSXP = 255;

// Bit 8 marks an object with a class attribute; the class attribute itself is what readers look at.
const HAS_ATTR_BIT = 1 << 9;
const HAS_TAG_BIT = 1 << 10;
// CHARSXP encoding bits of the levels field.
const LATIN1_MASK = 1 << 2;
const BYTES_MASK = 1 << 1;

const NO_ATTRIBUTES: RAttributes = new Map();
const NULL_VALUE: RValue = Object.freeze({ type: 'null' });

const typeName = (t: number) => SEXP_NAMES[t] ?? `unknown SEXP type ${t}`;

class XdrReader {
  private readonly view: DataView;
  pos = 0;
  private readonly refs: RValue[] = [];
  private readonly utf8 = new TextDecoder('utf-8', { fatal: false });
  private readonly latin1 = new TextDecoder('latin1');

  constructor(
    private readonly bytes: Uint8Array,
    readonly what: string,
    start: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  fail(reason: string, at = this.pos): SsbenchError {
    return new SsbenchError('data', `R serialization: ${reason} (byte offset ${at} of the uncompressed data)`, { file: this.what });
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) throw this.fail(`truncated: ${what} needs ${n} bytes, ${this.bytes.length - this.pos} left`);
  }

  int(what = 'an integer'): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, false);
    this.pos += 4;
    return v;
  }

  /** A vector length: an int, or -1 followed by two ints (upper and lower 32 bits) for long vectors. */
  length(elementBytes: number, what: string): number {
    const at = this.pos;
    let n = this.int(`the length of ${what}`);
    if (n === -1) {
      const upper = this.int(`the length of ${what}`);
      const lower = this.int(`the length of ${what}`) >>> 0;
      n = upper * 2 ** 32 + lower;
    }
    if (n < 0) throw this.fail(`negative length ${n} of ${what}`, at);
    // Refuse lengths the remaining bytes cannot hold before allocating anything.
    if (n * elementBytes > this.bytes.length - this.pos) throw this.fail(`${what} claims ${n} elements, more than the ${this.bytes.length - this.pos} bytes left hold`, at);
    return n;
  }

  /** One item, flags included. */
  item(): RValue {
    const at = this.pos;
    const flags = this.int('item flags');
    return this.itemWithFlags(flags, at);
  }

  private itemWithFlags(flags: number, at: number): RValue {
    const type = flags & 0xff;
    const hasAttr = (flags & HAS_ATTR_BIT) !== 0;
    switch (type) {
      case NILVALUE_SXP:
        return NULL_VALUE;
      case REFSXP: {
        let index = flags >>> 8;
        if (index === 0) index = this.int('a reference index');
        const v = this.refs[index - 1];
        if (v === undefined) throw this.fail(`reference ${index} to an object not seen yet (${this.refs.length} known)`, at);
        return v;
      }
      case SYMSXP: {
        const name = this.charsxp('a symbol name');
        if (name === null) throw this.fail('symbol with an NA name', at);
        const sym: RValue = { type: 'symbol', name };
        this.refs.push(sym);
        return sym;
      }
      case LISTSXP:
        return this.pairlist(flags, at);
      case LGLSXP:
      case INTSXP: {
        const n = this.length(4, typeName(type));
        const data = new Int32Array(n);
        for (let i = 0; i < n; i++) data[i] = this.view.getInt32(this.pos + 4 * i, false);
        this.pos += 4 * n;
        return { type: type === LGLSXP ? 'logical' : 'integer', data, attributes: this.attributes(hasAttr) };
      }
      case REALSXP:
      case CPLXSXP: {
        const width = type === REALSXP ? 1 : 2;
        const n = this.length(8 * width, typeName(type));
        const data = new Float64Array(n * width);
        for (let i = 0; i < data.length; i++) data[i] = this.view.getFloat64(this.pos + 8 * i, false);
        this.pos += 8 * data.length;
        return { type: type === REALSXP ? 'double' : 'complex', data, attributes: this.attributes(hasAttr) };
      }
      case STRSXP: {
        const n = this.length(4, 'STRSXP');
        const data: (string | null)[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const elAt = this.pos;
          const elFlags = this.int('a string element');
          if ((elFlags & 0xff) !== CHARSXP) throw this.fail(`element ${i} of a character vector is ${typeName(elFlags & 0xff)}, expected CHARSXP`, elAt);
          data[i] = this.charsxpBody(elFlags);
        }
        return { type: 'character', data, attributes: this.attributes(hasAttr) };
      }
      case VECSXP: {
        const n = this.length(4, 'VECSXP');
        const data: RValue[] = new Array(n);
        for (let i = 0; i < n; i++) data[i] = this.item();
        return { type: 'list', data, attributes: this.attributes(hasAttr) };
      }
      case RAWSXP: {
        const n = this.length(1, 'RAWSXP');
        const data = this.bytes.slice(this.pos, this.pos + n);
        this.pos += n;
        return { type: 'raw', data, attributes: this.attributes(hasAttr) };
      }
      case ALTREP_SXP:
        return this.altrep(at);
      case NILSXP:
        return NULL_VALUE;
      default:
        throw this.fail(`unsupported object type ${typeName(type)}; only vectors, lists, pairlists, symbols and attributes can be read`, at);
    }
  }

  /** A CHARSXP item (flags included); null for NA_character_. */
  private charsxp(what: string): string | null {
    const at = this.pos;
    const flags = this.int(what);
    if ((flags & 0xff) !== CHARSXP) throw this.fail(`${what} is ${typeName(flags & 0xff)}, expected CHARSXP`, at);
    return this.charsxpBody(flags);
  }

  private charsxpBody(flags: number): string | null {
    const n = this.int('a string length');
    if (n === -1) return null;
    if (n < 0) throw this.fail(`negative string length ${n}`, this.pos - 4);
    this.need(n, 'a string');
    const raw = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    const levels = flags >>> 12;
    // Latin-1 strings are marked as such; UTF-8, ASCII, "bytes" and native strings are decoded as UTF-8.
    return (levels & LATIN1_MASK) !== 0 && (levels & BYTES_MASK) === 0 ? this.latin1.decode(raw) : this.utf8.decode(raw);
  }

  /** The attribute pairlist that follows a vector's payload when its flags say it has attributes. */
  private attributes(hasAttr: boolean): RAttributes {
    if (!hasAttr) return NO_ATTRIBUTES;
    const at = this.pos;
    const list = this.item();
    if (list.type === 'null') return NO_ATTRIBUTES;
    if (list.type !== 'pairlist') throw this.fail(`attributes are ${list.type}, expected a pairlist`, at);
    const out = new Map<string, RValue>();
    for (const { tag, value } of list.data) {
      if (tag === null) throw this.fail('an attribute without a name', at);
      out.set(tag, value);
    }
    return out;
  }

  /**
   * A pairlist, read iteratively along its CDRs (long pairlists would otherwise recurse once per cell). Each cell
   * is [attributes] [tag] CAR CDR; the attributes of the first cell are the pairlist's.
   */
  private pairlist(firstFlags: number, firstAt: number): RValue {
    const data: { tag: string | null; value: RValue }[] = [];
    let attributes: RAttributes = NO_ATTRIBUTES;
    let flags = firstFlags;
    let at = firstAt;
    for (;;) {
      const cellAttributes = this.attributes((flags & HAS_ATTR_BIT) !== 0);
      if (data.length === 0) attributes = cellAttributes;
      let tag: string | null = null;
      if ((flags & HAS_TAG_BIT) !== 0) {
        const tagAt = this.pos;
        const t = this.item();
        if (t.type !== 'symbol') throw this.fail(`pairlist tag is ${t.type}, expected a symbol`, tagAt);
        tag = t.name;
      }
      data.push({ tag, value: this.item() });
      at = this.pos;
      flags = this.int('a pairlist CDR');
      const type = flags & 0xff;
      if (type === NILVALUE_SXP) break;
      if (type !== LISTSXP) throw this.fail(`pairlist cell ends in ${typeName(type)}, expected another cell or NULL`, at);
    }
    return { type: 'pairlist', data, attributes };
  }

  /**
   * ALTREP objects (format version 3): a pairlist (class symbol, package symbol, type) naming the class, the
   * class's serialized state, then the attributes. R writes only ALTREP objects whose class serializes its own
   * state: compact sequences (state: a double vector (length, start, step)) and wrappers (state: the cons cell
   * (wrapped vector . metadata), a dotted pair that is not a proper pairlist); both become ordinary vectors here.
   */
  private altrep(at: number): RValue {
    const info = this.item();
    const className = info.type === 'pairlist' && info.data[0]?.value.type === 'symbol' ? info.data[0].value.name : '?';
    const stateAt = this.pos;
    const stateFlags = this.int('the ALTREP state');
    let state: RValue | null = null;
    let consCar: RValue | null = null;
    if ((stateFlags & 0xff) === LISTSXP) {
      // One cons cell read as such: [attributes] [tag] CAR CDR, whatever the CDR is.
      this.attributes((stateFlags & HAS_ATTR_BIT) !== 0);
      if ((stateFlags & HAS_TAG_BIT) !== 0) this.item();
      consCar = this.item();
      this.item();
    } else state = this.itemWithFlags(stateFlags, stateAt);
    const attrAt = this.pos;
    const attrList = this.item();
    let attributes: RAttributes = NO_ATTRIBUTES;
    if (attrList.type === 'pairlist') {
      const m = new Map<string, RValue>();
      for (const { tag, value } of attrList.data) if (tag !== null) m.set(tag, value);
      attributes = m;
    } else if (attrList.type !== 'null') throw this.fail(`ALTREP attributes are ${attrList.type}, expected a pairlist`, attrAt);
    if ((className === 'compact_intseq' || className === 'compact_realseq') && state?.type === 'double' && state.data.length === 3) {
      const [n, start, step] = state.data;
      if (!Number.isSafeInteger(n) || n < 0 || n > this.bytes.length * 64) throw this.fail(`${className} of length ${n}`, at);
      if (className === 'compact_intseq') {
        const data = new Int32Array(n);
        for (let i = 0; i < n; i++) data[i] = start + i * step;
        return { type: 'integer', data, attributes };
      }
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = start + i * step;
      return { type: 'double', data, attributes };
    }
    if (className.startsWith('wrap_') && consCar !== null) {
      if (consCar.type === 'null' || consCar.type === 'symbol') throw this.fail(`${className} wraps ${consCar.type}`, at);
      const merged = new Map(consCar.attributes);
      for (const [k, v] of attributes) merged.set(k, v);
      return { ...consCar, attributes: merged } as RValue;
    }
    throw this.fail(`unsupported ALTREP class "${className}"`, at);
  }

  /** The serialization header after the format byte pair: version, writer and minimal reader versions. */
  header(): void {
    this.need(2, 'the format');
    const f0 = this.bytes[this.pos];
    const f1 = this.bytes[this.pos + 1];
    if (f0 === 0x41 /* A */ || f0 === 0x42 /* B */)
      throw this.fail(`${f0 === 0x41 ? 'ASCII' : 'native binary'} serialization is not supported; only XDR (saved with the default ascii = FALSE, xdr = TRUE)`);
    if (f0 !== 0x58 /* X */ || f1 !== 0x0a) throw this.fail('not an R serialization: expected the XDR format marker "X\\n"');
    this.pos += 2;
    const version = this.int('the format version');
    this.int('the writer version');
    this.int('the minimal reader version');
    if (version === 3) {
      const n = this.int('the native encoding length');
      if (n < 0 || n > 64) throw this.fail(`native encoding name of length ${n}`);
      this.need(n, 'the native encoding');
      this.pos += n;
    } else if (version !== 2) throw this.fail(`serialization format version ${version} is not supported (2 and 3 are)`);
  }

  end(): void {
    if (this.pos !== this.bytes.length) throw this.fail(`${this.bytes.length - this.pos} bytes left after the serialized object`);
  }
}

/**
 * Parses one uncompressed serialized R object (the contents of a decompressed `.rds` file, or the output of
 * `serialize(x, NULL, xdr = TRUE)`). `what` names the file in error messages.
 */
export function parseRSerialized(bytes: Uint8Array, what: string): RValue {
  const r = new XdrReader(bytes, what, 0);
  r.header();
  const v = r.item();
  r.end();
  return v;
}

/**
 * Parses an uncompressed `.rda`/`.RData` file (`save()` output: `RDX2\n` or `RDX3\n`, then the serialized
 * pairlist of saved objects). Returns the objects by name, in the order saved.
 */
export function parseRData(bytes: Uint8Array, what: string): Map<string, RValue> {
  const magic = new TextDecoder('latin1').decode(bytes.subarray(0, 5));
  if (magic !== 'RDX2\n' && magic !== 'RDX3\n') {
    const compression = rDataCompression(bytes);
    const hint =
      compression !== 'none'
        ? `the file is ${compression}-compressed: decompress it first`
        : magic.startsWith('RDA') || magic.startsWith('RDB')
          ? 'ASCII or native-binary save() formats are not supported, only XDR'
          : 'not an R save() file';
    throw new SsbenchError('data', `R data: expected the magic "RDX2\\n" or "RDX3\\n" at the start (${hint})`, { file: what });
  }
  const r = new XdrReader(bytes, what, 5);
  r.header();
  const at = r.pos;
  const top = r.item();
  r.end();
  if (top.type === 'null') return new Map();
  if (top.type !== 'pairlist') throw r.fail(`the saved objects are a ${top.type}, expected a pairlist of named objects`, at);
  const out = new Map<string, RValue>();
  for (const { tag, value } of top.data) {
    if (tag === null) throw r.fail('a saved object without a name', at);
    out.set(tag, value);
  }
  return out;
}

// ---- data frames ----------------------------------------------------------------------------------------------

/** One column of a data frame. Factor codes are 0-based indices into `levels`, -1 for NA. */
export type RColumn =
  | { name: string; kind: 'factor'; levels: string[]; ordered: boolean; codes: Int32Array }
  | { name: string; kind: 'integer'; values: (number | null)[] }
  | { name: string; kind: 'double'; values: Float64Array }
  | { name: string; kind: 'logical'; values: (boolean | null)[] }
  | { name: string; kind: 'character'; values: (string | null)[] };

export interface RDataFrame {
  rowCount: number;
  /** Explicit row names, or null for R's automatic 1..n. */
  rowNames: string[] | null;
  columns: RColumn[];
}

/** The `class` attribute of an object (empty when absent). */
export function rClass(v: RValue): string[] {
  if (v.type === 'null' || v.type === 'symbol') return [];
  const c = v.attributes.get('class');
  return c?.type === 'character' ? c.data.filter((s): s is string => s !== null) : [];
}

/**
 * Converts a deserialized `data.frame` into typed columns: factors (with their levels), integer, double, logical
 * and character vectors. Errors name `what` and the column.
 */
export function rDataFrame(v: RValue, what: string): RDataFrame {
  const fail = (reason: string) => new SsbenchError('data', `R data frame: ${reason}`, { file: what });
  if (v.type !== 'list' || !rClass(v).includes('data.frame'))
    throw fail(`expected a list with class "data.frame", got ${v.type === 'list' ? `a list of class [${rClass(v).join(', ')}]` : `an object of type ${v.type}`}`);
  const names = v.attributes.get('names');
  if (names?.type !== 'character' || names.data.length !== v.data.length) throw fail(`the "names" attribute must be a character vector of ${v.data.length} column names`);

  const rn = v.attributes.get('row.names');
  let rowCount: number;
  let rowNames: string[] | null = null;
  if (rn?.type === 'integer' && rn.data.length === 2 && rn.data[0] === R_NA_INTEGER) {
    rowCount = Math.abs(rn.data[1]); // compact form c(NA, -n) (or c(NA, n))
  } else if (rn?.type === 'integer' || rn?.type === 'double') {
    rowCount = rn.data.length;
    rowNames = Array.from(rn.data, (x) => String(x));
  } else if (rn?.type === 'character') {
    rowCount = rn.data.length;
    rowNames = rn.data.map((s) => s ?? 'NA');
  } else if (v.data.length === 0) {
    rowCount = 0;
  } else throw fail(`unsupported "row.names" attribute (${rn?.type ?? 'missing'})`);

  const columns = v.data.map((col, j): RColumn => {
    const name = names.data[j] ?? `V${j + 1}`;
    const colFail = (reason: string) => fail(`column "${name}": ${reason}`);
    const len = col.type === 'null' || col.type === 'symbol' ? -1 : col.data.length / (col.type === 'complex' ? 2 : 1);
    if (len !== rowCount) throw colFail(len < 0 ? `is ${col.type}, expected a vector` : `has ${len} values but the data frame has ${rowCount} rows`);
    const cls = rClass(col);
    if (cls.includes('factor')) {
      const levels = col.type === 'null' || col.type === 'symbol' ? undefined : col.attributes.get('levels');
      if (col.type !== 'integer') throw colFail(`a factor stored as ${col.type}, expected integer codes`);
      if (levels?.type !== 'character') throw colFail('a factor without a character "levels" attribute');
      const codes = new Int32Array(rowCount);
      for (let i = 0; i < rowCount; i++) {
        const c = col.data[i];
        if (c === R_NA_INTEGER) codes[i] = -1;
        else if (c < 1 || c > levels.data.length) throw colFail(`row ${i + 1} has factor code ${c}, outside 1..${levels.data.length}`);
        else codes[i] = c - 1;
      }
      return { name, kind: 'factor', levels: levels.data.map((s) => s ?? 'NA'), ordered: cls.includes('ordered'), codes };
    }
    switch (col.type) {
      case 'integer':
        return { name, kind: 'integer', values: Array.from(col.data, (x) => (x === R_NA_INTEGER ? null : x)) };
      case 'double':
        return { name, kind: 'double', values: col.data };
      case 'logical':
        return { name, kind: 'logical', values: Array.from(col.data, (x) => (x === R_NA_INTEGER ? null : x !== 0)) };
      case 'character':
        return { name, kind: 'character', values: col.data };
      default:
        throw colFail(`columns of type ${col.type} are not supported (factor, integer, double, logical and character are)`);
    }
  });
  return { rowCount, rowNames, columns };
}

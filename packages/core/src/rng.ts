/**
 * Seeded random numbers for everything random in ssbench: weight init, masking, dropout masks, data order.
 *
 * `Rng` wraps pure-rand's xoroshiro128+ (Blackman & Vigna, https://prng.di.unimi.it/). The 128-bit state is
 * filled from the seed with a 32-bit finaliser (MurmurHash3 fmix32) rather than pure-rand's own
 * `xoroshiro128plus(seed)`, whose start state differs between nearby seeds in only a few bits.
 *
 * Streams are split by label with `fork`: `rng.fork('dropout')` depends only on the seed and the chain of
 * labels, never on how many numbers the parent has drawn, so adding a draw in one place does not shift the
 * numbers used anywhere else. One seed gives the same run on every backend.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

const TWO_POW_32 = 4294967296;
const TWO_POW_MINUS_24 = 1 / 16777216; // 2^-24
const TWO_POW_MINUS_26 = 1 / 67108864; // 2^-26
const TWO_POW_MINUS_53 = 1 / 9007199254740992; // 2^-53

/** MurmurHash3's 32-bit finaliser: a bijection on 32-bit words with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

const utf8 = new TextEncoder();

/**
 * 64-bit hash of a label as two 32-bit FNV-1a hashes of its UTF-8 bytes with different offset bases,
 * each finalised with fmix32.
 */
export function hashLabel(label: string): [number, number] {
  const bytes = utf8.encode(label);
  let a = 0x811c9dc5; // FNV-1a 32 offset basis
  let b = 0x050c5d1f; // a second basis, so the two halves are not equal
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i], 0x01000193);
    b = Math.imul(b ^ bytes[i], 0x01000193);
  }
  return [fmix32(a), fmix32(b)];
}

/** Stream key: two 32-bit words. Roots are keyed by the seed, forks by (parent key, label hash). */
type StreamKey = readonly [number, number];

function keyOfSeed(seed: number): StreamKey {
  // Split a safe integer into its two's-complement 64-bit halves (seed < 2^53, so hi fits in 32 bits).
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) | 0;
  return [lo | 0, hi];
}

function forkKey(parent: StreamKey, label: string): StreamKey {
  const [h0, h1] = hashLabel(label);
  const a = fmix32(parent[0] ^ h0 ^ 0x6a09e667);
  const b = fmix32(parent[1] ^ h1 ^ a ^ 0xbb67ae85);
  return [fmix32(a ^ Math.imul(b, 0x9e3779b9) ^ 0x3c6ef372), b];
}

function stateOfKey(key: StreamKey): number[] {
  // Four state words from the key, each through two rounds of fmix32 with distinct constants.
  const state = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const c = Math.imul(i + 1, 0x9e3779b9);
    state[i] = fmix32(fmix32(key[0] ^ c) + Math.imul(key[1] ^ 0x85ebca6b, i * 2 + 1) + c);
  }
  // xoroshiro must not start from the all-zero state.
  if ((state[0] | state[1] | state[2] | state[3]) === 0) state[0] = 1;
  return state;
}

export class Rng {
  /** The seed of the root stream this one was forked from. */
  readonly seed: number;
  private key: StreamKey;
  private labels: readonly string[] = [];
  private gen: JumpableRandomGenerator;
  private spareNormal: number | null = null;

  /** @param seed a safe integer (negative allowed); equal seeds give equal streams. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`Rng seed must be a safe integer, got ${String(seed)}`);
    }
    this.seed = seed;
    this.key = keyOfSeed(seed);
    this.gen = xoroshiro128plusFromState(stateOfKey(this.key));
  }

  /** A stream of `from`'s seed with the given key and fork labels, at the start or at `state`. */
  private static derive(from: Rng, key: StreamKey, labels: readonly string[], state?: readonly number[]): Rng {
    const r = new Rng(from.seed);
    r.key = key;
    r.labels = labels;
    r.gen = xoroshiro128plusFromState(state ?? stateOfKey(key));
    return r;
  }

  /** Fork labels from the root to this stream (empty for the root), for diagnostics. */
  get path(): readonly string[] {
    return this.labels;
  }

  /** Raw 32-bit output as an unsigned integer in [0, 2^32). */
  nextUint32(): number {
    return this.gen.next() >>> 0;
  }

  /** Uniform in [0, 1), a multiple of 2^-53 (53 random bits from two outputs). */
  next(): number {
    // Upper bits of xoroshiro128+ outputs are the strong ones: take 26 + 27 of them.
    const hi = this.gen.next() >>> 6; // 26 bits
    const lo = this.gen.next() >>> 5; // 27 bits
    return hi * TWO_POW_MINUS_26 + lo * TWO_POW_MINUS_53;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n) without modulo bias (rejection sampling); n a positive safe integer. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new RangeError(`Rng.int(n) needs a positive safe integer, got ${String(n)}`);
    }
    return uniformInt(this.gen, 0, n - 1);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal N(0, 1) by Box-Muller; the second value of each pair is kept for the next call. */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    const u1 = 1 - this.next(); // (0, 1]: log is finite
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Shuffles `arr` in place (Fisher-Yates) and returns it. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }

  /** A uniformly chosen element; throws on an empty array. */
  choice<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new RangeError('Rng.choice of an empty array');
    return arr[this.int(arr.length)];
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    return this.shuffle(out);
  }

  /**
   * Fills `out` with uniform [0, 1) values (multiples of 2^-24, one generator output each) and returns it.
   * Every value is exactly representable in float32, so none rounds up to 1.
   */
  fillUniform(out: Float32Array): Float32Array {
    const gen = this.gen;
    for (let i = 0; i < out.length; i++) out[i] = (gen.next() >>> 8) * TWO_POW_MINUS_24;
    return out;
  }

  /** Fills `out` with N(mean, std^2) values and returns it. */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /**
   * An independent stream derived from this stream's seed and fork path plus `label` (hashed with FNV-1a).
   * It does not depend on, or advance, this stream's position: the same label always gives the same stream,
   * different labels give different streams, and `a.fork('x').fork('y')` differs from `a.fork('y')`.
   */
  fork(label: string): Rng {
    return Rng.derive(this, forkKey(this.key, label), Object.freeze([...this.labels, label]));
  }

  /** A copy at the current position: both then produce the same numbers. */
  clone(): Rng {
    const copy = Rng.derive(this, this.key, this.labels, this.gen.getState());
    copy.spareNormal = this.spareNormal;
    return copy;
  }
}

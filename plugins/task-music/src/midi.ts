/**
 * MIDI -> performance events -> symbols, in the style of Oore et al. 2018 ("This time with feeling") and the Music
 * Transformer (Huang et al. 2019).
 *
 * Reading: the bytes are checked chunk by chunk before npm `midi-file` 1.2.4 parses them (that parser reads past a
 * truncated chunk silently), so a malformed file is a data error naming the file and the reason. Unknown chunk types
 * are skipped, as the standard asks; format 2 (independent sequences) is refused.
 *
 * Timing: all tracks are merged by absolute tick; ticks become milliseconds through the tempo map (every Set Tempo
 * event of every track; 120 bpm until the first one), or directly for SMPTE time division.
 *
 * Events, in time order (at equal times: note-offs first, then note-ons / drum hits, each by pitch):
 * - `NOTE_ON_<p>` / `NOTE_OFF_<p>`, p = 0..127, for every channel but 10; channels are merged (instruments are not
 *   encoded, as in Oore et al.'s piano-only vocabulary).
 * - `DRUM_<k>`, k = 0..127: a note-on on channel 10 (General MIDI percussion key k); drum note-offs carry no
 *   information and are dropped. With `drums: 'drop'` channel 10 is ignored altogether.
 * - `TIME_SHIFT_<ms>`: silence before the next event, quantised to `timeStepMs`; one token shifts 1..maxShiftSteps
 *   steps, a longer gap is several tokens. Times are quantised as absolute times (round(t / step)), so rounding
 *   errors never accumulate. Silence before the first event is dropped.
 * - `VELOCITY_<b>`, b = 0..velocityBins-1 (only when velocityBins > 0): emitted before a note-on or drum hit whose
 *   velocity bin floor(v * bins / 128) differs from the last one emitted.
 * - Sustain pedal (controller 64 >= 64 means down), when `sustain` is on: a note released while its channel's pedal
 *   is down sounds on until the pedal is lifted (its NOTE_OFF moves there) or until the same pitch is struck again on
 *   that channel (NOTE_OFF just before the new NOTE_ON). A note-on of a pitch already sounding on its channel ends
 *   the previous one the same way; a note-off of a pitch that is not sounding is dropped.
 */
import type { MidiData, MidiEvent } from 'midi-file';
import { parseMidi } from 'midi-file';
import { SsbenchError } from '@ssbench/core';

export interface EncodeOptions {
  /** Quantisation step of TIME_SHIFT in milliseconds (Oore et al.: 10). */
  timeStepMs: number;
  /** Largest shift one TIME_SHIFT token expresses, in steps (Oore et al.: 100, i.e. 1 s at 10 ms). */
  maxShiftSteps: number;
  /** Number of VELOCITY bins; 0 leaves velocity out (Oore et al.: 32). */
  velocityBins: number;
  /** Channel 10 as DRUM_<key> tokens, or dropped. */
  drums: 'tokens' | 'drop';
  /** Apply the sustain pedal (controller 64) to note-offs. */
  sustain: boolean;
}

export const DEFAULT_ENCODE_OPTIONS: Readonly<EncodeOptions> = Object.freeze({
  timeStepMs: 10,
  maxShiftSteps: 100,
  velocityBins: 0,
  drums: 'tokens',
  sustain: true,
});

const DRUM_CHANNEL = 9; // MIDI channel 10, zero-based
const DEFAULT_US_PER_BEAT = 500_000; // 120 bpm

/** The symbol alphabet of an encoding: fixed by the options, whatever the data. */
export function eventAlphabet(opts: EncodeOptions): string[] {
  const out: string[] = [];
  for (let p = 0; p < 128; p++) out.push(`NOTE_ON_${p}`);
  for (let p = 0; p < 128; p++) out.push(`NOTE_OFF_${p}`);
  if (opts.drums === 'tokens') for (let k = 0; k < 128; k++) out.push(`DRUM_${k}`);
  for (let s = 1; s <= opts.maxShiftSteps; s++) out.push(timeShiftSymbol(s, opts));
  for (let b = 0; b < opts.velocityBins; b++) out.push(`VELOCITY_${b}`);
  return out;
}

function timeShiftSymbol(steps: number, opts: EncodeOptions): string {
  // Steps in ms; a fractional step size (e.g. 12.5) keeps its decimals.
  return `TIME_SHIFT_${Number((steps * opts.timeStepMs).toFixed(6))}`;
}

// ---- reading ------------------------------------------------------------------------------------------------

function chunkId(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) >>> 0) + (bytes[at + 1] << 16) + (bytes[at + 2] << 8) + bytes[at + 3];
}

const printable = (s: string) => JSON.stringify(s.replace(/[^\x20-\x7e]/g, '?'));

/**
 * Parses a Standard MIDI File, checking its chunk structure first. `file` names the source in errors.
 * Returns the header and the MTrk tracks (unknown chunks skipped).
 */
export function readMidi(bytes: Uint8Array, file: string): MidiData {
  const bad = (reason: string) => new SsbenchError('data', `malformed MIDI file: ${reason}`, { file });
  if (bytes.length < 14 || chunkId(bytes, 0) !== 'MThd') {
    const head = bytes.length >= 4 ? chunkId(bytes, 0) : String.fromCharCode(...bytes);
    throw new SsbenchError('data', `not a MIDI file (expected the "MThd" header chunk, found ${printable(head)} in ${bytes.length} bytes)`, { file });
  }
  const headerLength = readU32(bytes, 4);
  if (headerLength < 6 || 8 + headerLength > bytes.length) throw bad(`header chunk declares ${headerLength} bytes (needs 6, file has ${bytes.length - 8} after it)`);
  const format = (bytes[8] << 8) | bytes[9];
  const numTracks = (bytes[10] << 8) | bytes[11];
  const division = (bytes[12] << 8) | bytes[13];
  if (format > 2) throw bad(`unknown format ${format}`);
  if (format === 2) throw bad('format 2 (independent sequences) is not supported');
  if ((division & 0x8000) === 0 && division === 0) throw bad('time division of 0 ticks per beat');
  // Walk the chunks: each must fit in the file; keep the MTrk ones.
  const tracks: Uint8Array[] = [];
  let at = 8 + headerLength;
  let index = 0;
  while (at < bytes.length) {
    if (at + 8 > bytes.length) throw bad(`truncated: ${bytes.length - at} stray bytes after chunk ${index} (a chunk header needs 8)`);
    const id = chunkId(bytes, at);
    const length = readU32(bytes, at + 4);
    if (at + 8 + length > bytes.length)
      throw bad(`truncated: chunk ${index + 1} (${printable(id)}) at byte ${at} declares ${length} bytes but only ${bytes.length - at - 8} remain`);
    if (id === 'MTrk') tracks.push(bytes.subarray(at, at + 8 + length));
    at += 8 + length;
    index++;
  }
  if (tracks.length < numTracks) throw bad(`the header announces ${numTracks} tracks but the file holds ${tracks.length}`);
  // Rebuild header + MTrk chunks only (midi-file refuses unknown chunks) and parse.
  const parts = [bytes.subarray(0, 8 + headerLength), ...tracks.slice(0, numTracks)];
  const clean = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    clean.set(p, o);
    o += p.length;
  }
  let data: MidiData;
  try {
    data = parseMidi(clean);
  } catch (e) {
    throw bad(typeof e === 'string' ? e : (e as Error).message);
  }
  // midi-file reads past the end of a track chunk without complaint (undefined bytes); only a track's last event can
  // have done so, since the parser stops at the chunk's end.
  data.tracks.forEach((track, t) => {
    const ev = track[track.length - 1];
    if (ev === undefined) return;
    for (const [k, v] of Object.entries(ev))
      if ((typeof v === 'number' && !Number.isFinite(v)) || v === undefined)
        throw bad(`track ${t}, event ${track.length - 1} (${ev.type}): "${k}" is missing: the event runs past the end of its track chunk`);
  });
  return data;
}

// ---- timing -------------------------------------------------------------------------------------------------

interface TimedEvent {
  tick: number;
  track: number;
  index: number;
  event: MidiEvent;
}

/** All events of all tracks with absolute ticks, merged by (tick, track, position in track). */
function mergeTracks(data: MidiData): TimedEvent[] {
  const out: TimedEvent[] = [];
  data.tracks.forEach((track, t) => {
    let tick = 0;
    track.forEach((event, index) => {
      tick += event.deltaTime;
      out.push({ tick, track: t, index, event });
    });
  });
  return out.sort((a, b) => a.tick - b.tick || a.track - b.track || a.index - b.index);
}

/** tick -> milliseconds for a merged, sorted event list (tempo map from its Set Tempo events). */
function tickClock(header: MidiData['header'], merged: readonly TimedEvent[]): (tick: number) => number {
  if (header.ticksPerBeat === undefined) {
    // SMPTE: frames per second (29 means 29.97 drop-frame) times ticks per frame.
    const fps = header.framesPerSecond === 29 ? 29.97 : (header.framesPerSecond ?? 0);
    const ticksPerSecond = fps * (header.ticksPerFrame ?? 0);
    if (!(ticksPerSecond > 0)) throw new Error('SMPTE time division with 0 ticks per second');
    return (tick) => (tick * 1000) / ticksPerSecond;
  }
  const tpb = header.ticksPerBeat;
  // Segments [startTick, startMs, usPerBeat]; a later tempo event at the same tick replaces an earlier one.
  const segs: [number, number, number][] = [[0, 0, DEFAULT_US_PER_BEAT]];
  for (const { tick, event } of merged) {
    if (event.type !== 'setTempo') continue;
    const last = segs[segs.length - 1];
    const ms = last[1] + ((tick - last[0]) * last[2]) / tpb / 1000;
    if (tick === last[0]) last[2] = event.microsecondsPerBeat;
    else segs.push([tick, ms, event.microsecondsPerBeat]);
  }
  return (tick) => {
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid][0] <= tick) lo = mid;
      else hi = mid - 1;
    }
    const [t0, ms0, us] = segs[lo];
    return ms0 + ((tick - t0) * us) / tpb / 1000;
  };
}

// ---- performance events -------------------------------------------------------------------------------------

/** One performance event at a time in milliseconds. `on` and `drum` carry the velocity. */
export type PerformanceEvent =
  | { ms: number; kind: 'on'; pitch: number; velocity: number }
  | { ms: number; kind: 'off'; pitch: number }
  | { ms: number; kind: 'drum'; pitch: number; velocity: number };

/** Note and drum events of a parsed MIDI file in time order, with the sustain pedal applied. */
export function performanceEvents(data: MidiData, opts: Pick<EncodeOptions, 'drums' | 'sustain'>): PerformanceEvent[] {
  const merged = mergeTracks(data);
  const msOf = tickClock(data.header, merged);
  const out: PerformanceEvent[] = [];
  const sounding = new Set<number>(); // channel * 128 + pitch
  const held = new Set<number>(); // released while the pedal was down
  const pedalDown = new Array<boolean>(16).fill(false);
  const off = (ms: number, key: number) => {
    sounding.delete(key);
    held.delete(key);
    out.push({ ms, kind: 'off', pitch: key & 127 });
  };
  for (const { tick, event } of merged) {
    if (event.type !== 'noteOn' && event.type !== 'noteOff' && event.type !== 'controller') continue;
    const ch = event.channel;
    const ms = msOf(tick);
    if (ch === DRUM_CHANNEL) {
      if (event.type === 'noteOn' && opts.drums === 'tokens') out.push({ ms, kind: 'drum', pitch: event.noteNumber, velocity: event.velocity });
      continue;
    }
    if (event.type === 'controller') {
      if (event.controllerType !== 64 || !opts.sustain) continue;
      const down = event.value >= 64;
      if (pedalDown[ch] && !down) {
        const keys = [...held].filter((k) => k >> 7 === ch).sort((a, b) => a - b);
        for (const k of keys) off(ms, k);
      }
      pedalDown[ch] = down;
      continue;
    }
    const key = ch * 128 + event.noteNumber;
    if (event.type === 'noteOn') {
      if (sounding.has(key)) off(ms, key);
      sounding.add(key);
      out.push({ ms, kind: 'on', pitch: event.noteNumber, velocity: event.velocity });
    } else if (sounding.has(key) && !held.has(key)) {
      if (opts.sustain && pedalDown[ch]) held.add(key);
      else off(ms, key);
    }
  }
  // Stable sort: by time, then offs before ons/drums, then pitch (the order within a time step is fixed).
  const rank = (e: PerformanceEvent) => (e.kind === 'off' ? 0 : 1);
  return out
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.ms - b.e.ms || rank(a.e) - rank(b.e) || a.e.pitch - b.e.pitch || a.i - b.i)
    .map(({ e }) => e);
}

/** Symbols of a list of performance events (see the module comment); stops after `limit` symbols. */
export function encodeEvents(events: readonly PerformanceEvent[], opts: EncodeOptions, limit = Number.POSITIVE_INFINITY): string[] {
  const out: string[] = [];
  const shifts = Array.from({ length: opts.maxShiftSteps + 1 }, (_, s) => timeShiftSymbol(s, opts));
  let step: number | null = null; // quantised time of the last emitted event
  let lastBin = -1;
  for (const e of events) {
    if (out.length >= limit) break;
    const q = Math.round(e.ms / opts.timeStepMs);
    if (step !== null && q > step) {
      let gap = q - step;
      while (gap > 0) {
        const s = Math.min(gap, opts.maxShiftSteps);
        out.push(shifts[s]);
        gap -= s;
      }
    }
    step = q;
    if (e.kind === 'off') {
      out.push(`NOTE_OFF_${e.pitch}`);
      continue;
    }
    if (opts.velocityBins > 0) {
      const bin = Math.min(opts.velocityBins - 1, Math.floor((e.velocity * opts.velocityBins) / 128));
      if (bin !== lastBin) out.push(`VELOCITY_${bin}`);
      lastBin = bin;
    }
    out.push(e.kind === 'on' ? `NOTE_ON_${e.pitch}` : `DRUM_${e.pitch}`);
  }
  return out.length > limit ? out.slice(0, limit) : out;
}

/** MIDI bytes -> symbols (the first `limit` of them). Errors name `file`. */
export function encodeMidi(bytes: Uint8Array, file: string, opts: EncodeOptions, limit = Number.POSITIVE_INFINITY): string[] {
  const data = readMidi(bytes, file);
  let events: PerformanceEvent[];
  try {
    events = performanceEvents(data, opts);
  } catch (e) {
    throw new SsbenchError('data', `malformed MIDI file: ${(e as Error).message}`, { file });
  }
  return encodeEvents(events, opts, limit);
}

/**
 * Up to `count` consecutive, non-overlapping windows of `size` symbols from the start. Only full windows are taken,
 * except that a sequence shorter than one window gives one (shorter) window; an empty sequence gives none.
 */
export function windowsOf(symbols: readonly string[], size: number, count: number): string[][] {
  if (symbols.length === 0) return [];
  if (symbols.length <= size) return [[...symbols]];
  const out: string[][] = [];
  for (let k = 0; k < count && (k + 1) * size <= symbols.length; k++) out.push(symbols.slice(k * size, (k + 1) * size));
  return out;
}

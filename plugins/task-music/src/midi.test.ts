import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENCODE_OPTIONS, type EncodeOptions, encodeMidi, eventAlphabet, performanceEvents, readMidi, windowsOf } from './index';
import { type Ev, midi } from './testkit';

const opts = (o: Partial<EncodeOptions> = {}): EncodeOptions => ({ ...DEFAULT_ENCODE_OPTIONS, ...o });
const enc = (bytes: Uint8Array, o: Partial<EncodeOptions> = {}) => encodeMidi(bytes, 'test.mid', opts(o));

// A format-1 file: tempo track; piano on channel 1; drums on channel 10. 480 ticks per beat at 120 bpm: 1 beat = 500 ms.
const tempoTrack: Ev[] = [{ tick: 0, type: 'tempo', us: 500_000 }];
const piano: Ev[] = [
  { tick: 0, type: 'on', ch: 0, pitch: 60, vel: 100 },
  { tick: 480, type: 'off', ch: 0, pitch: 60 },
  { tick: 480, type: 'on', ch: 0, pitch: 67, vel: 80 },
  { tick: 480, type: 'on', ch: 0, pitch: 64, vel: 80 },
  { tick: 960, type: 'off', ch: 0, pitch: 64 },
  { tick: 960, type: 'off', ch: 0, pitch: 67 },
];
const drums: Ev[] = [
  { tick: 0, type: 'on', ch: 9, pitch: 36, vel: 90 },
  { tick: 240, type: 'off', ch: 9, pitch: 36 },
  { tick: 720, type: 'on', ch: 9, pitch: 38, vel: 90 },
];

describe('event encoding', () => {
  const file = midi([tempoTrack, piano, drums]);

  it('encodes notes and drums at known times into the exact token list', () => {
    // t=0: DRUM_36 and NOTE_ON_60 (same time: offs first, then by key); t=500: off 60, on 64, on 67;
    // t=750: drum 38; t=1000: offs 64, 67.
    expect(enc(file)).toEqual([
      'DRUM_36',
      'NOTE_ON_60',
      'TIME_SHIFT_500',
      'NOTE_OFF_60',
      'NOTE_ON_64',
      'NOTE_ON_67',
      'TIME_SHIFT_250',
      'DRUM_38',
      'TIME_SHIFT_250',
      'NOTE_OFF_64',
      'NOTE_OFF_67',
    ]);
  });

  it('emits velocity bins only when the bin changes, and can drop the drums', () => {
    // bins of 32: floor(v * 32 / 128): 90 -> 22, 100 -> 25, 80 -> 20.
    expect(enc(file, { velocityBins: 32 })).toEqual([
      'VELOCITY_22',
      'DRUM_36',
      'VELOCITY_25',
      'NOTE_ON_60',
      'TIME_SHIFT_500',
      'NOTE_OFF_60',
      'VELOCITY_20',
      'NOTE_ON_64',
      'NOTE_ON_67',
      'TIME_SHIFT_250',
      'VELOCITY_22',
      'DRUM_38',
      'TIME_SHIFT_250',
      'NOTE_OFF_64',
      'NOTE_OFF_67',
    ]);
    expect(enc(file, { drums: 'drop' })).toEqual(['NOTE_ON_60', 'TIME_SHIFT_500', 'NOTE_OFF_60', 'NOTE_ON_64', 'NOTE_ON_67', 'TIME_SHIFT_500', 'NOTE_OFF_64', 'NOTE_OFF_67']);
  });

  it('splits long silences into maximal shifts, drops leading silence, and quantises absolute times', () => {
    const late = midi([
      [
        { tick: 960, type: 'on', ch: 0, pitch: 60 }, // 1 s of leading silence: dropped
        { tick: 960 + 480, type: 'off', ch: 0, pitch: 60 },
        { tick: 960 + 480 * 6, type: 'on', ch: 0, pitch: 62 }, // 2.5 s later
      ],
    ]);
    expect(enc(late)).toEqual(['NOTE_ON_60', 'TIME_SHIFT_500', 'NOTE_OFF_60', 'TIME_SHIFT_1000', 'TIME_SHIFT_1000', 'TIME_SHIFT_500', 'NOTE_ON_62']);
    expect(enc(late, { timeStepMs: 20, maxShiftSteps: 30 })).toEqual([
      'NOTE_ON_60',
      'TIME_SHIFT_500',
      'NOTE_OFF_60',
      'TIME_SHIFT_600',
      'TIME_SHIFT_600',
      'TIME_SHIFT_600',
      'TIME_SHIFT_600',
      'TIME_SHIFT_100',
      'NOTE_ON_62',
    ]);
    // 500 ticks per beat at 120 bpm: 1 tick = 1 ms. Notes at 0, 14, 28, 42 ms with 10 ms steps: absolute times round
    // to steps 0, 1, 3, 4, so the shifts are 10, 20, 10 (rounding each 14 ms gap would give 10, 10, 10 and drift).
    const close = midi([[0, 14, 28, 42].map((tick, k) => ({ tick, type: 'on' as const, ch: 0, pitch: 60 + k }))], { ticksPerBeat: 500 });
    expect(enc(close)).toEqual(['NOTE_ON_60', 'TIME_SHIFT_10', 'NOTE_ON_61', 'TIME_SHIFT_20', 'NOTE_ON_62', 'TIME_SHIFT_10', 'NOTE_ON_63']);
  });

  it('follows tempo changes from any track', () => {
    // 96 ticks per beat. 120 bpm until tick 192 (1000 ms), then 60 bpm (1 beat = 1 s); from tick 336 (2500 ms) on,
    // set in the note track, 240 bpm (1 beat = 250 ms).
    const file2 = midi(
      [
        [
          { tick: 0, type: 'tempo', us: 500_000 },
          { tick: 192, type: 'tempo', us: 1_000_000 },
        ],
        [
          { tick: 96, type: 'on', ch: 0, pitch: 60 }, // 500 ms
          { tick: 192, type: 'off', ch: 0, pitch: 60 }, // 1000 ms
          { tick: 288, type: 'on', ch: 0, pitch: 62 }, // 1000 + 1000 = 2000 ms
          { tick: 336, type: 'off', ch: 0, pitch: 62 }, // 2000 + 0.5 * 1000 = 2500 ms
          { tick: 336, type: 'tempo', us: 250_000 },
          { tick: 432, type: 'on', ch: 0, pitch: 64 }, // 2500 + 1 * 250 = 2750 ms
        ],
      ],
      { ticksPerBeat: 96 },
    );
    const events = performanceEvents(readMidi(file2, 't.mid'), opts());
    expect(events.map((e) => e.ms)).toEqual([500, 1000, 2000, 2500, 2750]);
    expect(enc(file2)).toEqual(['NOTE_ON_60', 'TIME_SHIFT_500', 'NOTE_OFF_60', 'TIME_SHIFT_1000', 'NOTE_ON_62', 'TIME_SHIFT_500', 'NOTE_OFF_62', 'TIME_SHIFT_250', 'NOTE_ON_64']);
    // No tempo event at all: 120 bpm.
    expect(performanceEvents(readMidi(midi([[{ tick: 480, type: 'on', ch: 0, pitch: 60 }]]), 'u.mid'), opts()).map((e) => e.ms)).toEqual([500]);
  });

  it('reads SMPTE time division (frames per second x ticks per frame)', () => {
    // 25 fps x 40 ticks per frame = 1000 ticks per second.
    const smpte = midi(
      [
        [
          { tick: 1000, type: 'on', ch: 0, pitch: 60 },
          { tick: 1500, type: 'off', ch: 0, pitch: 60 },
          { tick: 1500, type: 'tempo', us: 1_000_000 }, // ignored with SMPTE timing
          { tick: 2500, type: 'on', ch: 0, pitch: 62 },
        ],
      ],
      { framesPerSecond: 25, ticksPerFrame: 40 },
    );
    expect(performanceEvents(readMidi(smpte, 's.mid'), opts()).map((e) => e.ms)).toEqual([1000, 1500, 2500]);
  });

  it('applies the sustain pedal, re-strikes and stray note-offs', () => {
    // 500 ticks per beat: 1 tick = 1 ms.
    const pedal = midi(
      [
        [
          { tick: 0, type: 'cc', ch: 0, cc: 64, value: 127 },
          { tick: 0, type: 'on', ch: 0, pitch: 60 },
          { tick: 100, type: 'off', ch: 0, pitch: 60 }, // held by the pedal
          { tick: 150, type: 'off', ch: 0, pitch: 70 }, // never struck: dropped
          { tick: 200, type: 'on', ch: 0, pitch: 64 },
          { tick: 300, type: 'on', ch: 0, pitch: 65, vel: 0 }, // velocity 0 = note-off of a pitch not sounding: dropped
          { tick: 300, type: 'off', ch: 0, pitch: 64 }, // held
          { tick: 400, type: 'on', ch: 0, pitch: 60 }, // re-struck while held: ends the held one first
          { tick: 500, type: 'cc', ch: 0, cc: 64, value: 0 }, // pedal up: 64 ends (60 sounds again, not held)
          { tick: 600, type: 'off', ch: 0, pitch: 60 },
          { tick: 650, type: 'cc', ch: 1, cc: 64, value: 127 }, // another channel's pedal does not hold channel 1
          { tick: 700, type: 'on', ch: 0, pitch: 72 },
          { tick: 800, type: 'off', ch: 0, pitch: 72 },
        ],
      ],
      { ticksPerBeat: 500 },
    );
    expect(enc(pedal)).toEqual([
      'NOTE_ON_60',
      'TIME_SHIFT_200',
      'NOTE_ON_64',
      'TIME_SHIFT_200',
      'NOTE_OFF_60',
      'NOTE_ON_60',
      'TIME_SHIFT_100',
      'NOTE_OFF_64',
      'TIME_SHIFT_100',
      'NOTE_OFF_60',
      'TIME_SHIFT_100',
      'NOTE_ON_72',
      'TIME_SHIFT_100',
      'NOTE_OFF_72',
    ]);
    expect(enc(pedal, { sustain: false })).toEqual([
      'NOTE_ON_60',
      'TIME_SHIFT_100',
      'NOTE_OFF_60',
      'TIME_SHIFT_100',
      'NOTE_ON_64',
      'TIME_SHIFT_100',
      'NOTE_OFF_64',
      'TIME_SHIFT_100',
      'NOTE_ON_60',
      'TIME_SHIFT_200',
      'NOTE_OFF_60',
      'TIME_SHIFT_100',
      'NOTE_ON_72',
      'TIME_SHIFT_100',
      'NOTE_OFF_72',
    ]);
  });

  it('has a fixed alphabet that covers every token produced', () => {
    const a = eventAlphabet(opts());
    expect(a.length).toBe(128 + 128 + 128 + 100);
    expect(new Set(a).size).toBe(a.length);
    expect(a).toContain('TIME_SHIFT_10');
    expect(a).toContain('TIME_SHIFT_1000');
    expect(eventAlphabet(opts({ velocityBins: 32 })).length).toBe(484 + 32);
    expect(eventAlphabet(opts({ drums: 'drop' })).length).toBe(356);
    expect(eventAlphabet(opts({ timeStepMs: 12.5, maxShiftSteps: 2 })).filter((s) => s.startsWith('TIME'))).toEqual(['TIME_SHIFT_12.5', 'TIME_SHIFT_25']);
    const withVel = new Set(eventAlphabet(opts({ velocityBins: 32 })));
    expect(enc(file, { velocityBins: 32 }).every((s) => withVel.has(s))).toBe(true);
  });

  it('cuts full windows from the start', () => {
    const xs = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    expect(windowsOf(xs, 3, 4)).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e', 'f'],
    ]);
    expect(windowsOf(xs, 3, 1)).toEqual([['a', 'b', 'c']]);
    expect(windowsOf(xs, 10, 4)).toEqual([xs]);
    expect(windowsOf([], 3, 4)).toEqual([]);
  });
});

describe('malformed MIDI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssbench-music-midi-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const good = midi([tempoTrack, piano]);

  it('names the file and the reason', async () => {
    const truncated = good.slice(0, good.length - 10);
    await writeFile(join(dir, 'cut.mid'), truncated);
    expect(() => enc(truncated)).toThrow(/test\.mid: malformed MIDI file: truncated: chunk 2 \("MTrk"\) at byte \d+ declares \d+ bytes but only \d+ remain/);
    const text = new TextEncoder().encode('This is a README, not a MIDI file.\n');
    expect(() => encodeMidi(text, join(dir, 'readme.mid'), opts())).toThrow(/readme\.mid: not a MIDI file \(expected the "MThd" header chunk, found "This" in 35 bytes\)/);
    expect(() => enc(new Uint8Array([0x4d, 0x54]))).toThrow(/not a MIDI file/);
    const fewer = good.slice();
    fewer[11] = 3; // header says 3 tracks
    expect(() => enc(fewer)).toThrow(/the header announces 3 tracks but the file holds 2/);
    const format2 = good.slice();
    format2[9] = 2;
    expect(() => enc(format2)).toThrow(/format 2 \(independent sequences\) is not supported/);
    const zeroDivision = good.slice();
    zeroDivision[12] = 0;
    zeroDivision[13] = 0;
    expect(() => enc(zeroDivision)).toThrow(/time division of 0 ticks per beat/);
  });

  it('catches events cut by their chunk and bad status bytes', () => {
    const header = [0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0];
    const mtrk = (body: number[]) => [0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, body.length, ...body];
    // A note-on whose velocity byte lies past the end of the chunk.
    expect(() => enc(new Uint8Array([...header, ...mtrk([0x00, 0x90, 0x3c])]))).toThrow(/track 0, event 0 \(noteOn\): "velocity" is missing/);
    // A data byte with no status byte before it (midi-file 1.2.4 reports it as event type 0).
    expect(() => enc(new Uint8Array([...header, ...mtrk([0x00, 0x40, 0x40])]))).toThrow(/test\.mid: malformed MIDI file: Unrecognised MIDI event type: 0/);
    // Unknown chunks are skipped, as the standard asks.
    const alien = [0x58, 0x46, 0x49, 0x48, 0, 0, 0, 2, 1, 2];
    const ok = mtrk([0x00, 0x90, 0x3c, 0x40, 0x60, 0x80, 0x3c, 0x00, 0x00, 0xff, 0x2f, 0x00]);
    expect(enc(new Uint8Array([...header, ...alien, ...ok]))).toEqual(['NOTE_ON_60', 'TIME_SHIFT_100', 'NOTE_OFF_60']); // 96 ticks at 120 bpm, 480 tpb
  });
});

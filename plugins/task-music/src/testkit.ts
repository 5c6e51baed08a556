/** Test helper: builds Standard MIDI Files from notes at absolute ticks (with npm midi-file's writer). */
import type { MidiData, MidiEvent } from 'midi-file';
import { writeMidi } from 'midi-file';

export type Ev = { tick: number } & (
  | { type: 'on' | 'off'; ch: number; pitch: number; vel?: number }
  | { type: 'tempo'; us: number }
  | { type: 'cc'; ch: number; cc: number; value: number }
);

/** One track from events at absolute ticks (any order; stable by tick), ending with End of Track. */
function track(events: Ev[]): MidiEvent[] {
  const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.tick - b.e.tick || a.i - b.i);
  let last = 0;
  const out: MidiEvent[] = sorted.map(({ e }) => {
    const deltaTime = e.tick - last;
    last = e.tick;
    if (e.type === 'tempo') return { deltaTime, meta: true, type: 'setTempo', microsecondsPerBeat: e.us };
    if (e.type === 'cc') return { deltaTime, type: 'controller', channel: e.ch, controllerType: e.cc, value: e.value };
    return { deltaTime, type: e.type === 'on' ? 'noteOn' : 'noteOff', channel: e.ch, noteNumber: e.pitch, velocity: e.vel ?? (e.type === 'on' ? 100 : 0) };
  });
  out.push({ deltaTime: 0, meta: true, type: 'endOfTrack' });
  return out;
}

export function midi(tracks: Ev[][], header: Partial<MidiData['header']> = { ticksPerBeat: 480 }): Uint8Array {
  const data: MidiData = { header: { format: tracks.length > 1 ? 1 : 0, numTracks: tracks.length, ...header }, tracks: tracks.map(track) };
  return new Uint8Array(writeMidi(data));
}


/**
 * A one-track tune: each pitch an eighth note (240 ticks = 250 ms at 480 ticks per beat, 120 bpm), so it encodes to
 * NOTE_ON_p0 TIME_SHIFT_250 NOTE_OFF_p0 NOTE_ON_p1 TIME_SHIFT_250 NOTE_OFF_p1 ... (3 symbols per note).
 */
export function tune(pitches: readonly number[]): Uint8Array {
  const evs: Ev[] = [];
  pitches.forEach((p, i) => {
    evs.push({ tick: i * 240, type: 'on', ch: 0, pitch: p }, { tick: (i + 1) * 240, type: 'off', ch: 0, pitch: p });
  });
  return midi([evs]);
}

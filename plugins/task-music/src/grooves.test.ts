import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, {
  DEFAULT_ENCODE_OPTIONS,
  RENDER,
  encodeMidi,
  grooveSong,
  groovesCacheFile,
  locateMma,
  prepareGrooves,
  readGrooveCache,
  renderGroove,
  scanStyleLibrary,
  variantGroups,
} from './index';
import { tune } from './testkit';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssbench-music-grooves-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('variant groups', () => {
  it('joins layered variants to the groove they extend and keeps numbered grooves apart', () => {
    const g = variantGroups([
      'Swing',
      'SwingWalk',
      'SwingWalkPlusSus', // longest defined prefix: SwingWalk
      'Swing1', // Swing + a bare number: its own group
      'Swing1Walk',
      'SwingIntro',
      'SwingIntro2', // SwingIntro + "2" is a bare number, so the next prefix: Swing + "Intro2"
      'Swing2End', // no Swing2 here: Swing + "2End"
      'swing3',
      'FolkyJazzGuitar',
      'FolkyJazzPiano',
    ]);
    const groups = new Map<string, string[]>();
    for (const [name, head] of g) groups.set(head, [...(groups.get(head) ?? []), name]);
    expect(Object.fromEntries(groups)).toEqual({
      SWING: ['SWING', 'SWINGWALK', 'SWINGWALKPLUSSUS', 'SWINGINTRO', 'SWINGINTRO2', 'SWING2END'],
      SWING1: ['SWING1', 'SWING1WALK'],
      SWING3: ['SWING3'],
      FOLKYJAZZGUITAR: ['FOLKYJAZZGUITAR'],
      FOLKYJAZZPIANO: ['FOLKYJAZZPIANO'],
    });
  });

  it('reads DefGroove names of a style library (case-insensitive, redefinitions once, comments ignored)', async () => {
    const lib = join(dir, 'lib');
    await mkdir(lib, { recursive: true });
    await writeFile(join(lib, 'beta.mma'), 'Begin Doc\n a beta style\nEnd\nDefGroove Beta  Basic.\n');
    await writeFile(
      join(lib, 'alpha.mma'),
      'SeqSize 2\nDefGroove Alpha  A basic \\\n  groove.\n  defgroove AlphaSus  With strings.\n// DefGroove Commented out\nDefGroove ALPHA  redefined\n',
    );
    await writeFile(join(lib, 'notes.txt'), 'DefGroove NotAStyle\n');
    expect(scanStyleLibrary(lib)).toEqual([
      { family: 'alpha', grooves: ['Alpha', 'AlphaSus'], definitions: 3 },
      { family: 'beta', grooves: ['Beta'], definitions: 1 },
    ]);
    expect(() => scanStyleLibrary(join(dir, 'absent'))).toThrow(/absent: cannot read the mma style library \(ENOENT\)/);
  });

  it('writes a song with a fixed seed, tempo and chord progression', () => {
    const song = grooveSong('swing', 'SwingSus').split('\n');
    expect(song.slice(1, 4)).toEqual(['RndSeed 1', 'Tempo 120', 'Groove stdlib/swing:SwingSus']);
    expect(song.slice(4, 4 + RENDER.chords.length)).toEqual(RENDER.chords.map((c, i) => `${i + 1} ${c}`));
  });
});

describe('groove cache', () => {
  const header = (grooves: number) =>
    JSON.stringify({ format: 'ssbench-mma-grooves', render: RENDER, mmaVersion: '21.09', families: 1, definitions: grooves, grooves, silent: [] });
  const rec = (groove: string) => JSON.stringify({ family: 'swing', groove, group: 'SWING', midi: Buffer.from(tune([60, 62])).toString('base64') });

  it('round-trips records and names the file and line of bad ones', async () => {
    const file = join(dir, 'cache.jsonl');
    await writeFile(file, `${header(2)}\n${rec('Swing')}\n${rec('SwingSus')}\n`);
    const { header: h, records } = readGrooveCache(file);
    expect(h.mmaVersion).toBe('21.09');
    expect(records.map((r) => r.groove)).toEqual(['Swing', 'SwingSus']);
    expect(encodeMidi(records[0].midi, 'x', { ...DEFAULT_ENCODE_OPTIONS })).toEqual(['NOTE_ON_60', 'TIME_SHIFT_250', 'NOTE_OFF_60', 'NOTE_ON_62', 'TIME_SHIFT_250', 'NOTE_OFF_62']);
    await writeFile(file, `${header(3)}\n${rec('Swing')}\n${rec('SwingSus')}\n`);
    expect(() => readGrooveCache(file)).toThrow(/cache\.jsonl: the header announces 3 grooves but the file holds 2 \(truncated\?\)/);
    await writeFile(file, `${header(2)}\n${rec('Swing')}\n{"family": "swing",\n`);
    expect(() => readGrooveCache(file)).toThrow(/cache\.jsonl:3: invalid JSON/);
    await writeFile(file, `${header(1)}\n{"family":"swing","groove":"Swing","midi":"TVRoZA=="}\n`);
    expect(() => readGrooveCache(file)).toThrow(/cache\.jsonl:2: record without a "group" string/);
    await writeFile(file, `{"format":"other"}\n`);
    expect(() => readGrooveCache(file)).toThrow(/cache\.jsonl:1: not an ssbench mma-grooves cache/);
    expect(() => readGrooveCache(join(dir, 'none.jsonl'))).toThrow(/none\.jsonl: data set "mma-grooves" is not prepared \(ENOENT\).*apt-get install mma/);
  });
});

const STDLIB = '/usr/share/mma/lib/stdlib';

describe('the real mma style library', () => {
  it.skipIf(!existsSync(STDLIB))('has 118 style files, 1,165 DefGroove lines and 1,163 grooves (skipped without `apt-get install mma`)', () => {
    const fams = scanStyleLibrary(STDLIB);
    expect(fams.length).toBe(118);
    expect(fams.reduce((n, f) => n + f.definitions, 0)).toBe(1165);
    expect(fams.reduce((n, f) => n + f.grooves.length, 0)).toBe(1163);
    const swing = fams.find((f) => f.family === 'swing')!;
    const sizes = new Map<string, number>();
    for (const head of variantGroups(swing.grooves).values()) sizes.set(head, (sizes.get(head) ?? 0) + 1);
    expect(Object.fromEntries(sizes)).toEqual({ SWING: 13, SWING1: 10, SWING2: 6 });
    // Families that can be split three ways (at least 3 variant groups).
    const splittable = fams.filter((f) => new Set(variantGroups(f.grooves).values()).size >= 3);
    expect(splittable.length).toBe(31);
  });

  const mmaHere = locateMma(join(tmpdir(), 'ssbench-no-such-data-dir')) !== null;
  it.skipIf(!mmaHere)('renders grooves deterministically and caches them (skipped without `apt-get install mma`)', async () => {
    const mma = locateMma(dir)!;
    const work = join(dir, 'work');
    const [a, b, none] = await Promise.all([
      renderGroove(mma, 'swing', 'Swing', work, 0),
      renderGroove(mma, 'swing', 'Swing', work, 1),
      renderGroove(mma, 'none', 'None', work, 2),
    ]);
    expect(a).not.toBeNull();
    expect(Buffer.from(b!).equals(Buffer.from(a!))).toBe(true); // RndSeed makes mma's random timing repeatable
    expect(none).toBeNull(); // the silent groove
    await expect(renderGroove(mma, 'swing', 'NoSuchGroove', work)).rejects.toThrow(/swing\.mma: mma could not render groove swing:NoSuchGroove \(exit 1\): .*NOSUCHGROOVE/);
    const symbols = encodeMidi(a!, 'swing.mid', { ...DEFAULT_ENCODE_OPTIONS });
    expect(symbols.length).toBeGreaterThan(4 * 126); // 16 bars give at least four windows
    expect(symbols.filter((s) => s.startsWith('DRUM_')).length).toBeGreaterThan(20);
    // A three-groove cache under a fresh data directory; the data set is then ready.
    const dataDir = join(dir, 'data');
    expect((await plugin.datasetStatus('mma-grooves', { dataDir })).ready).toBe(false);
    const chosen = ['Swing', 'SwingSus', 'Waltz'];
    const { file, header } = await prepareGrooves(dataDir, { select: (f, g) => (f === 'swing' || f === 'waltz') && chosen.includes(g) });
    expect(file).toBe(groovesCacheFile(dataDir));
    expect(header).toMatchObject({ families: 118, definitions: 1165, grooves: 3, silent: [] });
    const { records } = readGrooveCache(file);
    expect(records.map((r) => [r.family, r.groove, r.group])).toEqual([
      ['swing', 'Swing', 'SWING'],
      ['swing', 'SwingSus', 'SWING'],
      ['waltz', 'Waltz', 'WALTZ'],
    ]);
    expect(Buffer.from(records[0].midi).equals(Buffer.from(a!))).toBe(true);
    const status = await plugin.datasetStatus('mma-grooves', { dataDir });
    expect(status.ready).toBe(true);
    expect(status.detail).toMatch(/3 grooves rendered by mma \d+\.\d+/);
    expect(existsSync(join(dataDir, 'mma-grooves', 'parts-v1'))).toBe(false);
  });
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, {
  type MusicTask,
  type MusicExample,
  type MusicItem,
  type MusicOptionsInput,
  type MusicSplits,
  RENDER,
  dealGroups,
  groovesCacheFile,
  planSplits,
  resolveMusicOptions,
} from './index';
import { tune } from './testkit';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssbench-music-task-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const parts = ['train', 'dev', 'test'] as const;
/** Split of each item id (all windows of an item must be in one split). */
function splitOfItems(s: MusicSplits): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of parts)
    for (const e of s[p]) {
      const prev = out.get(e.item);
      if (prev !== undefined && prev !== p) throw new Error(`${e.item} is in ${prev} and ${p}`);
      out.set(e.item, p);
    }
  return out;
}
const sizes = (s: MusicSplits) => parts.map((p) => s[p].length);

// ---- splits -------------------------------------------------------------------------------------------------

describe('dealing groups', () => {
  it('gives the largest group to train, then fills test, dev and train by window counts (hand-computed)', () => {
    const g = (sizes: number[]) => sizes.map((size, i) => ({ key: `g${i}`, size }));
    const deal = (sizes: number[], split: { dev: number; test: number }) => Object.fromEntries(dealGroups(g(sizes), split));
    // n = 20: test wants round(4) = 4, dev round(2) = 2. g3 (6) is the largest: train. Then g0 fills test, g1 dev.
    expect(deal([4, 2, 2, 6, 1, 5], { dev: 0.1, test: 0.2 })).toEqual({ g0: 'test', g1: 'dev', g2: 'train', g3: 'train', g4: 'train', g5: 'train' });
    // n = 16: test wants 3, dev 2. g1 (9): train; g0 (2): test; g2 (3) does not fit test, dev is empty: dev;
    // g3 (1) still fits test; g4 fits neither.
    expect(deal([2, 9, 3, 1, 1], { dev: 0.1, test: 0.2 })).toEqual({ g0: 'test', g1: 'train', g2: 'dev', g3: 'test', g4: 'train' });
    // Equal sizes: the first is the largest. Once the groups left are just enough for the empty splits, each goes to
    // the first empty one (test, then dev).
    expect(deal([1, 1, 1], { dev: 0.05, test: 0.9 })).toEqual({ g0: 'train', g1: 'test', g2: 'dev' });
    expect(deal([1, 1, 1, 1], { dev: 0, test: 0.5 })).toEqual({ g0: 'train', g1: 'test', g2: 'test', g3: 'dev' });
  });
});

/** Class c, group g, item k: two windows unique to the item. */
const item = (label: string, group: string, k: number, extra: Partial<MusicItem> = {}): MusicItem => ({
  id: `${label}/${group}/${k}`,
  label,
  group,
  windows: [
    [`${label}`, `${group}`, `${k}`, 'w0'],
    [`${label}`, `${group}`, `${k}`, 'w1'],
  ],
  ...extra,
});

describe('planSplits', () => {
  // A: 5 groups of 2 items; B: 3 groups of 1 item; C: 2 groups (cannot fill three splits); D: 4 groups of 1 item.
  const items: MusicItem[] = [
    ...['a1', 'a2', 'a3', 'a4', 'a5'].flatMap((g) => [item('A', g, 0), item('A', g, 1)]),
    ...['b1', 'b2', 'b3'].map((g) => item('B', g, 0)),
    ...['c1', 'c2'].flatMap((g) => [item('C', g, 0), item('C', g, 1), item('C', g, 2)]),
    ...['d1', 'd2', 'd3', 'd4'].map((g) => item('D', g, 0)),
  ];
  const opts = (o: MusicOptionsInput = {}) => resolveMusicOptions({ topClasses: 0, ...o });

  it('keeps groups whole, puts every class in every split, and drops classes with fewer than 3 groups', () => {
    const plan = planSplits(items, opts(), 'test');
    expect(plan.labels).toEqual(['A', 'B', 'D']);
    const where = splitOfItems(plan.splits);
    for (const it of items.filter((x) => x.label !== 'C')) {
      const sameGroup = items.filter((x) => x.label === it.label && x.group === it.group);
      expect(new Set(sameGroup.map((x) => where.get(x.id))).size, it.id).toBe(1);
    }
    for (const p of parts) expect(new Set(plan.splits[p].map((e) => e.label))).toEqual(new Set([0, 1, 2]));
    // A: 20 windows, test wants 4 = one group, dev wants 2 (a group of 4 windows does not fit, but dev must not be
    // empty): one group; 3 groups train. B: 3 groups, one each. D: 8 windows, test wants 2, dev 1: one group each.
    const count = (p: (typeof parts)[number], label: number) => plan.splits[p].filter((e) => e.label === label).length;
    expect(parts.map((p) => count(p, 0))).toEqual([12, 4, 4]);
    expect(parts.map((p) => count(p, 1))).toEqual([2, 2, 2]);
    expect(parts.map((p) => count(p, 2))).toEqual([4, 2, 2]);
    expect(plan.dropped).toEqual({ duplicates: 0, conflicts: 0 });
  });

  it('depends only on splitSeed; topClasses and minClassSize filter by items', () => {
    const a = planSplits(items, opts(), 'test');
    expect(planSplits(items, opts(), 'test')).toEqual(a);
    const seeds = [1, 2, 3, 4, 5].map((splitSeed) => [...splitOfItems(planSplits(items, opts({ splitSeed }), 'test').splits)].sort().join());
    expect(new Set(seeds).size).toBeGreaterThan(1);
    // Items per class: A 10, D 4, B 3 (C is not eligible): the top 2 are A and D.
    expect(planSplits(items, opts({ topClasses: 2 }), 'test').labels).toEqual(['A', 'D']);
    expect(planSplits(items, opts({ minClassSize: 4 }), 'test').labels).toEqual(['A', 'D']);
    // Ties by name: B and D both with 3 items when D loses one.
    const tie = items.filter((x) => x.id !== 'D/d4/0');
    expect(planSplits(tie, opts({ topClasses: 2 }), 'test').labels).toEqual(['A', 'B']);
  });

  it('merges groups that share a window, keeps duplicates once and drops windows with two labels', () => {
    const shared = ['same', 'window'];
    const dup: MusicItem[] = [
      { ...item('A', 'a1', 0), windows: [shared, ['a1', 'own']] },
      { ...item('A', 'a2', 0), windows: [shared, ['a2', 'own']] },
      item('A', 'a3', 0),
      item('A', 'a4', 0),
      { ...item('B', 'b1', 0), windows: [['clash'], ['b1', 'own']] },
      item('B', 'b2', 0),
      { ...item('B', 'b3', 0), windows: [['b3', 'own'], ['b3', 'own']] },
      { ...item('A', 'a5', 0), windows: [['clash'], ['a5', 'own']] },
    ];
    for (const splitSeed of [1, 2, 3, 4, 5, 6]) {
      const plan = planSplits(dup, opts({ splitSeed }), 'dups');
      const where = splitOfItems(plan.splits);
      expect(where.get('A/a1/0')).toBe(where.get('A/a2/0'));
      const all = parts.flatMap((p) => plan.splits[p]);
      expect(all.filter((e) => e.symbols.join() === shared.join()).length).toBe(1);
      expect(all.some((e) => e.symbols.join() === 'clash')).toBe(false);
      // shared once (1 duplicate), b3's repeated window (1 duplicate); 'clash' twice.
      expect(plan.dropped).toEqual({ duplicates: 2, conflicts: 2 });
    }
  });

  it('uses given splits: classes need train and test; a window already in test or dev is dropped from later splits', () => {
    const given: MusicItem[] = [
      item('A', 'x', 0, { split: 'train' }),
      item('A', 'x', 1, { split: 'test' }),
      { ...item('A', 'y', 2, { split: 'train' }), windows: [['A', 'x', '1', 'w0']] }, // equals a test window
      item('B', 'x', 0, { split: 'train' }),
      item('B', 'x', 1, { split: 'dev' }),
      item('B', 'x', 2, { split: 'test' }),
      item('C', 'x', 0, { split: 'train' }),
      item('C', 'x', 1, { split: 'dev' }), // no test: dropped
    ];
    const plan = planSplits(given, opts(), 'given');
    expect(plan.labels).toEqual(['A', 'B']);
    expect(Object.fromEntries(splitOfItems(plan.splits))).toEqual({ 'A/x/0': 'train', 'A/x/1': 'test', 'B/x/0': 'train', 'B/x/1': 'dev', 'B/x/2': 'test' });
    expect(plan.dropped.duplicates).toBe(1);
    expect(sizes(plan.splits)).toEqual([4, 2, 4]);
  });

  it('caps training examples per class', () => {
    const plan = planSplits(items, opts({ maxPerClass: 3 }), 'test');
    for (const label of [0, 1, 2]) expect(plan.splits.train.filter((e) => e.label === label).length).toBeLessThanOrEqual(3);
    expect(plan.splits.train.filter((e) => e.label === 0).length).toBe(3);
    expect(plan.splits.test).toEqual(planSplits(items, opts(), 'test').splits.test);
  });
});

// ---- midi-dir ----------------------------------------------------------------------------------------------

describe('midi-dir data set', () => {
  // Each file: a tune of 6 notes = 18 symbols; with maxEvents 8 and windows 2 it gives two windows.
  const pitches = (k: number) => [40 + k, 50 + k, 41 + k, 52 + k, 43 + k, 54 + k];
  const files: { name: string; composer: string; title: string; split: string }[] = [];
  let k = 0;
  for (const composer of ['Bach', 'Chopin', 'Satie'])
    for (const [title, split] of [
      ['One', 'train'],
      ['Two', 'train'],
      ['Three', 'validation'],
      ['Four', 'test'],
    ] as const) {
      if (composer === 'Satie' && split === 'test') continue; // Satie has no test file
      files.push({ name: `${2000 + k}/${composer}-${title}.midi`, composer, title: `${title}, "${composer}"`, split });
      k++;
    }
  let midiDir: string;
  let csv: string;
  beforeAll(async () => {
    midiDir = join(dir, 'maestro');
    for (const [i, f] of files.entries()) {
      await mkdir(join(midiDir, f.name, '..'), { recursive: true });
      await writeFile(join(midiDir, f.name), tune(pitches(i)));
    }
    csv = join(dir, 'maestro.csv');
    const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
    await writeFile(
      csv,
      `canonical_composer,canonical_title,split,year,midi_filename\r\n${files.map((f) => [f.composer, q(f.title), f.split, '2018', f.name].join(',')).join('\r\n')}\r\n`,
    );
  });
  const create = (o: MusicOptionsInput = {}) => plugin.create({ dataset: 'midi-dir', dir: midiDir, labels: csv, maxEvents: 8, windows: 2, ...o }, { dataDir: dir }) as MusicTask;

  it('reads MAESTRO-style labels and uses the CSV split column', async () => {
    const t = create();
    expect(t.head.labels).toEqual(['Bach', 'Chopin']); // Satie has no test file
    const s = await t.load();
    expect(sizes(s)).toEqual([8, 4, 4]); // per composer: 2 train files, 1 validation, 1 test; 2 windows each
    const first = s.test.find((e) => e.item === files[3].name && e.window === 0)!;
    expect(first.label).toBe(0);
    // pitches(3) = 43 53 44 55 46 57: the first 8 symbols.
    expect(first.symbols).toEqual(['NOTE_ON_43', 'TIME_SHIFT_250', 'NOTE_OFF_43', 'NOTE_ON_53', 'TIME_SHIFT_250', 'NOTE_OFF_53', 'NOTE_ON_44', 'TIME_SHIFT_250']);
    expect(t.input?.kind).toBe('symbols');
    expect(t.source).toMatch(/MIDI files under .*maestro labelled by .*maestro\.csv/);
    expect(t.score([0, 1, 1, 0], [0, 1, 0, 0])).toEqual({ accuracy: 0.75, macro_f1: expect.closeTo(0.7333333333, 9) });
  });

  it('splits by splitSeed, by group, when the split column is ignored', async () => {
    const s = await create({ splitColumn: null, groupColumn: 'canonical_title' }).load();
    // Satie now qualifies (3 files = 3 groups), so 3 classes; every file is its own title here.
    const labels = new Set(parts.flatMap((p) => s[p].map((e) => e.label)));
    expect(labels).toEqual(new Set([0, 1, 2]));
    for (const p of parts) expect(new Set(s[p].map((e) => e.label)).size).toBe(3);
    splitOfItems(s); // throws if a file straddles splits
    expect(await create({ splitColumn: null, groupColumn: 'canonical_title' }).load()).toEqual(s);
  });

  it('names the label file and line, or the MIDI file, of bad data', async () => {
    const bad = async (text: string, o: MusicOptionsInput = {}) => {
      const f = join(dir, 'bad.csv');
      await writeFile(f, text);
      return create({ labels: f, ...o }).load();
    };
    await expect(bad('canonical_composer,midi_filename\nBach,missing.midi\n')).rejects.toThrow(/bad\.csv:2: MIDI file missing\.midi cannot be read under .* \(ENOENT\)/);
    await expect(bad(`canonical_composer,midi_filename,split\nBach,${files[0].name},holdout\n`)).rejects.toThrow(/bad\.csv:2: unknown split "holdout"/);
    await expect(bad(`composer,midi_filename\nBach,${files[0].name}\n`)).rejects.toThrow(/bad\.csv:1: no label column \(looked for "canonical_composer", "label"\)/);
    await expect(bad(`label,file\nBach,${files[0].name}\nBach,${files[0].name}\n`)).rejects.toThrow(/bad\.csv:3: .* is listed twice \(first on line 2\)/);
    await expect(bad(`label,file\n,${files[0].name}\n`)).rejects.toThrow(/bad\.csv:2: empty label/);
    await writeFile(join(midiDir, 'broken.midi'), tune([60, 62]).slice(0, 30));
    await expect(bad('label,file\nBach,broken.midi\n')).rejects.toThrow(/broken\.midi: malformed MIDI file: truncated/);
    await expect(create({ labels: join(dir, 'nope.csv') }).load()).rejects.toThrow(/nope\.csv: cannot read the label file \(ENOENT\)/);
  });
});

// ---- grooves (from a cache written here) ---------------------------------------------------------------------

describe('grooves data set', () => {
  // fam-a: groups A, A1, A2; fam-b: B, B1, B2, B3; fam-c: one group only (cannot be split three ways).
  const grooves: [string, string, string][] = [
    ['fam-a', 'A', 'A'],
    ['fam-a', 'ASus', 'A'],
    ['fam-a', 'A1', 'A1'],
    ['fam-a', 'A2', 'A2'],
    ['fam-b', 'B', 'B'],
    ['fam-b', 'B1', 'B1'],
    ['fam-b', 'B2', 'B2'],
    ['fam-b', 'B3', 'B3'],
    ['fam-c', 'C', 'C'],
    ['fam-c', 'CSus', 'C'],
  ];
  const cacheFor = async (dataDir: string) => {
    const header = { format: 'ssbench-mma-grooves', render: RENDER, mmaVersion: '21.09', families: 3, definitions: 10, grooves: grooves.length, silent: [] };
    const lines = grooves.map(([family, groove, group], i) =>
      JSON.stringify({ family, groove, group, midi: Buffer.from(tune([30 + i, 60 + i, 31 + i, 61 + i, 32 + i, 62 + i])).toString('base64') }),
    );
    await mkdir(join(dataDir, 'mma-grooves'), { recursive: true });
    await writeFile(groovesCacheFile(dataDir), `${[JSON.stringify(header), ...lines].join('\n')}\n`);
  };

  it('labels by family, keeps variant groups whole and reads mma’s version into the source', async () => {
    const dataDir = join(dir, 'data-grooves');
    await cacheFor(dataDir);
    const t = plugin.create({ maxEvents: 9 }, { dataDir }) as MusicTask;
    expect(t.head.labels).toEqual(['fam-a', 'fam-b']);
    const s = await t.load();
    // tune of 6 notes = 18 symbols = two windows of 9; fam-a 8 windows, fam-b 8.
    expect(sizes(s).reduce((a, b) => a + b, 0)).toBe(16);
    const where = splitOfItems(s);
    expect(where.get('fam-a/A')).toBe(where.get('fam-a/ASus'));
    for (const p of parts) expect(new Set(s[p].map((e: MusicExample) => e.label))).toEqual(new Set([0, 1]));
    expect(t.source).toMatch(/^Debian mma 21\.09 .*10 grooves rendered by mma \(RndSeed 1, 120 bpm, 16 bars\).*GPL-2\+/);
    expect(t.input).toEqual({ kind: 'symbols', alphabet: expect.arrayContaining(['NOTE_ON_0', 'DRUM_127', 'TIME_SHIFT_1000']) });
  });

  it('says how to prepare the data when the cache is missing', async () => {
    const empty = join(dir, 'data-empty');
    const t = plugin.create({}, { dataDir: empty });
    expect(t.head.kind).toBe('classification'); // creating the task reads no data
    await expect(t.load()).rejects.toThrow(/grooves-v1\.jsonl: data set "mma-grooves" is not prepared .*ssbench data prepare mma-grooves.*apt-get install mma/);
    const status = await plugin.datasetStatus('mma-grooves', { dataDir: empty });
    expect(status.ready).toBe(false);
    expect(status.detail).toMatch(/not prepared .*(ssbench data prepare mma-grooves|apt-get install mma)/);
    await expect(plugin.datasetStatus('maestro', { dataDir: empty })).rejects.toThrow(/unknown data set "maestro"/);
  });
});

// ---- the plugin ----------------------------------------------------------------------------------------------

describe('music task', () => {
  it('declares its version, metrics and data set', () => {
    expect(plugin).toMatchObject({ kind: 'task', name: '@ssbench/task-music', version: '1.0.0' });
    expect(plugin.datasets.map((d) => [d.name, d.debianPackage, d.licence])).toEqual([['mma-grooves', 'mma', expect.stringMatching(/GPL-2\+/)]]);
    const t = plugin.create({}, { dataDir: dir });
    expect(t.metrics).toEqual([
      { name: 'accuracy', higherIsBetter: true },
      { name: 'macro_f1', higherIsBetter: true },
    ]);
  });

  it('scores accuracy and macro F1 (hand-computed)', async () => {
    const dataDir = join(dir, 'data-score');
    const header = { format: 'ssbench-mma-grooves', render: RENDER, mmaVersion: '21.09', families: 3, definitions: 9, grooves: 9, silent: [] };
    const lines = ['x', 'y', 'z'].flatMap((f, i) =>
      [0, 1, 2].map((g) => JSON.stringify({ family: f, groove: `${f}${g}`, group: `${f}${g}`, midi: Buffer.from(tune([40 + i * 3 + g, 70])).toString('base64') })),
    );
    await mkdir(join(dataDir, 'mma-grooves'), { recursive: true });
    await writeFile(groovesCacheFile(dataDir), `${[JSON.stringify(header), ...lines].join('\n')}\n`);
    const t = plugin.create({}, { dataDir });
    expect((t as MusicTask).head.labels).toEqual(['x', 'y', 'z']);
    // gold      0 0 1 1 2 2
    // predicted 0 1 1 1 2 0
    // class 0: tp 1, fp 1, fn 1 -> F1 1/2; class 1: tp 2, fp 1, fn 0 -> 4/5; class 2: tp 1, fp 0, fn 1 -> 2/3.
    const s = (t as MusicTask).score([0, 1, 1, 1, 2, 0], [0, 0, 1, 1, 2, 2]);
    expect(s.accuracy).toBeCloseTo(4 / 6, 12);
    expect(s.macro_f1).toBeCloseTo((1 / 2 + 4 / 5 + 2 / 3) / 3, 12);
    expect(() => (t as MusicTask).score([3], [0])).toThrow(/predicted\[0\] is 3, expected a label id in \[0, 3\)/);
    expect(() => (t as MusicTask).score([0], [0, 1])).toThrow(/1 predictions for 2 gold/);
  });

  it('rejects bad options', () => {
    expect(() => resolveMusicOptions({ dataset: 'midi-dir' })).toThrow(/\/dir: dataset "midi-dir" needs "dir"/);
    expect(() => resolveMusicOptions({ dir: 'x' })).toThrow(/\/dir: dir is a midi-dir option \(dataset is "grooves"\)/);
    expect(() => resolveMusicOptions({ maxEvents: 4 })).toThrow(/\/maxEvents: maxEvents must be an integer in \[8, 4096\]/);
    expect(() => resolveMusicOptions({ split: { dev: 0.5, test: 0.5 } })).toThrow(/nothing left to train on/);
    expect(() => resolveMusicOptions({ drums: 'keep' as never })).toThrow(/\/drums/);
    expect(() => resolveMusicOptions({ seed: 1 } as never)).toThrow(/unknown option "seed"/);
    expect(resolveMusicOptions({})).toMatchObject({
      dataset: 'grooves',
      maxEvents: 126,
      windows: 4,
      topClasses: 10,
      encoding: { timeStepMs: 10, maxShiftSteps: 100, velocityBins: 0, drums: 'tokens', sustain: true },
    });
  });
});

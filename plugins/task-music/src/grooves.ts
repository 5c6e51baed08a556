/**
 * Style-labelled grooves from Debian `mma` (Musical MIDI Accompaniment, Bob van der Poel, GPL-2+).
 *
 * `/usr/share/mma/lib/stdlib/*.mma` holds 118 style files with 1,165 `DefGroove` lines (1,163 distinct grooves: two
 * are defined twice, and MMA keeps the later definition). Each file is one style family (swing, rhumba, waltz...):
 * the label. `prepare` renders every groove with the `mma` program into a small song (fixed seed, tempo and chord
 * progression, below) and caches the MIDI in one JSONL file; `load` encodes the MIDI into event symbols.
 *
 * Variant groups (leakage): inside a family most grooves are layers on one base (SwingSus = Swing + strings,
 * SwingWalk = Swing with a walking bass, SwingIntro, SwingEnd...), while numbered grooves (Swing1, Swing2) are
 * separately written patterns. A groove whose name extends another groove's name of the same file (ignoring case)
 * by anything but a bare number joins that groove's group (longest such prefix); the others head their own group.
 * Splits keep every group whole, so a test groove never has a layered copy in train.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SsbenchError, writeFileAtomic } from '@ssbench/core';
import { locateDebianFile, prepareDebianPackage } from '@ssbench/data';

export const GROOVES_DATASET = 'mma-grooves';
export const MMA_PACKAGE = 'mma';
const MMA_BIN = '/usr/bin/mma';
const MMA_HOME = '/usr/share/mma';

/** How each groove is rendered (part of the cache's identity: change it and the cache version). */
export const RENDER = Object.freeze({
  version: 1,
  rndSeed: 1,
  tempo: 120,
  /** 16 bars, one chord per bar. */
  chords: Object.freeze(['C', 'Am', 'Dm7', 'G7', 'C', 'A7', 'Dm7', 'G7', 'F', 'Fm', 'C', 'A7', 'D7', 'G7', 'C', 'G7']),
});

export interface GrooveFamily {
  /** File name without `.mma`, e.g. 'swing': the label. */
  family: string;
  /** Distinct groove names in order of first definition, spelled as first defined. */
  grooves: string[];
  /** Number of DefGroove lines (a redefinition counts twice). */
  definitions: number;
}

export interface GrooveRecord {
  family: string;
  groove: string;
  /** Variant group (upper case name of the group's head groove). */
  group: string;
  /** The rendered Standard MIDI File. */
  midi: Uint8Array;
}

export interface GrooveCacheHeader {
  format: 'ssbench-mma-grooves';
  render: typeof RENDER;
  mmaVersion: string;
  families: number;
  definitions: number;
  grooves: number;
  /** Grooves that produce no MIDI (e.g. none/None), as family/groove. */
  silent: string[];
}

// ---- the style library --------------------------------------------------------------------------------------

/** Reads the DefGroove names of every `*.mma` file of a style library directory (sorted by file name). */
export function scanStyleLibrary(dir: string): GrooveFamily[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.mma'))
      .sort();
  } catch (e) {
    throw new SsbenchError('data', `cannot read the mma style library (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: dir });
  }
  return files.map((f) => {
    const text = readFileSync(join(dir, f), 'latin1');
    const seen = new Map<string, string>();
    let definitions = 0;
    for (const m of text.matchAll(/^[ \t]*defgroove[ \t]+(\S+)/gim)) {
      definitions++;
      const key = m[1].toUpperCase();
      if (!seen.has(key)) seen.set(key, m[1]);
    }
    return { family: f.slice(0, -4), grooves: [...seen.values()], definitions };
  });
}

/**
 * Variant group of each groove name (see the module comment): name (upper case) -> group head (upper case).
 */
export function variantGroups(names: readonly string[]): Map<string, string> {
  const upper = [...new Set(names.map((n) => n.toUpperCase()))];
  const parent = new Map<string, string>();
  for (const n of upper) {
    let best: string | undefined;
    for (const p of upper) {
      if (p === n || !n.startsWith(p) || /^\d+$/.test(n.slice(p.length))) continue;
      if (best === undefined || p.length > best.length) best = p;
    }
    if (best !== undefined) parent.set(n, best);
  }
  const out = new Map<string, string>();
  for (const n of upper) {
    let r = n;
    while (parent.has(r)) r = parent.get(r)!;
    out.set(n, r);
  }
  return out;
}

// ---- the mma program ----------------------------------------------------------------------------------------

export interface MmaInstall {
  /** Command and leading arguments, e.g. ['/usr/bin/mma'] or ['python3', '<root>/usr/bin/mma']. */
  command: string[];
  env: Record<string, string>;
  /** The stdlib style directory. */
  stdlib: string;
}

/** mma installed system-wide, or extracted under `dataDir` by `prepareDebianPackage`; null when neither. */
export function locateMma(dataDir: string): MmaInstall | null {
  const bin = locateDebianFile({ package: MMA_PACKAGE, path: MMA_BIN }, dataDir);
  const home = locateDebianFile({ package: MMA_PACKAGE, path: MMA_HOME }, dataDir);
  if (!bin || !home || !existsSync(join(home, 'lib', 'stdlib'))) return null;
  if (bin === MMA_BIN) return { command: [MMA_BIN], env: {}, stdlib: join(home, 'lib', 'stdlib') };
  // Extracted payload: run the script with python3 and point MMA_HOME at the extracted library.
  return { command: ['python3', bin], env: { MMA_HOME: home }, stdlib: join(home, 'lib', 'stdlib') };
}

function runMma(mma: MmaInstall, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, ...lead] = mma.command;
  return new Promise((resolve) => {
    execFile(cmd, [...lead, ...args], { cwd, env: { ...process.env, ...mma.env }, timeout: 120_000, maxBuffer: 1 << 22 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === -1 ? err.message : '') });
    });
  });
}

/** `mma -v`: the version line, e.g. '21.09'. */
export async function mmaVersion(mma: MmaInstall, workDir: string): Promise<string> {
  const r = await runMma(mma, ['-v'], workDir);
  const v = r.stdout.split('\n').find((l) => /^\d+\.\d+/.test(l.trim()));
  if (r.code !== 0 || !v) throw new SsbenchError('data', `\`${mma.command.join(' ')} -v\` failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return v.trim();
}

/** The song that renders one groove: fixed seed (mma randomises timing and volume), tempo and 16 chords. */
export function grooveSong(family: string, groove: string): string {
  const lines = [`// ssbench ${GROOVES_DATASET} render v${RENDER.version}`, `RndSeed ${RENDER.rndSeed}`, `Tempo ${RENDER.tempo}`, `Groove stdlib/${family}:${groove}`];
  RENDER.chords.forEach((c, i) => {
    lines.push(`${i + 1} ${c}`);
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Renders one groove to MIDI with mma in `workDir`; null when the groove is silent (mma: "No data created").
 * Any other mma failure is a data error with mma's message.
 */
export async function renderGroove(mma: MmaInstall, family: string, groove: string, workDir: string, slot = 0): Promise<Uint8Array | null> {
  mkdirSync(workDir, { recursive: true });
  const song = join(workDir, `song${slot}.mma`);
  const out = join(workDir, `song${slot}.mid`);
  rmSync(out, { force: true });
  writeFileSync(song, grooveSong(family, groove));
  const r = await runMma(mma, ['-xNOCREDIT', '-f', out, song], workDir);
  const said = `${r.stdout}\n${r.stderr}`;
  if (r.code !== 0 || !existsSync(out)) {
    if (/No data created/.test(said)) return null;
    const msg = said
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^Warning:\s+PLUGIN/.test(l))
      .join(' ');
    throw new SsbenchError('data', `mma could not render groove ${family}:${groove} (exit ${r.code}): ${msg}`, { file: join(mma.stdlib, `${family}.mma`) });
  }
  const bytes = new Uint8Array(readFileSync(out));
  rmSync(out, { force: true });
  return bytes;
}

// ---- the cache ----------------------------------------------------------------------------------------------

export const groovesDir = (dataDir: string) => join(dataDir, GROOVES_DATASET);
export const groovesCacheFile = (dataDir: string) => join(groovesDir(dataDir), `grooves-v${RENDER.version}.jsonl`);
const partsDir = (dataDir: string) => join(groovesDir(dataDir), `parts-v${RENDER.version}`);

interface RecordJson {
  family: string;
  groove: string;
  group: string;
  midi: string;
}

const toJson = (r: GrooveRecord): RecordJson => ({ family: r.family, groove: r.groove, group: r.group, midi: Buffer.from(r.midi).toString('base64') });

export interface PrepareGroovesOptions {
  /** Render only the grooves this accepts (tests); the cache then holds only those. */
  select?: (family: string, groove: string) => boolean;
  /** mma processes at once (default 2). */
  concurrency?: number;
}

/**
 * Renders every groove (or the selected ones) and writes the cache atomically. Resumable: each family's records are
 * written (atomically) to a part file as soon as the family is done, and a rerun skips finished families.
 * Uses an installed mma, else extracts the Debian package under `dataDir` (needs `apt-get download` and python3).
 */
export async function prepareGrooves(dataDir: string, options: PrepareGroovesOptions = {}): Promise<{ file: string; header: GrooveCacheHeader }> {
  mkdirSync(groovesDir(dataDir), { recursive: true });
  let mma = locateMma(dataDir);
  if (!mma) {
    prepareDebianPackage(MMA_PACKAGE, dataDir);
    mma = locateMma(dataDir);
    if (!mma) throw new SsbenchError('data', `the extracted Debian package ${MMA_PACKAGE} has no ${MMA_BIN}: install it with \`apt-get install ${MMA_PACKAGE}\``);
    // An extracted library has no groove database yet (the package's postinst builds it): mma -G builds it.
    if (!existsSync(join(mma.stdlib, '.mmaDB'))) {
      const r = await runMma(mma, ['-G'], groovesDir(dataDir));
      if (r.code !== 0) throw new SsbenchError('data', `\`mma -G\` (groove database) failed: ${r.stderr.trim() || r.stdout.trim()}; install mma with \`apt-get install ${MMA_PACKAGE}\``);
    }
  }
  const work = join(groovesDir(dataDir), `work-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    const version = await mmaVersion(mma, work);
    const families = scanStyleLibrary(mma.stdlib);
    const select = options.select ?? (() => true);
    const parts = partsDir(dataDir);
    const silent: string[] = [];
    const lines: string[] = [];
    const concurrency = Math.max(1, options.concurrency ?? 2);
    for (const fam of families) {
      const chosen = fam.grooves.filter((g) => select(fam.family, g));
      if (chosen.length === 0) continue;
      const groups = variantGroups(fam.grooves);
      const part = join(parts, `${fam.family}.jsonl`);
      const partKey = `${version}:${chosen.join(',')}`;
      let partLines: string[] | null = null;
      if (existsSync(part)) {
        const [head, ...rest] = readFileSync(part, 'utf8').split('\n').filter((l) => l !== '');
        const h = JSON.parse(head) as { key: string; silent: string[] };
        if (h.key === partKey) {
          partLines = rest;
          silent.push(...h.silent);
        }
      }
      if (partLines === null) {
        const results: (Uint8Array | null)[] = new Array(chosen.length);
        let next = 0;
        const worker = async (slot: number) => {
          while (next < chosen.length) {
            const k = next++;
            results[k] = await renderGroove(mma, fam.family, chosen[k], work, slot);
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, chosen.length) }, (_, s) => worker(s)));
        const famSilent: string[] = [];
        partLines = [];
        chosen.forEach((g, k) => {
          const midi = results[k];
          if (midi === null) famSilent.push(`${fam.family}/${g}`);
          else partLines!.push(JSON.stringify(toJson({ family: fam.family, groove: g, group: groups.get(g.toUpperCase())!, midi })));
        });
        writeFileAtomic(part, `${[JSON.stringify({ key: partKey, silent: famSilent }), ...partLines].join('\n')}\n`);
        silent.push(...famSilent);
      }
      lines.push(...partLines);
    }
    const header: GrooveCacheHeader = {
      format: 'ssbench-mma-grooves',
      render: RENDER,
      mmaVersion: version,
      families: families.length,
      definitions: families.reduce((n, f) => n + f.definitions, 0),
      grooves: lines.length,
      silent,
    };
    const file = groovesCacheFile(dataDir);
    writeFileAtomic(file, `${[JSON.stringify(header), ...lines].join('\n')}\n`);
    rmSync(parts, { recursive: true, force: true });
    return { file, header };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Reads the cache; errors name the file and line. */
export function readGrooveCache(file: string): { header: GrooveCacheHeader; records: GrooveRecord[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SsbenchError(
      'data',
      `data set "${GROOVES_DATASET}" is not prepared (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): run \`ssbench data prepare ${GROOVES_DATASET}\` ` +
        `(it renders the grooves of Debian's mma: \`apt-get install ${MMA_PACKAGE}\`)`,
      { file },
    );
  }
  const lines = text.split('\n');
  const parse = (i: number): unknown => {
    try {
      return JSON.parse(lines[i]);
    } catch (e) {
      throw new SsbenchError('data', `invalid JSON: ${(e as Error).message}`, { file, line: i + 1 });
    }
  };
  const header = parse(0) as GrooveCacheHeader;
  if (header?.format !== 'ssbench-mma-grooves' || header.render?.version !== RENDER.version)
    throw new SsbenchError('data', `not an ssbench mma-grooves cache of render version ${RENDER.version}: run \`ssbench data prepare ${GROOVES_DATASET}\` again`, { file, line: 1 });
  const records: GrooveRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const r = parse(i) as Partial<RecordJson>;
    for (const k of ['family', 'groove', 'group', 'midi'] as const)
      if (typeof r?.[k] !== 'string' || r[k] === '') throw new SsbenchError('data', `record without a "${k}" string`, { file, line: i + 1 });
    records.push({ family: r.family!, groove: r.groove!, group: r.group!, midi: new Uint8Array(Buffer.from(r.midi!, 'base64')) });
  }
  if (records.length !== header.grooves)
    throw new SsbenchError('data', `the header announces ${header.grooves} grooves but the file holds ${records.length} (truncated?)`, { file });
  return { header, records };
}

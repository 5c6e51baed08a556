/**
 * Files shipped in Debian packages. A task names the package and the path inside it; the file is found either where
 * `apt-get install` put it (`/usr/share/...`) or in ssbench's data directory, where `prepareDebianPackage` extracts
 * the package's payload (`apt-get download` + `dpkg-deb -x`: no root, no dependencies pulled in, so R or Perl
 * never have to be installed just to read a data file).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SsbenchError } from '@ssbench/core';

export interface DebianFile {
  /** Debian package name, e.g. 'r-cran-mlbench'. */
  package: string;
  /** Absolute path inside the package, e.g. '/usr/lib/R/site-library/mlbench/data/DNA.rda'. */
  path: string;
}

const extractedRoot = (dataDir: string, pkg: string) => join(dataDir, 'debian', pkg);

/** Where the file is on this machine (installed system-wide or extracted under `dataDir`), or null. */
export function locateDebianFile(file: DebianFile, dataDir: string): string | null {
  if (existsSync(file.path)) return file.path;
  const extracted = join(extractedRoot(dataDir, file.package), file.path);
  return existsSync(extracted) ? extracted : null;
}

/** Like `locateDebianFile`, but a missing file is a data error that says how to get it. */
export function requireDebianFile(file: DebianFile, dataDir: string, dataset: string): string {
  const found = locateDebianFile(file, dataDir);
  if (found) return found;
  throw new SsbenchError(
    'data',
    `data set "${dataset}" needs ${file.path} from the Debian package ${file.package}: run \`apt-get install ${file.package}\` ` +
      `(or \`ssbench data prepare ${dataset}\`, which extracts the package under ${extractedRoot(dataDir, file.package)} without installing it)`,
  );
}

/**
 * The Debian version of an installed or extracted package, read from the first line of its
 * `/usr/share/doc/<pkg>/changelog.Debian.gz` (`pkg (version) suite; urgency=...`), or null when the changelog is
 * missing or unreadable.
 */
export function debianPackageVersion(pkg: string, dataDir: string): string | null {
  const changelog = locateDebianFile({ package: pkg, path: `/usr/share/doc/${pkg}/changelog.Debian.gz` }, dataDir);
  if (!changelog) return null;
  try {
    const first = gunzipSync(readFileSync(changelog)).toString('utf8').split('\n', 1)[0];
    return /^\S+ \(([^)]+)\)/.exec(first)?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * Extracts a Debian package's files under `<dataDir>/debian/<package>/` (atomically: a half-extracted package is
 * never visible). Needs `apt-get` and `dpkg-deb` and access to the Debian archive; returns the extraction root.
 */
export function prepareDebianPackage(pkg: string, dataDir: string): string {
  const root = extractedRoot(dataDir, pkg);
  if (existsSync(root)) return root;
  const work = `${root}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    execFileSync('apt-get', ['download', pkg], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download produced no .deb file');
    const tree = join(work, 'tree');
    execFileSync('dpkg-deb', ['-x', join(work, deb), tree], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(tree, root);
    return root;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new SsbenchError(
      'data',
      `could not fetch the Debian package ${pkg} (${stderr || (err as Error).message}); install it with \`apt-get install ${pkg}\``,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

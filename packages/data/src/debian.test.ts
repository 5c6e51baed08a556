import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { debianPackageVersion } from './debian';

// A package name no machine has installed, so only the extracted copy under the temp data dir is found.
const PKG = 'ssbench-test-fixture-package';

describe('debianPackageVersion', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  /** A data dir holding an "extracted" package whose changelog.Debian.gz has the given bytes (or none). */
  const dataDir = (changelog?: Buffer) => {
    const dir = mkdtempSync(join(tmpdir(), 'ssbench-debian-'));
    dirs.push(dir);
    if (changelog) {
      const doc = join(dir, 'debian', PKG, 'usr', 'share', 'doc', PKG);
      mkdirSync(doc, { recursive: true });
      writeFileSync(join(doc, 'changelog.Debian.gz'), changelog);
    }
    return dir;
  };

  it('reads the version from the first line of the changelog', () => {
    const text = `${PKG} (2.4.1-3+b2) unstable; urgency=medium\n\n  * Rebuild.\n\n${PKG} (2.4.1-2) unstable; urgency=low\n`;
    expect(debianPackageVersion(PKG, dataDir(gzipSync(text)))).toBe('2.4.1-3+b2');
  });

  it('is null when the package is neither installed nor extracted', () => {
    expect(debianPackageVersion(PKG, dataDir())).toBeNull();
  });

  it('is null when the changelog is not gzip or its first line has no version', () => {
    expect(debianPackageVersion(PKG, dataDir(Buffer.from('not gzip')))).toBeNull();
    expect(debianPackageVersion(PKG, dataDir(gzipSync('just some text\n')))).toBeNull();
  });
});

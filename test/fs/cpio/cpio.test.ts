// cpio reader/writer against GNU cpio: the corpus archives in all four formats, and trees
// with hard links, symlinks, device nodes and empty files archived by `cpio -o -H <fmt>` at
// test time. Re-encoding what we read must give the same bytes; `cpio -it` must list what we
// write as we wrote it; broken headers and checksums must fail.

import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptError } from '../../../src/errors.js';
import { CpioFileSystem, type CpioFormat, readCpioArchive, writeCpioArchive } from '../../../src/fs/cpio/index.js';
import { CORPUS, readCorpus, requireTool, tempDir } from '../../helpers/tools.js';

requireTool('cpio');
const dir = tempDir('rehost-cpio-');

function makeTree(): string {
  const root = join(dir, 'tree');
  mkdirSync(join(root, 'usr/lib/modules/6.1.0/kernel'), { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'guest\n');
  writeFileSync(join(root, 'empty'), '');
  writeFileSync(join(root, 'usr/lib/modules/6.1.0/kernel/a.ko'), Buffer.alloc(5000, 7));
  writeFileSync(join(root, 'odd'), 'x'.repeat(13));
  linkSync(join(root, 'odd'), join(root, 'odd-link1'));
  linkSync(join(root, 'odd'), join(root, 'usr/odd-link2'));
  symlinkSync('usr/lib', join(root, 'lib'));
  symlinkSync('/etc/hostname', join(root, 'etc/name-abs'));
  execFileSync('mknod', [join(root, 'console'), 'c', '5', '1']);
  execFileSync('mknod', [join(root, 'sda'), 'b', '8', '0']);
  execFileSync('mkfifo', [join(root, 'fifo')]);
  for (const p of ['etc/hostname', 'empty', 'odd']) utimesSync(join(root, p), 1432740000, 1432740000);
  return root;
}

const tree = makeTree();
const list = execFileSync('sh', ['-c', 'find . | LC_ALL=C sort'], { cwd: tree, encoding: 'utf8' });
/** GNU cpio stores `./etc` as `etc` (and `.` as `.`). */
const names = list.replace(/^\.\//gm, '');

function gnuCpio(format: string, extra: string[] = []): Uint8Array {
  return new Uint8Array(execFileSync('cpio', ['-o', '-H', format, '--quiet', ...extra], { cwd: tree, input: list, maxBuffer: 1 << 28 }));
}

function cpioList(bytes: Uint8Array, verbose = false): string {
  const path = join(dir, `list-${Math.random()}.cpio`);
  writeFileSync(path, bytes);
  return execFileSync('sh', ['-c', `TZ=UTC cpio -i ${verbose ? '-tv --numeric-uid-gid' : '-t'} --quiet < "$1"`, 'sh', path], { encoding: 'utf8' });
}

const FORMATS: Array<{ gnu: string; ours: CpioFormat }> = [
  { gnu: 'newc', ours: 'newc' },
  { gnu: 'crc', ours: 'crc' },
  { gnu: 'odc', ours: 'odc' },
  { gnu: 'bin', ours: 'bin-le' },
];

describe('corpus archives (dfvfs syslog in four formats)', () => {
  for (const name of ['newc', 'crc', 'odc', 'bin']) {
    it(`${name}: listing, content hash and byte-identical re-encoding`, async () => {
      const bytes = readCorpus(`cpio/dfvfs-syslog.${name}.cpio`);
      const archive = readCpioArchive(bytes);
      expect(archive.entries.map((e) => e.name)).toEqual(['syslog']);
      const entry = archive.entries[0]!;
      const oracle = readFileSync(join(CORPUS, `oracle/cpio/dfvfs-syslog.${name}.cpio.cpio-itv.txt`), 'utf8');
      expect(oracle).toContain(`${entry.uid}     ${entry.gid}         ${entry.data.length}`);
      const sha = readFileSync(join(CORPUS, `oracle/cpio/dfvfs-syslog.${name}.cpio.sha256.txt`), 'utf8').split(' ')[0];
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(entry.data).digest('hex')).toBe(sha);
      const again = writeCpioArchive({ format: archive.format, entries: archive.entries, trailer: archive.trailer, blockSize: 512 });
      expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
      const fs = new CpioFileSystem({ entries: archive.entries });
      expect((await fs.stat('/syslog')).mtime?.toISOString().startsWith('2015-05-27')).toBe(true);
    });
  }
});

describe.each(FORMATS)('GNU cpio -H $gnu', ({ gnu, ours }) => {
  const bytes = gnuCpio(gnu);

  it('reads every entry and re-encodes byte-identically', () => {
    const archive = readCpioArchive(bytes);
    expect(archive.format).toBe(ours);
    // newc/crc: GNU cpio defers hard-link groups to the end (data on the last link).
    expect(archive.entries.map((e) => e.name).sort().join('\n') + '\n').toBe(names);
    const again = writeCpioArchive({ format: archive.format, entries: archive.entries, trailer: archive.trailer, blockSize: 512 });
    expect(again.length).toBe(bytes.length);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it('cpio -itv lists what we write the same as the original', () => {
    const archive = readCpioArchive(bytes);
    const ours2 = writeCpioArchive({ format: archive.format, entries: archive.entries });
    expect(cpioList(ours2, true)).toBe(cpioList(bytes, true));
  });

  it('the file tree: hard links share data, symlinks, devices', async () => {
    const fs = new CpioFileSystem({ entries: readCpioArchive(bytes).entries });
    for (const p of ['/odd', '/odd-link1', '/usr/odd-link2']) expect(new TextDecoder().decode(await fs.readFile(p))).toBe('x'.repeat(13));
    expect(await fs.stat('/lib')).toMatchObject({ type: 'symlink', target: 'usr/lib' });
    expect((await fs.readdir('/lib/modules/6.1.0/kernel')).map((e) => e.name)).toEqual(['a.ko']);
    expect((await fs.readFile('/lib/modules/6.1.0/kernel/a.ko')).length).toBe(5000);
    expect(new TextDecoder().decode(await fs.readFile('/etc/name-abs'))).toBe('guest\n');
    const console = await fs.stat('/console');
    expect(console.type).toBe('other');
    if (ours !== 'bin-le') expect(console.extra).toEqual({ rdevMajor: 5, rdevMinor: 1 });
    expect(await fs.exists('/nope')).toBe(false);
    await expect(fs.readFile('/nope')).rejects.toThrow(/no such file/);
    await expect(fs.readFile('/etc')).rejects.toThrow(/is a directory/);
  });
});

describe('writer', () => {
  it('big-endian old binary archives are listed by GNU cpio', () => {
    const archive = readCpioArchive(gnuCpio('bin'));
    const be = writeCpioArchive({ format: 'bin-be', entries: archive.entries });
    expect(readCpioArchive(be).format).toBe('bin-be');
    expect(cpioList(be).split('\n').sort().join('\n')).toBe(names.split('\n').sort().join('\n'));
  });

  it('crc archives we write carry checksums GNU cpio accepts on extraction', () => {
    const archive = readCpioArchive(gnuCpio('newc'));
    const crc = writeCpioArchive({ format: 'crc', entries: archive.entries });
    const out = join(dir, 'extract-crc');
    mkdirSync(out);
    const path = join(dir, 'ours.crc.cpio');
    writeFileSync(path, crc);
    const stderr = execFileSync('sh', ['-c', 'cpio -idm --quiet < "$1" 2>&1', 'sh', path], { cwd: out, encoding: 'utf8' });
    expect(stderr).not.toMatch(/checksum/i);
    expect(readFileSync(join(out, 'usr/odd-link2'), 'utf8')).toBe('x'.repeat(13));
  });
});

describe('corrupt input', () => {
  const good = gnuCpio('newc');
  it('bad hex digit in a header', () => {
    const bad = good.slice();
    bad[20] = 0x5a; // 'Z'
    expect(() => readCpioArchive(bad)).toThrow(CorruptError);
  });
  it('missing trailer', () => {
    const archive = readCpioArchive(good);
    expect(() => readCpioArchive(good.subarray(0, archive.offsets[3]! + 50))).toThrow(/past the end|truncated|missing/);
  });
  it('file size past the end', () => {
    const bad = good.slice();
    bad.set(new TextEncoder().encode('7FFFFFFF'), 54);
    expect(() => readCpioArchive(bad)).toThrow(CorruptError);
  });
  it('crc checksum mismatch', () => {
    const crc = gnuCpio('crc');
    const archive = readCpioArchive(crc);
    const i = archive.entries.findIndex((e) => e.name === 'etc/hostname');
    const bad = crc.slice();
    const at = archive.entries[i]!.data.byteOffset;
    bad[at] = bad[at]! ^ 1;
    expect(() => readCpioArchive(bad)).toThrow(/checksum/);
  });
  it('no magic', () => {
    expect(() => readCpioArchive(new Uint8Array(200))).toThrow(CorruptError);
  });
});

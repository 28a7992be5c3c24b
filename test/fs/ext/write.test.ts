// Writes through libext2fs onto a copy-on-write overlay, proven clean by `e2fsck -fn` and read
// back by debugfs; and the refusals: journal needing recovery, recorded errors, unclean
// unmount (UnsafeStateError), encryption, casefolding, unknown incompat bits (UnsupportedError).

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticLog } from '../../../src/diagnostics.js';
import { UnsafeStateError, UnsupportedError } from '../../../src/errors.js';
import { openExt, openExtWritable } from '../../../src/fs/ext/index.js';
import { FileDevice, MemoryDevice, OverlayDevice } from '../../../src/io/index.js';
import { requireTool, run, tempDir } from '../../helpers/tools.js';
import { buildTree, debugfsView, makeFs } from './images.js';

let dir: string;

async function materialise(overlay: OverlayDevice, path: string): Promise<void> {
  writeFileSync(path, await overlay.read(0, overlay.size));
}

function e2fsckClean(image: string): void {
  const result = spawnSync('e2fsck', ['-fn', image], { encoding: 'utf8' });
  expect(result.status, result.stdout + result.stderr).toBe(0);
  expect(result.stdout).not.toMatch(/Fix\?|Clear\?|Salvage\?|error|incorrect|differences/i);
}

const text = (s: string) => new TextEncoder().encode(s);

describe('ext writes on an overlay', () => {
  beforeAll(() => {
    for (const tool of ['mkfs.ext4', 'e2fsck', 'debugfs']) requireTool(tool);
    dir = tempDir('rehost-ext-write-');
    buildTree(join(dir, 'tree'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of ['ext4', 'ext3', 'ext2'] as const) {
    it(`${kind}: create, overwrite, grow, truncate, delete, mkdir, symlinks, owner/mode/mtime — e2fsck clean`, async () => {
      const image = join(dir, `${kind}.img`);
      makeFs({ kind, tree: join(dir, 'tree'), image, sizeMb: 32 });
      const base = await FileDevice.open(image);
      const overlay = new OverlayDevice(base);
      const log = new DiagnosticLog();
      const fs = await openExtWritable(overlay, { diagnostics: log });
      await fs.writeFile('/new.txt', text('brand new\n'), { mode: 0o640, uid: 1000, gid: 100 });
      await fs.writeFile('/hello.txt', text('HELLO, WORLD\n')); // overwrite, same size
      const grown = new Uint8Array(5 * 1024 * 1024 + 7).map((_, i) => (i * 7) & 0xff);
      await fs.writeFile('/tiny', grown); // grow from 40 bytes to 5 MiB
      await fs.writeFile('/large.bin', text('short now')); // truncate 3 MiB → 9 bytes
      await fs.unlink('/sparse.bin');
      await fs.unlink('/modes/hardlink');
      await fs.mkdir('/etc', { mode: 0o755 });
      await fs.mkdir('/etc/rehost', { mode: 0o700, uid: 1000, gid: 1000 });
      await fs.writeFile('/etc/rehost/config', text('key=value\n'), { mode: 0o600, uid: 1000, gid: 1000 });
      await fs.symlink('config', '/etc/rehost/fast');
      await fs.symlink('/etc/rehost/' + 'x'.repeat(150), '/etc/rehost/slow', { uid: 1000, gid: 1000 });
      await fs.mkdir('/gone');
      await fs.rmdir('/gone');
      await fs.rmdir('/empty-dir');
      const when = new Date(Date.UTC(2021, 6, 4, 12, 30, 15, 250));
      await fs.writeFile('/timed.txt', text('timed\n'), { mtime: when, mode: 0o644 });
      await fs.mkdir('/timed-dir', { mtime: new Date(Date.UTC(2000, 0, 1)) });
      await fs.symlink('timed.txt', '/timed-link', { mtime: new Date(Date.UTC(2010, 1, 2)) });
      await expect(fs.rmdir('/small-dir')).rejects.toThrow(/not empty/);
      await expect(fs.mkdir('/etc')).rejects.toThrow(/exists/);
      // Reads see the writes before and after the flush.
      expect(new TextDecoder().decode(await fs.readFile('/hello.txt'))).toBe('HELLO, WORLD\n');
      await fs.flush();
      expect((await fs.readFile('/tiny')).length).toBe(grown.length);
      await fs.close();
      expect(base.size).toBe(overlay.size);

      const out = join(dir, `${kind}-written.img`);
      await materialise(overlay, out);
      e2fsckClean(out);
      const view = debugfsView(out, join(dir, `rdump-${kind}`));
      expect(view.get('/new.txt')).toMatchObject({ type: 'file', size: 10, mode: 0o100640, uid: 1000, gid: 100 });
      expect(view.get('/hello.txt')?.size).toBe(13);
      expect(view.get('/tiny')?.size).toBe(grown.length);
      expect(view.get('/large.bin')?.size).toBe(9);
      expect(view.has('/sparse.bin')).toBe(false);
      expect(view.has('/modes/hardlink')).toBe(false);
      expect(view.has('/gone')).toBe(false);
      expect(view.has('/empty-dir')).toBe(false);
      expect(view.get('/etc/rehost')).toMatchObject({ type: 'directory', mode: 0o40700, uid: 1000, gid: 1000 });
      expect(view.get('/etc/rehost/config')).toMatchObject({ mode: 0o100600, uid: 1000 });
      expect(view.get('/etc/rehost/fast')).toMatchObject({ type: 'symlink', target: 'config' });
      expect(view.get('/etc/rehost/slow')).toMatchObject({ type: 'symlink', target: '/etc/rehost/' + 'x'.repeat(150), uid: 1000 });
      const mtimeOf = (path: string) => Number.parseInt(/mtime: 0x([0-9a-f]+)/.exec(run('debugfs', ['-R', `stat ${path}`, out]))?.[1] ?? '', 16);
      expect(mtimeOf('/timed.txt')).toBe(Math.floor(when.getTime() / 1000));
      expect(mtimeOf('/timed-dir')).toBe(Date.UTC(2000, 0, 1) / 1000);
      expect(mtimeOf('/timed-link')).toBe(Date.UTC(2010, 1, 2) / 1000);
      expect(/mtime: 0x[0-9a-f]+:([0-9a-f]+)/.exec(run('debugfs', ['-R', 'stat /timed.txt', out]))?.[1]).toBe((250_000_000 << 2).toString(16).padStart(8, '0'));
      // The source image is untouched.
      const again = await openExt(await FileDevice.open(image));
      expect(await again.exists('/new.txt')).toBe(false);
      await again.close();
      expect(log.warnings()).toEqual([]);
    });
  }

  function variant(name: string, mkfsExtra: string[], debugfsCommand?: string): string {
    const image = join(dir, `${name}.img`);
    makeFs({ kind: 'ext4', tree: join(dir, 'tree'), image, sizeMb: 32, extra: mkfsExtra });
    if (debugfsCommand) run('debugfs', ['-w', '-R', debugfsCommand, image]);
    return image;
  }

  it('refuses a journal needing recovery but still reads it', async () => {
    const image = variant('recover', [], 'feature needs_recovery');
    const device = await FileDevice.open(image);
    await expect(openExtWritable(new OverlayDevice(device))).rejects.toBeInstanceOf(UnsafeStateError);
    const log = new DiagnosticLog();
    const fs = await openExt(device, { diagnostics: log });
    expect(new TextDecoder().decode(await fs.readFile('/hello.txt'))).toBe('hello, world\n');
    expect(log.warnings().map((d) => d.code)).toContain('EXT_NEEDS_RECOVERY');
    await fs.close();
  });

  it('refuses a filesystem with recorded errors or an unclean unmount', async () => {
    const errors = await FileDevice.open(variant('errors', [], 'ssv state 3'));
    await expect(openExtWritable(new OverlayDevice(errors))).rejects.toThrow(/recorded errors/);
    const unclean = await FileDevice.open(variant('unclean', [], 'ssv state 0'));
    await expect(openExtWritable(new OverlayDevice(unclean))).rejects.toThrow(/not cleanly unmounted/);
  });

  it('refuses to write encrypt and casefold; reads encrypt, the packaged libext2fs rejects casefold', async () => {
    for (const feature of ['encrypt', 'casefold']) {
      const device = await FileDevice.open(variant(feature, ['-O', feature]));
      const error = await openExtWritable(new OverlayDevice(device)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedError);
      expect(String(error)).toContain(feature);
      // Measured: the ext2fs package's build rejects casefold at mount (EXT2_ET_UNSUPP_FEATURE)
      // and reads an encrypt-enabled filesystem (nothing in it is encrypted).
      const read = await openExt(device).catch((e: unknown) => e);
      if (feature === 'casefold') {
        expect(read).toBeInstanceOf(UnsupportedError);
        expect(String(read)).toContain('EXT2_ET_UNSUPP_FEATURE');
      } else {
        expect(await (read as Awaited<ReturnType<typeof openExt>>).exists('/hello.txt')).toBe(true);
        await (read as Awaited<ReturnType<typeof openExt>>).close();
      }
    }
  });

  it('refuses an mtime it cannot place (meta_bg) before writing anything', async () => {
    const device = new OverlayDevice(await FileDevice.open(variant('metabg', ['-O', 'meta_bg,^resize_inode'])));
    const fs = await openExtWritable(device);
    await expect(fs.writeFile('/t', text('t'), { mtime: new Date(0) })).rejects.toThrow(/meta_bg/);
    expect(await fs.exists('/t')).toBe(false);
    await fs.writeFile('/t', text('t'));
    await fs.close();
  });

  it('refuses an unknown incompat feature by name', async () => {
    const image = variant('plain', []);
    const bytes = new Uint8Array(await (await FileDevice.open(image)).read(0, 64 * 1024));
    const whole = new Uint8Array(32 * 1024 * 1024);
    whole.set(bytes);
    new DataView(whole.buffer).setUint32(1024 + 0x60, new DataView(whole.buffer).getUint32(1024 + 0x60, true) | 0x100000, true);
    const error = await openExtWritable(new OverlayDevice(new MemoryDevice(whole))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(String(error)).toContain('incompat_0x100000');
  });

  it('a Node Buffer view larger than one chunk is written whole and the caller keeps its bytes', async () => {
    const image = join(dir, 'buffer-view.img');
    makeFs({ kind: 'ext4', tree: join(dir, 'tree'), image, sizeMb: 32 });
    const overlay = new OverlayDevice(await FileDevice.open(image));
    const fs = await openExtWritable(overlay);
    // A view into a larger ArrayBuffer, as Buffer.subarray and pooled Buffers are.
    const arena = Buffer.alloc(1024 * 1024 + 300, 0x5a);
    const view = arena.subarray(100, 100 + 700 * 1024);
    await fs.writeFile('/view.bin', view);
    expect(arena.buffer.byteLength).toBeGreaterThan(0);
    expect(view.length).toBe(700 * 1024);
    await fs.flush();
    expect((await fs.readFile('/view.bin')).length).toBe(700 * 1024);
    await fs.close();
    const out = join(dir, 'buffer-view-written.img');
    await materialise(overlay, out);
    e2fsckClean(out);
    const dumped = join(dir, 'view.bin');
    run('debugfs', ['-R', `dump /view.bin ${dumped}`, out]);
    const bytes = (await import('node:fs')).readFileSync(dumped);
    expect(bytes.length).toBe(700 * 1024);
    expect(bytes.every((b) => b === 0x5a)).toBe(true);
  });
});

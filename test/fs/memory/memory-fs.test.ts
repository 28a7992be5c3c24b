import { describe, expect, it } from 'vitest';
import { CorruptError, NotFoundError } from '../../../src/errors.js';
import { MemoryFileSystem } from '../../../src/fs/memory/index.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('MemoryFileSystem', () => {
  it('builds from a tree and reads files, directories and symlinks', async () => {
    const fs = await MemoryFileSystem.from({
      etc: { hostname: 'box\n', 'os-release': 'ID=debian\n' },
      usr: { bin: { dash: new Uint8Array([0x7f, 0x45]) } },
      bin: { symlink: 'usr/bin' },
      'usr/bin/sh': { symlink: 'dash' },
    });
    expect(fs.kind).toBe('memory');
    expect(text(await fs.readFile('/etc/hostname'))).toBe('box\n');
    expect(await fs.readFile('/bin/sh')).toEqual(new Uint8Array([0x7f, 0x45]));
    const link = await fs.stat('/bin');
    expect(link).toMatchObject({ type: 'symlink', target: 'usr/bin', size: 7 });
    expect((await fs.stat('/bin/sh')).type).toBe('symlink');
    expect((await fs.readdir('/bin')).map((e) => e.name).sort()).toEqual(['dash', 'sh']);
    expect(await fs.exists('/bin/sh')).toBe(true);
    expect(await fs.exists('/nope')).toBe(false);
    expect(await fs.exists('/etc/hostname/x')).toBe(false);
  });

  it('follows absolute and .. symlinks inside its own root', async () => {
    const fs = await MemoryFileSystem.from({ a: { b: { f: 'x' } }, c: { up: { symlink: '../a/b' }, abs: { symlink: '/a/b/f' } } });
    expect(text(await fs.readFile('/c/up/f'))).toBe('x');
    expect(text(await fs.readFile('/c/abs'))).toBe('x');
  });

  it('rejects symlink loops with CorruptError and missing paths with NotFoundError', async () => {
    const fs = await MemoryFileSystem.from({ loop: { symlink: 'loop2' }, loop2: { symlink: 'loop' }, dir: {} });
    await expect(fs.readFile('/loop')).rejects.toBeInstanceOf(CorruptError);
    await expect(fs.readFile('/missing')).rejects.toBeInstanceOf(NotFoundError);
    await expect(fs.readFile('/dir')).rejects.toMatchObject({ errno: 'EISDIR' });
    await expect(fs.readdir('/missing')).rejects.toBeInstanceOf(NotFoundError);
    expect(await fs.exists('/loop')).toBe(true);
    expect(await fs.exists('/loop/x')).toBe(false);
  });

  it('writes, replaces, unlinks and removes directories', async () => {
    const fs = new MemoryFileSystem({ label: 'L', uuid: 'U' });
    await fs.mkdir('/d', { mode: 0o700 });
    await fs.writeFile('/d/f', new Uint8Array([1]), { mode: 0o600, uid: 5 });
    await fs.writeFile('/d/f', new Uint8Array([2, 3]));
    expect((await fs.stat('/d/f')).size).toBe(2);
    expect((await fs.stat('/d')).mode).toBe(0o040700);
    await expect(fs.mkdir('/d')).rejects.toThrow(/exists/);
    await expect(fs.rmdir('/d')).rejects.toThrow(/not empty/);
    await expect(fs.writeFile('/nodir/f', new Uint8Array())).rejects.toBeInstanceOf(NotFoundError);
    await expect(fs.unlink('/d')).rejects.toMatchObject({ errno: 'EISDIR' });
    await fs.unlink('/d/f');
    await fs.rmdir('/d');
    expect(await fs.readdir('/')).toEqual([]);
    await fs.flush();
  });
});

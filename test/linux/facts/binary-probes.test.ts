// ELF identity and the bzImage setup header, on bytes built here and on the host's own
// binaries (compared with `file`-independent facts: this machine's arch via uname -m).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CorruptError } from '../../../src/errors.js';
import { elfIdentity, readBzImageVersion, rpmDbFormatFromMagic, SETUP_HEADER } from '../../../src/linux/facts/index.js';
import { run } from '../../helpers/tools.js';
import { bzImage } from './builders.js';

function elfHeader(args: { elfClass: number; data: number; machine: number }): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, args.elfClass, args.data, 1]);
  new DataView(b.buffer).setUint16(0x12, args.machine, args.data === 1);
  return b;
}


describe('ELF identity', () => {
  it('names architectures', () => {
    expect(elfIdentity(elfHeader({ elfClass: 2, data: 1, machine: 62 }))).toEqual({ arch: 'x86_64', bits: 64, endian: 'little', machine: 62 });
    expect(elfIdentity(elfHeader({ elfClass: 1, data: 1, machine: 3 })).arch).toBe('i386');
    expect(elfIdentity(elfHeader({ elfClass: 2, data: 1, machine: 183 })).arch).toBe('aarch64');
    expect(elfIdentity(elfHeader({ elfClass: 2, data: 1, machine: 21 })).arch).toBe('ppc64le');
    expect(elfIdentity(elfHeader({ elfClass: 2, data: 2, machine: 21 })).arch).toBe('ppc64');
    expect(elfIdentity(elfHeader({ elfClass: 2, data: 2, machine: 22 })).arch).toBe('s390x');
    expect(elfIdentity(elfHeader({ elfClass: 2, data: 1, machine: 243 })).arch).toBe('riscv64');
  });
  it('agrees with uname -m on the host binary', () => {
    expect(elfIdentity(readFileSync('/bin/ls').subarray(0, 64)).arch).toBe(run('uname', ['-m']).trim());
  });
  it('rejects what is not ELF', () => {
    expect(() => elfIdentity(new TextEncoder().encode('#!/bin/sh\necho hello world, this is long enough'))).toThrow(CorruptError);
    expect(() => elfIdentity(new Uint8Array([0x7f, 0x45, 0x4c]))).toThrow(/truncated/);
    expect(() => elfIdentity(elfHeader({ elfClass: 3, data: 1, machine: 62 }))).toThrow(/EI_CLASS/);
    expect(() => elfIdentity(elfHeader({ elfClass: 2, data: 0, machine: 62 }))).toThrow(/EI_DATA/);
  });
});

describe('bzImage kernel_version', () => {
  it('reads the setup header version string', () => {
    expect(SETUP_HEADER.size).toBe(0x210 - 0x1f1);
    expect(readBzImageVersion(bzImage('6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP\0'))).toEqual({
      protocol: '2.15',
      versionString: '6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP',
      release: '6.1.0-18-amd64',
    });
  });
  it('answers undefined for images without the header', () => {
    expect(readBzImageVersion(new Uint8Array(0x1000))).toBeUndefined();
    expect(readBzImageVersion(new Uint8Array(16))).toBeUndefined();
  });
  it('rejects a pointer outside the setup code and an unterminated string', () => {
    const outside = bzImage('6.1.0\0', { setupSects: 1 });
    new DataView(outside.buffer).setUint16(0x20e, 0xe00, true);
    expect(() => readBzImageVersion(outside)).toThrow(CorruptError);
    const unterminated = bzImage('x'.repeat(600));
    expect(() => readBzImageVersion(unterminated)).toThrow(/NUL/);
  });
});

describe('rpm database magic', () => {
  it('tells sqlite, ndb and bdb apart', () => {
    expect(rpmDbFormatFromMagic(new TextEncoder().encode('SQLite format 3\0' + 'x'.repeat(48)))).toBe('sqlite');
    expect(rpmDbFormatFromMagic(new TextEncoder().encode('RpmP' + '\0'.repeat(60)))).toBe('ndb');
    const bdb = new Uint8Array(64);
    new DataView(bdb.buffer).setUint32(12, 0x061561, true);
    expect(rpmDbFormatFromMagic(bdb)).toBe('bdb');
    new DataView(bdb.buffer).setUint32(12, 0x061561, false);
    expect(rpmDbFormatFromMagic(bdb)).toBe('bdb');
    expect(rpmDbFormatFromMagic(new Uint8Array(64))).toBeUndefined();
  });
});

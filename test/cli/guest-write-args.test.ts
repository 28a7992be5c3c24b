// The argument rules of copy-in / mkdir / rm: how a guest target names its volume, and how
// -o / -O / --standalone / --in-place choose the commit (refusing when nothing is chosen).

import { describe, expect, test } from 'vitest';
import { commitModeOf, parseGuestTarget } from '../../src/cli/commands/guest-write.js';
import { PreconditionError } from '../../src/errors.js';

describe('parseGuestTarget', () => {
  test('VOLUME:/path names the volume; plain and Windows paths do not', () => {
    expect(parseGuestTarget('p2:/Windows/Temp')).toEqual({ volume: 'p2', path: '/Windows/Temp' });
    expect(parseGuestTarget('vg0/root:/etc/./x/../y')).toEqual({ volume: 'vg0/root', path: '/etc/y' });
    expect(parseGuestTarget('disk:/')).toEqual({ volume: 'disk', path: '/' });
    expect(parseGuestTarget('/etc/fstab')).toEqual({ path: '/etc/fstab' });
    expect(parseGuestTarget('C:\\Windows\\Temp')).toEqual({ path: '/Windows/Temp' });
    expect(parseGuestTarget('C:/Windows')).toEqual({ path: '/Windows' });
    expect(parseGuestTarget('/odd:name')).toEqual({ path: '/odd:name' });
    expect(parseGuestTarget('relative/dir')).toEqual({ path: '/relative/dir' });
  });
});

describe('commitModeOf', () => {
  test('-o alone is a backed qcow2; --standalone takes -O or the extension; --in-place', () => {
    expect(commitModeOf({ output: 'out.qcow2' })).toEqual({ mode: 'backed', output: 'out.qcow2' });
    expect(commitModeOf({ output: 'out.vmdk', standalone: true })).toEqual({ mode: 'standalone', output: 'out.vmdk', format: 'vmdk' });
    expect(commitModeOf({ output: 'out', standalone: true, outputFormat: 'vhdx' })).toEqual({ mode: 'standalone', output: 'out', format: 'vhdx' });
    expect(commitModeOf({ inPlace: true })).toEqual({ mode: 'in-place' });
  });

  test('refuses no choice, both choices, an unknown standalone format and a non-qcow2 backed output', () => {
    expect(() => commitModeOf({})).toThrow(PreconditionError);
    expect(() => commitModeOf({})).toThrow(/-o OUT\.qcow2.*--in-place/);
    expect(() => commitModeOf({ inPlace: true, output: 'x.qcow2' })).toThrow(/not both/);
    expect(() => commitModeOf({ output: 'out.bin', standalone: true })).toThrow(/-O FORMAT/);
    expect(() => commitModeOf({ output: 'out.vmdk', outputFormat: 'vmdk' })).toThrow(/--standalone/);
  });
});

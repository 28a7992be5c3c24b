import { describe, expect, it } from 'vitest';
import {
  mergeDistro,
  parseDebianVersion,
  parseLsbRelease,
  parseOsRelease,
  parseRedhatRelease,
  parseShellAssignments,
  parseSuseRelease,
  unquoteShell,
} from '../../../src/linux/facts/index.js';

describe('shell assignments', () => {
  it('unquotes as a shell would', () => {
    expect(unquoteShell('"a b"')).toBe('a b');
    expect(unquoteShell("'a \"b'")).toBe('a "b');
    expect(unquoteShell('"x\\"y"')).toBe('x"y');
    expect(unquoteShell('plain # comment')).toBe('plain');
    expect(unquoteShell('a\\ b')).toBe('a b');
    expect(unquoteShell('"a"\'b\'c')).toBe('abc');
  });
  it('skips lines that are not assignments', () => {
    const kv = parseShellAssignments('# c\nexport A=1\nnot an assignment\n B = 2\nC="x y"\n1BAD=z\n');
    expect([...kv]).toEqual([
      ['A', '1'],
      ['C', 'x y'],
    ]);
  });
});

describe('release files', () => {
  it('os-release (Debian, Ubuntu, RHEL)', () => {
    expect(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n')).toMatchObject({
      id: 'debian',
      version: '12',
      major: 12,
      codename: 'bookworm',
      idLike: [],
    });
    expect(parseOsRelease('NAME="Ubuntu"\nVERSION="22.04.3 LTS (Jammy Jellyfish)"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\nUBUNTU_CODENAME=jammy\n')).toMatchObject({
      id: 'ubuntu',
      major: 22,
      minor: 4,
      idLike: ['debian'],
      codename: 'jammy',
    });
    expect(parseOsRelease('NAME="Red Hat Enterprise Linux"\nVERSION="9.3 (Plow)"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.3"\n')).toMatchObject({ id: 'rhel', major: 9, minor: 3, idLike: ['fedora'], codename: 'plow' });
    // Garbage gives no identity rather than a wrong one.
    expect(parseOsRelease('\x00\x01garbage\n')).toEqual({ idLike: [], sources: ['/etc/os-release'] });
  });
  it('lsb-release', () => {
    expect(parseLsbRelease('DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=14.04\nDISTRIB_CODENAME=trusty\nDISTRIB_DESCRIPTION="Ubuntu 14.04.6 LTS"\n')).toMatchObject({ id: 'ubuntu', major: 14, minor: 4, codename: 'trusty' });
    expect(parseLsbRelease('nothing here').id).toBeUndefined();
  });
  it('redhat-release and siblings', () => {
    const rh = { path: '/etc/redhat-release', id: 'rhel' };
    expect(parseRedhatRelease('Red Hat Enterprise Linux Server release 7.9 (Maipo)\n', rh)).toMatchObject({ id: 'rhel', major: 7, minor: 9, codename: 'maipo' });
    expect(parseRedhatRelease('CentOS Linux release 7.9.2009 (Core)\n', rh)).toMatchObject({ id: 'centos', version: '7.9.2009', major: 7, minor: 9 });
    expect(parseRedhatRelease('Rocky Linux release 8.9 (Green Obsidian)', rh)).toMatchObject({ id: 'rocky', major: 8 });
    expect(parseRedhatRelease('CentOS release 6.10 (Final)', { path: '/etc/centos-release', id: 'centos' })).toMatchObject({ id: 'centos', major: 6, minor: 10 });
    expect(parseRedhatRelease('this is not a release line', rh)).toBeUndefined();
  });
  it('debian_version', () => {
    expect(parseDebianVersion('12.5\n')).toMatchObject({ id: 'debian', major: 12, minor: 5, codename: 'bookworm' });
    expect(parseDebianVersion('bookworm/sid\n')).toMatchObject({ codename: 'bookworm' });
    expect(parseDebianVersion('\n')).toBeUndefined();
  });
  it('SuSE-release', () => {
    expect(parseSuseRelease('SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n')).toMatchObject({ id: 'sles', version: '11.4', major: 11, minor: 4 });
    expect(parseSuseRelease('openSUSE 13.2 (x86_64)\nVERSION = 13.2\nCODENAME = Harlequin\n')).toMatchObject({ id: 'opensuse', major: 13, minor: 2 });
    expect(parseSuseRelease('')).toBeUndefined();
  });
  it('merges: first source wins, later ones fill gaps', () => {
    const merged = mergeDistro([parseOsRelease('ID=debian\nVERSION_ID=12\n'), parseDebianVersion('12.5') as never]);
    expect(merged).toMatchObject({ id: 'debian', version: '12', major: 12, minor: 5, codename: 'bookworm', sources: ['/etc/os-release', '/etc/debian_version'] });
  });
});

// Mutation fuzzing of Linux guest inspection: the binary probes (ELF header, bzImage setup
// header, rpm db magic) and every text parser, both directly and through inspectLinux on an
// in-memory guest whose configuration files all hold the mutated bytes. Seeds are real-shaped
// files (the host's /bin/ls head, a synthetic bzImage, config texts as distributions ship them).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../src/fs/memory/index.js';
import {
  elfIdentity,
  inspectLinux,
  parseBlsEntry,
  parseDefaultGrub,
  parseDpkgStatus,
  parseGrubCfg,
  parseGrubLegacy,
  parseIfcfg,
  parseInterfaces,
  parseNetplan,
  parseNmKeyfile,
  parseOsRelease,
  parseUdevNetRules,
  parseYaml,
  readBzImageVersion,
  readRpmBdb,
  readRpmSqlite,
  rpmDbFormatFromMagic,
} from '../../src/linux/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { run, tempDir } from '../helpers/tools.js';
import { bzImage } from '../linux/facts/builders.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

const TEXT_SEEDS = [
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
  "set default=\"0\"\nmenuentry 'Debian' --class debian {\n\tlinux /boot/vmlinuz-6.1.0 root=UUID=1 ro quiet\n\tinitrd /boot/initrd.img-6.1.0\n}\nsubmenu 'Adv' {\n menuentry 'x' {\n  linux16 /v root=/dev/sda2\n }\n}\n",
  'network:\n  version: 2\n  ethernets:\n    ens192:\n      addresses: [10.0.0.2/24]\n      routes:\n      - to: default\n        via: 10.0.0.1\n      nameservers: {addresses: [1.1.1.1]}\n',
  'Package: a\nStatus: install ok installed\nVersion: 1:2-3\nDescription: x\n more\n\nPackage: b\nStatus: deinstall ok config-files\nVersion: 1\n',
  'DEVICE=ens192\nBOOTPROTO=none\nIPADDR=10.0.0.5\nNETMASK=255.255.255.0\nGATEWAY=10.0.0.1\n',
  '[connection]\nid=x\ninterface-name=eth0\n[ipv4]\naddress1=10.0.0.2/24,10.0.0.1\nmethod=manual\n',
  'auto eth0\niface eth0 inet static\n address 10.0.0.2\n netmask 255.255.255.0\nsource interfaces.d/*\n',
  'UUID=abc / ext4 errors=remount-ro 0 1\n/dev/sda1 /boot ext2 defaults 0 2\n',
  'title T\nversion 5.14\nlinux /vmlinuz-5.14\ninitrd /initramfs-5.14.img\noptions $kernelopts\n',
  'SUBSYSTEM=="net", ATTR{address}=="00:50:56:00:00:01", NAME="eth0"\n',
].map(enc);

describe('fuzz linux facts', () => {
  it('binary probes: only rehost errors escape', async () => {
    const report = await fuzz(
      {
        name: 'linux-binary-probes',
        seeds: [readFileSync('/bin/ls').subarray(0, 4096), bzImage('6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP\0'), enc('SQLite format 3\0' + '\0'.repeat(48))],
        async run(input) {
          try {
            elfIdentity(input);
          } finally {
            readBzImageVersion(input);
            rpmDbFormatFromMagic(input);
          }
        },
      },
      { iterations: defaultIterations(300) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  });

  it('text parsers: only rehost errors escape', async () => {
    const report = await fuzz(
      {
        name: 'linux-text-parsers',
        seeds: TEXT_SEEDS,
        async run(input) {
          const text = dec(input);
          const results: unknown[] = [parseOsRelease(text), parseGrubCfg(text, 'g'), parseGrubLegacy(text, 'l'), parseDefaultGrub(text, 'd'), parseBlsEntry({ text, file: 'b', kernelopts: 'root=/dev/sda1' })];
          results.push(parseIfcfg(text, 'i'), parseNmKeyfile(text, 'n'), parseInterfaces(text, 'e'), parseUdevNetRules(text, 'u'));
          const errors: unknown[] = [];
          for (const parse of [() => parseYaml(text), () => parseNetplan(text, 'p'), () => parseDpkgStatus(text)]) {
            try {
              results.push(parse());
            } catch (error) {
              errors.push(error);
            }
          }
          JSON.stringify(results);
          if (errors.length > 0) throw errors[0];
        },
      },
      { iterations: defaultIterations(300) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  });

  it('inspectLinux over a guest of mutated files: never throws', async () => {
    const report = await fuzz(
      {
        name: 'linux-inspect',
        seeds: TEXT_SEEDS,
        async run(input) {
          const fs = await MemoryFileSystem.from({
            etc: {
              'os-release': input,
              fstab: input,
              crypttab: input,
              hostname: input,
              default: { grub: input },
              netplan: { 'a.yaml': input },
              network: { interfaces: input },
              sysconfig: { 'network-scripts': { 'ifcfg-eth0': input } },
              cloud: { 'cloud.cfg': input },
              'dracut.conf': input,
              udev: { 'rules.d': { '70-persistent-net.rules': input } },
              X11: { 'xorg.conf': input },
              'modprobe.d': { 'a.conf': input },
              'initramfs-tools': { 'conf.d': { resume: input } },
            },
            var: { lib: { dpkg: { status: input } } },
            usr: { bin: { ls: input } },
            boot: { 'vmlinuz-1.0': input, 'initrd.img-1.0': input, 'config-1.0': input, grub: { 'grub.cfg': input, 'device.map': input, 'menu.lst': input }, loader: { entries: { 'a.conf': input } } },
          });
          const facts = await inspectLinux({ fs });
          JSON.stringify(facts);
        },
      },
      { iterations: defaultIterations(120) },
    );
    expect(report.rehostErrors).toBe(0);
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  });

  it('rpm database readers (sqlite, Berkeley DB): only rehost errors escape', async () => {
    // Seed: a real rpm database holding two packages (rpmbuild + rpm --justdb).
    const dir = tempDir('rehost-fuzz-rpmdb-');
    writeFileSync(join(dir, 't.spec'), 'Name: %{pname}\nVersion: 1.0\nRelease: 1\nEpoch: 3\nSummary: s\nLicense: MIT\nBuildArch: noarch\n%description\n%{pdesc}\n%files\n');
    const rpms = ['a', 'b'].map((name, i) => {
      run('rpmbuild', ['-bb', '--define', `_topdir ${join(dir, 'top')}`, '--define', `pname ${name}`, '--define', `pdesc ${'x'.repeat(3000 * (i + 1))}`, join(dir, 't.spec')]);
      return join(dir, 'top/RPMS/noarch', `${name}-1.0-1.noarch.rpm`);
    });
    run('rpm', ['--dbpath', join(dir, 'db'), '--initdb']);
    run('rpm', ['--dbpath', join(dir, 'db'), '-i', '--justdb', '--nodeps', ...rpms]);
    const sqlite = join(dir, 'db', 'rpmdb.sqlite');
    const dump = run('python3', [
      '-c',
      `import sqlite3, struct
c = sqlite3.connect(${JSON.stringify(sqlite)})
esc = lambda b: ''.join('\\\\%02x' % x for x in b)
for hnum, blob in c.execute('select hnum, blob from Packages'):
    print(esc(struct.pack('<I', hnum))); print(esc(blob))`,
    ]);
    writeFileSync(join(dir, 'load.txt'), dump);
    run('db_load', ['-T', '-t', 'hash', '-c', 'db_pagesize=4096', '-f', join(dir, 'load.txt'), join(dir, 'Packages')]);
    const bdb = await fuzz(
      {
        name: 'linux-rpmdb-bdb',
        seeds: [new Uint8Array(readFileSync(join(dir, 'Packages')))],
        async run(input) {
          return readRpmBdb(input);
        },
      },
      { iterations: defaultIterations(300), focus: 16 * 1024 },
    );
    expect(readRpmBdb(new Uint8Array(readFileSync(join(dir, 'Packages')))).map((p) => p.name).sort()).toEqual(['a', 'b']);
    expect(bdb.failures, JSON.stringify(bdb.failures, null, 1)).toEqual([]);
    const report = await fuzz(
      {
        name: 'linux-rpmdb-sqlite',
        seeds: [new Uint8Array(readFileSync(join(dir, 'db', 'rpmdb.sqlite')))],
        async run(input) {
          return readRpmSqlite(input);
        },
      },
      { iterations: defaultIterations(300), focus: 64 * 1024 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  }, 60_000);
});

// Structured config edits: each edit changes only the tokens it addresses; every other byte
// (comments, spacing, CRLF, a missing final newline, non-UTF-8 bytes) comes back identical.

import { describe, expect, test } from 'vitest';
import { applyConfigEdit, type ConfigEdit } from '../../src/patch/index.js';
import { PreconditionError, UnsupportedError } from '../../src/errors.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

function edit(text: string, config: ConfigEdit): string {
  const first = applyConfigEdit(enc(text), config);
  // Idempotent: applying the same edit to the result changes nothing.
  const second = applyConfigEdit(first.content, config);
  expect(second.changed).toBe(false);
  expect(dec(second.content)).toBe(dec(first.content));
  return dec(first.content);
}

const FSTAB = `# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
/dev/sda1       /               ext4    errors=remount-ro 0       1
# swap was on /dev/sda5 during installation
/dev/sda5       none            swap    sw              0       0
/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0
`;

describe('fstab', () => {
  test('set-field by mount point keeps spacing and comments', () => {
    const out = edit(FSTAB, { format: 'fstab', edits: [{ op: 'set-field', where: { equals: '/' }, field: 'spec', value: 'UUID=1234-abcd' }] });
    expect(out).toBe(FSTAB.replace('/dev/sda1      ', 'UUID=1234-abcd '.padEnd(15, ' ')).replace('UUID=1234-abcd  /', 'UUID=1234-abcd       /'));
  });

  test('byte-exact: only the token changes', () => {
    const out = edit(FSTAB, { format: 'fstab', edits: [{ op: 'set-field', where: { equals: '/' }, field: 'spec', value: 'UUID=x' }] });
    expect(out).toBe(FSTAB.replace('/dev/sda1       /', 'UUID=x       /'));
  });

  test('set-field matched on the field it changes is idempotent (swap by device)', () => {
    const config: ConfigEdit = { format: 'fstab', edits: [{ op: 'set-field', where: { field: 'spec', equals: '/dev/sda5' }, field: 'spec', value: 'UUID=swap-1' }] };
    const out = edit(FSTAB, config);
    expect(out).toContain('UUID=swap-1       none');
  });

  test('options: set, replace and remove', () => {
    let out = edit(FSTAB, { format: 'fstab', edits: [{ op: 'set-option', where: { equals: '/media/cdrom0' }, option: 'nofail' }] });
    expect(out).toContain('user,noauto,nofail     0');
    out = edit(FSTAB, { format: 'fstab', edits: [{ op: 'remove-option', where: { equals: '/' }, name: 'errors' }] });
    expect(out).toContain('ext4    defaults 0       1');
    out = edit(FSTAB, { format: 'fstab', edits: [{ op: 'set-option', where: { equals: '/' }, option: 'errors=panic' }] });
    expect(out).toContain('ext4    errors=panic 0');
  });

  test('remove-entry and set-entry', () => {
    let out = edit(FSTAB, { format: 'fstab', edits: [{ op: 'remove-entry', where: { equals: '/media/cdrom0' } }] });
    expect(out).toBe(FSTAB.split('\n').filter((l) => !l.startsWith('/dev/sr0')).join('\n'));
    out = edit(FSTAB, { format: 'fstab', edits: [{ op: 'set-entry', fields: ['UUID=b', '/boot', 'ext4', 'defaults', '0', '2'] }] });
    expect(out).toBe(`${FSTAB}UUID=b\t/boot\text4\tdefaults\t0\t2\n`);
  });

  test('missing trailing fields are filled with defaults', () => {
    const out = edit('/dev/sda1 / ext4\n', { format: 'fstab', edits: [{ op: 'set-field', where: { equals: '/' }, field: 'passno', value: '1' }] });
    expect(out).toBe('/dev/sda1 / ext4 defaults 0 1\n');
  });

  test('no such entry is a PreconditionError; whitespace in a value is refused', () => {
    expect(() => applyConfigEdit(enc(FSTAB), { format: 'fstab', edits: [{ op: 'set-field', where: { equals: '/srv' }, field: 'spec', value: 'x' }] })).toThrow(PreconditionError);
    expect(() => applyConfigEdit(enc(FSTAB), { format: 'fstab', edits: [{ op: 'set-field', where: { equals: '/' }, field: 'spec', value: 'a b' }] })).toThrow(UnsupportedError);
    expect(() => applyConfigEdit(enc(FSTAB), { format: 'fstab', edits: [{ op: 'set-field', where: { equals: '/' }, field: 'nosuch', value: 'a' }] })).toThrow(UnsupportedError);
  });

  test('CRLF, no final newline and non-UTF-8 bytes survive', () => {
    const bytes = new Uint8Array([...enc('# caf'), 0xe9, ...enc('\r\n/dev/sda1 / ext4 defaults 0 1\r\n/dev/sdb1 /data xfs defaults 0 2')]);
    const out = applyConfigEdit(bytes, { format: 'fstab', edits: [{ op: 'set-field', where: { equals: '/data' }, field: 'spec', value: 'UUID=d' }] });
    const expected = new Uint8Array([...enc('# caf'), 0xe9, ...enc('\r\n/dev/sda1 / ext4 defaults 0 1\r\nUUID=d /data xfs defaults 0 2')]);
    expect(Buffer.from(out.content).equals(Buffer.from(expected))).toBe(true);
    const added = applyConfigEdit(bytes, { format: 'fstab', edits: [{ op: 'set-entry', fields: ['UUID=e', '/e', 'ext4', 'defaults', '0', '2'] }] });
    expect(dec(added.content).endsWith('0 2\r\nUUID=e\t/e\text4\tdefaults\t0\t2\r\n')).toBe(true);
  });
});

describe('crypttab', () => {
  const CRYPTTAB = '# <target name> <source device> <key file> <options>\nsda3_crypt UUID=aaaa none luks,discard\n';
  test('set device by name, drop an option', () => {
    let out = edit(CRYPTTAB, { format: 'crypttab', edits: [{ op: 'set-field', where: { equals: 'sda3_crypt' }, field: 'device', value: 'UUID=bbbb' }] });
    expect(out).toBe(CRYPTTAB.replace('UUID=aaaa', 'UUID=bbbb'));
    out = edit(CRYPTTAB, { format: 'crypttab', edits: [{ op: 'remove-option', where: { equals: 'sda3_crypt' }, name: 'discard' }] });
    expect(out).toBe(CRYPTTAB.replace('luks,discard', 'luks'));
    out = edit('a UUID=x none discard\n', { format: 'crypttab', edits: [{ op: 'remove-option', where: { equals: 'a' }, name: 'discard' }] });
    expect(out).toBe('a UUID=x none\n');
  });
});

const GRUB_DEFAULT = `# If you change this file, run 'update-grub' afterwards.
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=\`lsb_release -i -s 2> /dev/null || echo Debian\`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="console=tty0 resume=/dev/sda5"
#GRUB_TERMINAL=console
`;

describe('/etc/default/grub', () => {
  test('add, replace and remove kernel arguments', () => {
    let out = edit(GRUB_DEFAULT, { format: 'shell-vars', edits: [{ op: 'set-arg', key: 'GRUB_CMDLINE_LINUX', arg: 'resume=UUID=s' }] });
    expect(out).toBe(GRUB_DEFAULT.replace('resume=/dev/sda5', 'resume=UUID=s'));
    out = edit(GRUB_DEFAULT, { format: 'shell-vars', edits: [{ op: 'remove-arg', key: 'GRUB_CMDLINE_LINUX', name: 'resume' }] });
    expect(out).toBe(GRUB_DEFAULT.replace(' resume=/dev/sda5', ''));
    out = edit(GRUB_DEFAULT, { format: 'shell-vars', edits: [{ op: 'set-arg', key: 'GRUB_CMDLINE_LINUX_DEFAULT', arg: 'console=ttyS0,115200' }] });
    expect(out).toBe(GRUB_DEFAULT.replace('"quiet"', '"quiet console=ttyS0,115200"'));
  });

  test('set, add a missing key, unset; the last assignment wins', () => {
    let out = edit(GRUB_DEFAULT, { format: 'shell-vars', edits: [{ op: 'set', key: 'GRUB_TIMEOUT', value: '1' }] });
    expect(out).toBe(GRUB_DEFAULT.replace('GRUB_TIMEOUT=5', 'GRUB_TIMEOUT=1'));
    out = edit(GRUB_DEFAULT, { format: 'shell-vars', edits: [{ op: 'set', key: 'GRUB_TERMINAL', value: 'console serial' }] });
    expect(out).toBe(`${GRUB_DEFAULT}GRUB_TERMINAL="console serial"\n`);
    out = edit(GRUB_DEFAULT, { format: 'shell-vars', edits: [{ op: 'unset', key: 'GRUB_TIMEOUT' }] });
    expect(out).toBe(GRUB_DEFAULT.replace('GRUB_TIMEOUT=5\n', ''));
    out = edit('A="x"\nA="y"\n', { format: 'shell-vars', edits: [{ op: 'set-arg', key: 'A', arg: 'z' }] });
    expect(out).toBe('A="x"\nA="y z"\n');
  });

  test('quotes are re-encoded safely; dynamic values are refused', () => {
    expect(edit("X='a b'\n", { format: 'shell-vars', edits: [{ op: 'set', key: 'X', value: 'say "$HOME"' }] })).toBe(`X='say "$HOME"'\n`);
    expect(edit('X="a b"\n', { format: 'shell-vars', edits: [{ op: 'set', key: 'X', value: 'say "$HOME"' }] })).toBe('X="say \\"\\$HOME\\""\n');
    expect(edit('X=a\n', { format: 'shell-vars', edits: [{ op: 'set', key: 'X', value: "it's" }] })).toBe(`X="it's"\n`);
    expect(() => applyConfigEdit(enc(GRUB_DEFAULT), { format: 'shell-vars', edits: [{ op: 'set', key: 'GRUB_DISTRIBUTOR', value: 'x' }] })).toThrow(UnsupportedError);
    expect(() => applyConfigEdit(enc('V="$A b"\n'), { format: 'shell-vars', edits: [{ op: 'set-arg', key: 'V', arg: 'c' }] })).toThrow(UnsupportedError);
  });
});

describe('dracut.conf.d', () => {
  test('add_drivers+=" … " gains a driver inside its own spacing; the += stays', () => {
    const CONF = '# rehost\nadd_drivers+=" vmw_pvscsi "\nhostonly="yes"\n';
    expect(edit(CONF, { format: 'shell-vars', edits: [{ op: 'set-arg', key: 'add_drivers', arg: 'virtio_blk' }] })).toBe('# rehost\nadd_drivers+=" vmw_pvscsi virtio_blk "\nhostonly="yes"\n');
    expect(edit(CONF, { format: 'shell-vars', edits: [{ op: 'set', key: 'hostonly', value: 'no' }] })).toBe('# rehost\nadd_drivers+=" vmw_pvscsi "\nhostonly="no"\n');
  });
});

describe('grub.cfg and BLS', () => {
  const GRUB_CFG = `menuentry 'Debian' {
\tlinux\t/boot/vmlinuz-6.1.0-18-amd64 root=/dev/sda1 ro  quiet
\tinitrd\t/boot/initrd.img-6.1.0-18-amd64
}
menuentry 'Debian old' {
\tlinux\t/boot/vmlinuz-5.10.0-9-amd64 root=/dev/sda1 ro quiet
}
`;
  test('root= by device becomes UUID in every linux line; one kernel only with `kernel`', () => {
    let out = edit(GRUB_CFG, { format: 'grub-cfg', edits: [{ op: 'set-arg', arg: 'root=UUID=r' }] });
    expect(out).toBe(GRUB_CFG.replaceAll('root=/dev/sda1', 'root=UUID=r'));
    out = edit(GRUB_CFG, { format: 'grub-cfg', edits: [{ op: 'set-arg', arg: 'root=UUID=r', kernel: 'vmlinuz-5.10.0-9-amd64' }] });
    expect(out).toBe(GRUB_CFG.replace('5.10.0-9-amd64 root=/dev/sda1', '5.10.0-9-amd64 root=UUID=r'));
    out = edit(GRUB_CFG, { format: 'grub-cfg', edits: [{ op: 'remove-arg', name: 'quiet' }] });
    expect(out).toBe(GRUB_CFG.replace('ro  quiet', 'ro').replace('ro quiet', 'ro'));
  });

  test('BLS options line', () => {
    const BLS = 'title Fedora\nversion 6.5\nlinux /vmlinuz-6.5\noptions root=UUID=a ro rhgb quiet\n';
    const out = edit(BLS, { format: 'bls', edits: [{ op: 'set-arg', arg: 'console=ttyS0' }, { op: 'remove-arg', name: 'rhgb' }] });
    expect(out).toBe('title Fedora\nversion 6.5\nlinux /vmlinuz-6.5\noptions root=UUID=a ro quiet console=ttyS0\n');
    expect(edit('title x\nlinux /k\n', { format: 'bls', edits: [{ op: 'set-arg', arg: 'a=1' }] })).toBe('title x\nlinux /k\noptions a=1\n');
  });
});

describe('module lists', () => {
  const MODULES = '# List of modules to include in the initramfs.\n#\n# virtio_blk\nvmw_pvscsi\n';
  test('initramfs-tools modules: add, no duplicate, remove; - and _ are the same', () => {
    let out = edit(MODULES, { format: 'modules-list', edits: [{ op: 'add-module', module: 'virtio_blk' }, { op: 'add-module', module: 'virtio-scsi' }] });
    expect(out).toBe(`${MODULES}virtio_blk\nvirtio-scsi\n`);
    out = edit(MODULES, { format: 'modules-list', edits: [{ op: 'add-module', module: 'vmw-pvscsi' }] });
    expect(out).toBe(MODULES);
    out = edit(MODULES, { format: 'modules-list', edits: [{ op: 'remove-module', module: 'vmw_pvscsi' }] });
    expect(out).toBe('# List of modules to include in the initramfs.\n#\n# virtio_blk\n');
  });

  test('modprobe.d directives', () => {
    const CONF = '# blacklist floppy\nblacklist pcspkr\noptions  snd-hda-intel model=auto\n';
    let out = edit(CONF, { format: 'modprobe', edits: [{ op: 'set-directive', directive: 'blacklist', module: 'floppy' }] });
    expect(out).toBe(`${CONF}blacklist floppy\n`);
    out = edit(CONF, { format: 'modprobe', edits: [{ op: 'remove-directive', directive: 'blacklist', module: 'pcspkr' }] });
    expect(out).toBe('# blacklist floppy\noptions  snd-hda-intel model=auto\n');
    out = edit(CONF, { format: 'modprobe', edits: [{ op: 'set-directive', directive: 'options', module: 'snd_hda_intel', rest: 'model=generic' }] });
    expect(out).toBe('# blacklist floppy\nblacklist pcspkr\noptions  snd-hda-intel model=generic\n');
  });
});

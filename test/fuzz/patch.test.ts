// Mutation fuzzing of the patch layer's parsers: structured config edits over mutated fstab,
// crypttab, /etc/default/grub, grub.cfg, BLS and module-list files (only rehost errors may
// escape, and a successful edit must be idempotent), and the undo-journal reader over mutated
// journals written by our own writer (only rehost errors; never an attempt to restore).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyConfigEdit, readUndoJournal, type ConfigEdit } from '../../src/patch/index.js';
import { writeUndoJournal } from '../../src/patch/undo-journal.js';
import { RehostError } from '../../src/errors.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { tempDir } from '../helpers/tools.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const CASES: { seed: string; edit: ConfigEdit }[] = [
  {
    seed: '# fstab\n/dev/sda1 / ext4 errors=remount-ro 0 1\n/dev/sda5 none swap sw 0 0\n',
    edit: { format: 'fstab', edits: [{ op: 'set-field', where: { equals: '/' }, field: 'spec', value: 'UUID=r' }, { op: 'set-option', where: { equals: '/' }, option: 'nofail' }] },
  },
  { seed: 'sda3_crypt UUID=a none luks,discard\n', edit: { format: 'crypttab', edits: [{ op: 'remove-option', where: { equals: 'sda3_crypt' }, name: 'discard' }] } },
  {
    seed: 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\nGRUB_CMDLINE_LINUX="resume=/dev/sda5"\n',
    edit: { format: 'shell-vars', edits: [{ op: 'set-arg', key: 'GRUB_CMDLINE_LINUX', arg: 'root=UUID=r' }, { op: 'remove-arg', key: 'GRUB_CMDLINE_LINUX', name: 'resume' }] },
  },
  {
    seed: "menuentry 'D' {\n\tlinux /boot/vmlinuz root=/dev/sda1 ro quiet\n\tinitrd /boot/initrd.img\n}\n",
    edit: { format: 'grub-cfg', edits: [{ op: 'set-arg', arg: 'root=UUID=r' }] },
  },
  { seed: 'title x\nlinux /vmlinuz\noptions root=/dev/sda1 ro\n', edit: { format: 'bls', edits: [{ op: 'set-arg', arg: 'root=UUID=r' }] } },
  { seed: '# modules\nvmw_pvscsi\n', edit: { format: 'modules-list', edits: [{ op: 'add-module', module: 'virtio_blk' }] } },
  { seed: 'blacklist floppy\noptions snd x=1\n', edit: { format: 'modprobe', edits: [{ op: 'set-directive', directive: 'options', module: 'snd', rest: 'x=2' }] } },
];

describe('fuzz patch', () => {
  it('config edits: only rehost errors escape and every successful edit is idempotent', async () => {
    for (const [i, c] of CASES.entries()) {
      const report = await fuzz(
        {
          name: `patch-config-${c.edit.format}`,
          seeds: [enc(c.seed)],
          async run(input) {
            const first = applyConfigEdit(input, c.edit);
            const second = applyConfigEdit(first.content, c.edit);
            if (second.changed) throw new Error('edit is not idempotent');
            return first.changed;
          },
        },
        { iterations: defaultIterations(60), seed: 1000 + i },
      );
      expect(report.failures, JSON.stringify(report.failures.slice(0, 3), null, 2)).toEqual([]);
    }
  });

  it('undo journal reader: only rehost errors escape', async () => {
    const dir = tempDir('rehost-fuzz-undo-');
    const image = join(dir, 'image.raw');
    writeFileSync(image, new Uint8Array(65536));
    const seedPath = join(dir, 'seed.journal');
    await writeUndoJournal({
      journalPath: seedPath,
      imagePath: image,
      imageSize: 65536,
      ranges: [
        { offset: 4096, old: new Uint8Array(4096), new: new Uint8Array(4096).fill(1) },
        { offset: 16384, old: new Uint8Array(8192), new: new Uint8Array(8192).fill(2) },
      ],
    });
    const seed = new Uint8Array((await import('node:fs')).readFileSync(seedPath));
    const input = join(dir, 'input.journal');
    const report = await fuzz(
      {
        name: 'patch-undo-journal',
        seeds: [seed],
        async run(bytes) {
          writeFileSync(input, bytes);
          try {
            return await readUndoJournal(input);
          } catch (error) {
            if (error instanceof RehostError) throw error;
            throw error;
          }
        },
      },
      { iterations: defaultIterations(150), seed: 77, focus: 512 },
    );
    expect(report.failures, JSON.stringify(report.failures.slice(0, 3), null, 2)).toEqual([]);
  });
});

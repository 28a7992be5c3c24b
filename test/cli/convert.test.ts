import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import { rehost } from '../helpers/cli.js';
import { run, sha256File, tempDir } from '../helpers/tools.js';
import { writePatternDisk, MIB } from '../helpers/pattern.js';

// `rehost convert` end to end: every source format to every output format rehost writes. Each
// output passes `qemu-img check` (where qemu checks that format) and converts back, through
// qemu-img, to the source's bytes.

const outputs = [
  { format: 'raw', qemu: 'raw', checks: false },
  { format: 'qcow2', qemu: 'qcow2', checks: true },
  { format: 'vmdk', subformat: 'monolithicSparse', qemu: 'vmdk', checks: true },
  { format: 'vmdk', subformat: 'streamOptimized', qemu: 'vmdk', checks: true },
  { format: 'vhd', subformat: 'fixed', qemu: 'vpc', checks: false },
  { format: 'vhd', subformat: 'dynamic', qemu: 'vpc', checks: false },
  { format: 'vhdx', subformat: 'dynamic', qemu: 'vhdx', checks: true },
];
const sources = ['qcow2', 'vmdk', 'vpc', 'vhdx', 'vdi'];

let dir: string;
let expected: string;

beforeAll(async () => {
  dir = tempDir();
  const raw = join(dir, 'source.raw');
  writePatternDisk(raw, { size: 24 * MIB });
  for (const fmt of sources) run('qemu-img', ['convert', '-f', 'raw', '-O', fmt, raw, join(dir, `source.${fmt}`)]);
  expected = await sha256File(raw);
});

describe('rehost convert', () => {
  for (const source of sources) {
    for (const out of outputs) {
      const label = `${source} → ${out.format}${out.subformat ? `/${out.subformat}` : ''}`;
      it(label, async () => {
        const target = join(dir, `${source}-to-${out.format}-${out.subformat ?? 'default'}.img`);
        const args = ['convert', join(dir, `source.${source}`), target, '-O', out.format, ...(out.subformat ? ['--subformat', out.subformat] : [])];
        const result = rehost(args);
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
        if (out.checks) run('qemu-img', ['check', '-f', out.qemu, target]);
        const back = `${target}.raw`;
        run('qemu-img', ['convert', '-f', out.qemu, '-O', 'raw', target, back]);
        // A fixed VHD may be rounded up; compare the guest-visible prefix.
        run('truncate', ['-s', String(24 * MIB), back]);
        expect(await sha256File(back)).toBe(expected);
      });
    }
  }

  it('leaves no output behind when the source is unreadable', () => {
    const out = join(dir, 'never.qcow2');
    const result = rehost(['convert', join(dir, 'missing.vmdk'), out, '-O', 'qcow2']);
    expect(result.status).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('refuses an unknown output format with the list of writable ones', () => {
    const result = rehost(['convert', join(dir, 'source.qcow2'), join(dir, 'x.img'), '-O', 'qed']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cannot write qed; writable formats: .*qcow2/);
  });
});

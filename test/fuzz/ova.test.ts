import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOvaPackage, ovaDiskDevice, readOvaPackage, verifyOvaManifest, parseOvf } from '../../src/image/ova/index.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { isRehostError } from '../../src/errors.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { CORPUS, requireTool, run, tempDir } from '../helpers/tools.js';

/** Small OVAs made with GNU tar from a corpus descriptor edited to point at tiny disks. */
function seeds(): Uint8Array[] {
  requireTool('tar');
  const dir = tempDir();
  const ovf = readFileSync(join(CORPUS, 'descriptors/ovf/v2v-test-i-ova-two-disks.ovf'), 'utf8')
    .replace('ovf:href="disk1.vmdk" ovf:id="file1" ovf:size="7804077568"', 'ovf:href="disk1.img" ovf:id="file1" ovf:size="4096"')
    .replace('ovf:href="disk2.vmdk" ovf:id="file2" ovf:size="178523318784"', 'ovf:href="d/disk2.img.gz" ovf:id="file2" ovf:compression="gzip"');
  writeFileSync(join(dir, 'vm.ovf'), ovf);
  writeFileSync(join(dir, 'disk1.img'), new Uint8Array(4096).fill(7));
  run('mkdir', ['-p', join(dir, 'd')]);
  writeFileSync(join(dir, 'd/disk2.img'), new Uint8Array(8192).fill(9));
  run('gzip', [join(dir, 'd/disk2.img')]);
  const sums = run('sha256sum', ['vm.ovf', 'disk1.img', 'd/disk2.img.gz'], { cwd: dir }).trim().split('\n').map((l) => {
    const [digest, name] = l.split(/\s+/);
    return `SHA256(${name})= ${digest}`;
  });
  writeFileSync(join(dir, 'vm.mf'), sums.join('\n') + '\n');
  const out: Uint8Array[] = [];
  for (const format of ['ustar', 'gnu', 'pax']) {
    const path = join(dir, `${format}.ova`);
    run('tar', [`--format=${format}`, '-cf', path, '-C', dir, 'vm.ovf', 'vm.mf', 'disk1.img', 'd/disk2.img.gz']);
    out.push(new Uint8Array(readFileSync(path)));
  }
  return out;
}

describe('fuzz: OVA', () => {
  it('tar listing, OVF parsing, manifest and disk access only throw rehost errors', async () => {
    const report = await fuzz(
      {
        name: 'ova',
        seeds: seeds(),
        async run(input) {
          const file = new MemoryDevice(input);
          if (!(await isOvaPackage(file))) return undefined;
          const pkg = await readOvaPackage(file);
          await verifyOvaManifest(pkg);
          for (let i = 0; i < pkg.disks.length; i++) {
            try {
              const disk = await ovaDiskDevice(pkg, i);
              if (disk.size > 0) await disk.read(0, Math.min(disk.size, 512));
            } catch (error) {
              if (!isRehostError(error)) throw error;
            }
          }
          return pkg.disks.length;
        },
      },
      { iterations: defaultIterations(200) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
    expect(report.succeeded).toBeGreaterThan(0);
  }, 900_000);

  it('OVF descriptor parsing only throws rehost errors', async () => {
    const descriptors = ['v2v-test-i-ova', 'v2v-test-i-ova-two-disks', 'v2v-test-i-ova-snapshots'].map((n) => new Uint8Array(readFileSync(join(CORPUS, `descriptors/ovf/${n}.ovf`))));
    const report = await fuzz(
      { name: 'ovf', seeds: descriptors, run: async (input) => parseOvf(new TextDecoder().decode(input)) },
      { iterations: defaultIterations(200) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
  }, 900_000);
});

import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { rehost, rehostJson } from '../helpers/cli.js';
import { run, tempDir } from '../helpers/tools.js';
import { writePatternDisk, MIB } from '../helpers/pattern.js';

// `rehost info --json` agrees with `qemu-img info --output=json --backing-chain` on format,
// virtual size and backing chain, and with sfdisk/sgdisk on partitions, for the same files.

interface QemuInfo { filename: string; format: string; 'virtual-size': number; 'backing-filename'?: string }
interface RehostInfo {
  filename: string; format: string; virtualSize: number; backingFilename?: string;
  backingChain: Array<{ filename: string; format: string; virtualSize: number }>;
  partitionTable?: { scheme: string; diskId?: string };
  volumes: Array<{ id: string; start: number; size: number; typeId?: string; guid?: string; name?: string; filesystem: { kind: string } }>;
}

let dir: string;
let raw: string;

beforeAll(() => {
  dir = tempDir();
  raw = join(dir, 'disk.raw');
  writePatternDisk(raw, { size: 32 * MIB });
  run('sgdisk', ['-n', '1:2048:+4M', '-t', '1:ef00', '-c', '1:EFI system', '-n', '2:0:+8M', '-t', '2:8300', '-c', '2:root', '-n', '3:0:0', '-t', '3:8e00', raw]);
  run('mkfs.ext4', ['-q', '-F', '-E', `offset=${(2048 + 8192) * 512}`, raw, '8M']);
  for (const [fmt, opts] of [['qcow2', []], ['vmdk', []], ['vpc', ['-o', 'subformat=dynamic']], ['vhdx', []], ['vdi', []]] as const) {
    run('qemu-img', ['convert', '-f', 'raw', '-O', fmt, ...opts, raw, join(dir, `disk.${fmt}`)]);
  }
  run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'disk.qcow2', '-F', 'qcow2', join(dir, 'top.qcow2')]);
});

describe('rehost info', () => {
  for (const name of ['disk.raw', 'disk.qcow2', 'disk.vmdk', 'disk.vpc', 'disk.vhdx', 'disk.vdi', 'top.qcow2']) {
    it(`agrees with qemu-img info on ${name}`, () => {
      const path = join(dir, name);
      const fmtArgs = name.endsWith('.vpc') ? ['-f', 'vpc'] : [];
      const qemu = JSON.parse(run('qemu-img', ['info', '--output=json', '--backing-chain', ...fmtArgs, path])) as QemuInfo[];
      const ours = rehostJson<RehostInfo>(['info', path]);
      const chain = [{ format: ours.format, virtualSize: ours.virtualSize }, ...ours.backingChain.map((b) => ({ format: b.format, virtualSize: b.virtualSize }))];
      expect(chain).toEqual(qemu.map((q) => ({ format: q.format, virtualSize: q['virtual-size'] })));
      expect(ours.backingFilename).toBe(qemu[0]?.['backing-filename']);
    });
  }

  it('lists the same partitions as sfdisk --json, with filesystems named', () => {
    const sfdisk = JSON.parse(run('sfdisk', ['--json', raw])) as { partitiontable: { id: string; sectorsize?: number; partitions: Array<{ start: number; size: number; type: string; uuid: string; name?: string }> } };
    const ours = rehostJson<RehostInfo>(['info', join(dir, 'disk.qcow2')]);
    expect(ours.partitionTable?.scheme).toBe('gpt');
    expect(ours.partitionTable?.diskId?.toLowerCase()).toBe(sfdisk.partitiontable.id.toLowerCase());
    expect(ours.volumes.map((v) => ({ start: v.start / 512, size: v.size / 512, type: v.typeId?.toLowerCase(), uuid: v.guid?.toLowerCase(), name: v.name || undefined }))).toEqual(
      sfdisk.partitiontable.partitions.map((p) => ({ start: p.start, size: p.size, type: p.type.toLowerCase(), uuid: p.uuid.toLowerCase(), name: p.name })),
    );
    expect(ours.volumes.map((v) => v.filesystem.kind)).toEqual(['unknown', 'ext4', 'unknown']);
  });

  it('names a missing backing file', () => {
    const lonely = tempDir();
    run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', join(dir, 'disk.qcow2'), '-F', 'qcow2', join(lonely, 'child.qcow2')]);
    run('mv', [join(lonely, 'child.qcow2'), join(lonely, 'orphan.qcow2')]);
    run('qemu-img', ['rebase', '-u', '-f', 'qcow2', '-b', 'gone.qcow2', '-F', 'qcow2', join(lonely, 'orphan.qcow2')]);
    const result = rehost(['info', join(lonely, 'orphan.qcow2')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/gone\.qcow2/);
  });
});

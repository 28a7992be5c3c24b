import { describe, expect, it } from 'vitest';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FileDevice } from '../../src/io/file-device.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { CorruptError } from '../../src/errors.js';
import {
  encodeGpt,
  encodeMbr,
  readPartitionTable,
  GPT_ENTRY,
  GPT_HEADER,
  GPT_TYPE_NAMES,
  MBR_ENTRY,
  MBR_SECTOR,
  MBR_TYPE_NAMES,
  type PartitionTable,
  type SectorWrite,
} from '../../src/partition/index.js';
import { CORPUS, readCorpus, requireTool, run, tempDir } from '../helpers/tools.js';

const MiB = 1024 * 1024;

function patch(path: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

async function tableOf(path: string, diagnostics = new DiagnosticLog()): Promise<PartitionTable> {
  const device = await FileDevice.open(path);
  try {
    return await readPartitionTable(device, { diagnostics });
  } finally {
    await device.close();
  }
}

function applyWrites(size: number, writes: SectorWrite[]): Uint8Array {
  const disk = new Uint8Array(size);
  for (const w of writes) disk.set(w.bytes, w.offset);
  return disk;
}

interface SfdiskPartition {
  node: string;
  start: number;
  size: number;
  type: string;
  uuid?: string;
  name?: string;
  attrs?: string;
  bootable?: boolean;
}

function sfdiskJson(path: string): { label: string; id: string; sectorsize: number; partitions: SfdiskPartition[] } {
  return JSON.parse(run('sfdisk', ['--json', path])).partitiontable;
}

/** sfdisk's attrs text ("LegacyBIOSBootable GUID:63") back to the attribute bits. */
function sfdiskAttrs(text: string | undefined): bigint {
  let bits = 0n;
  for (const word of (text ?? '').split(/\s+/).filter(Boolean)) {
    if (word === 'RequiredPartition') bits |= 1n;
    else if (word === 'NoBlockIOProtocol') bits |= 2n;
    else if (word === 'LegacyBIOSBootable') bits |= 4n;
    else if (word.startsWith('GUID:')) for (const n of word.slice(5).split(',')) bits |= 1n << BigInt(n);
    else throw new Error(`unknown sfdisk attribute ${word}`);
  }
  return bits;
}

let sgdiskTemplate: string | undefined;

/** A copy of one sgdisk-made disk (sgdisk takes a second per run: it syncs). */
function makeSgdiskDisk(dir: string): string {
  sgdiskTemplate ??= createSgdiskDisk(tempDir());
  const path = join(dir, 'gpt.img');
  run('cp', ['--sparse=always', sgdiskTemplate, path]);
  return path;
}

function createSgdiskDisk(dir: string): string {
  requireTool('sgdisk');
  const path = join(dir, 'gpt.img');
  run('truncate', ['-s', '64M', path]);
  run('sgdisk', [
    '-U', '11111111-2222-3333-4444-555555555555',
    '-n', '1:2048:+1M', '-t', '1:ef02', '-c', '1:BIOS boot',
    '-n', '2:0:+8M', '-t', '2:ef00', '-c', '2:EFI system partition',
    '-n', '3:0:+4M', '-t', '3:0c01',
    '-n', '4:0:+8M', '-t', '4:0700', '-c', '4:Basic data',
    '-n', '6:0:+4M', '-t', '6:8200', '-c', '6:swap',
    '-n', '7:0:+8M', '-t', '7:8e00', '-A', '7:set:2', '-A', '7:set:63', '-A', '7:set:60',
    '-n', '9:0:+2M', '-t', '9:fd00', '-c', '9:raid',
    '-n', '10:0:+2M', '-t', '10:2700', '-c', '10:recovery',
    '-n', '11:0:+2M', '-t', '11:8302', '-c', '11:home',
    '-n', '12:0:0', '-t', '12:8304', '-c', '12:root ünicode ✓',
    path,
  ]);
  return path;
}

describe('partition type names', () => {
  it('match util-linux (sfdisk -T) for every entry in the tables', () => {
    requireTool('sfdisk');
    const gpt = new Map<string, string>();
    for (const line of run('sfdisk', ['--label', 'gpt', '-T']).split('\n')) {
      const m = /^([0-9A-Fa-f-]{36})\s+(.+)$/.exec(line.trim());
      if (m) gpt.set(m[1]!.toLowerCase(), m[2]!);
    }
    const dos = new Map<number, string>();
    for (const line of run('sfdisk', ['--label', 'dos', '-T']).split('\n')) {
      const m = /^([0-9a-f]{1,2})\s+(.+)$/.exec(line.trim());
      if (m) dos.set(parseInt(m[1]!, 16), m[2]!);
    }
    let checked = 0;
    for (const [guid, name] of Object.entries(GPT_TYPE_NAMES)) {
      if (guid === 'ca7d7ccb-63ed-4c53-861c-1742536059cc' || guid === '7ffec5c9-2d00-49b7-8941-3ea10a5586b7') continue; // newer than util-linux 2.38
      expect([guid, gpt.get(guid)]).toEqual([guid, name]);
      checked++;
    }
    for (const [type, name] of Object.entries(MBR_TYPE_NAMES)) {
      expect([type, dos.get(Number(type))]).toEqual([type, name]);
      checked++;
    }
    expect(checked).toBeGreaterThan(90);
  });

  it('structures have their spec sizes', () => {
    expect(GPT_HEADER.size).toBe(92);
    expect(GPT_ENTRY.size).toBe(128);
    expect(MBR_ENTRY.size).toBe(16);
    expect(MBR_SECTOR.size).toBe(512);
  });
});

describe('GPT', () => {
  it('reads an sgdisk disk as sfdisk --json and sgdisk -p/-i do', async () => {
    const dir = tempDir();
    const path = makeSgdiskDisk(dir);
    const table = await tableOf(path);
    const oracle = sfdiskJson(path);
    expect(table.scheme).toBe('gpt');
    expect(table.sectorSize).toBe(512);
    expect(table.diskId).toBe(oracle.id.toLowerCase());
    expect(oracle.partitions.length).toBe(10);
    expect(table.partitions.map((p) => p.index)).toEqual(oracle.partitions.map((p) => Number(/(\d+)$/.exec(p.node)![1])));
    table.partitions.forEach((p, i) => {
      const o = oracle.partitions[i]!;
      expect({ start: p.start, size: p.size, typeId: p.typeId, guid: p.guid, name: p.name, attributes: p.attributes }).toEqual({
        start: o.start * 512,
        size: o.size * 512,
        typeId: o.type.toLowerCase(),
        guid: o.uuid!.toLowerCase(),
        name: o.name ?? '',
        attributes: sfdiskAttrs(o.attrs).toString(),
      });
      expect(p.device.size).toBe(p.size);
    });
    // sgdisk -p: disk GUID; sgdisk -i N: type name in parentheses, attribute flags in hex, name.
    expect(run('sgdisk', ['-p', path])).toContain(`Disk identifier (GUID): ${table.diskId!.toUpperCase()}`);
    const names: Record<number, string> = {};
    for (const p of table.partitions) {
      const info = run('sgdisk', ['-i', String(p.index), path]);
      const flags = /Attribute flags: ([0-9A-Fa-f]+)/.exec(info)![1]!;
      expect(BigInt(`0x${flags}`).toString()).toBe(p.attributes);
      expect(/Partition name: '(.*)'/.exec(info)![1]).toBe(p.name);
      expect(info).toContain(`First sector: ${p.start / 512} `);
      names[p.index] = p.type;
    }
    expect(names).toEqual({
      1: 'BIOS boot',
      2: 'EFI System',
      3: 'Microsoft reserved',
      4: 'Microsoft basic data',
      6: 'Linux swap',
      7: 'Linux LVM',
      9: 'Linux RAID',
      10: 'Windows recovery environment',
      11: 'Linux home',
      12: 'Linux root (x86-64)',
    });
  });

  it('reads through each partition device to the right bytes', async () => {
    const dir = tempDir();
    const path = makeSgdiskDisk(dir);
    const table = await tableOf(path);
    for (const p of table.partitions) {
      patch(path, p.start, Uint8Array.of(p.index, 0xaa));
      patch(path, p.start + p.size - 1, Uint8Array.of(p.index));
    }
    const device = await FileDevice.open(path);
    const again = await readPartitionTable(device);
    for (const p of again.partitions) {
      expect(await p.device.read(0, 2)).toEqual(Uint8Array.of(p.index, 0xaa));
      expect(await p.device.read(p.size - 1, 1)).toEqual(Uint8Array.of(p.index));
      await expect(p.device.read(p.size, 1)).rejects.toThrow(CorruptError);
    }
    await device.close();
  });

  it('falls back to the backup header with a warning when the primary header is damaged', async () => {
    const dir = tempDir();
    const path = makeSgdiskDisk(dir);
    const good = await tableOf(path);
    patch(path, 512 + 0x20, Uint8Array.of(0x99)); // AlternateLBA byte: header CRC no longer matches
    const log = new DiagnosticLog();
    const table = await tableOf(path, log);
    expect(table.partitions.map((p) => [p.index, p.start, p.size, p.guid])).toEqual(good.partitions.map((p) => [p.index, p.start, p.size, p.guid]));
    expect(log.warnings().map((w) => w.code)).toEqual(['gpt-primary-invalid']);
    expect(log.warnings()[0]!.message).toMatch(/CRC32/);
  });

  it('falls back to the backup when the primary entry array is damaged, or its signature is gone', async () => {
    const dir = tempDir();
    const path = makeSgdiskDisk(dir);
    patch(path, 1024 + 56, Uint8Array.of(0x41, 0)); // partition 1 name: array CRC fails
    const log = new DiagnosticLog();
    const table = await tableOf(path, log);
    expect(table.partitions[0]!.name).toBe('BIOS boot');
    expect(log.warnings()[0]!.message).toMatch(/entry array CRC32/);
    patch(path, 512, new TextEncoder().encode('NOT PART'));
    const log2 = new DiagnosticLog();
    expect((await tableOf(path, log2)).partitions.length).toBe(10);
    expect(log2.warnings()[0]!.message).toMatch(/signature/);
  });

  it('warns when only the backup is damaged', async () => {
    const dir = tempDir();
    const path = makeSgdiskDisk(dir);
    patch(path, 64 * MiB - 512 + 0x10, Uint8Array.of(1, 2, 3, 4));
    const log = new DiagnosticLog();
    expect((await tableOf(path, log)).partitions.length).toBe(10);
    expect(log.warnings().map((w) => w.code)).toEqual(['gpt-backup-invalid']);
  });

  it('throws CorruptError when both headers are damaged', async () => {
    const dir = tempDir();
    const path = makeSgdiskDisk(dir);
    patch(path, 512 + 0x10, Uint8Array.of(1, 2, 3, 4));
    patch(path, 64 * MiB - 512 + 0x10, Uint8Array.of(1, 2, 3, 4));
    await expect(tableOf(path)).rejects.toThrow(CorruptError);
    await expect(tableOf(path)).rejects.toThrow(/primary .*CRC32.*backup .*CRC32/);
  });

  it('throws CorruptError for a protective MBR with no GPT behind it', async () => {
    const [mbr] = encodeMbr({ primary: [{ type: 0xee, startLba: 1, sectorCount: 100 }] });
    await expect(readPartitionTable(new MemoryDevice(applyWrites(MiB, [mbr!])))).rejects.toThrow(CorruptError);
  });

  it('rejects headers with absurd entry arrays or self-positions (primary), using the backup', async () => {
    const writes = encodeGpt({
      diskGuid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      diskSectors: 8192,
      partitions: [{ typeGuid: '0fc63daf-8483-4772-8e79-3d69d8477de4', guid: '01234567-89ab-cdef-0123-456789abcdef', firstLba: 2048, lastLba: 4095, name: 'x' }],
    });
    const disk = applyWrites(8192 * 512, writes);
    // Entry count 2^24 with the CRC recomputed, so only the size bound can reject it.
    const view = new DataView(disk.buffer);
    view.setUint32(512 + 0x50, 1 << 24, true);
    view.setUint32(512 + 0x10, 0, true);
    const { crc32 } = await import('../../src/binary/checksum.js');
    view.setUint32(512 + 0x10, crc32(disk.subarray(512, 512 + 92)), true);
    const log = new DiagnosticLog();
    const table = await readPartitionTable(new MemoryDevice(disk), { diagnostics: log });
    expect(table.partitions[0]!.name).toBe('x');
    expect(log.warnings()[0]!.message).toMatch(/too large/);
  });

  it('encodeGpt output reads back identically and is accepted by sgdisk and sfdisk', async () => {
    requireTool('sgdisk');
    const layout = {
      diskGuid: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
      diskSectors: 65536,
      partitions: [
        { typeGuid: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b', guid: '00000000-1111-2222-3333-444444444444', firstLba: 2048, lastLba: 6143, name: 'EFI', attributes: 1n },
        { index: 3, typeGuid: 'e6d6d379-f507-44c2-a23c-238f2a3df928', guid: '55555555-6666-7777-8888-999999999999', firstLba: 6144, lastLba: 65502, name: 'lvm pv', attributes: 1n << 60n },
      ],
    };
    const disk = applyWrites(65536 * 512, encodeGpt(layout));
    const table = await readPartitionTable(new MemoryDevice(disk));
    expect(table.diskId).toBe(layout.diskGuid);
    expect(table.partitions.map((p) => ({ index: p.index, start: p.start / 512, end: (p.start + p.size) / 512 - 1, typeId: p.typeId, guid: p.guid, name: p.name, attributes: p.attributes }))).toEqual(
      layout.partitions.map((p, i) => ({ index: p.index ?? i + 1, start: p.firstLba, end: p.lastLba, typeId: p.typeGuid, guid: p.guid, name: p.name, attributes: p.attributes.toString() })),
    );
    const dir = tempDir();
    const path = join(dir, 'ours.img');
    const fd = openSync(path, 'w');
    writeSync(fd, disk);
    closeSync(fd);
    expect(run('sgdisk', ['-v', path])).toMatch(/No problems found/);
    const oracle = sfdiskJson(path);
    expect(oracle.partitions.map((p) => [p.node.slice(-1), p.start, p.uuid!.toLowerCase(), p.name])).toEqual([
      ['1', 2048, layout.partitions[0]!.guid, 'EFI'],
      ['3', 6144, layout.partitions[1]!.guid, 'lvm pv'],
    ]);
  });

  it('finds a 4096-byte-sector GPT made by fdisk -b 4096, and our own 4096-byte encoding', async () => {
    requireTool('fdisk');
    const dir = tempDir();
    const path = join(dir, 'gpt4k.img');
    run('truncate', ['-s', '64M', path]);
    run('fdisk', ['-b', '4096', path], { input: 'g\nn\n\n\n+4M\nt\n1\nn\n\n\n+8M\nx\nn\n2\nsecond\nr\nw\n' });
    const table = await tableOf(path);
    expect(table.sectorSize).toBe(4096);
    const listing = run('fdisk', ['-b', '4096', '-l', '-o', 'Device,Start,End,Type-UUID,UUID,Name', path]);
    const rows = listing.split('\n').filter((l) => l.startsWith(path)).map((l) => l.slice(path.length).trim().split(/\s+/));
    expect(rows.length).toBe(2);
    expect(table.partitions.map((p) => [String(p.index), String(p.start / 4096), String((p.start + p.size) / 4096 - 1), p.typeId.toUpperCase(), p.guid!.toUpperCase(), ...(p.name ? [p.name] : [])])).toEqual(rows);
    expect(table.partitions[0]!.type).toBe('EFI System');

    const ours = applyWrites(4096 * 4096, encodeGpt({ diskGuid: '3f2504e0-4f89-11d3-9a0c-0305e82c3301', diskSectors: 4096, sectorSize: 4096, partitions: [{ typeGuid: '0fc63daf-8483-4772-8e79-3d69d8477de4', guid: '3f2504e0-4f89-11d3-9a0c-0305e82c3302', firstLba: 256, lastLba: 4000 }] }));
    const back = await readPartitionTable(new MemoryDevice(ours));
    expect([back.sectorSize, back.partitions[0]!.start, back.partitions[0]!.size]).toEqual([4096, 256 * 4096, 3745 * 4096]);
  });
});

describe('MBR', () => {
  function makeSfdiskDisk(dir: string): string {
    requireTool('sfdisk');
    const path = join(dir, 'mbr.img');
    run('truncate', ['-s', '64M', path]);
    run('sfdisk', [path], {
      input:
        'label: dos\nlabel-id: 0xdeadbeef\n' +
        'start=2048, size=8M, type=83, bootable\nstart=18432, size=4M, type=7\nstart=26624, size=40M, type=f\nstart=108544, size=4M, type=82\n' +
        'size=4M, type=8e\nsize=2M, type=fd\nsize=3M, type=c\nsize=2M, type=27\nsize=1M, type=17\n',
    });
    return path;
  }

  it('reads primaries, the extended container and logicals as sfdisk --json does', async () => {
    const dir = tempDir();
    const path = makeSfdiskDisk(dir);
    const table = await tableOf(path);
    const oracle = sfdiskJson(path);
    expect(table.scheme).toBe('mbr');
    expect(table.diskId).toBe(oracle.id);
    expect(oracle.partitions.length).toBe(9);
    expect(
      table.partitions.map((p) => ({ index: p.index, start: p.start / 512, size: p.size / 512, type: p.typeId.replace(/^0x0?/, ''), bootable: p.bootable || undefined })),
    ).toEqual(oracle.partitions.map((o) => ({ index: Number(/(\d+)$/.exec(o.node)![1]), start: o.start, size: o.size, type: o.type, bootable: o.bootable })));
    expect(table.partitions.map((p) => p.kind)).toEqual(['primary', 'primary', 'extended', 'primary', 'logical', 'logical', 'logical', 'logical', 'logical']);
    expect(table.partitions.find((p) => p.index === 8)!.type).toBe('Hidden NTFS WinRE');
    expect(table.partitions.find((p) => p.index === 2)!.type).toBe('HPFS/NTFS/exFAT');
  });

  it('encodeMbr with an EBR chain is read back by sfdisk and by us', async () => {
    const writes = encodeMbr({
      diskSignature: 0x1234abcd,
      primary: [{ type: 0x07, startLba: 2048, sectorCount: 2048, bootable: true }, { type: 0x05, startLba: 4096, sectorCount: 20000 }],
      logical: [
        { ebrLba: 4096, startLba: 6144, sectorCount: 1000, type: 0x83 },
        { ebrLba: 8192, startLba: 8200, sectorCount: 2000, type: 0x82 },
        { ebrLba: 12000, startLba: 12001, sectorCount: 4000, type: 0x8e },
      ],
    });
    const disk = applyWrites(16 * MiB, writes);
    const table = await readPartitionTable(new MemoryDevice(disk));
    expect(table.partitions.map((p) => [p.index, p.start / 512, p.size / 512, p.typeId])).toEqual([
      [1, 2048, 2048, '0x07'],
      [2, 4096, 20000, '0x05'],
      [5, 6144, 1000, '0x83'],
      [6, 8200, 2000, '0x82'],
      [7, 12001, 4000, '0x8e'],
    ]);
    const dir = tempDir();
    const path = join(dir, 'ours.img');
    const fd = openSync(path, 'w');
    writeSync(fd, disk);
    closeSync(fd);
    const oracle = sfdiskJson(path);
    expect(oracle.id).toBe('0x1234abcd');
    expect(oracle.partitions.map((o) => [o.start, o.size, o.type])).toEqual([
      [2048, 2048, '7'],
      [4096, 20000, '5'],
      [6144, 1000, '83'],
      [8200, 2000, '82'],
      [12001, 4000, '8e'],
    ]);
  });

  it('throws CorruptError on an EBR chain that loops', async () => {
    const writes = encodeMbr({
      primary: [{ type: 0x0f, startLba: 100, sectorCount: 1000 }],
      logical: [
        { ebrLba: 100, startLba: 101, sectorCount: 10, type: 0x83 },
        { ebrLba: 200, startLba: 201, sectorCount: 10, type: 0x83 },
      ],
    });
    const disk = applyWrites(MiB, writes);
    // Point the second EBR's link back at the first (relative 0 = the extended start).
    const view = new DataView(disk.buffer);
    disk[200 * 512 + 446 + 16 + 4] = 0x05;
    view.setUint32(200 * 512 + 446 + 16 + 8, 0, true);
    view.setUint32(200 * 512 + 446 + 16 + 12, 50, true);
    await expect(readPartitionTable(new MemoryDevice(disk))).rejects.toThrow(/loops/);
    await expect(readPartitionTable(new MemoryDevice(disk))).rejects.toThrow(CorruptError);
  });

  it('reports entries past the end of the disk and clamps their devices', async () => {
    const [mbr] = encodeMbr({ primary: [{ type: 0x83, startLba: 2048, sectorCount: 10_000 }, { type: 0x07, startLba: 50_000, sectorCount: 10 }] });
    const log = new DiagnosticLog();
    const table = await readPartitionTable(new MemoryDevice(applyWrites(2 * MiB, [mbr!])), { diagnostics: log });
    expect(table.partitions.map((p) => [p.size, p.device.size])).toEqual([
      [10_000 * 512, 2 * MiB - 2048 * 512],
      [10 * 512, 0],
    ]);
    expect(log.warnings().map((w) => w.code)).toEqual(['partition-past-end', 'partition-past-end']);
    expect(log.warnings()[0]!.offset).toBe(446);
  });

  it('does not take a volume boot record or an unsigned sector for a table', async () => {
    const vbr = new Uint8Array(MiB);
    vbr.set([0xeb, 0x52, 0x90, ...new TextEncoder().encode('NTFS    ')], 0);
    vbr[510] = 0x55;
    vbr[511] = 0xaa;
    expect((await readPartitionTable(new MemoryDevice(vbr))).scheme).toBe('none');
    const garbage = vbr.slice();
    garbage.set([0x12, 0, 0, 0, 0x83], 446);
    expect((await readPartitionTable(new MemoryDevice(garbage))).scheme).toBe('none');
    expect((await readPartitionTable(new MemoryDevice(new Uint8Array(MiB)))).scheme).toBe('none');
    expect((await readPartitionTable(new MemoryDevice(new Uint8Array(100)))).scheme).toBe('none');
  });

  it('reads the dfvfs MBR corpus image as mmls does', async () => {
    const disk = readCorpus('images/raw/dfvfs-mbr.raw.gz');
    const layout = readFileSync(join(CORPUS, 'oracle/images/raw/dfvfs-mbr.raw.layout.txt'), 'utf8');
    // mmls rows: "002:  000:000   0000000001   0000000129   0000000129   Linux (0x83)"
    const rows = [...layout.matchAll(/^\d{3}:\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.+?)\s*$/gm)]
      .filter((m) => m[1] !== '-------' && !/Table/.test(m[5]!))
      .map((m) => ({ start: Number(m[2]), length: Number(m[4]), type: /\((0x[0-9a-f]+)\)/.exec(m[5]!)![1] }));
    expect(rows.length).toBe(3);
    const table = await readPartitionTable(new MemoryDevice(disk));
    expect(table.scheme).toBe('mbr');
    const ours = table.partitions.map((p) => ({ start: p.start / 512, length: p.size / 512, type: p.typeId })).sort((a, b) => a.start - b.start || b.length - a.length);
    expect(ours).toEqual(rows.sort((a, b) => a.start - b.start || b.length - a.length).map((r) => ({ ...r, type: r.type!.replace(/^0x(.)$/, '0x0$1') })));
    expect(table.partitions.map((p) => p.index)).toEqual([1, 2, 5]);
  });
});

describe('table sanity warnings', () => {
  it('warns about overlapping partitions and logicals outside their extended partition', async () => {
    const writes = encodeMbr({
      primary: [{ type: 0x83, startLba: 2048, sectorCount: 4096 }, { type: 0x83, startLba: 4096, sectorCount: 100 }, { type: 0x05, startLba: 8192, sectorCount: 1000 }],
      logical: [{ ebrLba: 8192, startLba: 9000, sectorCount: 500, type: 0x83 }],
    });
    const log = new DiagnosticLog();
    const table = await readPartitionTable(new MemoryDevice(applyWrites(8 * MiB, writes)), { diagnostics: log });
    expect(table.partitions.length).toBe(4);
    expect(log.warnings().map((w) => w.code).sort()).toEqual(['logical-outside-extended', 'partition-overlap']);
    const clean = new DiagnosticLog();
    await readPartitionTable(new MemoryDevice(applyWrites(8 * MiB, encodeMbr({ primary: [{ type: 0x83, startLba: 2048, sectorCount: 2048 }] }))), { diagnostics: clean });
    expect(clean.entries).toEqual([]);
  });
});

describe('hybrid MBR', () => {
  it('uses the GPT and notes the hybrid MBR (made with sgdisk -h)', async () => {
    const dir = tempDir();
    const path = makeSgdiskDisk(dir);
    run('sgdisk', ['-h', '2:EE', path]);
    const log = new DiagnosticLog();
    const table = await tableOf(path, log);
    expect(table.scheme).toBe('gpt');
    expect(table.partitions.length).toBe(10);
    expect(log.entries.map((d) => d.code)).toEqual(['hybrid-mbr']);
    expect(sfdiskJson(path).label).toBe('gpt');
  });
});

describe('partition lookup', () => {
  it('find returns undefined and open throws NotFoundError for a missing number', async () => {
    const { findPartition, openPartition } = await import('../../src/partition/index.js');
    const { NotFoundError } = await import('../../src/errors.js');
    const [mbr] = encodeMbr({ primary: [undefined, { type: 0x83, startLba: 2048, sectorCount: 100 }] });
    const table = await readPartitionTable(new MemoryDevice(applyWrites(2 * MiB, [mbr!])));
    expect(openPartition(table, 2).start).toBe(2048 * 512);
    expect(findPartition(table, 1)).toBeUndefined();
    expect(() => openPartition(table, 1)).toThrow(NotFoundError);
  });
});

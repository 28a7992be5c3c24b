// The qcow2 writer against qemu: images rehost writes must pass `qemu-img check` with no
// errors and no leaks, and `qemu-img convert -O raw` of them must give back the source bytes.
// With a backing file, only the changed ranges are stored and the rest reads through.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { CORPUS, requireTool, run, sha256Device, sha256File, tempDir } from '../helpers/tools.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';
import { FileDevice, WritableFileDevice } from '../../src/io/file-device.js';
import { OverlayDevice } from '../../src/io/overlay-device.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { openImage } from '../../src/image/open.js';
import { qcow2Writer } from '../../src/image/qcow2/index.js';
import type { WriteImageOptions } from '../../src/image/types.js';
import { qemuRawSha } from './qcow2-qemu.js';

let dir: string;

beforeAll(() => {
  requireTool('qemu-img');
  dir = tempDir('rehost-qcow2w-');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function writeImage(path: string, options: Omit<WriteImageOptions, 'output'>): Promise<void> {
  const output = await WritableFileDevice.create(path);
  try {
    await qcow2Writer.write({ ...options, output });
  } finally {
    await output.close();
  }
}

function qemuCheck(path: string): Record<string, unknown> {
  const report = JSON.parse(run('qemu-img', ['check', '--output=json', path])) as Record<string, unknown>;
  expect(report['check-errors']).toBe(0);
  expect(report.corruptions ?? 0).toBe(0);
  expect(report.leaks ?? 0).toBe(0);
  return report;
}


describe('qcow2 writer', () => {
  test('pattern disk → qcow2: qemu-img check clean, qemu reads the same bytes', async () => {
    const raw = join(dir, 'pattern.raw');
    writePatternDisk(raw, { size: 40 * MIB + 512 });
    const out = join(dir, 'written.qcow2');
    const source = await FileDevice.open(raw);
    let progress = 0;
    try {
      await writeImage(out, { source, onProgress: (done) => { progress = done; } });
    } finally {
      await source.close();
    }
    expect(progress).toBe(40 * MIB + 512);
    const report = qemuCheck(out);
    // Every hole MiB (i % 4 === 2) of the source stays unallocated.
    expect(report['allocated-clusters']).toBe(((41 - 10) * MIB) / 65536 - 15);
    expect(await qemuRawSha(out, dir)).toBe(await sha256File(raw));
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', out])) as Record<string, unknown>;
    expect(info['virtual-size']).toBe(40 * MIB + 512);
    expect(info['cluster-size']).toBe(65536);
    expect((info['format-specific'] as { data: { compat: string } }).data.compat).toBe('1.1');
    // And rehost reads its own output back.
    const image = await openImage(out);
    try {
      expect(await sha256Device(image.device)).toBe(await sha256File(raw));
    } finally {
      await image.close();
    }
  });

  test('a corpus qcow2 converted by rehost reads as the oracle says', async () => {
    const oracle = JSON.parse(readFileSync(join(CORPUS, 'oracle/images/qcow2/dfvfs-windows_volume.qcow2.raw.json'), 'utf8')) as { raw_sha256: string };
    const image = await openImage(join(CORPUS, 'images/qcow2/dfvfs-windows_volume.qcow2'));
    const out = join(dir, 'windows-volume.qcow2');
    try {
      await writeImage(out, { source: image.device });
    } finally {
      await image.close();
    }
    qemuCheck(out);
    expect(await qemuRawSha(out, dir)).toBe(oracle.raw_sha256);
  });

  test('a ragged size is rounded up to whole sectors, as qemu-img convert does', async () => {
    const bytes = new Uint8Array(70000).fill(9);
    const out = join(dir, 'ragged.qcow2');
    await writeImage(out, { source: new MemoryDevice(bytes) });
    qemuCheck(out);
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', out])) as Record<string, unknown>;
    expect(info['virtual-size']).toBe(70144);
  });

  test('an empty (all-zero) disk stores no data clusters', async () => {
    const out = join(dir, 'empty.qcow2');
    await writeImage(out, { source: new MemoryDevice(new Uint8Array(3 * MIB)) });
    const report = qemuCheck(out);
    expect(report['allocated-clusters'] ?? 0).toBe(0);
    expect(report['image-end-offset']).toBe(4 * 65536);
  });

  test('an overlay backed by its source stores only the changes', async () => {
    const raw = join(dir, 'base.raw');
    writePatternDisk(raw, { size: 16 * MIB });
    const base = join(dir, 'base.qcow2');
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, base]);
    const baseImage = await openImage(base);
    const top = join(dir, 'top.qcow2');
    let expected: string;
    try {
      const overlay = new OverlayDevice(baseImage.device, { chunkSize: 4096 });
      await overlay.write(1 * MIB, new Uint8Array(65536).fill(0x77)); // over data
      await overlay.write(2 * MIB + 4096, new Uint8Array(4096).fill(0x11)); // inside a hole MiB
      await overlay.write(8 * MIB, new Uint8Array(128 * 1024)); // zeros over data
      await overlay.write(16 * MIB - 100, new Uint8Array(100).fill(0xee)); // the very end
      expected = await sha256Device(overlay);
      await writeImage(top, { source: overlay.changesOnly(), backing: { filename: 'base.qcow2', format: 'qcow2' } });
    } finally {
      await baseImage.close();
    }
    const report = qemuCheck(top);
    // 1 MiB write = 1 cluster, hole write = 1, end = 1; the zero write becomes zero clusters.
    expect(report['allocated-clusters']).toBe(3);
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', top])) as Record<string, unknown>;
    expect(info['backing-filename']).toBe('base.qcow2');
    expect(info['backing-filename-format']).toBe('qcow2');
    expect(await qemuRawSha(top, dir)).toBe(expected);
    const image = await openImage(top);
    try {
      expect(await sha256Device(image.device)).toBe(expected);
    } finally {
      await image.close();
    }
  });
});

// Shared helpers for the qcow2 tests: what qemu says an image reads as (raw sha256 through
// `qemu-img convert -O raw`) and where it holds data (`qemu-img map`), to compare rehost with.

import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { run, sha256File, sha256Device } from '../helpers/tools.js';
import { openImage } from '../../src/image/open.js';
import { allocationOf } from '../../src/io/block-device.js';
import type { DiskImage } from '../../src/image/types.js';

export async function qemuRawSha(image: string, dir: string): Promise<string> {
  const out = join(dir, `oracle-${Math.random().toString(36).slice(2)}.raw`);
  run('qemu-img', ['convert', '-O', 'raw', image, out]);
  try {
    return await sha256File(out);
  } finally {
    rmSync(out, { force: true });
  }
}

interface MapEntry { start: number; length: number; data: boolean; zero: boolean }

/** The guest ranges qemu reports as holding data (through the whole backing chain), merged. */
export function qemuDataRanges(image: string): Array<[number, number]> {
  const entries = JSON.parse(run('qemu-img', ['map', '--output=json', image])) as MapEntry[];
  return merge(entries.filter((e) => e.data).map((e) => [e.start, e.start + e.length] as [number, number]));
}

export async function rehostDataRanges(image: DiskImage): Promise<Array<[number, number]>> {
  const runs = await allocationOf(image.device);
  return merge(runs.filter((r) => r.kind === 'data').map((r) => [r.offset, r.offset + r.length] as [number, number]));
}

function merge(ranges: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [start, end] of ranges) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === start) last[1] = end;
    else out.push([start, end]);
  }
  return out;
}

/** Opens with rehost and returns the sha256 of the whole guest disk plus its data ranges. */
export async function rehostRead(path: string): Promise<{ sha: string; data: Array<[number, number]>; image: DiskImage }> {
  const image = await openImage(path);
  try {
    return { sha: await sha256Device(image.device), data: await rehostDataRanges(image), image };
  } finally {
    await image.close();
  }
}

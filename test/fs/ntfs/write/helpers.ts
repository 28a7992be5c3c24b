// Shared helpers of the NTFS writer tests: fresh mkntfs volumes in a temp dir, overlay
// contents written out to a raw file for the ntfs-3g oracles.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { FileDevice, MemoryDevice, OverlayDevice } from '../../../../src/io/index.js';
import { CORPUS } from '../../../helpers/tools.js';
import { bytesOf } from '../../../helpers/pattern.js';
import { NtfsFileSystem } from '../../../../src/fs/ntfs/filesystem.js';
import { encodeFixups, tryApplyFixups } from '../../../../src/fs/ntfs/fixups.js';
import { decodeIndexEntries } from '../../../../src/fs/ntfs/index-node.js';
import { readUtf16 } from '../../../../src/fs/ntfs/file-name.js';
import { AttributeStream } from '../../../../src/fs/ntfs/data-stream.js';
import { mergedSource } from '../../../../src/fs/ntfs/mft.js';

export { bytesOf };

/** Makes an empty NTFS volume of `mib` MiB (sparse) with mkntfs; returns its path. */
export function makeVolume(dir: string, name: string, mib = 16, extra: string[] = []): string {
  const path = join(dir, name);
  execFileSync('truncate', ['-s', `${mib}M`, path]);
  execFileSync('mkntfs', ['-F', '-Q', '-q', '-s', '512', ...extra, path], { stdio: ['ignore', 'ignore', 'ignore'] });
  return path;
}

/** The corpus volume made by Windows, decompressed into `dir`. */
export function corpusVolume(dir: string): string {
  const path = join(dir, 'corpus-ntfs.img');
  writeFileSync(path, gunzipSync(readFileSync(join(CORPUS, 'ntfs/dissect-ntfs.bin.gz'))));
  return path;
}

export async function overlayOf(path: string): Promise<OverlayDevice> {
  return new OverlayDevice(await FileDevice.open(path));
}

/** Copies `source` to `out` and applies the overlay's changed bytes on top. */
export async function materialize(args: { source: string; overlay: OverlayDevice; out: string }): Promise<string> {
  copyFileSync(args.source, args.out);
  const bytes = await args.overlay.read(0, args.overlay.size);
  writeFileSync(args.out, bytes);
  return args.out;
}

export function memoryOf(path: string): MemoryDevice {
  return new MemoryDevice(new Uint8Array(readFileSync(path)));
}

/** ntfsfix -n: passes when it exits 0 and reports nothing to fix. */
export function ntfsfixClean(image: string): { ok: boolean; output: string } {
  const r = spawnSync('ntfsfix', ['-n', image], { encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  const ok = r.status === 0 && /processed successfully/.test(output) && !/(mismatch|corrupt|dirty|FAILED|error)/i.test(output);
  return { ok, output };
}

/** ntfs-3g's view of every path (`ntfsls -R`), sorted; directories end with '/'. */
export function ntfsTree(image: string): string[] {
  const out = execFileSync('ntfsls', ['-R', '-F', '-p', '/', image], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const paths: string[] = [];
  let dir = '/';
  for (const line of out.split('\n')) {
    if (line.length === 0) continue;
    if (line.startsWith('/') && line.endsWith(':')) {
      dir = line.slice(0, -1);
      if (!dir.endsWith('/')) dir += '/';
      continue;
    }
    if (line === './' || line === '../') continue; // ntfsls lists . and .. inside subdirectories
    paths.push(dir + line);
  }
  return paths.sort();
}

/** Our reader's view in the same form. */
export async function ourTree(fs: { walk(path?: string): Promise<{ path: string; type: string }[]> }): Promise<string[]> {
  // ntfsls hides the metadata files (records below 16 and $Extend) like Windows Explorer.
  return (await fs.walk('/')).filter((e) => !e.path.startsWith('/$')).map((e) => e.path + (e.type === 'directory' ? '/' : '')).sort();
}

export function ntfsCat(image: string, path: string): Uint8Array {
  return new Uint8Array(execFileSync('ntfscat', [image, path], { maxBuffer: 1 << 28 }));
}

/** Edits MFT record `n` of a memory volume in place (fixups removed, then re-applied). */
export async function patchRecord(device: MemoryDevice, n: number, edit: (record: Uint8Array) => void): Promise<void> {
  const fs = await NtfsFileSystem.open(device);
  const rs = fs.mft.recordSize;
  const raw = await fs.mft.rawRecord(n);
  if (!tryApplyFixups(raw, 0, rs)) throw new Error(`record ${n} has bad fixups`);
  edit(raw);
  const usaOffset = raw[4]! | (raw[5]! << 8);
  encodeFixups({ bytes: raw, size: rs, usn: ((raw[usaOffset]! | (raw[usaOffset + 1]! << 8)) + 1) & 0x7fff || 1 });
  await device.write(fs.mft.deviceOffset(n), raw);
}

/** The device offset of the first cluster of a file's unnamed $DATA. */
export async function dataOffset(device: MemoryDevice, n: number): Promise<number> {
  const fs = await NtfsFileSystem.open(device);
  const file = await fs.mft.loadFile(n);
  const data = file.attributes.find((a) => a.type === 0x80 && a.name === '')!;
  return data.runs[0]!.lcn * fs.geometry.clusterSize;
}

/** libfsntfs's view (`fsntfsinfo -H`): every path without metadata files and streams, sorted. */
export function fsntfsTree(image: string): string[] {
  const out = execFileSync('fsntfsinfo', ['-H', image], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return out
    .split('\n')
    .filter((l) => l.startsWith('\\') && !l.startsWith('\\$') && !l.includes(':'))
    .map((l) => l.replace(/\\/g, '/'))
    .sort();
}

/** Every $I30 entry of directory record `dir` with the data size its $FILE_NAME key holds. */
export async function indexSizes(image: string, dir: number): Promise<Map<string, number>> {
  const fs = await NtfsFileSystem.open(await FileDevice.open(image));
  const file = await fs.mft.loadFile(dir);
  const out = new Map<string, number>();
  const collect = (bytes: Uint8Array, headerAt: number, limit: number): void => {
    for (const e of decodeIndexEntries({ bytes, headerAt, limit, origin: 0, structure: 'test' }).entries) {
      if (e.key.length < 0x42) continue;
      out.set(readUtf16(e.key, 0x42, e.key[0x40]!), Number(new DataView(e.key.buffer, e.key.byteOffset).getBigUint64(0x30, true)));
    }
  };
  const root = file.attributes.find((a) => a.type === 0x90 && a.name === '$I30')!;
  collect(root.value!, 0x10, root.value!.length);
  const alloc = file.attributes.find((a) => a.type === 0xa0 && a.name === '$I30');
  if (alloc) {
    const bytes = await new AttributeStream({ device: fs.device, clusterSize: fs.geometry.clusterSize, source: mergedSource(alloc, 'test') }).read(0, alloc.dataSize);
    const bs = fs.geometry.indexRecordSize;
    for (let at = 0; at < bytes.length; at += bs) {
      if (!tryApplyFixups(bytes, at, bs)) continue;
      collect(bytes, at + 0x18, at + bs);
    }
  }
  return out;
}

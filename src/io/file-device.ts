// Devices over host files. Reads are positional (no shared cursor) and loop until the full
// length arrived; a read past the end is a CorruptError naming the file. Opening read-only and
// opening for writing are two functions, so no flag decides what a device may do.

import { open, type FileHandle } from 'node:fs/promises';
import type { BlockDevice, WritableBlockDevice } from './block-device.js';
import { checkRange } from './checks.js';
import { CorruptError, NotFoundError } from '../errors.js';

export class FileDevice implements BlockDevice {
  protected constructor(
    protected readonly handle: FileHandle,
    readonly path: string,
    protected currentSize: number,
  ) {}

  get size(): number {
    return this.currentSize;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.currentSize, name: this.path });
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) {
        throw new CorruptError(`unexpected end of file after ${offset + done} bytes`, { path: this.path, offset: offset + done });
      }
      done += bytesRead;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /** Opens an existing file read-only. */
  static async open(path: string): Promise<FileDevice> {
    const handle = await openOrNotFound(path, 'r');
    const { size } = await handle.stat();
    return new FileDevice(handle, path, size);
  }
}

export class WritableFileDevice extends FileDevice implements WritableBlockDevice {
  async write(offset: number, data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, offset + done);
      done += bytesWritten;
    }
    if (offset + data.length > this.currentSize) this.currentSize = offset + data.length;
  }

  async flush(): Promise<void> {
    await this.handle.sync();
  }

  /** Sets the file length (holes where it grows, on filesystems that support them). */
  async truncate(size: number): Promise<void> {
    await this.handle.truncate(size);
    this.currentSize = size;
  }

  /** Opens an existing file for reading and writing (in-place mode). */
  static async openExisting(path: string): Promise<WritableFileDevice> {
    const handle = await openOrNotFound(path, 'r+');
    const { size } = await handle.stat();
    return new WritableFileDevice(handle, path, size);
  }

  /** Creates (or truncates) a file for output. */
  static async create(path: string): Promise<WritableFileDevice> {
    const handle = await open(path, 'w+');
    return new WritableFileDevice(handle, path, 0);
  }
}

async function openOrNotFound(path: string, flags: string): Promise<FileHandle> {
  try {
    return await open(path, flags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`no such file: ${path}`, { path, kind: 'file' });
    }
    throw error;
  }
}

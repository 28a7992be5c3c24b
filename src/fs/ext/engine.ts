// The parent side of the libext2fs worker (see worker-source.ts): starts the worker lazily,
// serves its block reads and writes from our BlockDevice, runs one operation at a time, and
// bounds each one. The time limit counts only the worker's own compute time (the clock stops
// while we are reading the device for it), so a slow image format never looks like a hang, and
// a filesystem that sends libext2fs into a loop is cut off. Memory is bounded twice: the
// WebAssembly heap of the package is fixed at 16 MiB (it cannot grow; running out is an
// abort), and the worker's JavaScript heap is capped with resourceLimits.
//
// A worker that aborts, times out or dies is terminated and every pending call fails with a
// CorruptError. Read-only engines then start afresh on the next call (one bad directory must
// not make the rest of the volume unreadable); writable engines stay broken, because libext2fs
// keeps bitmaps in memory and a restart would silently drop writes.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Diagnostics } from '../../diagnostics.js';
import { CorruptError, NotFoundError, PreconditionError, RehostError, UnsupportedError } from '../../errors.js';
import type { BlockDevice, WritableBlockDevice } from '../../io/block-device.js';
import { OverlayDevice } from '../../io/overlay-device.js';
import { ext2ErrorName } from './libext2fs-errors.js';
import { EXT_WORKER_SOURCE } from './worker-source.js';

export interface ExtEngineLimits {
  /** Compute time one operation may take inside libext2fs (default 20 s). */
  operationTimeoutMs?: number;
  /** Cap on the worker's V8 old generation (default 256 MiB). */
  maxHeapMb?: number;
  /** Bytes of device blocks the worker keeps cached (default 32 MiB). */
  cacheBytes?: number;
}

type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'done'; id: number; value: unknown }
  | { kind: 'fail'; id: number; code: string; errno: number; message: string }
  | { kind: 'fatal'; id: number; message: string }
  | { kind: 'read'; rid: number; offset: number; length: number }
  | { kind: 'write'; rid: number; offset: number; data: Uint8Array };

interface Pending {
  id: number;
  op: string;
  path: string | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  budgetMs: number;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
}

let ext2fsPath: string | undefined;
function resolveExt2fs(): string {
  ext2fsPath ??= createRequire(import.meta.url).resolve('ext2fs');
  return ext2fsPath;
}

/** `detail.kind` of the CorruptError raised when the WebAssembly runtime aborted (e.g. its heap ran out). */
export const LIBEXT2FS_ABORT = 'libext2fs-abort';

/** Wall-clock milliseconds of the last worker start (spawn + WebAssembly compile + mount). */
export const extStartupTimings: number[] = [];

export class ExtEngine {
  private worker: Worker | undefined;
  private starting: Promise<void> | undefined;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private broken: RehostError | undefined;
  private firstIoError: unknown;
  private stderrText = '';
  private readonly timeoutMs: number;
  private readonly maxHeapMb: number;
  private readonly cacheBytes: number;
  /** Where libext2fs reads and writes: the caller's writable device, or a private overlay. */
  private readonly io: WritableBlockDevice;

  constructor(
    private readonly device: BlockDevice,
    private readonly options: {
      writable: WritableBlockDevice | undefined;
      diagnostics: Diagnostics;
      limits?: ExtEngineLimits;
    },
  ) {
    this.timeoutMs = options.limits?.operationTimeoutMs ?? 20_000;
    this.maxHeapMb = options.limits?.maxHeapMb ?? 256;
    this.cacheBytes = options.limits?.cacheBytes ?? 32 * 1024 * 1024;
    // libext2fs writes even when only reading (it updates atime in the inode on every file
    // read, measured); on a read-only open those writes land in a private overlay and vanish.
    this.io = options.writable ?? new OverlayDevice(device);
  }

  /** Runs one operation in the worker; operations are serialised. */
  call<T>(op: string, args: unknown[], path?: string): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.broken) throw this.broken;
      await this.ensureStarted();
      return (await this.send(op, args, path)) as T;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    try {
      await this.call('umount', []);
    } finally {
      this.worker = undefined;
      this.starting = undefined;
      await worker.terminate();
    }
  }

  private ensureStarted(): Promise<void> {
    if (this.worker !== undefined && this.starting === undefined) return Promise.resolve();
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async start(): Promise<void> {
    const began = performance.now();
    const worker = new Worker(EXT_WORKER_SOURCE, {
      eval: true,
      workerData: { ext2fsPath: resolveExt2fs(), deviceSize: this.io.size, cacheBytes: this.cacheBytes },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    });
    worker.stderr.on('data', (chunk: Buffer) => {
      this.stderrText += chunk.toString('utf8');
    });
    worker.stdout.on('data', (chunk: Buffer) => {
      this.stderrText += chunk.toString('utf8');
    });
    worker.on('message', (message: WorkerMessage) => this.onMessage(worker, message));
    worker.on('error', (error) => this.onWorkerDeath(worker, `libext2fs worker failed: ${error.message}`));
    worker.on('exit', (code) => this.onWorkerDeath(worker, `libext2fs worker exited (code ${code})`));
    worker.unref();
    this.worker = worker;
    try {
      await this.send('mount', [], undefined);
    } catch (error) {
      if (this.worker === worker) this.worker = undefined;
      void worker.terminate();
      throw error;
    }
    extStartupTimings.push(performance.now() - began);
    if (extStartupTimings.length > 16) extStartupTimings.shift();
  }

  private send(op: string, args: unknown[], path: string | undefined): Promise<unknown> {
    const worker = this.worker;
    if (worker === undefined) return Promise.reject(this.broken ?? new CorruptError('libext2fs worker is not running'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const pending: Pending = { id, op, path, resolve, reject, budgetMs: this.timeoutMs, startedAt: 0, timer: undefined };
      this.pending = pending;
      this.firstIoError = undefined;
      this.resumeClock(pending);
      // Keep the process alive while an operation is in flight; an idle worker must not.
      worker.ref();
      // Only a buffer the array covers whole can be handed over: a view into a larger one (a
      // Node Buffer slice, the pooled small-Buffer arena) would detach the caller's other data.
      const transfer = args
        .filter((a): a is Uint8Array => a instanceof Uint8Array && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer)
        .map((a) => a.buffer as ArrayBuffer);
      worker.postMessage({ kind: 'call', id, op, args }, transfer);
    });
  }

  private resumeClock(pending: Pending): void {
    pending.startedAt = performance.now();
    pending.timer = setTimeout(() => this.onTimeout(pending), Math.max(1, pending.budgetMs));
  }

  private pauseClock(pending: Pending): void {
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.timer = undefined;
    pending.budgetMs -= performance.now() - pending.startedAt;
  }

  private onTimeout(pending: Pending): void {
    if (this.pending !== pending) return;
    this.kill(
      new CorruptError(`libext2fs did not finish ${pending.op} within ${this.timeoutMs} ms of compute; the filesystem is probably corrupt`, {
        structure: 'ext filesystem',
        path: pending.path,
      }),
    );
  }

  private onMessage(worker: Worker, message: WorkerMessage): void {
    if (worker !== this.worker) return;
    const pending = this.pending;
    switch (message.kind) {
      case 'ready':
        return;
      case 'read':
      case 'write': {
        if (pending) this.pauseClock(pending);
        void this.serveIo(worker, message).finally(() => {
          if (pending && this.pending === pending && pending.timer === undefined) this.resumeClock(pending);
        });
        return;
      }
      case 'done':
      case 'fail':
      case 'fatal': {
        if (!pending || pending.id !== message.id) return;
        if (pending.timer !== undefined) clearTimeout(pending.timer);
        this.pending = undefined;
        worker.unref();
        if (message.kind === 'done') pending.resolve(message.value);
        else if (message.kind === 'fail') pending.reject(this.translate(message, pending));
        else {
          const error = new CorruptError(`libext2fs aborted during ${pending.op}: ${message.message}`, {
            structure: 'ext filesystem',
            path: pending.path,
            kind: LIBEXT2FS_ABORT,
          });
          pending.reject(error);
          this.kill(error);
        }
        return;
      }
    }
  }

  private async serveIo(
    worker: Worker,
    message: { kind: 'read'; rid: number; offset: number; length: number } | { kind: 'write'; rid: number; offset: number; data: Uint8Array },
  ): Promise<void> {
    try {
      if (message.kind === 'read') {
        const data = await this.io.read(message.offset, message.length);
        worker.postMessage({ kind: 'io', rid: message.rid, data }, [data.buffer as ArrayBuffer]);
      } else {
        await this.io.write(message.offset, message.data);
        worker.postMessage({ kind: 'io', rid: message.rid });
      }
    } catch (error) {
      this.firstIoError ??= error;
      if (worker === this.worker) worker.postMessage({ kind: 'io', rid: message.rid, error: String((error as Error)?.message ?? error) });
    }
  }

  private translate(message: { code: string; errno: number; message: string }, pending: Pending): RehostError {
    const path = pending.path;
    if (this.firstIoError instanceof RehostError) return this.firstIoError;
    const libName = message.errno > 0 ? ext2ErrorName(message.errno) : undefined;
    const detail = { structure: 'ext filesystem', path, errno: libName ?? message.code };
    switch (libName) {
      case 'EXT2_ET_UNSUPP_FEATURE':
      case 'EXT2_ET_RO_UNSUPP_FEATURE':
        return new UnsupportedError(`libext2fs does not support a feature of this filesystem (${libName})`, detail);
      case 'EXT2_ET_DIR_EXISTS':
      case 'EXT2_ET_FILE_EXISTS':
        return new PreconditionError(`already exists: ${path}`, detail);
      case 'EXT2_ET_NO_DIRECTORY':
        return new NotFoundError(`not a directory: ${path}`, { path, kind: 'file' }, 'ENOTDIR');
      case 'EXT2_ET_FILE_NOT_FOUND':
        return new NotFoundError(`no such file or directory: ${path}`, { path, kind: 'file' }, 'ENOENT');
      case 'EXT2_ET_DIR_NO_SPACE':
      case 'EXT2_ET_BLOCK_ALLOC_FAIL':
      case 'EXT2_ET_INODE_ALLOC_FAIL':
        return new RehostError('NO_SPACE', `no space left on the ext filesystem writing ${path} (${libName})`, detail);
      case undefined:
        break;
      default:
        return new CorruptError(`libext2fs ${pending.op} failed: ${libName}`, detail);
    }
    switch (message.code) {
      case 'ENOENT':
        return new NotFoundError(`no such file or directory: ${path}`, { path, kind: 'file' }, 'ENOENT');
      case 'ENOTDIR':
        return new NotFoundError(`not a directory: ${path}`, { path, kind: 'file' }, 'ENOTDIR');
      case 'EISDIR':
        return new NotFoundError(`is a directory: ${path}`, { path, kind: 'file' }, 'EISDIR');
      case 'EEXIST':
        return new PreconditionError(`already exists: ${path}`, detail);
      case 'ENOTEMPTY':
        return new PreconditionError(`directory not empty: ${path}`, detail);
      case 'ENOSPC':
        return new RehostError('NO_SPACE', `no space left on the ext filesystem writing ${path}`, detail);
      case 'ELOOP':
        return new PreconditionError(`is a symlink: ${path}`, detail);
      case 'ENAMETOOLONG':
        return new UnsupportedError(`name too long: ${path}`, detail);
      default:
        return new CorruptError(`libext2fs ${pending.op} failed with ${message.code}: ${message.message}`, detail);
    }
  }

  private onWorkerDeath(worker: Worker, reason: string): void {
    if (worker !== this.worker) return;
    this.kill(new CorruptError(reason, { structure: 'ext filesystem', path: this.pending?.path }));
  }

  /** Terminates the worker, fails the pending call; read-only engines may start again later. */
  private kill(error: RehostError): void {
    const worker = this.worker;
    const pending = this.pending;
    this.worker = undefined;
    this.pending = undefined;
    if (pending) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.reject(error);
    }
    if (this.stderrText.trim() !== '') {
      this.options.diagnostics.report({
        severity: 'warning',
        code: 'EXT_LIBEXT2FS_OUTPUT',
        message: this.stderrText.trim().slice(0, 2000),
        structure: 'ext filesystem',
      });
      this.stderrText = '';
    }
    if (this.options.writable !== undefined) this.broken = error;
    if (worker) void worker.terminate();
  }
}

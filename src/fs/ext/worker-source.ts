// The program that runs libext2fs (the `ext2fs` package: e2fsprogs compiled to WebAssembly with
// Emscripten + Asyncify) inside a worker_thread. It is kept as source text and started with
// `new Worker(source, { eval: true })` so that the same code runs from the TypeScript sources
// under vitest and from dist/ after the build, with no loader and no extra build step.
//
// Why a worker at all: the Emscripten runtime of that package installs process-wide
// 'uncaughtException'/'unhandledRejection' handlers that rethrow, prints to stderr from abort(),
// and after an abort() (e.g. its fixed 16 MiB heap running out on a hostile filesystem) the
// module stays dead for the life of the process. In a worker all of that is contained: the
// parent can time out an operation, cap the worker's memory and throw the worker away.
//
// Protocol (structured-clone messages):
//   parent → worker  { kind: 'call', id, op, args }       one at a time (the parent serialises)
//   worker → parent  { kind: 'done', id, value }           success
//                    { kind: 'fail', id, code, errno, message }   an errno from libext2fs
//                    { kind: 'fatal', id, message }        the WebAssembly runtime aborted
//                    { kind: 'read', rid, offset, length } block read for the disk
//                    { kind: 'write', rid, offset, data }  block write for the disk
//   parent → worker  { kind: 'io', rid, data?, error? }    the answer to read/write
// The package calls disk.read(buffer, bufferOffset, length, position) with `buffer` a view of
// the WebAssembly heap, so the bytes are copied in on arrival.

export const EXT_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const nodePath = require('node:path');
const nodeFs = require('node:fs');
const NodeModule = require('node:module');

// Cached block reads answered synchronously. The package's blk_read import always goes through
// Asyncify (unwind the whole WebAssembly stack, await, rewind), even when the bytes are already
// here; a path lookup in a 20,000-entry directory then costs ~70 such round trips (measured:
// 11.7 s to list that directory). We load the package's Emscripten glue with one extra line in
// blk_read: when the runtime is in its normal state and the worker cache holds the whole range,
// copy it into the heap and return 0 without suspending. If the glue text is not the one we
// know, it is loaded unchanged and everything still works, only slower.
const BLK_READ = 'function __asyncjs__blk_read(disk_id,block_size,block,count,data){return Asyncify.handleAsync(';
const BLK_READ_FAST = 'function __asyncjs__blk_read(disk_id,block_size,block,count,data){' +
  'if(Asyncify.state===Asyncify.State.Normal&&Module.syncRead&&Module.syncRead(disk_id,block*block_size,count<0?-count:count*block_size,data))return 0;' +
  'return Asyncify.handleAsync(';
let fastReads = false;
{
  const glue = nodePath.join(nodePath.dirname(workerData.ext2fsPath), 'lib', 'libext2fs.js');
  const text = nodeFs.readFileSync(glue, 'utf8');
  if (text.includes(BLK_READ)) {
    const m = new NodeModule(glue, module);
    m.filename = glue;
    m.paths = NodeModule._nodeModulePaths(nodePath.dirname(glue));
    m._compile(text.replace(BLK_READ, BLK_READ_FAST), glue);
    m.loaded = true;
    require.cache[glue] = m;
    fastReads = true;
  }
}
const ext2fs = require(workerData.ext2fsPath);
const ERRNO_NAMES = require(nodePath.join(nodePath.dirname(workerData.ext2fsPath), 'lib', 'wasi.js')).ERRNO_TO_CODE;
// O_NOATIME matters: without it every read-only open writes the inode back (atime) on close.
const O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 64, O_TRUNC = 512, O_NOFOLLOW = 131072, O_NOATIME = 262144;

let nextRid = 1;
const ioWaiting = new Map();
function io(message) {
  return new Promise((resolve, reject) => {
    const rid = nextRid++;
    ioWaiting.set(rid, { resolve, reject });
    message.rid = rid;
    parentPort.postMessage(message);
  });
}

// A read cache in the worker: libext2fs reads one block at a time and re-reads directory and
// inode-table blocks on every path lookup, so without it each lookup costs a message round
// trip per block. Aligned 64 KiB chunks, LRU by Map order, bounded in bytes; writes go through
// to the parent and patch the cached copies.
const CHUNK = 64 * 1024;
const MAX_CACHED = Math.max(4, Math.floor(workerData.cacheBytes / CHUNK));
const deviceSize = workerData.deviceSize;
const cache = new Map();

async function chunk(index) {
  let data = cache.get(index);
  if (data !== undefined) {
    cache.delete(index);
    cache.set(index, data);
    return data;
  }
  const start = index * CHUNK;
  data = await io({ kind: 'read', offset: start, length: Math.min(CHUNK, deviceSize - start) });
  cache.set(index, data);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value);
  return data;
}

function readCached(position, length) {
  if (position < 0 || position + length > deviceSize || length > 4 * CHUNK) return undefined;
  const first = Math.floor(position / CHUNK);
  const last = Math.floor((position + length - 1) / CHUNK);
  if (first === last) {
    const data = cache.get(first);
    if (data === undefined) return undefined;
    const from = position - first * CHUNK;
    return data.subarray(from, from + length);
  }
  const out = new Uint8Array(length);
  for (let index = first; index <= last; index++) {
    const data = cache.get(index);
    if (data === undefined) return undefined;
    const start = index * CHUNK;
    const from = Math.max(position, start);
    const to = Math.min(position + length, start + data.length);
    out.set(data.subarray(from - start, to - start), from - position);
  }
  return out;
}

const disk = {
  async read(buffer, bufferOffset, length, position) {
    if (position < 0 || position + length > deviceSize) {
      throw Object.assign(new Error('read past the end of the device'), { code: 'EIO', errno: 29 });
    }
    if (length > 4 * CHUNK) {
      const data = await io({ kind: 'read', offset: position, length });
      buffer.set(data, bufferOffset);
      return { bytesRead: length, buffer };
    }
    let pos = position;
    const end = position + length;
    while (pos < end) {
      const index = Math.floor(pos / CHUNK);
      const data = await chunk(index);
      const from = pos - index * CHUNK;
      const take = Math.min(end - pos, data.length - from);
      buffer.set(data.subarray(from, from + take), bufferOffset + (pos - position));
      pos += take;
    }
    return { bytesRead: length, buffer };
  },
  async write(buffer, bufferOffset, length, position) {
    const data = new Uint8Array(buffer.subarray(bufferOffset, bufferOffset + length));
    await io({ kind: 'write', offset: position, data });
    for (let index = Math.floor(position / CHUNK); index * CHUNK < position + length; index++) {
      const cached = cache.get(index);
      if (cached === undefined) continue;
      const start = index * CHUNK;
      const from = Math.max(position, start);
      const to = Math.min(position + length, start + cached.length);
      cached.set(data.subarray(from - position, to - position), from - start);
    }
    return { bytesWritten: length, buffer };
  },
  async flush() {},
  async discard() {},
};

if (fastReads) {
  const Module = require(nodePath.join(nodePath.dirname(workerData.ext2fsPath), 'lib', 'libext2fs.js'));
  Module.syncRead = (diskId, offset, size, pointer) => {
    const wrapper = Module.getObject(diskId);
    if (wrapper === undefined || wrapper.disk !== disk) return false;
    const data = readCached(offset + wrapper.offset, size);
    if (data === undefined) return false;
    Module.HEAPU8.set(data, pointer);
    return true;
  };
}

let fs = null;
function api() {
  if (fs === null) throw Object.assign(new Error('not mounted'), { code: 'EBADF', errno: 8 });
  return fs.promises;
}

// The package's fstat makes 14 queued asynchronous ccalls; the stat_* getters only read the
// inode already loaded into the open file, so calling them synchronously is safe and ~0.6 ms
// cheaper per entry (measured), which matters for a 20,000-entry directory.
const glueModule = require(nodePath.join(nodePath.dirname(workerData.ext2fsPath), 'lib', 'libext2fs.js'));
function getter(name, fd) {
  const value = glueModule.ccall('node_ext2fs_stat_' + name, 'number', ['number'], [fd]);
  if (value < 0) throw Object.assign(new Error('stat ' + name + ' failed'), { code: 'EIO', errno: -value });
  return value;
}
function statFd(fd) {
  return {
    mode: getter('i_mode', fd), nlink: getter('i_links_count', fd), uid: getter('i_uid', fd), gid: getter('i_gid', fd),
    size: getter('i_size', fd), blocks: getter('i_blocks', fd), ino: getter('ino', fd),
    atime: getter('i_atime', fd) * 1000, mtime: getter('i_mtime', fd) * 1000, ctime: getter('i_ctime', fd) * 1000,
  };
}
// Direct open/close for stat: the package's open wraps one C call in three queued async ccalls
// (malloc, open, free). Safe because the parent runs one operation at a time and each step
// here is awaited before the next, so no two ccalls are ever in flight together.
async function errnoCall(name, types, args) {
  const result = await glueModule.ccall(name, 'number', types, args, { async: true });
  if (result < 0) {
    const code = ERRNO_NAMES[-result] || 'UNKNOWN';
    throw Object.assign(new Error(name + ' ' + code + ' (' + -result + ')'), { code, errno: -result });
  }
  return result;
}
async function lstatPath(path) {
  api();
  const fd = await errnoCall('node_ext2fs_open', ['number', 'string', 'number', 'number'], [fs.fsPointer, path, O_RDONLY | O_NOFOLLOW | O_NOATIME, 0]);
  try {
    return statFd(fd);
  } finally {
    await errnoCall('node_ext2fs_close', ['number'], [fd]);
  }
}

function childPath(dir, name) {
  return dir.endsWith('/') ? dir + name : dir + '/' + name;
}

const ops = {
  async mount() {
    fs = await ext2fs.mount(disk, 0);
    return true;
  },
  // The parent wrote the device behind libext2fs's back (inode times); forget cached blocks.
  async dropCache() {
    cache.clear();
    return true;
  },
  async umount() {
    if (fs !== null) {
      const mounted = fs;
      fs = null;
      await ext2fs.umount(mounted);
    }
    return true;
  },
  async lstat(path) {
    return lstatPath(path);
  },
  async readdir(path) {
    const names = await api().readdir(path, { encoding: 'buffer' });
    return names.map((raw) => raw.toString('utf8')).filter((name) => name !== '.' && name !== '..');
  },
  // Stats of some entries of one directory; the parent asks in batches so that each operation
  // stays short even where every lookup scans a large unindexed directory.
  async lstatMany(path, names) {
    const out = [];
    for (const name of names) out.push(await lstatPath(childPath(path, name)));
    return out;
  },
  async readlink(path) {
    return (await api().readlink(path, { encoding: 'buffer' })).toString('utf8');
  },
  async openRead(path, follow) {
    const p = api();
    const fd = await p.open(path, follow ? O_RDONLY | O_NOATIME : O_RDONLY | O_NOFOLLOW | O_NOATIME, 0);
    try {
      return { fd: fd.fd, stat: statFd(fd.fd) };
    } catch (error) {
      await p.close(fd.fd);
      throw error;
    }
  },
  // Open + stat + (for a file up to \`inline\` bytes) read + close in one round trip; larger
  // files stay open and are read in pieces by 'read'.
  async openAndRead(path, inline) {
    const opened = await ops.openRead(path, true);
    const isFile = (opened.stat.mode & 0o170000) === 0o100000;
    if (!isFile || opened.stat.size > inline) return opened;
    try {
      const data = await ops.read(opened.fd, 0, opened.stat.size);
      return { stat: opened.stat, data };
    } finally {
      await api().close(opened.fd);
    }
  },
  async read(fd, position, length) {
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await api().read(fd, buffer, done, length - done, position + done);
      if (bytesRead <= 0) break;
      done += bytesRead;
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, done);
  },
  async close(fd) {
    await api().close(fd);
    return true;
  },
  async openWrite(path, mode) {
    const handle = await api().open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode);
    return handle.fd;
  },
  async write(fd, position, data) {
    const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let done = 0;
    while (done < buffer.length) {
      const { bytesWritten } = await api().write(fd, buffer, done, buffer.length - done, position + done);
      if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO', errno: 29 });
      done += bytesWritten;
    }
    return done;
  },
  async setattr(path, attrs) {
    const p = api();
    // O_NOFOLLOW so that a symlink's own inode is changed, never its target's.
    const handle = await p.open(path, O_RDONLY | O_NOFOLLOW, 0);
    try {
      if (attrs.uid !== undefined || attrs.gid !== undefined) {
        const s = statFd(handle.fd);
        await p.fchown(handle.fd, attrs.uid ?? s.uid, attrs.gid ?? s.gid);
      }
      if (attrs.mode !== undefined) await p.fchmod(handle.fd, attrs.mode);
    } finally {
      await p.close(handle.fd);
    }
    return true;
  },
  async mkdir(path, mode) {
    await api().mkdir(path, mode);
    return true;
  },
  async symlink(target, path) {
    await api().symlink(target, path);
    return true;
  },
  async unlink(path) {
    await api().unlink(path);
    return true;
  },
  async rmdir(path) {
    await api().rmdir(path);
    return true;
  },
};

parentPort.on('message', async (message) => {
  if (message.kind === 'io') {
    const waiting = ioWaiting.get(message.rid);
    ioWaiting.delete(message.rid);
    if (waiting === undefined) return;
    if (message.error !== undefined) waiting.reject(Object.assign(new Error(message.error), { code: 'EIO', errno: 29 }));
    else waiting.resolve(message.data);
    return;
  }
  if (message.kind !== 'call') return;
  const { id, op, args } = message;
  try {
    const handler = ops[op];
    if (handler === undefined) throw new Error('unknown op ' + op);
    const value = await handler(...args);
    const transfer = value instanceof Uint8Array ? [value.buffer] : [];
    parentPort.postMessage({ kind: 'done', id, value }, transfer);
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError || /Aborted\(/.test(String(error && error.message))) {
      parentPort.postMessage({ kind: 'fatal', id, message: String(error && error.message) });
    } else {
      parentPort.postMessage({
        kind: 'fail', id,
        code: typeof error?.code === 'string' ? error.code : 'UNKNOWN',
        errno: typeof error?.errno === 'number' ? error.errno : -1,
        message: String(error?.message ?? error),
      });
    }
  }
});
parentPort.postMessage({ kind: 'ready' });
`;

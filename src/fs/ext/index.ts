// ext2/3/4: our own superblock probe and decode, and libext2fs (the `ext2fs` package, run in a
// bounded worker_thread) behind the FileSystem / WritableFileSystem contracts. Importing this
// module loads no WebAssembly: the worker and its module start on the first openExt call.

export { probeExt, readExtSuperblock, readExtSuperblockFrom, EXT_SUPERBLOCK, SUPERBLOCK_OFFSET, EXT_MAGIC } from './superblock.js';
export type { ExtSuperblock, ExtSuperblockRaw } from './superblock.js';
export { COMPAT_FEATURES, INCOMPAT_FEATURES, RO_COMPAT_FEATURES, featureNames } from './features.js';
export { openExt, openExtWritable, writeRefusal } from './open.js';
export type { OpenExtOptions } from './open.js';
export { ExtFileSystem, ExtWritableFileSystem, fileTypeOfMode } from './filesystem.js';
export { extStartupTimings } from './engine.js';
export type { ExtEngineLimits } from './engine.js';

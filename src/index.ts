// rehost as a library: open an image, walk its partitions and volumes, read its filesystems
// and registry hives. Each layer's folder has its own index; this file re-exports them.

export * from './errors.js';
export * from './diagnostics.js';
export * from './binary/index.js';
export * from './io/index.js';
export * from './image/index.js';
export * from './partition/index.js';
export * from './lvm/index.js';
export * from './fs/index.js';
export * as registry from './registry/index.js';

// The filesystem layer's public surface: the contract, guest paths, identification of what a
// volume holds, discovery of volumes on a disk, and opening the right reader. The readers
// themselves (ntfs/, ext/, cpio/) are imported lazily by open.ts or directly by callers.

export * from './types.js';
export * from './path.js';
export * from './identify.js';
export * from './discover.js';
export * from './open.js';

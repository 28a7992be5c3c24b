// The public surface of Linux support: guest inspection (facts), the initramfs reader and
// writer, and the kmod index files.
export * from './facts/index.js';
export * from './initramfs/index.js';
export * from './kmod/index.js';

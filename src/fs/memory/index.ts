export { MemoryFileSystem, type MemoryTree } from './memory-fs.js';

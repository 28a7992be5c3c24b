export * from './types.js';
export { detectCpioFormat, decodeHeader, encodeHeader, HEADER_SIZE, ALIGNMENT, type RawHeader } from './headers.js';
export { readCpioArchive, byteSum, MAX_NAME_SIZE, type ReadCpioOptions } from './reader.js';
export { writeCpioArchive, defaultTrailer, type WriteCpioOptions } from './writer.js';
export { CpioTree, fileType, type TreeNode } from './tree.js';
export { CpioFileSystem } from './filesystem.js';

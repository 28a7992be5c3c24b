export * from './struct.js';
export * from './int.js';
export * from './checksum.js';
export * from './guid.js';

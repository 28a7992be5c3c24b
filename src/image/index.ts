export * from './types.js';
export * from './scan.js';
export * from './open.js';
export * from './formats.js';

export * from './types.js';
export * from './scan.js';
export * from './open.js';
export * from './formats.js';
export * from './describe.js';
export * from './convert.js';

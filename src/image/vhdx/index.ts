// Hyper-V VHDX: reader (fixed, dynamic, differencing, log replay in memory) and writer.

export { vhdxFormat } from './format.js';
export { vhdxWriter } from './writer.js';
export { activeSequence, replayLog } from './log.js';
export { decodeMetadata, type VhdxMetadata } from './metadata.js';
export * from './structures.js';

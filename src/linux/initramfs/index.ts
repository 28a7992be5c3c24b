export { parseInitramfs, salvageInitramfs, type InitramfsSegment, type ParseInitramfsOptions } from './segments.js';
export { openInitramfs, type InitramfsImage } from './image.js';
export { listModules, moduleNameFromFile, type InitramfsModule, type ModuleCompression } from './modules.js';
export { detectGenerator, type GeneratorGuess, type InitramfsGenerator } from './generator.js';
export { appendSegment, buildSegment, fileEntry, directoryEntry, symlinkEntry, segmentConflicts, type SegmentConflict, type SegmentEntryOptions } from './append.js';
export { initramfsDepmodInput } from './depmod-input.js';

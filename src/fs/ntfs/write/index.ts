// Public surface of the NTFS writer (kept apart from the reader it builds on).
export { NtfsWritableFileSystem, openNtfsWritable, writeThroughRuns, type NtfsWriteOptions, type ShortNamePolicy } from './writable.js';
export { generateShortName, isShortName } from './short-name.js';
export { assertSafeToWrite, assertNotBitLocker, readLogFileState } from './safety.js';
export { logFileState, type LogFileState } from './logfile.js';
export { ClusterBitmap } from './cluster-bitmap.js';

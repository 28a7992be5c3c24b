// Public surface of the NTFS writer (kept apart from the reader it builds on).
export { NtfsWritableFileSystem, openNtfsWritable, writeThroughRuns } from './writable.js';
export { assertSafeToWrite, assertNotBitLocker, readLogFileState } from './safety.js';
export { logFileState, type LogFileState } from './logfile.js';
export { ClusterBitmap } from './cluster-bitmap.js';

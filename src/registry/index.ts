// Public surface of the registry layer: regf hives read, replayed and edited in memory.

export { Hive, splitPath, type HiveOptions, type HiveLogState } from './hive.js';
export { Key, Value, filetimeToDate, dateToFiletime } from './key.js';
export * from './value-types.js';
export { decodeBaseBlock, baseBlockChecksum, REGF_BASE_BLOCK, type BaseBlockInfo } from './base-block.js';
export { exportReg, canonicalPath, type ExportOptions } from './reg-export.js';
export { decodeSecurityCell, type SecurityCell } from './security.js';
export { upcaseName, lhHash } from './names.js';
export { loadHive, type LoadHiveInput, type LoadedHive } from './load.js';
export { recoverHive, parseLog, type RecoveryResult, type RecoverInput, type ParsedLog, type LogEntry } from './transaction-log.js';
export { marvin32 } from './marvin32.js';
export { currentControlSet, currentControlSetName, findCurrentControlSet } from './control-set.js';
export { formatKeyValues, formatValue } from './hivexget-format.js';
export { HiveEditor, type EditorOptions, type EditStats } from './editor.js';
export { CellAllocator } from './allocator.js';

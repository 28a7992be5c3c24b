export * from './types.js';
export * from './type-names.js';
export { readPartitionTable } from './read.js';
export { findPartition, openPartition } from './lookup.js';
export { encodeMbr, decodeMbrSector, MBR_SECTOR, MBR_ENTRY, MAX_LOGICAL_PARTITIONS } from './mbr.js';
export type { MbrLayout, MbrEntrySpec, MbrLogicalSpec, DecodedMbr } from './mbr.js';
export { encodeGpt, checkGptHeader, decodeGptEntries, GPT_HEADER, GPT_ENTRY, MAX_GPT_ARRAY_BYTES } from './gpt.js';
export type { GptLayout, GptPartitionSpec, GptHeader, GptEntry } from './gpt.js';

// Public surface of the NTFS consistency checker.
export { checkNtfs, type NtfsProblem, type NtfsCheckReport } from './checker.js';

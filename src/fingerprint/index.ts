// The hardware fingerprint: where an inspected guest boots, what it was built for, Windows
// activation risk per target, and findings. Pure functions over an Inspection and the catalog.

export type * from './types.js';
export { VERDICT_FUNCTIONS } from './types.js';
export { fingerprint, fingerprintOs, findings, osName } from './fingerprint.js';
export { platformVerdicts, functionVerdict, betterVerdict } from './verdicts.js';
export { windowsDeviceVerdict, deviceIdMatches } from './windows-verdict.js';
export { linuxDeviceVerdict, kernelDeviceVerdict, compareKernelVersions, kernelsNewestFirst } from './linux-verdict.js';
export { builtFor, FAMILY_PLATFORMS, type DescriptorEvidence } from './built-for.js';
export { activationChannel, targetRisk, assessActivation, GENERIC_DEFAULT_KEYS } from './activation.js';
export { WINDOWS_RULES, LINUX_RULES, TARGET_RULES, type WindowsRule, type LinuxRule, type TargetRule } from './findings-rules.js';
export { WINDOWS_DRIVER_SOURCES, WINDOWS_SERVICE_ALIASES, type DriverSource } from './data/windows-driver-sources.js';
export { checkInspection } from './check-inspection.js';

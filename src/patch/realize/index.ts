// Realizers: PlannedPatch templates (src/rules) → concrete Patches read from the guest, with
// the plan's preconditions re-checked against what is there.

export type { GuestView, Realizer } from './types.js';
export { realize, realizeAll } from './dispatch.js';
export { guestView } from './guest-view.js';
export { realizeTableDevice } from './table-device.js';
export { realizeKernelArgDevice } from './kernel-arg-device.js';
export { realizeRemoveFile } from './remove-file.js';
export { realizePinNicName, nicPinContent } from './pin-nic-name.js';
export { realizeDisableService, unitName } from './disable-service.js';
export { realizeModuleConfig, dracutDropIn } from './module-config.js';
export { realizeInitramfsModules } from './initramfs.js';
export { realizeWindowsPlan, realizeWindowsOne, isWindowsHivePlanned, type WindowsHivePlanned } from './windows-plan.js';
export { realizeWindowsHives, encodeValueSpec, guidBytes, driverPackageVersion, packageNames } from './windows-hive.js';
export { realizeDriverFiles, DriverSourceCache } from './windows-driver-files.js';
export { windowsDriverCandidates } from './windows-driver-source.js';
export { realizeWindowsFirstboot } from './windows-firstboot.js';
export { realizeWindowsFirstbootScript } from './windows-firstboot-script.js';

// Where rehost's first-boot files live on the system volume, and how a path inside the volume
// reads in Windows. One folder of our own (C:\Program Files\rehost) holds the runner, its log,
// the optional scripts and the staged driver set, so everything rehost left in the guest is in
// one place and never collides with a folder virt-v2v made on an earlier conversion
// (%SystemRoot%\Drivers\VirtIO, C:\Program Files\Guestfs).

import { UnsupportedError } from '../../errors.js';

/** The folder (path inside the system volume). */
export const FIRSTBOOT_DIR = '/Program Files/rehost';
export const FIRSTBOOT_RUNNER = 'firstboot.cmd';
export const FIRSTBOOT_LOG = 'firstboot.log';
export const FIRSTBOOT_DRIVERS = 'drivers';
export const FIRSTBOOT_SCRIPTS = 'scripts';
export const FIRSTBOOT_AGENT = 'agent';
/** Bounded retries while Windows reports a pending reboot (each retry is one reboot). */
export const FIRSTBOOT_MAX_RETRIES = 3;
/**
 * The DevicePath entry for the staged drivers. %SystemDrive% (not a letter) because
 * DevicePath is REG_EXPAND_SZ and the system volume is always %SystemDrive%.
 */
export const DEVICE_PATH_ENTRY = '%SystemDrive%\\Program Files\\rehost\\drivers';

/** '/Program Files/rehost/firstboot.cmd' on drive 'C:' → 'C:\Program Files\rehost\firstboot.cmd'. */
export function windowsPath(drive: string, volumePath: string): string {
  if (!/^[A-Za-z]:$/.test(drive)) throw new UnsupportedError(`not a drive letter: ${JSON.stringify(drive)}`, { path: drive });
  return `${drive.toUpperCase()}${volumePath.replace(/\//g, '\\')}`;
}

/** The Setup CmdLine that starts the runner: cmd.exe is found in System32 by CreateProcess. */
export function runnerCommandLine(drive: string, dir: string = FIRSTBOOT_DIR): string {
  return `cmd.exe /c "${windowsPath(drive, `${dir}/${FIRSTBOOT_RUNNER}`)}"`;
}

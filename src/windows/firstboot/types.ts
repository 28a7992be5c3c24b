// The first boot's settings and optional scripts as plain JSON (they travel inside a Plan's
// PlannedPatch and are rendered to script text only when realized).

/** One IPv4/IPv6 address with its prefix length. */
export interface StaticAddress {
  ip: string;
  prefixLength: number;
}

/** What an optional first-boot script does. */
export type FirstbootAction =
  /** msiexec /x the product (the source hypervisor's tools), silent, no reboot. */
  | { type: 'uninstall-msi'; productCode: string; displayName: string }
  /** SAN policy OnlineAll and every offline disk online (Windows Server 2019+ after a bus change). */
  | { type: 'online-disks' }
  /**
   * The static settings the old adapter had, on the new adapter with `mac` (AA-BB-CC-DD-EE-FF);
   * mac '' = the guest's only physical adapter (when the old MAC is unknown and there was one).
   */
  | { type: 'static-ip'; mac: string; connection: string; addresses: StaticAddress[]; gateways: string[]; dns: string[] }
  /** msiexec /i the staged guest-agent MSI (`msi`: its file name in the agent folder). */
  | { type: 'guest-agent'; msi: string };

/** How the runner installs the staged drivers: pnputil's Windows 10 syntax, the Vista–8.1 one, or not at all (XP has no pnputil). */
export type PnputilMode = 'add-driver' | 'legacy' | 'none';

/** A registry value as it was before rehost changed it (restored by the runner or by undo). */
export interface OriginalValue {
  type: 'absent' | 'REG_SZ' | 'REG_EXPAND_SZ' | 'REG_MULTI_SZ' | 'REG_DWORD';
  /** The string (MULTI_SZ joined with \n) or the number as decimal text; '' when absent. */
  data: string;
}

/** The runner's settings (all from the plan, so its text is a pure function of them). */
export interface RunnerSettings {
  pnputil: PnputilMode;
  /** True when no driver is staged: the runner then has no driver step at all. */
  noDrivers?: boolean;
  maxRetries: number;
  /** The command line the runner puts back into Setup\CmdLine when it re-arms itself. */
  commandLine: string;
  /** Setup\CmdLine's value type and data before rehost (put back on disarm). */
  originalCmdLine: OriginalValue;
  /** CrashControl\AutoReboot before rehost set it to 0 (restored when the runner finishes). */
  originalAutoReboot: OriginalValue;
}

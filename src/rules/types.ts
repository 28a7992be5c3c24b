// Rules and plans as data (DESIGN.md "Rules"). A rule pack is a JSON file validated by
// rule-pack.schema.json; evaluate() turns packs + one OS's facts + a target platform into
// Findings and a Plan. A Plan holds PlannedPatch templates: what to change and the facts it
// relies on (the precondition), but no file bytes. src/patch/realize turns each PlannedPatch
// into concrete patches (with content hashes read from the guest) inside a transaction,
// checking the precondition against what it reads.

import type { Severity } from '../fingerprint/types.js';
import type { FirstbootAction, OriginalValue, PnputilMode } from '../windows/firstboot/types.js';

/** A condition over the evaluation context (facts, target, derived, item). Paths are dotted. */
export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { exists: string }
  | { nonEmpty: string }
  | { eq: [string, unknown] }
  | { ne: [string, unknown] }
  | { in: [string, unknown[]] }
  | { match: [string, string] }
  | { some: { path: string; where: Condition } }
  | { true: true };

export interface Rule {
  id: string;
  title: string;
  severity: Severity;
  os: 'linux' | 'windows' | 'any';
  /** Platform ids the rule applies to ('*' or absent: every target; '!id' excludes). */
  targets?: string[];
  /** Dotted path to an array in the context; the rule is evaluated once per element, bound as `item`. */
  forEach?: string;
  when: Condition;
  /** Template for each evidence line ("fstab line {item.line}: {item.device.raw}"). */
  evidence?: string;
  /** What this means and what the patch does, as a template. */
  explain: string;
  /** 'patch' (default when patches are given), 'cannot' (the move is blocked; no patch), 'advice'. */
  outcome?: 'patch' | 'cannot' | 'advice';
  /** Patch templates: string values are templates; a value that is exactly "{path}" keeps the path's raw value. */
  patches?: Array<Record<string, unknown>>;
}

export interface RulePack {
  $schema?: string;
  name: string;
  version: number;
  description?: string;
  rules: Rule[];
}

/** The outcome of one rule for one bound item. */
export interface RuleResult {
  rule: string;
  title: string;
  severity: Severity;
  outcome: 'patch' | 'cannot' | 'advice';
  explanation: string;
  evidence: string[];
  patches: PlannedPatch[];
}

interface PlannedBase {
  /** Volume id as discovery names it ('p2', 'vg/root'). */
  volume: string;
  /** The facts the patch relies on, in words; realize() re-checks them structurally. */
  precondition: string;
  /** The rule that proposed it. */
  rule: string;
}

export type PlannedPatch =
  /** Append an uncompressed cpio segment with `modules` (and their modules.dep closure) from the guest's tree. */
  | (PlannedBase & { kind: 'initramfs-add-modules'; kernel: string; initramfs: string; generator: string; modules: string[]; expectSize: number })
  /** Make future initramfs rebuilds include the modules (initramfs-tools/modules, dracut.conf.d). */
  | (PlannedBase & { kind: 'initramfs-config-modules'; generator: 'initramfs-tools' | 'dracut'; path: string; modules: string[] })
  /** fstab/crypttab: replace a device-name source field `from` on `line` by `to` (UUID=…). */
  | (PlannedBase & { kind: 'table-device'; path: string; format: 'fstab' | 'crypttab'; line: number; from: string; to: string })
  /** Kernel argument root=/resume= in /etc/default/grub, grub.cfg or a BLS entry: `from` → `to`. */
  | (PlannedBase & { kind: 'kernel-arg-device'; path: string; format: 'default-grub' | 'grub-cfg' | 'bls'; arg: string; from: string; to: string })
  | (PlannedBase & { kind: 'remove-file'; path: string })
  /** Keep interface `name` for the NIC with `mac` on new hardware. */
  | (PlannedBase & { kind: 'pin-nic-name'; name: string; mac: string; via: 'systemd-link' | 'udev-rule'; path: string })
  | (PlannedBase & { kind: 'disable-service'; service: string; via: 'systemd' | 'sysv' })
  /** Windows: copy a driver from a driver source, create Services\<service> from its INF, bind the device IDs (CDD before Windows 8, DriverDatabase after). */
  | (PlannedBase & WindowsInstallDriver)
  /** Windows: set Services\<service>\Start and/or delete its StartOverride key (never deletes the service). */
  | (PlannedBase & { kind: 'windows-service-start'; systemRoot: string; controlSet: string; service: string; start: number; clearStartOverride: boolean })
  /** Windows: set values under one key of the SYSTEM or SOFTWARE hive (the key must exist). */
  | (PlannedBase & { kind: 'registry-values'; systemRoot: string; hive: 'SYSTEM' | 'SOFTWARE'; key: string; values: RegistryValueSpec[] })
  /** Windows: take `filter` out of a device class's UpperFilters/LowerFilters (SetupAPI's DelReg FLG_DELREG_MULTI_SZ_DELSTRING). */
  | (PlannedBase & { kind: 'windows-class-filter-remove'; systemRoot: string; controlSet: string; classGuid: string; list: 'UpperFilters' | 'LowerFilters'; filter: string })
  /** Copy a file within one volume (`from` must hash to `sha256`); `to` is created or replaces the file whose hash is `replace`. */
  | (PlannedBase & { kind: 'copy-file'; from: string; to: string; sha256: string; replace: string })
  /** Delete element `element` of BCD object `object` in the BCD store at `path` (a regf hive). */
  | (PlannedBase & { kind: 'bcd-delete-element'; path: string; object: string; element: string })
  /** Windows: stage drivers in C:\Program Files\rehost\drivers (+ DevicePath) and arm the first-boot runner (Setup CmdLine). */
  | (PlannedBase & WindowsFirstboot)
  /** Windows: one optional first-boot script in C:\Program Files\rehost\scripts. */
  | (PlannedBase & WindowsFirstbootScript);

/** See src/windows/firstboot/runner.ts: the runner, its registry hook, and the staged driver set. */
export interface WindowsFirstboot {
  kind: 'windows-firstboot';
  systemRoot: string;
  controlSet: string;
  /** The system volume's letter as Windows sees it ('C:'), for Setup\CmdLine. */
  systemDrive: string;
  pnputil: PnputilMode;
  maxRetries: number;
  /** The driver source the staged files come from ('' when nothing is staged). */
  driverSource: string;
  drivers: WindowsDriverFile[];
  /** Values as the plan saw them (the runner puts them back). */
  originalCmdLine: OriginalValue;
  originalAutoReboot: OriginalValue;
}

/** See src/windows/firstboot/actions.ts. */
export interface WindowsFirstbootScript {
  kind: 'windows-firstboot-script';
  systemRoot: string;
  /** NNNN-name: the runner runs scripts in name order. */
  name: string;
  action: FirstbootAction;
  /** '' unless `files` come from a driver source (the guest agent's MSI). */
  driverSource: string;
  files: WindowsDriverFile[];
}

/** One registry value to set: REG_BINARY data as hex, REG_QWORD as a decimal string. */
export interface RegistryValueSpec {
  name: string;
  type: 'REG_SZ' | 'REG_EXPAND_SZ' | 'REG_MULTI_SZ' | 'REG_DWORD' | 'REG_QWORD' | 'REG_BINARY';
  data: string | string[] | number;
}

/** Values to set under a key relative to another key (a service's INF AddReg: HKR = Services\<name>). */
export interface RegistryKeyValues {
  /** Relative key path ('' for the key itself, 'Parameters\\PnpInterface'). */
  key: string;
  values: RegistryValueSpec[];
}

/** A file of a driver source to copy into the guest, with the hash the plan saw. */
export interface WindowsDriverFile {
  /** The file's path inside the driver source ('/viostor/w10/amd64/viostor.sys'). */
  source: string;
  /** Path on the system volume ('/Windows/System32/drivers/viostor.sys'). */
  dest: string;
  sha256: string;
  size: number;
}

export interface WindowsInstallDriver {
  kind: 'windows-install-driver';
  systemRoot: string;
  controlSet: string;
  service: string;
  /** The driver source as given (--drivers: a directory or an ISO) and the INF inside it. */
  driverSource: string;
  inf: string;
  files: WindowsDriverFile[];
  /** Device IDs to bind, as the INF's Models lines write them ('PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00'). */
  hardwareIds: string[];
  classGuid: string;
  serviceParams: { type: number; start: number; errorControl: number; group?: string; imagePath: string; displayName?: string };
  /** The INF's service AddReg, relative to the service key. */
  serviceValues: RegistryKeyValues[];
  binding: 'cdd' | 'driver-database';
  arch: string;
}

export interface Plan {
  os: string;
  target: string;
  /** Every rule that fired, in pack order, then item order. */
  results: RuleResult[];
  /** The patches of all results, deduplicated, in order. */
  patches: PlannedPatch[];
  /** Rules with outcome 'cannot': if any, apply refuses. */
  blocked: RuleResult[];
}

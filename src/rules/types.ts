// Rules and plans as data (DESIGN.md "Rules"). A rule pack is a JSON file validated by
// rule-pack.schema.json; evaluate() turns packs + one OS's facts + a target platform into
// Findings and a Plan. A Plan holds PlannedPatch templates: what to change and the facts it
// relies on (the precondition), but no file bytes. src/patch/realize turns each PlannedPatch
// into concrete patches (with content hashes read from the guest) inside a transaction,
// checking the precondition against what it reads.

import type { Severity } from '../fingerprint/types.js';

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
  | (PlannedBase & { kind: 'disable-service'; service: string; via: 'systemd' | 'sysv' });

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

// The fingerprint's data model: per operating system found in an Inspection, the verdict for
// each target platform × function, the platform it was built for, Windows activation risk per
// target, and findings. Everything is JSON-serialisable and deterministic (no timestamps), so
// reports built from it can be compared byte for byte. The JSON report schema
// (src/report/schema/report.schema.json) mirrors these types.

/**
 * boots: the driver is there and wired to start; boots-after-patch: a driver exists (on the
 * guest or from a known vendor package) but needs configuring or injecting first;
 * cannot-boot: no driver for this device is available for this guest anywhere we know of;
 * unknown: the facts needed to decide are missing (no kernel found, no driver data).
 */
export type VerdictKind = 'boots' | 'boots-after-patch' | 'cannot-boot' | 'unknown';

/** The functions a verdict is given for; they map onto catalog device functions. */
export type VerdictFunction = 'boot-storage' | 'network' | 'display';
export const VERDICT_FUNCTIONS: readonly VerdictFunction[] = ['boot-storage', 'network', 'display'];

export interface DeviceVerdict {
  /** Catalog device id. */
  device: string;
  name: string;
  /** The platform gives new VMs this device by default. */
  default: boolean;
  verdict: VerdictKind;
  /** What was looked at, one readable statement each. */
  evidence: string[];
  /** What a patch must do for boots-after-patch. */
  patches: string[];
}

export interface FunctionVerdict {
  platform: string;
  function: VerdictFunction;
  /** The best verdict over the platform's devices for this function. */
  verdict: VerdictKind;
  /** The device that gives that verdict (the default one when several tie). */
  via?: string;
  /** Conditions on the whole cell (firmware), already folded into `verdict`. */
  notes: string[];
  devices: DeviceVerdict[];
}

export type Confidence = 'high' | 'medium' | 'low' | 'none';

export interface BuiltForCandidate {
  platform: string;
  score: number;
  evidence: string[];
}

export interface BuiltFor {
  /** Best candidate catalog platform id, absent when nothing points at a catalog platform. */
  platform?: string;
  /** A platform family outside the catalog (virtualpc) or 'physical'. */
  other?: string;
  confidence: Confidence;
  evidence: string[];
  candidates: BuiltForCandidate[];
}

export type ActivationChannel =
  | 'volume-gvlk'
  | 'volume-mak'
  | 'volume-csvlk'
  | 'avma'
  | 'retail'
  | 'oem-dm'
  | 'oem-slp'
  | 'oem-other'
  | 'digital-licence'
  | 'evaluation'
  | 'unknown';

export type Risk = 'low' | 'medium' | 'high' | 'info';

export interface ActivationTargetRisk {
  platform: string;
  risk: Risk;
  reasons: string[];
  /** What the user must arrange on the target. */
  requirements: string[];
}

export interface ActivationAssessment {
  channel: ActivationChannel;
  channelEvidence: string[];
  targets: ActivationTargetRisk[];
}

export type Severity = 'critical' | 'warning' | 'info';

export interface Finding {
  id: string;
  severity: Severity;
  title: string;
  /** Set when the finding concerns one target platform only. */
  platform?: string;
  evidence: string[];
  advice: string;
}

export interface OsFingerprint {
  type: 'windows' | 'linux';
  root: string;
  /** Product name or distro + version, for people. */
  name: string;
  arch?: string;
  hostname?: string;
  builtFor: BuiltFor;
  verdicts: FunctionVerdict[];
  activation?: ActivationAssessment;
  findings: Finding[];
}

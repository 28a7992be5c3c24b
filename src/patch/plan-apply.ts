// Plan → applied, verified, committed changes (DESIGN.md "Writes: transactional by
// construction"), the library half of `rehost apply`:
//   1. the source is opened read-only in a Transaction; inspection reads it through the overlay;
//   2. the rules plan each operating system for the target; a blocked plan ('cannot') or one
//      that needs a volume rehost cannot write (XFS, btrfs, encrypted, ext needing recovery)
//      is refused here, before any write; an empty plan writes nothing;
//   3. every PlannedPatch is realized through a GuestView over the transaction's writable
//      filesystems (preconditions re-checked on what is read) and applied on the overlay;
//   4. verify: the transaction re-reads every written file from a fresh stack on the overlay,
//      then recheck re-inspects and re-plans, which must propose nothing;
//   5. commit, the only step that writes a user's file (backed qcow2, standalone, in place).
// Progress is reported by stage, so callers can show it (and tests can stop at a stage).
// Planners read the guest's volumes (Windows first boot reads its current state from the
// system volume) through `readVolume`: read-only filesystems over the volumes being planned,
// opened once each and closed when planning ends, so the writable stack opened afterwards is
// the only one holding a volume; the re-plan in verify reads the freshly discovered volumes of
// the flushed overlay, i.e. what the patches wrote.

import { ignoreDiagnostics, type Diagnostics } from '../diagnostics.js';
import { NotFoundError, PreconditionError, RehostError, UnsafeStateError, UnsupportedError } from '../errors.js';
import type { Volume } from '../fs/discover.js';
import { openFileSystem } from '../fs/open.js';
import type { FileSystem } from '../fs/types.js';
import { inspectDevice, type Inspection, type OperatingSystem } from '../inspect/index.js';
import type { Plan, PlannedPatch } from '../rules/types.js';
import type { CommitMode } from './commit.js';
import { describePatch } from './describe.js';
import { guestView, realizeAll } from './realize/index.js';
import type { GuestView } from './realize/types.js';
import { Transaction, type ChangeJournal } from './transaction.js';
import type { Patch } from './types.js';

/** What inspection gives the planner: every OS on the disk, volumes and warnings. */
export type DiskInspection = Omit<Inspection, 'image' | 'schemaVersion'>;

/** Read access to a volume of the disk being planned (a read-only filesystem; the caller does not close it). */
export type ReadVolume = (volumeId: string) => Promise<FileSystem>;

/** Plans one operating system of an inspected disk for the target (src/rules planFor, adapted). */
export type OsPlanner = (args: { inspection: DiskInspection; os: OperatingSystem; target: string; readVolume: ReadVolume }) => Plan | Promise<Plan>;

export type ApplyStage = 'opened' | 'inspected' | 'planned' | 'realized' | 'applied' | 'verified' | 'committing' | 'committed';

export interface ApplyProgress {
  stage: ApplyStage;
  /** Bytes written so far and in all, while committing. */
  done?: number;
  total?: number;
}

export interface PlanApplyOptions {
  imagePath: string;
  /** Image format, skipping the probe. */
  format?: string;
  target: string;
  planner: OsPlanner;
  commit: CommitMode;
  onProgress?: (progress: ApplyProgress) => void;
  diagnostics?: Diagnostics;
}

export interface OsPlan {
  root: string;
  type: OperatingSystem['type'];
  plan: Plan;
}

export type PlanApplyResult =
  | { outcome: 'nothing-to-do'; image: string; target: string; plans: OsPlan[] }
  | { outcome: 'applied'; image: string; target: string; plans: OsPlan[]; patches: Patch[]; journal: ChangeJournal };

/** A plan with 'cannot' results: apply refuses before any write, naming every reason. */
export class PlanBlockedError extends UnsupportedError {
  readonly reasons: string[];

  constructor(args: { image: string; target: string; reasons: string[] }) {
    super(`cannot move ${args.image} to ${args.target}:\n  ${args.reasons.join('\n  ')}`, { kind: 'plan' });
    this.reasons = args.reasons;
  }
}

/** Why a plan cannot be applied, one line per blocking rule. */
export function blockedReasons(plans: readonly OsPlan[]): string[] {
  return plans.flatMap((p) => p.plan.blocked.map((r) => `${p.root}: ${r.title}: ${r.explanation}${r.evidence.length > 0 ? ` (${r.evidence.join('; ')})` : ''}`));
}

function plannedText(planned: PlannedPatch): string {
  const what = 'path' in planned ? planned.path : 'service' in planned ? planned.service : '';
  return `${planned.kind} ${planned.volume}:${what} (${planned.rule})`;
}

/**
 * A ReadVolume over `volumes`: each volume opened read-only once (by the kind identification
 * found), refused when encrypted or unknown; `close` closes every filesystem it opened.
 */
export function volumeReader(args: { volumes: readonly Volume[]; diagnostics?: Diagnostics; imageName?: string }): { readVolume: ReadVolume; close: () => Promise<void> } {
  const diagnostics = args.diagnostics ?? ignoreDiagnostics;
  const opened = new Map<string, Promise<FileSystem>>();
  const readVolume: ReadVolume = (volumeId) => {
    let fs = opened.get(volumeId);
    if (fs === undefined) {
      const volume = args.volumes.find((v) => v.id === volumeId);
      if (!volume) return Promise.reject(new NotFoundError(`no volume ${volumeId}${args.imageName !== undefined ? ` on ${args.imageName}` : ''}`, { kind: 'volume', path: volumeId }));
      if (volume.filesystem.encrypted) return Promise.reject(new UnsafeStateError(`volume ${volumeId} is encrypted (${volume.filesystem.kind}); rehost does not read encrypted volumes`, { path: volumeId }));
      fs = openFileSystem(volume.device, { diagnostics, kind: volume.filesystem.kind });
      opened.set(volumeId, fs);
    }
    return fs;
  };
  const close = async (): Promise<void> => {
    const all = [...opened.values()];
    opened.clear();
    // A volume that failed to open has nothing to close; its error was the planner's to report.
    for (const fs of await Promise.allSettled(all)) if (fs.status === 'fulfilled') await fs.value.close?.();
  };
  return { readVolume, close };
}

/**
 * Plans every operating system of the inspection with `planner`, reading `volumes` (the ones
 * the inspection was made from) through one volumeReader closed before returning.
 * Shared by applyPlan and `rehost plan`, so both plan the same way.
 */
export async function planAll(args: { inspection: DiskInspection; target: string; planner: OsPlanner; volumes: readonly Volume[]; diagnostics?: Diagnostics; imageName?: string }): Promise<OsPlan[]> {
  const reader = volumeReader({ volumes: args.volumes, ...(args.diagnostics !== undefined ? { diagnostics: args.diagnostics } : {}), ...(args.imageName !== undefined ? { imageName: args.imageName } : {}) });
  try {
    const plans: OsPlan[] = [];
    for (const os of args.inspection.operatingSystems) {
      plans.push({ root: os.root, type: os.type, plan: await args.planner({ inspection: args.inspection, os, target: args.target, readVolume: reader.readVolume }) });
    }
    return plans;
  } finally {
    await reader.close();
  }
}

async function inspectOverlay(tx: Transaction, diagnostics: Diagnostics): Promise<DiskInspection> {
  const found = await inspectDevice({ device: tx.overlay, diagnostics });
  return { ...found, warnings: [] };
}

/**
 * Opens every volume the plan writes, so a volume rehost cannot write is refused with the
 * patches that needed it, before the first write.
 */
async function refuseUnwritable(tx: Transaction, plans: readonly OsPlan[]): Promise<void> {
  const needs = new Map<string, PlannedPatch[]>();
  for (const { plan } of plans) for (const p of plan.patches) needs.set(p.volume, [...(needs.get(p.volume) ?? []), p]);
  const problems: string[] = [];
  let first: RehostError | undefined;
  for (const [volumeId, planned] of needs) {
    try {
      await tx.writableFileSystem(volumeId);
    } catch (error) {
      if (!(error instanceof RehostError)) throw error;
      const volume = (await tx.volumes()).find((v) => v.id === volumeId);
      const kind = volume?.filesystem.encrypted ? 'encrypted volumes' : (volume?.filesystem.kind ?? 'volume');
      problems.push(`cannot write ${kind}: ${error.message}; needed by ${planned.map(plannedText).join(', ')}`);
      first ??= error;
    }
  }
  if (problems.length > 0) {
    const Ctor = first instanceof UnsafeStateError ? UnsafeStateError : UnsupportedError;
    throw new Ctor(`refusing to apply before any write: ${problems.join('; ')}`, { kind: 'unwritable volume' });
  }
}

/** No OS found: say which volumes rehost could not read (an XFS or btrfs root, LUKS). */
function noOperatingSystem(imagePath: string, inspection: DiskInspection): RehostError {
  const unreadable = inspection.volumes.filter((v) => v.filesystem.encrypted || !v.filesystem.readable);
  if (unreadable.length === 0) return new PreconditionError(`no operating system found on ${imagePath}; nothing to plan`, { path: imagePath });
  const why = unreadable.map((v) => (v.filesystem.encrypted ? `cannot write encrypted volumes: ${v.id} is ${v.filesystem.kind}` : `cannot write ${v.filesystem.kind}: volume ${v.id} is ${v.filesystem.kind}, which rehost cannot read or write`));
  return new UnsupportedError(`no operating system rehost can read on ${imagePath}: ${why.join('; ')}`, { path: imagePath, kind: 'unwritable volume' });
}

/**
 * The GuestView of one OS: the volumes the plan writes through the transaction's writable
 * filesystems (so realizers read what the patches will change), every other volume read-only
 * (a volume only read from, such as modules on an XFS root while /boot is ext4, is never
 * opened for writing; a patch on it is still refused by Transaction.apply before any write).
 */
async function viewOf(args: { tx: Transaction; os: OperatingSystem; writes: ReadonlySet<string>; diagnostics: Diagnostics; opened: FileSystem[] }): Promise<GuestView> {
  const { tx, os, writes, diagnostics, opened } = args;
  const mounts = os.type === 'linux' ? os.mounts : {};
  return guestView({
    root: os.root,
    mounts,
    open: async (volumeId): Promise<FileSystem> => {
      if (writes.has(volumeId)) return tx.writableFileSystem(volumeId);
      const volume = (await tx.volumes()).find((v) => v.id === volumeId);
      if (!volume) throw new NotFoundError(`no volume ${volumeId} on ${tx.image.filename}`, { kind: 'volume', path: volumeId });
      if (volume.filesystem.encrypted) throw new UnsafeStateError(`volume ${volumeId} is encrypted (${volume.filesystem.kind}); rehost does not read encrypted volumes`, { path: volumeId });
      const fs = await openFileSystem(volume.device, { diagnostics, kind: volume.filesystem.kind });
      opened.push(fs);
      return fs;
    },
  });
}

/** Inspect, plan, refuse or realize and apply, verify by re-planning, commit. */
export async function applyPlan(options: PlanApplyOptions): Promise<PlanApplyResult> {
  const diagnostics = options.diagnostics ?? ignoreDiagnostics;
  const progress = (p: ApplyProgress): void => options.onProgress?.(p);
  const tx = await Transaction.open({ imagePath: options.imagePath, ...(options.format !== undefined ? { format: options.format } : {}), diagnostics });
  try {
    progress({ stage: 'opened' });
    const inspection = await inspectOverlay(tx, diagnostics);
    progress({ stage: 'inspected' });
    if (inspection.operatingSystems.length === 0) throw noOperatingSystem(options.imagePath, inspection);
    const plans = await planAll({ inspection, target: options.target, planner: options.planner, volumes: await tx.volumes(), diagnostics, imageName: tx.image.filename });
    progress({ stage: 'planned' });
    const reasons = blockedReasons(plans);
    if (reasons.length > 0) throw new PlanBlockedError({ image: options.imagePath, target: options.target, reasons });
    const base = { image: options.imagePath, target: options.target, plans };
    if (plans.every((p) => p.plan.patches.length === 0)) return { outcome: 'nothing-to-do', ...base };
    await refuseUnwritable(tx, plans);

    const patches: Patch[] = [];
    const opened: FileSystem[] = [];
    for (const { root, plan } of plans) {
      const os = inspection.operatingSystems.find((o) => o.root === root) as OperatingSystem;
      const writes = new Set(plan.patches.map((p) => p.volume));
      patches.push(...(await realizeAll({ planned: plan.patches, guest: await viewOf({ tx, os, writes, diagnostics, opened }) })));
    }
    for (const fs of opened) await fs.close?.();
    progress({ stage: 'realized' });
    await tx.apply(patches);
    progress({ stage: 'applied' });

    await tx.verify({
      // `volumes`: discovered afresh on the overlay after tx.verify flushed every written filesystem.
      recheck: async (volumes) => {
        const again = await planAll({ inspection: await inspectOverlay(tx, diagnostics), target: options.target, planner: options.planner, volumes, diagnostics, imageName: tx.image.filename });
        const left = [...again.flatMap((p) => p.plan.patches.map(plannedText)), ...blockedReasons(again).map((r) => `blocked: ${r}`)];
        if (left.length > 0) {
          throw new PreconditionError(`verification failed: after applying, the plan still proposes ${left.length} change(s): ${left.join('; ')}; nothing was committed`, {
            kind: 'recheck',
          });
        }
      },
    });
    progress({ stage: 'verified' });
    const journal = await tx.commit(options.commit, { onProgress: (done, total) => progress({ stage: 'committing', done, total }) });
    progress({ stage: 'committed' });
    return { outcome: 'applied', ...base, patches, journal };
  } finally {
    await tx.close();
  }
}

/** One line per applied patch, for reports. */
export function describePatches(patches: readonly Patch[]): string[] {
  return patches.map(describePatch);
}

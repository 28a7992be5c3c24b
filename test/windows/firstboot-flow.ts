// Shared flow for the first-boot tests: a Windows disk built from a corpus case (volume.ts),
// a virtio-win-shaped driver source (drivers-fixtures.ts) with a guest-agent folder, then
// inspect → read first-boot state → plan (the given packs) → realize → apply on a Transaction
// → verify with a re-plan that must propose nothing → commit in place.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalog, platformById } from '../../src/catalog/index.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { openFileSystem } from '../../src/fs/open.js';
import { inspectDevice, type OperatingSystem } from '../../src/inspect/index.js';
import { guestView, realizeAll } from '../../src/patch/realize/index.js';
import { Transaction, type ChangeJournal } from '../../src/patch/index.js';
import type { Patch } from '../../src/patch/types.js';
import { infOsOf, windowsDriverCandidates } from '../../src/patch/realize/windows-driver-source.js';
import { planFor, type Plan, type RulePack } from '../../src/rules/index.js';
import { firstbootPlanInput } from '../../src/windows/firstboot/index.js';
import type { WindowsFacts } from '../../src/windows/types.js';
import { writeVirtioTree } from './drivers-fixtures.js';

/** MSI placeholder bytes that name the file, so copies can be compared byte-exact. */
export function msiBytes(name: string): Uint8Array {
  const out = new Uint8Array(6000);
  out.set(new TextEncoder().encode(`MSI placeholder ${name}\n`));
  for (let i = 64; i < out.length; i++) out[i] = (i * 13 + name.length) & 0xff;
  return out;
}

/** The driver source, written into `root` (an empty directory). */
export function driverSourceDir(root: string): string {
  writeVirtioTree(root);
  mkdirSync(join(root, 'guest-agent'), { recursive: true });
  for (const name of ['qemu-ga-x86_64.msi', 'qemu-ga-i386.msi']) writeFileSync(join(root, 'guest-agent', name), msiBytes(name));
  return root;
}

type WindowsOs = Extract<OperatingSystem, { type: 'windows' }>;

async function planOnce(args: { tx: Transaction; target: string; packs: RulePack[]; driverSource?: string; macs?: Record<string, string> }): Promise<{ plan: Plan; os: WindowsOs }> {
  const diagnostics = new DiagnosticLog();
  const inspection = await inspectDevice({ device: args.tx.overlay, diagnostics });
  const os = inspection.operatingSystems.find((o): o is WindowsOs => o.type === 'windows');
  if (os === undefined) throw new Error('no Windows found');
  const volume = (await args.tx.volumes()).find((v) => v.id === os.root)!;
  const fs = await openFileSystem(volume.device, { diagnostics, kind: 'ntfs' });
  const facts = os.facts as WindowsFacts;
  const catalog = await loadCatalog();
  // `installs: true` stages the driver set whatever the target needs: these flows test the staging itself.
  const target = { devices: platformById(catalog, args.target).devices, installs: true };
  const firstboot = await firstbootPlanInput({ fs, facts, os: infOsOf(facts), target, ...(args.driverSource ? { driverSource: args.driverSource } : {}), ...(args.macs ? { macs: args.macs } : {}) });
  await fs.close?.();
  // The boot-storage context (windows-context.ts) gets the source's drivers as `rehost apply` gives them.
  const drivers = args.driverSource !== undefined ? await windowsDriverCandidates({ driverSource: args.driverSource, facts, target: platformById(catalog, args.target) }) : undefined;
  const options = args.driverSource !== undefined ? { windows: { driverSource: args.driverSource, ...(drivers !== undefined ? { drivers } : {}) } } : undefined;
  const plan = planFor({ inspection: { ...inspection }, os: os.root, catalog, target: args.target, packs: args.packs, firstboot, ...(options ? { options } : {}) });
  return { plan, os };
}

export interface FlowResult {
  plan: Plan;
  patches: Patch[];
  replan: Plan;
  journal: ChangeJournal;
  facts: WindowsFacts;
}

/** Plans, applies, re-plans on the overlay (must be empty) and commits in place. */
export async function planApplyCommit(args: { image: string; target: string; packs: RulePack[]; driverSource?: string; macs?: Record<string, string> }): Promise<FlowResult> {
  const tx = await Transaction.open({ imagePath: args.image });
  try {
    const { plan, os } = await planOnce({ tx, ...args });
    const writes = new Set(plan.patches.map((p) => p.volume));
    const patches = await realizeAll({
      planned: plan.patches,
      guest: guestView({ root: os.root, mounts: {}, open: (id) => (writes.has(id) ? tx.writableFileSystem(id) : tx.writableFileSystem(id)) }),
    });
    await tx.apply(patches);
    let replan: Plan | undefined;
    await tx.verify({
      recheck: async () => {
        replan = (await planOnce({ tx, ...args })).plan;
      },
    });
    const journal = await tx.commit({ mode: 'in-place' }, {});
    return { plan, patches, replan: replan!, journal, facts: os.facts as WindowsFacts };
  } finally {
    await tx.close();
  }
}

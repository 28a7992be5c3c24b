// Linux verdicts: can each installed kernel drive a target platform's device? For the boot
// disk the driver must be built in or inside that kernel's initramfs (conversion-facts.md
// §b.6: virt-v2v rebuilds the initramfs with the target's modules); a module present only in
// /lib/modules means "boots after patch: add it to the initramfs"; absent everywhere means the
// kernel cannot. Network and display modules are loaded by udev after the root is mounted,
// so the module tree is enough for them. The verdict of the OS is that of the default boot
// entry's kernel, else the newest one; every kernel is listed in the evidence.

import type { PlatformDevice } from '../catalog/index.js';
import type { DriverReadiness, KernelFacts } from '../linux/facts/kernels.js';
import type { LinuxFacts } from '../linux/facts/inspect.js';
import type { DeviceVerdict, VerdictFunction, VerdictKind } from './types.js';

/** Modules a device's driver cannot work without (its bus or transport). */
const MODULE_DEPENDENCIES: Record<string, string[]> = {
  virtio_blk: ['virtio_pci'],
  virtio_scsi: ['virtio_pci'],
  virtio_net: ['virtio_pci'],
  hv_storvsc: ['hv_vmbus'],
  hv_netvsc: ['hv_vmbus'],
};

const normModule = (m: string): string => m.replace(/-/g, '_');

/** Compares kernel version strings numerically part by part ("5.10.0-28" < "6.1.0-18"). */
export function compareKernelVersions(a: string, b: string): number {
  const pa = a.split(/[^0-9]+/).filter((p) => p !== '').map(Number);
  const pb = b.split(/[^0-9]+/).filter((p) => p !== '').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Kernels newest first. */
export function kernelsNewestFirst(facts: LinuxFacts): KernelFacts[] {
  return [...facts.kernels].sort((a, b) => compareKernelVersions(b.version, a.version));
}

const RANK: Record<DriverReadiness, number> = { builtin: 0, initramfs: 0, 'module-tree': 1, absent: 2 };

/** One kernel's verdict for a device: the worst readiness over the modules it needs. */
export function kernelDeviceVerdict(args: { kernel: KernelFacts; device: PlatformDevice; fn: VerdictFunction }): { verdict: VerdictKind; evidence: string; missing: string[] } {
  const { kernel, device, fn } = args;
  const listed = (device.linux?.modules ?? []).map(normModule);
  // A device may list alternatives (8139cp / 8139too, hyperv_fb / hyperv_drm); the first
  // one the kernel knows is used, then its dependencies.
  const primary = listed.find((m) => kernel.drivers[m] !== undefined && kernel.drivers[m] !== 'absent') ?? listed.find((m) => kernel.drivers[m] !== undefined);
  if (primary === undefined) return { verdict: 'unknown', evidence: `${kernel.version}: ${listed.join(', ') || 'no module'} not among the drivers inspected`, missing: [] };
  const needed = [primary, ...(MODULE_DEPENDENCIES[primary] ?? []), ...listed.filter((m) => m !== primary && (device.function === 'boot-storage' ? /core|vmbus/.test(m) : false))];
  let worst = 0;
  const parts: string[] = [];
  const missing: string[] = [];
  for (const m of needed) {
    const state = kernel.drivers[m];
    if (state === undefined) continue;
    let rank = RANK[state];
    if (fn !== 'boot-storage' && state === 'module-tree') rank = 0;
    if (rank === 1) missing.push(m);
    worst = Math.max(worst, rank);
    parts.push(`${m} ${state}`);
  }
  const verdict: VerdictKind = worst === 0 ? 'boots' : worst === 1 ? 'boots-after-patch' : 'cannot-boot';
  return { verdict, evidence: `${kernel.version}: ${parts.join(', ')}`, missing };
}

/** One device's verdict for a Linux guest (newest kernel decides; all are listed). */
export function linuxDeviceVerdict(args: { facts: LinuxFacts; device: PlatformDevice; fn: VerdictFunction }): DeviceVerdict {
  const { facts, device, fn } = args;
  const base = { device: device.id, name: device.name, default: device.default === true };
  if ((device.linux?.modules.length ?? 0) === 0) return { ...base, verdict: 'unknown', evidence: ['the catalog lists no Linux module for this device'], patches: [] };
  const kernels = kernelsNewestFirst(facts);
  if (kernels.length === 0) return { ...base, verdict: 'unknown', evidence: ['no installed kernel found'], patches: [] };
  const per = kernels.map((kernel) => ({ kernel, ...kernelDeviceVerdict({ kernel, device, fn }) }));
  // The boot configuration's default entry decides when it names an installed kernel.
  const wanted = facts.boot.defaultEntry?.kernelVersion;
  const newest = per.find((p) => p.kernel.version === wanted) ?? per[0]!;
  const patches = newest.verdict === 'boots-after-patch' ? [`add ${newest.missing.join(', ')} to the initramfs of ${newest.kernel.version} and rebuild it`] : [];
  return { ...base, verdict: newest.verdict, evidence: per.map((p) => `${p.evidence} → ${p.verdict}`), patches };
}

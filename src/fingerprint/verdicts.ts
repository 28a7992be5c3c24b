// The verdict matrix: for one operating system and one target platform, a verdict per
// function (boot storage, network, display), each the best over the platform's devices for
// that function — the user can pick the controller, so one bootable choice is enough — with
// every device's own verdict and evidence kept alongside.

import { devicesByFunction, type Platform } from '../catalog/index.js';
import type { OperatingSystem } from '../inspect/inspect.js';
import { linuxDeviceVerdict } from './linux-verdict.js';
import { VERDICT_FUNCTIONS, type DeviceVerdict, type FunctionVerdict, type VerdictFunction, type VerdictKind } from './types.js';
import { windowsDeviceVerdict } from './windows-verdict.js';

const ORDER: Record<VerdictKind, number> = { boots: 0, 'boots-after-patch': 1, 'cannot-boot': 2, unknown: 3 };

/** The better of two verdicts (boots < boots-after-patch < cannot-boot < unknown). */
export function betterVerdict(a: VerdictKind, b: VerdictKind): VerdictKind {
  return ORDER[a] <= ORDER[b] ? a : b;
}

export function functionVerdict(args: { os: OperatingSystem; platform: Platform; fn: VerdictFunction }): FunctionVerdict {
  const { os, platform, fn } = args;
  const devices: DeviceVerdict[] = devicesByFunction(platform, fn).map((device) =>
    os.type === 'windows' ? windowsDeviceVerdict({ facts: os.facts, platform, device, fn }) : linuxDeviceVerdict({ facts: os.facts, device, fn }),
  );
  if (devices.length === 0) return { platform: platform.id, function: fn, verdict: 'unknown', notes: [`the catalog lists no ${fn} device for ${platform.id}`], devices };
  // devicesByFunction lists the default device first, so on a tie the default wins.
  let best = devices[0]!;
  for (const d of devices) if (ORDER[d.verdict] < ORDER[best.verdict]) best = d;
  let verdict = best.verdict;
  const notes: string[] = [];
  if (fn === 'boot-storage') {
    const gate = firmwareGate({ os, platform });
    if (gate !== undefined) {
      notes.push(gate.note);
      if (verdict !== 'unknown' && ORDER[gate.cap] > ORDER[verdict]) verdict = gate.cap;
    }
  }
  return { platform: platform.id, function: fn, verdict, via: best.device, notes, devices };
}

/** How the guest boots: its recorded firmware, else what its system disk's partitioning implies. */
export function guestFirmware(os: OperatingSystem): 'bios' | 'uefi' | 'unknown' {
  if (os.type === 'linux') {
    const f = os.facts.boot.firmware;
    return f === 'bios+uefi' ? 'unknown' : f;
  }
  const recorded = os.facts.boot?.firmware;
  if (recorded !== undefined && recorded !== 'unknown') return recorded;
  // Windows boots BIOS from MBR and UEFI from GPT (it supports no other pairing).
  const system = os.facts.driveLetters.find((d) => d.letter.toUpperCase() === 'C:');
  if (system?.kind === 'mbr') return 'bios';
  if (system?.kind === 'gpt') return 'uefi';
  return 'unknown';
}

/**
 * Whether the platform's firmware can start the guest's boot loader. Windows moves from BIOS
 * to UEFI only with mbr2gpt (Windows 10 1703, build 15063, 64-bit); before that, and on any
 * 32-bit Windows, a BIOS guest cannot boot on a UEFI-only platform. Windows cannot boot GPT
 * from BIOS. A Linux guest can be given the other boot loader.
 */
export function firmwareGate(args: { os: OperatingSystem; platform: Platform }): { cap: VerdictKind; note: string } | undefined {
  const { os, platform } = args;
  const guest = guestFirmware(os);
  if (guest === 'unknown') return undefined;
  const supported = guest === 'bios' ? platform.firmware.bios : platform.firmware.uefi;
  if (supported) return undefined;
  const offers = [platform.firmware.bios ? 'BIOS' : '', platform.firmware.uefi ? 'UEFI' : ''].filter((x) => x !== '').join('/') || 'no firmware';
  if (!platform.firmware.bios && !platform.firmware.uefi) {
    return { cap: 'cannot-boot', note: `platform offers ${offers} (paravirtual boot only)${os.type === 'windows' ? '; Windows cannot run there' : ': needs a PV-capable kernel and pvgrub/pygrub'}` };
  }
  if (os.type === 'linux') return { cap: 'boots-after-patch', note: `guest boots ${guest.toUpperCase()}, platform offers ${offers}: install the matching boot loader` };
  const f = os.facts;
  if (guest === 'bios' && f.arch === 'x86_64' && (f.build ?? 0) >= 15063) {
    return { cap: 'boots-after-patch', note: `guest boots BIOS/MBR, platform offers ${offers}: convert with mbr2gpt` };
  }
  return { cap: 'cannot-boot', note: `guest boots ${guest === 'bios' ? 'BIOS/MBR' : 'UEFI/GPT'}, platform offers ${offers}; this Windows cannot be converted` };
}

export function platformVerdicts(args: { os: OperatingSystem; platform: Platform }): FunctionVerdict[] {
  return VERDICT_FUNCTIONS.map((fn) => functionVerdict({ ...args, fn }));
}

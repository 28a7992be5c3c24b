// The data fleet.html embeds (one JSON script element) for its table and drill-downs, built
// from the lean records. Compact because a fleet has thousands of VMs: rows are short-keyed
// objects; verdicts are strings of one letter per target × function; device names ("via")
// and findings are interned in tables shared by every VM. Deterministic (sorted records in,
// tables in first-seen order).

import { vmFacts } from './facts.js';
import { vmActivationRisk, vmVerdicts } from './verdict-summary.js';
import type { VmRecord } from './types.js';
import type { Finding } from '../fingerprint/index.js';
import type { OsBrief } from './lean.js';

/** One line of an OS's key facts for the drill-down. */
export function factsLine(os: OsBrief | undefined): string {
  if (!os) return '';
  const parts = [
    os.version !== undefined ? `version ${os.version}` : undefined,
    os.edition,
    os.arch,
    os.hostname !== undefined ? `host ${os.hostname}` : undefined,
    os.firmware !== undefined ? `firmware ${os.firmware}` : undefined,
    os.kernels && os.kernels.length > 0 ? `kernels ${os.kernels.join(' ')}` : undefined,
    os.guestTools.length > 0 ? `guest tools: ${os.guestTools.join(' ')}` : undefined,
    os.staticIps.length > 0 ? `static IP ${os.staticIps.join(' ')}` : undefined,
    os.hibernated ? 'hibernated' : undefined,
    os.fastStartup ? 'fast startup on' : undefined,
    os.bitlocker ? 'BitLocker' : undefined,
  ];
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' · ');
}

export const VERDICT_ORDER = ['boots', 'boots-after-patch', 'unknown', 'cannot-boot', 'no-os', 'error'] as const;
export const FUNCTIONS = ['boot-storage', 'network', 'display'] as const;
/** One letter per verdict kind in verdict strings; '-' when a cell has no verdict. */
export const VERDICT_LETTERS: Record<string, string> = { boots: 'b', 'boots-after-patch': 'p', unknown: 'u', 'cannot-boot': 'c', 'no-os': 'n', error: 'e' };

export interface HtmlRow {
  /** id, key, kind, disk count, os, version(s), risks, bytes read, error code, error text. */
  i: string;
  k: string;
  t: string;
  d: number;
  o: string;
  s: string;
  r: string;
  b: number;
  c: string;
  e: string;
  /** The VM's verdict per target, one letter each (VERDICT_LETTERS). */
  v: string;
  /** Worst activation risk per target ('' when none), '|' separated. */
  a: string;
  /** Drill-down: description line and disks. */
  x: { h: string; disks: HtmlDisk[] };
}

export interface HtmlDisk {
  k: string;
  /** Error text, or "" */
  e: string;
  /** "No operating system found" etc. */
  n: string;
  /** Per OS: name, key facts line, built-for, verdict letters (3 per target), via indexes, activation, findings. */
  oses: Array<{ n: string; k: string; b: string; v: string; via: number[]; a: string; f: number[] }>;
}

export interface HtmlData {
  targets: string[];
  vias: string[];
  findings: Array<[severity: string, title: string, platform: string, advice: string]>;
  rows: HtmlRow[];
}

export function riskList(vm: VmRecord, activation: Record<string, string>): string[] {
  const f = vmFacts(vm);
  return [f.hibernated && 'hibernated', f.fastStartup && 'fast startup', f.bitlocker && 'BitLocker', f.encryptedVolumes && 'encrypted volume', f.staticIps.length > 0 && `static IP ${f.staticIps.join(' ')}`, Object.values(activation).includes('high') && 'activation high'].filter((x): x is string => typeof x === 'string');
}

class Interner<T> {
  readonly items: T[] = [];
  private readonly index = new Map<string, number>();
  constructor(private readonly keyOf: (item: T) => string) {}
  add(item: T): number {
    const key = this.keyOf(item);
    let at = this.index.get(key);
    if (at === undefined) {
      at = this.items.length;
      this.items.push(item);
      this.index.set(key, at);
    }
    return at;
  }
}

export function htmlData(args: { vms: readonly VmRecord[]; targets: readonly string[] }): HtmlData {
  const { targets } = args;
  const vias = new Interner<string>((s) => s);
  const findings = new Interner<HtmlData['findings'][number]>((f) => JSON.stringify(f));
  const finding = (f: Finding): number => findings.add([f.severity, f.title, f.platform ?? '', f.advice]);
  const rows = args.vms.map((vm): HtmlRow => {
    const facts = vmFacts(vm);
    const verdicts = vmVerdicts(vm, targets);
    const activation = vmActivationRisk(vm, targets);
    const described = vm.descriptor ? `, described by ${vm.descriptor.key} (${vm.descriptor.description.source})` : '';
    const disks = vm.disks.map((disk): HtmlDisk => ({
      k: `${disk.key}${disk.slot ? ` (${disk.slot})` : ''}`,
      e: disk.error ? `${disk.error.code}: ${disk.error.message}` : '',
      n: disk.facts && (disk.fingerprint ?? []).length === 0 ? 'No operating system found.' : '',
      oses: (disk.fingerprint ?? []).map((os) => {
        const cells = targets.flatMap((t) => FUNCTIONS.map((fn) => os.verdicts.find((x) => x.platform === t && x.function === fn)));
        return {
          n: `${os.name} (${os.type}, ${os.root})`,
          k: factsLine(disk.facts?.operatingSystems.find((f) => f.root === os.root && f.type === os.type)),
          b: `${os.builtFor.platform ?? os.builtFor.other ?? 'unknown'} (confidence ${os.builtFor.confidence})`,
          v: cells.map((c) => (c ? (VERDICT_LETTERS[c.verdict] ?? '-') : '-')).join(''),
          via: cells.map((c) => (c?.via !== undefined ? vias.add(c.via) : -1)),
          a: targets.map((t) => os.activation?.targets.find((x) => x.platform === t)?.risk ?? '').join('|'),
          f: os.findings.map(finding),
        };
      }),
    }));
    return {
      i: vm.id,
      k: vm.key,
      t: vm.kind,
      d: vm.disks.length,
      o: facts.os,
      s: facts.distros.join('; '),
      r: riskList(vm, activation).join(', '),
      b: vm.bytesRead,
      c: vm.error?.code ?? '',
      e: vm.error ? `${vm.error.code}: ${vm.error.message}` : '',
      v: targets.map((t) => VERDICT_LETTERS[verdicts[t] ?? 'unknown'] ?? '-').join(''),
      a: targets.map((t) => activation[t] ?? '').join('|'),
      x: { h: `${vm.kind}, ${vm.disks.length} disk(s)${described}.`, disks },
    };
  });
  return { targets: [...targets], vias: vias.items, findings: findings.items, rows };
}

/** JSON safe inside a <script> element: no '<', '>' or '&' survives unescaped. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

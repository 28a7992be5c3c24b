// The report document: the fingerprint of every OS in an Inspection, the targets it was
// judged against, and a readable digest of each guest's facts. This object is the JSON
// report (schema/report.schema.json) and the input of every other renderer. Deterministic:
// no timestamps, no host paths beyond what the Inspection carries.

import type { Catalog } from '../catalog/index.js';
import { fingerprint, type DescriptorEvidence, type OsFingerprint } from '../fingerprint/index.js';
import type { Inspection, OperatingSystem } from '../inspect/inspect.js';

export const REPORT_VERSION = 1;

export interface ReportFact {
  name: string;
  value: string;
}

export interface ReportOs extends OsFingerprint {
  facts: ReportFact[];
}

export interface Report {
  reportVersion: number;
  generator: string;
  targets: Array<{ id: string; name: string }>;
  operatingSystems: ReportOs[];
  warnings: string[];
}

function factList(os: OperatingSystem): ReportFact[] {
  const out: ReportFact[] = [];
  const put = (name: string, value: string | number | boolean | undefined): void => {
    if (value !== undefined && value !== '') out.push({ name, value: String(value) });
  };
  if (os.type === 'windows') {
    const f = os.facts;
    put('Product', f.productName);
    put('Edition', f.editionId);
    put('Version', f.currentVersion);
    put('Build', f.build !== undefined ? `${f.build}${f.ubr !== undefined ? `.${f.ubr}` : ''}` : undefined);
    put('Architecture', f.arch);
    put('Hostname', f.hostname);
    put('System root', f.systemRoot);
    put('Control set', f.controlSet);
    put('Time zone', f.timeZone);
    if (f.machine !== undefined) put('Last machine (SMBIOS)', [f.machine.systemManufacturer, f.machine.systemProductName, f.machine.biosVersion !== undefined ? `BIOS ${f.machine.biosVendor ?? ''} ${f.machine.biosVersion}`.trim() : undefined].filter((x) => x !== undefined).join(' / '));
    put('Guest tools', f.tools.map((t) => t.name).join(', ') || 'none');
    put('Services', f.services.length);
    put('Enum devices', f.devices.length);
    put('Driver bindings', f.driverBindings.length);
    put('Applications', f.applications.length);
    put('Product key', f.activation.productKey ?? f.activation.dpid4ProductKey);
    put('Key type', f.activation.keyType);
    put('KMS host', f.activation.kmsHost !== undefined ? `${f.activation.kmsHost}:${f.activation.kmsPort ?? '1688'}` : undefined);
    put('Boot firmware', f.boot?.firmware);
    put('Drive letters', f.driveLetters.map((d) => d.letter).join(' '));
    const nics = f.network.filter((n) => n.tcpip !== undefined && (n.tcpip.ipAddresses.length > 0 || n.tcpip.dhcpIpAddress !== undefined));
    for (const n of nics) put(`NIC ${n.driverDesc ?? n.classKey}`, n.tcpip!.dhcp === false ? `static ${n.tcpip!.ipAddresses.join(', ')}` : `DHCP ${n.tcpip!.dhcpIpAddress ?? ''}`.trim());
  } else {
    const f = os.facts;
    put('Distribution', [f.distro.prettyName ?? f.distro.name ?? f.distro.id].join(''));
    put('Version', f.distro.version);
    put('Architecture', f.arch);
    put('Hostname', f.hostname);
    put('Packages', `${f.packages.installed.length}${f.packages.format !== undefined ? ` (${f.packages.format})` : ''}`);
    put('Kernels', f.kernels.map((k) => k.version).join(', ') || 'none');
    put('Boot', `${f.boot.firmware}, ${f.boot.bootloader}`);
    put('Guest tools', f.guestTools.map((t) => t.name).join(', ') || 'none');
    put('fstab entries', f.fstab.length);
    put('Network managers', f.network.managers.join(', '));
    put('Mounts', Object.entries(os.mounts).map(([k, v]) => `${k}=${v}`).join(' '));
  }
  return out;
}

export function buildReport(args: { inspection: Inspection; catalog: Catalog; targets?: string[]; descriptor?: DescriptorEvidence }): Report {
  const targets = args.targets ?? args.catalog.platforms.map((p) => p.id);
  const prints = fingerprint({ inspection: args.inspection, catalog: args.catalog, targets, ...(args.descriptor !== undefined ? { descriptor: args.descriptor } : {}) });
  return {
    reportVersion: REPORT_VERSION,
    generator: 'rehost',
    targets: targets.map((id) => ({ id, name: args.catalog.platforms.find((p) => p.id === id)?.name ?? id })),
    operatingSystems: prints.map((p, i) => ({ ...p, facts: factList(args.inspection.operatingSystems[i]!) })),
    warnings: args.inspection.warnings.map((w) => `${w.code}: ${w.message}`),
  };
}

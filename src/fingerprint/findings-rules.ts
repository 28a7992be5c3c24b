// The findings rules, as data: each has an id, a severity, a title, the advice to give, and a
// condition over one OS's facts returning the evidence that triggered it (empty = not
// triggered). Target-specific rules also receive the verdicts for that target. Sources:
// conversion-facts.md §a.9 (virt-v2v refusals: hibernation, dirty NTFS, BitLocker), §a.8
// (static IPs bound to the old NIC), §b.5–b.7 (fstab device names, initramfs, NIC naming),
// §e (what users hit: antivirus blocking injected drivers, GPO device-install restrictions,
// SHA-2-only signed drivers on Windows 7/2008 R2 without KB4474419/KB4490628).

import type { LinuxFacts } from '../linux/facts/inspect.js';
import type { WindowsFacts } from '../windows/types.js';
import type { FunctionVerdict, Severity } from './types.js';

export interface WindowsRule {
  id: string;
  os: 'windows';
  severity: Severity;
  title: string;
  advice: string;
  condition: (facts: WindowsFacts) => string[];
}

export interface LinuxRule {
  id: string;
  os: 'linux';
  severity: Severity;
  title: string;
  advice: string;
  condition: (facts: LinuxFacts) => string[];
}

export interface TargetRule {
  id: string;
  os: 'linux' | 'windows' | 'any';
  severity: Severity;
  title: string;
  advice: string;
  condition: (verdicts: FunctionVerdict[], facts: LinuxFacts | WindowsFacts) => string[];
}

export const WINDOWS_RULES: WindowsRule[] = [
  {
    id: 'windows-hibernated',
    os: 'windows',
    severity: 'critical',
    title: 'Windows is hibernated',
    advice: 'Boot the source and shut it down fully (shutdown /s /t 0) before converting; writing to a hibernated volume loses data.',
    condition: (f) => (f.unsafe.hibernationSignature !== undefined && /^(hibr|wake)$/i.test(f.unsafe.hibernationSignature) ? [`hiberfil.sys signature ${f.unsafe.hibernationSignature}`] : []),
  },
  {
    id: 'windows-fast-startup',
    os: 'windows',
    severity: 'warning',
    title: 'Fast Startup (hybrid shutdown) is enabled',
    advice: 'Disable Fast Startup (powercfg /h off) or shut down with shutdown /s /f /t 0, so the volume is not left half-hibernated.',
    condition: (f) => (f.unsafe.hiberbootEnabled === true ? ['Session Manager\\Power HiberbootEnabled=1'] : []),
  },
  {
    id: 'windows-dirty-volume',
    os: 'windows',
    severity: 'critical',
    title: 'The NTFS volume is dirty',
    advice: 'Run chkdsk on the source (or boot it and shut down cleanly) before converting.',
    condition: (f) => (f.unsafe.volumeState !== undefined && f.unsafe.volumeState !== 'clean' ? [`volume state ${f.unsafe.volumeState}`] : []),
  },
  {
    id: 'windows-unreplayed-hive',
    os: 'windows',
    severity: 'warning',
    title: 'A registry hive has unflushed transaction logs',
    advice: 'The guest was not shut down cleanly; the newest registry changes live in the .LOG files. Shut it down cleanly before converting.',
    condition: (f) => Object.entries(f.unsafe.hiveLogs).filter(([, v]) => /unreplayed/i.test(v)).map(([k, v]) => `${k}: ${v}`),
  },
  {
    id: 'windows-bitlocker',
    os: 'windows',
    severity: 'critical',
    title: 'BitLocker encryption',
    advice: 'Suspend or remove BitLocker on the source, or have the recovery key ready: the new platform changes the TPM measurements.',
    condition: (f) => (f.unsafe.bitlocker ? ['BitLocker metadata on the system volume'] : []),
  },
  {
    id: 'windows-device-install-restrictions',
    os: 'windows',
    severity: 'warning',
    title: 'Group Policy restricts device installation',
    advice: 'New virtual devices may be refused drivers: relax DeviceInstall\\Restrictions for the migration.',
    condition: (f) => Object.entries(f.deviceInstallRestrictions ?? {}).map(([k, v]) => `DeviceInstall\\Restrictions ${k}=${String(v)}`),
  },
  {
    id: 'windows-antivirus',
    os: 'windows',
    severity: 'warning',
    title: 'Third-party antivirus installed',
    advice: 'Endpoint protection can block injected drivers and first-boot scripts; plan an exclusion or disable it for the first boot.',
    condition: (f) => f.applications.filter((a) => a.antivirus).map((a) => `${a.displayName}${a.displayVersion !== undefined ? ` ${a.displayVersion}` : ''}`),
  },
  {
    id: 'windows-static-ip',
    os: 'windows',
    severity: 'warning',
    title: 'Static IP configuration will not follow a NIC change',
    advice: 'The TCP/IP settings belong to the old adapter\'s interface GUID; the new NIC comes up with DHCP. Record them and reapply on the target (virt-v2v --mac … ip:…).',
    condition: (f) =>
      f.network
        .filter((n) => n.tcpip?.dhcp === false && n.tcpip.ipAddresses.some((ip) => ip !== '0.0.0.0'))
        .map((n) => `${n.driverDesc ?? n.classKey}: ${n.tcpip!.ipAddresses.join(', ')}${n.tcpip!.gateways.length > 0 ? ` gw ${n.tcpip!.gateways.join(', ')}` : ''}`),
  },
  {
    id: 'windows-sha2-signing',
    os: 'windows',
    severity: 'warning',
    title: 'Windows 7 / 2008 R2 needs SHA-2 code-signing support',
    advice: 'Current virtio-win, VMware Tools and PV drivers are SHA-2 signed only: install KB4474419 and KB4490628 before adding them.',
    condition: (f) => (f.majorVersion === 6 && (f.minorVersion === 0 || f.minorVersion === 1) ? [`${f.productName ?? 'Windows'} build ${f.build ?? '?'}`] : []),
  },
  {
    id: 'windows-pending-file-renames',
    os: 'windows',
    severity: 'info',
    title: 'Pending file rename operations',
    advice: 'An update or installer is waiting for a reboot; reboot the source once before converting.',
    condition: (f) => f.unsafe.pendingFileRenameOperations.slice(0, 5),
  },
];

export const LINUX_RULES: LinuxRule[] = [
  {
    id: 'linux-luks',
    os: 'linux',
    severity: 'warning',
    title: 'LUKS-encrypted volumes',
    advice: 'Have the passphrases or key files ready; encrypted volumes cannot be inspected or patched without them.',
    condition: (f) => f.crypttab.map((c) => `crypttab line ${c.line}: ${c.name} on ${c.device.raw}`),
  },
  {
    id: 'linux-fstab-device-name',
    os: 'linux',
    severity: 'warning',
    title: 'fstab names disks by kernel device name',
    advice: 'Device names change with the controller (sda → vda → nvme0n1); switch these entries to UUID= or LABEL=.',
    condition: (f) => f.fstab.filter((e) => e.device.naming === 'device-path').map((e) => `fstab line ${e.line}: ${e.device.raw} on ${e.mountpoint}`),
  },
  {
    id: 'linux-lvm-devices-file',
    os: 'linux',
    severity: 'warning',
    title: 'LVM devices file restricts which disks LVM scans',
    advice: '/etc/lvm/devices/system.devices names PVs by device id; on new hardware the VG is not found. Remove the file or regenerate it (vgimportdevices -a) on the target.',
    condition: (f) => (f.lvm.devicesFile ? [`/etc/lvm/devices/system.devices${f.lvm.devicesFileEntries !== undefined ? ` with ${f.lvm.devicesFileEntries} entries` : ''}`] : []),
  },
  {
    id: 'linux-nic-renaming',
    os: 'linux',
    severity: 'warning',
    title: 'Network interface names may change',
    advice: 'Names bound to a MAC or a PCI slot change on new virtual hardware; make the configuration match by MAC on the target or use a name-independent match.',
    condition: (f) => [
      ...f.network.macBindings.map((b) => `${b.source} binds ${b.mac} → ${b.name} (${b.file})`),
      ...f.network.interfaces.filter((i) => i.scheme === 'predictable-path' || i.scheme === 'predictable-slot' || i.scheme === 'biosdevname' || i.scheme === 'predictable-onboard').map((i) => `${i.name} (${i.scheme})`),
    ],
  },
  {
    id: 'linux-static-ip',
    os: 'linux',
    severity: 'info',
    title: 'Static IP configuration',
    advice: 'Static addresses are tied to an interface name or MAC; check they apply to the new NIC.',
    condition: (f) => f.network.configs.filter((c) => c.method === 'static' && c.addresses.length > 0).map((c) => `${c.file}: ${c.name ?? c.mac ?? '?'} ${c.addresses.join(', ')}`),
  },
];

export const TARGET_RULES: TargetRule[] = [
  {
    id: 'kernel-without-target-driver',
    os: 'linux',
    severity: 'critical',
    title: 'Installed kernels without any boot driver for this target',
    advice: 'Install a kernel that has the target\'s storage driver, or remove these kernels from the boot menu.',
    condition: (verdicts) => {
      const storage = verdicts.find((v) => v.function === 'boot-storage');
      const kernels = new Map<string, boolean>();
      for (const d of storage?.devices ?? []) {
        for (const line of d.evidence) {
          const m = /^(\S+): .* → (\S+)$/.exec(line);
          if (m === null) continue;
          const ok = m[2] === 'boots' || m[2] === 'boots-after-patch';
          kernels.set(m[1]!, (kernels.get(m[1]!) ?? false) || ok);
        }
      }
      return [...kernels].filter(([, ok]) => !ok).map(([k]) => `kernel ${k}: no driver for any of ${(storage?.devices ?? []).map((d) => d.device).join(', ')}`);
    },
  },
  {
    id: 'no-boot-storage-driver',
    os: 'any',
    severity: 'critical',
    title: 'The guest cannot boot on this target',
    advice: 'No known driver (or firmware) lets this guest start from the target\'s disk controllers; pick another controller model or platform.',
    condition: (verdicts) =>
      verdicts
        .filter((v) => v.function === 'boot-storage' && v.verdict === 'cannot-boot')
        .flatMap((v) => [`boot storage: ${v.devices.map((d) => `${d.device} ${d.verdict}`).join(', ')}`, ...v.notes]),
  },
];

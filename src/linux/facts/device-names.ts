// How a Linux configuration names a block device, which decides whether it survives a move
// to another controller: UUID=/LABEL=/PARTUUID=/PARTLABEL= tags (fstab(5), findfs(8)) and
// /dev/disk/by-uuid|by-label|by-partuuid links are stable; /dev/mapper/* and /dev/<vg>/<lv>
// are stable (device-mapper names); /dev/sdX, /dev/vdX, /dev/hdX, /dev/xvdX, /dev/nvmeXnY are
// tied to the controller's driver; /dev/disk/by-path and by-id embed the bus. Also kernel
// command lines (kernel-parameters.txt): space-separated words, double quotes group spaces,
// `--` ends the kernel's own parameters.

export type DeviceNaming =
  | 'uuid'
  | 'label'
  | 'partuuid'
  | 'partlabel'
  | 'by-uuid'
  | 'by-label'
  | 'by-partuuid'
  | 'by-id'
  | 'by-path'
  | 'mapper'
  | 'lvm-path'
  | 'md'
  | 'device-path'
  | 'block-number'
  | 'none'
  | 'other';

export interface DeviceRef {
  raw: string;
  naming: DeviceNaming;
  /** The UUID, label, or device name the reference carries. */
  value?: string;
  /** For controller-bound paths: the kernel name prefix (sd, vd, hd, xvd, nvme, mmcblk, cciss). */
  bus?: string;
}

export function classifyDevice(raw: string): DeviceRef {
  const value = raw.trim();
  const tag = /^(UUID|LABEL|PARTUUID|PARTLABEL)=(.*)$/i.exec(value);
  if (tag !== null) {
    const naming = (tag[1] as string).toLowerCase() as DeviceNaming;
    return { raw, naming, value: (tag[2] as string).replace(/^"(.*)"$/, '$1') };
  }
  const byLink = /^\/dev\/disk\/by-(uuid|label|partuuid|id|path|partlabel)\/(.+)$/.exec(value);
  if (byLink !== null) {
    const kind = byLink[1] as string;
    const naming: DeviceNaming = kind === 'partlabel' ? 'partlabel' : (`by-${kind}` as DeviceNaming);
    return { raw, naming, value: byLink[2] as string };
  }
  if (/^\/dev\/mapper\/.+/.test(value)) return { raw, naming: 'mapper', value: value.slice('/dev/mapper/'.length) };
  if (/^\/dev\/md\d+|^\/dev\/md\//.test(value)) return { raw, naming: 'md', value: value.slice(5) };
  const bus = /^\/dev\/(sd|vd|hd|xvd|nvme|mmcblk|cciss\/c|ubd|dasd)[a-z0-9]*/.exec(value);
  if (bus !== null) return { raw, naming: 'device-path', value: value.slice(5), bus: (bus[1] as string).replace('cciss/c', 'cciss') };
  // /dev/<vg>/<lv>: two components below /dev that are not a known kernel directory.
  if (/^\/dev\/[^/]+\/[^/]+$/.test(value) && !/^\/dev\/(disk|pts|shm|mqueue|hugepages|bus|char|block|input|snd|net)\//.test(value)) {
    return { raw, naming: 'lvm-path', value: value.slice(5) };
  }
  if (/^[0-9a-f]{3,4}$/i.test(value) || /^\d+:\d+$/.test(value)) return { raw, naming: 'block-number', value };
  if (value === '' || value === 'none') return { raw, naming: 'none' };
  return { raw, naming: 'other', value };
}

/** Splits a kernel command line into words (double quotes group, and are removed). */
export function splitCmdline(cmdline: string): string[] {
  const words: string[] = [];
  let current = '';
  let inQuotes = false;
  let started = false;
  for (const c of cmdline) {
    if (c === '"') {
      inQuotes = !inQuotes;
      started = true;
    } else if (!inQuotes && /\s/.test(c)) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (started) words.push(current);
  return words;
}

export interface CmdlineFacts {
  raw: string;
  root?: DeviceRef;
  resume?: DeviceRef;
  console: string[];
  /** Other parameters that matter for boot (rd.lvm.lv, rd.luks.uuid, ro, rootflags, net.ifnames, biosdevname…). */
  params: Record<string, string | true>;
}

const KEPT_PARAMS = /^(ro|rw|quiet|rootflags|rootfstype|rd\.[a-z.]+|net\.ifnames|biosdevname|crashkernel|init|nomodeset|systemd\.[a-z_.]+|modprobe\.blacklist|rd\.driver\.[a-z]+|selinux|enforcing|ip)$/;

export function parseCmdline(raw: string): CmdlineFacts {
  const facts: CmdlineFacts = { raw, console: [], params: {} };
  for (const word of splitCmdline(raw)) {
    if (word === '--') break;
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? undefined : word.slice(eq + 1);
    if (key === 'root' && value !== undefined) facts.root = classifyDevice(value);
    else if (key === 'resume' && value !== undefined) facts.resume = classifyDevice(value);
    else if (key === 'console' && value !== undefined) facts.console.push(value);
    else if (KEPT_PARAMS.test(key)) facts.params[key] = value ?? true;
  }
  return facts;
}

// virtio-win's directory convention, as virt-v2v reads it (libguestfs-common
// inject_virtio_win.ml, conversion-facts.md §a.5): a path holds an architecture element
// (amd64, x86 or i386, ARM64) and an OS element named after the Windows release (xp, 2k3,
// vista, 2k8, w7, 2k8r2, w8, 2k12, w8.1, 2k12r2, w10, 2k16, 2k19, 2k22, 2k25, w11, and the
// older long forms win7, win2008r2 …), anywhere in the path, compared in lower case:
// viostor/w10/amd64/viostor.inf, amd64/2k19/vioscsi.inf. Client releases use the w*/vista/xp
// names, servers the 2k* names. We use it as a hint next to the INF's own decorations.

import type { InfArch, InfOs } from '../inf/types.js';

interface OsDir {
  names: string[];
  major: number;
  minor: number;
  /** First build of the release (Windows 10/11 and Server 2016+ share 10.0). */
  build: number;
  server: boolean | 'any';
}

/** In release order, so an index compares versions. */
export const OS_DIRS: OsDir[] = [
  { names: ['xp', 'winxp'], major: 5, minor: 1, build: 0, server: 'any' },
  { names: ['2k3', 'win2003', '2k3r2'], major: 5, minor: 2, build: 0, server: 'any' },
  { names: ['vista', 'winvista'], major: 6, minor: 0, build: 0, server: false },
  { names: ['2k8', 'win2008'], major: 6, minor: 0, build: 0, server: true },
  { names: ['w7', 'win7'], major: 6, minor: 1, build: 0, server: false },
  { names: ['2k8r2', 'win2008r2'], major: 6, minor: 1, build: 0, server: true },
  { names: ['w8', 'win8'], major: 6, minor: 2, build: 0, server: false },
  { names: ['2k12', 'win2012'], major: 6, minor: 2, build: 0, server: true },
  { names: ['w8.1', 'win8.1'], major: 6, minor: 3, build: 0, server: false },
  { names: ['2k12r2', 'win2012r2'], major: 6, minor: 3, build: 0, server: true },
  { names: ['w10', 'win10'], major: 10, minor: 0, build: 0, server: false },
  { names: ['2k16', 'win2016'], major: 10, minor: 0, build: 14393, server: true },
  { names: ['2k19', 'win2019'], major: 10, minor: 0, build: 17763, server: true },
  { names: ['2k22', 'win2022'], major: 10, minor: 0, build: 20348, server: true },
  { names: ['w11', 'win11'], major: 10, minor: 0, build: 22000, server: false },
  { names: ['2k25', 'win2025'], major: 10, minor: 0, build: 26100, server: true },
];

const ARCH_DIRS: Record<string, InfArch> = { amd64: 'amd64', x86: 'x86', i386: 'x86', arm64: 'arm64' };

export interface ConventionHint {
  /** The OS element as found (lower case). */
  osDir?: string;
  /** Index into OS_DIRS. */
  osIndex?: number;
  arch?: InfArch;
  /** The first path element when it is neither (virtio-win's driver folder: viostor, NetKVM). */
  driver?: string;
}

/** Reads the convention's elements from a '/'-separated path (the INF's folder). */
export function conventionOf(path: string): ConventionHint {
  const parts = path.split('/').filter((p) => p !== '');
  const hint: ConventionHint = {};
  for (const part of parts) {
    const lower = part.toLowerCase();
    const arch = ARCH_DIRS[lower];
    if (arch && hint.arch === undefined) {
      hint.arch = arch;
      continue;
    }
    const index = OS_DIRS.findIndex((d) => d.names.includes(lower));
    if (index >= 0 && hint.osIndex === undefined) {
      hint.osIndex = index;
      hint.osDir = lower;
    }
  }
  const first = parts[0]?.toLowerCase();
  if (first !== undefined && parts.length > 1 && ARCH_DIRS[first] === undefined && !OS_DIRS.some((d) => d.names.includes(first))) hint.driver = parts[0] as string;
  return hint;
}

/** The OS element virtio-win uses for this guest (index into OS_DIRS), or undefined. */
export function osDirIndexFor(os: InfOs): number | undefined {
  const server = os.productType !== 'workstation';
  let best: number | undefined;
  OS_DIRS.forEach((d, i) => {
    if (d.major !== os.major || d.minor !== os.minor) return;
    if (d.server !== 'any' && d.server !== server) return;
    if (d.build > (os.build ?? 0)) return;
    // Windows 10 client builds below 22000 are w10; the table is in build order.
    best = i;
  });
  return best;
}

export function osDirName(index: number): string {
  return OS_DIRS[index]?.names[0] ?? '?';
}

/** Whether a path's hint fits the guest: 'match', 'older'/'newer' release, 'other-arch', or 'none'. */
export function conventionFit(hint: ConventionHint, os: InfOs): 'match' | 'older' | 'newer' | 'other-arch' | 'none' {
  if (hint.arch !== undefined && hint.arch !== os.arch) return 'other-arch';
  if (hint.osIndex === undefined) return 'none';
  const want = osDirIndexFor(os);
  if (want === undefined) return 'newer';
  if (hint.osIndex === want) return 'match';
  return versionRank(hint.osIndex) <= versionRank(want) ? 'older' : 'newer';
}

/** Orders releases by (major, minor, build), so server and client of one kernel compare equal. */
function versionRank(index: number): number {
  const d = OS_DIRS[index] as OsDir;
  return d.major * 1e8 + d.minor * 1e6 + d.build;
}

export function osDirVersionRank(index: number): number {
  return versionRank(index);
}

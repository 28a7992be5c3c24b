// The driver set virt-v2v stages in %SystemRoot%\Drivers\VirtIO (conversion-facts.md §a.5):
// every file of the source whose path holds the guest's arch element and its OS element
// (virtio-win's convention), flattened and lower-cased; `sriov/` folders and `vioprot.*`
// (they conflict with netkvm) and `*.pdb` are skipped; when both fwcfg.inf and qemufwcfg.inf
// would be staged, qemufwcfg.* is dropped (the two conflict). When the source has no folder
// for the guest's release, the closest older release's folders are used, with a warning
// (virt-v2v would stage nothing and fall back to IDE).

import { ignoreDiagnostics, type Diagnostics } from '../../diagnostics.js';
import type { FileSystem } from '../../fs/types.js';
import type { InfOs } from '../inf/types.js';
import { conventionOf, osDirIndexFor, osDirName, osDirVersionRank } from './convention.js';
import { walkSource, type DriverSource } from './source.js';

export interface StagedFile {
  /** Path in the source. */
  source: string;
  /** Lower-cased base name, the file's name in Drivers\VirtIO. */
  name: string;
  size: number;
}

export interface StagingSet {
  /** The OS folder name used (w10, 2k19 …). */
  osDir?: string;
  /** True when the guest's own release had no folder and an older one was used. */
  fallback: boolean;
  files: StagedFile[];
}

async function allFiles(fs: FileSystem): Promise<Array<{ path: string; size: number }>> {
  const out: Array<{ path: string; size: number }> = [];
  await walkSource(fs, async (path, e) => {
    if (e.type === 'file') out.push({ path, size: (await fs.stat(path)).size });
  });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export async function virtioStagingSet(args: { source: DriverSource; os: InfOs; diagnostics?: Diagnostics }): Promise<StagingSet> {
  const { source, os } = args;
  const diagnostics = args.diagnostics ?? ignoreDiagnostics;
  const want = osDirIndexFor(os);
  const files = (await allFiles(source.fs)).filter(({ path }) => {
    const lower = path.toLowerCase();
    const base = lower.slice(lower.lastIndexOf('/') + 1);
    return !lower.split('/').includes('sriov') && !base.startsWith('vioprot.') && !base.endsWith('.pdb');
  });
  const withHint = files.map((f) => ({ ...f, hint: conventionOf(f.path.slice(0, f.path.lastIndexOf('/'))) })).filter((f) => f.hint.arch === os.arch && f.hint.osIndex !== undefined);
  let chosen = want;
  let fallback = false;
  if (want === undefined || !withHint.some((f) => f.hint.osIndex === want)) {
    // The closest older release that the source has.
    const limit = want !== undefined ? osDirVersionRank(want) : Number.POSITIVE_INFINITY;
    const older = withHint.map((f) => f.hint.osIndex as number).filter((i) => osDirVersionRank(i) <= limit && (want === undefined || sameKind(i, want)));
    chosen = older.sort((a, b) => osDirVersionRank(b) - osDirVersionRank(a))[0];
    fallback = chosen !== undefined;
    if (chosen !== undefined) {
      diagnostics.report({ severity: 'warning', code: 'driver-older-release', message: `the source has no ${want !== undefined ? osDirName(want) : 'matching'} folder for ${os.arch}; staging the ${osDirName(chosen)} drivers` });
    }
  }
  if (chosen === undefined) return { fallback: false, files: [] };
  const byName = new Map<string, StagedFile>();
  for (const f of withHint.filter((f) => f.hint.osIndex === chosen)) {
    const name = (f.path.split('/').pop() as string).toLowerCase();
    const existing = byName.get(name);
    if (existing) {
      if (existing.size !== f.size) diagnostics.report({ severity: 'warning', code: 'driver-staging-collision', message: `${f.path} and ${existing.source} both flatten to ${name} with different sizes; keeping the first`, path: f.path });
      continue;
    }
    byName.set(name, { source: f.path, name, size: f.size });
  }
  if (byName.has('fwcfg.inf') && byName.has('qemufwcfg.inf')) {
    for (const name of [...byName.keys()]) if (name.startsWith('qemufwcfg.')) byName.delete(name);
  }
  return { osDir: osDirName(chosen), fallback, files: [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
}

/** Client releases fall back to client folders, servers to server folders (xp/2k3 fit both). */
function sameKind(a: number, b: number): boolean {
  const server = (i: number) => osDirName(i).startsWith('2k');
  return server(a) === server(b) || osDirName(a) === 'xp' || osDirName(b) === 'xp';
}

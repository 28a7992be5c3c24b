// Which of a target's devices a driver source has a driver for, and the vendor packages to
// stage for them: the AWS ENA or GCE gVNIC driver folder, a vendor's storage or network
// driver outside virtio-win's layout. A device matches an INF when one of the Models line's
// IDs starts with the device's PCI\VEN_xxxx&DEV_yyyy (Windows' own ID order puts the
// SUBSYS/REV forms first, the bare pair last; any of them binds). virtio-win-convention INFs
// are staged by virtioStagingSet; a vendor INF is staged with its whole folder (pnputil and
// the package's catalog want every file the catalog lists, not only those one install section
// copies), kept below drivers\<inf name> so two vendors' files never collide, and bounded:
// a folder over MAX_PACKAGE_BYTES or MAX_PACKAGE_FILES is cut down to the INF, its catalog
// and the files its install section copies, with a warning.

import { ignoreDiagnostics, type Diagnostics } from '../../diagnostics.js';
import type { DriverMatch } from './find.js';
import { walkSourceFrom, type DriverSource } from './source.js';
import type { StagedFile } from './staging.js';

export const MAX_PACKAGE_BYTES = 128 * 1024 * 1024;
export const MAX_PACKAGE_FILES = 2_000;

/** A target device as matching needs it: its id and PCI vendor/device pairs. */
export interface TargetDevice {
  id: string;
  pci: Array<{ vendor: string; device: string }>;
}

/** A device the source has a driver for. */
export interface SourceDeviceDriver {
  device: string;
  service: string;
  /** The INF's path in the source. */
  inf: string;
  /** True when the INF sits in virtio-win's layout (staged by virtioStagingSet). */
  convention: boolean;
}

export function deviceMatchesId(device: TargetDevice, id: string): boolean {
  const upper = id.toUpperCase();
  return device.pci.some((p) => {
    const pair = `PCI\\VEN_${p.vendor.toUpperCase()}&DEV_${p.device.toUpperCase()}`;
    return upper === pair || upper.startsWith(`${pair}&`);
  });
}

/** For each device, the first match (findDrivers' order: best first per hardware ID) that binds it. */
export function driversForDevices(args: { devices: readonly TargetDevice[]; matches: readonly DriverMatch[] }): SourceDeviceDriver[] {
  const out: SourceDeviceDriver[] = [];
  for (const device of args.devices) {
    const match = args.matches.find((m) => [m.hardwareId, ...m.compatibleIds].some((id) => deviceMatchesId(device, id)));
    const service = match?.services.find((s) => s.functionDriver) ?? match?.services[0];
    if (match === undefined || service === undefined) continue;
    out.push({ device: device.id, service: service.name, inf: match.infPath, convention: match.convention.fit !== 'none' });
  }
  return out;
}

const base = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** A name Windows can hold (a hostile ISO could carry anything else). */
const windowsName = (name: string): boolean => name !== '.' && name !== '..' && !/[\x00-\x1f<>:"|?*\\]/.test(name) && !/[. ]$/.test(name);

/** The files of one vendor package, with their names below the staging folder ('ena/ena.sys'). */
export async function vendorPackageFiles(args: { source: DriverSource; match: DriverMatch; diagnostics?: Diagnostics }): Promise<StagedFile[]> {
  const { source, match } = args;
  const diagnostics = args.diagnostics ?? ignoreDiagnostics;
  const dir = match.infPath.slice(0, match.infPath.lastIndexOf('/'));
  const folder = base(match.infPath).replace(/\.inf$/i, '').toLowerCase();
  const files: StagedFile[] = [];
  let bytes = 0;
  let overflow = false;
  await walkSourceFrom({
    fs: source.fs,
    root: dir === '' ? '/' : dir,
    visit: async (path, entry) => {
      if (overflow || entry.type !== 'file' || path.toLowerCase().endsWith('.pdb')) return;
      if (!path.slice(dir.length + 1).split('/').every(windowsName)) {
        diagnostics.report({ severity: 'warning', code: 'driver-file-name', message: `${path}: not a valid Windows file name; not staged`, path });
        return;
      }
      const size = (await source.fs.stat(path)).size;
      bytes += size;
      files.push({ source: path, name: `${folder}/${path.slice(dir.length + 1)}`, size });
      overflow = bytes > MAX_PACKAGE_BYTES || files.length > MAX_PACKAGE_FILES;
    },
  });
  if (!overflow) return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  diagnostics.report({
    severity: 'warning',
    code: 'driver-package-large',
    message: `${dir || '/'} holds more than ${MAX_PACKAGE_FILES} files or ${MAX_PACKAGE_BYTES} bytes; staging only ${base(match.infPath)}, its catalog and the files it copies`,
    path: match.infPath,
  });
  const wanted = [match.infPath, ...(match.catalogSource !== undefined ? [match.catalogSource] : []), ...match.files.flatMap((f) => (f.source !== undefined ? [f.source] : []))];
  const out: StagedFile[] = [];
  for (const path of [...new Set(wanted)]) out.push({ source: path, name: `${folder}/${path.slice(dir.length + 1)}`, size: (await source.fs.stat(path)).size });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

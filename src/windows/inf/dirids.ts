// Directory identifiers ("Using Dirids") mapped to guest paths, so a DestinationDirs entry or a
// `%12%\x.sys` ServiceBinary becomes both a path on the system volume and the form Windows
// writes into a service's ImagePath (`\SystemRoot\System32\drivers\x.sys`). Dirid 13 is the
// driver store folder of the package, whose name (<inf>_<arch>_<hash>) only Windows knows;
// callers pass the name they will use.

export interface DiridTarget {
  /** Whether the path lies under %SystemRoot% (so ImagePath can say \SystemRoot\...). */
  base: 'systemroot' | 'systemdrive';
  /** Windows-style path below the base ('' for the base itself). */
  relative: string;
}

const TABLE: Record<number, DiridTarget> = {
  10: { base: 'systemroot', relative: '' },
  11: { base: 'systemroot', relative: 'System32' },
  12: { base: 'systemroot', relative: 'System32\\drivers' },
  17: { base: 'systemroot', relative: 'INF' },
  18: { base: 'systemroot', relative: 'Help' },
  20: { base: 'systemroot', relative: 'Fonts' },
  21: { base: 'systemroot', relative: 'System32\\viewers' },
  23: { base: 'systemroot', relative: 'System32\\spool\\drivers\\color' },
  24: { base: 'systemdrive', relative: '' },
  25: { base: 'systemroot', relative: '' },
  30: { base: 'systemdrive', relative: '' },
  50: { base: 'systemroot', relative: 'System' },
  51: { base: 'systemroot', relative: 'System32\\spool' },
  52: { base: 'systemroot', relative: 'System32\\spool\\drivers' },
  54: { base: 'systemdrive', relative: '' },
  55: { base: 'systemroot', relative: 'System32\\spool\\prtprocs' },
  16422: { base: 'systemdrive', relative: 'Program Files' },
  16425: { base: 'systemroot', relative: 'SysWOW64' },
  16427: { base: 'systemdrive', relative: 'Program Files\\Common Files' },
};

export interface DiridContext {
  /** Guest path of %SystemRoot% on its volume ('/Windows'). */
  systemRoot: string;
  /** Folder name of the package in the driver store (for dirid 13). */
  driverStoreName: string;
}

export function diridTarget(dirid: number, context: Pick<DiridContext, 'driverStoreName'>): DiridTarget | undefined {
  if (dirid === 13) return { base: 'systemroot', relative: `System32\\DriverStore\\FileRepository\\${context.driverStoreName}` };
  return TABLE[dirid === 65535 ? -1 : dirid];
}

/** Volume path ('/Windows/System32/drivers') of a dirid plus a Windows-style subdirectory. */
export function diridGuestPath(args: { dirid: number; subdir?: string; context: DiridContext }): string | undefined {
  const { dirid, subdir, context } = args;
  if (dirid === -1 || dirid === 65535) {
    // An absolute path: "C:\dir" or "\dir"; the drive letter is the system volume.
    return subdir ? toVolumePath(subdir.replace(/^[A-Za-z]:/, '')) : undefined;
  }
  const target = diridTarget(dirid, context);
  if (!target) return undefined;
  const base = target.base === 'systemroot' ? context.systemRoot : '/';
  return toVolumePath([base, target.relative, subdir ?? ''].join('\\'));
}

/** The `\SystemRoot\...` form Windows writes for a file under %SystemRoot%, else `\??\C:\...`. */
export function diridImagePath(args: { dirid: number; rest: string; context: DiridContext }): string | undefined {
  const target = diridTarget(args.dirid, args.context);
  if (!target) return undefined;
  const parts = [target.relative, args.rest].map((p) => p.replace(/^\\+|\\+$/g, '')).filter((p) => p !== '');
  return target.base === 'systemroot' ? `\\SystemRoot\\${parts.join('\\')}` : `\\??\\C:\\${parts.join('\\')}`;
}

export function toVolumePath(windowsPath: string): string {
  const parts = windowsPath.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  return '/' + parts.join('/');
}

// Installed packages. dpkg: /var/lib/dpkg/status is RFC 822-style stanzas separated by
// blank lines (deb-control(5)); continuation lines start with a blank; "Status:" holds three
// words "want flag status" (dpkg-query(1)) and a package counts as installed when the third is
// "installed". Version is "[epoch:]upstream[-revision]". rpm: the database format is told by
// which file exists under /var/lib/rpm (or /usr/lib/sysimage/rpm, the new location symlinked
// from it): rpmdb.sqlite (rpm ≥ 4.16 default on Fedora 33+/RHEL 9), Packages.db (ndb, SUSE),
// Packages (Berkeley DB hash, RHEL ≤ 8). We identify the format from the file's own magic
// too: "SQLite format 3\0", ndb's "RpmP" header, and Berkeley DB's hash magic 0x061561 at 12.
// The sqlite and Berkeley DB formats are then read (rpm-header.ts); ndb is only identified.

import { CorruptError } from '../../errors.js';

export interface InstalledPackage {
  name: string;
  version: string;
  epoch?: number;
  release?: string;
  arch?: string;
  /** dpkg's third status word (installed, config-files, half-installed…). */
  status?: string;
  source?: string;
}

export type RpmDbFormat = 'sqlite' | 'ndb' | 'bdb';

export interface PackageFacts {
  format?: 'deb' | 'rpm' | 'pacman' | 'apk';
  management?: string;
  rpmDatabase?: { path: string; format: RpmDbFormat; readable: boolean; magicMatches: boolean };
  /** Installed packages when the database could be read (dpkg: entries with status installed). */
  installed: InstalledPackage[];
  /** Every stanza in the dpkg database, including removed-but-configured ones. */
  totalRecords?: number;
}

/** Parses /var/lib/dpkg/status; returns every stanza that has a Package field. */
export function parseDpkgStatus(text: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const stanza of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line === '') continue;
      if (/^[ \t]/.test(line)) {
        // Continuation of the previous field (Description, Conffiles…); we keep only first lines.
        if (last === undefined) throw new CorruptError('dpkg status continuation line before any field', { structure: 'dpkg status stanza', path: '/var/lib/dpkg/status' });
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) throw new CorruptError(`dpkg status line without a field name: ${line.slice(0, 60)}`, { structure: 'dpkg status stanza', path: '/var/lib/dpkg/status' });
      last = line.slice(0, colon).toLowerCase();
      fields.set(last, line.slice(colon + 1).trim());
    }
    const name = fields.get('package');
    if (name === undefined) continue;
    const pkg: InstalledPackage = { name, ...splitDebVersion(fields.get('version') ?? '') };
    const arch = fields.get('architecture');
    if (arch !== undefined) pkg.arch = arch;
    const status = fields.get('status')?.split(/\s+/)[2];
    if (status !== undefined) pkg.status = status;
    const source = fields.get('source');
    if (source !== undefined) pkg.source = source.split(/\s+/)[0] as string;
    out.push(pkg);
  }
  return out;
}

/** "1:2.3-4" → epoch 1, version "2.3", release "4" (the Debian revision). */
export function splitDebVersion(full: string): { version: string; epoch?: number; release?: string } {
  let rest = full;
  let epoch: number | undefined;
  const colon = rest.indexOf(':');
  if (colon > 0 && /^\d+$/.test(rest.slice(0, colon))) {
    epoch = Number(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const out: { version: string; epoch?: number; release?: string } = { version: dash > 0 ? rest.slice(0, dash) : rest };
  if (dash > 0) out.release = rest.slice(dash + 1);
  if (epoch !== undefined) out.epoch = epoch;
  return out;
}

/** Locations of the rpm database, newest layout first. */
export const RPM_DB_FILES: Array<{ path: string; format: RpmDbFormat }> = [
  { path: '/usr/lib/sysimage/rpm/rpmdb.sqlite', format: 'sqlite' },
  { path: '/var/lib/rpm/rpmdb.sqlite', format: 'sqlite' },
  { path: '/usr/lib/sysimage/rpm/Packages.db', format: 'ndb' },
  { path: '/var/lib/rpm/Packages.db', format: 'ndb' },
  { path: '/usr/lib/sysimage/rpm/Packages', format: 'bdb' },
  { path: '/var/lib/rpm/Packages', format: 'bdb' },
];

/** Identifies an rpm database file by its magic; undefined when none matches. */
export function rpmDbFormatFromMagic(head: Uint8Array): RpmDbFormat | undefined {
  if (head.length >= 16 && new TextDecoder('latin1').decode(head.subarray(0, 16)) === 'SQLite format 3\0') return 'sqlite';
  // ndb: the "RpmP" slot-page magic (rpm lib/backend/ndb/rpmpkg.c, PKGDB_MAGIC) at offset 0.
  if (head.length >= 4 && head[0] === 0x52 && head[1] === 0x70 && head[2] === 0x6d && head[3] === 0x50) return 'ndb';
  if (head.length >= 16) {
    // Berkeley DB metadata page: magic at offset 12, in either byte order (hash 0x061561, btree 0x053162).
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    for (const little of [true, false]) {
      const magic = view.getUint32(12, little);
      if (magic === 0x061561 || magic === 0x053162) return 'bdb';
    }
  }
  return undefined;
}

// Distribution identity from the release files, in libguestfs's priority order
// (inspect_fs_unix.ml): /etc/os-release (os-release(5): shell-style KEY=value, values
// optionally quoted, backslash escapes inside double quotes), /etc/lsb-release
// (DISTRIB_ID, DISTRIB_RELEASE, DISTRIB_CODENAME), then vendor files: redhat-release and its
// siblings ("<name> release <x.y> (<codename>)"), debian_version ("12.5" or "bookworm/sid"),
// SuSE-release (first line the name, VERSION = / PATCHLEVEL = lines), alpine-release,
// arch-release, gentoo-release. Pure parsers here; the file reading is in inspect.ts.

export interface DistroFacts {
  /** os-release ID style: debian, ubuntu, rhel, centos, fedora, sles, opensuse-leap, … */
  id?: string;
  idLike: string[];
  name?: string;
  prettyName?: string;
  version?: string;
  major?: number;
  minor?: number;
  codename?: string;
  /** Which files the answer came from, in the order used. */
  sources: string[];
}

/** Parses KEY=value lines (os-release, lsb-release, /etc/default/grub, initramfs.conf…). */
export function parseShellAssignments(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match === null) continue;
    out.set(match[1] as string, unquoteShell(match[2] as string));
  }
  return out;
}

/** One shell word or a run of quoted words: "a b", 'a b', a\ b; a trailing comment is dropped. */
export function unquoteShell(value: string): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const c = value[i] as string;
    if (c === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < value.length && '"\\$`'.includes(value[i + 1] as string)) i++;
        out += value[i];
        i++;
      }
      i++;
    } else if (c === "'") {
      i++;
      while (i < value.length && value[i] !== "'") out += value[i++];
      i++;
    } else if (c === '\\' && i + 1 < value.length) {
      out += value[i + 1];
      i += 2;
    } else if (c === '#' && (i === 0 || /\s/.test(value[i - 1] as string))) {
      break;
    } else if (/\s/.test(c)) {
      // An unquoted blank ends the value (KEY=a b runs `b` as a command in a shell).
      break;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function splitVersion(version: string | undefined): { major?: number; minor?: number } {
  const match = version === undefined ? null : /^(\d+)(?:\.(\d+))?/.exec(version);
  if (match === null) return {};
  return { major: Number(match[1]), ...(match[2] !== undefined ? { minor: Number(match[2]) } : {}) };
}

export function parseOsRelease(text: string): DistroFacts {
  const kv = parseShellAssignments(text);
  const versionId = kv.get('VERSION_ID');
  const facts: DistroFacts = { idLike: (kv.get('ID_LIKE') ?? '').split(/\s+/).filter((s) => s !== ''), sources: ['/etc/os-release'] };
  const id = kv.get('ID');
  if (id !== undefined && id !== '') facts.id = id.toLowerCase();
  if (kv.has('NAME')) facts.name = kv.get('NAME') as string;
  if (kv.has('PRETTY_NAME')) facts.prettyName = kv.get('PRETTY_NAME') as string;
  if (versionId !== undefined && versionId !== '') facts.version = versionId;
  const codename = kv.get('VERSION_CODENAME') ?? kv.get('UBUNTU_CODENAME') ?? /\(([^)]+)\)/.exec(kv.get('VERSION') ?? '')?.[1];
  if (codename !== undefined && codename !== '') facts.codename = codename.toLowerCase();
  Object.assign(facts, splitVersion(facts.version));
  return facts;
}

export function parseLsbRelease(text: string): DistroFacts {
  const kv = parseShellAssignments(text);
  const facts: DistroFacts = { idLike: [], sources: ['/etc/lsb-release'] };
  const id = kv.get('DISTRIB_ID');
  if (id !== undefined && id !== '') facts.id = lsbIdToOsReleaseId(id);
  if (id !== undefined) facts.name = id;
  if (kv.has('DISTRIB_DESCRIPTION')) facts.prettyName = kv.get('DISTRIB_DESCRIPTION') as string;
  const release = kv.get('DISTRIB_RELEASE');
  if (release !== undefined && release !== '') facts.version = release;
  const codename = kv.get('DISTRIB_CODENAME');
  if (codename !== undefined && codename !== '') facts.codename = codename.toLowerCase();
  Object.assign(facts, splitVersion(facts.version));
  return facts;
}

function lsbIdToOsReleaseId(id: string): string {
  const lower = id.toLowerCase();
  const known: Record<string, string> = { redhatenterpriseserver: 'rhel', redhatenterpriseworkstation: 'rhel', linuxmint: 'linuxmint', suse: 'sles' };
  return known[lower.replace(/\s+/g, '')] ?? lower.replace(/\s+/g, '');
}

/** Vendor release files whose single line reads "<Name> release <version> (<codename>)". */
export const REDHAT_STYLE_FILES: Array<{ path: string; id: string }> = [
  { path: '/etc/oracle-release', id: 'ol' },
  { path: '/etc/rocky-release', id: 'rocky' },
  { path: '/etc/almalinux-release', id: 'almalinux' },
  { path: '/etc/centos-release', id: 'centos' },
  { path: '/etc/fedora-release', id: 'fedora' },
  { path: '/etc/redhat-release', id: 'rhel' },
];

export function parseRedhatRelease(text: string, source: { path: string; id: string }): DistroFacts | undefined {
  const line = text.split('\n')[0]?.trim() ?? '';
  const match = /^(.*?)\s+(?:Linux\s+)?release\s+([\d.]+)\s*(?:\(([^)]*)\))?/i.exec(line);
  if (match === null) return undefined;
  const name = match[1] as string;
  let id = source.id;
  // redhat-release is shared by every rebuild; its text says which one it is.
  if (source.path === '/etc/redhat-release') {
    if (/centos/i.test(name)) id = 'centos';
    else if (/fedora/i.test(name)) id = 'fedora';
    else if (/rocky/i.test(name)) id = 'rocky';
    else if (/alma/i.test(name)) id = 'almalinux';
    else if (/oracle/i.test(name)) id = 'ol';
    else if (/scientific/i.test(name)) id = 'scientific';
  }
  const facts: DistroFacts = { id, idLike: id === 'rhel' || id === 'fedora' ? [] : ['rhel', 'fedora'], name, prettyName: line, version: match[2] as string, sources: [source.path] };
  if (match[3] !== undefined && match[3] !== '') facts.codename = match[3].toLowerCase();
  Object.assign(facts, splitVersion(facts.version));
  return facts;
}

const DEBIAN_CODENAMES: Record<string, string> = { '7': 'wheezy', '8': 'jessie', '9': 'stretch', '10': 'buster', '11': 'bullseye', '12': 'bookworm', '13': 'trixie' };

export function parseDebianVersion(text: string): DistroFacts | undefined {
  const line = text.split('\n')[0]?.trim() ?? '';
  if (line === '') return undefined;
  const facts: DistroFacts = { id: 'debian', idLike: [], name: 'Debian GNU/Linux', sources: ['/etc/debian_version'] };
  if (/^\d/.test(line)) {
    facts.version = line;
    Object.assign(facts, splitVersion(line));
    const codename = DEBIAN_CODENAMES[String(facts.major)];
    if (codename !== undefined) facts.codename = codename;
  } else {
    // Testing/unstable: "bookworm/sid".
    facts.codename = line.split('/')[0] as string;
  }
  return facts;
}

export function parseSuseRelease(text: string): DistroFacts | undefined {
  const lines = text.split('\n');
  const first = lines[0]?.trim() ?? '';
  if (first === '') return undefined;
  const kv = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const match = /^\s*([A-Z_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match !== null) kv.set(match[1] as string, match[2] as string);
  }
  const id = /opensuse/i.test(first) ? 'opensuse' : 'sles';
  const version = kv.get('VERSION');
  const patch = kv.get('PATCHLEVEL');
  const facts: DistroFacts = { id, idLike: ['suse'], name: first.replace(/\s*\(.*\)\s*$/, ''), prettyName: first, sources: ['/etc/SuSE-release'] };
  if (version !== undefined) facts.version = patch !== undefined && !version.includes('.') ? `${version}.${patch}` : version;
  Object.assign(facts, splitVersion(facts.version));
  return facts;
}

/**
 * Merges what several files said: the first source wins per field, later ones only fill
 * gaps (os-release is authoritative, debian_version adds the point release it lacks).
 */
export function mergeDistro(parts: DistroFacts[]): DistroFacts {
  const merged: DistroFacts = { idLike: [], sources: [] };
  for (const part of parts) {
    for (const key of ['id', 'name', 'prettyName', 'version', 'major', 'minor', 'codename'] as const) {
      if (merged[key] === undefined && part[key] !== undefined) (merged as unknown as Record<string, unknown>)[key] = part[key];
    }
    if (merged.idLike.length === 0) merged.idLike = [...part.idLike];
    merged.sources.push(...part.sources);
  }
  return merged;
}

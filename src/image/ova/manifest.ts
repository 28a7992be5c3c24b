// OVF manifests (DSP0243 §5.1): one line per file, "SHA1(disk1.vmdk)= <hex>" (OVF 1.x) or
// SHA256/SHA512 (OVF 2.x). Verification hashes each named archive member on request only:
// reading multi-gigabyte disks is the caller's decision.

import { createHash } from 'node:crypto';
import { CorruptError } from '../../errors.js';
import type { BlockDevice } from '../../io/block-device.js';

export const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface ManifestEntry {
  algorithm: 'sha1' | 'sha256' | 'sha512';
  name: string;
  digest: string;
}

/** Parses manifest text. Pure. Blank lines are skipped; anything else malformed is corrupt. */
export function parseManifest(text: string, offset = 0): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(SHA1|SHA256|SHA512)\s*\((.+)\)\s*=\s*([0-9a-fA-F]+)$/.exec(line);
    if (!m) throw new CorruptError(`manifest line ${JSON.stringify(line.slice(0, 80))} is not "ALG(file)= digest"`, { structure: 'OVF manifest', offset });
    entries.push({ algorithm: (m[1] as string).toLowerCase() as ManifestEntry['algorithm'], name: m[2] as string, digest: (m[3] as string).toLowerCase() });
  }
  return entries;
}

export interface ManifestCheck extends ManifestEntry {
  /** Digest computed over the member; undefined when the member is missing. */
  actual?: string;
  ok: boolean;
}

/** Hashes each member the manifest names and compares. Members are found by `locate`. */
export async function verifyManifest(args: {
  entries: ManifestEntry[];
  file: BlockDevice;
  locate: (name: string) => { offset: number; size: number } | undefined;
  chunkSize?: number;
}): Promise<ManifestCheck[]> {
  const chunkSize = args.chunkSize ?? 4 * 1024 * 1024;
  const results: ManifestCheck[] = [];
  for (const entry of args.entries) {
    const member = args.locate(entry.name);
    if (!member) {
      results.push({ ...entry, ok: false });
      continue;
    }
    const hash = createHash(entry.algorithm);
    for (let at = 0; at < member.size; at += chunkSize) {
      hash.update(await args.file.read(member.offset + at, Math.min(chunkSize, member.size - at)));
    }
    const actual = hash.digest('hex');
    results.push({ ...entry, actual, ok: actual === entry.digest });
  }
  return results;
}

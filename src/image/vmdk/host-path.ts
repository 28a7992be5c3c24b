// File names inside descriptors are written by the host that made the disk. VMware on Windows
// writes backslashes ("..\base\base.vmdk") and sometimes absolute drive paths
// ("C:\VMs\base.vmdk") in parentFileNameHint and extent lines. A reference that cannot be
// found as written is retried with forward slashes, then by its base name beside the image,
// which is where a copied VM keeps it. Only "not found" moves on to the next candidate.

import { NotFoundError } from '../../errors.js';

/** The spellings of `reference` to try, most literal first. */
export function referenceCandidates(reference: string): string[] {
  const candidates = [reference];
  if (reference.includes('\\')) {
    const slashed = reference.replace(/\\/g, '/');
    if (!/^[A-Za-z]:\//.test(slashed) && !slashed.startsWith('//')) candidates.push(slashed);
    const base = slashed.split('/').pop();
    if (base) candidates.push(base);
  }
  return [...new Set(candidates)];
}

/** Calls `open` with each candidate until one is found; otherwise throws the first NotFoundError. */
export async function openFirstFound<T>(reference: string, open: (candidate: string) => Promise<T>): Promise<T> {
  let first: unknown;
  for (const candidate of referenceCandidates(reference)) {
    try {
      return await open(candidate);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      first ??= error;
    }
  }
  throw first;
}

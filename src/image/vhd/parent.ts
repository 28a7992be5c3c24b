// Opening the parent of a differencing VHD. The dynamic header names it three ways: parent
// locator entries (W2ru relative and W2ku absolute Windows paths in UTF-16LE, the deprecated
// Wi2r/Wi2k in ASCII, MacX as a UTF-8 file URL; "Mac " alias blobs cannot be resolved off a Mac)
// and the parent's UTF-16BE file name. We try the relative path first (it survives moving a
// chain), then the absolute one, then the bare name next to the child. Only "not found" moves
// on to the next candidate; a loop or a corrupt parent is an error at once. The parent's
// unique id must equal the header's parent id; a mismatch (the parent was modified or
// replaced) is reported as a warning, as Hyper-V would refuse the chain.

import type { BlockDevice } from '../../io/block-device.js';
import { CorruptError, NotFoundError } from '../../errors.js';
import { assertWithin, decodeUuidBE } from '../../binary/index.js';
import type { DiskImage, OpenContext } from '../types.js';
import { parentLocatorEntries, VhdDynamicHeader } from './dynamic-header.js';

/** Upper bound for one locator's data (a path); real ones are a few hundred bytes. */
const MAX_LOCATOR_BYTES = 64 * 1024;
const PLATFORM_ORDER = ['W2ru', 'Wi2r', 'W2ku', 'Wi2k', 'MacX'];
/** NotFoundError kind of "this image's parent is missing", told apart from "this file is missing". */
const PARENT_MISSING = 'parent image';

export interface ParentReference {
  /** Where the name came from: a platform code or "parent name". */
  source: string;
  /** The name as recorded. */
  recorded: string;
  /** The name as handed to openBacking (Windows separators turned into '/'). */
  reference: string;
}

/** Every name the header gives for the parent, in the order they are tried. */
export async function parentReferences(args: { file: BlockDevice; header: VhdDynamicHeader; headerOffset: number }): Promise<ParentReference[]> {
  const { file, header, headerOffset } = args;
  const refs: ParentReference[] = [];
  const entries = parentLocatorEntries(header, headerOffset);
  entries.sort((a, b) => rank(a.platformCode) - rank(b.platformCode));
  for (const entry of entries) {
    if (!PLATFORM_ORDER.includes(entry.platformCode) || entry.platformDataLength === 0) continue;
    if (entry.platformDataLength > MAX_LOCATOR_BYTES) {
      throw new CorruptError(`parent locator data of ${entry.platformDataLength} bytes is implausibly long`, { structure: 'VHD parent locator entry', offset: entry.entryOffset });
    }
    assertWithin({ offset: entry.platformDataOffset, length: entry.platformDataLength, limit: file.size }, { structure: 'VHD parent locator data', offset: entry.platformDataOffset });
    const data = await file.read(entry.platformDataOffset, entry.platformDataLength);
    const recorded = decodeLocator(entry.platformCode, data);
    if (recorded === '') continue;
    refs.push({ source: entry.platformCode, recorded, reference: toHostReference(recorded) });
  }
  if (header.parentUnicodeName !== '') {
    const recorded = header.parentUnicodeName;
    refs.push({ source: 'parent name', recorded, reference: baseName(toHostReference(recorded)) });
  }
  const seen = new Set<string>();
  return refs.filter((r) => (seen.has(r.reference) ? false : (seen.add(r.reference), true)));
}

function rank(code: string): number {
  const i = PLATFORM_ORDER.indexOf(code);
  return i < 0 ? PLATFORM_ORDER.length : i;
}

function decodeLocator(code: string, data: Uint8Array): string {
  let text: string;
  if (code === 'W2ru' || code === 'W2ku') text = new TextDecoder('utf-16le').decode(data);
  else if (code === 'MacX') {
    text = new TextDecoder('utf-8').decode(data);
    text = text.startsWith('file://') ? decodeURIComponentSafe(text.slice('file://'.length)) : text;
  } else text = new TextDecoder('latin1').decode(data);
  const nul = text.indexOf('\0');
  return (nul >= 0 ? text.slice(0, nul) : text).trim();
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** ".\dir\parent.vhd" → "./dir/parent.vhd"; "C:\x\p.vhd" stays recognisably absolute. */
function toHostReference(recorded: string): string {
  return recorded.replace(/\\/g, '/');
}

function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

/** Opens the parent by the first reference that exists, and checks its identity. */
export async function openVhdParent(args: { context: OpenContext; header: VhdDynamicHeader; references: ParentReference[]; headerOffset: number }): Promise<DiskImage> {
  const { context, header, references, headerOffset } = args;
  const parentId = decodeUuidBE(header.parentUniqueId);
  const tried: string[] = [];
  for (const ref of references) {
    let parent: DiskImage;
    try {
      parent = await context.openBacking(ref.reference);
    } catch (error) {
      if (isMissing(error, ref.reference)) {
        tried.push(`${ref.source} "${ref.recorded}"`);
        continue;
      }
      throw error;
    }
    const actual = parent.details['uniqueId'];
    if (typeof actual === 'string' && actual !== parentId) {
      context.diagnostics.report({
        severity: 'warning',
        code: 'vhd-parent-id-mismatch',
        message: `parent ${ref.reference} has unique id ${actual}, but the differencing disk expects ${parentId}`,
        structure: 'VHD dynamic header',
        offset: headerOffset + VhdDynamicHeader.offsetOf('parentUniqueId'),
      });
    }
    return parent;
  }
  throw new NotFoundError(
    `parent image of differencing VHD not found (parent id ${parentId}; tried ${tried.length > 0 ? tried.join(', ') : 'no usable locator'})`,
    { path: context.filename, kind: PARENT_MISSING, structure: 'VHD dynamic header', parentId, tried },
  );
}

/**
 * Whether `error` says that `reference` itself does not exist (try the next name), as opposed
 * to something further down the chain being missing (a grandparent), which must surface as is.
 */
function isMissing(error: unknown, reference: string): boolean {
  if (!(error instanceof NotFoundError) || error.detail.kind === PARENT_MISSING) return false;
  const path = error.detail.path;
  return path === undefined || path.replace(/\\/g, '/').endsWith(baseName(reference));
}

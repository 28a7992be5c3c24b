// Opening the parent of a differencing VHDX ([MS-VHDX] 2.6.2.6). The parent locator of type
// B04AEFB7-… holds parent_linkage (the parent's DataWriteGuid), an optional parent_linkage2,
// and up to three paths, tried in the order the specification gives: relative_path,
// volume_path, absolute_win32_path. Windows separators become '/', so a relative path resolves
// next to the child; volume and drive-letter paths only resolve where such a path exists.
// Only "not found" moves on to the next path. A parent whose DataWriteGuid matches neither
// linkage was modified after the child was made: a warning, since the data may be inconsistent.

import { CorruptError, NotFoundError, UnsupportedError } from '../../errors.js';
import type { DiskImage, OpenContext } from '../types.js';
import { GUIDS } from './structures.js';
import type { VhdxMetadata } from './metadata.js';

const PATH_KEYS = ['relative_path', 'volume_path', 'absolute_win32_path'] as const;
/** NotFoundError kind of "this image's parent is missing", told apart from "this file is missing". */
const PARENT_MISSING = 'parent image';

function normalizeGuid(text: string | undefined): string | undefined {
  return text?.replace(/[{}]/g, '').toLowerCase();
}

export interface VhdxParentInfo {
  linkage?: string;
  linkage2?: string;
  paths: Array<{ key: string; path: string }>;
}

export function parentInfo(metadata: VhdxMetadata, metadataOffset: number): VhdxParentInfo {
  const locator = metadata.parentLocator;
  if (!locator) throw new CorruptError('the file parameters say HasParent, but there is no parent locator', { structure: 'VHDX metadata', offset: metadataOffset });
  if (locator.locatorType !== GUIDS.vhdxParentLocatorType) {
    throw new UnsupportedError(`parent locator type ${locator.locatorType} is not the VHDX one`, { structure: 'VHDX parent locator', offset: metadataOffset });
  }
  const linkage = normalizeGuid(locator.entries.get('parent_linkage'));
  const linkage2 = normalizeGuid(locator.entries.get('parent_linkage2'));
  const paths: VhdxParentInfo['paths'] = [];
  for (const key of PATH_KEYS) {
    const path = locator.entries.get(key);
    if (path) paths.push({ key, path });
  }
  return { ...(linkage ? { linkage } : {}), ...(linkage2 ? { linkage2 } : {}), paths };
}

export async function openVhdxParent(args: { context: OpenContext; info: VhdxParentInfo; metadataOffset: number }): Promise<DiskImage> {
  const { context, info, metadataOffset } = args;
  for (const { path } of info.paths) {
    let parent: DiskImage;
    try {
      parent = await context.openBacking(path.replace(/\\/g, '/'));
    } catch (error) {
      if (isMissing(error, path.replace(/\\/g, '/'))) continue;
      throw error;
    }
    const actual = parent.details['dataWriteGuid'];
    if (typeof actual === 'string' && actual !== info.linkage && actual !== info.linkage2) {
      context.diagnostics.report({
        severity: 'warning',
        code: 'vhdx-parent-linkage-mismatch',
        message: `parent ${path} has DataWriteGuid ${actual}, but the child was made against ${info.linkage ?? '(none)'}`,
        structure: 'VHDX parent locator',
        offset: metadataOffset,
      });
    }
    return parent;
  }
  const shown = info.paths.find((p) => p.key === 'absolute_win32_path') ?? info.paths[0];
  throw new NotFoundError(
    `parent of differencing VHDX not found: ${shown ? shown.path : '(no path recorded)'} (parent_linkage {${info.linkage ?? 'none'}}); tried ${info.paths.map((p) => `${p.key} "${p.path}"`).join(', ') || 'nothing'}`,
    { path: context.filename, kind: PARENT_MISSING, structure: 'VHDX parent locator', parentLinkage: info.linkage, parentPaths: info.paths },
  );
}

/**
 * Whether `error` says that `reference` itself does not exist (try the next path), as opposed
 * to something further down the chain being missing (a grandparent), which must surface as is.
 */
function isMissing(error: unknown, reference: string): boolean {
  if (!(error instanceof NotFoundError) || error.detail.kind === PARENT_MISSING) return false;
  const path = error.detail.path;
  const name = reference.slice(reference.lastIndexOf('/') + 1);
  return path === undefined || path.replace(/\\/g, '/').endsWith(name);
}

// Dotted paths into a rule's evaluation context: "facts.boot.defaultEntry.kernelVersion",
// "item.device.raw", "derived.kernels.0.missing" (a number segment indexes an array). The
// first segment must name one of the context's roots, so a misspelt root in a rule pack is an
// error at load time instead of a condition that is silently never true.

import { CorruptError } from '../errors.js';

/** The roots a path may start with. `item` is the element bound by forEach (or by `some`). */
export const CONTEXT_ROOTS = ['facts', 'target', 'derived', 'item'] as const;
export type ContextRoot = (typeof CONTEXT_ROOTS)[number];

const SEGMENT = /^[A-Za-z0-9_$-]+$/;

/** The segments of a path; CorruptError when it is malformed or its root is unknown. */
export function parsePath(path: string): string[] {
  const parts = path.split('.');
  if (parts.some((p) => !SEGMENT.test(p))) throw new CorruptError(`rule path "${path}" is malformed (dotted names and array indexes only)`, { structure: 'rule path', path });
  if (!(CONTEXT_ROOTS as readonly string[]).includes(parts[0] as string)) {
    throw new CorruptError(`rule path "${path}" starts with "${parts[0]}", not one of ${CONTEXT_ROOTS.join(', ')}`, { structure: 'rule path', path });
  }
  return parts;
}

/** The value at `path`, or undefined when any step along it is missing. */
export function lookupPath(context: Record<string, unknown>, path: string): unknown {
  let node: unknown = context;
  for (const part of parsePath(path)) {
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(part)) return undefined;
      node = node[Number(part)];
    } else if (node !== null && typeof node === 'object') {
      node = Object.prototype.hasOwnProperty.call(node, part) ? (node as Record<string, unknown>)[part] : undefined;
    } else {
      return undefined;
    }
  }
  return node === null ? undefined : node;
}

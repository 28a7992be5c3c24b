// Templates in rule packs: "{path}" placeholders filled from the evaluation context
// ("fstab line {item.line}: {item.from}"). Arrays are joined with ", ", numbers and booleans
// printed as JSON does. A placeholder naming a missing value, or an object, is an error:
// rules are data, and a typo must fail loudly instead of printing "undefined". In patch
// templates a string that is exactly one placeholder keeps the raw value (an array of module
// names stays an array, a size stays a number).

import { CorruptError } from '../errors.js';
import { lookupPath, parsePath } from './paths.js';

const PLACEHOLDER = /\{([A-Za-z0-9_$.-]+)\}/g;
const WHOLE = /^\{([A-Za-z0-9_$.-]+)\}$/;

/** The paths a template string refers to (checked when a pack is loaded). */
export function templatePaths(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/** Problems with a template's placeholders (empty = usable). */
export function checkTemplate(template: string, at: string): string[] {
  const issues: string[] = [];
  for (const path of templatePaths(template)) {
    try {
      parsePath(path);
    } catch (error) {
      issues.push(`${at}: ${(error as Error).message}`);
    }
  }
  return issues;
}

function resolve(context: Record<string, unknown>, path: string, template: string): unknown {
  const value = lookupPath(context, path);
  if (value === undefined) throw new CorruptError(`template "${template}" names {${path}}, which has no value here`, { structure: 'rule template', path });
  return value;
}

function asText(value: unknown, path: string, template: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return value.map(String).join(', ');
  throw new CorruptError(`template "${template}": {${path}} is ${Array.isArray(value) ? 'an array of objects' : 'an object'}, not text`, { structure: 'rule template', path });
}

/** Fills a text template. */
export function renderTemplate(template: string, context: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_whole, path: string) => asText(resolve(context, path, template), path, template));
}

/** Fills a patch template: strings rendered (a lone "{path}" keeps the raw value), containers recursively. */
export function fillTemplate(value: unknown, context: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole !== null) return structuredClone(resolve(context, whole[1] as string, value));
    return renderTemplate(value, context);
  }
  if (Array.isArray(value)) return value.map((v) => fillTemplate(v, context));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fillTemplate(v, context);
    return out;
  }
  return value;
}

// The condition language of rule packs (types.ts `Condition`): boolean combinators (all, any,
// not), tests on one path (exists, nonEmpty, eq, ne, in, match) and `some`, which binds each
// element of an array as `item` while its `where` is evaluated (the outer item is shadowed).
// Pure. checkCondition() validates a condition's structure, paths and regular expressions
// when a pack is loaded; evaluateCondition() assumes a checked condition.

import { CorruptError } from '../errors.js';
import { lookupPath, parsePath } from './paths.js';
import type { Condition } from './types.js';

const OPERATORS = ['all', 'any', 'not', 'exists', 'nonEmpty', 'eq', 'ne', 'in', 'match', 'some', 'true'] as const;

/** Structural equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return jsonEqual(ka, kb) && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

function isNonEmpty(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value as object).length > 0;
  return true;
}

const regexCache = new Map<string, RegExp>();
function regex(source: string): RegExp {
  let re = regexCache.get(source);
  if (re === undefined) regexCache.set(source, (re = new RegExp(source, 'u')));
  return re;
}

/** Returns the problems of one condition (empty = usable); `at` is its JSON pointer. */
export function checkCondition(condition: unknown, at: string): string[] {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return [`${at}: a condition must be an object`];
  const keys = Object.keys(condition);
  if (keys.length !== 1) return [`${at}: a condition has exactly one operator, found ${keys.length === 0 ? 'none' : keys.join(', ')}`];
  const op = keys[0] as string;
  const arg = (condition as Record<string, unknown>)[op];
  const path = (p: unknown, where: string): string[] => {
    if (typeof p !== 'string') return [`${where}: expected a path string`];
    try {
      parsePath(p);
      return [];
    } catch (error) {
      return [`${where}: ${(error as Error).message}`];
    }
  };
  switch (op) {
    case 'all':
    case 'any':
      if (!Array.isArray(arg) || arg.length === 0) return [`${at}/${op}: expected a non-empty array of conditions`];
      return arg.flatMap((c, i) => checkCondition(c, `${at}/${op}/${i}`));
    case 'not':
      return checkCondition(arg, `${at}/not`);
    case 'exists':
    case 'nonEmpty':
      return path(arg, `${at}/${op}`);
    case 'eq':
    case 'ne':
    case 'in':
    case 'match': {
      if (!Array.isArray(arg) || arg.length !== 2) return [`${at}/${op}: expected [path, value]`];
      const issues = path(arg[0], `${at}/${op}/0`);
      if (op === 'in' && !Array.isArray(arg[1])) issues.push(`${at}/in/1: expected an array of values`);
      if (op === 'match') {
        if (typeof arg[1] !== 'string') issues.push(`${at}/match/1: expected a regular expression string`);
        else {
          try {
            regex(arg[1]);
          } catch (error) {
            issues.push(`${at}/match/1: invalid regular expression: ${(error as Error).message}`);
          }
        }
      }
      return issues;
    }
    case 'some': {
      if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) return [`${at}/some: expected { path, where }`];
      const a = arg as Record<string, unknown>;
      const extra = Object.keys(a).filter((k) => k !== 'path' && k !== 'where');
      return [...(extra.length > 0 ? [`${at}/some: unknown key ${extra.join(', ')}`] : []), ...path(a.path, `${at}/some/path`), ...checkCondition(a.where, `${at}/some/where`)];
    }
    case 'true':
      return arg === true ? [] : [`${at}/true: must be true`];
    default:
      return [`${at}: unknown operator "${op}" (known: ${OPERATORS.join(', ')})`];
  }
}

/** Evaluates a checked condition against a context. */
export function evaluateCondition(condition: Condition, context: Record<string, unknown>): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluateCondition(c, context));
  if ('any' in condition) return condition.any.some((c) => evaluateCondition(c, context));
  if ('not' in condition) return !evaluateCondition(condition.not, context);
  if ('exists' in condition) return lookupPath(context, condition.exists) !== undefined;
  if ('nonEmpty' in condition) return isNonEmpty(lookupPath(context, condition.nonEmpty));
  if ('eq' in condition) return jsonEqual(lookupPath(context, condition.eq[0]), condition.eq[1]);
  if ('ne' in condition) return !jsonEqual(lookupPath(context, condition.ne[0]), condition.ne[1]);
  if ('in' in condition) {
    const value = lookupPath(context, condition.in[0]);
    return condition.in[1].some((v) => jsonEqual(value, v));
  }
  if ('match' in condition) {
    const value = lookupPath(context, condition.match[0]);
    return typeof value === 'string' && regex(condition.match[1]).test(value);
  }
  if ('some' in condition) {
    const list = lookupPath(context, condition.some.path);
    if (!Array.isArray(list)) return false;
    return list.some((element) => evaluateCondition(condition.some.where, { ...context, item: element }));
  }
  if ('true' in condition) return true;
  throw new CorruptError(`unknown condition ${JSON.stringify(condition)}`, { structure: 'rule condition' });
}

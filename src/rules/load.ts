// Loading rule packs: the packs shipped in src/rules/packs/*.json plus every *.json in the
// user's directories (`--rules DIR`). Each file is checked against
// schema/rule-pack.schema.json, then for what the schema cannot say: every condition's
// operators, paths and regular expressions, every template's placeholders, outcome and
// patches agreeing, rule ids unique within and across packs. A bad pack is a CorruptError
// naming the file and the JSON pointer of the first problems.
//
// tsc does not copy JSON into dist/, so from dist/rules/ the loader falls back to
// ../../src/rules/ (present in a checkout; see src/data-dir.ts); a published package must ship
// src/rules/{packs,schema}.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateJsonSchema } from '../catalog/json-schema.js';
import { cachedJsonFile, dataDir as areaDataDir, jsonFilesIn } from '../data-dir.js';
import { CorruptError } from '../errors.js';
import { checkCondition } from './condition.js';
import { parsePath } from './paths.js';
import { checkTemplate } from './template.js';
import type { RulePack } from './types.js';

/** Bound on one pack file. */
export const MAX_RULE_PACK_BYTES = 4 * 1024 * 1024;
/** Bound on how many files one directory may contribute. */
export const MAX_RULE_PACK_FILES = 1000;

function dataDir(sub: 'packs' | 'schema'): string {
  return areaDataDir({ moduleUrl: import.meta.url, area: 'rules', sub });
}

/** Directory of the rule packs shipped with rehost. */
export function builtinRulePackDir(): string {
  return dataDir('packs');
}

const schemaFile = cachedJsonFile(() => join(dataDir('schema'), 'rule-pack.schema.json'));

/** The rule-pack JSON Schema (parsed). */
export async function rulePackSchema(): Promise<Record<string, unknown>> {
  return schemaFile();
}

function templateIssues(value: unknown, at: string): string[] {
  if (typeof value === 'string') return checkTemplate(value, at);
  if (Array.isArray(value)) return value.flatMap((v, i) => templateIssues(v, `${at}/${i}`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => templateIssues(v, `${at}/${k}`));
  return [];
}

/** Checks one parsed pack; returns its problems as "pointer: message" (empty = valid). */
export function checkRulePack(schema: Record<string, unknown>, document: unknown): string[] {
  const issues = validateJsonSchema(schema, document).map((i) => `${i.pointer || '/'}: ${i.message}`);
  if (issues.length > 0) return issues;
  const pack = document as RulePack;
  const ids = new Set<string>();
  pack.rules.forEach((rule, i) => {
    const at = `/rules/${i}`;
    if (ids.has(rule.id)) issues.push(`${at}/id: duplicate rule id "${rule.id}"`);
    ids.add(rule.id);
    if (rule.forEach !== undefined) {
      try {
        if (parsePath(rule.forEach)[0] === 'item') issues.push(`${at}/forEach: cannot iterate over item`);
      } catch (error) {
        issues.push(`${at}/forEach: ${(error as Error).message}`);
      }
    }
    issues.push(...checkCondition(rule.when, `${at}/when`));
    issues.push(...checkTemplate(rule.explain, `${at}/explain`));
    if (rule.evidence !== undefined) issues.push(...checkTemplate(rule.evidence, `${at}/evidence`));
    const outcome = rule.outcome ?? (rule.patches !== undefined ? 'patch' : undefined);
    if (outcome === undefined) issues.push(`${at}: a rule without patches needs outcome "cannot" or "advice"`);
    if (outcome === 'patch' && rule.patches === undefined) issues.push(`${at}: outcome "patch" without patches`);
    if (outcome === 'cannot' && rule.patches !== undefined) issues.push(`${at}: outcome "cannot" proposes no patches`);
    (rule.patches ?? []).forEach((patch, j) => issues.push(...templateIssues(patch, `${at}/patches/${j}`)));
  });
  return issues;
}

/** Parses and checks one pack file's bytes; CorruptError naming `path` and the JSON pointers of the problems. */
export function parseRulePack(args: { bytes: Uint8Array; path: string; schema: Record<string, unknown> }): RulePack {
  const { bytes, path, schema } = args;
  if (bytes.length > MAX_RULE_PACK_BYTES) throw new CorruptError(`rule pack of ${bytes.length} bytes is too large`, { structure: 'rule pack', path });
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new CorruptError(`rule pack ${path} is not valid JSON: ${(error as Error).message}`, { structure: 'rule pack', path }, { cause: error });
  }
  const issues = checkRulePack(schema, document);
  if (issues.length > 0) throw new CorruptError(`rule pack ${path} is invalid: ${issues.slice(0, 5).join('; ')}`, { structure: 'rule pack', path, issues });
  return document as RulePack;
}

async function loadFile(path: string, schema: Record<string, unknown>): Promise<RulePack> {
  return parseRulePack({ bytes: await readFile(path), path, schema });
}

async function packFiles(dir: string): Promise<string[]> {
  return jsonFilesIn({ dir, label: 'rules', limit: MAX_RULE_PACK_FILES });
}

export interface LoadRulePacksOptions {
  /** User directories of extra packs (`--rules DIR`), after the built-in ones. */
  dirs?: string[];
  /** Leave out the built-in packs (tests, or a site that replaces them). */
  builtin?: 'include' | 'exclude';
}

/** The built-in packs and those in `dirs`, in that order; rule ids must be unique across all. */
export async function loadRulePacks(options: LoadRulePacksOptions = {}): Promise<RulePack[]> {
  const schema = await rulePackSchema();
  const packs: RulePack[] = [];
  const owners = new Map<string, string>();
  const dirs = [...(options.builtin === 'exclude' ? [] : [builtinRulePackDir()]), ...(options.dirs ?? [])];
  for (const dir of dirs) {
    for (const path of await packFiles(dir)) {
      const pack = await loadFile(path, schema);
      for (const [i, rule] of pack.rules.entries()) {
        const other = owners.get(rule.id);
        if (other !== undefined) throw new CorruptError(`rule id "${rule.id}" in ${path} (/rules/${i}/id) is already defined in ${other}`, { structure: 'rule pack', path });
        owners.set(rule.id, path);
      }
      packs.push(pack);
    }
  }
  return packs;
}

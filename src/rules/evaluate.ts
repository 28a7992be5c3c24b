// evaluate(): rule packs + one evaluation context → the results of every rule that fired.
// Pure and deterministic: packs in the order given, rules in pack order, forEach items in
// array order; no clock, no randomness, no I/O. A rule applies when its `os` matches and its
// `targets` admit the target: absent or "*" admits all, "id" admits that platform and any
// platform based on it (context.targetLineage), "!id" excludes the same way.

import { CorruptError } from '../errors.js';
import { evaluateCondition } from './condition.js';
import { lookupPath } from './paths.js';
import { fillTemplate, renderTemplate } from './template.js';
import type { PlannedPatch, Rule, RulePack, RuleResult } from './types.js';

export interface EvaluationContext {
  os: 'linux' | 'windows';
  facts: unknown;
  /** The target platform (catalog entry). */
  target: { id: string };
  /** The target's id and the ids it is based on, most specific first. */
  targetLineage: string[];
  /** Values computed from facts and target for the rules (see linux-context.ts). */
  derived: Record<string, unknown>;
}

/** Whether a rule's `targets` list admits a target with this lineage. */
export function targetAdmitted(targets: string[] | undefined, lineage: string[]): boolean {
  if (targets === undefined) return true;
  const excluded = targets.filter((t) => t.startsWith('!')).map((t) => t.slice(1));
  if (excluded.some((id) => lineage.includes(id))) return false;
  const included = targets.filter((t) => !t.startsWith('!'));
  if (included.length === 0 || included.includes('*')) return true;
  return included.some((id) => lineage.includes(id));
}

type FieldType = 'string' | 'number' | 'boolean' | 'string[]' | 'object' | 'object[]';

const isObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);

function fieldOk(type: FieldType, v: unknown): boolean {
  if (type === 'string[]') return Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (type === 'object[]') return Array.isArray(v) && v.every(isObject);
  if (type === 'object') return isObject(v);
  return typeof v === type;
}

/** Fields each patch kind must carry after its template is filled, with their JSON type. */
const PATCH_FIELDS: Record<PlannedPatch['kind'], Record<string, FieldType>> = {
  'initramfs-add-modules': { kernel: 'string', initramfs: 'string', generator: 'string', modules: 'string[]', expectSize: 'number' },
  'initramfs-config-modules': { generator: 'string', path: 'string', modules: 'string[]' },
  'table-device': { path: 'string', format: 'string', line: 'number', from: 'string', to: 'string' },
  'kernel-arg-device': { path: 'string', format: 'string', arg: 'string', from: 'string', to: 'string' },
  'remove-file': { path: 'string' },
  'pin-nic-name': { name: 'string', mac: 'string', via: 'string', path: 'string' },
  'disable-service': { service: 'string', via: 'string' },
  'windows-install-driver': {
    systemRoot: 'string', controlSet: 'string', service: 'string', driverSource: 'string', inf: 'string', files: 'object[]', hardwareIds: 'string[]',
    classGuid: 'string', serviceParams: 'object', serviceValues: 'object[]', binding: 'string', arch: 'string',
  },
  'windows-service-start': { systemRoot: 'string', controlSet: 'string', service: 'string', start: 'number', clearStartOverride: 'boolean' },
  'registry-values': { systemRoot: 'string', hive: 'string', key: 'string', values: 'object[]' },
  'copy-file': { from: 'string', to: 'string', sha256: 'string', replace: 'string' },
  'bcd-delete-element': { path: 'string', object: 'string', element: 'string' },
  'windows-class-filter-remove': { systemRoot: 'string', controlSet: 'string', classGuid: 'string', list: 'string', filter: 'string' },
  'windows-firstboot': {
    systemRoot: 'string', controlSet: 'string', systemDrive: 'string', pnputil: 'string', maxRetries: 'number', driverSource: 'string', drivers: 'object[]',
    originalCmdLine: 'object', originalAutoReboot: 'object',
  },
  'windows-firstboot-script': { systemRoot: 'string', name: 'string', action: 'object', driverSource: 'string', files: 'object[]' },
};

function checkPatch(patch: Record<string, unknown>, rule: string): PlannedPatch {
  const kind = patch.kind as PlannedPatch['kind'];
  const fields = PATCH_FIELDS[kind];
  if (fields === undefined) throw new CorruptError(`rule ${rule}: unknown patch kind ${JSON.stringify(patch.kind)}`, { structure: 'rule patch', rule });
  for (const [name, type] of Object.entries({ volume: 'string', precondition: 'string', ...fields })) {
    const v = patch[name];
    const ok = fieldOk(type as FieldType, v);
    if (!ok) throw new CorruptError(`rule ${rule}: ${kind} patch field "${name}" should be ${type}, is ${JSON.stringify(v)}`, { structure: 'rule patch', rule });
  }
  return patch as unknown as PlannedPatch;
}

/** Evidence lines: a template that is exactly "{path}" naming an array of strings gives one line per element. */
function renderEvidence(template: string, scope: Record<string, unknown>): string[] {
  const filled = fillTemplate(template, scope);
  if (Array.isArray(filled) && filled.every((l) => typeof l === 'string')) return filled as string[];
  return [renderTemplate(template, scope)];
}

function items(rule: Rule, scope: Record<string, unknown>): unknown[] {
  if (rule.forEach === undefined) return [undefined];
  const list = lookupPath(scope, rule.forEach);
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new CorruptError(`rule ${rule.id}: forEach ${rule.forEach} is not an array`, { structure: 'rule', rule: rule.id });
  return list;
}

/** One rule against the context: a result per bound item whose condition holds. */
export function evaluateRule(rule: Rule, context: EvaluationContext): RuleResult[] {
  if (rule.os !== 'any' && rule.os !== context.os) return [];
  if (!targetAdmitted(rule.targets, context.targetLineage)) return [];
  const base: Record<string, unknown> = { facts: context.facts, target: context.target, derived: context.derived };
  const out: RuleResult[] = [];
  for (const item of items(rule, base)) {
    const scope = item === undefined ? base : { ...base, item };
    if (!evaluateCondition(rule.when, scope)) continue;
    const outcome = rule.outcome ?? 'patch';
    const patches = (rule.patches ?? []).map((template) => checkPatch({ ...(fillTemplate(template, scope) as Record<string, unknown>), rule: rule.id }, rule.id));
    out.push({
      rule: rule.id,
      title: rule.title,
      severity: rule.severity,
      outcome,
      explanation: renderTemplate(rule.explain, scope),
      evidence: rule.evidence === undefined ? [] : renderEvidence(rule.evidence, scope),
      patches,
    });
  }
  return out;
}

/** Every rule of every pack against one context, in order. */
export function evaluate(args: { packs: RulePack[]; context: EvaluationContext }): RuleResult[] {
  return args.packs.flatMap((pack) => pack.rules.flatMap((rule) => evaluateRule(rule, args.context)));
}

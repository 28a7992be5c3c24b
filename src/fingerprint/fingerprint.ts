// fingerprint(): an Inspection plus the catalog and the chosen targets → per OS: built-for,
// the verdict matrix, activation risk (Windows) and findings. Pure and deterministic: same
// input, same output, in catalog order of the targets.

import { platformById, type Catalog } from '../catalog/index.js';
import type { Inspection, OperatingSystem } from '../inspect/inspect.js';
import { assessActivation } from './activation.js';
import { builtFor, type DescriptorEvidence } from './built-for.js';
import { LINUX_RULES, TARGET_RULES, WINDOWS_RULES } from './findings-rules.js';
import type { Finding, FunctionVerdict, OsFingerprint } from './types.js';
import { platformVerdicts } from './verdicts.js';

export function osName(os: OperatingSystem): string {
  if (os.type === 'windows') {
    const f = os.facts;
    return `${f.productName ?? 'Windows'}${f.displayVersion !== undefined ? ` ${f.displayVersion}` : ''}${f.build !== undefined ? ` (build ${f.build}${f.ubr !== undefined ? `.${f.ubr}` : ''})` : ''}`;
  }
  const d = os.facts.distro as { prettyName?: string; name?: string; id?: string; version?: string };
  return d.prettyName ?? ([d.name ?? d.id ?? 'Linux', d.version].filter((x) => x !== undefined).join(' ') || 'Linux');
}

export function findings(args: { os: OperatingSystem; verdicts: FunctionVerdict[] }): Finding[] {
  const { os, verdicts } = args;
  const out: Finding[] = [];
  const rules = os.type === 'windows' ? WINDOWS_RULES.map((r) => ({ ...r, evidence: r.condition(os.facts) })) : LINUX_RULES.map((r) => ({ ...r, evidence: r.condition(os.facts) }));
  for (const r of rules) if (r.evidence.length > 0) out.push({ id: r.id, severity: r.severity, title: r.title, evidence: r.evidence, advice: r.advice });
  const platforms = [...new Set(verdicts.map((v) => v.platform))];
  for (const rule of TARGET_RULES) {
    if (rule.os !== 'any' && rule.os !== os.type) continue;
    for (const platform of platforms) {
      const evidence = rule.condition(
        verdicts.filter((v) => v.platform === platform),
        os.facts,
      );
      if (evidence.length > 0) out.push({ id: rule.id, severity: rule.severity, title: rule.title, platform, evidence, advice: rule.advice });
    }
  }
  return out;
}

export function fingerprintOs(args: { os: OperatingSystem; catalog: Catalog; targets: string[]; descriptor?: DescriptorEvidence }): OsFingerprint {
  const { os, catalog, targets } = args;
  const built = builtFor({ os, catalog, ...(args.descriptor !== undefined ? { descriptor: args.descriptor } : {}) });
  const verdicts = targets.flatMap((id) => platformVerdicts({ os, platform: platformById(catalog, id) }));
  const result: OsFingerprint = {
    type: os.type,
    root: os.root,
    name: osName(os),
    ...(os.facts.arch !== undefined ? { arch: os.facts.arch } : {}),
    ...(os.facts.hostname !== undefined ? { hostname: os.facts.hostname } : {}),
    builtFor: built,
    verdicts,
    findings: findings({ os, verdicts }),
  };
  if (os.type === 'windows') result.activation = assessActivation({ facts: os.facts, source: built, targets });
  return result;
}

/** Fingerprints every OS of an inspection against the targets (all catalog platforms by default). */
export function fingerprint(args: { inspection: Inspection; catalog: Catalog; targets?: string[]; descriptor?: DescriptorEvidence }): OsFingerprint[] {
  const targets = args.targets ?? args.catalog.platforms.map((p) => p.id);
  for (const t of targets) platformById(args.catalog, t);
  return args.inspection.operatingSystems.map((os) => fingerprintOs({ os, catalog: args.catalog, targets, ...(args.descriptor !== undefined ? { descriptor: args.descriptor } : {}) }));
}

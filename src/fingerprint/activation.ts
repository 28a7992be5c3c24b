// Windows activation risk per target: risk = f(channel, source platform, target platform), the
// rule of conversion-facts.md §f.3 over the channels of §f.1. The channel comes from
// DigitalProductId4's szKeyType when present (Windows 7+), else from the decoded key matched
// against the published GVLK/AVMA tables, the evaluation flag, and, for Windows 10+ with the
// generic Pro/Home key and no volume key type, a digital licence (HWID) — the usual case for
// consumer installs. What cannot be known offline (KMS reachability, days of evaluation left)
// becomes a requirement, never a guess.

import type { WindowsFacts } from '../windows/types.js';
import type { ActivationAssessment, ActivationChannel, ActivationTargetRisk, BuiltFor, Risk } from './types.js';
import { FAMILY_PLATFORMS } from './built-for.js';

/**
 * Microsoft's generic (default) installation keys for Windows 10/11 editions: installs
 * activated by a digital licence keep these. General knowledge (widely published default
 * keys), not from the corpus except VK7JG…, which both Win10 Pro corpus hives carry.
 */
export const GENERIC_DEFAULT_KEYS: Record<string, string> = {
  'VK7JG-NPHTM-C97JM-9MPGT-3V66T': 'Windows 10/11 Pro generic key',
  'YTMG3-N6DKC-DKB77-7M9GH-8HVX7': 'Windows 10/11 Home generic key',
};

/** KMS endpoints of the clouds' licence-included offers (general knowledge, unverified). */
const CLOUD_KMS: Array<{ pattern: RegExp; family: string }> = [
  { pattern: /kms\.core\.windows\.net|azkms\.core\.windows\.net/i, family: 'azure' },
  { pattern: /^169\.254\.169\.25[01]$|amazonaws/i, family: 'aws' },
  { pattern: /kms\.windows\.googlecloud\.com/i, family: 'gce' },
];

const CLOUDS = new Set(['azure', 'aws-nitro', 'aws-xen', 'gce']);

export function activationChannel(facts: WindowsFacts): { channel: ActivationChannel; evidence: string[] } {
  const a = facts.activation;
  const evidence: string[] = [];
  if (a.evaluation || /eval$/i.test(facts.editionId ?? '')) return { channel: 'evaluation', evidence: [`evaluation edition (${facts.editionId ?? 'flag set'})`] };
  if ((a.avma?.length ?? 0) > 0) return { channel: 'avma', evidence: [`installed key is the AVMA key for ${a.avma!.join(', ')}`] };
  const keyType = a.keyType;
  if (keyType !== undefined) evidence.push(`DigitalProductId4 key type ${keyType}`);
  if ((a.gvlk?.length ?? 0) > 0) evidence.push(`installed key is the published GVLK for ${a.gvlk!.join(', ')}`);
  if (/gvlk/i.test(keyType ?? '') || (a.gvlk?.length ?? 0) > 0) return { channel: 'volume-gvlk', evidence };
  if (/mak/i.test(keyType ?? '')) return { channel: 'volume-mak', evidence };
  if (/csvlk/i.test(keyType ?? '')) return { channel: 'volume-csvlk', evidence };
  if (/oem:dm/i.test(keyType ?? '')) return { channel: 'oem-dm', evidence };
  if (/oem:slp/i.test(keyType ?? '')) return { channel: 'oem-slp', evidence };
  if (/oem/i.test(keyType ?? '')) return { channel: 'oem-other', evidence };
  if (/retail/i.test(keyType ?? '')) return { channel: 'retail', evidence };
  const generic = a.productKey !== undefined ? GENERIC_DEFAULT_KEYS[a.productKey] : undefined;
  if (generic !== undefined && (facts.majorVersion ?? 0) >= 10) {
    const oem = a.oemInformation?.Manufacturer;
    const oemNote = oem !== undefined ? [`OEMInformation Manufacturer=${oem}: preinstalled by an OEM, the licence may be an OEM:DM key in the firmware's MSDM table`] : [];
    return { channel: 'digital-licence', evidence: [...evidence, `installed key is the ${generic}: activation is by digital licence (hardware hash) or pending`, ...oemNote] };
  }
  if (a.oemProductId) return { channel: 'oem-other', evidence: [...evidence, `ProductId ${a.productId ?? ''} carries "OEM" (a heuristic for OEM media)`] };
  if (a.oemCertificates.length > 0) return { channel: 'oem-slp', evidence: [...evidence, `OEM certificates ${a.oemCertificates.join(', ')}`] };
  return { channel: 'unknown', evidence: [...evidence, 'no key type, no published key match'] };
}

function familyOf(platform: string | undefined): string | undefined {
  if (platform === undefined) return undefined;
  return Object.entries(FAMILY_PLATFORMS).find(([family, ids]) => family !== 'kvm' && family !== 'xen' && ids.includes(platform))?.[0] ?? platform;
}

export function targetRisk(args: { facts: WindowsFacts; channel: ActivationChannel; source: BuiltFor; target: string }): ActivationTargetRisk {
  const { facts, channel, source, target } = args;
  const a = facts.activation;
  const reasons: string[] = [];
  const requirements: string[] = [];
  const sourceId = source.platform;
  const samePlatform = sourceId !== undefined && sourceId === target;
  let risk: Risk;
  switch (channel) {
    case 'volume-gvlk': {
      risk = 'low';
      reasons.push('KMS client (GVLK): reactivates automatically against a KMS host');
      requirements.push(a.kmsHost !== undefined ? `KMS host ${a.kmsHost}:${a.kmsPort ?? '1688'} reachable from the target` : 'a KMS host discoverable by DNS (_vlmcs._tcp) and reachable on TCP 1688 from the target');
      const cloud = a.kmsHost !== undefined ? CLOUD_KMS.find((c) => c.pattern.test(a.kmsHost!)) : undefined;
      if (cloud !== undefined && !(FAMILY_PLATFORMS[cloud.family] ?? []).includes(target)) {
        risk = 'high';
        reasons.push(`the KMS host ${a.kmsHost} is ${cloud.family}'s licence-included endpoint, unreachable outside that cloud`);
        requirements.push('your own licence (MAK/KMS) on the target');
      }
      if (facts.majorVersion === 6 && facts.minorVersion === 1) requirements.push('Windows 7 volume editions may need a SLIC BIOS marker (error 0xC004F035)');
      break;
    }
    case 'avma':
      if (target.startsWith('hyperv')) {
        risk = 'low';
        reasons.push('AVMA key on a Hyper-V target');
        requirements.push('a Windows Server Datacenter Hyper-V host with the Data Exchange integration service');
      } else {
        risk = 'high';
        reasons.push('AVMA works only on Hyper-V Datacenter hosts');
        requirements.push('install a real product key (MAK, KMS or retail) on the target');
      }
      break;
    case 'volume-mak':
    case 'retail':
      risk = 'medium';
      reasons.push(channel === 'retail' ? 'retail key: a large hardware change asks for reactivation (allowed)' : 'MAK: a hardware change needs reactivation and consumes a MAK count');
      requirements.push('online or phone reactivation after the move');
      break;
    case 'volume-csvlk':
      risk = 'medium';
      reasons.push('KMS host key: 10 activations on 6 machines');
      requirements.push('a spare KMS host key activation');
      break;
    case 'oem-dm':
    case 'oem-slp':
    case 'oem-other':
    case 'digital-licence':
      risk = samePlatform ? 'medium' : 'high';
      reasons.push(
        channel === 'digital-licence'
          ? 'digital licence bound to the hardware hash (SMBIOS identity); a new platform is a new machine'
          : 'OEM licence bound to the firmware (SLIC/MSDM) and not transferable',
      );
      requirements.push(channel === 'digital-licence' ? 'SMBIOS UUID/identity preserved on the target, or a new licence' : 'SLIC/MSDM and SMBIOS passthrough on the target, or a new licence');
      break;
    case 'evaluation':
      risk = 'info';
      reasons.push('evaluation edition: time-limited whatever the hardware; days remaining cannot be read offline');
      requirements.push('check the remaining evaluation period (slmgr /dlv) before moving');
      break;
    default:
      risk = 'medium';
      reasons.push('activation channel not determined offline');
      requirements.push('check slmgr /dlv on the source before moving');
  }
  const sourceFamily = familyOf(sourceId);
  if (sourceId !== undefined && CLOUDS.has(sourceId) && familyOf(target) !== sourceFamily && channel !== 'evaluation') {
    if (risk !== 'high') reasons.push(`leaving ${sourceId}: a cloud licence-included key stays with its cloud`);
    risk = 'high';
    requirements.push('your own licence on the target (cloud licence-included activation does not travel)');
  }
  if (CLOUDS.has(target) && sourceFamily !== familyOf(target) && (channel === 'volume-gvlk' || channel === 'unknown')) {
    requirements.push(`${target} can switch the guest to its licence-included KMS when imported with a licence-included type (not BYOL; client editions are BYOL only)`);
  }
  return { platform: target, risk, reasons, requirements };
}

export function assessActivation(args: { facts: WindowsFacts; source: BuiltFor; targets: string[] }): ActivationAssessment {
  const { channel, evidence } = activationChannel(args.facts);
  return { channel, channelEvidence: evidence, targets: args.targets.map((target) => targetRisk({ facts: args.facts, channel, source: args.source, target })) };
}

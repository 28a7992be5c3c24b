// Shared fast-xml-parser setup for the XML descriptors (VirtualBox, libvirt): attributes kept
// with an "@_" prefix, namespace prefixes dropped, values left as text, and the elements that
// can repeat always returned as arrays so one element and many read alike.

import { XMLParser } from 'fast-xml-parser';
import { CorruptError } from '../errors.js';
import { MAX_DESCRIPTOR_BYTES } from './types.js';

export type XmlNode = Record<string, unknown>;

export function parseXml(xml: string, structure: string, arrays: Set<string>): XmlNode {
  if (xml.length > MAX_DESCRIPTOR_BYTES) throw new CorruptError(`${structure} of ${xml.length} characters is too large`, { structure });
  try {
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@_',
      removeNSPrefix: true,
      parseTagValue: false,
      parseAttributeValue: false,
      processEntities: true,
      isArray: (tagName) => arrays.has(tagName),
    });
    const doc = parser.parse(xml, true) as unknown;
    if (doc === null || typeof doc !== 'object') throw new Error('no document element');
    return doc as XmlNode;
  } catch (error) {
    throw new CorruptError(`${structure} is not well-formed XML: ${(error as Error).message}`, { structure }, { cause: error });
  }
}

export function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return text(value[0]);
  if (typeof value === 'object' && '#text' in (value as XmlNode)) return text((value as XmlNode)['#text']);
  return undefined;
}

export function attr(node: unknown, name: string): string | undefined {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
  return text((node as XmlNode)[`@_${name}`]);
}

export function child(node: unknown, name: string): XmlNode | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const value = (node as XmlNode)[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return { '#text': first };
  return first !== null && typeof first === 'object' ? (first as XmlNode) : first === '' ? {} : undefined;
}

export function children(node: unknown, name: string): XmlNode[] {
  if (node === null || typeof node !== 'object') return [];
  const value = (node as XmlNode)[name];
  if (value === undefined || value === null) return [];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  const out: XmlNode[] = [];
  for (const v of list) {
    if (typeof v === 'string') out.push({ '#text': v });
    else if (v !== null && typeof v === 'object') out.push(v as XmlNode);
  }
  return out;
}

export function integer(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

// Reading XML documents (OVF, VirtualBox, libvirt) as fast-xml-parser trees: attributes kept
// with an "@_" prefix, namespace prefixes dropped, values left as text, elements that may
// repeat always returned as arrays, so one element and many read alike. The accessors never
// throw on a missing or oddly shaped node: descriptors in the wild are often incomplete.

import { createRequire } from 'node:module';
import type { XMLParser as XMLParserType } from 'fast-xml-parser';
import { CorruptError } from '../errors.js';

// Loaded on first use: the parser costs ~30 ms of start-up that every command opening an
// image would otherwise pay, though only OVA and descriptor reading need it.
let parserClass: typeof XMLParserType | undefined;
function xmlParserClass(): typeof XMLParserType {
  parserClass ??= (createRequire(import.meta.url)('fast-xml-parser') as { XMLParser: typeof XMLParserType }).XMLParser;
  return parserClass;
}

export type XmlNode = Record<string, unknown>;

/** Parses `xml`, or CorruptError naming `structure` when it is too large or not well-formed. */
export function parseXml(args: { xml: string; structure: string; arrays: ReadonlySet<string>; maxLength: number }): XmlNode {
  const { xml, structure, arrays, maxLength } = args;
  if (xml.length > maxLength) throw new CorruptError(`${structure} of ${xml.length} characters is too large`, { structure });
  try {
    const XMLParser = xmlParserClass();
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

/** The first child element `name`; a text-only element comes back as { '#text': … }. */
export function child(node: unknown, name: string): XmlNode | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const value = (node as XmlNode)[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first === '' ? {} : { '#text': first };
  return first !== null && typeof first === 'object' ? (first as XmlNode) : undefined;
}

/** Every child element `name`, in document order. */
export function children(node: unknown, name: string): XmlNode[] {
  if (node === null || typeof node !== 'object') return [];
  const value = (node as XmlNode)[name];
  if (value === undefined || value === null) return [];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  const out: XmlNode[] = [];
  // An element with neither attributes nor children comes back as its text.
  for (const v of list) {
    if (typeof v === 'string') out.push({ '#text': v });
    else if (v !== null && typeof v === 'object') out.push(v as XmlNode);
  }
  return out;
}

/** A non-negative decimal integer that is exact as a number, else undefined. */
export function integer(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,16}$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

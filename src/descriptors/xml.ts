// The XML descriptors (VirtualBox, libvirt) read through the shared tree helpers in src/xml,
// with the descriptor size bound.

import { parseXml as parseXmlTree, type XmlNode } from '../xml/index.js';
import { MAX_DESCRIPTOR_BYTES } from './types.js';

export { attr, child, children, integer, text, type XmlNode } from '../xml/index.js';

export function parseXml(xml: string, structure: string, arrays: Set<string>): XmlNode {
  return parseXmlTree({ xml, structure, arrays, maxLength: MAX_DESCRIPTOR_BYTES });
}

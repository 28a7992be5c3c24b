// The default boot entry of a BCD store. A BCD store is a regf hive: Objects\{GUID}\Elements\
// <element type>\Element. The boot manager object is {9dea862c-5cdd-4e70-acc1-f32b344d4795};
// its element 23000003 (BcdBootMgrObject_DefaultObject) names the default OS loader, whose
// elements are 12000004 (description), 12000002 (application path), 22000002 (system root)
// and 11000001/21000001 (application / OS device). Device elements vary in length: 88-byte
// partition devices carry the partition GUID at 32 and the disk GUID at 56 when the dword at
// 16 is 6; "locate" devices (type 8) carry no GUID (corpus windeploy-BCD-efi-locate).

import type { Diagnostics } from '../diagnostics.js';
import { decodeGuid } from '../binary/index.js';
import type { Hive } from '../registry/index.js';
import { findKey, readBinary, readString, type ValueReader } from './values.js';

export const BOOTMGR_OBJECT = '{9dea862c-5cdd-4e70-acc1-f32b344d4795}';

export interface BcdDevice {
  type: number;
  partitionGuid?: string;
  diskGuid?: string;
}

export interface BcdDefaultEntry {
  id: string;
  description?: string;
  path?: string;
  systemRoot?: string;
  applicationDevice?: BcdDevice;
  osDevice?: BcdDevice;
  /** Element 16000046 (graphicsmodedisabled) is set on the entry. */
  graphicsModeDisabled: boolean;
}

/** BcdOSLoaderBoolean_GraphicsModeDisabled. */
export const BCD_GRAPHICS_MODE_DISABLED = '16000046';

export function decodeBcdDevice(bytes: Uint8Array): BcdDevice | undefined {
  if (bytes.length < 20) return undefined;
  const type = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(16, true);
  const device: BcdDevice = { type };
  if (type === 6 && bytes.length >= 72) {
    device.partitionGuid = decodeGuid(bytes, 32);
    device.diskGuid = decodeGuid(bytes, 56);
  }
  return device;
}

/** The default entry, or undefined when the store has no boot manager default. */
export function readBcdDefault(input: { hive: Hive; diagnostics: Diagnostics }): BcdDefaultEntry | undefined {
  const r: ValueReader = { diagnostics: input.diagnostics };
  const objects = findKey(r, input.hive.root(), 'Objects');
  const id = readString(r, findKey(r, objects, `${BOOTMGR_OBJECT}\\Elements\\23000003`), 'Element');
  if (id === undefined) return undefined;
  const elements = findKey(r, objects, `${id}\\Elements`);
  const text = (element: string): string | undefined => readString(r, findKey(r, elements, element), 'Element');
  const device = (element: string): BcdDevice | undefined => {
    const bytes = readBinary(r, findKey(r, elements, element), 'Element');
    return bytes === undefined ? undefined : decodeBcdDevice(bytes);
  };
  return {
    id,
    description: text('12000004'),
    path: text('12000002'),
    systemRoot: text('22000002'),
    applicationDevice: device('11000001'),
    osDevice: device('21000001'),
    graphicsModeDisabled: findKey(r, elements, BCD_GRAPHICS_MODE_DISABLED) !== undefined,
  };
}

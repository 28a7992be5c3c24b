// $OBJECT_ID (0x40): the file's object GUID, optionally followed by birth volume, birth
// object and domain GUIDs (link tracking). Spec: libyal libfsntfs "The object identifier
// attribute".

import { CorruptError } from '../../errors.js';
import { decodeGuid } from '../../binary/guid.js';

export interface ObjectId {
  objectId: string;
  birthVolumeId?: string;
  birthObjectId?: string;
  domainId?: string;
}

const guid = (b: Uint8Array, at: number): string => decodeGuid(b, at);

export function decodeObjectId(value: Uint8Array, origin: number): ObjectId {
  if (value.length < 16) throw new CorruptError(`$OBJECT_ID of ${value.length} bytes is too short`, { structure: 'NTFS $OBJECT_ID', offset: origin });
  const out: ObjectId = { objectId: guid(value, 0) };
  if (value.length >= 64) {
    out.birthVolumeId = guid(value, 16);
    out.birthObjectId = guid(value, 32);
    out.domainId = guid(value, 48);
  }
  return out;
}

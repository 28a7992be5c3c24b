// What a written descriptor says besides its extents: a fresh CID, the disk geometry VMware
// derives from the size, the adapter type and the virtual hardware version, and the extent
// file's own name (the output path, without the temporary suffix the converter adds).

import { SECTOR } from './sparse-header.js';

export type AdapterType = 'ide' | 'lsilogic';

/** A random content id; VMware changes it on every write so children can detect a changed parent. */
export function newCid(): number {
  const value = new Uint32Array(1);
  crypto.getRandomValues(value);
  // 0xffffffff means "no parent" in parentCID; never use it as a CID.
  return (value[0] as number) === 0xffffffff ? 0xfffffffe : (value[0] as number);
}

/** ddb entries in the order qemu-img and VMware write them. */
export function diskDatabase(args: { size: number; adapterType: AdapterType }): Record<string, string> {
  const sectors = Math.ceil(args.size / SECTOR);
  // IDE geometry uses 16 heads (cylinders capped at 16383); SCSI uses 255 heads.
  const heads = args.adapterType === 'ide' ? 16 : 255;
  const cylinders = Math.max(1, Math.min(args.adapterType === 'ide' ? 16383 : 65535, Math.floor(sectors / (heads * 63))));
  return {
    virtualHWVersion: '4',
    'geometry.cylinders': String(cylinders),
    'geometry.heads': String(heads),
    'geometry.sectors': '63',
    adapterType: args.adapterType,
  };
}

/** The name the descriptor gives the extent file: the output's base name. */
export function extentFileName(output: object): string {
  const path = (output as { path?: unknown }).path;
  if (typeof path !== 'string' || path === '') return 'disk.vmdk';
  const base = path.split(/[\\/]/).pop() as string;
  // writeImageFile writes to "<name>.partial-<pid>" and renames it when complete.
  return base.replace(/\.partial-\d+$/, '');
}

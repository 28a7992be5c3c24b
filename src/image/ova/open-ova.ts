// Opening one disk of an OVA as a DiskImage: the disk's bytes inside the archive are probed
// like any image file (a streamOptimized VMDK once that format is registered; raw works too),
// and the package's OVF summary is attached to the image's details. The probe function is
// passed in so this folder does not depend on the format registry.

import type { BlockDevice } from '../../io/block-device.js';
import type { DiskImage, ImageFormat, OpenContext } from '../types.js';
import { ovaDiskDevice, ovaSummary, readOvaPackage } from './package.js';

export async function openOvaImage(args: {
  file: BlockDevice;
  context: OpenContext;
  /** Disk index in DiskSection order. */
  disk: number;
  probeFormat: (file: BlockDevice) => Promise<ImageFormat>;
}): Promise<DiskImage> {
  const { file, context, disk } = args;
  const pkg = await readOvaPackage(file);
  const device = await ovaDiskDevice(pkg, disk);
  const format = await args.probeFormat(device);
  const member = pkg.disks[disk]?.fileName ?? '';
  const inner = await format.open(device, { ...context, filename: `${context.filename}/${member}` });
  return {
    format: inner.format,
    subformat: inner.subformat,
    device: inner.device,
    virtualSize: inner.virtualSize,
    filename: context.filename,
    backing: inner.backing,
    backingFilename: inner.backingFilename,
    files: [context.filename],
    details: { ...inner.details, container: 'ova', member, disk, ova: ovaSummary(pkg) },
    close: () => inner.close(),
  };
}

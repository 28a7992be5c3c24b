// OVF descriptors, read by src/image/ova's parseOvf and mapped onto VmDescription. An IDE
// drive's slot is the controller's Address × 2 + AddressOnParent (channel × 2 + unit, as
// virt-v2v numbers .vmx IDE slots); virt-v2v's own OVF reader uses AddressOnParent alone
// (parse_ovf_from_ova.ml), which we keep as `unit`.
// Disk files come from the DiskSection → References chain (HostResource ovf:/disk/<id> →
// Disk@fileRef → File@href).

import { parseOvf, type OvfDescriptor } from '../image/ova/index.js';
import type { DiskBus, VmDescription, VmDisk, VmNic } from './types.js';

function busOf(kind: string | undefined): DiskBus {
  switch (kind) {
    case 'ide': case 'scsi': case 'sata': case 'nvme': return kind;
    default: return 'other';
  }
}

export function looksLikeOvf(text: string): boolean {
  return /<(?:\w+:)?Envelope[\s>]/.test(text.slice(0, 65536)) && /VirtualSystem/.test(text);
}

/** Describes an OVF descriptor's first virtual system. */
export function describeOvf(xml: string): VmDescription {
  return describeParsedOvf(parseOvf(xml));
}

export function describeParsedOvf(ovf: OvfDescriptor): VmDescription {
  const notes: string[] = [];
  if (ovf.virtualSystemCount > 1) notes.push(`the envelope holds ${ovf.virtualSystemCount} virtual systems; only the first is described`);
  const controllers = ovf.controllers.map((c) => ({ id: c.instanceId, bus: busOf(c.kind), model: c.subtype }));
  const byId = new Map(ovf.controllers.map((c) => [c.instanceId, c]));
  const fileOfDisk = new Map(ovf.disks.map((d) => [d.diskId, ovf.files.find((f) => f.id === d.fileRef)?.href]));
  const disks: VmDisk[] = ovf.drives.map((d) => {
    const ctl = d.controllerId !== undefined ? byId.get(d.controllerId) : undefined;
    const bus = busOf(d.controller);
    const ctlAddress = ctl?.address !== undefined && /^\d+$/.test(ctl.address) ? Number(ctl.address) : undefined;
    const unit = d.addressOnParent ?? 0;
    return {
      controller: d.controllerId ?? '',
      bus,
      slot: bus === 'ide' ? (ctlAddress ?? 0) * 2 + unit : unit,
      unit,
      controllerIndex: ctlAddress,
      file: d.diskId !== undefined ? fileOfDisk.get(d.diskId) : undefined,
      deviceType: d.kind,
      rawType: d.kind,
    };
  });
  const nics: VmNic[] = ovf.nics.map((n) => ({ model: n.model?.toLowerCase(), mac: n.mac?.toLowerCase(), network: n.connection, networkType: 'bridge' }));
  return {
    source: 'ovf',
    name: ovf.name ?? '',
    guestOs: ovf.os?.osType ?? ovf.os?.description,
    firmware: ovf.firmware,
    memoryMiB: ovf.memoryBytes !== undefined ? Math.round(ovf.memoryBytes / 2 ** 20) : undefined,
    cpus: ovf.cpus,
    controllers,
    disks,
    nics,
    notes,
  };
}

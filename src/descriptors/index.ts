// VM descriptors: the virtual hardware a guest was given, from VMware .vmx, OVF, VirtualBox
// .vbox, libvirt domain XML, and (recognised only) Hyper-V .vmcx.

export type { VmDescription, VmController, VmDisk, VmNic, DiskBus, DescriptorSource } from './types.js';
export { MAX_DESCRIPTOR_BYTES } from './types.js';
export { describeDescriptor, detectDescriptor, readVmDescription } from './read.js';
export { parseVmx, describeVmx, vmxGenid, looksLikeVmx, MAX_VMX_LINES } from './vmx.js';
export { describeVbox, looksLikeVbox, MAX_VBOX_MEDIA } from './vbox.js';
export { describeLibvirt, looksLikeLibvirt } from './libvirt.js';
export { describeOvf, describeParsedOvf, looksLikeOvf } from './ovf.js';
export { describeVmcx, looksLikeVmcx, VMCX_HEADER, VMCX_SIGNATURE } from './vmcx.js';
export { normaliseMac } from './mac.js';
export { matchDescription } from './match.js';
export type { DescriptionMatch, DescribedDevice } from './match.js';

// OVF descriptors and OVA packages for tests: the VMware-style descriptor the OVA reader's tests
// and the audit fleet both package (test/image/ova.test.ts, test/audit/fleet.ts).

import { run } from './tools.js';

export const STREAM = 'http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized';

export interface DiskSpec {
  id: string;
  href: string;
  capacityGiB?: number;
  capacityMiB?: number;
  capacityBytes?: number;
  format: string;
  compression?: string;
  controller: number;
  address: number;
}

/** A VMware-style descriptor (modelled on the ESXi exports in the corpus); `sizes` (file name →
 * bytes) gives each File its ovf:size. A disk's capacity is in bytes, MiB or GiB. A CD/DVD drive
 * (a disk-like item of its own) is there unless `cdrom` is false. */
export function vmwareOvf(options: { name: string; disks: DiskSpec[]; firmware: 'bios' | 'efi'; sizes?: Record<string, number>; cdrom?: boolean }): string {
  const cdrom =
    options.cdrom === false
      ? ''
      : `      <Item ovf:required="false">
        <rasd:AddressOnParent>1</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>false</rasd:AutomaticAllocation>
        <rasd:ElementName>CD/DVD drive 1</rasd:ElementName>
        <rasd:InstanceID>8</rasd:InstanceID>
        <rasd:Parent>4</rasd:Parent>
        <rasd:ResourceSubType>vmware.cdrom.remotepassthrough</rasd:ResourceSubType>
        <rasd:ResourceType>15</rasd:ResourceType>
      </Item>
`;
  const files = options.disks.map((d, i) => `    <File ovf:href="${d.href}" ovf:id="file${i + 1}"${options.sizes ? ` ovf:size="${options.sizes[d.href]}"` : ''}${d.compression ? ` ovf:compression="${d.compression}"` : ''}/>`).join('\n');
  const disks = options.disks
    .map((d, i) => {
      const capacity =
        d.capacityBytes !== undefined
          ? `ovf:capacity="${d.capacityBytes}"`
          : d.capacityMiB !== undefined
            ? `ovf:capacity="${d.capacityMiB}" ovf:capacityAllocationUnits="byte * 2^20"`
            : `ovf:capacity="${d.capacityGiB}" ovf:capacityAllocationUnits="byte * 2^30"`;
      return `    <Disk ${capacity} ovf:diskId="${d.id}" ovf:fileRef="file${i + 1}" ovf:format="${d.format}"/>`;
    })
    .join('\n');
  const diskItems = options.disks
    .map(
      (d, i) => `      <Item>
        <rasd:AddressOnParent>${d.address}</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk ${i + 1}</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/${d.id}</rasd:HostResource>
        <rasd:InstanceID>${20 + i}</rasd:InstanceID>
        <rasd:Parent>${d.controller}</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<Envelope vmw:buildId="build-1750787" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
${files}
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
${disks}
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="VM Network"><Description>The VM Network network</Description></Network>
  </NetworkSection>
  <VirtualSystem ovf:id="${options.name}">
    <Info>A virtual machine</Info>
    <Name>${options.name}</Name>
    <OperatingSystemSection ovf:id="101" vmw:osType="debian10_64Guest">
      <Info>The kind of installed guest operating system</Info>
      <Description>Debian GNU/Linux 10 (64-bit)</Description>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>${options.name}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-14</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:ElementName>2 virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>2</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:ElementName>4096MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>4096</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:ElementName>SCSI controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:ElementName>SATA controller 0</rasd:ElementName>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:ResourceSubType>vmware.sata.ahci</rasd:ResourceSubType>
        <rasd:ResourceType>20</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:ElementName>IDE 0</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceType>5</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:ElementName>SCSI controller 1</rasd:ElementName>
        <rasd:InstanceID>6</rasd:InstanceID>
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
${cdrom}${diskItems}
      <Item>
        <rasd:Address>00:50:56:ab:cd:ef</rasd:Address>
        <rasd:AddressOnParent>7</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>VM Network</rasd:Connection>
        <rasd:Description>VmxNet3 ethernet adapter on &quot;VM Network&quot;</rasd:Description>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>30</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:Address>00:50:56:00:00:01</rasd:Address>
        <rasd:Connection>VM Network</rasd:Connection>
        <rasd:ElementName>Network adapter 2</rasd:ElementName>
        <rasd:InstanceID>31</rasd:InstanceID>
        <rasd:ResourceSubType>E1000</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
      <vmw:Config ovf:required="false" vmw:key="cpuHotAddEnabled" vmw:value="false"/>
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="${options.firmware}"/>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`;
}

/** Packs `members` (paths relative to `dir`, in that order) into the OVA `ova` with GNU tar. */
export function packOva(ova: string, dir: string, members: string[], tarFormat: 'ustar' | 'gnu' | 'pax' = 'ustar'): void {
  run('tar', [`--format=${tarFormat}`, '-cf', ova, '-C', dir, ...members]);
}

// The golden view of WindowsFacts: the whole object except the three long lists, which are
// cut to what a reviewer can read — services that matter for storage, network and guest tools
// (plus counts), driver bindings for virtual-hardware vendors and buses, and every Enum
// device with its id, service and first hardware id.

import type { WindowsFacts } from '../../src/windows/index.js';

const INTERESTING_SERVICES = /^(disk|storahci|msahci|stornvme|pvscsi|vmbus|storvsc|storflt|netvsc|intelide|atapi|pciide|lsi_sas|lsi_scsi|iastorv|viostor|vioscsi|netkvm|xenbus|xenvbd|xennet|vmxnet3ndis6|vmxnet|e1g60|e1iexpress|vmci|vmtools|vmhgfs|vm3dmp|vmmouse|vmrawdsk|vboxguest|tcpip|ntfs|mountmgr|partmgr|volmgr|fvevol|vmic\w+)$/i;
const INTERESTING_VENDORS = new Set(['15AD', '1AF4', '1B36', '1414', '5853', '80EE', '1D0F', '1AE0']);

export function goldenView(facts: WindowsFacts): unknown {
  const { services, driverBindings, devices, ...rest } = facts;
  return {
    ...rest,
    serviceCount: services.length,
    servicesWithStartOverride: services.filter((s) => s.startOverride !== undefined).map((s) => ({ name: s.name, startOverride: s.startOverride })),
    services: services.filter((s) => INTERESTING_SERVICES.test(s.name)),
    driverBindingCount: { total: driverBindings.length, criticalDeviceDatabase: driverBindings.filter((b) => b.source === 'CriticalDeviceDatabase').length },
    driverBindings: driverBindings
      .filter((b) => (b.vendor !== undefined && INTERESTING_VENDORS.has(b.vendor) && b.bus === 'PCI') || b.bus === 'VMBUS')
      .map((b) => ({ source: b.source, id: b.id, infs: b.infs, packages: b.packages, services: b.services })),
    deviceCount: devices.length,
    devices: devices.map((d) => ({ id: d.id, instance: d.instance, service: d.service, hardwareId: d.hardwareIds[0], description: d.description, lastArrival: d.lastArrival })),
  };
}

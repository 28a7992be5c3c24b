// DATA, not logic: how hypervisor guest tools, cloud agents and antivirus show themselves in
// an offline Windows registry. Matching is case-insensitive: `services` are exact service key
// names under <CCS>\Services, `displayNames` are regular expressions over Uninstall DisplayName,
// `softwareKeys` are key paths under SOFTWARE whose presence is evidence.
// Sources: shared/reference/conversion-facts.md §a.2 (virt-v2v: "VMware Tools", "Parallels
// Tools", "Virtuozzo Tools", RH Xen PV uninstall entry), §c.2 (libguestfs antivirus patterns),
// §g.2 (per-hypervisor service names; those marked † there are unverified and marked
// `verified: false` here). Service names that Windows ships inbox (vmbus, storvsc, netvsc,
// vmic*, vmci/vmmouse on some releases) are deliberately NOT evidence of installed tools.

export interface ToolPattern {
  id: string;
  name: string;
  platform: string;
  services: string[];
  displayNames: string[];
  softwareKeys: string[];
  /** False when some names come from the † (unverified) rows of conversion-facts §g. */
  verified: boolean;
}

export const HYPERVISOR_TOOLS: ToolPattern[] = [
  {
    id: 'vmware-tools', name: 'VMware Tools', platform: 'vmware', verified: true,
    services: ['VMTools', 'VGAuthService', 'vmvss', 'vmhgfs', 'vmmemctl', 'vmrawdsk', 'vm3dmp', 'vmusbmouse', 'VMwareCertService'],
    displayNames: ['VMware Tools'],
    softwareKeys: ['VMware, Inc.\\VMware Tools'],
  },
  {
    id: 'hyperv-integration', name: 'Hyper-V Integration Services (installed package)', platform: 'hyperv', verified: false,
    services: [],
    displayNames: ['Hyper-V Integration Services', 'Microsoft Hyper-V Guest Components'],
    softwareKeys: [],
  },
  {
    id: 'virtualpc-additions', name: 'Virtual PC / Virtual Server Additions', platform: 'virtualpc', verified: false,
    services: ['vpcbus', 'vpc-s3', 'vpcuhub', 'msvmmouf'],
    displayNames: ['Virtual Machine Additions'],
    softwareKeys: ['Microsoft\\Virtual Machine\\Guest'],
  },
  {
    id: 'virtio-win', name: 'VirtIO drivers / QEMU guest agent', platform: 'kvm', verified: true,
    services: ['viostor', 'vioscsi', 'netkvm', 'balloon', 'vioser', 'viorng', 'viofs', 'vioinput', 'QEMU-GA', 'qemu-ga'],
    displayNames: ['virtio-win', 'QEMU guest agent', 'Red Hat VirtIO', 'QEMU-GA'],
    softwareKeys: ['RedHat\\Virtio-Win'],
  },
  {
    id: 'xen-pv', name: 'Xen PV drivers (Citrix / XCP-ng / AWS PV / Red Hat)', platform: 'xen', verified: false,
    services: ['xenbus', 'xenfilt', 'xenvbd', 'xenvif', 'xennet', 'xeniface', 'xenhid', 'rhelscsi'],
    displayNames: ['Citrix XenServer', 'XenServer VM Tools', 'XCP-ng', 'Red Hat Paravirtualized Xen Drivers', 'AWS PV Drivers', 'Citrix Xen Windows'],
    softwareKeys: ['Citrix\\XenTools', 'Amazon\\Xentools'],
  },
  {
    id: 'virtualbox-additions', name: 'VirtualBox Guest Additions', platform: 'virtualbox', verified: false,
    services: ['VBoxGuest', 'VBoxService', 'VBoxSF', 'VBoxMouse', 'VBoxWddm', 'VBoxVideo'],
    displayNames: ['VirtualBox Guest Additions'],
    softwareKeys: ['Oracle\\VirtualBox Guest Additions'],
  },
  {
    id: 'parallels-tools', name: 'Parallels / Virtuozzo Tools', platform: 'parallels', verified: true,
    services: [],
    displayNames: ['Parallels Tools', 'Virtuozzo Tools'],
    softwareKeys: [],
  },
  {
    id: 'aws-agents', name: 'AWS (EC2Config / EC2Launch / SSM / ENA / NVMe)', platform: 'aws', verified: false,
    services: ['EC2Config', 'AmazonSSMAgent', 'ena'],
    displayNames: ['EC2ConfigService', 'Amazon EC2Launch', 'Amazon SSM Agent', 'AWS NVMe', 'Amazon Elastic Network Adapter', 'AWS PV Drivers'],
    softwareKeys: ['Amazon\\EC2ConfigService', 'Amazon\\EC2Launch', 'Amazon\\MachineImage'],
  },
  {
    id: 'azure-agent', name: 'Azure VM agent', platform: 'azure', verified: false,
    services: ['WindowsAzureGuestAgent', 'RdAgent', 'WindowsAzureTelemetryService'],
    displayNames: ['Windows Azure VM Agent', 'Azure VM Agent'],
    softwareKeys: ['Microsoft\\Windows Azure'],
  },
  {
    id: 'gce-agent', name: 'Google Compute Engine guest environment', platform: 'gce', verified: false,
    services: ['GCEAgent', 'google_osconfig_agent', 'gvnic'],
    displayNames: ['Google Compute Engine', 'google-compute-engine'],
    softwareKeys: ['Google\\ComputeEngine'],
  },
];

/** libguestfs's antivirus classification (inspect-apps.c), over name, DisplayName, Publisher. */
export const ANTIVIRUS_PATTERNS: string[] = ['virus', 'kaspersky', 'mcafee', 'norton', 'sophos', 'ApexOneNT', 'avg technologies'];

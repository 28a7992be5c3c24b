// Data only: how each hypervisor's guest tools and cloud agents show up in an installed Linux
// guest. A tool is detected when any of its package names is installed, or any of its marker
// paths exists (tarball installs leave no package). Sources: the packages' file lists in
// Debian/Fedora/SUSE (open-vm-tools, hyperv-daemons, walinuxagent, qemu-guest-agent,
// xe-guest-utilities, virtualbox-guest-utils, amazon-ssm-agent, google-guest-agent,
// cloud-init) and virt-v2v's convert_linux.ml for the VMware Tools / VBox tarball markers.

export interface GuestToolPattern {
  id: string;
  /** Hypervisor or cloud the tool belongs to (catalog platform family). */
  hypervisor: 'vmware' | 'hyperv' | 'azure' | 'kvm' | 'xen' | 'virtualbox' | 'aws' | 'gce' | 'parallels' | 'cloud';
  name: string;
  packages: string[];
  paths: string[];
}

export const GUEST_TOOL_PATTERNS: GuestToolPattern[] = [
  {
    id: 'open-vm-tools',
    hypervisor: 'vmware',
    name: 'open-vm-tools',
    packages: ['open-vm-tools', 'open-vm-tools-desktop', 'open-vm-tools-sdmp'],
    paths: ['/usr/bin/vmtoolsd', '/lib/systemd/system/open-vm-tools.service', '/usr/lib/systemd/system/vmtoolsd.service'],
  },
  {
    id: 'vmware-tools-tarball',
    hypervisor: 'vmware',
    name: 'VMware Tools (tarball install)',
    packages: ['VMwareTools', 'vmware-tools-core', 'vmware-tools-esx-nox', 'kmod-vmware-tools-vmxnet3'],
    paths: ['/etc/vmware-tools/locations', '/usr/bin/vmware-uninstall-tools.pl', '/etc/init.d/vmware-tools'],
  },
  {
    id: 'hyperv-daemons',
    hypervisor: 'hyperv',
    name: 'Hyper-V daemons (KVP, VSS, file copy)',
    packages: ['hyperv-daemons', 'hypervkvpd', 'hyperv-daemons-license', 'hv-kvp-daemon-init', 'linux-cloud-tools-common'],
    paths: ['/usr/sbin/hv_kvp_daemon', '/usr/sbin/hypervkvpd', '/usr/lib/systemd/system/hypervkvpd.service'],
  },
  {
    id: 'walinuxagent',
    hypervisor: 'azure',
    name: 'Azure Linux Agent (WALinuxAgent)',
    packages: ['walinuxagent', 'WALinuxAgent', 'python-azure-agent'],
    paths: ['/usr/sbin/waagent', '/etc/waagent.conf'],
  },
  {
    id: 'qemu-guest-agent',
    hypervisor: 'kvm',
    name: 'QEMU guest agent',
    packages: ['qemu-guest-agent'],
    paths: ['/usr/sbin/qemu-ga', '/usr/bin/qemu-ga'],
  },
  {
    id: 'xe-guest-utilities',
    hypervisor: 'xen',
    name: 'XenServer/XCP-ng guest utilities',
    packages: ['xe-guest-utilities', 'xe-guest-utilities-xenstore', 'xen-tools'],
    paths: ['/usr/sbin/xe-daemon', '/usr/sbin/xe-linux-distribution'],
  },
  {
    id: 'virtualbox-guest-additions',
    hypervisor: 'virtualbox',
    name: 'VirtualBox Guest Additions',
    packages: ['virtualbox-guest-utils', 'virtualbox-guest-additions', 'virtualbox-guest-x11', 'virtualbox-guest-dkms'],
    paths: ['/var/lib/VBoxGuestAdditions/config', '/usr/sbin/VBoxService', '/opt/VBoxGuestAdditions'],
  },
  {
    id: 'parallels-tools',
    hypervisor: 'parallels',
    name: 'Parallels Tools',
    packages: ['parallels-tools'],
    paths: ['/usr/lib/parallels-tools/install'],
  },
  {
    id: 'amazon-ssm-agent',
    hypervisor: 'aws',
    name: 'Amazon SSM Agent',
    packages: ['amazon-ssm-agent'],
    paths: ['/usr/bin/amazon-ssm-agent', '/snap/amazon-ssm-agent'],
  },
  {
    id: 'google-guest-agent',
    hypervisor: 'gce',
    name: 'Google guest agent',
    packages: ['google-guest-agent', 'google-compute-engine', 'google-compute-engine-oslogin'],
    paths: ['/usr/bin/google_guest_agent'],
  },
  {
    id: 'cloud-init',
    hypervisor: 'cloud',
    name: 'cloud-init',
    packages: ['cloud-init'],
    paths: ['/usr/bin/cloud-init', '/etc/cloud/cloud.cfg'],
  },
];

// WindowsFacts: everything Windows inspection learned about one guest, as one
// JSON-serialisable object (no bigint, no Uint8Array, no class instances). Absent facts are
// undefined (dropped by JSON.stringify); lists are always present, possibly empty.

export interface ServiceFacts {
  name: string;
  start?: number;
  type?: number;
  group?: string;
  imagePath?: string;
  errorControl?: number;
  /** StartOverride subkey values (name → DWORD), when the key exists. */
  startOverride?: Record<string, number>;
  /** The image resolved to a path on the system volume, when it lives there. */
  file?: string;
  /** Whether that file exists on the volume (undefined when it could not be resolved). */
  fileExists?: boolean;
}

export interface ClassFilters {
  classGuid: string;
  className?: string;
  upperFilters: string[];
  lowerFilters: string[];
}

export interface DeviceId {
  /** As stored, e.g. "PCI\\VEN_15AD&DEV_07C0". */
  id: string;
  bus: string;
  vendor?: string;
  device?: string;
  subsystem?: string;
  revision?: string;
  /** VMBus interface GUID / ACPI id / USB VID_PID when the bus uses one. */
  other?: string;
}

export interface DriverBinding extends DeviceId {
  source: 'CriticalDeviceDatabase' | 'DriverDatabase';
  infs: string[];
  /** Driver store packages the INFs resolve to (DriverInfFiles\\<inf>\\Active), e.g. "pvscsi.inf_amd64_b0d5…". */
  packages: string[];
  services: string[];
  classGuid?: string;
}

export interface DeviceInstance extends DeviceId {
  instance: string;
  hardwareIds: string[];
  service?: string;
  classGuid?: string;
  description?: string;
  /** The instance key's last-written time (ISO), a hint of when the device was last set up. */
  lastWritten?: string;
  /** DEVPKEY_Device_FirstInstallDate / LastArrivalDate (Windows 8+), ISO. */
  firstInstall?: string;
  lastArrival?: string;
}

export interface MachineIdentity {
  configId: string;
  systemManufacturer?: string;
  systemProductName?: string;
  systemVersion?: string;
  biosVendor?: string;
  biosVersion?: string;
  biosReleaseDate?: string;
}

export interface InstalledApplication {
  key: string;
  view: 'native' | 'wow6432';
  displayName: string;
  displayVersion?: string;
  publisher?: string;
  installLocation?: string;
  uninstallString?: string;
  antivirus: boolean;
}

export interface DetectedTool {
  id: string;
  name: string;
  platform: string;
  evidence: string[];
  verified: boolean;
}

export interface NetworkAdapter {
  classKey: string;
  netCfgInstanceId?: string;
  driverDesc?: string;
  componentId?: string;
  service?: string;
  networkAddress?: string;
  connectionName?: string;
  tcpip?: TcpipInterface;
}

export interface TcpipInterface {
  interfaceId: string;
  dhcp?: boolean;
  ipAddresses: string[];
  subnetMasks: string[];
  gateways: string[];
  nameServers: string[];
  dhcpIpAddress?: string;
  domain?: string;
}

export interface ActivationFacts {
  productType?: string;
  productSuite?: string[];
  osProductPfn?: string;
  osProductContentId?: string;
  productId?: string;
  /** From DigitalProductId. */
  productKey?: string;
  sku?: string;
  /** From DigitalProductId4. */
  keyType?: string;
  editionType?: string;
  activationId?: string;
  dpid4ProductKey?: string;
  /** The decoded key matched a published table. */
  gvlk?: string[];
  avma?: string[];
  kmsHost?: string;
  kmsPort?: string;
  evaluation: boolean;
  oemInformation?: Record<string, string>;
  oemCertificates: string[];
  /** "OEM" in ProductId (a heuristic for OEM media on old releases, not proof). */
  oemProductId: boolean;
  licensingStores: string[];
}

export interface UnsafeState {
  volumeState?: string;
  hibernationSignature?: string;
  hiberbootEnabled?: boolean;
  bitlocker: boolean;
  pendingFileRenameOperations: string[];
  hiveLogs: Record<string, string>;
}

export interface DriveLetter {
  letter: string;
  kind: 'mbr' | 'gpt' | 'other';
  mbrSignature?: string;
  partitionOffset?: number;
  partitionGuid?: string;
  /** Volume id (p1, p2, …) when matched against the disk given to inspect. */
  volume?: string;
}

export interface FileDigest {
  sha256: string;
  size: number;
}

export interface BootFacts {
  firmware: 'bios' | 'uefi' | 'unknown';
  bcdPath?: string;
  /** graphicsModeDisabled: the entry has element 16000046 (virt-v2v deletes it on UEFI guests). */
  defaultEntry?: { id: string; description?: string; path?: string; systemRoot?: string; graphicsModeDisabled?: boolean };
  /** The EFI System Partition, when it was read: Windows Boot Manager and the removable-media fallback loaders. */
  esp?: {
    volume: string;
    /** \EFI\Microsoft\Boot\bootmgfw.efi. */
    bootmgfw?: FileDigest;
    /** \EFI\Boot\BOOT*.EFI by upper-case name (BOOTX64.EFI, BOOTIA32.EFI, BOOTAA64.EFI). */
    fallback: Record<string, FileDigest>;
  };
}

export interface WindowsFacts {
  os: 'windows';
  systemRoot: string;
  arch?: string;
  productName?: string;
  editionId?: string;
  compositionEditionId?: string;
  installationType?: string;
  currentVersion?: string;
  majorVersion?: number;
  minorVersion?: number;
  build?: number;
  ubr?: number;
  displayVersion?: string;
  /** winxp, win7, win10, win11, win2k19 …, by the libguestfs mapping. */
  osinfo?: string;
  controlSet?: string;
  hostname?: string;
  timeZone?: string;
  realTimeIsUniversal: boolean;
  machine?: MachineIdentity;
  services: ServiceFacts[];
  classFilters: ClassFilters[];
  driverBindings: DriverBinding[];
  devices: DeviceInstance[];
  applications: InstalledApplication[];
  tools: DetectedTool[];
  defenderEnabled?: boolean;
  groupPolicies: string[];
  deviceInstallRestrictions?: Record<string, number | string>;
  network: NetworkAdapter[];
  activation: ActivationFacts;
  unsafe: UnsafeState;
  driveLetters: DriveLetter[];
  boot?: BootFacts;
}

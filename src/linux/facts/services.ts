// Which services the guest has switched off or on, as far as the files say without running
// systemctl: units masked by the administrator (systemctl mask: /etc/systemd/system/<unit>
// is a symlink to /dev/null, systemctl(1)) and sysv init scripts started in a multi-user
// runlevel (S<NN><name> links in /etc/rc[2-5].d, as update-rc.d and chkconfig make them).
// Also the device caches virt-v2v deletes on conversion (conversion-facts.md §b.5): blkid's
// cache (blkid(8): /etc/blkid.tab, /etc/blkid/blkid.tab, and the .old copy) and LVM's old
// /etc/lvm/cache/.cache.

import type { GuestFs } from './guest-fs.js';

export interface ServiceFacts {
  /** Masked unit names ('vboxadd.service'), sorted. */
  masked: string[];
  /** sysv service names with a start link in runlevel 2, 3, 4 or 5, sorted. */
  sysvStart: string[];
}

export const DEVICE_CACHE_FILES = ['/etc/blkid.tab', '/etc/blkid.tab.old', '/etc/blkid/blkid.tab', '/etc/blkid/blkid.tab.old', '/etc/lvm/cache/.cache'];

export async function readServices(guest: GuestFs): Promise<ServiceFacts> {
  const masked: string[] = [];
  for (const entry of await guest.list('/etc/systemd/system')) {
    if (entry.type !== 'symlink') continue;
    if ((await guest.readlink(`/etc/systemd/system/${entry.name}`)) === '/dev/null') masked.push(entry.name);
  }
  const started = new Set<string>();
  for (const level of ['2', '3', '4', '5']) {
    for (const dir of [`/etc/rc${level}.d`, `/etc/rc.d/rc${level}.d`]) {
      for (const entry of await guest.list(dir)) {
        const name = /^S\d\d(.+)$/.exec(entry.name)?.[1];
        if (name !== undefined) started.add(name);
      }
    }
  }
  return { masked: masked.sort(), sysvStart: [...started].sort() };
}

export async function readDeviceCaches(guest: GuestFs): Promise<string[]> {
  const out: string[] = [];
  for (const path of DEVICE_CACHE_FILES) if ((await guest.stat(path))?.type === 'file') out.push(path);
  return out;
}

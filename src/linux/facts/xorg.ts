// X server display drivers pinned in configuration (xorg.conf(5)): `Section "Device"` blocks
// with `Driver "vmware"`, `"qxl"`, `"hyperv_fb"`… in /etc/X11/xorg.conf, XF86Config and
// /etc/X11/xorg.conf.d/*.conf. A pinned hypervisor driver keeps X from starting on the new
// platform; virt-v2v rewrites these to "modesetting".

import type { GuestFs } from './guest-fs.js';

export interface XorgDriver {
  file: string;
  identifier?: string;
  driver: string;
}

export function parseXorgDevices(text: string, file: string): XorgDriver[] {
  const out: XorgDriver[] = [];
  let inDevice = false;
  let current: XorgDriver | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (/^Section\s+"Device"/i.test(line)) {
      inDevice = true;
      current = undefined;
      continue;
    }
    if (/^EndSection/i.test(line)) {
      if (current !== undefined) out.push(current);
      inDevice = false;
      current = undefined;
      continue;
    }
    if (!inDevice) continue;
    const driver = /^Driver\s+"([^"]*)"/i.exec(line)?.[1];
    const identifier = /^Identifier\s+"([^"]*)"/i.exec(line)?.[1];
    if (driver !== undefined) current = { file, ...(current?.identifier !== undefined ? { identifier: current.identifier } : {}), driver };
    if (identifier !== undefined) current = current === undefined ? ({ file, identifier, driver: '' } as XorgDriver) : { ...current, identifier };
  }
  return out.filter((d) => d.driver !== '');
}

export async function readXorgDrivers(guest: GuestFs): Promise<XorgDriver[]> {
  const files = ['/etc/X11/xorg.conf', '/etc/X11/XF86Config', ...(await guest.list('/etc/X11/xorg.conf.d')).filter((e) => e.name.endsWith('.conf')).map((e) => `/etc/X11/xorg.conf.d/${e.name}`)];
  const out: XorgDriver[] = [];
  for (const file of files) {
    const text = await guest.readText(file);
    if (text !== undefined) out.push(...parseXorgDevices(text, file));
  }
  return out;
}

// Realizer for 'windows-firstboot-script': one optional script (src/windows/firstboot/
// actions.ts) written into C:\Program Files\rehost\scripts, where the runner finds it, plus
// the files it needs from the driver source (the guest agent's MSI in the agent folder).
// Precondition: the script's files are absent (or already these bytes); the source files
// still have the size and hash the plan recorded.

import { FIRSTBOOT_DIR, FIRSTBOOT_SCRIPTS } from '../../windows/firstboot/paths.js';
import { renderAction } from '../../windows/firstboot/actions.js';
import type { Patch } from '../types.js';
import type { Realizer } from './types.js';
import { directoryPatches } from './directories.js';
import { newFilePatch, sourceFilePatches } from './windows-firstboot-files.js';

export const realizeWindowsFirstbootScript: Realizer<'windows-firstboot-script'> = async ({ planned, guest }) => {
  const fs = await guest.fs(planned.volume);
  const reason = `first-boot script ${planned.name} (${planned.rule})`;
  const dir = `${FIRSTBOOT_DIR}/${FIRSTBOOT_SCRIPTS}`;
  const out: Patch[] = [...(await directoryPatches({ fs, volume: planned.volume, dir, reason }))];
  for (const file of planned.files) {
    const parent = file.dest.slice(0, file.dest.lastIndexOf('/'));
    for (const p of await directoryPatches({ fs, volume: planned.volume, dir: parent, reason })) {
      if (!out.some((o) => o.kind === 'make-directory' && o.path === (p as { path: string }).path)) out.push(p);
    }
  }
  for (const file of renderAction({ name: planned.name, action: planned.action })) {
    out.push(...(await newFilePatch({ fs, volume: planned.volume, path: `${dir}/${file.name}`, content: file.content, reason })));
  }
  out.push(...(await sourceFilePatches({ fs, volume: planned.volume, driverSource: planned.driverSource, files: planned.files, reason })));
  return out;
};

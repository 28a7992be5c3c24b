// Which tool generated an initramfs, from the files each one always puts there:
// dracut: usr/lib/dracut/ (build-parameter.txt, modules.txt, hooks/), dracut-lib.sh;
// initramfs-tools (Debian/Ubuntu): conf/initramfs.conf, conf/arch.conf, scripts/init-top;
// mkinitcpio (Arch): buildconfig, hooks/ or a top-level `hooks` file, config;
// SUSE's old mkinitrd: run_all.sh and config/*.sh (newer SUSE uses dracut).

import type { CpioTree } from '../../fs/cpio/index.js';

export type InitramfsGenerator = 'dracut' | 'initramfs-tools' | 'mkinitcpio' | 'suse-mkinitrd';

export interface GeneratorGuess {
  generator: InitramfsGenerator | undefined;
  /** The marker paths found, per generator. */
  evidence: Partial<Record<InitramfsGenerator, string[]>>;
}

const MARKERS: Record<InitramfsGenerator, string[]> = {
  dracut: ['usr/lib/dracut', 'usr/lib/dracut/build-parameter.txt', 'usr/lib/dracut/modules.txt', 'lib/dracut-lib.sh', 'usr/lib/dracut-lib.sh'],
  'initramfs-tools': ['conf/initramfs.conf', 'conf/arch.conf', 'scripts/init-top', 'scripts/local'],
  mkinitcpio: ['buildconfig', 'hooks', 'config'],
  'suse-mkinitrd': ['run_all.sh', 'config/start.sh', 'lib/mkinitrd'],
};

/** Two markers make a guess (one for dracut's own directory, which nothing else creates). */
export function detectGenerator(tree: CpioTree): GeneratorGuess {
  const evidence: GeneratorGuess['evidence'] = {};
  let best: InitramfsGenerator | undefined;
  let bestCount = 0;
  for (const [generator, markers] of Object.entries(MARKERS) as Array<[InitramfsGenerator, string[]]>) {
    const found = markers.filter((path) => tree.find(path, false) !== undefined);
    if (found.length === 0) continue;
    evidence[generator] = found;
    const strong = generator === 'dracut' && found.includes('usr/lib/dracut');
    const count = found.length + (strong ? 1 : 0);
    if (count >= 2 && count > bestCount) {
      best = generator;
      bestCount = count;
    }
  }
  return { generator: best, evidence };
}

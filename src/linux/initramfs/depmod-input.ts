// Feeds the modules already inside an initramfs to kmod's depmod() (src/linux/kmod), so the
// patch issue can regenerate modules.dep/.alias/.symbols and their .bin indexes for the
// union of the old modules and the ones it adds, without running depmod: every module file
// under (usr/)lib/modules/<kver>/ read with its .modinfo and symbols, plus the tree's own
// modules.order, modules.builtin and modules.builtin.modinfo when present. When the initramfs
// has no modules.order, `fallbackOrder` (the guest tree's) orders the modules, so priorities in
// the .bin files follow the distribution's order rather than the path order.

import type { CpioTree } from '../../fs/cpio/index.js';
import { type DepmodInput, type DepmodModule, readModuleInfo } from '../kmod/index.js';
import { listModules } from './modules.js';

export function initramfsDepmodInput(args: { tree: CpioTree; kernelVersion: string; extra?: readonly DepmodModule[]; fallbackOrder?: string }): DepmodInput {
  const { tree, kernelVersion } = args;
  const modules: DepmodModule[] = [];
  for (const module of listModules(tree)) {
    if (module.kernelVersion !== kernelVersion) continue;
    const relative = module.path.replace(/^(usr\/)?lib\/modules\/[^/]+\//, '');
    modules.push({ path: relative, info: readModuleInfo({ bytes: tree.readFile(module.path), path: relative }) });
  }
  const extraNames = new Set((args.extra ?? []).map((m) => m.info.name));
  const merged = [...modules.filter((m) => !extraNames.has(m.info.name)), ...(args.extra ?? [])];
  const read = (name: string): Uint8Array | undefined => {
    const node = tree.find(`lib/modules/${kernelVersion}/${name}`, true) ?? tree.find(`usr/lib/modules/${kernelVersion}/${name}`, true);
    return node?.children === undefined ? node?.content.data : undefined;
  };
  const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));
  const order = text(read('modules.order')) ?? args.fallbackOrder;
  const builtin = text(read('modules.builtin'));
  const builtinModinfo = read('modules.builtin.modinfo');
  return {
    modules: merged,
    ...(order !== undefined ? { modulesOrder: order } : {}),
    ...(builtin !== undefined ? { modulesBuiltin: builtin } : {}),
    ...(builtinModinfo !== undefined ? { modulesBuiltinModinfo: builtinModinfo } : {}),
  };
}

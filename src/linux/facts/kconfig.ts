// /boot/config-<version>: the kernel's build configuration (scripts/kconfig output format):
// `CONFIG_FOO=y`, `=m`, `="string"`, `=123`, and `# CONFIG_FOO is not set`. A symbol neither
// set nor mentioned is absent (its dependencies were not met).

export type KconfigState = 'y' | 'm' | 'n' | 'absent';

export function parseKconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set !== null) {
      out.set(set[1] as string, set[2] as string);
      continue;
    }
    const unset = /^# CONFIG_([A-Za-z0-9_]+) is not set/.exec(line);
    if (unset !== null) out.set(unset[1] as string, 'n');
  }
  return out;
}

export function kconfigState(config: Map<string, string>, symbol: string): KconfigState {
  const value = config.get(symbol.replace(/^CONFIG_/, ''));
  if (value === undefined) return 'absent';
  if (value === 'y' || value === 'm' || value === 'n') return value;
  // Strings and numbers: the symbol is set to a value, which for bool/tristate cannot happen.
  return 'y';
}

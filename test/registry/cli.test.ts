// `rehost reg export` and `rehost reg get` against hivexregedit and hivexget on the same hive.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerRegCommands } from '../../src/cli/commands/reg.js';
import { readCorpus, requireTool, tempDir } from '../helpers/tools.js';
import { CORPUS } from '../helpers/tools.js';

async function rehost(...args: string[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(((data: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(Buffer.from(data as Uint8Array));
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write);
  try {
    const program = new Command();
    program.exitOverride();
    registerRegCommands(program);
    await program.parseAsync(['node', 'rehost', ...args]);
  } finally {
    spy.mockRestore();
  }
  return Buffer.concat(chunks);
}

const tool = (command: string, args: string[]) => spawnSync(command, args, { maxBuffer: 1 << 30 }).stdout as Buffer;

afterEach(() => {
  process.exitCode = undefined;
});

describe('rehost reg', () => {
  const dir = tempDir();
  const system = join(dir, 'SYSTEM');
  writeFileSync(system, readCorpus('registry/system/winxp-sp3-x86-iecompatvhd/SYSTEM.xz'));

  it('export equals hivexregedit --export, whole hive and one key', async () => {
    requireTool('hivexregedit');
    for (const hive of [join(CORPUS, 'registry/special/hivex-special'), join(CORPUS, 'registry/special/yarp-UnicodeHive'), join(CORPUS, 'registry/bcd/windeploy-BCD-bios')]) {
      expect((await rehost('reg', 'export', hive)).equals(tool('hivexregedit', ['--export', hive, '\\']))).toBe(true);
    }
    const key = '\\controlset001\\SERVICES\\Disk';
    expect((await rehost('reg', 'export', system, key)).equals(tool('hivexregedit', ['--export', system, key]))).toBe(true);
    expect((await rehost('reg', 'export', '--prefix', 'HKEY_LOCAL_MACHINE\\SYSTEM', system, '\\Select')).equals(tool('hivexregedit', ['--export', '--prefix', 'HKEY_LOCAL_MACHINE\\SYSTEM', system, '\\Select']))).toBe(true);
  });

  it('get equals hivexget for keys and single values of every type', async () => {
    requireTool('hivexget');
    const cases: [string, string, string?][] = [
      [system, '\\ControlSet001\\Services\\Disk'],
      [system, '\\ControlSet001\\Services\\Disk', 'Start'],
      [system, '\\ControlSet001\\Services\\Disk', 'ImagePath'],
      [system, '\\ControlSet001\\Control\\ProductOptions', 'ProductSuite'],
      [system, '\\ControlSet001\\Control\\ServiceGroupOrder', 'List'],
      [system, '\\Select'],
      [join(CORPUS, 'registry/special/yarp-StringValuesHive'), '\\key'],
      [join(CORPUS, 'registry/special/yarp-StringValuesHive'), '\\key', '@'],
      [join(CORPUS, 'registry/special/yarp-StringValuesHive'), '\\key', '1'],
      [join(CORPUS, 'registry/special/yarp-StringValuesHive'), '\\key', '3'],
      [join(CORPUS, 'registry/special/yarp-MultiSzHive'), '\\key', '2'],
      [join(CORPUS, 'registry/special/hivex-rlenvalue_test_hive'), '\\ModerateValueParent'],
    ];
    for (const [hive, key, value] of cases) {
      const args = value === undefined ? [hive, key] : [hive, key, value];
      const ours = await rehost('reg', 'get', ...args);
      expect(ours.toString('latin1'), args.join(' ')).toBe(tool('hivexget', args).toString('latin1'));
    }
  });

  it('odd value types and MULTI_SZ layouts print as hivex prints them', async () => {
    requireTool('hivexsh');
    // Values written by hivexsh itself: a type above 2^31 and MULTI_SZ with and without terminators.
    const base = join(dir, 'odd');
    writeFileSync(base, readCorpus('registry/special/hivex-minimal'));
    const values = [
      ['big', 'hex:0xffff0011:01,02'],
      ['m1', 'hex:7:00,00'],
      ['m2', 'hex:7:00,00,00,00'],
      ['m3', 'hex:7:41,00,00,00,00,00,42,00,00,00,00,00'],
      ['m4', 'hex:7:41,00'],
      ['m5', 'hex:7:41,00,42'],
      ['m6', 'hex:7:'],
    ];
    const script = `load ${base}\nsetval ${values.length}\n${values.map(([k, v]) => `${k}\n${v}`).join('\n')}\ncommit ${base}.out\n`;
    expect(spawnSync('hivexsh', ['-w'], { input: script }).status).toBe(0);
    const hive = `${base}.out`;
    expect((await rehost('reg', 'export', hive)).equals(tool('hivexregedit', ['--export', hive, '\\']))).toBe(true);
    expect((await rehost('reg', 'get', hive, '\\')).equals(tool('hivexget', [hive, '\\']))).toBe(true);
    for (const [name] of values) expect((await rehost('reg', 'get', hive, '\\', name!)).equals(tool('hivexget', [hive, '\\', name!])), name).toBe(true);
  });

  it('a missing key is an error, not output', async () => {
    const errors = vi.spyOn(process.stderr, 'write').mockImplementation((() => true) as typeof process.stderr.write);
    try {
      const out = await rehost('reg', 'get', system, '\\NoSuchKey');
      expect(out.length).toBe(0);
      expect(process.exitCode).toBe(2);
    } finally {
      errors.mockRestore();
    }
  });
});

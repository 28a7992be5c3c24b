// `rehost platforms`: registered on a fresh commander program (the lead wires it into
// main.ts), run in-process with stdout captured.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { builtinPlatformDir } from '../../src/catalog/index.js';
import { registerPlatformCommands } from '../../src/cli/commands/platforms.js';
import { tempDir } from '../helpers/tools.js';
import { runCommandInProcess } from '../helpers/cli.js';

const runCli = (args: string[]) => runCommandInProcess(registerPlatformCommands, args);

describe('rehost platforms', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints a table of every platform', async () => {
    const { stdout, exitCode } = await runCli(['platforms']);
    expect(exitCode).toBeUndefined();
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+BOOT STORAGE\s+NETWORK\s+FIRMWARE$/);
    expect(lines).toHaveLength(15);
    const vmware = lines.find((l) => l.startsWith('vmware-esxi'))!;
    expect(vmware).toMatch(/pvscsi,lsilogic,lsilogic-sas/);
    expect(vmware).toMatch(/vmxnet3,/);
    expect(vmware).toMatch(/bios,uefi,secure-boot$/);
    expect(lines.find((l) => l.startsWith('hyperv-gen2'))).toMatch(/storvsc\s+netvsc\s+uefi,secure-boot$/);
    expect(lines.find((l) => l.startsWith('xen-pv'))).toMatch(/none$/);
  });

  it('prints JSON and merges --catalog directories', async () => {
    const dir = tempDir();
    const kvm = JSON.parse(readFileSync(join(builtinPlatformDir(), 'kvm.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'lab.json'), JSON.stringify({ ...kvm, id: 'lab', name: 'Lab cluster' }));
    const { stdout, exitCode } = await runCli(['platforms', '--json', '--catalog', dir]);
    expect(exitCode).toBeUndefined();
    const parsed = JSON.parse(stdout) as { platforms: { id: string; name: string }[] };
    expect(parsed.platforms.map((p) => p.id)).toContain('lab');
    expect(parsed.platforms).toHaveLength(15);
  });

  it('reports a broken catalog file with exit code 2', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ id: 'bad' }));
    const { stderr, exitCode } = await runCli(['platforms', '--catalog', dir]);
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/corrupt: platform file fails the schema/);
  });
});

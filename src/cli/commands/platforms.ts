// `rehost platforms [--json] [--catalog DIR…]`: lists the platform catalog (built-in files plus
// user directories) as a table or as the catalog's own JSON.

import type { Command } from 'commander';
import { devicesByFunction, loadCatalog, type Platform } from '../../catalog/index.js';
import { printJson, printTable, reportError } from '../output.js';

function firmwareText(platform: Platform): string {
  const parts: string[] = [];
  if (platform.firmware.bios) parts.push('bios');
  if (platform.firmware.uefi) parts.push('uefi');
  if (platform.firmware.secureBoot) parts.push('secure-boot');
  return parts.length > 0 ? parts.join(',') : 'none';
}

function deviceList(platform: Platform, fn: 'boot-storage' | 'network'): string {
  return devicesByFunction(platform, fn).map((d) => d.id).join(',');
}

export function registerPlatformCommands(program: Command): void {
  program
    .command('platforms')
    .description('list the platform catalog: each hypervisor\'s or cloud\'s virtual hardware')
    .option('--json', 'print the full catalog as JSON')
    .option('--catalog <dir>', 'add a directory of platform files (repeatable; same id overrides)', (value: string, previous: string[] = []) => [...previous, value])
    .action(async (options: { json?: boolean; catalog?: string[] }) => {
      try {
        const catalog = await loadCatalog({ extraDirs: options.catalog ?? [] });
        if (options.json) {
          printJson({ platforms: catalog.platforms.map(({ $schema: _schema, ...rest }) => rest) });
          return;
        }
        printTable(
          catalog.platforms.map((p) => [p.id, p.name, deviceList(p, 'boot-storage'), deviceList(p, 'network'), firmwareText(p)]),
          { header: ['ID', 'NAME', 'BOOT STORAGE', 'NETWORK', 'FIRMWARE'] },
        );
      } catch (error) {
        process.exitCode = reportError(error, { json: options.json });
      }
    });
}

// Every corpus hive: our .reg export equals `hivexregedit --export` (byte for byte; where
// hivex gave up part way, its output is a prefix of ours), and the oracle summaries agree
// (header fields, root name and time, key/value counts, depth, SYSTEM facts).

import { describe, expect, it } from 'vitest';
import { Hive, exportReg, currentControlSetName, type Key } from '../../src/registry/index.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { HIVES, hiveBytes, oracleExport, oracleExportFailed, oracleSummary } from './corpus.js';

function walk(hive: Hive): { keys: number; values: number; maxDepth: number } {
  let keys = 0;
  let values = 0;
  let maxDepth = 0;
  const visit = (key: Key, depth: number) => {
    keys++;
    values += key.values().length;
    maxDepth = Math.max(maxDepth, depth);
    for (const child of key.subkeys()) visit(child, depth + 1);
  };
  visit(hive.root(), 0);
  return { keys, values, maxDepth };
}

describe('export equals hivexregedit --export', () => {
  for (const relative of HIVES) {
    it(relative, () => {
      const oracle = oracleExport(relative);
      expect(oracle, 'oracle .reg present').toBeDefined();
      const hive = new Hive(hiveBytes(relative), { diagnostics: new DiagnosticLog() });
      const ours = exportReg(hive);
      if (oracleExportFailed(relative)) {
        // hivex stopped at a value it could not read (System_Delta: an empty value whose data
        // offset is not a cell); everything it wrote before must match.
        expect(ours.length).toBeGreaterThan(oracle!.length);
        expect(Buffer.from(ours.subarray(0, oracle!.length)).equals(Buffer.from(oracle!))).toBe(true);
      } else {
        const same = Buffer.from(ours).equals(Buffer.from(oracle!));
        if (!same) {
          // Normalised comparison for a readable failure message.
          const a = new TextDecoder('latin1').decode(ours).split('\n').sort();
          const b = new TextDecoder('latin1').decode(oracle!).split('\n').sort();
          expect(a).toEqual(b);
        }
        expect(same).toBe(true);
      }
    });
  }
});

describe('oracle summaries', () => {
  for (const relative of HIVES) {
    const summary = oracleSummary(relative);
    if (summary === undefined) continue;
    it(relative, () => {
      const hive = new Hive(hiveBytes(relative), { diagnostics: new DiagnosticLog() });
      const h = summary.header;
      expect(hive.header.primarySequence).toBe(h.primary_seq);
      expect(hive.header.secondarySequence).toBe(h.secondary_seq);
      expect(hive.header.dirty).toBe(h.dirty);
      expect(Number(hive.header.lastWritten)).toBe(h.header_timestamp_filetime); // JSON numbers are doubles
      expect(hive.header.version).toBe(h.version);
      expect(hive.header.fileType).toBe(h.file_type);
      expect(hive.header.fileFormat).toBe(h.file_format);
      expect(hive.header.rootCellOffset).toBe(h.root_cell_offset);
      expect(hive.header.hiveBinsDataSize).toBe(h.hive_bins_data_size);
      expect(hive.header.clusteringFactor).toBe(h.clustering_factor);
      expect(hive.header.embeddedName).toBe(h.embedded_filename);
      expect(hive.header.checksum).toBe(h.header_checksum);
      expect(hive.header.checksumValid).toBe(h.header_checksum_ok);
      const root = hive.root();
      expect(root.name).toBe(summary.root_key_name);
      expect(Number(root.lastWritten)).toBe(summary.root_key_last_written_filetime);
      const counts = walk(hive);
      expect(counts.keys).toBe(summary.num_keys);
      expect(counts.values).toBe(summary.num_values);
      expect(counts.maxDepth).toBe(summary.max_depth);
      expect(root.subkeys().map((k) => k.name).sort()).toEqual([...summary.root_subkeys].sort());
      if (summary.Select !== undefined) checkSystemFacts(hive, summary);
    });
  }
});

function valueFact(key: Key | undefined, name: string): unknown {
  const value = key?.findValue(name);
  if (value === undefined) return null;
  const typed = value.typed();
  if (typed.type === 'string') return typed.value;
  if (typed.type === 'multi-string') return typed.value;
  if (typed.type === 'dword') return typed.value;
  if (typed.type === 'qword') return Number(typed.value);
  return `binary len=${typed.value.length}`;
}

function checkSystemFacts(hive: Hive, summary: Record<string, any>): void {
  const select = hive.open('Select');
  for (const [name, expected] of Object.entries(summary.Select)) expect(valueFact(select, name), `Select\\${name}`).toBe(expected);
  const cs = currentControlSetName(hive)!;
  expect(cs).toBe(summary.current_control_set);
  expect(hive.root().subkeys().map((k) => k.name).filter((n) => /^ControlSet\d{3}$/i.test(n)).sort()).toEqual(summary.control_sets_present);
  const services = hive.open(`${cs}\\Services`);
  expect(services.subkeys().length).toBe(summary.num_services);
  for (const [name, facts] of Object.entries(summary.services_start as Record<string, Record<string, unknown>>)) {
    const service = services.findSubkey(name);
    for (const [field, expected] of Object.entries(facts)) expect(valueFact(service, field), `${name}\\${field}`).toEqual(expected);
  }
  for (const [name, present] of Object.entries(summary.version_hint_services_present as Record<string, boolean>)) {
    expect(services.findSubkey(name) !== undefined, `service ${name}`).toBe(present);
  }
  const control = hive.open(`${cs}\\Control`);
  for (const [name, expected] of Object.entries(summary.Control_Windows ?? {})) expect(valueFact(control.find('Windows'), name), `Windows\\${name}`).toEqual(expected);
  expect(valueFact(control.find('Session Manager\\Environment'), 'PROCESSOR_ARCHITECTURE')).toBe(summary.PROCESSOR_ARCHITECTURE);
  expect(valueFact(control.find('ComputerName\\ComputerName'), 'ComputerName')).toBe(summary.ComputerName);
  expect(control.find('SystemInformation')).toBe(summary.SystemInformation === null ? undefined : expect.anything());
  for (const [name, expected] of Object.entries(summary.ProductOptions ?? {})) expect(valueFact(control.find('ProductOptions'), name), `ProductOptions\\${name}`).toEqual(expected);
  const hardware = hive.find('HardwareConfig');
  if (summary.HardwareConfig === null || summary.HardwareConfig === undefined) expect(hardware).toBeUndefined();
  else {
    for (const [name, expected] of Object.entries(summary.HardwareConfig as Record<string, unknown>)) {
      if (typeof expected === 'string') expect(valueFact(hardware, name)).toBe(expected);
      else for (const [field, value] of Object.entries(expected as Record<string, unknown>)) expect(valueFact(hardware!.find(name), field), `${name}\\${field}`).toBe(value);
    }
  }
}

// /etc/fstab (fstab(5)): six whitespace-separated fields, spec file vfstype mntops freq
// passno, the last two optional; octal escapes (\040 for a space) in the first two; `#`
// comments. /etc/crypttab (crypttab(5)): name, encrypted-device, key-file, options; the last
// two optional. Each device is classified by its naming (device-names.ts). A line with fewer
// fields than required is a CorruptError (callers turn it into a diagnostic and go on).

import { CorruptError } from '../../errors.js';
import { classifyDevice, type DeviceRef } from './device-names.js';

export interface FstabEntry {
  line: number;
  device: DeviceRef;
  mountpoint: string;
  fstype: string;
  options: string[];
  freq: number;
  passno: number;
}

export interface CrypttabEntry {
  line: number;
  name: string;
  device: DeviceRef;
  keyFile?: string;
  options: string[];
}

function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

function fields(line: string): string[] {
  const hash = line.indexOf('#');
  return (hash < 0 ? line : line.slice(0, hash)).trim().split(/\s+/).filter((f) => f !== '');
}

export function parseFstabLine(line: string, lineNumber: number): FstabEntry | undefined {
  const parts = fields(line);
  if (parts.length === 0) return undefined;
  if (parts.length < 3) throw new CorruptError(`fstab line ${lineNumber} has ${parts.length} fields, needs at least 3`, { structure: 'fstab entry', path: '/etc/fstab' });
  const freq = Number(parts[4] ?? '0');
  const passno = Number(parts[5] ?? '0');
  if (!Number.isInteger(freq) || !Number.isInteger(passno)) throw new CorruptError(`fstab line ${lineNumber}: freq/passno are not numbers`, { structure: 'fstab entry', path: '/etc/fstab' });
  return {
    line: lineNumber,
    device: classifyDevice(unescapeOctal(parts[0] as string)),
    mountpoint: unescapeOctal(parts[1] as string),
    fstype: parts[2] as string,
    options: (parts[3] ?? 'defaults').split(','),
    freq,
    passno,
  };
}

export function parseCrypttabLine(line: string, lineNumber: number): CrypttabEntry | undefined {
  const parts = fields(line);
  if (parts.length === 0) return undefined;
  if (parts.length < 2) throw new CorruptError(`crypttab line ${lineNumber} has ${parts.length} field, needs at least 2`, { structure: 'crypttab entry', path: '/etc/crypttab' });
  const entry: CrypttabEntry = { line: lineNumber, name: parts[0] as string, device: classifyDevice(parts[1] as string), options: (parts[3] ?? '').split(',').filter((o) => o !== '') };
  if (parts[2] !== undefined && parts[2] !== 'none' && parts[2] !== '-') entry.keyFile = parts[2];
  return entry;
}

/** Parses every line; bad lines are returned as errors next to the good entries. */
export function parseTable<T>(text: string, parseLine: (line: string, n: number) => T | undefined): { entries: T[]; errors: CorruptError[] } {
  const entries: T[] = [];
  const errors: CorruptError[] = [];
  text.split('\n').forEach((line, index) => {
    try {
      const entry = parseLine(line, index + 1);
      if (entry !== undefined) entries.push(entry);
    } catch (error) {
      if (error instanceof CorruptError) errors.push(error);
      else throw error;
    }
  });
  return { entries, errors };
}

// Generated NTFS volumes for the tests: the scripts under fixtures/scripts/ run once per
// script version and arguments, and their images are kept under .cache/ntfs/ (gitignored),
// keyed by the script's sha256, so repeated test runs do not pay the seconds ntfs-3g needs.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;

export function ntfsFixture(script: string, args: string[] = []): string {
  const path = join(ROOT, 'fixtures/scripts', script);
  const hash = createHash('sha256').update(readFileSync(path)).update(JSON.stringify(args)).digest('hex').slice(0, 16);
  const dir = join(ROOT, '.cache/ntfs');
  mkdirSync(dir, { recursive: true });
  const image = join(dir, `${script.replace(/\.sh$/, '')}-${hash}.img`);
  if (existsSync(image)) return image;
  const partial = `${image}.${process.pid}.tmp`;
  execFileSync('bash', [path, partial, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(partial, image);
  return image;
}

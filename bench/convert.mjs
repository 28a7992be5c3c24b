// rehost convert vs qemu-img convert on the same 1 GiB sparse images (qcow2 and vmdk), in one
// run. The disk holds a pattern in one MiB of every four, the rest holes.

import { closeSync, ftruncateSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { REHOST, benchDir, printComparison, sh, timeCommand } from './lib.mjs';

const MIB = 1024 * 1024;
const dir = benchDir();
const raw = join(dir, 'pattern.raw');
{
  const fd = openSync(raw, 'w');
  ftruncateSync(fd, 1024 * MIB);
  const buffer = Buffer.alloc(MIB);
  for (let i = 0; i < 1024; i += 4) {
    buffer.fill(i & 0xff || 0xa5);
    buffer.writeUInt32LE(i, 0);
    writeSync(fd, buffer, 0, MIB, i * MIB);
  }
  closeSync(fd);
}
const inputs = {
  qcow2: join(dir, 'in.qcow2'),
  vmdk: join(dir, 'in.vmdk'),
};
sh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, inputs.qcow2]);
sh('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', raw, inputs.vmdk]);

const rows = [];
const cases = [
  { input: 'qcow2', to: 'raw' },
  { input: 'qcow2', to: 'vmdk' },
  { input: 'vmdk', to: 'raw' },
  { input: 'vmdk', to: 'qcow2' },
];
for (const c of cases) {
  const out = join(dir, `out.${c.to}`);
  const clean = () => rmSync(out, { force: true });
  const rehost = timeCommand('node', [REHOST, 'convert', inputs[c.input], out, '-O', c.to], { before: clean });
  const peer = timeCommand('qemu-img', ['convert', '-f', c.input, '-O', c.to, inputs[c.input], out], { before: clean });
  rows.push({ task: `convert 1 GiB sparse ${c.input} → ${c.to}`, rehost, peerName: 'qemu-img convert', peer });
}
printComparison('Image conversion (whole process, median of 3)', rows);
rmSync(dir, { recursive: true, force: true });

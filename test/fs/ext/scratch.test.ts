import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { readExtSuperblock } from '../../../src/fs/ext/superblock.js';
it('x', () => {
const b = readFileSync('/tmp/extexp/img4');
const sb = readExtSuperblock(new Uint8Array(b.subarray(1024, 2048)));
const { raw, ...rest } = sb; console.log(rest);
});

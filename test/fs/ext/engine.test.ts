// The WebAssembly boundary: an operation that runs past its compute budget and an allocation
// that exhausts libext2fs's fixed heap both become rehost errors, the test process survives,
// and a read-only engine starts afresh for the next call. Also records the start-up cost.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticLog } from '../../../src/diagnostics.js';
import { CorruptError, isRehostError } from '../../../src/errors.js';
import { ExtEngine } from '../../../src/fs/ext/engine.js';
import { extStartupTimings, openExt } from '../../../src/fs/ext/index.js';
import { FileDevice } from '../../../src/io/index.js';
import { run, tempDir } from '../../helpers/tools.js';

let image: string;

describe('ext engine guards', () => {
  beforeAll(() => {
    const dir = tempDir('rehost-ext-engine-');
    image = join(dir, 'e.img');
    run('sh', ['-c', `mkdir -p "$1/t/many" && cd "$1/t/many" && seq 1 3000 | xargs touch && head -c 3000000 /dev/zero > "$1/t/big" && truncate -s 0 "$2" && mkfs.ext4 -q -F -b 4096 -d "$1/t" "$2" 32M`, 'sh', dir, image]);
  });

  it('starts the worker only when a volume is opened, and measures it', async () => {
    const before = extStartupTimings.length;
    const fs = await openExt(await FileDevice.open(image));
    expect(extStartupTimings.length).toBe(before + 1);
    console.log(`WebAssembly worker start-up (spawn + compile + mount): ${extStartupTimings.at(-1)?.toFixed(1)} ms`);
    await fs.close();
  });

  it('cuts off an operation that exceeds its compute budget, then recovers', async () => {
    const log = new DiagnosticLog();
    const engine = new ExtEngine(await FileDevice.open(image), { writable: undefined, diagnostics: log, limits: { operationTimeoutMs: 5 } });
    await engine.call('lstat', ['/'], '/').catch(() => undefined); // mount (may itself time out)
    const error = await engine.call('lstatMany', ['/many', Array.from({ length: 3000 }, (_, i) => String(i + 1))], '/many').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptError);
    expect(String(error)).toMatch(/did not finish/);
    await engine.close().catch(() => undefined);
    const generous = new ExtEngine(await FileDevice.open(image), { writable: undefined, diagnostics: log });
    expect(await generous.call('lstat', ['/big'], '/big')).toMatchObject({ size: 3000000 });
    await generous.close();
  });

  it('turns an allocation past the fixed WebAssembly heap into a rehost error', async () => {
    const log = new DiagnosticLog();
    const engine = new ExtEngine(await FileDevice.open(image), { writable: undefined, diagnostics: log });
    const opened = await engine.call<{ fd: number }>('openRead', ['/big', true], '/big');
    const error = await engine.call('read', [opened.fd, 0, 64 * 1024 * 1024], '/big').catch((e: unknown) => e);
    expect(isRehostError(error)).toBe(true);
    console.log(`64 MiB read: ${String(error)}`);
    // The engine is usable again (a fresh worker for a read-only volume).
    expect(await engine.call('lstat', ['/big'], '/big')).toMatchObject({ size: 3000000 });
    await engine.close();
  });
});

// The worker thread of the fleet pool: inspects one VM per message and posts its record back.
// It runs the compiled dist/ code (worker_threads cannot load TypeScript), one VM at a time, so
// the pool can stop it when a VM exceeds its time limit without losing any other VM.

import { parentPort } from 'node:worker_threads';
import { inspectVm } from './inspect-vm.js';
import type { WorkerRequest, WorkerReply } from './protocol.js';

const port = parentPort;
if (port) {
  port.on('message', (request: WorkerRequest) => {
    void inspectVm({ vm: request.vm, root: request.root, ...(request.initramfs !== undefined ? { initramfs: request.initramfs } : {}) }).then(
      (result) => port.postMessage({ seq: request.seq, result } satisfies WorkerReply),
      (error: unknown) => port.postMessage({ seq: request.seq, failure: String((error as Error)?.stack ?? error) } satisfies WorkerReply),
    );
  });
}

// A pool of worker threads that inspects VMs in parallel: each worker holds one VM at a time;
// a VM past its time limit has its worker terminated and replaced, and becomes a TIMEOUT row;
// a worker that dies becomes an INTERNAL row. The run always finishes with one record per VM.

import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { stampSources } from './inspect-vm.js';
import { timeoutError } from './error-json.js';
import { AUDIT_SCHEMA_VERSION, type AuditVm, type ErrorJson, type InspectedVm, type VmRecord } from './types.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';
import { keyOf } from './vm-id.js';

export interface PoolOptions {
  vms: AuditVm[];
  root: string;
  /** Worker threads; default os.availableParallelism(). */
  jobs?: number;
  /** Per-VM limit in seconds. */
  timeoutSeconds: number;
  initramfs?: 'read' | 'skip';
  /** Called once per VM as it finishes, in completion order. */
  onRecord(result: InspectedVm): Promise<void> | void;
}

/** Where the compiled worker is: beside this module in dist/, or dist/ when run from src/ (tests). */
export function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  const beside = join(dirname(here), 'worker.js');
  if (here.endsWith('.js') && existsSync(beside)) return beside;
  return join(dirname(here), '..', '..', 'dist', 'audit', 'worker.js');
}

export async function runPool(options: PoolOptions): Promise<void> {
  const queue = [...options.vms];
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), queue.length || 1));
  const path = workerPath();
  let seq = 0;
  const lane = async (): Promise<void> => {
    let worker: Worker | undefined;
    try {
      for (let vm = queue.shift(); vm; vm = queue.shift()) {
        worker ??= new Worker(path);
        const started = performance.now();
        const outcome = await runOne({ worker, request: { seq: ++seq, vm, root: options.root, ...(options.initramfs !== undefined ? { initramfs: options.initramfs } : {}) }, timeoutSeconds: options.timeoutSeconds });
        if (outcome.kind !== 'record') {
          // The worker is stopped or broken: never reuse it.
          await worker.terminate();
          worker = undefined;
        }
        const result = outcome.kind === 'record' ? outcome.result : { record: await failedRecord({ vm, root: options.root, error: outcome.error, durationMs: performance.now() - started }), inspections: vm.disks.map(() => null) };
        await options.onRecord(result);
      }
    } finally {
      await worker?.terminate();
    }
  };
  await Promise.all(Array.from({ length: jobs }, lane));
}

type Outcome = { kind: 'record'; result: InspectedVm } | { kind: 'failed'; error: ErrorJson };

function runOne(args: { worker: Worker; request: WorkerRequest; timeoutSeconds: number }): Promise<Outcome> {
  const { worker, request } = args;
  return new Promise((resolvePromise) => {
    const finish = (outcome: Outcome): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolvePromise(outcome);
    };
    const onMessage = (reply: WorkerReply): void => {
      if (reply.seq !== request.seq) return;
      if ('result' in reply) finish({ kind: 'record', result: reply.result });
      else finish({ kind: 'failed', error: { name: 'Error', code: 'INTERNAL', message: reply.failure.split('\n')[0] ?? 'worker failure' } });
    };
    const onError = (error: Error): void => finish({ kind: 'failed', error: { name: error.name, code: 'INTERNAL', message: `worker failed: ${error.message}` } });
    const onExit = (code: number): void => finish({ kind: 'failed', error: { name: 'Error', code: 'INTERNAL', message: `worker exited with code ${code}` } });
    const timer = setTimeout(() => finish({ kind: 'failed', error: timeoutError(args.timeoutSeconds) }), args.timeoutSeconds * 1000);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(request);
  });
}

/** The row of a VM whose worker never answered. */
async function failedRecord(args: { vm: AuditVm; root: string; error: ErrorJson; durationMs: number }): Promise<VmRecord> {
  const { vm, root, error } = args;
  const files = [...(vm.descriptorPath !== undefined ? [vm.descriptorPath] : []), ...vm.disks.map((d) => d.path)];
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    id: vm.id,
    key: vm.key,
    kind: vm.kind,
    name: vm.name,
    disks: vm.disks.map((d) => ({ key: keyOf(root, d.path), ...(d.ovaDisk !== undefined ? { ovaDisk: d.ovaDisk } : {}), ...(d.slot !== undefined ? { slot: d.slot } : {}), bytesRead: 0, reads: 0, error })),
    error,
    bytesRead: 0,
    virtualSize: 0,
    sources: await stampSources({ root, files }),
    timing: { durationMs: Math.round(args.durationMs) },
  };
}

// Messages between the fleet pool and its worker threads (structured-clone safe).

import type { AuditVm, InspectedVm } from './types.js';

export interface WorkerRequest {
  seq: number;
  vm: AuditVm;
  root: string;
  initramfs?: 'read' | 'skip';
}

export type WorkerReply = { seq: number; result: InspectedVm } | { seq: number; failure: string };

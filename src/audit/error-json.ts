// One JSON shape for every failure a fleet row can carry: RehostErrors keep their code and
// detail; anything else (a bug, a Node error) becomes INTERNAL with its message, so a single
// VM never stops the run and every row says why it failed.

import { RehostError } from '../errors.js';
import type { ErrorJson } from './types.js';

export function errorJson(error: unknown): ErrorJson {
  if (error instanceof RehostError) {
    const json = error.toJSON();
    return { name: json.name, code: json.code, message: json.message, detail: { ...json.detail } };
  }
  if (error instanceof Error) return { name: error.name, code: 'INTERNAL', message: error.message };
  return { name: 'Error', code: 'INTERNAL', message: String(error) };
}

export function timeoutError(seconds: number): ErrorJson {
  return { name: 'TimeoutError', code: 'TIMEOUT', message: `inspection took longer than ${seconds} s` };
}

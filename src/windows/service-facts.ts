// Lookups over the SYSTEM hive's service facts shared by the planners: names match
// case-insensitively as the Service Control Manager matches them, and a key without a Type is
// an installer's leftover stub (VMware's Services\pvscsi on a guest that never had the
// device), not a driver.

import type { ServiceFacts, WindowsFacts } from './types.js';

export function findService(facts: WindowsFacts, name: string): ServiceFacts | undefined {
  const lower = name.toLowerCase();
  return facts.services.find((s) => s.name.toLowerCase() === lower);
}

/** Whether the guest has `name` as a driver: a key with a Type whose file is not known to be missing. */
export function hasDriverService(facts: WindowsFacts, name: string): boolean {
  const s = findService(facts, name);
  return s !== undefined && s.type !== undefined && s.fileExists !== false;
}

// Public surface of the Windows first boot: the runner and optional scripts as text, the
// registry values they hinge on, the guest's current first-boot state, and the files staged
// from a driver source.

export type { FirstbootAction, OriginalValue, PnputilMode, RunnerSettings, StaticAddress } from './types.js';
export { FIRSTBOOT_DIR, FIRSTBOOT_RUNNER, FIRSTBOOT_LOG, FIRSTBOOT_DRIVERS, FIRSTBOOT_SCRIPTS, FIRSTBOOT_AGENT, FIRSTBOOT_MAX_RETRIES, DEVICE_PATH_ENTRY, windowsPath, runnerCommandLine } from './paths.js';
export { renderRunner, regData, restoreValueCommand, cmdLineType } from './runner.js';
export { renderAction, type ScriptFile } from './actions.js';
export { readFirstbootRegistry, originalValue, devicePathHas, appendDevicePath, SETUP_KEY, DEVICE_PATH_KEY, type FirstbootRegistry } from './registry.js';
export { readFirstbootState, type FirstbootState } from './state.js';
export { stagedDriverFiles, findGuestAgent, MAX_STAGED_FILE } from './staging.js';
export { crlfText, commentText, psQuote } from './text.js';
export { firstbootPlanInput } from './plan-input.js';

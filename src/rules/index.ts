// Rules and plans as data (DESIGN.md "Rules"): rule packs (schema-validated JSON), the
// condition and template language, the pure evaluator, the Linux evaluation context and
// planFor(), which turns an inspected OS and a target platform into a Plan.

export type { Condition, Rule, RulePack, RuleResult, PlannedPatch, Plan, RegistryValueSpec, RegistryKeyValues, WindowsDriverFile, WindowsInstallDriver } from './types.js';
export { CONTEXT_ROOTS, parsePath, lookupPath, type ContextRoot } from './paths.js';
export { checkCondition, evaluateCondition, jsonEqual } from './condition.js';
export { renderTemplate, fillTemplate, checkTemplate, templatePaths } from './template.js';
export { evaluate, evaluateRule, targetAdmitted, type EvaluationContext } from './evaluate.js';
export { loadRulePacks, parseRulePack, checkRulePack, rulePackSchema, builtinRulePackDir, MAX_RULE_PACK_BYTES, MAX_RULE_PACK_FILES, type LoadRulePacksOptions } from './load.js';
export { mapDevice, parseKernelDeviceName, resolveGuestPath, type VolumeInfo, type DeviceMapping } from './device-map.js';
export { linuxContext, selectableBootStorage, targetLineage, type PlanOptions, type LinuxOs, type DerivedKernel, type DerivedDevice, type DerivedKernelDevice } from './linux-context.js';
export { planFor, assemblePlan, pickOs, type PlanForArgs } from './plan.js';
export { windowsContext, usesDriverDatabase, ntVersion, infArch, SCSI_ADAPTER_CLASS, type WindowsOs, type WindowsDriverCandidate, type WindowsPlanOptions, type DerivedWindowsDevice, type DerivedServiceFix, type DerivedDisable } from './windows-context.js';
export { windowsFirstbootDerived, type FirstbootPlanInput, type DerivedFirstboot } from './windows-firstboot-context.js';

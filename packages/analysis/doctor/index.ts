/** The doctor: automatic diagnosis of training problems, with evidence, onset step and a fix. */
export {
  pairTrainValidation,
  type RunNames,
  signalsFromAccumulator,
  signalsFromExport,
  signalsFromTags,
  trainRunOf,
  validationRunsOf,
} from './adapter';
export { diagnoseRun, newFindings } from './diagnose';
export { diagnoseRuns, type RunDiagnosis, runGroup } from './logdir';
export { assignRoles, type Roles } from './names';
export { SEVERITY, SUGGESTION } from './suggestions';
export * from './types';

/** The doctor: automatic diagnosis of training problems, with evidence, onset step and a fix. */
export { pairTrainValidation, signalsFromAccumulator, signalsFromExport, signalsFromTags } from './adapter';
export { diagnoseRun, newFindings } from './diagnose';
export { assignRoles, type Roles } from './names';
export { SEVERITY, SUGGESTION } from './suggestions';
export * from './types';

/** The doctor: automatic diagnosis of training problems, with evidence, onset step and a fix. */
export { signalsFromAccumulator, signalsFromExport } from './adapter';
export { diagnoseRun } from './diagnose';
export { SEVERITY, SUGGESTION } from './suggestions';
export * from './types';

/**
 * Diagnosing the runs of a logdir: the one place that decides which runs are diagnosed together (a
 * Keras validation run is folded into its training run), for the CLI and the server alike.
 */
import { pairTrainValidation, type RunNames, trainRunOf, validationRunsOf } from './adapter';
import { diagnoseRun } from './diagnose';
import type { Diagnosis, RunSignals } from './types';

export interface RunDiagnosis {
  run: string;
  diagnosis: Diagnosis;
}

/** Every run diagnosed, validation siblings folded into their training runs (and not listed). */
export function diagnoseRuns(runs: { name: string; signals: RunSignals }[]): RunDiagnosis[] {
  return pairTrainValidation(runs).map((r) => ({ run: r.name, diagnosis: diagnoseRun(r.signals) }));
}

/**
 * What diagnosing one run of a logdir needs: the runs whose signals to load (the run and the
 * validation runs folded into it), or the training run it is itself folded into.
 */
export function runGroup(
  run: string,
  names: RunNames,
): { runs: string[]; foldedInto?: undefined } | { foldedInto: string; runs?: undefined } {
  const train = trainRunOf(run, names);
  if (train !== undefined) return { foldedInto: train };
  return { runs: [run, ...validationRunsOf(run, names)] };
}

/**
 * The doctor's input and output. Input is format-independent (any logdir, the SDKs, the server's JSON);
 * output is plain JSON (the `doctor --json` shape of DESIGN.md), so the UI and the CLI share it.
 */

export const PROBLEM_IDS = [
  'nan_loss',
  'divergence',
  'exploding_gradients',
  'vanishing_gradients',
  'dead_relu',
  'saturation',
  'overfitting',
  'underfitting',
  'lr_too_low',
  'oscillation',
  'unnormalized_input',
  'bad_init',
  'broken_weights',
] as const;

export type ProblemId = (typeof PROBLEM_IDS)[number];
export type Severity = 'info' | 'warning' | 'error';

/** One finding: JSON-able, exactly one element of `problems` in `doctor --json`. */
export interface Problem {
  id: ProblemId;
  severity: Severity;
  /** the step the problem started, as early as the evidence allows */
  step: number;
  /** the numbers behind the finding, in one sentence */
  evidence: string;
  suggestion: string;
  /** the tags the evidence comes from; the first is the one to chart */
  tags: string[];
}

/** A scalar series, points in step order. Typed arrays from a reader or plain arrays from JSON both work. */
export interface Series {
  steps: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** One histogram point (TensorBoard's HistogramProto): bucketLimit are the right edges of the buckets. */
export interface HistPoint {
  step: number;
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: ArrayLike<number>;
  bucket: ArrayLike<number>;
}

/** What the doctor reads from one run: scalars and histograms by tag, in the order the run logged them. */
export interface RunSignals {
  scalars: Map<string, Series>;
  histograms: Map<string, HistPoint[]>;
}

/** A signal the run does not have, and what logging it would let the doctor check. */
export interface MissingSignal {
  signal: string;
  enables: ProblemId[];
}

export interface Diagnosis {
  problems: Problem[];
  /** problem ids the run's signals allowed checking */
  checked: ProblemId[];
  missing: MissingSignal[];
}

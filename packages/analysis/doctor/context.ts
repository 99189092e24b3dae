/** What every rule needs, computed once per run: the signals by role and the training loss in log space. */
import { assignRoles, type Named, type Roles } from './names';
import { type Clean, clean, logIfPositive, median, noiseLevel, runningMedian, windowFor } from './series';
import type { RunSignals, Series } from './types';

/** A loss curve ready for shape tests: finite prefix, log space when positive, median-smoothed. */
export interface Curve {
  tag: string;
  steps: Float64Array;
  /** raw finite values */
  raw: Float64Array;
  /** log of the values when all are positive (ratios become differences), else the raw values */
  x: Float64Array;
  isLog: boolean;
  /** running median of x: single spikes removed */
  sm: Float64Array;
  /** median |x[i] - x[i-1]|: how noisy the curve is point to point */
  noise: number;
  nonFiniteStep?: number;
}

/** Shape tests need no more points than this: longer curves are reduced to bucket medians. */
const MAX_POINTS = 2000;

/** Median of each of MAX_POINTS equal buckets (robust to spikes), at the bucket's first step. */
function decimate(c: Clean): Clean {
  const n = c.values.length;
  if (n <= MAX_POINTS) return c;
  const steps = new Float64Array(MAX_POINTS);
  const values = new Float64Array(MAX_POINTS);
  for (let b = 0; b < MAX_POINTS; b++) {
    const from = Math.floor((b * n) / MAX_POINTS);
    const to = Math.floor(((b + 1) * n) / MAX_POINTS);
    steps[b] = c.steps[from];
    values[b] = median(c.values, from, to);
  }
  return { ...c, steps, values };
}

export function curve(named: Named<Series> | undefined, minPoints = 8): Curve | undefined {
  if (!named) return undefined;
  const c: Clean = decimate(clean(named.data));
  if (c.values.length < minPoints) return undefined;
  const log = logIfPositive(c.values);
  const x = log ?? c.values;
  return {
    tag: named.tag,
    steps: c.steps,
    raw: c.values,
    x,
    isLog: !!log,
    sm: runningMedian(x, windowFor(x.length)),
    noise: noiseLevel(x),
    nonFiniteStep: c.nonFiniteStep,
  };
}

/** Median of a curve's smoothed values between two fractions of its length. */
export function levelAt(c: Curve, from: number, to: number): number {
  const n = c.sm.length;
  const a = Math.min(n - 1, Math.floor(from * n));
  const b = Math.max(a + 1, Math.ceil(to * n));
  return median(c.sm, a, Math.min(n, b));
}

export interface Context {
  roles: Roles;
  loss?: Curve;
  val?: Curve;
  /** index into loss where the learning-rate warmup ends (0 without warmup or lr signal) */
  warmupEnd: number;
}

export function makeContext(signals: RunSignals): Context {
  const roles = assignRoles(signals);
  const loss = curve(roles.trainLoss);
  const val = curve(roles.valLoss, 4);
  return { roles, loss, val, warmupEnd: loss ? warmupEnd(roles, loss) : 0 };
}

/** A learning rate that rises 2x or more early in the run is a warmup: shape tests start after it. */
function warmupEnd(roles: Roles, loss: Curve): number {
  const lr = roles.lr ? clean(roles.lr.data) : undefined;
  if (!lr || lr.values.length < 3) return 0;
  let peak = 0;
  for (let i = 1; i < lr.values.length; i++) if (lr.values[i] > lr.values[peak]) peak = i;
  const lastStep = loss.steps[loss.steps.length - 1];
  const first = lr.values[0];
  if (
    !(first > 0) ||
    lr.values[peak] < 2 * first ||
    lr.steps[peak] > loss.steps[0] + 0.3 * (lastStep - loss.steps[0])
  )
    return 0;
  let i = 0;
  while (i < loss.steps.length && loss.steps[i] < lr.steps[peak]) i++;
  return i;
}

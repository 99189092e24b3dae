/** Robust numeric helpers over series, all in typed arrays: medians, smoothing, log space, runs of truth. */
import type { Series } from './types';

/** A series' finite points before its first non-finite value, and where that value was. */
export interface Clean {
  steps: Float64Array;
  values: Float64Array;
  /** step of the first NaN/Inf value, if any */
  nonFiniteStep?: number;
  nonFiniteValue?: number;
}

export function clean(s: Series): Clean {
  const n = s.values.length;
  let end = n;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(s.values[i])) {
      end = i;
      break;
    }
  }
  const out: Clean = { steps: new Float64Array(end), values: new Float64Array(end) };
  for (let i = 0; i < end; i++) {
    out.steps[i] = s.steps[i];
    out.values[i] = s.values[i];
  }
  if (end < n) {
    out.nonFiniteStep = s.steps[end];
    out.nonFiniteValue = s.values[end];
  }
  return out;
}

export function median(a: ArrayLike<number>, from = 0, to = a.length): number {
  return quantile(a, 0.5, from, to);
}

export function quantile(a: ArrayLike<number>, q: number, from = 0, to = a.length): number {
  if (to <= from) return Number.NaN;
  const b = new Float64Array(to - from);
  for (let i = from; i < to; i++) b[i - from] = a[i];
  b.sort();
  const pos = q * (b.length - 1);
  const lo = Math.floor(pos);
  return lo + 1 < b.length ? b[lo] + (pos - lo) * (b[lo + 1] - b[lo]) : b[lo];
}

/** Centered running median (odd window, shrunk at the ends): removes single spikes, keeps steps. */
export function runningMedian(v: Float64Array, window: number): Float64Array {
  const h = Math.max(0, (window - 1) >> 1);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const r = Math.min(h, i, v.length - 1 - i);
    out[i] = median(v, i - r, i + r + 1);
  }
  return out;
}

/** A smoothing window that scales with the series: ~4% of its points, at least 3, odd. */
export function windowFor(n: number, fraction = 0.04): number {
  const w = Math.max(3, Math.round(n * fraction));
  return w % 2 ? w : w + 1;
}

/** Natural log when every value is positive (loss ratios are then scale-free), else undefined. */
export function logIfPositive(v: Float64Array): Float64Array | undefined {
  for (let i = 0; i < v.length; i++) if (!(v[i] > 0)) return undefined;
  return v.map(Math.log);
}

/**
 * The first index from which `test` holds for (almost) every remaining point: at most `slack` of
 * them may fail (noise), and it must hold at the last point. Returns -1 if there is none.
 * This is how a condition that "started at step k and stayed" is found without reacting to one spike.
 */
export function sustainedFrom(n: number, test: (i: number) => boolean, slack = 0.2, minPoints = 2): number {
  if (n === 0 || !test(n - 1)) return -1;
  let best = -1;
  let fails = 0;
  for (let i = n - 1; i >= 0; i--) {
    if (!test(i)) fails++;
    const len = n - i;
    if (test(i) && fails <= slack * len && len >= minPoints) best = i;
  }
  return best;
}

/** Robust spread of the point-to-point changes (median absolute difference), a noise level. */
export function noiseLevel(v: Float64Array, from = 0, to = v.length): number {
  if (to - from < 3) return 0;
  const d = new Float64Array(to - from - 1);
  for (let i = from + 1; i < to; i++) d[i - from - 1] = Math.abs(v[i] - v[i - 1]);
  return median(d);
}

/** Least-squares slope of v against its index over [from, to). */
export function slope(v: Float64Array, from = 0, to = v.length): number {
  const n = to - from;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  let my = 0;
  for (let i = from; i < to; i++) my += v[i];
  my /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - mx) * (v[from + i] - my);
    den += (i - mx) ** 2;
  }
  return num / den;
}

/** Compact number for evidence sentences: 3 significant digits, exponent for extremes. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(1).replace('e+', 'e');
  return String(Number(x.toPrecision(3)));
}

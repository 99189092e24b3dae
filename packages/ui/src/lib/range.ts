/** Quantile of a sorted numeric array with linear interpolation (d3.quantile's definition). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const i = (n - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

/**
 * A y range that keeps a chart readable when a few points explode: the 5th..95th percentile of the
 * finite values padded by 10% of that span, but never more than 5% of it past the data itself.
 * With `robust` false it is the full data range padded by 5%. In log mode the work is done on log10.
 */
export function yRange(
  values: ArrayLike<number | null>,
  robust: boolean,
  log = false,
): [number, number] | null {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && Number.isFinite(v) && (!log || v > 0)) finite.push(log ? Math.log10(v) : v);
  }
  if (finite.length === 0) return null;
  const sorted = Float64Array.from(finite).sort();
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  const qlo = robust ? quantileSorted(sorted, 0.05) : min;
  const qhi = robust ? quantileSorted(sorted, 0.95) : max;
  const span = qhi - qlo;
  let lo: number;
  let hi: number;
  if (span > 0) {
    lo = Math.max(qlo - 0.1 * span, min - 0.05 * span);
    hi = Math.min(qhi + 0.1 * span, max + 0.05 * span);
  } else {
    const pad = Math.abs(qhi) * 0.1 || 1;
    lo = qlo - pad;
    hi = qhi + pad;
  }
  return log ? [10 ** lo, 10 ** hi] : [lo, hi];
}

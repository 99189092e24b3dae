/**
 * The statistics watch() logs, over typed arrays in float64 accumulators (the same definitions as the
 * Python SDK's, so the two SDKs' numbers mean the same thing).
 */

export type Saturation = 'tanh' | 'sigmoid';

/** Euclidean norm; NaN/Inf propagate (a non-finite gradient must show as such). */
export function l2norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** |after - before| / |after|: how far one optimizer step moved a weight, relative to its size. */
export function updateRatio(before: ArrayLike<number>, after: ArrayLike<number>): number {
  let d = 0;
  let w = 0;
  for (let i = 0; i < after.length; i++) {
    const diff = after[i] - before[i];
    d += diff * diff;
    w += after[i] * after[i];
  }
  return Math.sqrt(d) / Math.sqrt(w);
}

export interface ActStats {
  mean: number;
  /** unbiased (n - 1), as torch.std */
  std: number;
  /** fraction exactly zero (dead ReLU units) */
  zeroFrac: number;
  /** fraction with |y| > 0.97 for tanh, |2y - 1| > 0.97 for sigmoid; 0 otherwise */
  saturatedFrac: number;
}

export function activationStats(a: ArrayLike<number>, saturation?: Saturation): ActStats {
  const n = a.length;
  let sum = 0;
  let zeros = 0;
  let sat = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    sum += v;
    if (v === 0) zeros++;
    if (saturation === 'tanh' ? Math.abs(v) > 0.97 : saturation === 'sigmoid' && Math.abs(2 * v - 1) > 0.97)
      sat++;
  }
  const mean = sum / Math.max(n, 1);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (a[i] - mean) * (a[i] - mean);
  return {
    mean,
    std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0,
    zeroFrac: zeros / Math.max(n, 1),
    saturatedFrac: saturation ? sat / Math.max(n, 1) : 0,
  };
}

export interface InputStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  nan_count: number;
  inf_count: number;
}

/** Mean, unbiased std, min and max over the finite values; counts of NaN and Inf (Python's log_batch). */
export function inputStats(a: ArrayLike<number>): InputStats {
  let n = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) inf++;
    else {
      n++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const mean = n ? sum / n : 0;
  let ss = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) ss += (a[i] - mean) * (a[i] - mean);
  return {
    mean,
    std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0,
    min: n ? min : 0,
    max: n ? max : 0,
    nan_count: nan,
    inf_count: inf,
  };
}

/** True when every value is finite (a sum is finite unless a value is NaN/Inf or the sum overflows). */
export function allFinite(a: ArrayLike<number>): boolean {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  if (Number.isFinite(s)) return true;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

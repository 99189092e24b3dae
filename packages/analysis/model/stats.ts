/** Tensor statistics in one streaming pass over a typed array, and a fixed-bin histogram. */
import type { TensorData } from '@tensorscope/formats/model';

export interface TensorStats {
  count: number;
  /** finite values only */
  finite: number;
  nan: number;
  posInf: number;
  negInf: number;
  zeros: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  /** max |x| over finite values */
  absMax: number;
}

/** Numeric tensor data: the common model's TensorData without strings. */
export type NumericArray = Exclude<TensorData, string[]>;

/** Welford's running mean/variance: stable for millions of values of similar magnitude. */
export function tensorStats(data: NumericArray): TensorStats {
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  let zeros = 0;
  let n = 0;
  let mean = 0;
  let m2 = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const big = data instanceof BigInt64Array || data instanceof BigUint64Array;
  for (let i = 0; i < data.length; i++) {
    const x = big ? Number(data[i]) : (data[i] as number);
    if (Number.isNaN(x)) {
      nan++;
      continue;
    }
    if (x === Number.POSITIVE_INFINITY) {
      posInf++;
      continue;
    }
    if (x === Number.NEGATIVE_INFINITY) {
      negInf++;
      continue;
    }
    if (x === 0) zeros++;
    if (x < min) min = x;
    if (x > max) max = x;
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  const empty = n === 0;
  return {
    count: data.length,
    finite: n,
    nan,
    posInf,
    negInf,
    zeros,
    min: empty ? Number.NaN : min,
    max: empty ? Number.NaN : max,
    mean: empty ? Number.NaN : mean,
    std: empty ? Number.NaN : Math.sqrt(m2 / n),
    absMax: empty ? Number.NaN : Math.max(Math.abs(min), Math.abs(max)),
  };
}

export interface Histogram {
  /** bins + 1 edges from min to max */
  edges: Float64Array;
  counts: Float64Array;
}

/** Equal-width histogram of the finite values over [min, max] (from tensorStats); the last bin is closed. */
export function histogram(data: NumericArray, bins: number, min: number, max: number): Histogram {
  const edges = new Float64Array(bins + 1);
  const counts = new Float64Array(bins);
  const width = max > min ? (max - min) / bins : 1;
  for (let i = 0; i <= bins; i++) edges[i] = min + i * width;
  if (!(max >= min)) return { edges, counts };
  const big = data instanceof BigInt64Array || data instanceof BigUint64Array;
  for (let i = 0; i < data.length; i++) {
    const x = big ? Number(data[i]) : (data[i] as number);
    if (!(x >= min && x <= max)) continue; // NaN and out-of-range
    const b = Math.min(bins - 1, Math.floor((x - min) / width));
    counts[b]++;
  }
  return { edges, counts };
}

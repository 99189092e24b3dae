/** What a TensorBoard histogram says about the tensor behind it: moments, exact zeros, mass beyond a bound. */
import type { HistPoint } from './types';

export function isFiniteHist(h: HistPoint): boolean {
  return (
    Number.isFinite(h.min) &&
    Number.isFinite(h.max) &&
    Number.isFinite(h.sum) &&
    Number.isFinite(h.sumSquares)
  );
}

export function mean(h: HistPoint): number {
  return h.num > 0 ? h.sum / h.num : 0;
}

export function rms(h: HistPoint): number {
  return h.num > 0 ? Math.sqrt(Math.max(0, h.sumSquares / h.num)) : 0;
}

export function std(h: HistPoint): number {
  const m = mean(h);
  return h.num > 0 ? Math.sqrt(Math.max(0, h.sumSquares / h.num - m * m)) : 0;
}

/** L2 norm of the tensor. */
export function norm(h: HistPoint): number {
  return Math.sqrt(Math.max(0, h.sumSquares));
}

/** Left edge of bucket i: the previous right edge, or the histogram's min for the first bucket. */
function leftEdge(h: HistPoint, i: number): number {
  return i > 0 ? h.bucketLimit[i - 1] : Math.min(h.min, h.bucketLimit[0]);
}

/**
 * Fraction of values that are (close to) exactly zero. TensorFlow's default buckets put 0 alone in
 * [0, 1e-12]; coarser buckets give an upper bound from the bucket that starts at 0 when min is 0.
 */
export function zeroFraction(h: HistPoint): number {
  if (h.num <= 0) return 0;
  if (h.min === 0 && h.max === 0) return 1;
  const scale = Math.max(Math.abs(h.min), Math.abs(h.max));
  let zeros = 0;
  for (let i = 0; i < h.bucket.length; i++) {
    const left = leftEdge(h, i);
    const right = h.bucketLimit[i];
    const width = right - left;
    if (left <= 0 && right >= 0 && width <= 0.02 * scale) zeros += h.bucket[i];
  }
  return Math.min(1, zeros / h.num);
}

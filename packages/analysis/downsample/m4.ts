/**
 * M4 downsampling (Jugel et al., VLDB 2014): per pixel-column bucket keep the first, last, minimum and
 * maximum point. A line drawn through the kept points covers exactly the pixels of the full line, so a
 * spike is never lost, however many points fall into one bucket. Non-finite values (NaN, +-Infinity)
 * are kept too: the first NaN of each bucket, and infinities win min/max naturally.
 *
 * Works on typed arrays and returns indices, so the caller picks steps, wall times and values alike.
 */

import { type BlockSummary, BucketExtremes } from './blocks';

export type NumberArray = Float64Array | Float32Array | Int32Array | readonly number[];

/** First index i in [lo, hi) with x[i] >= v (x nondecreasing). */
export function lowerBound(x: NumberArray, v: number, lo = 0, hi = x.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i in [lo, hi) with x[i] > v (x nondecreasing). */
export function upperBound(x: NumberArray, v: number, lo = 0, hi = x.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface M4Result {
  /** ascending indices into x/y of the points to draw */
  indices: Uint32Array;
  /** false when every point of the range was kept */
  downsampled: boolean;
}

/**
 * Downsample the points with xmin <= x <= xmax into `buckets` equal-width buckets over [xmin, xmax].
 * `x` must be nondecreasing (steps in order). One point on each side of the range is kept as well, so a
 * zoomed-in line reaches the chart's edges. When the range holds at most 4 * buckets points, all of
 * them are returned (M4 would not reduce them). With `blocks` (summaries of y, see blocks.ts) a bucket
 * reads the summaries of the blocks it covers whole instead of every point: the same indices.
 */
export function m4(
  x: NumberArray,
  y: NumberArray,
  buckets: number,
  xmin = x.length ? x[0] : 0,
  xmax = x.length ? x[x.length - 1] : 0,
  length = x.length,
  blocks?: BlockSummary,
): M4Result {
  const lo = lowerBound(x, xmin, 0, length);
  const hi = upperBound(x, xmax, lo, length);
  const before = lo > 0 ? 1 : 0;
  const after = hi < length ? 1 : 0;
  const nb = Math.max(1, Math.floor(buckets));
  if (hi - lo <= 4 * nb || !(xmax > xmin)) {
    const all = new Uint32Array(hi - lo + before + after);
    for (let i = 0; i < all.length; i++) all[i] = lo - before + i;
    return { indices: all, downsampled: false };
  }
  // per bucket: first, min, max, last, first NaN (-1 = none)
  const out = new Uint32Array(5 * nb + 2);
  let n = 0;
  if (before) out[n++] = lo - 1;
  const scale = nb / (xmax - xmin);
  const scratch = new Int32Array(5);
  const ext = new BucketExtremes();
  let i = lo;
  while (i < hi) {
    const b = Math.min(nb - 1, Math.floor((x[i] - xmin) * scale));
    const first = i;
    let minI = -1;
    let maxI = -1;
    let nanI = -1;
    let minV = Number.POSITIVE_INFINITY;
    let maxV = Number.NEGATIVE_INFINITY;
    // the bucket ends where x crosses its right edge; the last bucket takes the rest
    const end = b === nb - 1 ? hi : lowerBound(x, xmin + (b + 1) / scale, i + 1, hi);
    if (blocks) {
      ext.reset();
      ext.scan(y, first, end, blocks);
      i = end;
      n = pushSorted(out, n, scratch, first, ext.minI, ext.maxI, ext.nanI, end - 1);
      continue;
    }
    for (; i < end; i++) {
      const v = y[i];
      if (Number.isNaN(v)) {
        if (nanI < 0) nanI = i;
      } else {
        if (v < minV || minI < 0) {
          minV = v;
          minI = i;
        }
        if (v > maxV || maxI < 0) {
          maxV = v;
          maxI = i;
        }
      }
    }
    n = pushSorted(out, n, scratch, first, minI, maxI, nanI, end - 1);
  }
  if (after) out[n++] = hi;
  return { indices: out.slice(0, n), downsampled: true };
}

/** Append a bucket's distinct indices in ascending order (-1 means absent); no allocation per bucket. */
function pushSorted(
  out: Uint32Array,
  n: number,
  s: Int32Array,
  a: number,
  b: number,
  c: number,
  d: number,
  e: number,
): number {
  s[0] = a;
  s[1] = b;
  s[2] = c;
  s[3] = d;
  s[4] = e;
  s.sort();
  let prev = -1;
  for (let k = 0; k < 5; k++) {
    const i = s[k];
    if (i >= 0 && i !== prev) {
      out[n++] = i;
      prev = i;
    }
  }
  return n;
}

/** Order in which to visit points so steps are nondecreasing (stable: file order within one step). */
export function stepOrder(steps: NumberArray, length = steps.length): Uint32Array | undefined {
  for (let i = 1; i < length; i++) {
    if (steps[i] < steps[i - 1]) {
      const order = new Uint32Array(length);
      for (let j = 0; j < length; j++) order[j] = j;
      order.sort((a, b) => steps[a] - steps[b] || a - b);
      return order;
    }
  }
  return undefined;
}

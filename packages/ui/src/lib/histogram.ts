/** A histogram bucket as the API sends it. */
export interface Bucket {
  left: number;
  right: number;
  count: number;
}

export interface HistogramPoint {
  step: number;
  wall_time: number;
  min: number;
  max: number;
  num: number;
  sum: number;
  sum_squares: number;
  buckets: Bucket[];
}

/** TensorBoard's distribution basis points: -inf, -2σ, -1.5σ, -σ, -0.5σ, median, ... of a normal. */
export const NORMAL_BPS = [0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000] as const;

/**
 * Percentiles of one histogram at the given basis points (1/100 of a percent), a port of
 * TensorBoard's `compress_histogram_proto`: linear interpolation inside the bucket where the
 * cumulative count crosses each basis point, clamped to the histogram's min and max.
 */
export function compressHistogram(h: HistogramPoint, bps: readonly number[] = NORMAL_BPS): number[] {
  if (!h.num) return bps.map(() => 0);
  const total = h.buckets.reduce((s, b) => s + b.count, 0) || 1;
  const last = bps[bps.length - 1];
  const weights = new Float64Array(h.buckets.length);
  let acc = 0;
  for (let i = 0; i < h.buckets.length; i++) weights[i] = acc += (h.buckets[i].count * last) / total;
  const out: number[] = [];
  let j = 0;
  while (j < bps.length) {
    // searchsorted(weights, bps[j], side='right')
    let i = 0;
    while (i < weights.length && weights[i] <= bps[j]) i++;
    let found = false;
    while (i < weights.length) {
      const cum = weights[i];
      const prev = i > 0 ? weights[i - 1] : 0;
      if (cum === prev) {
        i++;
        continue;
      }
      const lhs = !i || !prev ? h.min : Math.max(h.buckets[i - 1].right, h.min);
      const rhs = Math.min(h.buckets[i].right, h.max);
      out.push(lhs + ((bps[j] - prev) * (rhs - lhs)) / (cum - prev));
      j++;
      found = true;
      break;
    }
    if (!found) break;
  }
  while (j < bps.length) {
    out.push(h.max);
    j++;
  }
  return out;
}

/**
 * Counts of a histogram re-binned onto `edges` (n+1 ascending edges), assuming counts are spread
 * evenly inside each bucket; a zero-width bucket falls wholly into the bin that holds it. This puts
 * every step of a histogram series on one x grid so they can be drawn as ridges or overlaid.
 */
export function rebin(buckets: readonly Bucket[], edges: ArrayLike<number>): Float64Array {
  const n = edges.length - 1;
  const out = new Float64Array(Math.max(0, n));
  if (n <= 0) return out;
  for (const b of buckets) {
    if (!b.count) continue;
    const width = b.right - b.left;
    if (!(width > 0)) {
      out[binOf(edges, b.left)] += b.count;
      continue;
    }
    let k = binOf(edges, b.left);
    for (; k < n && edges[k] < b.right; k++) {
      const overlap = Math.min(b.right, edges[k + 1]) - Math.max(b.left, edges[k]);
      if (overlap > 0) out[k] += (b.count * overlap) / width;
    }
  }
  return out;
}

function binOf(edges: ArrayLike<number>, x: number): number {
  const n = edges.length - 1;
  if (x <= edges[0]) return 0;
  if (x >= edges[n]) return n - 1;
  let lo = 0;
  let hi = n;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** n+1 evenly spaced edges over [min, max] of every point (a unit span around a constant). */
export function commonEdges(points: readonly HistogramPoint[], bins: number): Float64Array {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    if (!p.num) continue;
    lo = Math.min(lo, p.min);
    hi = Math.max(hi, p.max);
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    return Float64Array.from({ length: bins + 1 }, (_, i) => i);
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  return Float64Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
}

/**
 * Block summaries for M4 over stored series. Each block of BLOCK consecutive points keeps the index of
 * its first minimum, first maximum (NaN excluded) and first NaN, computed once when the points are
 * stored. M4 over a pixel bucket then merges the summaries of the blocks the bucket covers and scans
 * raw values only in the (at most two) blocks cut by the bucket's edges: the same first / min / max /
 * last / first-NaN indices as a scan of every point, because the merge visits blocks in index order
 * with the same strict comparisons, so the first occurrence of a tied extreme still wins.
 */
import type { NumberArray } from './m4';

/** Points per summarized block: a bucket of hundreds of points touches a handful of summaries. */
export const BLOCK = 64;

export interface BlockSummary {
  /** block k covers points [start[k], start[k + 1]); one entry more than there are blocks */
  start: Int32Array;
  /** per block: index of its first minimum and first maximum non-NaN value, of its first NaN; -1 = none */
  min: Int32Array;
  max: Int32Array;
  nan: Int32Array;
}

/** Summaries of y[0, length) in blocks of `size` points (the last one may be partial). */
export function summarizeBlocks(y: NumberArray, length = y.length, size = BLOCK): BlockSummary {
  const nb = Math.ceil(length / size);
  const s: BlockSummary = {
    start: new Int32Array(nb + 1),
    min: new Int32Array(nb),
    max: new Int32Array(nb),
    nan: new Int32Array(nb),
  };
  for (let k = 0; k < nb; k++) {
    const from = k * size;
    const to = Math.min(length, from + size);
    s.start[k] = from;
    let minI = -1;
    let maxI = -1;
    let nanI = -1;
    let minV = Number.POSITIVE_INFINITY;
    let maxV = Number.NEGATIVE_INFINITY;
    for (let i = from; i < to; i++) {
      const v = y[i];
      if (Number.isNaN(v)) {
        if (nanI < 0) nanI = i;
        continue;
      }
      if (v < minV || minI < 0) {
        minV = v;
        minI = i;
      }
      if (v > maxV || maxI < 0) {
        maxV = v;
        maxI = i;
      }
    }
    s.min[k] = minI;
    s.max[k] = maxI;
    s.nan[k] = nanI;
  }
  s.start[nb] = length;
  return s;
}

/** The extremes of one bucket as M4 keeps them. */
export class BucketExtremes {
  minI = -1;
  maxI = -1;
  nanI = -1;
  minV = Number.POSITIVE_INFINITY;
  maxV = Number.NEGATIVE_INFINITY;

  reset(): void {
    this.minI = -1;
    this.maxI = -1;
    this.nanI = -1;
    this.minV = Number.POSITIVE_INFINITY;
    this.maxV = Number.NEGATIVE_INFINITY;
  }

  /** Visits point i (points must be visited in index order). */
  add(y: NumberArray, i: number): void {
    const v = y[i];
    if (Number.isNaN(v)) {
      if (this.nanI < 0) this.nanI = i;
      return;
    }
    if (v < this.minV || this.minI < 0) {
      this.minV = v;
      this.minI = i;
    }
    if (v > this.maxV || this.maxI < 0) {
      this.maxV = v;
      this.maxI = i;
    }
  }

  /** Points [from, to), using the summaries of the blocks they cover whole. */
  scan(y: NumberArray, from: number, to: number, b: BlockSummary): void {
    const { start } = b;
    // the block holding `from`: the last k with start[k] <= from
    let lo = 0;
    let hi = start.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (start[mid] <= from) lo = mid;
      else hi = mid - 1;
    }
    let k = lo;
    let i = from;
    while (i < to) {
      const end = start[k + 1];
      if (i === start[k] && end <= to) {
        if (b.nan[k] >= 0 && this.nanI < 0) this.nanI = b.nan[k];
        if (b.min[k] >= 0) {
          this.add(y, b.min[k]);
          this.add(y, b.max[k]);
        }
        i = end;
      } else {
        const stop = Math.min(end, to);
        for (; i < stop; i++) this.add(y, i);
      }
      k++;
    }
  }
}

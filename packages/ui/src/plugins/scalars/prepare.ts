import { smoothEma } from '../../lib/smoothing';
import type { XAxis } from '../../lib/viewState';

/** One line's points as the API sends them (values may hold null for non-finite points). */
export interface LineInput {
  steps: ArrayLike<number>;
  wall_times: ArrayLike<number>;
  values: ArrayLike<number | null>;
}

/** One line's own points, sorted by x, for tooltips and export. */
export interface OwnPoints {
  /** x of each point in x order */
  x: Float64Array;
  /** index into the input arrays of each point in x order */
  order: Int32Array;
  /** smoothed value of each input point (input order) */
  smoothed: Float64Array;
  /** the earliest wall time: zero of the relative time axis */
  origin: number;
}

export type Cell = number | null | undefined;

/**
 * uPlot's aligned table for several lines: one shared ascending x column, and per line a raw and a
 * smoothed column. `undefined` marks "this line has no point at this x" (uPlot spans it); `null` marks
 * a non-finite value, or a non-positive one on a log axis (uPlot leaves a gap).
 */
export interface Prepared {
  x: Float64Array;
  raw: Cell[][];
  smooth: Cell[][];
  own: OwnPoints[];
  /**
   * Set instead of the aligned table when it would hold too many cells (many runs whose points sit at
   * different steps: lines x distinct x grows like runs^2): each line's own x, raw and smoothed values.
   */
  facets?: Facet[];
}

/** One line in its own x order (uPlot's mode 2). */
export interface Facet {
  x: Float64Array;
  raw: Cell[];
  smooth: Cell[];
}

/** Above this many cells (lines x distinct x values) a chart draws each line on its own x. */
export const ALIGNED_CELLS = 1_000_000;

export function xOf(line: LineInput, i: number, mode: XAxis, origin: number): number {
  return mode === 'step' ? line.steps[i] : mode === 'wall' ? line.wall_times[i] : line.wall_times[i] - origin;
}

/** Smooth every line (in step order, as TensorBoard does) and merge them onto one x column. */
export function prepareLines(
  lines: readonly LineInput[],
  smoothing: number,
  mode: XAxis,
  log: boolean,
  maxCells = ALIGNED_CELLS,
): Prepared {
  const own: OwnPoints[] = lines.map((line) => {
    const n = line.steps.length;
    let origin = n ? line.wall_times[0] : 0;
    for (let i = 1; i < n; i++) if (line.wall_times[i] < origin) origin = line.wall_times[i];
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) xs[i] = xOf(line, i, mode, origin);
    const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => xs[a] - xs[b] || a - b);
    return {
      x: Float64Array.from(order, (i) => xs[i]),
      order,
      smoothed: smoothEma(line.values, smoothing),
      origin,
    };
  });

  let total = 0;
  for (const o of own) total += o.x.length;
  const all = new Float64Array(total);
  let k = 0;
  for (const o of own) {
    all.set(o.x, k);
    k += o.x.length;
  }
  all.sort();
  let unique = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[unique - 1]) all[unique++] = all[i];
  const x = all.slice(0, unique);

  const cell = (v: number | null): Cell => (v === null || !Number.isFinite(v) || (log && v <= 0) ? null : v);
  if (lines.length * unique > maxCells) {
    const facets = lines.map((line, s): Facet => {
      const o = own[s];
      // a repeated x keeps the later point, as in the aligned table
      const keep: number[] = [];
      for (let p = 0; p < o.x.length; p++) {
        if (p + 1 < o.x.length && o.x[p + 1] === o.x[p]) continue;
        keep.push(p);
      }
      return {
        x: Float64Array.from(keep, (p) => o.x[p]),
        raw: keep.map((p) => cell(line.values[o.order[p]])),
        smooth: keep.map((p) => cell(o.smoothed[o.order[p]])),
      };
    });
    return { x: new Float64Array(0), raw: [], smooth: [], own, facets };
  }
  const raw: Cell[][] = [];
  const smooth: Cell[][] = [];
  lines.forEach((line, s) => {
    const r: Cell[] = new Array(unique);
    const m: Cell[] = new Array(unique);
    const o = own[s];
    let j = 0;
    for (let p = 0; p < o.x.length; p++) {
      while (x[j] < o.x[p]) j++;
      const i = o.order[p];
      // a repeated x keeps the later point, as TensorBoard draws it
      r[j] = cell(line.values[i]);
      m[j] = cell(o.smoothed[i]);
    }
    raw.push(r);
    smooth.push(m);
  });
  return { x, raw, smooth, own };
}

/** Index of the point of `o` whose x is nearest to `x`. */
export function nearest(o: OwnPoints, x: number): number {
  const xs = o.x;
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[hi] - x) < Math.abs(xs[lo] - x) ? hi : lo;
}

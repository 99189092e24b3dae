/**
 * One run's series as /api/scalars sends it: M4 over the pixel buckets (using the store's block
 * summaries when the series is in x order), non-finite values as null plus a `nonfinite` list.
 * Shared by the route and its worker threads (scalars-worker.ts).
 */
import { m4, stepOrder } from '@tensorscope/analysis/downsample';
import type { ScalarColumns } from '@tensorscope/store';

export interface SeriesJson {
  run: string;
  downsampled: boolean;
  total: number;
  steps: number[];
  wall_times: number[];
  values: (number | null)[];
  nonfinite?: { step: number; value: 'NaN' | 'Infinity' | '-Infinity' }[];
}

/** The view a request asks for: x axis, bucket count, optional x range. */
export interface ChartView {
  x: 'step' | 'wall_time';
  buckets: number;
  xmin?: number;
  xmax?: number;
}

export function downsample(run: string, cols: ScalarColumns, view: ChartView): SeriesJson {
  const { x, buckets, xmin, xmax } = view;

  const n = cols.steps.length;
  const axis = x === 'step' ? cols.steps : cols.wallTimes;
  // restarts and duplicate steps can leave x out of order; M4 needs it sorted (stable: file order)
  const sorted = x === 'step' ? cols.stepsSorted : cols.wallTimesSorted;
  const order = sorted ? undefined : stepOrder(axis, n);
  const xs = order ? Float64Array.from(order, (i) => axis[i]) : axis;
  const ys = order ? Float64Array.from(order, (i) => cols.values[i]) : cols.values;
  const lo = xmin ?? (n ? xs[0] : 0);
  const hi = xmax ?? (n ? xs[n - 1] : 0);
  // the block summaries follow file order: usable when that is x order
  const { indices, downsampled } = m4(xs, ys, buckets, lo, hi, n, order ? undefined : cols.blocks);
  const out: SeriesJson = { run, downsampled, total: n, steps: [], wall_times: [], values: [] };
  const nonfinite: NonNullable<SeriesJson['nonfinite']> = [];
  for (const k of indices) {
    const i = order ? order[k] : k;
    const v = cols.values[i];
    out.steps.push(cols.steps[i]);
    out.wall_times.push(cols.wallTimes[i]);
    if (Number.isFinite(v)) out.values.push(v);
    else {
      out.values.push(null);
      nonfinite.push({
        step: cols.steps[i],
        value: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity',
      });
    }
  }
  if (nonfinite.length) out.nonfinite = nonfinite;
  return out;
}

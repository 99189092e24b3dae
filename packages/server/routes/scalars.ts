/**
 * GET /api/scalars?tag=T&runs=a,b&width=1500[&xmin=&xmax=][&x=step|wall_time][&max_points=N]
 *
 * Every point is in the store; a chart gets min/max/first/last per pixel bucket (M4), so a spike is
 * never lost, and full resolution once the [xmin, xmax] range holds at most 4 points per bucket. A
 * request for many runs shares a budget of `max_points` (default 50,000): the bucket count per run
 * becomes max_points / (4 x runs) when that is below the width. Non-finite values go out as null
 * with a `nonfinite` list (JSON has no NaN).
 */
import { m4, stepOrder } from '@tensorscope/analysis/downsample';
import type { ScalarColumns, Store } from '@tensorscope/store';
import type { FastifyInstance } from 'fastify';
import { oneOf, optionalNumber, requiredString, stringList } from '../http-error';

export const DEFAULT_MAX_POINTS = 50_000;
/** One response at most this many points (~60 MB of JSON): a bigger one stalls the server and the page. */
export const MAX_POINTS_CAP = 2_000_000;

interface SeriesJson {
  run: string;
  downsampled: boolean;
  total: number;
  steps: number[];
  wall_times: number[];
  values: (number | null)[];
  nonfinite?: { step: number; value: 'NaN' | 'Infinity' | '-Infinity' }[];
}

export function scalarsRoutes(app: FastifyInstance, store: Store): void {
  app.get('/api/scalars', async (req) => {
    const q = req.query as Record<string, unknown>;
    const tag = requiredString(q, 'tag');
    const width = Math.floor(optionalNumber(q, 'width', 1, 100_000) ?? 1000);
    const xmin = optionalNumber(q, 'xmin');
    const xmax = optionalNumber(q, 'xmax');
    const x = oneOf(q, 'x', ['step', 'wall_time'] as const, 'step');
    const maxPoints = optionalNumber(q, 'max_points', 100, MAX_POINTS_CAP) ?? DEFAULT_MAX_POINTS;
    let runs = stringList(q, 'runs');
    if (!runs) {
      runs = (await store.runs())
        .filter((r) => r.tags.some((t) => t.tag === tag && t.kind === 'scalar'))
        .map((r) => r.name);
    }
    const found = runs.filter((r) => store.tag(r, tag)?.kind === 'scalar').length;
    const buckets = Math.max(1, Math.min(width, Math.floor(maxPoints / (4 * Math.max(1, found)))));
    const series: SeriesJson[] = [];
    await store.scanScalars(runs, tag, (run, cols) => {
      series.push(downsample(run, cols, x, buckets, xmin, xmax));
    });
    return { tag, series };
  });
}

function downsample(
  run: string,
  cols: ScalarColumns,
  x: 'step' | 'wall_time',
  buckets: number,
  xmin: number | undefined,
  xmax: number | undefined,
): SeriesJson {
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

/**
 * A run's doctor signals from the store: scalar columns as stored (file order after restart
 * semantics, like the CLI's reader), histograms from their API-ready JSON bodies through the doctor's
 * own JSON adapter (`signalsFromExport`), so the server and the CLI read the same numbers.
 */
import { type RunSignals, type Series, signalsFromExport } from '@tensorscope/analysis/doctor';
import type { RunSummary, Store } from '@tensorscope/store';

type ExportRun = Parameters<typeof signalsFromExport>[0];
type ExportPoint = ExportRun['tags'][number]['points'][number];

export async function signalsFromStore(store: Store, run: RunSummary): Promise<RunSignals> {
  // The store lists tags by name; the doctor reads layer order from the order a run logged its tags,
  // which the first wall time of each tag gives back (ties keep the name order).
  const scalars: { tag: string; first: number; series: Series }[] = [];
  const hists: { tag: string; first: number; points: ExportPoint[] }[] = [];
  for (const t of run.tags) {
    if (t.kind === 'scalar') {
      const cols = (await store.scalars([run.name], t.tag)).get(run.name);
      if (cols)
        scalars.push({
          tag: t.tag,
          first: minOf(cols.wallTimes),
          series: { steps: cols.steps, values: cols.values },
        });
    } else if (t.kind === 'histogram') {
      const points: ExportPoint[] = [];
      let first = Number.POSITIVE_INFINITY;
      for (const p of await store.points(run.name, t.tag)) {
        const body = parseBody(p.body);
        if (!body) continue;
        points.push({ ...body, step: p.step });
        if (p.wallTime < first) first = p.wallTime;
      }
      hists.push({ tag: t.tag, first, points });
    }
  }
  const byFirst = (a: { first: number }, b: { first: number }) => a.first - b.first;
  scalars.sort(byFirst);
  hists.sort(byFirst);
  const { histograms } = signalsFromExport({
    tags: hists.map((h) => ({ tag: h.tag, kind: 'histogram', points: h.points })),
  });
  return { scalars: new Map(scalars.map((s) => [s.tag, s.series])), histograms };
}

function minOf(xs: ArrayLike<number>): number {
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i < xs.length; i++) if (xs[i] < m) m = xs[i];
  return m;
}

/** A stored histogram body; a damaged one is skipped rather than failing the whole run. */
function parseBody(body: string): Omit<ExportPoint, 'step'> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    if (!v || typeof v !== 'object' || !Array.isArray((v as { buckets?: unknown }).buckets)) return undefined;
    const h = v as Record<string, unknown>;
    const num = (k: string) => (typeof h[k] === 'number' ? (h[k] as number) : undefined);
    return {
      min: num('min'),
      max: num('max'),
      num: num('num'),
      sum: num('sum'),
      sum_squares: num('sum_squares'),
      buckets: (h.buckets as { left: number; right: number; count: number }[]).map((b) => ({
        left: typeof b?.left === 'number' ? b.left : Number.NaN,
        right: typeof b?.right === 'number' ? b.right : Number.NaN,
        count: typeof b?.count === 'number' ? b.count : 0,
      })),
    };
  } catch {
    return undefined;
  }
}

import { useEffect, useMemo, useState } from 'react';
import { apiPath, getJson } from '../../app/api';
import type { ScalarSeries, ScalarsResponse } from '../../app/types';
import { useApiAll } from '../../app/useApi';
import { requestQueue } from '../../lib/requestQueue';
import type { XAxis } from '../../lib/viewState';
import type { LineInput, Prepared } from './prepare';
import { prepareAsync } from './prepareClient';

const WIDTH = 1500;
/** Longest list of run names sent in one URL (characters); a longer selection is filtered here. */
const MAX_RUNS_PARAM = 6000;
/**
 * Points budget of one chart's request (the server gives each run max_points / (4 x runs) buckets
 * when that is below the width): a chart of 1,000 runs gets ~20 points a run, one run the full
 * 1,500 px. Zooming in asks for the range again at full resolution.
 */
export const MAX_POINTS = 20_000;

/**
 * One request per tag: every run with the tag when `runs` is null (the server's default), else the
 * named runs. `keep` filters a response that had to ask for every run (a selection too long for a URL).
 */
export function scalarRequest(
  tag: string,
  runs: string[] | null,
  x: XAxis,
  zoom: [number, number] | null,
): { url: string; keep: Set<string> | null } {
  const list = runs?.join(',') ?? null;
  const named = list !== null && list.length <= MAX_RUNS_PARAM;
  // the server can cut a step or wall-time range at full resolution; a relative axis has no common zero
  const range = zoom && x !== 'relative' ? { xmin: zoom[0], xmax: zoom[1] } : {};
  const url = apiPath('scalars', {
    tag,
    runs: named ? list : undefined,
    width: WIDTH,
    max_points: MAX_POINTS,
    x: x === 'wall' ? 'wall_time' : 'step',
    ...range,
  });
  return { url, keep: runs && !named ? new Set(runs) : null };
}

/** Chart requests two at a time, in the order the cards asked (top of the page first). */
export const fetchScalars = requestQueue(2, getJson<ScalarsResponse>);

/** A series with the tag it belongs to (custom-scalar charts mix tags). */
export type TaggedSeries = ScalarSeries & { tag: string };

export interface Lines {
  series: TaggedSeries[];
  prepared: Prepared | null;
  error: string | null;
}

export interface LineRequest {
  tag: string;
  /** the runs to draw; null = every run that has the tag (the whole run list is selected) */
  runs: string[] | null;
}

/**
 * Fetch tags for some runs and prepare them for drawing. Zoomed views are fetched again for their
 * range only when the full view was downsampled, so zooming in always reaches every point.
 */
export function useScalarLines(
  requests: LineRequest[],
  opts: { x: XAxis; zoom: [number, number] | null; smoothing: number; log: boolean; version: number },
): Lines {
  const full = requests.map((r) => scalarRequest(r.tag, r.runs, opts.x, null));
  const fullData = useApiAll<ScalarsResponse>(
    full.map((f) => f.url),
    opts.version,
    fetchScalars,
  );
  const downsampled = fullData.data.some((d) => d?.series.some((s) => s.downsampled));
  const zoomed = useApiAll<ScalarsResponse>(
    downsampled && opts.zoom ? requests.map((r) => scalarRequest(r.tag, r.runs, opts.x, opts.zoom).url) : [],
    opts.version,
    fetchScalars,
  );
  const source = zoomed.data.length && zoomed.data.every(Boolean) ? zoomed : fullData;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `full` is derived from the same requests as the data
  const series = useMemo(
    () =>
      source.data.every(Boolean)
        ? source.data.flatMap((d, i) =>
            d!.series
              .filter((s) => !full[i]?.keep || full[i].keep!.has(s.run))
              .map((s): TaggedSeries => ({ ...s, tag: d!.tag })),
          )
        : null,
    [source.data],
  );
  const [prepared, setPrepared] = useState<{ series: TaggedSeries[]; p: Prepared } | null>(null);
  useEffect(() => {
    if (!series) return;
    let cancelled = false;
    prepareAsync(series as LineInput[], opts.smoothing, opts.x, opts.log).then((p) => {
      if (!cancelled) setPrepared({ series, p });
    });
    return () => {
      cancelled = true;
    };
  }, [series, opts.smoothing, opts.x, opts.log]);
  return {
    series: prepared?.series ?? [],
    prepared: prepared?.p ?? null,
    error: fullData.error ?? zoomed.error,
  };
}

import { useEffect, useMemo, useState } from 'react';
import { apiPath } from '../../app/api';
import type { ScalarSeries, ScalarsResponse } from '../../app/types';
import { useApiAll } from '../../app/useApi';
import type { XAxis } from '../../lib/viewState';
import type { LineInput, Prepared } from './prepare';
import { prepareAsync } from './prepareClient';

const WIDTH = 1500;
const MAX_RUNS_PARAM = 1500; // characters of run names per request, to keep URLs well under limits

/** Scalar requests for a tag, the runs split over several URLs when there are many. */
export function scalarUrls(tag: string, runs: string[], x: XAxis, zoom: [number, number] | null): string[] {
  const chunks: string[][] = [];
  let cur: string[] = [];
  let len = 0;
  for (const r of runs) {
    if (cur.length && len + r.length > MAX_RUNS_PARAM) {
      chunks.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(r);
    len += r.length + 1;
  }
  if (cur.length) chunks.push(cur);
  // the server can cut a step or wall-time range at full resolution; a relative axis has no common zero
  const range = zoom && x !== 'relative' ? { xmin: zoom[0], xmax: zoom[1] } : {};
  return chunks.map((c) =>
    apiPath('scalars', {
      tag,
      runs: c.join(','),
      width: WIDTH,
      x: x === 'wall' ? 'wall_time' : 'step',
      ...range,
    }),
  );
}

/** A series with the tag it belongs to (custom-scalar charts mix tags). */
export type TaggedSeries = ScalarSeries & { tag: string };

export interface Lines {
  series: TaggedSeries[];
  prepared: Prepared | null;
  error: string | null;
}

export interface LineRequest {
  tag: string;
  runs: string[];
}

/**
 * Fetch tags for some runs and prepare them for drawing. Zoomed views are fetched again for their
 * range only when the full view was downsampled, so zooming in always reaches every point.
 */
export function useScalarLines(
  requests: LineRequest[],
  opts: { x: XAxis; zoom: [number, number] | null; smoothing: number; log: boolean; version: number },
): Lines {
  const full = requests.flatMap((r) => scalarUrls(r.tag, r.runs, opts.x, null));
  const fullData = useApiAll<ScalarsResponse>(full, opts.version);
  const downsampled = fullData.data.some((d) => d?.series.some((s) => s.downsampled));
  const zoomed = useApiAll<ScalarsResponse>(
    downsampled && opts.zoom ? requests.flatMap((r) => scalarUrls(r.tag, r.runs, opts.x, opts.zoom)) : [],
    opts.version,
  );
  const source = zoomed.data.length && zoomed.data.every(Boolean) ? zoomed : fullData;
  const series = useMemo(
    () =>
      source.data.every(Boolean)
        ? source.data.flatMap((d) => d!.series.map((s): TaggedSeries => ({ ...s, tag: d!.tag })))
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

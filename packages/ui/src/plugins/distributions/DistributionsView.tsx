import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import { apiPath } from '../../app/api';
import { useApi } from '../../app/useApi';
import { RunCards } from '../../components/RunCards';
import { TagFilter, tagsOfKind } from '../../components/TagSections';
import { chartTheme, withAlpha } from '../../lib/chartTheme';
import { formatTick, formatValue } from '../../lib/format';
import { compressHistogram, type HistogramPoint, NORMAL_BPS } from '../../lib/histogram';
import type { Theme } from '../../lib/viewState';
import type { PluginProps } from '../types';

export function DistributionsView({ selected, color, view, update, versionOf, theme }: PluginProps) {
  const tags = useMemo(() => tagsOfKind(selected, ['histogram'], view.tagFilter), [selected, view.tagFilter]);
  return (
    <>
      <div className="toolbar">
        <TagFilter value={view.tagFilter} onChange={(tagFilter) => update({ tagFilter })} />
        <span className="muted">
          Bands: min–max, ±2σ, ±1.5σ, ±1σ, ±0.5σ percentiles of a normal; line: median.
        </span>
      </div>
      <RunCards
        tags={tags}
        empty="No histogram tags in the selected runs match."
        testId="distribution-card"
        color={color}
      >
        {(run, tag) => (
          <Distribution run={run} tag={tag} color={color(run)} version={versionOf(tag)} theme={theme} />
        )}
      </RunCards>
    </>
  );
}

/** Percentile lines over steps: one row per basis point, as uPlot columns. */
export function percentileColumns(points: readonly HistogramPoint[]): number[][] {
  const cols = NORMAL_BPS.map(() => [] as number[]);
  for (const p of points) compressHistogram(p).forEach((v, k) => cols[k].push(v));
  return cols;
}

function Distribution({
  run,
  tag,
  color,
  version,
  theme,
}: {
  run: string;
  tag: string;
  color: string;
  version: number;
  theme: Theme;
}) {
  const { data, error } = useApi<{ points: HistogramPoint[] }>(apiPath('histograms', { run, tag }), version);
  const wrap = useRef<HTMLDivElement>(null);
  const caption = useRef<HTMLDivElement>(null);
  const points = data?.points;
  // biome-ignore lint/correctness/useExhaustiveDependencies: a theme change must redraw with the new chart colours
  useEffect(() => {
    const el = wrap.current;
    if (!el || !points?.length) return;
    const t = chartTheme();
    const cols = percentileColumns(points);
    const steps = points.map((p) => p.step);
    const axis = {
      stroke: t.axis,
      font: t.font,
      grid: { stroke: t.grid, width: 1 },
      ticks: { stroke: t.grid, width: 1, size: 4 },
    };
    const n = NORMAL_BPS.length;
    const series: uPlot.Series[] = [{}];
    for (let k = 0; k < n; k++)
      series.push({
        stroke: k === 4 ? color : withAlpha(color, k === 0 || k === n - 1 ? 0.35 : 0),
        width: k === 4 ? 1.6 : 1,
        points: { show: false },
      });
    // fills between symmetric percentiles, darker towards the median
    const bands: uPlot.Band[] = [];
    for (let k = 0; k < 4; k++)
      bands.push({ series: [n - k, k + 1], fill: withAlpha(color, 0.1 + 0.07 * k) });
    const u = new uPlot(
      {
        width: el.clientWidth || 400,
        height: 240,
        legend: { show: false },
        padding: [8, 12, 0, 0],
        cursor: { drag: { x: true, y: false }, points: { show: false } },
        scales: { x: { time: false } },
        axes: [
          axis,
          {
            ...axis,
            size: 58,
            values: (_u, vals) => vals.map((v) => (Number.isFinite(v) ? formatTick(v) : '')),
          },
        ],
        series,
        bands,
        hooks: {
          setCursor: [
            (plot) => {
              const i = plot.cursor.idx;
              if (!caption.current) return;
              caption.current.textContent =
                i === null || i === undefined
                  ? `${steps.length} steps · ${steps[0]}–${steps[steps.length - 1]}`
                  : `step ${steps[i]} · median ${formatValue(Number(cols[4][i].toPrecision(6)))} · ±1σ ${formatValue(Number(cols[3][i].toPrecision(4)))} … ${formatValue(Number(cols[5][i].toPrecision(4)))} · min ${formatValue(cols[0][i])} · max ${formatValue(cols[8][i])}`;
            },
          ],
        },
      },
      [steps, ...cols],
      el,
    );
    const ro = new ResizeObserver(
      () => el.clientWidth !== u.width && u.setSize({ width: el.clientWidth, height: 240 }),
    );
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
    };
  }, [points, color, theme]);
  if (error) return <div className="hint error">{error}</div>;
  if (!data) return <div className="placeholder" />;
  return (
    <div className="chart">
      <div ref={wrap} className="chart-canvas" data-testid="distribution-chart" />
      <div ref={caption} className="chart-caption muted" />
    </div>
  );
}

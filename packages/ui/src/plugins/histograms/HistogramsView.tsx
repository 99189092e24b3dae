import { useMemo, useState } from 'react';
import { apiPath } from '../../app/api';
import { useApi } from '../../app/useApi';
import { RunCards } from '../../components/RunCards';
import { TagFilter, tagsOfKind } from '../../components/TagSections';
import { useCanvas } from '../../components/useCanvas';
import { chartTheme } from '../../lib/chartTheme';
import { formatValue } from '../../lib/format';
import type { HistogramPoint } from '../../lib/histogram';
import type { Theme } from '../../lib/viewState';
import type { PluginProps } from '../types';
import {
  baseline,
  drawHistograms,
  type HistogramMode,
  layoutHistograms,
  PAD,
  ridgeHeight,
} from './drawHistograms';

export function HistogramsView({ selected, color, view, update, versionOf, theme }: PluginProps) {
  const tags = useMemo(() => tagsOfKind(selected, ['histogram'], view.tagFilter), [selected, view.tagFilter]);
  const mode: HistogramMode = view.extra.hist === 'overlay' ? 'overlay' : 'offset';
  return (
    <>
      <div className="toolbar">
        <TagFilter value={view.tagFilter} onChange={(tagFilter) => update({ tagFilter })} />
        <div className="segmented">
          {(['offset', 'overlay'] as const).map((m) => (
            <button
              type="button"
              key={m}
              className={m === mode ? 'on' : ''}
              onClick={() => update({ extra: { ...view.extra, hist: m === 'offset' ? '' : m } })}
            >
              {m === 'offset' ? 'Offset' : 'Overlay'}
            </button>
          ))}
        </div>
      </div>
      <RunCards
        tags={tags}
        empty="No histogram tags in the selected runs match."
        testId="histogram-card"
        color={color}
      >
        {(run, tag) => (
          <HistogramChart
            run={run}
            tag={tag}
            mode={mode}
            color={color(run)}
            version={versionOf(tag)}
            theme={theme}
          />
        )}
      </RunCards>
    </>
  );
}

function HistogramChart(props: {
  run: string;
  tag: string;
  mode: HistogramMode;
  color: string;
  version: number;
  theme: Theme;
}) {
  const { data, error } = useApi<{ points: HistogramPoint[] }>(
    apiPath('histograms', { run: props.run, tag: props.tag }),
    props.version,
  );
  if (error) return <div className="hint error">{error}</div>;
  if (!data) return <div className="placeholder" />;
  if (data.points.length === 0) return <div className="empty">No points.</div>;
  return <HistogramCanvas {...props} points={data.points} />;
}

const HEIGHT = 260;

function HistogramCanvas({
  points,
  mode,
  color,
  theme,
}: {
  points: HistogramPoint[];
  mode: HistogramMode;
  color: string;
  theme: Theme;
}) {
  const layout = useMemo(() => layoutHistograms(points), [points]);
  const [hover, setHover] = useState<{ i: number; x: number; v: number } | null>(null);
  const { ref, width } = useCanvas(
    HEIGHT,
    (ctx, w, h) => drawHistograms(ctx, w, h, points, layout, mode, color, chartTheme(), hover?.i ?? null),
    [points, layout, mode, color, theme, hover?.i],
  );
  const onMove = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const px = e.clientX - r.left;
    const py = e.clientY - r.top;
    const n = points.length;
    let i = n - 1;
    if (mode === 'offset') {
      const ridge = ridgeHeight(HEIGHT);
      let best = Number.POSITIVE_INFINITY;
      for (let k = 0; k < n; k++) {
        const d = Math.abs(baseline(k, n, HEIGHT, ridge) - ridge * 0.3 - py);
        if (d < best) {
          best = d;
          i = k;
        }
      }
    }
    const { edges } = layout;
    const v =
      edges[0] + ((px - PAD.left) / (width - PAD.left - PAD.right)) * (edges[edges.length - 1] - edges[0]);
    setHover({ i, x: px, v });
  };
  const p = hover ? points[hover.i] : null;
  return (
    <div className="chart">
      <canvas
        ref={ref}
        className="plot"
        data-testid="histogram-canvas"
        onMouseMove={onMove}
        onMouseLeave={() => setHover(null)}
      />
      <div className="chart-caption muted">
        {p && hover
          ? `step ${p.step} · x ≈ ${formatValue(Number(hover.v.toPrecision(4)))} · n=${p.num} · min ${formatValue(Number(p.min.toPrecision(6)))} · max ${formatValue(Number(p.max.toPrecision(6)))}`
          : `${points.length} steps · ${points[0].step}–${points[points.length - 1].step}`}
      </div>
    </div>
  );
}

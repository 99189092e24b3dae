import { useMemo, useState } from 'react';
import { chartTheme, withAlpha } from '../lib/chartTheme';
import { formatTick } from '../lib/format';
import { niceTicks } from '../lib/ticks';
import type { Theme } from '../lib/viewState';
import { useCanvas } from './useCanvas';

export interface XYSeries {
  key: string;
  color: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** lines join points in order; points draws markers */
  mode: 'line' | 'points';
}

interface Props {
  series: XYSeries[];
  height?: number;
  xLabel: string;
  yLabel: string;
  xDomain?: [number, number];
  yDomain?: [number, number];
  theme: Theme;
  /** the caption for a hovered point */
  describe(series: number, index: number): string;
  /** a series drawn on top and thicker (e.g. the run hovered elsewhere) */
  highlight?: string | null;
  onHover?(key: string | null): void;
  testId?: string;
}

const PAD = { left: 52, right: 14, top: 10, bottom: 36 };

function domain(values: ArrayLike<number>[], given?: [number, number]): [number, number] {
  if (given) return given;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const arr of values)
    for (let i = 0; i < arr.length; i++)
      if (Number.isFinite(arr[i])) {
        lo = Math.min(lo, arr[i]);
        hi = Math.max(hi, arr[i]);
      }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** A small canvas x/y plot (PR curves, hparam scatter) with nearest-point hover. */
export function XYPlot({
  series,
  height = 260,
  xLabel,
  yLabel,
  xDomain,
  yDomain,
  theme,
  describe,
  highlight,
  onHover,
  testId,
}: Props) {
  const xd = useMemo(
    () =>
      domain(
        series.map((s) => s.x),
        xDomain,
      ),
    [series, xDomain],
  );
  const yd = useMemo(
    () =>
      domain(
        series.map((s) => s.y),
        yDomain,
      ),
    [series, yDomain],
  );
  const [hover, setHover] = useState<{ s: number; i: number } | null>(null);
  const { ref, width } = useCanvas(
    height,
    (ctx, w, h) => {
      const t = chartTheme();
      const pw = w - PAD.left - PAD.right;
      const ph = h - PAD.top - PAD.bottom;
      const xPx = (v: number) => PAD.left + ((v - xd[0]) / (xd[1] - xd[0])) * pw;
      const yPx = (v: number) => PAD.top + ph - ((v - yd[0]) / (yd[1] - yd[0])) * ph;
      ctx.font = t.font;
      ctx.strokeStyle = t.grid;
      ctx.fillStyle = t.axis;
      ctx.lineWidth = 1;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      for (const v of niceTicks(xd[0], xd[1], Math.max(2, Math.floor(pw / 80)))) {
        ctx.beginPath();
        ctx.moveTo(xPx(v), PAD.top);
        ctx.lineTo(xPx(v), PAD.top + ph);
        ctx.stroke();
        ctx.fillText(formatTick(v), xPx(v), PAD.top + ph + 5);
      }
      ctx.fillText(xLabel, PAD.left + pw / 2, h - 14);
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      for (const v of niceTicks(yd[0], yd[1], 5)) {
        ctx.beginPath();
        ctx.moveTo(PAD.left, yPx(v));
        ctx.lineTo(PAD.left + pw, yPx(v));
        ctx.stroke();
        ctx.fillText(formatTick(v), PAD.left - 6, yPx(v));
      }
      ctx.save();
      ctx.translate(11, PAD.top + ph / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'center';
      ctx.fillText(yLabel, 0, 0);
      ctx.restore();
      const order = series
        .map((_, i) => i)
        .sort((a, b) => Number(series[a].key === highlight) - Number(series[b].key === highlight));
      for (const si of order) {
        const s = series[si];
        const dim = highlight && s.key !== highlight;
        ctx.strokeStyle = ctx.fillStyle = dim ? withAlpha(s.color, 0.3) : s.color;
        ctx.lineWidth = s.key === highlight ? 2.5 : 1.6;
        if (s.mode === 'line') {
          ctx.beginPath();
          for (let i = 0; i < s.x.length; i++)
            (i ? ctx.lineTo : ctx.moveTo).call(ctx, xPx(s.x[i]), yPx(s.y[i]));
          ctx.stroke();
        } else {
          for (let i = 0; i < s.x.length; i++) {
            ctx.beginPath();
            ctx.arc(xPx(s.x[i]), yPx(s.y[i]), s.key === highlight ? 6 : 4.5, 0, Math.PI * 2);
            ctx.fill();
          }
        }
      }
      if (hover) {
        const s = series[hover.s];
        ctx.beginPath();
        ctx.arc(xPx(s.x[hover.i]), yPx(s.y[hover.i]), 5, 0, Math.PI * 2);
        ctx.lineWidth = 2;
        ctx.strokeStyle = t.text;
        ctx.stroke();
      }
    },
    [series, xd, yd, hover, highlight, theme, xLabel, yLabel],
  );
  const onMove = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const px = e.clientX - r.left;
    const py = e.clientY - r.top;
    const pw = width - PAD.left - PAD.right;
    const ph = height - PAD.top - PAD.bottom;
    let best: { s: number; i: number } | null = null;
    let bestD = 30 * 30;
    series.forEach((s, si) => {
      for (let i = 0; i < s.x.length; i++) {
        const dx = PAD.left + ((s.x[i] - xd[0]) / (xd[1] - xd[0])) * pw - px;
        const dy = PAD.top + ph - ((s.y[i] - yd[0]) / (yd[1] - yd[0])) * ph - py;
        const d = dx * dx + dy * dy;
        if (d < bestD) {
          bestD = d;
          best = { s: si, i };
        }
      }
    });
    setHover(best);
    onHover?.(best ? series[(best as { s: number }).s].key : null);
  };
  return (
    <div className="chart">
      <canvas
        ref={ref}
        className="plot"
        data-testid={testId}
        onMouseMove={onMove}
        onMouseLeave={() => {
          setHover(null);
          onHover?.(null);
        }}
      />
      <div className="chart-caption muted" data-testid={testId ? `${testId}-caption` : undefined}>
        {hover ? describe(hover.s, hover.i) : '\u00a0'}
      </div>
    </div>
  );
}

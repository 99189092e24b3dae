import type { ChartTheme } from '../../lib/chartTheme';
import { withAlpha } from '../../lib/chartTheme';
import { formatTick } from '../../lib/format';
import { commonEdges, type HistogramPoint, rebin } from '../../lib/histogram';
import { niceTicks } from '../../lib/ticks';

export type HistogramMode = 'offset' | 'overlay';

export interface HistogramLayout {
  edges: Float64Array;
  counts: Float64Array[];
  maxCount: number;
}

const BINS = 48;
export const PAD = { left: 12, right: 56, top: 10, bottom: 24 };

/** Every step re-binned onto one grid so they can be stacked or overlaid. */
export function layoutHistograms(points: readonly HistogramPoint[]): HistogramLayout {
  const edges = commonEdges(points, BINS);
  const counts = points.map((p) => rebin(p.buckets, edges));
  let maxCount = 0;
  for (const c of counts) for (const v of c) if (v > maxCount) maxCount = v;
  return { edges, counts, maxCount: maxCount || 1 };
}

/** Baseline y of step i in offset mode: the oldest at the top (back), the newest at the bottom (front). */
export function baseline(i: number, n: number, height: number, ridge: number): number {
  const plotH = height - PAD.top - PAD.bottom;
  return PAD.top + ridge + (n > 1 ? ((plotH - ridge) * i) / (n - 1) : plotH - ridge);
}

export function ridgeHeight(height: number): number {
  return (height - PAD.top - PAD.bottom) * 0.38;
}

/**
 * TensorBoard-style histograms: "offset" stacks one ridge per step, "overlay" draws every step on one
 * axis, newer steps darker. `hover` is the index of the step to emphasise.
 */
export function drawHistograms(
  ctx: CanvasRenderingContext2D,
  width: number,
  height: number,
  points: readonly HistogramPoint[],
  layout: HistogramLayout,
  mode: HistogramMode,
  color: string,
  theme: ChartTheme,
  hover: number | null,
) {
  const { edges, counts, maxCount } = layout;
  const n = points.length;
  const lo = edges[0];
  const hi = edges[edges.length - 1];
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const xOf = (v: number) => PAD.left + ((v - lo) / (hi - lo)) * plotW;
  const ridge = mode === 'offset' ? ridgeHeight(height) : plotH;

  ctx.font = theme.font;
  ctx.lineWidth = 1;
  // x axis
  ctx.strokeStyle = theme.grid;
  ctx.fillStyle = theme.axis;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of niceTicks(lo, hi, Math.max(2, Math.floor(plotW / 80)))) {
    const x = xOf(t);
    ctx.beginPath();
    ctx.moveTo(x, PAD.top);
    ctx.lineTo(x, PAD.top + plotH);
    ctx.stroke();
    ctx.fillText(formatTick(t), x, PAD.top + plotH + 6);
  }

  const path = (i: number, base: number) => {
    const c = counts[i];
    ctx.beginPath();
    ctx.moveTo(xOf(edges[0]), base);
    for (let k = 0; k < c.length; k++) {
      const y = base - (c[k] / maxCount) * ridge;
      ctx.lineTo(xOf((edges[k] + edges[k + 1]) / 2), y);
    }
    ctx.lineTo(xOf(edges[edges.length - 1]), base);
  };

  for (let i = 0; i < n; i++) {
    const age = n > 1 ? i / (n - 1) : 1;
    const base = mode === 'offset' ? baseline(i, n, height, ridge) : PAD.top + plotH;
    path(i, base);
    if (mode === 'offset') {
      ctx.fillStyle = theme.background; // hides the ridges behind
      ctx.fill();
      ctx.fillStyle = withAlpha(color, 0.1 + 0.35 * age);
      ctx.fill();
    }
    ctx.strokeStyle =
      i === hover ? theme.text : withAlpha(color, mode === 'overlay' ? 0.15 + 0.85 * age : 0.9);
    ctx.lineWidth = i === hover ? 2 : 1;
    ctx.stroke();
  }

  // step labels on the right (offset) or the hovered step (overlay)
  ctx.fillStyle = theme.axis;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  if (mode === 'offset') {
    const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor((plotH - ridge) / 18))));
    for (let i = 0; i < n; i += every)
      ctx.fillText(String(points[i].step), width - PAD.right + 8, baseline(i, n, height, ridge));
  }
  if (hover !== null && points[hover]) {
    ctx.fillStyle = theme.text;
    const y = mode === 'offset' ? baseline(hover, n, height, ridge) : PAD.top + 8;
    ctx.fillText(`step ${points[hover].step}`, width - PAD.right + 8, y);
  }
}

import { useCanvas } from '../../components/useCanvas';
import { formatValue } from '../../lib/format';

/** A small bar histogram with its first and last edge (a weight's values, an activation's). */
export function HistogramBars({
  counts,
  edges,
  height,
  testId,
  label,
}: {
  counts: ArrayLike<number>;
  edges: ArrayLike<number>;
  height: number;
  testId: string;
  label: string;
}) {
  const { ref } = useCanvas(
    height,
    (ctx, width, h) => {
      let top = 0;
      for (let i = 0; i < counts.length; i++) top = Math.max(top, counts[i]);
      const bw = width / Math.max(1, counts.length);
      ctx.fillStyle = getComputedStyle(ctx.canvas).getPropertyValue('--accent') || '#2563eb';
      for (let i = 0; i < counts.length; i++) {
        const bh = top ? (counts[i] / top) * (h - 14) : 0;
        ctx.fillRect(i * bw + 0.5, h - 14 - bh, Math.max(1, bw - 1), bh);
      }
      ctx.fillStyle = getComputedStyle(ctx.canvas).getPropertyValue('--muted') || '#6b7280';
      ctx.font = '10px system-ui, sans-serif';
      ctx.textBaseline = 'bottom';
      ctx.textAlign = 'left';
      ctx.fillText(formatValue(edges[0]), 0, h);
      ctx.textAlign = 'right';
      ctx.fillText(formatValue(edges[edges.length - 1]), width, h);
    },
    [counts, edges],
  );
  return (
    <div className="weight-histogram">
      <canvas
        ref={ref}
        data-testid={testId}
        data-counts={Array.from(counts).join(',')}
        data-edges={`${edges[0]},${edges[edges.length - 1]}`}
        aria-label={label}
      />
    </div>
  );
}

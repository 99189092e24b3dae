/**
 * One weight tensor: statistics (mean, std, min, max, zeros, NaN, Inf), a histogram and a heatmap of its
 * 2-D slices (the last two axes; a slider walks the leading ones) with the value under the pointer.
 */
import type { NumericArray } from '@tensorscope/analysis/model';
import type { TensorInfo } from '@tensorscope/formats/model';
import { useEffect, useRef, useState } from 'react';
import { useCanvas } from '../../components/useCanvas';
import { formatValue as formatNumber } from '../../lib/format';
import { HistogramBars } from './HistogramBars';
import { StatRows } from './StatRows';
import type { WeightSummary } from './weightSummary';
import { summarizeInWorker } from './weightsClient';

interface Loaded {
  data: NumericArray;
  summary: WeightSummary;
}

export function WeightView({ tensor }: { tensor: TensorInfo }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setLoaded(null);
    setError(null);
    tensor
      .read()
      .then(async (data) => {
        if (Array.isArray(data)) throw new Error(`${tensor.name} holds strings, which have no statistics.`);
        const summary = await summarizeInWorker(data);
        if (live) setLoaded({ data, summary });
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [tensor]);

  const shape = tensor.shape.map((d) => (d === null ? '?' : String(d))).join(' × ');
  return (
    <section className="weight" data-testid="weight" data-name={tensor.name}>
      <h4 className="weight-name" title={tensor.name}>
        {tensor.name}
      </h4>
      <div className="muted">
        {tensor.dtype} [{shape}]
      </div>
      {error && <div className="banner error">{error}</div>}
      {!loaded && !error && <div className="muted">Reading…</div>}
      {loaded && <StatsTable summary={loaded.summary} />}
      {loaded && (
        <HistogramBars
          counts={loaded.summary.histogram.counts}
          edges={loaded.summary.histogram.edges}
          height={90}
          testId="weight-histogram"
          label="Histogram of the values"
        />
      )}
      {loaded && <Heatmap data={loaded.data} shape={tensor.shape} absMax={loaded.summary.stats.absMax} />}
    </section>
  );
}

function StatsTable({ summary }: { summary: WeightSummary }) {
  const s = summary.stats;
  const rows: [string, string][] = [
    ['mean', formatNumber(s.mean)],
    ['std', formatNumber(s.std)],
    ['min', formatNumber(s.min)],
    ['max', formatNumber(s.max)],
    ['zeros', `${s.zeros.toLocaleString('en')} (${((100 * s.zeros) / Math.max(1, s.count)).toFixed(1)}%)`],
    ['NaN', s.nan.toLocaleString('en')],
    ['Inf', (s.posInf + s.negInf).toLocaleString('en')],
    ['count', s.count.toLocaleString('en')],
  ];
  return <StatRows rows={rows} testId="weight-stats" />;
}

const MAX_SIDE = 256;

function Heatmap({
  data,
  shape,
  absMax,
}: {
  data: NumericArray;
  shape: TensorInfo['shape'];
  absMax: number;
}) {
  const dims = shape.map((d) => (typeof d === 'number' ? d : 0));
  const cols = dims.length ? dims[dims.length - 1] : 1;
  const rows = dims.length >= 2 ? dims[dims.length - 2] : 1;
  const slices = rows * cols ? Math.floor(data.length / (rows * cols)) : 0;
  const [slice, setSlice] = useState(0);
  const [tip, setTip] = useState<{ x: number; y: number; text: string } | null>(null);
  const ref = useRef<HTMLCanvasElement>(null);
  const stepR = Math.max(1, Math.ceil(rows / MAX_SIDE));
  const stepC = Math.max(1, Math.ceil(cols / MAX_SIDE));
  const h = Math.ceil(rows / stepR);
  const w = Math.ceil(cols / stepC);
  const at = (r: number, c: number) => Number(data[slice * rows * cols + r * cols + c]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: at() reads data and slice
  useEffect(() => {
    const c = ref.current;
    if (!c || !slices) return;
    c.width = w;
    c.height = h;
    const ctx = c.getContext('2d')!;
    const img = ctx.createImageData(w, h);
    const scale = absMax > 0 ? 1 / absMax : 0;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const v = at(i * stepR, j * stepC);
        const p = 4 * (i * w + j);
        const [r, g, b] = diverging(v * scale, v);
        img.data[p] = r;
        img.data[p + 1] = g;
        img.data[p + 2] = b;
        img.data[p + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }, [data, slice, rows, cols, absMax]);

  if (!slices) return null;
  const onMove = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const row = Math.min(rows - 1, Math.floor(((e.clientY - r.top) / r.height) * h) * stepR);
    const col = Math.min(cols - 1, Math.floor(((e.clientX - r.left) / r.width) * w) * stepC);
    const lead = slices > 1 ? `${slice}, ` : '';
    setTip({
      x: e.clientX - r.left,
      y: e.clientY - r.top,
      text: `[${lead}${row}, ${col}] = ${formatNumber(at(row, col))}`,
    });
  };
  return (
    <div className="weight-heatmap">
      <div className="muted">
        {rows} × {cols} slice{slices > 1 ? ` ${slice + 1} of ${slices}` : ''}
        {stepR * stepC > 1
          ? ` (every ${stepR > 1 ? `${stepR}th row` : ''}${stepR > 1 && stepC > 1 ? ', ' : ''}${stepC > 1 ? `${stepC}th column` : ''})`
          : ''}
      </div>
      {slices > 1 && (
        <input
          type="range"
          min={0}
          max={slices - 1}
          value={slice}
          onChange={(e) => setSlice(Number(e.target.value))}
          aria-label="Slice"
        />
      )}
      <div className="heatmap-frame">
        <canvas
          ref={ref}
          data-testid="weight-heatmap"
          className="heatmap-canvas"
          style={{ aspectRatio: `${w} / ${h}` }}
          onMouseMove={onMove}
          onMouseLeave={() => setTip(null)}
        />
        {tip && (
          <div
            className="tooltip heatmap-tip"
            data-testid="heatmap-tip"
            style={{ left: tip.x + 12, top: tip.y + 12 }}
          >
            {tip.text}
          </div>
        )}
      </div>
    </div>
  );
}

/** Blue for negative, white for zero, red for positive; NaN magenta, Inf black. */
function diverging(t: number, v: number): [number, number, number] {
  if (Number.isNaN(v)) return [255, 0, 255];
  if (!Number.isFinite(v)) return [0, 0, 0];
  const a = Math.min(1, Math.abs(t));
  const fade = Math.round(255 * (1 - a));
  return t < 0 ? [fade, Math.round(255 - 155 * a), 255] : [255, Math.round(255 - 155 * a), fade];
}

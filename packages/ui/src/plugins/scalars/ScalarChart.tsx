import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { chartTheme, withAlpha } from '../../lib/chartTheme';
import { formatDuration, formatTick, formatValue, formatWallTime } from '../../lib/format';
import { yRange } from '../../lib/range';
import type { Theme, XAxis } from '../../lib/viewState';
import { type LineInput, nearest, type Prepared } from './prepare';

export interface ChartLine {
  key: string;
  run: string;
  tag: string;
  color: string;
  input: LineInput;
}

export interface ChartSettings {
  x: XAxis;
  log: boolean;
  robust: boolean;
  smoothing: number;
  zoom: [number, number] | null;
}

interface Props {
  lines: ChartLine[];
  prepared: Prepared;
  settings: ChartSettings;
  theme: Theme;
  onZoom(zoom: [number, number] | null): void;
  height?: number;
  /** margin charts fill between lines [i, j] of the prepared table */
  bands?: [number, number][];
  /** a vertical line with a label at this x (e.g. the step a doctor finding started) */
  mark?: { x: number; label: string } | null;
}

/**
 * One scalar chart: uPlot on canvas, the smoothed line over a faint raw line, drag to zoom,
 * double-click to reset, and a tooltip listing every line's step, value, smoothed value and time.
 */
export function ScalarChart({ lines, prepared, settings, theme, onZoom, height = 240, bands, mark }: Props) {
  const wrap = useRef<HTMLDivElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  const markEl = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const live = useRef({ lines, prepared, settings, onZoom, mark });
  live.current = { lines, prepared, settings, onZoom, mark };
  // many runs at different steps: each line on its own x (uPlot's mode 2), see prepareLines
  const faceted = !!prepared.facets;

  const structure = `${lines.map((l) => l.key + l.color).join('\n')}|${settings.x}|${settings.log}|${settings.smoothing > 0}|${theme}|${height}|${JSON.stringify(bands ?? [])}|${faceted}`;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the chart is rebuilt only when its structure changes; data flows through setData below
  useEffect(() => {
    const el = wrap.current!;
    const t = chartTheme();
    const smoothed = settings.smoothing > 0;
    // over many runs the faint raw lines only blur the chart and double its drawing (the tooltip
    // still gives every raw value)
    const raw = smoothed && lines.length <= MAX_RAW_LINES;
    const axis = {
      stroke: t.axis,
      font: t.font,
      grid: { stroke: t.grid, width: 1 },
      ticks: { stroke: t.grid, width: 1, size: 4 },
    };
    const series: uPlot.Series[] = [{}];
    const paths = faceted ? uPlot.paths.linear!() : undefined;
    for (const l of lines) {
      series.push({
        label: l.key,
        stroke: withAlpha(l.color, 0.28),
        width: 1,
        show: raw,
        points: { show: false },
        paths,
      });
      series.push({ label: l.key, stroke: l.color, width: 1.6, points: { show: false }, paths });
    }
    const opts: uPlot.Options = {
      mode: faceted ? 2 : 1,
      width: el.clientWidth || 400,
      height,
      legend: { show: false },
      padding: [8, 12, 0, 0],
      cursor: {
        drag: { x: true, y: false, setScale: false },
        bind: {
          dblclick: () => () => {
            live.current.onZoom(null);
            return null;
          },
        },
        points: { size: 6, show: !faceted },
      },
      scales: {
        x: { time: settings.x === 'wall' },
        y: { distr: settings.log ? 3 : 1, range: (u) => visibleRange(u, live.current.settings.robust) },
      },
      bands: bands?.map(([a, b]) => ({
        series: [2 + a * 2, 2 + b * 2] as [number, number],
        fill: withAlpha(lines[a].color, 0.12),
      })),
      axes: [
        {
          ...axis,
          values:
            settings.x === 'relative'
              ? (_u, vals) => vals.map((v) => (Number.isFinite(v) ? formatDuration(v) : ''))
              : undefined,
        },
        {
          ...axis,
          size: 58,
          values: (_u, vals) => vals.map((v) => (Number.isFinite(v) ? formatTick(v) : '')),
        },
      ],
      series,
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width > 3) {
              const a = u.posToVal(u.select.left, 'x');
              const b = u.posToVal(u.select.left + u.select.width, 'x');
              live.current.onZoom([a, b]);
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
        setCursor: [(u) => drawTooltip(u, tip.current!, live.current)],
        draw: [(u) => placeMark(u, markEl.current!, live.current.mark)],
      },
    };
    const u = new uPlot(opts, toData(live.current.prepared), el);
    // for the first-chart benchmark (bench/dashboard-first-chart.ts)
    if (!performance.getEntriesByName('tensorscope:first-chart').length)
      performance.mark('tensorscope:first-chart');
    plot.current = u;
    applyZoom(u, live.current.settings.zoom);
    const ro = new ResizeObserver(() => {
      if (el.clientWidth && el.clientWidth !== u.width) u.setSize({ width: el.clientWidth, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [structure]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new outlier setting must re-range y, which setData does
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData(toData(prepared), true);
    applyZoom(u, settings.zoom);
  }, [prepared, settings.zoom, settings.robust]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the mark moves without rebuilding the chart
  useEffect(() => {
    if (plot.current) placeMark(plot.current, markEl.current!, mark);
  }, [mark?.x, mark?.label]);

  return (
    <div className="chart">
      <div
        ref={wrap}
        className="chart-canvas"
        data-testid="scalar-chart"
        data-faceted={faceted || undefined}
      />
      <div ref={markEl} className="chart-mark" data-testid="chart-mark" hidden>
        <span className="chart-mark-label" />
      </div>
      <div ref={tip} className="tooltip" data-testid="tooltip" hidden />
    </div>
  );
}

/** A vertical line at mark.x over the plot area (hidden when outside the x range). */
function placeMark(u: uPlot, el: HTMLDivElement, mark: { x: number; label: string } | null | undefined) {
  const min = u.scales.x.min;
  const max = u.scales.x.max;
  if (!mark || min == null || max == null || mark.x < min || mark.x > max) {
    el.hidden = true;
    return;
  }
  const over = u.over.getBoundingClientRect();
  const host = el.parentElement!.getBoundingClientRect();
  el.hidden = false;
  el.dataset.x = String(mark.x);
  el.style.left = `${over.left - host.left + u.valToPos(mark.x, 'x')}px`;
  el.style.top = `${over.top - host.top}px`;
  el.style.height = `${over.height}px`;
  el.querySelector('span')!.textContent = mark.label;
}

/** Aligned data (one x column), or in mode 2 one [x, y] pair per line. */
function toData(p: Prepared): uPlot.AlignedData {
  if (p.facets) {
    const cols: unknown[] = [null];
    for (const f of p.facets) cols.push([f.x, f.raw], [f.x, f.smooth]);
    return cols as unknown as uPlot.AlignedData;
  }
  const cols: (typeof p.raw)[number][] = [];
  for (let i = 0; i < p.raw.length; i++) cols.push(p.raw[i], p.smooth[i]);
  return [p.x, ...cols] as uPlot.AlignedData;
}

/** Charts with more lines than this draw only the smoothed line of each run. */
const MAX_RAW_LINES = 100;

/** uPlot's mode 2 (each series its own x): set by the options, not in uPlot's typings. */
function isFaceted(u: uPlot): boolean {
  return (u as uPlot & { mode?: number }).mode === 2;
}

/** Columns of series s: its own x in mode 2, the shared x otherwise. */
function columns(u: uPlot, s: number): [ArrayLike<number>, ArrayLike<number | null | undefined>] {
  if (isFaceted(u)) return u.data[s] as unknown as [ArrayLike<number>, ArrayLike<number | null>];
  return [u.data[0], u.data[s]];
}

function applyZoom(u: uPlot, zoom: [number, number] | null) {
  if (zoom) return u.setScale('x', { min: zoom[0], max: zoom[1] });
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let s = isFaceted(u) ? 1 : 0; s < (isFaceted(u) ? u.data.length : 1); s++) {
    const xs = isFaceted(u) ? columns(u, s)[0] : u.data[0];
    if (!xs.length) continue;
    lo = Math.min(lo, xs[0]);
    hi = Math.max(hi, xs[xs.length - 1]);
  }
  if (lo <= hi) u.setScale('x', { min: lo, max: hi + (lo === hi ? 1 : 0) });
}

/** uPlot asks for the y range several times per draw: the last answer per chart, by its inputs. */
const lastRange = new WeakMap<
  uPlot,
  { data: unknown; min: unknown; max: unknown; robust: boolean; r: uPlot.Range.MinMax }
>();

/** The y range of what is inside the x range, robust to outliers when asked. */
function visibleRange(u: uPlot, robust: boolean): uPlot.Range.MinMax {
  const memo = lastRange.get(u);
  if (
    memo &&
    memo.data === u.data &&
    memo.min === u.scales.x.min &&
    memo.max === u.scales.x.max &&
    memo.robust === robust
  )
    return memo.r;
  const r = computeRange(u, robust);
  lastRange.set(u, { data: u.data, min: u.scales.x.min, max: u.scales.x.max, robust, r });
  return r;
}

function computeRange(u: uPlot, robust: boolean): uPlot.Range.MinMax {
  // before the first draw the scale's bounds are null
  const min = u.scales.x.min ?? Number.NEGATIVE_INFINITY;
  const max = u.scales.x.max ?? Number.POSITIVE_INFINITY;
  const values: (number | null)[] = [];
  for (let s = 1; s < u.data.length; s++) {
    if (!u.series[s].show) continue;
    const [xs, col] = columns(u, s);
    let i = 0;
    while (i < xs.length && xs[i] < min) i++;
    for (; i < xs.length && xs[i] <= max; i++) {
      const v = col[i];
      if (v !== undefined && v !== null) values.push(v);
    }
  }
  const log = u.scales.y.distr === 3;
  const r = yRange(values, robust, log);
  return r ?? (log ? [1, 10] : [0, 1]);
}

function drawTooltip(u: uPlot, el: HTMLDivElement, ctx: { lines: ChartLine[]; prepared: Prepared }) {
  const idx = u.cursor.idx;
  const left = u.cursor.left ?? -1;
  if (((idx === null || idx === undefined) && !isFaceted(u)) || left < 0) {
    el.hidden = true;
    return;
  }
  const x = u.posToVal(left, 'x');
  const rows: { line: ChartLine; i: number; smoothed: number }[] = [];
  ctx.lines.forEach((line, s) => {
    const own = ctx.prepared.own[s];
    if (!own) return;
    const k = nearest(own, x);
    if (k < 0) return;
    const i = own.order[k];
    rows.push({ line, i, smoothed: own.smoothed[i] });
  });
  rows.sort((a, b) => (b.smoothed || 0) - (a.smoothed || 0));
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const h of ['', 'Run', 'Smoothed', 'Value', 'Step', 'Relative', 'Wall time']) {
    const th = document.createElement('th');
    th.textContent = h;
    head.appendChild(th);
  }
  const body = table.createTBody();
  const shown = rows.slice(0, 40);
  const manyTags = new Set(ctx.lines.map((l) => l.tag)).size > 1;
  for (const { line, i, smoothed } of shown) {
    const own = ctx.prepared.own[ctx.lines.indexOf(line)];
    const tr = body.insertRow();
    tr.dataset.run = line.run;
    tr.dataset.tag = line.tag;
    const sw = tr.insertCell();
    const dot = document.createElement('span');
    dot.className = 'swatch';
    dot.style.background = line.color;
    dot.style.borderColor = line.color;
    sw.appendChild(dot);
    const value = line.input.values[i];
    const cells: [string, string][] = [
      ['run', manyTags ? `${line.run} · ${line.tag}` : line.run],
      [
        'smoothed',
        Number.isFinite(smoothed) ? String(Number(smoothed.toPrecision(7))) : formatValue(smoothed),
      ],
      ['value', formatValue(value === null ? Number.NaN : value)],
      ['step', String(line.input.steps[i])],
      ['relative', formatDuration(line.input.wall_times[i] - own.origin)],
      ['wall', formatWallTime(line.input.wall_times[i])],
    ];
    for (const [cls, text] of cells) {
      const td = tr.insertCell();
      td.className = cls;
      td.textContent = text;
    }
  }
  if (rows.length > shown.length) {
    const tr = body.insertRow();
    const td = tr.insertCell();
    td.colSpan = 7;
    td.className = 'muted';
    td.textContent = `and ${rows.length - shown.length} more runs`;
  }
  el.replaceChildren(table);
  el.hidden = false;
  const bbox = u.over.getBoundingClientRect();
  const host = el.parentElement!.getBoundingClientRect();
  const cx = bbox.left - host.left + left;
  const cy = bbox.top - host.top + (u.cursor.top ?? 0);
  const w = el.offsetWidth;
  el.style.left = `${cx + 16 + w > host.width ? Math.max(0, cx - 16 - w) : cx + 16}px`;
  el.style.top = `${Math.max(0, Math.min(cy + 12, host.height - el.offsetHeight))}px`;
}

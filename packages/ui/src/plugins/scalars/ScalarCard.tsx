import { useState } from 'react';
import { LazyCard } from '../../components/LazyCard';
import { assignSlots, runColor } from '../../lib/colors';
import { type ExportRow, toCsv, toJson } from '../../lib/exportData';
import type { Theme, ViewState } from '../../lib/viewState';
import type { Prepared } from './prepare';
import { type ChartLine, ScalarChart } from './ScalarChart';
import { type LineRequest, type TaggedSeries, useScalarLines } from './useScalarLines';

interface Props {
  title: string;
  requests: LineRequest[];
  color(run: string): string;
  view: ViewState;
  update(patch: Partial<ViewState>): void;
  version: number;
  theme: Theme;
  /** margin charts: fill between the lines of each pair of tags [upper, lower] of a run */
  bandTags?: [string, string];
  /** a marked step (a doctor finding's onset) */
  mark?: { x: number; label: string } | null;
}

export function ScalarCard(props: Props) {
  const [wide, setWide] = useState(false);
  return (
    <LazyCard
      title={props.title}
      wide={wide}
      testId="scalar-card"
      release
      actions={
        <button
          type="button"
          className="icon-button small"
          title={wide ? 'Shrink' : 'Expand'}
          onClick={() => setWide(!wide)}
        >
          {wide ? '⤡' : '⤢'}
        </button>
      }
    >
      <ScalarCardBody {...props} height={wide ? 380 : 240} />
    </LazyCard>
  );
}

function ScalarCardBody({
  title,
  requests,
  color,
  view,
  update,
  version,
  theme,
  height,
  bandTags,
  mark,
}: Props & { height: number }) {
  const { series, prepared, error } = useScalarLines(requests, { ...view, version });
  if (error) return <div className="hint error">{error}</div>;
  if (!prepared) return <div className="placeholder" />;
  // several tags in one chart (custom scalars): a colour per line, so one run's tags can be told apart
  const multiTag = new Set(series.map((s) => s.tag)).size > 1;
  const keys = series.map((s) => `${s.run}\n${s.tag}`);
  const slots = multiTag ? assignSlots(keys) : null;
  const lines: ChartLine[] = series.map((s, i) => ({
    key: keys[i],
    run: s.run,
    tag: s.tag,
    color: slots ? runColor(keys[i], theme, slots) : color(s.run),
    input: s,
  }));
  const bands: [number, number][] = [];
  if (bandTags)
    series.forEach((s, i) => {
      if (s.tag !== bandTags[0]) return;
      const j = series.findIndex((o) => o.run === s.run && o.tag === bandTags[1]);
      if (j >= 0) bands.push([i, j]);
    });
  const runCount = new Set(series.map((s) => s.run)).size;
  const total = series.reduce((n, s) => n + s.total, 0);
  const drawn = series.reduce((n, s) => n + s.steps.length, 0);
  return (
    <>
      <ScalarChart
        lines={lines}
        prepared={prepared}
        settings={view}
        theme={theme}
        onZoom={(zoom) => update({ zoom })}
        height={height}
        bands={bands}
        mark={mark}
      />
      {multiTag && (
        <ul className="legend">
          {lines.map((l) => (
            <li key={l.key}>
              <span className="swatch" style={{ background: l.color, borderColor: l.color }} />
              {runCount > 1 ? `${l.run} · ${l.tag}` : l.tag}
            </li>
          ))}
        </ul>
      )}
      <footer className="card-foot">
        <span className="muted">
          {runCount} run{runCount === 1 ? '' : 's'} ·{' '}
          {drawn === total ? `${total} points` : `${drawn} of ${total} points (zoom in for all)`}
        </span>
        <span className="downloads">
          <button type="button" className="link" onClick={() => download(title, 'csv', series, prepared)}>
            CSV
          </button>
          <button type="button" className="link" onClick={() => download(title, 'json', series, prepared)}>
            JSON
          </button>
        </span>
      </footer>
    </>
  );
}

/** The rows behind a chart: every point fetched, with the smoothed value the chart drew. */
export function exportRows(series: TaggedSeries[], prepared: Prepared): ExportRow[] {
  return series.flatMap((s, k) =>
    s.steps.map((step, i) => ({
      run: s.run,
      tag: s.tag,
      step,
      wall_time: s.wall_times[i],
      value: s.values[i] === null ? nonFinite(s, step) : s.values[i],
      smoothed: Number.isNaN(prepared.own[k].smoothed[i]) ? null : prepared.own[k].smoothed[i],
    })),
  );
}

function nonFinite(s: TaggedSeries, step: number): number | null {
  const v = s.nonfinite?.find((n) => n.step === step)?.value;
  return v === undefined ? null : Number(v);
}

export function download(name: string, format: 'csv' | 'json', series: TaggedSeries[], prepared: Prepared) {
  const rows = exportRows(series, prepared);
  const text = format === 'csv' ? toCsv(rows) : toJson(rows);
  const blob = new Blob([text], { type: format === 'csv' ? 'text/csv' : 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${name.replace(/[^\w.-]+/g, '_')}.${format}`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

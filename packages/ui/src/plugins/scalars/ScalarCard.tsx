import { useState } from 'react';
import type { ScalarSeries } from '../../app/types';
import { LazyCard } from '../../components/LazyCard';
import { type ExportRow, toCsv, toJson } from '../../lib/exportData';
import type { Theme, ViewState } from '../../lib/viewState';
import type { Prepared } from './prepare';
import { type ChartLine, ScalarChart } from './ScalarChart';
import { useScalarLines } from './useScalarLines';

interface Props {
  tag: string;
  runs: string[];
  color(run: string): string;
  view: ViewState;
  update(patch: Partial<ViewState>): void;
  version: number;
  theme: Theme;
}

export function ScalarCard(props: Props) {
  const [wide, setWide] = useState(false);
  return (
    <LazyCard
      title={props.tag}
      wide={wide}
      testId="scalar-card"
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
  tag,
  runs,
  color,
  view,
  update,
  version,
  theme,
  height,
}: Props & { height: number }) {
  const { series, prepared, error } = useScalarLines(tag, runs, { ...view, version });
  if (error) return <div className="hint error">{error}</div>;
  if (!prepared) return <div className="placeholder" />;
  const lines: ChartLine[] = series.map((s) => ({
    key: s.run,
    run: s.run,
    tag,
    color: color(s.run),
    input: s,
  }));
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
      />
      <footer className="card-foot">
        <span className="muted">
          {series.length} run{series.length === 1 ? '' : 's'} ·{' '}
          {drawn === total ? `${total} points` : `${drawn} of ${total} points (zoom in for all)`}
        </span>
        <span className="downloads">
          <button type="button" className="link" onClick={() => download(tag, 'csv', series, prepared)}>
            CSV
          </button>
          <button type="button" className="link" onClick={() => download(tag, 'json', series, prepared)}>
            JSON
          </button>
        </span>
      </footer>
    </>
  );
}

/** The rows behind a chart: every point fetched, with the smoothed value the chart drew. */
export function exportRows(tag: string, series: ScalarSeries[], prepared: Prepared): ExportRow[] {
  return series.flatMap((s, k) =>
    s.steps.map((step, i) => ({
      run: s.run,
      tag,
      step,
      wall_time: s.wall_times[i],
      value: s.values[i] === null ? nonFinite(s, step) : s.values[i],
      smoothed: Number.isNaN(prepared.own[k].smoothed[i]) ? null : prepared.own[k].smoothed[i],
    })),
  );
}

function nonFinite(s: ScalarSeries, step: number): number | null {
  const v = s.nonfinite?.find((n) => n.step === step)?.value;
  return v === undefined ? null : Number(v);
}

function download(tag: string, format: 'csv' | 'json', series: ScalarSeries[], prepared: Prepared) {
  const rows = exportRows(tag, series, prepared);
  const text = format === 'csv' ? toCsv(rows) : toJson(rows);
  const blob = new Blob([text], { type: format === 'csv' ? 'text/csv' : 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${tag.replace(/[^\w.-]+/g, '_')}.${format}`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

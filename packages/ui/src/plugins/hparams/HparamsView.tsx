import { useMemo, useState } from 'react';
import { apiPath } from '../../app/api';
import { useApi } from '../../app/useApi';
import { XYPlot } from '../../components/XYPlot';
import { formatTick, formatValue } from '../../lib/format';
import { compareNatural } from '../../lib/tags';
import type { Theme } from '../../lib/viewState';
import type { PluginProps } from '../types';
import { type Axis, buildAxis, type HValue, position } from './axes';

interface HparamsResponse {
  hparams: { name: string; type?: string }[];
  metrics: { tag: string }[];
  sessions: {
    run: string;
    hparams: Record<string, HValue>;
    metrics: Record<string, number | null>;
    status?: string;
  }[];
}
type Session = HparamsResponse['sessions'][number];

function show(v: HValue): string {
  if (v === null || v === undefined) return '—';
  return typeof v === 'number' ? formatValue(v) : String(v);
}

export function HparamsView({ runs, selected, color, view, update, versionOf, theme }: PluginProps) {
  const { data, error } = useApi<HparamsResponse>(apiPath('hparams'), versionOf());
  const [hovered, setHovered] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: string; desc: boolean }>({ key: 'run', desc: false });
  const known = useMemo(() => new Set(runs.map((r) => r.name)), [runs]);
  const on = useMemo(() => new Set(selected.map((r) => r.name)), [selected]);
  const sessions = useMemo(() => {
    const list = (data?.sessions ?? []).filter((s) => on.has(s.run) || !known.has(s.run));
    const value = (s: Session): HValue =>
      sort.key === 'run'
        ? s.run
        : sort.key.startsWith('m:')
          ? s.metrics[sort.key.slice(2)]
          : s.hparams[sort.key.slice(2)];
    return list.sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      const c =
        typeof va === 'number' && typeof vb === 'number' ? va - vb : compareNatural(show(va), show(vb));
      return sort.desc ? -c : c;
    });
  }, [data, on, known, sort]);
  const axes: Axis[] = useMemo(
    () =>
      data
        ? [
            ...data.hparams.map((h) =>
              buildAxis(
                `h:${h.name}`,
                h.name,
                'hparam',
                sessions.map((s) => s.hparams[h.name]),
              ),
            ),
            ...data.metrics.map((m) =>
              buildAxis(
                `m:${m.tag}`,
                m.tag,
                'metric',
                sessions.map((s) => s.metrics[m.tag]),
              ),
            ),
          ]
        : [],
    [data, sessions],
  );
  const xKey = view.extra.hx ?? axes.find((a) => a.kind === 'hparam')?.key ?? '';
  const yKey = view.extra.hy ?? axes.find((a) => a.kind === 'metric')?.key ?? '';

  if (error) return <div className="banner error">{error}</div>;
  if (!data) return <div className="empty">Loading hparams…</div>;
  if (data.sessions.length === 0) return <div className="empty">No hparams sessions were written.</div>;

  const valueFor = (s: Session, key: string): HValue =>
    key.startsWith('m:') ? s.metrics[key.slice(2)] : s.hparams[key.slice(2)];
  const header = (key: string, label: string) => (
    <th key={key} aria-sort={sort.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
      <button
        type="button"
        className="th-button"
        onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : false })}
      >
        {label}
        {sort.key === key ? (sort.desc ? ' ↓' : ' ↑') : ''}
      </button>
    </th>
  );
  const toggle = (run: string) =>
    update({
      hidden: view.hidden.includes(run) ? view.hidden.filter((h) => h !== run) : [...view.hidden, run],
    });

  return (
    <>
      <div className="toolbar">
        <span className="muted">
          {sessions.length} of {data.sessions.length} sessions (runs switched off in the sidebar are left
          out). Hover a row to find it in the plots.
        </span>
      </div>
      <section className="card wide">
        <header className="card-head">
          <h3>Sessions</h3>
        </header>
        <div className="card-body table-wrap">
          <table className="data-table" data-testid="hparams-table">
            <thead>
              <tr>
                <th />
                {header('run', 'run')}
                {data.hparams.map((h) => header(`h:${h.name}`, h.name))}
                {data.metrics.map((m) => header(`m:${m.tag}`, m.tag))}
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr
                  key={s.run}
                  data-run={s.run}
                  className={hovered === s.run ? 'hovered' : ''}
                  onMouseEnter={() => setHovered(s.run)}
                  onMouseLeave={() => setHovered(null)}
                >
                  <td>
                    <span
                      className="swatch"
                      style={{ background: color(s.run), borderColor: color(s.run) }}
                    />
                  </td>
                  <td className="mono">
                    {known.has(s.run) ? (
                      <button
                        type="button"
                        className="link"
                        title="Switch this run off"
                        onClick={() => toggle(s.run)}
                      >
                        {s.run}
                      </button>
                    ) : (
                      s.run
                    )}
                  </td>
                  {data.hparams.map((h) => (
                    <td key={h.name}>{show(s.hparams[h.name])}</td>
                  ))}
                  {data.metrics.map((m) => (
                    <td key={m.tag} className="num">
                      {show(s.metrics[m.tag])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <div className="grid">
        <section className="card wide">
          <header className="card-head">
            <h3>Parallel coordinates</h3>
          </header>
          <div className="card-body">
            <ParallelCoordinates
              axes={axes}
              sessions={sessions}
              color={color}
              hovered={hovered}
              onHover={setHovered}
              valueFor={valueFor}
            />
          </div>
        </section>
        <section className="card">
          <header className="card-head">
            <h3>Hparam vs metric</h3>
            <div className="card-actions">
              <select
                value={xKey}
                onChange={(e) => update({ extra: { ...view.extra, hx: e.target.value } })}
                aria-label="Hparam"
              >
                {axes
                  .filter((a) => a.kind === 'hparam')
                  .map((a) => (
                    <option key={a.key} value={a.key}>
                      {a.label}
                    </option>
                  ))}
              </select>
              <select
                value={yKey}
                onChange={(e) => update({ extra: { ...view.extra, hy: e.target.value } })}
                aria-label="Metric"
              >
                {axes
                  .filter((a) => a.kind === 'metric')
                  .map((a) => (
                    <option key={a.key} value={a.key}>
                      {a.label}
                    </option>
                  ))}
              </select>
            </div>
          </header>
          <div className="card-body">
            <Scatter
              axes={axes}
              xKey={xKey}
              yKey={yKey}
              sessions={sessions}
              color={color}
              hovered={hovered}
              onHover={setHovered}
              valueFor={valueFor}
              theme={theme}
            />
          </div>
        </section>
      </div>
    </>
  );
}

interface PlotProps {
  axes: Axis[];
  sessions: Session[];
  color(run: string): string;
  hovered: string | null;
  onHover(run: string | null): void;
  valueFor(s: Session, key: string): HValue;
}

function Scatter({
  axes,
  xKey,
  yKey,
  sessions,
  color,
  hovered,
  onHover,
  valueFor,
  theme,
}: PlotProps & { xKey: string; yKey: string; theme: Theme }) {
  const xa = axes.find((a) => a.key === xKey);
  const ya = axes.find((a) => a.key === yKey);
  if (!xa || !ya) return <div className="empty">Pick an hparam and a metric.</div>;
  const coord = (a: Axis, v: HValue): number => {
    if (!a.numeric) return a.categories.indexOf(String(v));
    if (typeof v !== 'number') return Number.NaN;
    return a.log ? Math.log10(v) : v;
  };
  const pts = sessions
    .map((s) => ({ s, x: coord(xa, valueFor(s, xKey)), y: coord(ya, valueFor(s, yKey)) }))
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.x >= (xa.numeric ? -Infinity : 0));
  return (
    <XYPlot
      series={pts.map((p) => ({ key: p.s.run, color: color(p.s.run), x: [p.x], y: [p.y], mode: 'points' }))}
      xLabel={
        xa.log ? `log10 ${xa.label}` : xa.numeric ? xa.label : `${xa.label} (${xa.categories.join(', ')})`
      }
      yLabel={ya.log ? `log10 ${ya.label}` : ya.label}
      theme={theme}
      highlight={hovered}
      onHover={onHover}
      testId="hparams-scatter"
      describe={(k) =>
        `${pts[k].s.run} · ${xa.label} ${show(valueFor(pts[k].s, xKey))} · ${ya.label} ${show(valueFor(pts[k].s, yKey))}`
      }
    />
  );
}

const PC = { top: 28, bottom: 26, left: 40, right: 40, height: 300 };

function ParallelCoordinates({ axes, sessions, color, hovered, onHover, valueFor }: PlotProps) {
  const width = Math.max(480, axes.length * 140);
  const x = (i: number) =>
    PC.left + (axes.length > 1 ? (i * (width - PC.left - PC.right)) / (axes.length - 1) : 0);
  const y = (p: number) => PC.top + (1 - p) * (PC.height - PC.top - PC.bottom);
  return (
    <div className="table-wrap">
      <svg
        width={width}
        height={PC.height}
        className="parcoords"
        data-testid="parallel-coordinates"
        role="img"
        aria-label="Parallel coordinates of hparams and metrics"
      >
        {sessions.map((s) => {
          const pts = axes.map((a, i) => {
            const p = position(a, valueFor(s, a.key));
            return p === null ? null : `${x(i)},${y(p)}`;
          });
          const d = pts.filter(Boolean).join(' ');
          const dim = hovered !== null && hovered !== s.run;
          return (
            // biome-ignore lint/a11y/noStaticElementInteractions: hover highlights the same run in the table and scatter
            <polyline
              key={s.run}
              points={d}
              fill="none"
              stroke={color(s.run)}
              strokeWidth={hovered === s.run ? 3 : 1.6}
              opacity={dim ? 0.2 : 0.9}
              onMouseEnter={() => onHover(s.run)}
              onMouseLeave={() => onHover(null)}
            >
              <title>{s.run}</title>
            </polyline>
          );
        })}
        {axes.map((a, i) => (
          <g key={a.key} transform={`translate(${x(i)},0)`}>
            <line y1={PC.top} y2={PC.height - PC.bottom} className="pc-axis" />
            <text
              y={PC.top - 12}
              textAnchor="middle"
              className={a.kind === 'metric' ? 'pc-label metric' : 'pc-label'}
            >
              {a.label}
            </text>
            {a.numeric ? (
              <>
                <text y={y(1) + 4} x={-6} textAnchor="end" className="pc-tick">
                  {formatTick(a.max)}
                </text>
                {a.max !== a.min && (
                  <text y={y(0) + 4} x={-6} textAnchor="end" className="pc-tick">
                    {formatTick(a.min)}
                  </text>
                )}
              </>
            ) : (
              a.categories.map((c) => (
                <text key={c} y={y(position(a, c) ?? 0) + 4} x={-6} textAnchor="end" className="pc-tick">
                  {c}
                </text>
              ))
            )}
          </g>
        ))}
      </svg>
    </div>
  );
}

import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useMemo, useRef } from 'react';
import { filterRegex } from '../lib/tags';
import type { ViewState } from '../lib/viewState';
import { type DoctorSummary, escapeRegex, useDoctor } from './doctor';
import type { RunInfo } from './types';

interface Props {
  runs: RunInfo[];
  view: ViewState;
  update(patch: Partial<ViewState>): void;
  color(run: string): string;
  filterError: string | null;
}

const ROW = 28;

/** The run list: regex filter, toggles, colours; virtualized so thousands of runs scroll smoothly. */
export function RunsSidebar({ runs, view, update, color, filterError }: Props) {
  const parent = useRef<HTMLDivElement>(null);
  const { summaries } = useDoctor();
  const matching = useMemo(() => {
    const re = filterRegex(view.runFilter);
    return runs.filter((r) => re.test(r.name));
  }, [runs, view.runFilter]);
  const hidden = useMemo(() => new Set(view.hidden), [view.hidden]);
  const shown = matching.filter((r) => !hidden.has(r.name)).length;
  const virtualizer = useVirtualizer({
    count: matching.length,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW,
    overscan: 12,
  });

  const toggle = (name: string) =>
    update({ hidden: hidden.has(name) ? view.hidden.filter((h) => h !== name) : [...view.hidden, name] });
  const only = (name: string) => update({ hidden: runs.filter((r) => r.name !== name).map((r) => r.name) });
  const openDoctor = (name: string) => update({ tab: 'doctor', runFilter: `^${escapeRegex(name)}$` });

  return (
    <aside className="sidebar" aria-label="Runs">
      <div className="sidebar-head">
        <label className="field">
          <span className="field-label">Filter runs (regex)</span>
          <input
            type="search"
            placeholder="e.g. ^lr_0\.1"
            value={view.runFilter}
            onChange={(e) => update({ runFilter: e.target.value })}
            aria-invalid={!!filterError}
            spellCheck={false}
          />
        </label>
        {filterError && <div className="hint error">Not a valid regex, matching literally.</div>}
        <div className="run-actions">
          <span className="muted" data-testid="run-count">
            {shown} of {runs.length} runs
          </span>
          <span>
            <button type="button" className="link" onClick={() => update({ hidden: [] })}>
              all
            </button>{' '}
            <button
              type="button"
              className="link"
              onClick={() =>
                update({ hidden: [...new Set([...view.hidden, ...matching.map((r) => r.name)])] })
              }
            >
              none
            </button>
          </span>
        </div>
      </div>
      <div className="run-list" ref={parent} data-testid="run-list">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const run = matching[item.index];
            return (
              <RunRow
                key={run.name}
                run={run}
                top={item.start}
                on={!hidden.has(run.name)}
                color={color(run.name)}
                toggle={toggle}
                only={only}
                doctor={summaries.get(run.name)}
                openDoctor={openDoctor}
              />
            );
          })}
        </div>
      </div>
    </aside>
  );
}

interface RowProps {
  run: RunInfo;
  top: number;
  on: boolean;
  color: string;
  toggle(name: string): void;
  only(name: string): void;
  doctor?: DoctorSummary;
  openDoctor(name: string): void;
}

const RunRow = memo(function RunRow({ run, top, on, color, toggle, only, doctor, openDoctor }: RowProps) {
  const issues = run.issues ?? [];
  const serious = doctor ? doctor.counts.error + doctor.counts.warning : 0;
  return (
    <div className="run-row" style={{ transform: `translateY(${top}px)`, height: ROW }} data-run={run.name}>
      <label title={run.name}>
        <input type="checkbox" checked={on} onChange={() => toggle(run.name)} />
        <span className="swatch" style={{ background: on ? color : 'transparent', borderColor: color }} />
        <span className="run-name">{run.name}</span>
      </label>
      {issues.length > 0 && (
        <span
          className="badge warn"
          data-testid="issue-badge"
          title={issues.map((i) => `${i.file} at byte ${i.offset}: ${i.message}`).join('\n')}
        >
          ⚠ {issues[0].file.split('/').pop()} @{issues[0].offset}
        </span>
      )}
      {serious > 0 && doctor && (
        <button
          type="button"
          className={`badge doctor ${doctor.counts.error ? 'error' : 'warn'}`}
          data-testid="doctor-badge"
          title={doctorTitle(doctor)}
          aria-label={`${serious} doctor finding${serious > 1 ? 's' : ''}: ${doctor.ids.join(', ')}`}
          onClick={() => openDoctor(run.name)}
        >
          {serious}
        </button>
      )}
      <button type="button" className="only" onClick={() => only(run.name)} title="Show only this run">
        only
      </button>
    </div>
  );
});

function doctorTitle(d: DoctorSummary): string {
  const counts = (['error', 'warning', 'info'] as const)
    .filter((k) => d.counts[k])
    .map((k) => `${d.counts[k]} ${k}${d.counts[k] > 1 ? 's' : ''}`);
  return `Doctor: ${counts.join(', ')}\n${d.ids.join('\n')}\n(click for the findings)`;
}

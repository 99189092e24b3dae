import { useMemo, useState } from 'react';
import { apiPath } from '../../app/api';
import {
  type Finding,
  findingView,
  type RunDoctor,
  SEVERITIES,
  type Severity,
  useDoctor,
} from '../../app/doctor';
import { useApi } from '../../app/useApi';
import { compareNatural } from '../../lib/tags';
import type { PluginProps } from '../types';

const TITLES: Record<Severity, string> = { error: 'Errors', warning: 'Warnings', info: 'Notes' };
/** Findings listed per severity before a "show all" (a sweep of thousands of runs can have many). */
const FIRST = 200;

interface Item {
  run: string;
  finding: Finding;
}

/**
 * The findings panel: every selected run's doctor findings grouped by severity, each with its onset
 * step, evidence, tags and fix; a click opens the chart with the onset marked. Strings from files
 * (tag and run names inside the evidence) are only ever rendered as text.
 */
export function DoctorView({ runs, selected, view, update }: PluginProps) {
  const { version } = useDoctor();
  const { data, error } = useApi<{ runs: RunDoctor[]; pending: number }>(
    apiPath('doctor', { detail: 1 }),
    version,
  );
  const shown = useMemo(() => new Set(selected.map((r) => r.name)), [selected]);
  const results = useMemo(
    () => (data?.runs ?? []).filter((r) => shown.has(r.run) && !r.folded_into),
    [data, shown],
  );
  const groups = useMemo(() => {
    const out: Record<Severity, Item[]> = { error: [], warning: [], info: [] };
    for (const r of results) for (const f of r.problems) out[f.severity]?.push({ run: r.run, finding: f });
    for (const s of SEVERITIES)
      out[s].sort((a, b) => compareNatural(a.run, b.run) || a.finding.step - b.finding.step);
    return out;
  }, [results]);
  const missing = useMemo(() => missingSignals(results), [results]);

  if (error) return <div className="banner error">{error}</div>;
  if (!data) return <div className="empty">Diagnosing runs…</div>;
  const healthy = results.filter((r) => r.checked.length && !r.problems.length && !r.error).length;
  const unchecked = results.filter((r) => !r.checked.length && !r.error);
  const failed = results.filter((r) => r.error);
  const open = (it: Item) => update(findingView(it.run, it.finding, runs, view));

  return (
    <div className="doctor">
      <p className="muted doctor-summary" data-testid="doctor-summary">
        {results.length} run{results.length === 1 ? '' : 's'} diagnosed · {healthy} healthy ·{' '}
        {results.filter((r) => r.problems.length).length} with findings
        {unchecked.length > 0 && ` · ${unchecked.length} with nothing to diagnose`}
        {data.pending > 0 && ` · ${data.pending} still being diagnosed`}
      </p>
      {SEVERITIES.map((s) =>
        groups[s].length ? <SeverityGroup key={s} severity={s} items={groups[s]} open={open} /> : null,
      )}
      {failed.length > 0 && (
        <section className="doctor-group">
          <h2>Could not diagnose</h2>
          <ul className="doctor-missing">
            {failed.map((r) => (
              <li key={r.run}>
                <span className="mono">{r.run}</span>: {r.error}
              </li>
            ))}
          </ul>
        </section>
      )}
      {missing.length > 0 && (
        <section className="doctor-group">
          <h2>Not checked</h2>
          <p className="muted">Log these signals and the doctor can check more:</p>
          <ul className="doctor-missing" data-testid="doctor-missing">
            {missing.map((m) => (
              <li key={m.signal}>
                <strong>{m.enables.join(', ')}</strong>: log {m.signal}{' '}
                <span className="muted">
                  ({m.runs} run{m.runs === 1 ? '' : 's'})
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function SeverityGroup({
  severity,
  items,
  open,
}: {
  severity: Severity;
  items: Item[];
  open(it: Item): void;
}) {
  const [all, setAll] = useState(false);
  const list = all ? items : items.slice(0, FIRST);
  return (
    <section className="doctor-group" data-severity={severity}>
      <h2>
        {TITLES[severity]} <span className="count">{items.length}</span>
      </h2>
      {list.map((it) => (
        <FindingCard key={`${it.run}\n${it.finding.id}\n${it.finding.tags[0] ?? ''}`} item={it} open={open} />
      ))}
      {list.length < items.length && (
        <button type="button" className="link" onClick={() => setAll(true)}>
          show all {items.length}
        </button>
      )}
    </section>
  );
}

function FindingCard({ item, open }: { item: Item; open(it: Item): void }) {
  const { run, finding: f } = item;
  return (
    <article className={`finding ${f.severity}`} data-testid="finding" data-run={run} data-id={f.id}>
      <header className="finding-head">
        <span className={`severity ${f.severity}`}>{f.severity}</span>
        <strong className="mono">{f.id}</strong>
        <span className="mono run">{run}</span>
        <span className="muted">from step {f.step}</span>
        <button
          type="button"
          className="chip"
          onClick={() => open(item)}
          data-testid="open-finding"
          title="Open the chart with the onset step marked"
        >
          Open chart
        </button>
      </header>
      <p className="evidence">{f.evidence}</p>
      {f.tags.length > 0 && (
        <p className="finding-tags">
          {f.tags.map((t) => (
            <code key={t}>{t}</code>
          ))}
        </p>
      )}
      <p className="suggestion">
        <span className="muted">Fix:</span> {f.suggestion}
      </p>
    </article>
  );
}

/** Missing signals across runs, with how many runs lack each. */
function missingSignals(results: RunDoctor[]): { signal: string; enables: string[]; runs: number }[] {
  const out = new Map<string, { signal: string; enables: string[]; runs: number }>();
  for (const r of results)
    for (const m of r.missing) {
      const e = out.get(m.signal);
      if (e) e.runs++;
      else out.set(m.signal, { signal: m.signal, enables: m.enables, runs: 1 });
    }
  return [...out.values()];
}

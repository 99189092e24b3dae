import { Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { assignSlots, runColor } from '../lib/colors';
import { compareNatural, filterRegex } from '../lib/tags';
import { parseView, serializeView, type Theme, type ViewState } from '../lib/viewState';
import { plugins } from '../plugins';
import { firstChartUrl, firstChartUrlFromTags, prefetchFirstChart } from '../plugins/scalars/cards';
import { apiPath, getJson } from './api';
import { applyDoctorEvent, type DoctorEvent, type DoctorSummary, findingView, setSummaries } from './doctor';
import { IssuesBanner } from './IssuesBanner';
import { RunsSidebar } from './RunsSidebar';
import { type Toast, Toasts } from './Toasts';
import type { RunInfo, RunsResponse } from './types';
import { useEvents } from './useEvents';

const token = new URLSearchParams(location.search).get('token');
let firstRuns: Promise<RunsResponse> | null = null;

/**
 * The doctor's badges load once the first chart is drawn (or after 3 s on a page without one): asking
 * for them starts a diagnosis of every run on the server, which must not delay the first chart.
 */
function afterFirstChart(fn: () => void): () => void {
  let waited = 0;
  const t = setInterval(() => {
    waited += 250;
    if (performance.getEntriesByName('tensorscope:first-chart').length || waited >= 3000) {
      clearInterval(t);
      fn();
    }
  }, 250);
  return () => clearInterval(t);
}
let toastKey = 0;

/**
 * Starts fetching the run list at once, while the page's scripts are still starting up, and with the
 * tag list (a few hundred bytes, while the run list can be megabytes) the first chart's data.
 */
export function prefetchRuns() {
  getJson<{ tags: { tag: string; kind: string }[] }>(apiPath('tags')).then(
    (r) => prefetchFirstChart(firstChartUrlFromTags(r.tags, parseView(location.search))),
    () => {}, // an older server: the run list's own prefetch follows
  );
  firstRuns = getJson<RunsResponse>(apiPath('runs'));
  firstRuns.catch(() => {}); // reported when App consumes it
}

function systemTheme(): Theme {
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function App() {
  const [view, setView] = useState<ViewState>(() => parseView(location.search));
  const [runs, setRuns] = useState<RunInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const update = useCallback((patch: Partial<ViewState>) => setView((v) => ({ ...v, ...patch })), []);
  useEffect(() => {
    const url = serializeView(view, token) || location.pathname;
    if (url !== location.search) history.replaceState(null, '', url);
  }, [view]);
  useEffect(() => {
    const onPop = () => setView(parseView(location.search));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  const theme = view.theme ?? systemTheme();
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  const loadRuns = useCallback(() => {
    // the first list was requested before React started (main.tsx), to save a round trip
    const first = firstRuns;
    const pending = firstRuns ?? getJson<RunsResponse>(apiPath('runs'));
    firstRuns = null;
    pending.then(
      (r) => {
        const sorted = [...r.runs].sort((a, b) => compareNatural(a.name, b.name));
        // the first chart's data is asked for now, while React renders the page
        if (first) prefetchFirstChart(firstChartUrl(sorted, parseView(location.search)));
        setRuns(sorted);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  }, []);
  useEffect(loadRuns, [loadRuns]);

  const [toasts, setToasts] = useState<Toast[]>([]);
  const onDoctor = useCallback((e: DoctorEvent) => {
    applyDoctorEvent(e);
    if (e.new.length)
      setToasts((ts) => [...ts, ...e.new.map((finding) => ({ key: ++toastKey, run: e.run, finding }))]);
  }, []);
  const dismiss = useCallback(
    (keys: number[]) => setToasts((ts) => ts.filter((t) => !keys.includes(t.key))),
    [],
  );
  const { versionOf, live } = useEvents(loadRuns, onDoctor);
  const haveRuns = runs !== null;
  useEffect(() => {
    if (!haveRuns) return;
    return afterFirstChart(() =>
      getJson<{ runs: DoctorSummary[] }>(apiPath('doctor')).then(
        (r) => setSummaries(r.runs),
        () => {}, // the badges are extra: the dashboards work without them
      ),
    );
  }, [haveRuns]);

  const runFilter = useMemo(() => filterRegex(view.runFilter), [view.runFilter]);
  const selected = useMemo(() => {
    const hidden = new Set(view.hidden);
    return (runs ?? []).filter((r) => !hidden.has(r.name) && runFilter.test(r.name));
  }, [runs, view.hidden, runFilter]);
  const slots = useMemo(() => assignSlots((runs ?? []).map((r) => r.name)), [runs]);
  const color = useCallback((run: string) => runColor(run, theme, slots), [theme, slots]);

  const available = useMemo(
    () =>
      plugins.filter((p) =>
        p.available
          ? p.available(runs ?? [])
          : (runs ?? []).some((r) => r.tags.some((t) => p.kinds.includes(t.kind))),
      ),
    [runs],
  );
  const active = available.find((p) => p.id === view.tab) ?? available[0];

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true" />
          tensorscope
        </div>
        <nav className="tabs" aria-label="Dashboards">
          {available.map((p) => (
            <button
              type="button"
              key={p.id}
              className={p === active ? 'tab active' : 'tab'}
              aria-current={p === active ? 'page' : undefined}
              onClick={() => update({ tab: p.id })}
            >
              {p.title}
            </button>
          ))}
        </nav>
        <div className="topbar-right">
          <span
            className={live ? 'live on' : 'live'}
            title={live ? 'Receiving live updates' : 'Not connected'}
          >
            {live ? 'live' : 'offline'}
          </span>
          <button
            type="button"
            className="icon-button"
            aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
            title="Toggle theme"
            onClick={() => update({ theme: theme === 'dark' ? 'light' : 'dark' })}
          >
            {theme === 'dark' ? '☀' : '☾'}
          </button>
        </div>
      </header>
      <RunsSidebar
        runs={runs ?? []}
        view={view}
        update={update}
        color={color}
        filterError={runFilter.error}
      />
      <main className="content">
        {error && <div className="banner error">{error}</div>}
        {runs && <IssuesBanner runs={runs} />}
        {!runs && !error && <div className="empty">Loading runs…</div>}
        {runs && runs.length === 0 && <div className="empty">No runs found in the logdir yet.</div>}
        {runs && runs.length > 0 && !active && (
          <div className="empty">The runs hold no data a dashboard can show.</div>
        )}
        {runs && active && (
          <Suspense fallback={<div className="empty">Loading {active.title}…</div>}>
            <active.View
              key={active.id}
              runs={runs}
              selected={selected}
              color={color}
              view={view}
              update={update}
              versionOf={versionOf}
              theme={theme}
            />
          </Suspense>
        )}
      </main>
      <Toasts
        toasts={toasts}
        dismiss={dismiss}
        open={(t) => {
          update(findingView(t.run, t.finding, runs ?? [], view));
          dismiss([t.key]);
        }}
      />
    </div>
  );
}

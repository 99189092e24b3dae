/**
 * The doctor's findings as the page keeps them: every run's summary (for the badges), loaded once
 * from GET /api/doctor and kept current by SSE `doctor` events, in a small store any component can
 * subscribe to. Also the view a finding opens: its chart, its run, its onset step marked.
 */
import { useSyncExternalStore } from 'react';
import type { ViewState } from '../lib/viewState';
import type { RunInfo } from './types';

export type Severity = 'info' | 'warning' | 'error';

export interface Finding {
  id: string;
  severity: Severity;
  step: number;
  evidence: string;
  suggestion: string;
  tags: string[];
}

export interface DoctorSummary {
  run: string;
  counts: Record<Severity, number>;
  ids: string[];
  folded_into?: string;
}

export interface RunDoctor extends DoctorSummary {
  problems: Finding[];
  checked: string[];
  missing: { signal: string; enables: string[] }[];
  error?: string;
}

/** An SSE `doctor` event: a run's new summary and the findings new since its previous diagnosis. */
export interface DoctorEvent extends DoctorSummary {
  new: Finding[];
}

export const SEVERITIES: Severity[] = ['error', 'warning', 'info'];

let summaries = new Map<string, DoctorSummary>();
let version = 0;
const listeners = new Set<() => void>();

function changed() {
  version++;
  for (const l of listeners) l();
}

export function setSummaries(list: DoctorSummary[]): void {
  summaries = new Map(list.map((s) => [s.run, s]));
  changed();
}

export function applyDoctorEvent(e: DoctorEvent): void {
  summaries = new Map(summaries);
  summaries.set(e.run, { run: e.run, counts: e.counts, ids: e.ids, folded_into: e.folded_into });
  changed();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** Every run's summary; `version` changes whenever any run's findings do. */
export function useDoctor(): { summaries: Map<string, DoctorSummary>; version: number } {
  const v = useSyncExternalStore(subscribe, () => version);
  return { summaries, version: v };
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The view that shows a finding: its scalar tags charted for its run alone with the onset step marked
 * (`mark` in the URL, so the view can be shared); a finding about histograms only (e.g. dead ReLUs
 * from activation histograms) opens those histograms.
 */
export function findingView(run: string, f: Finding, runs: RunInfo[], view: ViewState): Partial<ViewState> {
  const info = runs.find((r) => r.name === run);
  const kindOf = (tag: string) => info?.tags.find((t) => t.tag === tag)?.kind;
  const scalars = f.tags.filter((t) => kindOf(t) === 'scalar');
  const tags = scalars.length ? scalars : f.tags;
  return {
    tab: scalars.length ? 'scalars' : 'histograms',
    runFilter: `^${escapeRegex(run)}$`,
    hidden: view.hidden.filter((h) => h !== run),
    tagFilter: tags.length ? `^(${tags.map(escapeRegex).join('|')})$` : '',
    x: 'step',
    zoom: null,
    extra: { ...view.extra, mark: `${f.step}:${f.id}` },
  };
}

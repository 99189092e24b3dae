/**
 * The doctor over the store, kept current: each run's diagnosis is cached, computed in the background
 * (one run at a time, after the requests being served and resting as long as each run took, so chart
 * requests are not held up) and recomputed at most once per `minInterval` when the run gets new data.
 * When a run's findings change, an SSE `doctor` event carries its counts and the findings that are
 * new since its previous diagnosis.
 */
import {
  type Diagnosis,
  diagnoseRuns,
  type MissingSignal,
  newFindings,
  type Problem,
  type ProblemId,
  runGroup,
  trainRunOf,
} from '@tensorscope/analysis/doctor';
import type { RunSummary, Store } from '@tensorscope/store';
import type { EventHub } from '../sse';
import { signalsFromStore } from './doctor-signals';

/** One run's diagnosis: `doctor --json`'s element, plus what was checked and what is missing. */
export interface RunDoctor {
  run: string;
  problems: Problem[];
  checked: ProblemId[];
  missing: MissingSignal[];
  /** a Keras validation run: diagnosed as part of this training run */
  folded_into?: string;
  /** the run's data could not be diagnosed (never thrown: a run with odd data still gets an answer) */
  error?: string;
}

export interface Counts {
  error: number;
  warning: number;
  info: number;
}

export interface RunSummaryJson {
  run: string;
  counts: Counts;
  ids: ProblemId[];
  folded_into?: string;
}

export function summarize(d: RunDoctor): RunSummaryJson {
  const counts: Counts = { error: 0, warning: 0, info: 0 };
  for (const p of d.problems) counts[p.severity]++;
  const out: RunSummaryJson = { run: d.run, counts, ids: d.problems.map((p) => p.id) };
  if (d.folded_into) out.folded_into = d.folded_into;
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

const key = (ps: Problem[]) => ps.map((p) => `${p.id}\u0000${p.step}\u0000${p.tags.join(',')}`).join('\n');

export class DoctorService {
  private readonly cache = new Map<string, { result: RunDoctor; at: number }>();
  private readonly queue = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inflight = new Map<string, Promise<RunDoctor | undefined>>();
  private worker: Promise<void> | null = null;
  private runs: { changes: number; byName: Map<string, RunSummary> } | undefined;
  /** counts index changes (SSE `data` and `runs` events) */
  private changes = 0;
  private started = false;
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly hub: EventHub,
    private readonly minInterval = 2000,
    /** other requests are being served: background work waits (up to a second) for them */
    private readonly busy: () => boolean = () => false,
  ) {
    this.unsubscribe = hub.subscribe((event, data) => this.onEvent(event, data));
  }

  private onEvent(event: string, data: unknown): void {
    if (event === 'data' || event === 'runs') this.changes++;
    if (!this.started || this.closed) return; // nothing computed yet: the first pass reads everything
    if (event === 'data') {
      const run = (data as { run?: unknown }).run;
      if (typeof run !== 'string') return;
      this.schedule(run);
      // new validation data changes its training run's diagnosis
      const train = trainRunOf(run, this.cache);
      if (train) this.schedule(train);
    } else if (event === 'runs') {
      const { added, removed } = data as { added?: unknown; removed?: unknown };
      for (const r of Array.isArray(removed) ? removed : []) {
        this.cache.delete(r);
        clearTimeout(this.timers.get(r));
        this.timers.delete(r);
      }
      for (const r of Array.isArray(added) ? added : []) if (typeof r === 'string') this.schedule(r);
    }
  }

  /** Recompute `run` once `minInterval` has passed since its last diagnosis. */
  private schedule(run: string): void {
    if (this.timers.has(run)) return;
    const last = this.cache.get(run)?.at ?? 0;
    const delay = Math.max(0, last + this.minInterval - Date.now());
    const t = setTimeout(() => {
      this.timers.delete(run);
      this.enqueue([run]);
    }, delay);
    t.unref();
    this.timers.set(run, t);
  }

  private enqueue(runs: string[]): Promise<void> {
    for (const r of runs) this.queue.add(r);
    if (!this.worker)
      this.worker = this.drain().finally(() => {
        this.worker = null;
      });
    return this.worker;
  }

  private async drain(): Promise<void> {
    while (this.queue.size && !this.closed) {
      const run = this.queue.values().next().value as string;
      this.queue.delete(run);
      for (let waited = 0; this.busy() && waited < 1000; waited += 25) await sleep(25);
      const t0 = performance.now();
      await this.compute(run);
      // background work: at most half the server's time, so chart requests stay quick meanwhile
      await sleep(performance.now() - t0);
    }
  }

  /** Diagnoses every run not diagnosed yet; resolves when done (or at once when nothing is left). */
  all(): Promise<void> {
    this.started = true;
    return this.store
      .runs()
      .then((runs) => this.enqueue(runs.filter((r) => !this.cache.has(r.name)).map((r) => r.name)));
  }

  /** The summaries computed so far, for the runs the store has now, and how many are still queued. */
  async summary(): Promise<{ runs: RunDoctor[]; pending: number }> {
    const names = (await this.store.runs()).map((r) => r.name);
    const runs = names.flatMap((n) => {
      const c = this.cache.get(n);
      return c ? [c.result] : [];
    });
    return { runs, pending: names.length - runs.length };
  }

  /** One run's diagnosis, computed now when it is missing or new data waits for it. */
  async one(run: string): Promise<RunDoctor | undefined> {
    this.started = true;
    const c = this.cache.get(run);
    if (c && !this.timers.has(run) && !this.queue.has(run)) return c.result;
    return this.compute(run);
  }

  private compute(run: string): Promise<RunDoctor | undefined> {
    let p = this.inflight.get(run);
    if (!p) {
      p = this.diagnose(run).finally(() => this.inflight.delete(run));
      this.inflight.set(run, p);
    }
    return p;
  }

  /**
   * The store's run list, read again only after the index changed (a pass over 1,000 runs must not
   * list them 1,000 times).
   */
  private async runList(): Promise<Map<string, RunSummary>> {
    if (!this.runs || this.runs.changes !== this.changes) {
      const changes = this.changes;
      const all = await this.store.runs();
      this.runs = { changes, byName: new Map(all.map((r) => [r.name, r])) };
    }
    return this.runs.byName;
  }

  private async diagnose(run: string): Promise<RunDoctor | undefined> {
    const at = Date.now();
    const byName = await this.runList();
    if (!byName.has(run)) {
      this.cache.delete(run);
      return undefined;
    }
    let result: RunDoctor;
    const group = runGroup(run, new Set(byName.keys()));
    if (group.foldedInto !== undefined) {
      result = { run, problems: [], checked: [], missing: [], folded_into: group.foldedInto };
    } else {
      try {
        const runs = [];
        for (const name of group.runs)
          runs.push({ name, signals: await signalsFromStore(this.store, byName.get(name)!) });
        const d: Diagnosis = diagnoseRuns(runs).find((r) => r.run === run)!.diagnosis;
        result = { run, problems: d.problems, checked: d.checked, missing: d.missing };
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        result = { run, problems: [], checked: [], missing: [], error: `could not diagnose: ${message}` };
      }
    }
    const prev = this.cache.get(run)?.result;
    this.cache.set(run, { result, at });
    if (!this.closed && (prev ? key(prev.problems) !== key(result.problems) : result.problems.length > 0)) {
      // a run's first diagnosis is not news; what appears on a later one is
      const fresh = prev ? newFindings(prev.problems, result.problems) : [];
      this.hub.send('doctor', { ...summarize(result), new: fresh });
    }
    return result;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.clear();
  }
}

/**
 * Keeps the store in step with one or more logdirs: discovers runs (new ones appear, deleted ones go
 * away), tails each run's files, and reports what changed so the server can push it to open pages.
 * With several logdirs, run names are prefixed with the logdir's basename. Runs are decoded two per
 * decoding thread at a time (one decodes while the other's batch is being stored), so the store on
 * this thread and the decoders keep both cores busy.
 */
import { basename, resolve } from 'node:path';
import { discoverRuns, type RunLocation } from '@tensorscope/formats/tfevents/node';
import type { Store } from '@tensorscope/store';
import { createDecoders, type Decoders, defaultThreads } from './decoders';
import { RunTailer, type StoreLock, storeLock } from './run-tailer';

export interface IndexChange {
  added: string[];
  removed: string[];
  /** run -> tags with new points */
  changed: Map<string, string[]>;
  /** runs whose warnings (corrupt records...) changed */
  issues: string[];
  points: number;
}

/** Points written before a commit makes them visible and durable (bounds the open transaction). */
const COMMIT_EVERY = 2_000_000;

export class Indexer {
  private readonly tailers = new Map<string, RunTailer>();
  private first = true;
  private pending = 0;
  private readonly logdirs: string[];
  private stopping = false;
  private readonly decoders: Decoders;
  private readonly lock: StoreLock = storeLock();
  private readonly lanes: number;

  /** `threads`: decoding worker threads (0 decodes on this thread); two by default. */
  constructor(
    logdirs: readonly string[],
    private readonly store: Store,
    options: { threads?: number } = {},
  ) {
    this.logdirs = logdirs.map((d) => resolve(d));
    const threads = options.threads ?? defaultThreads();
    this.decoders = createDecoders(threads);
    this.lanes = Math.max(1, 2 * threads);
  }

  /** Run name for a run of a logdir: prefixed with the logdir's basename when several are served. */
  private runName(logdir: string, run: RunLocation): string {
    if (this.logdirs.length === 1) return run.name;
    const prefix = basename(logdir) || 'root';
    return run.name === '.' ? prefix : `${prefix}/${run.name}`;
  }

  async poll(onProgress?: (points: number) => void): Promise<IndexChange> {
    const change: IndexChange = { added: [], removed: [], changed: new Map(), issues: [], points: 0 };
    const found = new Map<string, RunLocation>();
    for (const logdir of this.logdirs) {
      // a logdir that vanished while served just has no runs now
      const runs = await discoverRuns(logdir).catch(() => [] as RunLocation[]);
      for (const r of runs) found.set(this.runName(logdir, r), r);
    }
    const stored = this.first ? new Map((await this.store.runs()).map((r) => [r.name, r])) : undefined;
    const known = stored ? new Set(stored.keys()) : new Set(this.tailers.keys());
    for (const name of known) {
      if (found.has(name)) continue;
      await this.store.removeRun(name);
      this.tailers.delete(name);
      if (!this.first) change.removed.push(name);
    }
    const queue = [...found];
    const lane = async () => {
      for (let next = queue.shift(); next && !this.stopping; next = queue.shift()) {
        // (a long first index must not hold up a shutdown)
        const [name, location] = next;
        let tailer = this.tailers.get(name);
        if (!tailer) {
          tailer = new RunTailer(name, location.dir, this.store, this.decoders, this.lock);
          this.tailers.set(name, tailer);
          const summary = stored?.get(name);
          if (summary) await tailer.resume(summary);
          else change.added.push(name);
        }
        const r = await tailer.poll(location.files, async (points) => {
          this.pending += points;
          change.points += points;
          if (points) onProgress?.(change.points);
          if (this.pending >= COMMIT_EVERY) await this.commit();
        });
        if (r.tags.size || r.reset) change.changed.set(name, [...r.tags].sort());
        if (r.issuesChanged) change.issues.push(name);
      }
    };
    await Promise.all(Array.from({ length: this.lanes }, lane));
    await this.lock(() => this.commit());
    this.first = false;
    return change;
  }

  /** Makes a running poll finish after the runs it is reading. */
  stop(): void {
    this.stopping = true;
  }

  /** Stops the decoding threads (after the last poll). */
  close(): Promise<void> {
    return this.decoders.close();
  }

  private async commit(): Promise<void> {
    await this.store.commit();
    this.pending = 0;
  }
}

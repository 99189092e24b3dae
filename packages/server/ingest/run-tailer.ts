/**
 * Tails one run's event files into the store, in bounded memory: a decoder (run-decoder.ts, in a
 * worker thread by default) reads each file 8 MB at a time and hands back one batch per chunk, which
 * goes into the store right away; restarts that reach points already in the store are applied there
 * with Store.purge. Store writes of all runs go through one lock, so runs decode in parallel while the
 * store sees one batch at a time.
 *
 * Resuming: the store remembers each file's size, mtime and the offset after the last indexed record.
 * A file that grew is read from that offset; a file that shrank or vanished makes the run start over.
 */
import { statSync } from 'node:fs';
import type { ReadIssue } from '@tensorscope/formats/tfevents';
import type { FileState, RunSummary, Store } from '@tensorscope/store';
import type { Decoders } from './decoders';
import type { DecodedBatch } from './run-decoder';

/** Issues kept per run: a file of garbage must not become megabytes of warnings. */
const MAX_ISSUES = 100;

/** Runs `fn` after every store write queued before it. */
export type StoreLock = <T>(fn: () => Promise<T>) => Promise<T>;

export function storeLock(): StoreLock {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

export interface TailResult {
  /** tags with new or purged points */
  tags: Set<string>;
  /** points written to the store */
  points: number;
  /** the run was re-read from scratch (a file shrank or vanished) */
  reset: boolean;
  issuesChanged: boolean;
}

export class RunTailer {
  private readonly files = new Map<string, FileState>();
  /** per tag, the last step the store holds (to see a restart reaching stored points) */
  private readonly lastStep = new Map<string, number>();
  private issues: ReadIssue[] = [];
  private issuesSeen = 0;

  constructor(
    readonly name: string,
    readonly dir: string,
    private readonly store: Store,
    private readonly decoders: Decoders,
    private readonly lock: StoreLock,
  ) {}

  /** Continue from what the store already indexed for this run (after a restart of the server). */
  async resume(summary: RunSummary): Promise<void> {
    for (const f of await this.store.fileStates(this.name)) this.files.set(f.path, f);
    for (const t of summary.tags) this.lastStep.set(t.tag, t.last_step);
    const tags = summary.tags.map((t) => ({
      tag: t.tag,
      kind: t.kind,
      meta: this.store.tagMetadata(this.name, t.tag),
    }));
    this.decoders.resume(this.name, tags, summary.issues);
    this.issues = [...summary.issues];
    this.issuesSeen = summary.issues.length;
  }

  /**
   * Reads what is new in `paths` (the run's event files, sorted, as discovery just listed them).
   * `written(n)` is called (under the store lock) after each chunk's n points.
   */
  async poll(paths: readonly string[], written: (points: number) => Promise<void>): Promise<TailResult> {
    const result: TailResult = { tags: new Set(), points: 0, reset: false, issuesChanged: false };
    // synchronous: a cached stat is a few microseconds, a promise per file per second for 1,000 runs
    // cost the main thread more than the chart requests it serves
    const stats = paths.map((p) => statSync(p, { throwIfNoEntry: false }));
    const gone = [...this.files.keys()].some((p) => !paths.includes(p));
    const shrank = paths.some((p, i) => {
      const known = this.files.get(p);
      return known && stats[i] && (stats[i]?.size ?? 0) < known.offset;
    });
    if (gone || shrank) await this.reset(result);
    for (let i = 0; i < paths.length; i++) {
      const st = stats[i];
      if (!st) continue;
      let fs = this.files.get(paths[i]);
      if (!fs) {
        fs = { path: paths[i], offset: 0, size: 0, mtimeMs: 0 };
        this.files.set(paths[i], fs);
      }
      if (fs.offset >= st.size && fs.size === st.size) continue;
      fs.size = st.size;
      fs.mtimeMs = st.mtimeMs;
      const file = fs;
      await this.decoders.read(this.name, { ...file }, i === paths.length - 1, (batch) =>
        // into the store chunk by chunk, so a run never sits in memory whatever its size
        this.lock(async () => {
          const points = await this.apply(batch, result);
          Object.assign(file, batch.file);
          await this.store.setFileState(this.name, { ...file });
          await written(points);
        }),
      );
    }
    if (this.issues.length !== this.issuesSeen) {
      this.issuesSeen = this.issues.length;
      await this.lock(() => this.store.setIssues(this.name, this.issues.slice(0, MAX_ISSUES)));
      result.issuesChanged = true;
    }
    return result;
  }

  private async reset(result: TailResult): Promise<void> {
    await this.lock(() => this.store.removeRun(this.name));
    this.decoders.reset(this.name);
    this.files.clear();
    this.lastStep.clear();
    this.issues = [];
    this.issuesSeen = 0;
    result.reset = true;
  }

  /** One decoded chunk into the store; returns the points written. */
  private async apply(batch: DecodedBatch, result: TailResult): Promise<number> {
    let points = 0;
    if (batch.restartStep !== undefined) {
      await this.applyPurge(batch.restartStep);
      for (const tag of this.lastStep.keys()) result.tags.add(tag);
    }
    for (const tag of batch.changed) result.tags.add(tag);
    for (const part of batch.parts) {
      if (part.kind === 'scalar') {
        await this.purgeIfBehind(part.tag, part.steps[0]);
        await this.store.appendScalars(this.name, part.tag, part, part.length, part.meta);
        this.lastStep.set(part.tag, part.steps[part.length - 1]);
        points += part.length;
      } else {
        await this.purgeIfBehind(part.tag, part.points[0].step);
        await this.store.appendPoints(this.name, part.tag, part.kind, part.points, part.meta);
        this.lastStep.set(part.tag, part.points[part.points.length - 1].step);
        points += part.points.length;
      }
    }
    this.issues.push(...batch.issues);
    result.points += points;
    return points;
  }

  /** A tag whose step went back orphans its stored points at or after that step (as in the accumulator). */
  private async purgeIfBehind(tag: string, firstNewStep: number): Promise<void> {
    const last = this.lastStep.get(tag);
    if (last !== undefined && firstNewStep < last) await this.applyPurge(firstNewStep, [tag]);
  }

  private async applyPurge(step: number, tags?: string[]): Promise<void> {
    const remaining = await this.store.purge(this.name, step, tags);
    for (const tag of tags ?? [...this.lastStep.keys()]) {
      const last = remaining.get(tag);
      if (last === undefined) this.lastStep.delete(tag);
      else this.lastStep.set(tag, last);
    }
  }
}

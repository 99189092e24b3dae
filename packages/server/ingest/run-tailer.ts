/**
 * Tails one run's event files into the store, in bounded memory: each chunk read (readNewRecords)
 * goes through the tfevents record scanner and RunAccumulator, and the accumulator is drained into the
 * store right after, so a run never sits in JS arrays whatever its size. The accumulator itself is
 * kept for its per-tag state (kind and plugin metadata from a tag's first value, restart semantics);
 * restarts that reach points already in the store are applied there with Store.purge.
 *
 * Resuming: the store remembers each file's size, mtime and the offset after the last indexed record.
 * A file that grew is read from that offset; a file that shrank or vanished makes the run start over.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type EventSource,
  ingestRecord,
  type Point,
  type PointKind,
  RunAccumulator,
  ScalarColumns,
  SESSION_STATUS,
  type SummaryMetadata,
  type TfEvent,
} from '@tensorscope/formats/tfevents';
import { isEventFile, readNewRecords } from '@tensorscope/formats/tfevents/node';
import type { FileState, RunSummary, Store, TagMetadata } from '@tensorscope/store';
import { encodePoint } from './encode-point';

/** Issues kept per run: a file of garbage must not become megabytes of warnings. */
const MAX_ISSUES = 100;

/** Notes SessionLog.START restarts, which purge points the accumulator no longer holds. */
class TailingAccumulator extends RunAccumulator {
  restartStep: number | undefined;

  override addEvent(ev: TfEvent, source?: EventSource): void {
    if (ev.sessionLog?.status === SESSION_STATUS.START) {
      this.restartStep = Math.min(this.restartStep ?? ev.step, ev.step);
    }
    super.addEvent(ev, source);
  }
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
  private acc: TailingAccumulator;
  private readonly files = new Map<string, FileState>();
  /** per tag, the last step the store holds (to see a restart reaching stored points) */
  private readonly lastStep = new Map<string, number>();
  private issuesSeen = 0;

  constructor(
    readonly name: string,
    readonly dir: string,
    private readonly store: Store,
  ) {
    this.acc = new TailingAccumulator(name);
  }

  /** Continue from what the store already indexed for this run (after a restart of the server). */
  async resume(summary: RunSummary): Promise<void> {
    for (const f of await this.store.fileStates(this.name)) this.files.set(f.path, f);
    for (const t of summary.tags) {
      this.lastStep.set(t.tag, t.last_step);
      const meta = this.store.tagMetadata(this.name, t.tag);
      const metadata: SummaryMetadata | undefined = meta && {
        pluginName: meta.pluginName,
        pluginContent: meta.pluginContent,
        displayName: '',
        summaryDescription: '',
        dataClass: 0,
      };
      // the accumulator decides a tag's kind from its first value, which is in the part already read
      this.acc.tags.set(
        t.tag,
        t.kind === 'scalar'
          ? { kind: 'scalar', tag: t.tag, metadata, columns: new ScalarColumns() }
          : ({ kind: t.kind, tag: t.tag, metadata, points: [] } as never),
      );
    }
    this.acc.issues.push(...summary.issues);
    this.issuesSeen = summary.issues.length;
  }

  /** Reads what is new. `written(n)` is called after each chunk's n points reach the store. */
  async poll(written: (points: number) => Promise<void>): Promise<TailResult> {
    const result: TailResult = { tags: new Set(), points: 0, reset: false, issuesChanged: false };
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter(isEventFile).sort();
    const paths = names.map((n) => join(this.dir, n));
    const stats = await Promise.all(paths.map((p) => stat(p).catch(() => undefined)));
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
      await this.readFile(fs, i === paths.length - 1, result, written);
    }
    if (this.acc.issues.length !== this.issuesSeen) {
      this.issuesSeen = this.acc.issues.length;
      await this.store.setIssues(this.name, this.acc.issues.slice(0, MAX_ISSUES));
      result.issuesChanged = true;
    }
    return result;
  }

  private async reset(result: TailResult): Promise<void> {
    await this.store.removeRun(this.name);
    this.acc = new TailingAccumulator(this.name);
    this.files.clear();
    this.lastStep.clear();
    this.issuesSeen = 0;
    result.reset = true;
  }

  private readFile(
    fs: FileState,
    newest: boolean,
    result: TailResult,
    written: (points: number) => Promise<void>,
  ): Promise<void> {
    return readNewRecords(
      fs,
      newest,
      (buf, s, e, offset) => ingestRecord(this.acc, buf, s, e, fs.path, offset),
      (issue) => this.acc.issues.push(issue),
      // after each chunk: into the store, so a run never sits in memory whatever its size
      async () => {
        const before = result.points;
        await this.drain(result);
        await this.store.setFileState(this.name, { ...fs });
        await written(result.points - before);
      },
    );
  }

  /** Moves what the accumulator gathered into the store and empties it. */
  private async drain(result: TailResult): Promise<void> {
    const changed = this.acc.takeChanged();
    const restart = this.acc.restartStep;
    if (restart !== undefined) {
      this.acc.restartStep = undefined;
      await this.applyPurge(restart);
      for (const tag of this.lastStep.keys()) result.tags.add(tag);
    }
    for (const tag of changed) {
      const series = this.acc.tags.get(tag);
      if (!series) continue;
      result.tags.add(tag);
      const meta = tagMetadata(series.metadata);
      if (series.kind === 'scalar') {
        const c = series.columns;
        if (!c.length) continue;
        await this.purgeIfBehind(tag, c.steps[0]);
        await this.store.appendScalars(this.name, tag, c, c.length, meta);
        this.lastStep.set(tag, c.steps[c.length - 1]);
        result.points += c.length;
        series.columns = new ScalarColumns();
      } else {
        const points = series.points as Point[];
        if (!points.length) continue;
        await this.purgeIfBehind(tag, points[0].step);
        const kind = series.kind as PointKind;
        await this.store.appendPoints(
          this.name,
          tag,
          kind,
          points.map((p) => encodePoint(kind, p)),
          meta,
        );
        this.lastStep.set(tag, points[points.length - 1].step);
        result.points += points.length;
        points.length = 0;
      }
    }
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

function tagMetadata(m: SummaryMetadata | undefined): TagMetadata | undefined {
  return m?.pluginName ? { pluginName: m.pluginName, pluginContent: m.pluginContent } : undefined;
}

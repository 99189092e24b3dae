/**
 * Decoding one run's event files into store-ready batches: each chunk read (readNewRecords, 8 MB)
 * goes through the tfevents record scanner and a RunAccumulator, which is drained into a batch right
 * after, so a run never sits in JS arrays whatever its size. The accumulator is kept for its per-tag
 * state (kind and plugin metadata from a tag's first value, restart semantics). Pure of the store, so
 * it runs in a worker thread (decode-worker.ts) while the main thread writes the previous batch.
 */
import {
  type EventSource,
  ingestRecord,
  type Kind,
  type Point,
  type PointKind,
  type ReadIssue,
  RunAccumulator,
  ScalarColumns,
  SESSION_STATUS,
  type SummaryMetadata,
  type TagSeries,
  type TfEvent,
} from '@tensorscope/formats/tfevents';
import { type FileState, readNewRecords } from '@tensorscope/formats/tfevents/node';
import type { StoredPoint, TagMetadata } from '@tensorscope/store';
import { encodePoint } from './encode-point';

/** Notes SessionLog.START restarts, which purge points the accumulator no longer holds. */
class TailingAccumulator extends RunAccumulator {
  override readonly tags: Map<string, TagSeries> = new PresizingTags();
  restartStep: number | undefined;

  override addEvent(ev: TfEvent, source?: EventSource): void {
    if (ev.sessionLog?.status === SESSION_STATUS.START) {
      this.restartStep = Math.min(this.restartStep ?? ev.step, ev.step);
    }
    super.addEvent(ev, source);
  }
}

export interface ScalarPart {
  kind: 'scalar';
  tag: string;
  meta?: TagMetadata;
  length: number;
  steps: Int32Array | Float64Array;
  wallTimes: Float64Array;
  values: Float32Array | Float64Array;
}

export interface PointsPart {
  kind: PointKind;
  tag: string;
  meta?: TagMetadata;
  points: StoredPoint[];
}

/** What one chunk of a file adds, in the order the store must apply it. */
export interface DecodedBatch {
  /** the file's state after the chunk */
  file: FileState;
  /** a SessionLog.START at this step: purge every tag from it first */
  restartStep?: number;
  /** tags the chunk changed (possibly to nothing, after a restart) */
  changed: string[];
  parts: (ScalarPart | PointsPart)[];
  /** warnings found in the chunk */
  issues: ReadIssue[];
}

export interface ResumedTag {
  tag: string;
  kind: Kind;
  meta?: TagMetadata;
}

/**
 * Columns start at the length the tag's last batch had (in any run), not at 16 points doubling up:
 * regrowing was a tenth of decoding. Only while a read is under way: between reads a tag holds nothing.
 */
const lastLength = new Map<string, number>();
const MAX_PRESIZE = 1 << 16;

function presized(tag: string): ScalarColumns {
  const c = new ScalarColumns();
  const cap = lastLength.get(tag);
  if (cap) {
    c.steps = new Int32Array(cap);
    c.wallTimes = new Float64Array(cap);
    c.values = new Float32Array(cap);
  }
  return c;
}

/** The accumulator's tag map, which gives a new scalar tag presized columns. */
class PresizingTags extends Map<string, TagSeries> {
  override set(tag: string, s: TagSeries): this {
    if (s.kind === 'scalar' && s.columns.length === 0) s.columns = presized(tag);
    return super.set(tag, s);
  }
}

export class RunDecoder {
  private acc: TailingAccumulator;
  private issuesSent = 0;

  constructor(readonly name: string) {
    this.acc = new TailingAccumulator(name);
  }

  /** Continue from what the store already indexed (after a restart of the server). */
  resume(tags: ResumedTag[], issues: ReadIssue[]): void {
    for (const t of tags) {
      const metadata: SummaryMetadata | undefined = t.meta && {
        pluginName: t.meta.pluginName,
        pluginContent: t.meta.pluginContent,
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
    this.sizeColumns(false); // nothing held between reads
    this.acc.issues.push(...issues);
    this.issuesSent = this.acc.issues.length;
  }

  /** Reads `file` from its offset; `onBatch` (awaited: back-pressure) gets each chunk's batch. */
  read(file: FileState, newest: boolean, onBatch: (b: DecodedBatch) => Promise<void>): Promise<void> {
    const state = { ...file };
    this.sizeColumns(true);
    return readNewRecords(
      state,
      newest,
      (buf, s, e, offset) => ingestRecord(this.acc, buf, s, e, state.path, offset),
      (issue) => this.acc.issues.push(issue),
      () => onBatch(this.drain(state)),
    ).finally(() => this.sizeColumns(false));
  }

  /** Presizes every empty scalar column for a read (`true`), or shrinks them back after it. */
  private sizeColumns(reading: boolean): void {
    for (const s of this.acc.tags.values()) {
      if (s.kind !== 'scalar' || s.columns.length) continue;
      s.columns = reading ? presized(s.tag) : new ScalarColumns();
    }
  }

  /** Moves what the accumulator gathered into a batch and empties it. */
  private drain(file: FileState): DecodedBatch {
    const batch: DecodedBatch = { file: { ...file }, changed: [], parts: [], issues: [] };
    batch.changed = [...this.acc.takeChanged()];
    if (this.acc.restartStep !== undefined) {
      batch.restartStep = this.acc.restartStep;
      this.acc.restartStep = undefined;
    }
    for (const tag of batch.changed) {
      const series = this.acc.tags.get(tag);
      if (!series) continue;
      const meta = tagMetadata(series.metadata);
      if (series.kind === 'scalar') {
        const c = series.columns;
        if (!c.length) continue;
        batch.parts.push({ kind: 'scalar', tag, meta, length: c.length, ...pick(c) });
        lastLength.set(tag, Math.min(MAX_PRESIZE, c.length));
        series.columns = presized(tag);
      } else {
        const points = series.points as Point[];
        if (!points.length) continue;
        const kind = series.kind as PointKind;
        batch.parts.push({ kind, tag, meta, points: points.map((p) => encodePoint(kind, p)) });
        points.length = 0;
      }
    }
    batch.issues = this.acc.issues.slice(this.issuesSent);
    this.issuesSent = this.acc.issues.length;
    return batch;
  }
}

const pick = ({ steps, wallTimes, values }: ScalarColumns) => ({ steps, wallTimes, values });

function tagMetadata(m: SummaryMetadata | undefined): TagMetadata | undefined {
  return m?.pluginName ? { pluginName: m.pluginName, pluginContent: m.pluginContent } : undefined;
}

/** The buffers a batch can hand over to another thread without copying. */
export function transferables(b: DecodedBatch): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const p of b.parts) {
    if (p.kind === 'scalar')
      out.push(...([p.steps.buffer, p.wallTimes.buffer, p.values.buffer] as ArrayBuffer[]));
  }
  return out;
}

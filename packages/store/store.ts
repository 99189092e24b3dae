/**
 * The storage interface behind the dashboards. The tfevents files stay the source of truth: a Store
 * is an index that can always be rebuilt. DuckDB (embedded, one file in a cache directory) is the
 * default implementation; a PostgreSQL one can implement the same interface for a shared server.
 */
import type { BlockSummary } from '@tensorscope/analysis/downsample';
import type { Kind, ReadIssue } from '@tensorscope/formats/tfevents';

export interface TagSummary {
  tag: string;
  kind: Kind;
  count: number;
  first_step: number;
  last_step: number;
}

export interface RunSummary {
  name: string;
  tags: TagSummary[];
  issues: ReadIssue[];
}

/**
 * Scalar points as columns, in file order (after restart semantics): the reader's compact types
 * (int32 steps, float32 values, widened to float64 only when a point needs it) are kept end to end.
 */
export interface ScalarColumns {
  steps: Int32Array | Float64Array;
  wallTimes: Float64Array;
  values: Float32Array | Float64Array;
  /** Store.scalars sets these: M4 block summaries of `values`, and which axes are nondecreasing */
  blocks?: BlockSummary;
  stepsSorted?: boolean;
  wallTimesSorted?: boolean;
}

/** A non-scalar point: its JSON body (kind-specific, API-ready) and any binary payloads (images, audio). */
export interface StoredPoint {
  step: number;
  wallTime: number;
  body: string;
  blobs?: StoredBlob[];
}

export interface StoredBlob {
  contentType: string;
  data: Uint8Array;
}

/** How far a file has been indexed, to resume tailing instead of re-reading. */
export interface FileState {
  path: string;
  size: number;
  mtimeMs: number;
  /** byte offset after the last complete record indexed */
  offset: number;
}

/** Per-tag summary metadata worth keeping across restarts (the plugin that wrote it). */
export interface TagMetadata {
  pluginName: string;
  pluginContent: Uint8Array;
}

export interface Store {
  // ---- writes (the ingest loop) ----
  appendScalars(
    run: string,
    tag: string,
    columns: ScalarColumns,
    length: number,
    meta?: TagMetadata,
  ): Promise<void>;
  appendPoints(
    run: string,
    tag: string,
    kind: Kind,
    points: StoredPoint[],
    meta?: TagMetadata,
  ): Promise<void>;
  /**
   * Drop the points with step >= fromStep of `tags` (all tags when omitted): TensorBoard's purge after
   * a restart. Returns each purged tag's last remaining step (absent when none remain).
   */
  purge(run: string, fromStep: number, tags?: string[]): Promise<Map<string, number>>;
  setIssues(run: string, issues: ReadIssue[]): Promise<void>;
  setFileState(run: string, state: FileState): Promise<void>;
  removeRun(run: string): Promise<void>;
  /** Make everything written so far durable and visible to readers. */
  commit(): Promise<void>;

  // ---- reads ----
  /** Committed runs by name; may be a shared array: callers must not mutate it. */
  runs(): Promise<RunSummary[]>;
  fileStates(run: string): Promise<FileState[]>;
  tagMetadata(run: string, tag: string): TagMetadata | undefined;
  /** One tag's summary as readers see it (undefined when the run or tag is unknown). */
  tag(run: string, tag: string): TagSummary | undefined;
  /** Scalar columns of `tag` for each of `runs` that has it, in file order, with their summaries. */
  scalars(runs: readonly string[], tag: string): Promise<Map<string, ScalarColumns>>;
  /**
   * The same series one run at a time, for a caller that only reduces them (charts): `visit` gets
   * views of a reused buffer, valid only until it returns, so a request over 1,000 runs neither
   * allocates nor page-faults 80 MB.
   */
  scanScalars(
    runs: readonly string[],
    tag: string,
    visit: (run: string, columns: ScalarColumns) => void,
  ): Promise<void>;
  points(run: string, tag: string): Promise<StoredPoint[]>;
  blob(run: string, tag: string, step: number, index: number): Promise<StoredBlob | undefined>;
  close(): Promise<void>;
}

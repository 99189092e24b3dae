/**
 * The embedded Store: one DuckDB file per logdir in the cache directory.
 *
 * Scalars (the 100M-point case) are kept as columnar chunks: one row per up to CHUNK points of a
 * series, holding the steps, wall times and values as raw little-endian Float64 blobs. Measured here
 * (bench/serve.ts, docs/BENCHMARKS.md): the row-per-point Appender tops out near 3M rows/s before any
 * decoding, while chunk rows cost a memcpy; a query for one tag across all runs reads a few blobs per
 * run and downsamples typed arrays directly. Other kinds keep an API-ready JSON body per point and
 * their image/audio bytes as blobs. The catalog (runs, series, counts, file offsets) is small and
 * mirrored in memory; readers see only committed data through their own connection.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DuckDBAppender,
  type DuckDBBlobValue,
  type DuckDBConnection,
  DuckDBInstance,
} from '@duckdb/node-api';
import type { Kind, ReadIssue } from '@tensorscope/formats/tfevents';
import type {
  FileState,
  RunSummary,
  ScalarColumns,
  Store,
  StoredBlob,
  StoredPoint,
  TagMetadata,
  TagSummary,
} from '../store';
import {
  type ChunkLayout,
  ColumnFile,
  chunkBytes,
  columnRange,
  decodeChunk,
  encodeChunk,
} from './column-file';
import { concatColumns, filterColumns, sliceColumns } from './columns';
import { SCHEMA, SCHEMA_VERSION } from './schema';
import { SeriesReader } from './series-reader';

/** Points per scalar chunk row: big enough that a row's overhead is noise, small enough to rewrite. */
export const CHUNK = 8192;

interface SeriesEntry {
  id: number;
  tag: string;
  kind: Kind;
  meta?: TagMetadata;
  count: number;
  firstStep: number;
  lastStep: number;
  /**
   * The trailing scalar chunks that are not full, oldest first. New points merge with the last of
   * them while it is no bigger than they are (a binary counter), so live tailing leaves O(log n)
   * small chunks and rewrites each point O(log n) times.
   */
  tail: ChunkRow[];
  /** every scalar chunk, by seq, as written (committed or not) */
  chunks: Map<number, ChunkRow>;
  /** the chunks readers see (as of the last commit), in order: no DuckDB query per chart */
  readable: ChunkRow[];
  nextSeq: number;
  dirty: boolean;
  /** what readers see: the state at the last commit */
  committed: { count: number; firstStep: number; lastStep: number };
}

/** A scalar chunk's row: where its points are in the column file and how they are laid out. */
interface ChunkRow extends ChunkLayout {
  seriesId: number;
  seq: number;
  stepMin: number;
  stepMax: number;
  offset: number;
}

interface RunEntry {
  id: number;
  name: string;
  issues: ReadIssue[];
  series: Map<string, SeriesEntry>;
  files: Map<string, FileState>;
  dirty: boolean;
  /** added since the last commit: invisible to readers until then */
  fresh: boolean;
}

export interface OpenResult {
  store: DuckDBStore;
  /** why the index was rebuilt from scratch, when it was */
  rebuilt?: 'missing' | 'corrupt' | 'version';
}

export class DuckDBStore implements Store {
  private readonly runsByName = new Map<string, RunEntry>();
  private nextRunId = 1;
  private nextSeriesId = 1;
  private inTransaction = false;
  /** runs() as of the last change readers can see (a page with 1,000 runs asks for it often) */
  private runsView: RunSummary[] | undefined;
  private readonly series_: SeriesReader;
  private pending = {
    chunks: new Map<string, ChunkRow>(),
    points: [] as { seriesId: number; seq: number; point: StoredPoint }[],
    deletes: [] as [number, number][],
  };

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
    private readonly columns: ColumnFile,
    readonly path: string,
  ) {
    this.series_ = new SeriesReader(columns);
  }

  /**
   * Open (or create) the index in `dir`. A file DuckDB cannot open, or one from another schema
   * version, is deleted and rebuilt: it is only a cache of the event files.
   */
  static async open(
    dir: string,
    options: { memoryLimit?: string; threads?: number } = {},
  ): Promise<OpenResult> {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'index.duckdb');
    const config: Record<string, string> = { memory_limit: options.memoryLimit ?? '512MB' };
    if (options.threads) config.threads = String(options.threads);
    let rebuilt: OpenResult['rebuilt'] = existsSync(path) ? undefined : 'missing';
    if (rebuilt) removeDatabase(path);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, config);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/lock/i.test(message)) {
        throw new Error(`the index ${path} is in use by another process (${message.split('\n')[0]}).`);
      }
      removeDatabase(path);
      instance = await DuckDBInstance.create(path, config);
      rebuilt = 'corrupt';
    }
    let store = await DuckDBStore.connect(instance, path);
    if (!(await store.hasSchema())) {
      if (rebuilt === undefined) {
        store.closeSync();
        removeDatabase(path);
        instance = await DuckDBInstance.create(path, config);
        store = await DuckDBStore.connect(instance, path);
        rebuilt = 'version';
      }
      await store.createSchema();
    }
    try {
      await store.loadCatalog();
    } catch {
      // tables DuckDB can open but not read, or a column file cut short: start over
      store.closeSync();
      removeDatabase(path);
      store = await DuckDBStore.connect(await DuckDBInstance.create(path, config), path);
      await store.createSchema();
      rebuilt = 'corrupt';
    }
    return { store, rebuilt };
  }

  private static async connect(instance: DuckDBInstance, path: string): Promise<DuckDBStore> {
    const columns = new ColumnFile(columnsPath(path));
    return new DuckDBStore(instance, await instance.connect(), await instance.connect(), columns, path);
  }

  private async hasSchema(): Promise<boolean> {
    try {
      const r = await this.reader.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`);
      return r.getRows()[0]?.[0] === SCHEMA_VERSION;
    } catch {
      return false;
    }
  }

  private async createSchema(): Promise<void> {
    for (const sql of SCHEMA) await this.writer.run(sql);
    await this.writer.run(`INSERT INTO meta VALUES ('schema_version', '${SCHEMA_VERSION}')`);
  }

  private async loadCatalog(): Promise<void> {
    const runs = (await this.reader.runAndReadAll('SELECT id, name, issues FROM runs')).getRows();
    const byId = new Map<number, RunEntry>();
    const bySeries = new Map<number, SeriesEntry>();
    for (const [id, name, issues] of runs) {
      const run: RunEntry = {
        id: Number(id),
        name: String(name),
        issues: JSON.parse(String(issues)) as ReadIssue[],
        series: new Map(),
        files: new Map(),
        dirty: false,
        fresh: false,
      };
      this.runsByName.set(run.name, run);
      byId.set(run.id, run);
      this.nextRunId = Math.max(this.nextRunId, run.id + 1);
    }
    const series = await this.reader.runAndReadAll(
      `SELECT s.id, s.run_id, s.tag, s.kind, s.plugin_name, s.plugin_content, s.count, s.first_step, s.last_step,
              coalesce(t.next_seq, 0)
       FROM series s LEFT JOIN (SELECT series_id, max(seq) + 1 AS next_seq FROM scalar_chunks GROUP BY series_id) t
       ON t.series_id = s.id`,
    );
    for (const row of series.getRows()) {
      const run = byId.get(Number(row[1]));
      if (!run) continue;
      const count = Number(row[6]);
      const entry: SeriesEntry = {
        id: Number(row[0]),
        tag: String(row[2]),
        kind: String(row[3]) as Kind,
        meta:
          row[4] === null
            ? undefined
            : { pluginName: String(row[4]), pluginContent: (row[5] as DuckDBBlobValue).bytes.slice() },
        count,
        firstStep: Number(row[7]),
        lastStep: Number(row[8]),
        tail: [],
        chunks: new Map(),
        readable: [],
        nextSeq: Number(row[9]),
        dirty: false,
        committed: { count, firstStep: Number(row[7]), lastStep: Number(row[8]) },
      };
      if (entry.kind !== 'scalar') entry.nextSeq = count;
      run.series.set(entry.tag, entry);
      bySeries.set(entry.id, entry);
      this.nextSeriesId = Math.max(this.nextSeriesId, entry.id + 1);
    }
    // the trailing non-full chunks of each series, and a check that the column file holds every chunk
    const chunks = await this.reader.runAndReadAll(
      `SELECT series_id, seq, n, step_min, step_max, file_offset, steps_i32, values_f32
       FROM scalar_chunks ORDER BY series_id, seq`,
    );
    let end = 0;
    for (const [id, seq, n, lo, hi, offset, stepsI32, valuesF32] of chunks.getRows()) {
      const row: ChunkRow = {
        seriesId: Number(id),
        seq: Number(seq),
        n: Number(n),
        stepMin: Number(lo),
        stepMax: Number(hi),
        offset: Number(offset),
        stepsI32: stepsI32 === true,
        valuesF32: valuesF32 === true,
      };
      end = Math.max(end, row.offset + chunkBytes(row));
      const entry = bySeries.get(row.seriesId);
      if (!entry) continue;
      entry.chunks.set(row.seq, row);
      entry.readable.push(row);
      if (row.n < CHUNK) entry.tail.push(row);
      else entry.tail = [];
    }
    if (end > this.columns.size) throw new Error(`${this.columns.path} is shorter than the index says`);
    const files = await this.reader.runAndReadAll('SELECT run_id, path, size, mtime_ms, "offset" FROM files');
    for (const [runId, path, size, mtime, offset] of files.getRows()) {
      byId.get(Number(runId))?.files.set(String(path), {
        path: String(path),
        size: Number(size),
        mtimeMs: Number(mtime),
        offset: Number(offset),
      });
    }
  }

  // ---------------------------------------------------------------- writes
  //
  // Writes are buffered and reach DuckDB at commit (or before a purge) through appenders in one
  // transaction: a statement per chunk or point costs a thread hop each, which dominated indexing.

  private async begin(): Promise<void> {
    if (this.inTransaction) return;
    await this.writer.run('BEGIN TRANSACTION');
    this.inTransaction = true;
  }

  private run(name: string): RunEntry {
    let run = this.runsByName.get(name);
    if (!run) {
      run = {
        id: this.nextRunId++,
        name,
        issues: [],
        series: new Map(),
        files: new Map(),
        dirty: true,
        fresh: true,
      };
      this.runsByName.set(name, run);
    }
    return run;
  }

  private series(run: RunEntry, tag: string, kind: Kind, meta: TagMetadata | undefined): SeriesEntry {
    let s = run.series.get(tag);
    if (!s) {
      s = {
        id: this.nextSeriesId++,
        tag,
        kind,
        meta,
        count: 0,
        firstStep: 0,
        lastStep: 0,
        tail: [],
        chunks: new Map(),
        readable: [],
        nextSeq: 0,
        dirty: true,
        committed: { count: 0, firstStep: 0, lastStep: 0 },
      };
      run.series.set(tag, s);
    } else if (meta && !s.meta) {
      s.meta = meta;
      s.dirty = true;
    }
    return s;
  }

  async appendScalars(
    runName: string,
    tag: string,
    columns: ScalarColumns,
    length: number,
    meta?: TagMetadata,
  ): Promise<void> {
    if (length <= 0) return;
    const run = this.run(runName);
    const s = this.series(run, tag, 'scalar', meta);
    let cols = sliceColumns(columns, 0, length);
    let seq = s.nextSeq;
    for (
      let top = s.tail.at(-1);
      top && top.n <= cols.steps.length && top.n + cols.steps.length <= CHUNK;
      top = s.tail.at(-1)
    ) {
      cols = concatColumns(this.chunkColumns(top), cols);
      this.dropChunk(s, top.seq);
      seq = top.seq;
      s.tail.pop();
    }
    for (let at = 0; at < cols.steps.length; at += CHUNK) {
      const end = Math.min(cols.steps.length, at + CHUNK);
      const chunk = this.writeChunk(s, seq, sliceColumns(cols, at, end));
      if (chunk.n < CHUNK) s.tail.push(chunk);
      seq++;
    }
    s.nextSeq = seq;
    if (s.count === 0) s.firstStep = columns.steps[0];
    s.count += length;
    s.lastStep = columns.steps[length - 1];
    s.dirty = true;
  }

  private writeChunk(s: SeriesEntry, seq: number, c: ScalarColumns): ChunkRow {
    const steps = columnRange(c.steps);
    const { parts, layout } = encodeChunk(c, steps.sorted);
    const row: ChunkRow = {
      seriesId: s.id,
      seq,
      ...layout,
      stepMin: steps.min,
      stepMax: steps.max,
      offset: this.columns.append(parts),
    };
    this.pending.chunks.set(`${s.id}/${seq}`, row);
    s.chunks.set(seq, row);
    return row;
  }

  /** Forget a chunk: pending ones never reach DuckDB; stored ones are deleted at the next flush. */
  private dropChunk(s: SeriesEntry, seq: number): void {
    s.chunks.delete(seq);
    if (!this.pending.chunks.delete(`${s.id}/${seq}`)) this.pending.deletes.push([s.id, seq]);
  }

  private chunkColumns(c: ChunkRow): ScalarColumns {
    return decodeChunk(this.columns.read(c.offset, chunkBytes(c)), c);
  }

  async appendPoints(
    runName: string,
    tag: string,
    kind: Kind,
    points: StoredPoint[],
    meta?: TagMetadata,
  ): Promise<void> {
    if (!points.length) return;
    const run = this.run(runName);
    const s = this.series(run, tag, kind, meta);
    for (const p of points) this.pending.points.push({ seriesId: s.id, seq: s.nextSeq++, point: p });
    if (s.count === 0) s.firstStep = points[0].step;
    s.count += points.length;
    s.lastStep = points[points.length - 1].step;
    s.dirty = true;
  }

  /** Moves buffered chunks, points and deletes into DuckDB (inside the open transaction). */
  private async flushPending(): Promise<void> {
    const { chunks, points, deletes } = this.pending;
    if (!chunks.size && !points.length && !deletes.length) return;
    await this.begin();
    if (deletes.length) {
      const pairs = deletes.map(([id, seq]) => `(${Number(id)}, ${Number(seq)})`).join(', ');
      await this.writer.run(
        `DELETE FROM scalar_chunks WHERE (series_id, seq) IN (SELECT * FROM (VALUES ${pairs}))`,
      );
    }
    await this.append('scalar_chunks', [...chunks.values()], (a, c) => {
      a.appendInteger(c.seriesId);
      a.appendInteger(c.seq);
      a.appendInteger(c.n);
      a.appendDouble(c.stepMin);
      a.appendDouble(c.stepMax);
      a.appendBigInt(BigInt(c.offset));
      a.appendBoolean(c.stepsI32);
      a.appendBoolean(c.valuesF32);
    });
    await this.append('points', points, (a, { seriesId, seq, point }) => {
      a.appendInteger(seriesId);
      a.appendInteger(seq);
      a.appendDouble(point.step);
      a.appendDouble(point.wallTime);
      a.appendVarchar(point.body);
    });
    const blobs = points.flatMap((p) => (p.point.blobs ?? []).map((b, i) => ({ ...p, b, i })));
    await this.append('blobs', blobs, (a, { seriesId, seq, point, b, i }) => {
      a.appendInteger(seriesId);
      a.appendInteger(seq);
      a.appendDouble(point.step);
      a.appendInteger(i);
      a.appendVarchar(b.contentType);
      a.appendBlob(b.data);
    });
    this.pending = { chunks: new Map(), points: [], deletes: [] };
  }

  private async append<T>(
    table: string,
    rows: T[],
    write: (a: DuckDBAppender, row: T) => void,
  ): Promise<void> {
    if (!rows.length) return;
    const a = await this.writer.createAppender(table);
    for (const row of rows) {
      write(a, row);
      a.endRow();
    }
    a.flushSync();
    a.closeSync();
  }

  async purge(runName: string, fromStep: number, tags?: string[]): Promise<Map<string, number>> {
    const last = new Map<string, number>();
    const run = this.runsByName.get(runName);
    if (!run) return last;
    await this.flushPending();
    await this.begin();
    for (const s of run.series.values()) {
      if (tags && !tags.includes(s.tag)) continue;
      if (s.kind === 'scalar') {
        const all = this.series_.read(ordered(s.chunks));
        await this.writer.run(`DELETE FROM scalar_chunks WHERE series_id = ${s.id}`);
        Object.assign(s, { count: 0, tail: [], chunks: new Map(), nextSeq: 0, dirty: true });
        if (!all) continue;
        const kept = filterColumns(all, (i) => all.steps[i] < fromStep);
        if (kept.steps.length) await this.appendScalars(runName, s.tag, kept, kept.steps.length);
        if (s.count) last.set(s.tag, s.lastStep);
      } else {
        for (const table of ['points', 'blobs']) {
          await this.writer.run(`DELETE FROM ${table} WHERE series_id = $1 AND step >= $2`, [s.id, fromStep]);
        }
        const r = await this.writer.runAndReadAll(
          'SELECT count(*), min(step), max(step) FROM points WHERE series_id = $1',
          [s.id],
        );
        const [count, lo, hi] = r.getRows()[0];
        Object.assign(s, {
          count: Number(count),
          firstStep: Number(lo ?? 0),
          lastStep: Number(hi ?? 0),
          dirty: true,
        });
        if (s.count) last.set(s.tag, s.lastStep);
      }
    }
    return last;
  }

  async setIssues(runName: string, issues: ReadIssue[]): Promise<void> {
    const run = this.run(runName);
    run.issues = issues;
    run.dirty = true;
    this.runsView = undefined;
  }

  async setFileState(runName: string, state: FileState): Promise<void> {
    const run = this.run(runName);
    run.files.set(state.path, { ...state });
    run.dirty = true;
  }

  async removeRun(runName: string): Promise<void> {
    const run = this.runsByName.get(runName);
    if (!run) return;
    await this.flushPending();
    await this.begin();
    const ids = [...run.series.values()].map((s) => s.id);
    if (ids.length) {
      const list = ids.join(',');
      for (const table of ['scalar_chunks', 'points', 'blobs']) {
        await this.writer.run(`DELETE FROM ${table} WHERE series_id IN (${list})`);
      }
      await this.writer.run(`DELETE FROM series WHERE id IN (${list})`);
    }
    await this.writer.run(`DELETE FROM files WHERE run_id = ${run.id}`);
    await this.writer.run(`DELETE FROM runs WHERE id = ${run.id}`);
    this.runsByName.delete(runName);
    this.runsView = undefined;
  }

  async commit(): Promise<void> {
    const dirtyRuns = [...this.runsByName.values()].filter(
      (r) => r.dirty || [...r.series.values()].some((s) => s.dirty),
    );
    if (!dirtyRuns.length && !this.inTransaction) return;
    await this.flushPending();
    await this.begin();
    const runIds = dirtyRuns.map((r) => r.id).join(',');
    const dirtySeries = dirtyRuns.flatMap((r) =>
      [...r.series.values()].filter((s) => s.dirty).map((s) => ({ r, s })),
    );
    if (runIds) {
      await this.writer.run(`DELETE FROM runs WHERE id IN (${runIds})`);
      await this.writer.run(`DELETE FROM files WHERE run_id IN (${runIds})`);
    }
    if (dirtySeries.length) {
      await this.writer.run(`DELETE FROM series WHERE id IN (${dirtySeries.map(({ s }) => s.id).join(',')})`);
    }
    await this.append('runs', dirtyRuns, (a, run) => {
      a.appendInteger(run.id);
      a.appendVarchar(run.name);
      a.appendVarchar(JSON.stringify(run.issues));
    });
    await this.append(
      'files',
      dirtyRuns.flatMap((run) => [...run.files.values()].map((f) => ({ run, f }))),
      (a, { run, f }) => {
        a.appendInteger(run.id);
        a.appendVarchar(f.path);
        a.appendBigInt(BigInt(f.size));
        a.appendDouble(f.mtimeMs);
        a.appendBigInt(BigInt(f.offset));
      },
    );
    await this.append('series', dirtySeries, (a, { r, s }) => {
      a.appendInteger(s.id);
      a.appendInteger(r.id);
      a.appendVarchar(s.tag);
      a.appendVarchar(s.kind);
      if (s.meta) {
        a.appendVarchar(s.meta.pluginName);
        a.appendBlob(s.meta.pluginContent);
      } else {
        a.appendNull();
        a.appendNull();
      }
      a.appendBigInt(BigInt(s.count));
      a.appendDouble(s.firstStep);
      a.appendDouble(s.lastStep);
    });
    await this.writer.run('COMMIT');
    this.inTransaction = false;
    this.runsView = undefined;
    for (const run of dirtyRuns) {
      run.dirty = false;
      run.fresh = false;
      for (const s of run.series.values()) {
        if (s.dirty && s.kind === 'scalar') s.readable = ordered(s.chunks);
        s.dirty = false;
        s.committed = { count: s.count, firstStep: s.firstStep, lastStep: s.lastStep };
      }
    }
  }

  // ---------------------------------------------------------------- reads

  /** Every committed run with its tags: one shared array (do not mutate) until readers see a change. */
  async runs(): Promise<RunSummary[]> {
    this.runsView ??= this.buildRuns();
    return this.runsView;
  }

  private buildRuns(): RunSummary[] {
    const out: RunSummary[] = [];
    for (const run of this.runsByName.values()) {
      if (run.fresh) continue;
      const tags = [...run.series.values()]
        .filter((s) => s.committed.count > 0)
        .map((s) => ({
          tag: s.tag,
          kind: s.kind,
          count: s.committed.count,
          first_step: s.committed.firstStep,
          last_step: s.committed.lastStep,
        }))
        .sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
      out.push({ name: run.name, tags, issues: run.issues });
    }
    out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return out;
  }

  async fileStates(runName: string): Promise<FileState[]> {
    return [...(this.runsByName.get(runName)?.files.values() ?? [])].map((f) => ({ ...f }));
  }

  tagMetadata(runName: string, tag: string): TagMetadata | undefined {
    return this.runsByName.get(runName)?.series.get(tag)?.meta;
  }

  tag(runName: string, tag: string): TagSummary | undefined {
    const run = this.runsByName.get(runName);
    const s = run?.series.get(tag);
    if (!s || run?.fresh || !s.committed.count) return undefined;
    const c = s.committed;
    return { tag, kind: s.kind, count: c.count, first_step: c.firstStep, last_step: c.lastStep };
  }

  private seriesId(runName: string, tag: string): number | undefined {
    return this.runsByName.get(runName)?.series.get(tag)?.id;
  }

  async scalars(runNames: readonly string[], tag: string): Promise<Map<string, ScalarColumns>> {
    const out = new Map<string, ScalarColumns>();
    for (const name of runNames) {
      const run = this.runsByName.get(name);
      const s = run?.series.get(tag);
      if (!s || run?.fresh || s.kind !== 'scalar') continue;
      const cols = this.series_.read(s.readable);
      if (cols) out.set(name, cols);
    }
    return out;
  }

  async scanScalars(
    runNames: readonly string[],
    tag: string,
    visit: (run: string, columns: ScalarColumns) => void,
  ): Promise<void> {
    for (const name of runNames) {
      const run = this.runsByName.get(name);
      const s = run?.series.get(tag);
      if (!s || run?.fresh || s.kind !== 'scalar') continue;
      const cols = this.series_.read(s.readable, true);
      if (cols) visit(name, cols);
    }
  }

  async points(runName: string, tag: string): Promise<StoredPoint[]> {
    const id = this.seriesId(runName, tag);
    if (id === undefined) return [];
    const r = await this.reader.runAndReadAll(
      'SELECT step, wall_time, body FROM points WHERE series_id = $1 ORDER BY seq',
      [id],
    );
    return r.getRows().map(([step, wallTime, body]) => ({
      step: Number(step),
      wallTime: Number(wallTime),
      body: String(body),
    }));
  }

  async blob(runName: string, tag: string, step: number, index: number): Promise<StoredBlob | undefined> {
    const id = this.seriesId(runName, tag);
    if (id === undefined) return undefined;
    // the last point at that step wins, as in TensorBoard
    const r = await this.reader.runAndReadAll(
      'SELECT content_type, data FROM blobs WHERE series_id = $1 AND step = $2 AND idx = $3 ORDER BY seq DESC LIMIT 1',
      [id, step, index],
    );
    const row = r.getRows()[0];
    if (!row) return undefined;
    return { contentType: String(row[0]), data: (row[1] as DuckDBBlobValue).bytes };
  }

  private closeSync(): void {
    this.writer.closeSync();
    this.reader.closeSync();
    this.instance.closeSync();
    this.columns.close();
  }

  async close(): Promise<void> {
    if (this.inTransaction) await this.commit();
    await this.writer.run('CHECKPOINT');
    this.closeSync();
  }
}

/** Chunks in series order. */
function ordered(chunks: Map<number, ChunkRow>): ChunkRow[] {
  return [...chunks.values()].sort((a, b) => a.seq - b.seq);
}

function removeDatabase(path: string): void {
  for (const p of [path, `${path}.wal`, columnsPath(path)]) rmSync(p, { force: true });
}

/** The scalar column file that goes with an index file. */
function columnsPath(indexPath: string): string {
  return indexPath.replace(/\.duckdb$/, '.columns');
}

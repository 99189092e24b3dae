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
  blobValue,
  type DuckDBBlobValue,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { Kind, ReadIssue } from '@tensorscope/formats/tfevents';
import type {
  FileState,
  RunSummary,
  ScalarArrays,
  ScalarColumns,
  Store,
  StoredBlob,
  StoredPoint,
  TagMetadata,
  TagSummary,
} from '../store';
import { concatColumns, f64, filterColumns, sliceColumns, toBytes } from './columns';
import { SCHEMA, SCHEMA_VERSION } from './schema';

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
  /** the last scalar chunk, when it has room left (it is rewritten rather than followed by a tiny one) */
  tailSeq: number;
  tailN: number;
  nextSeq: number;
  dirty: boolean;
  /** what readers see: the state at the last commit */
  committed: { count: number; firstStep: number; lastStep: number };
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
  private readonly statements = new Map<string, DuckDBPreparedStatement>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
    readonly path: string,
  ) {}

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
    await store.loadCatalog();
    return { store, rebuilt };
  }

  private static async connect(instance: DuckDBInstance, path: string): Promise<DuckDBStore> {
    return new DuckDBStore(instance, await instance.connect(), await instance.connect(), path);
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
              coalesce(t.seq, -1), coalesce(t.n, 0), coalesce(t.next_seq, 0)
       FROM series s LEFT JOIN (
         SELECT series_id, arg_max(seq, seq) AS seq, arg_max(n, seq) AS n, max(seq) + 1 AS next_seq
         FROM scalar_chunks GROUP BY series_id) t ON t.series_id = s.id`,
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
        tailSeq: Number(row[9]),
        tailN: Number(row[10]),
        nextSeq: Number(row[11]),
        dirty: false,
        committed: { count, firstStep: Number(row[7]), lastStep: Number(row[8]) },
      };
      if (entry.kind !== 'scalar') entry.nextSeq = count;
      run.series.set(entry.tag, entry);
      this.nextSeriesId = Math.max(this.nextSeriesId, entry.id + 1);
    }
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

  private async begin(): Promise<void> {
    if (this.inTransaction) return;
    await this.writer.run('BEGIN TRANSACTION');
    this.inTransaction = true;
  }

  private async exec(sql: string, values: DuckDBValue[]): Promise<void> {
    let st = this.statements.get(sql);
    if (!st) {
      st = await this.writer.prepare(sql);
      this.statements.set(sql, st);
    }
    st.bind(values);
    await st.run();
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
        tailSeq: -1,
        tailN: 0,
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
    columns: ScalarArrays,
    length: number,
    meta?: TagMetadata,
  ): Promise<void> {
    if (length <= 0) return;
    await this.begin();
    const run = this.run(runName);
    const s = this.series(run, tag, 'scalar', meta);
    let cols = sliceColumns(columns, 0, length);
    let n = length;
    if (s.tailSeq >= 0 && s.tailN < CHUNK) {
      // top up the last chunk so live tailing doesn't leave thousands of tiny rows
      const tail = await this.readChunk(this.writer, s.id, s.tailSeq);
      cols = concatColumns(tail, cols);
      n += tail.steps.length;
      await this.exec('DELETE FROM scalar_chunks WHERE series_id = ? AND seq = ?', [s.id, s.tailSeq]);
      s.nextSeq = s.tailSeq;
    }
    for (let at = 0; at < n; at += CHUNK) {
      const end = Math.min(n, at + CHUNK);
      const part = sliceColumns(cols, at, end);
      await this.insertChunk(s.id, s.nextSeq, part);
      s.tailSeq = s.nextSeq++;
      s.tailN = end - at;
    }
    if (s.count === 0) s.firstStep = columns.steps[0];
    s.count += length;
    s.lastStep = columns.steps[length - 1];
    s.dirty = true;
  }

  private async insertChunk(seriesId: number, seq: number, c: ScalarColumns): Promise<void> {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of c.steps) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    await this.exec('INSERT INTO scalar_chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      seriesId,
      seq,
      c.steps.length,
      lo,
      hi,
      blob(c.steps),
      blob(c.wallTimes),
      blob(c.values),
    ]);
  }

  private async readChunk(con: DuckDBConnection, seriesId: number, seq: number): Promise<ScalarColumns> {
    const r = await con.runAndReadAll(
      'SELECT steps, wall_times, vals FROM scalar_chunks WHERE series_id = $1 AND seq = $2',
      [seriesId, seq],
    );
    const row = r.getRows()[0];
    return rowColumns(row[0], row[1], row[2]);
  }

  async appendPoints(
    runName: string,
    tag: string,
    kind: Kind,
    points: StoredPoint[],
    meta?: TagMetadata,
  ): Promise<void> {
    if (!points.length) return;
    await this.begin();
    const run = this.run(runName);
    const s = this.series(run, tag, kind, meta);
    for (const p of points) {
      const seq = s.nextSeq++;
      await this.exec('INSERT INTO points VALUES (?, ?, ?, ?, ?)', [s.id, seq, p.step, p.wallTime, p.body]);
      for (const [i, b] of (p.blobs ?? []).entries()) {
        await this.exec('INSERT INTO blobs VALUES (?, ?, ?, ?, ?, ?)', [
          s.id,
          seq,
          p.step,
          i,
          b.contentType,
          blob(b.data),
        ]);
      }
    }
    if (s.count === 0) s.firstStep = points[0].step;
    s.count += points.length;
    s.lastStep = points[points.length - 1].step;
    s.dirty = true;
  }

  async purge(runName: string, fromStep: number, tags?: string[]): Promise<Map<string, number>> {
    const last = new Map<string, number>();
    const run = this.runsByName.get(runName);
    if (!run) return last;
    await this.begin();
    for (const s of run.series.values()) {
      if (tags && !tags.includes(s.tag)) continue;
      if (s.kind === 'scalar') {
        const all = (await this.readScalars(this.writer, [s.id])).get(s.id);
        await this.exec('DELETE FROM scalar_chunks WHERE series_id = ?', [s.id]);
        Object.assign(s, { count: 0, tailSeq: -1, tailN: 0, nextSeq: 0, dirty: true });
        if (!all) continue;
        const kept = filterColumns(all, (i) => all.steps[i] < fromStep);
        if (kept.steps.length) await this.appendScalars(runName, s.tag, kept, kept.steps.length);
        if (s.count) last.set(s.tag, s.lastStep);
      } else {
        await this.exec('DELETE FROM points WHERE series_id = ? AND step >= ?', [s.id, fromStep]);
        await this.exec('DELETE FROM blobs WHERE series_id = ? AND step >= ?', [s.id, fromStep]);
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
  }

  async setFileState(runName: string, state: FileState): Promise<void> {
    const run = this.run(runName);
    run.files.set(state.path, { ...state });
    run.dirty = true;
  }

  async removeRun(runName: string): Promise<void> {
    const run = this.runsByName.get(runName);
    if (!run) return;
    await this.begin();
    const ids = [...run.series.values()].map((s) => s.id);
    if (ids.length) {
      const list = ids.join(',');
      for (const table of ['scalar_chunks', 'points', 'blobs']) {
        await this.writer.run(`DELETE FROM ${table} WHERE series_id IN (${list})`);
      }
      await this.writer.run(`DELETE FROM series WHERE id IN (${list})`);
    }
    await this.exec('DELETE FROM files WHERE run_id = ?', [run.id]);
    await this.exec('DELETE FROM runs WHERE id = ?', [run.id]);
    this.runsByName.delete(runName);
  }

  async commit(): Promise<void> {
    const dirtyRuns = [...this.runsByName.values()].filter(
      (r) => r.dirty || [...r.series.values()].some((s) => s.dirty),
    );
    if (!dirtyRuns.length && !this.inTransaction) return;
    await this.begin();
    for (const run of dirtyRuns) {
      await this.exec('DELETE FROM runs WHERE id = ?', [run.id]);
      await this.exec('INSERT INTO runs VALUES (?, ?, ?)', [run.id, run.name, JSON.stringify(run.issues)]);
      await this.exec('DELETE FROM files WHERE run_id = ?', [run.id]);
      for (const f of run.files.values()) {
        await this.exec('INSERT INTO files VALUES (?, ?, ?, ?, ?)', [
          run.id,
          f.path,
          f.size,
          f.mtimeMs,
          f.offset,
        ]);
      }
      for (const s of run.series.values()) {
        if (!s.dirty) continue;
        await this.exec('DELETE FROM series WHERE id = ?', [s.id]);
        await this.exec('INSERT INTO series VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
          s.id,
          run.id,
          s.tag,
          s.kind,
          s.meta?.pluginName ?? null,
          s.meta ? blob(s.meta.pluginContent) : null,
          s.count,
          s.firstStep,
          s.lastStep,
        ]);
      }
    }
    await this.writer.run('COMMIT');
    this.inTransaction = false;
    for (const run of dirtyRuns) {
      run.dirty = false;
      run.fresh = false;
      for (const s of run.series.values()) {
        s.dirty = false;
        s.committed = { count: s.count, firstStep: s.firstStep, lastStep: s.lastStep };
      }
    }
  }

  // ---------------------------------------------------------------- reads

  async runs(): Promise<RunSummary[]> {
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
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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
    const ids = new Map<number, string>();
    for (const name of runNames) {
      const id = this.seriesId(name, tag);
      if (id !== undefined) ids.set(id, name);
    }
    const out = new Map<string, ScalarColumns>();
    for (const [id, cols] of await this.readScalars(this.reader, [...ids.keys()]))
      out.set(ids.get(id) as string, cols);
    return out;
  }

  private async readScalars(con: DuckDBConnection, ids: number[]): Promise<Map<number, ScalarColumns>> {
    const out = new Map<number, ScalarColumns>();
    if (!ids.length) return out;
    const r = await con.runAndReadAll(
      `SELECT series_id, steps, wall_times, vals FROM scalar_chunks
       WHERE series_id IN (${ids.map(Number).join(',')}) ORDER BY series_id, seq`,
    );
    const parts = new Map<number, ScalarColumns[]>();
    for (const row of r.getRows()) {
      const id = Number(row[0]);
      const list = parts.get(id) ?? [];
      list.push(rowColumns(row[1], row[2], row[3]));
      parts.set(id, list);
    }
    for (const [id, list] of parts) out.set(id, list.length === 1 ? list[0] : concatColumns(...list));
    return out;
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
    for (const st of this.statements.values()) st.destroySync();
    this.statements.clear();
    this.writer.closeSync();
    this.reader.closeSync();
    this.instance.closeSync();
  }

  async close(): Promise<void> {
    if (this.inTransaction) await this.commit();
    await this.writer.run('CHECKPOINT');
    this.closeSync();
  }
}

function blob(a: Float64Array | Uint8Array): DuckDBValue {
  return blobValue(toBytes(a));
}

function rowColumns(steps: DuckDBValue, wallTimes: DuckDBValue, values: DuckDBValue): ScalarColumns {
  return {
    steps: f64((steps as DuckDBBlobValue).bytes),
    wallTimes: f64((wallTimes as DuckDBBlobValue).bytes),
    values: f64((values as DuckDBBlobValue).bytes),
  };
}

function removeDatabase(path: string): void {
  for (const p of [path, `${path}.wal`]) rmSync(p, { force: true });
}

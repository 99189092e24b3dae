/**
 * Reads one run's event files in order, and keeps reading as they grow (tailing): each poll
 * continues after the last complete record (see file-tail.ts). A partial record at the end of the
 * newest file may still be being written and is not an error; in an older file it is reported as
 * truncated.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type EmbeddingPoint, RunAccumulator } from '../accumulator';
import { ingestRecord } from '../ingest';
import { parseProjectorConfig } from '../projector';
import { isEventFile } from './discover';
import { type FileState, readNewRecords } from './file-tail';

export class RunReader {
  data: RunAccumulator;
  private fileStates = new Map<string, FileState>();
  private projectorMtime = -1;

  constructor(
    readonly name: string,
    readonly dir: string,
  ) {
    this.data = new RunAccumulator(name);
  }

  get files(): string[] {
    return [...this.fileStates.keys()].sort();
  }

  /** Reads whatever is new; returns the tags that changed. */
  async poll(): Promise<Set<string>> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter(isEventFile).sort();
    const paths = names.map((n) => join(this.dir, n));
    // a file that disappeared or shrank invalidates what was read from it: start the run over
    const gone = [...this.fileStates.keys()].some((p) => !paths.includes(p));
    const stats = await Promise.all(paths.map((p) => stat(p).catch(() => undefined)));
    const shrank = paths.some((p, i) => {
      const s = this.fileStates.get(p);
      return s && stats[i] && (stats[i]?.size ?? 0) < s.offset;
    });
    if (gone || shrank) {
      this.data = new RunAccumulator(this.name);
      this.fileStates.clear();
      this.projectorMtime = -1;
    }
    for (let i = 0; i < paths.length; i++) {
      const st = stats[i];
      if (!st) continue;
      let fs = this.fileStates.get(paths[i]);
      if (!fs) {
        fs = { path: paths[i], offset: 0, size: 0, mtimeMs: 0 };
        this.fileStates.set(paths[i], fs);
      }
      fs.size = st.size;
      fs.mtimeMs = st.mtimeMs;
      if (fs.offset < st.size) await this.readFile(fs, i === paths.length - 1);
    }
    await this.readProjector();
    return this.data.takeChanged();
  }

  private readFile(fs: FileState, newest: boolean): Promise<void> {
    return readNewRecords(
      fs,
      newest,
      (buf, s, e, offset) => ingestRecord(this.data, buf, s, e, fs.path, offset),
      (issue) => this.data.issues.push(issue),
    );
  }

  /** Embeddings from projector_config.pbtxt (tensorboardX writes it next to the run's events). */
  private async readProjector(): Promise<void> {
    const path = join(this.dir, 'projector_config.pbtxt');
    const st = await stat(path).catch(() => undefined);
    if (!st || st.mtimeMs === this.projectorMtime) return;
    this.projectorMtime = st.mtimeMs;
    let embeddings: ReturnType<typeof parseProjectorConfig>;
    try {
      embeddings = parseProjectorConfig(await readFile(path, 'utf8'));
    } catch (err) {
      this.data.issues.push({
        file: path,
        offset: 0,
        message: `projector config: ${(err as Error).message}`,
      });
      return;
    }
    for (const e of embeddings) {
      const point = await this.embeddingPoint(e);
      const tag = e.tensorName.replace(/:\d+$/, '') || basename(e.tensorPath);
      this.data.tags.set(tag, {
        kind: 'embedding',
        tag,
        points: [{ step: 0, wallTime: st.mtimeMs / 1000, value: point }],
      });
    }
  }

  private async embeddingPoint(e: ReturnType<typeof parseProjectorConfig>[number]): Promise<EmbeddingPoint> {
    let shape = e.tensorShape ?? [];
    if (!shape.length && e.tensorPath) {
      const text = await readFile(join(this.dir, e.tensorPath), 'utf8').catch(() => '');
      const rows = text.split('\n').filter((l) => l.trim() !== '');
      shape = [rows.length, rows[0] ? rows[0].split('\t').length : 0];
    }
    let metadataColumns: string[] = [];
    if (e.metadataPath) {
      const text = await readFile(join(this.dir, e.metadataPath), 'utf8').catch(() => '');
      const first = text.split('\n')[0] ?? '';
      // TensorBoard's rule: a single-column metadata file has no header row
      metadataColumns = first.includes('\t') ? first.split('\t') : ['label'];
    }
    return {
      tensorName: e.tensorName,
      tensorPath: e.tensorPath,
      shape,
      metadataPath: e.metadataPath,
      metadataColumns,
      spritePath: e.sprite?.imagePath,
      spriteSingleImageDim: e.sprite?.singleImageDim,
    };
  }
}

/**
 * Reading the new part of a growing event file: from the offset after the last complete record up to
 * the size last seen, in bounded chunks. Shared by the CLI's RunReader and the server's ingest.
 */
import { open } from 'node:fs/promises';
import { scanRecords } from '../records';
import type { ReadIssue } from '../types';

const CHUNK = 8 << 20;

export interface FileState {
  path: string;
  /** offset just past the last complete record read */
  offset: number;
  /** size when last listed */
  size: number;
  mtimeMs: number;
}

/**
 * Calls onRecord(buf, start, end, headerOffset) for every complete record between state.offset and
 * state.size and advances state.offset. `newest`: the file may still be being written, so a partial
 * record at its end is left for the next read instead of being reported as truncated. `afterChunk`
 * runs after each chunk (the server drains into its store there, bounding memory).
 */
export async function readNewRecords(
  state: FileState,
  newest: boolean,
  onRecord: (buf: Uint8Array, start: number, end: number, headerOffset: number) => void,
  onIssue: (issue: ReadIssue) => void,
  afterChunk?: () => Promise<void>,
): Promise<void> {
  const fh = await open(state.path, 'r').catch(() => undefined);
  if (!fh) return; // deleted between listing and opening: the next listing notices
  try {
    let chunk = CHUNK;
    while (state.offset < state.size) {
      const want = Math.min(chunk, state.size - state.offset);
      const buf = new Uint8Array(want);
      const { bytesRead } = await fh.read(buf, 0, want, state.offset);
      const view = buf.subarray(0, bytesRead);
      const atEnd = state.offset + bytesRead >= state.size;
      const base = state.offset;
      const res = scanRecords(view, state.path, (s, e) => onRecord(view, s, e, base + s - 12), onIssue, {
        baseOffset: base,
        eof: atEnd && !newest,
      });
      state.offset += res.consumed;
      await afterChunk?.();
      if (bytesRead === 0) break; // the file shrank under us
      if (res.consumed === 0) {
        if (atEnd) break; // a record still being written
        chunk *= 2; // a record larger than the chunk
      }
    }
  } finally {
    await fh.close();
  }
}

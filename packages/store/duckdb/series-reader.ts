/** Reading one scalar series back from the column file: its chunks, joined with their block summaries. */
import type { ScalarColumns } from '../store';
import { type ChunkLayout, type ColumnFile, chunkBytes, decodeChunk, decodeSummary } from './column-file';
import { BlockScratch, joinChunks } from './columns';

/** Where a chunk is in the column file and how it is laid out. */
export interface ChunkRef extends ChunkLayout {
  offset: number;
}

/** Largest series read into the reused buffer (bigger ones get their own). */
const SCRATCH_MAX = 32 << 20;

export class SeriesReader {
  private scratch = new Uint8Array(0);
  private readonly blocks = new BlockScratch();

  constructor(private readonly columns: ColumnFile) {}

  /**
   * The series, into a fresh unzeroed buffer, or (`reuse`) into one kept for the next call: then the
   * columns are valid only until the next read.
   */
  read(chunks: readonly ChunkRef[], reuse = false): ScalarColumns | undefined {
    if (!chunks.length) return undefined;
    const total = chunks.reduce((t, c) => t + chunkBytes(c), 0);
    let buf: Uint8Array;
    if (reuse && total <= SCRATCH_MAX) {
      if (this.scratch.length < total)
        this.scratch = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(total, 2 * this.scratch.length)));
      buf = this.scratch;
    } else buf = new Uint8Array(Buffer.allocUnsafeSlow(total).buffer);
    let at = 0;
    const parts = chunks.map((c) => {
      const bytes = this.columns.readInto(buf.subarray(at, at + chunkBytes(c)), c.offset);
      at += bytes.length;
      return { columns: decodeChunk(bytes, c), summary: decodeSummary(bytes, c) };
    });
    return joinChunks(parts, reuse ? this.blocks : undefined);
  }
}

/**
 * Scalar points live in one append-only file of columnar chunks next to the DuckDB index, which holds
 * each chunk's place (offset, count, step range, column types). Measured on this machine
 * (docs/BENCHMARKS.md): the same chunks as DuckDB BLOBs went through DuckDB's write-ahead log and
 * then its checkpoint, writing every byte twice with an fsync, and indexing ran at a third of the
 * reader's speed; here a chunk costs one write to the page cache. The file is a cache like the
 * index: on open, an index that points past the file's end is treated as corrupt and rebuilt.
 *
 * A chunk is [wall times f64 x n][steps i32|f64 x n][pad to 8][values f32|f64 x n], little-endian, so
 * each column is read back as a typed-array view without copying.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import type { ScalarColumns } from '../store';

export interface ChunkLayout {
  n: number;
  stepsI32: boolean;
  valuesF32: boolean;
}

export function chunkBytes(l: ChunkLayout): number {
  const stepsEnd = 8 * l.n + (l.stepsI32 ? 4 : 8) * l.n;
  return align8(stepsEnd) + (l.valuesF32 ? 4 : 8) * l.n;
}

const align8 = (x: number) => (x + 7) & ~7;

export function encodeChunk(c: ScalarColumns): { bytes: Uint8Array; layout: ChunkLayout } {
  const n = c.wallTimes.length;
  const layout = { n, stepsI32: c.steps instanceof Int32Array, valuesF32: c.values instanceof Float32Array };
  const buf = new ArrayBuffer(chunkBytes(layout));
  new Float64Array(buf, 0, n).set(c.wallTimes);
  const stepsAt = 8 * n;
  if (layout.stepsI32) new Int32Array(buf, stepsAt, n).set(c.steps);
  else new Float64Array(buf, stepsAt, n).set(c.steps);
  const valuesAt = align8(stepsAt + (layout.stepsI32 ? 4 : 8) * n);
  if (layout.valuesF32) new Float32Array(buf, valuesAt, n).set(c.values);
  else new Float64Array(buf, valuesAt, n).set(c.values);
  return { bytes: new Uint8Array(buf), layout };
}

/** Views over a chunk's bytes (which must start 8-byte aligned: readChunk allocates them so). */
export function decodeChunk(bytes: Uint8Array, l: ChunkLayout): ScalarColumns {
  const { buffer, byteOffset: at } = bytes;
  const n = l.n;
  const stepsAt = at + 8 * n;
  const valuesAt = at + align8(8 * n + (l.stepsI32 ? 4 : 8) * n);
  return {
    wallTimes: new Float64Array(buffer, at, n),
    steps: l.stepsI32 ? new Int32Array(buffer, stepsAt, n) : new Float64Array(buffer, stepsAt, n),
    values: l.valuesF32 ? new Float32Array(buffer, valuesAt, n) : new Float64Array(buffer, valuesAt, n),
  };
}

export class ColumnFile {
  private readonly fd: number;
  size: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a+');
    this.size = fstatSync(this.fd).size;
  }

  /** Appends bytes; returns their offset. */
  append(bytes: Uint8Array): number {
    const at = this.size;
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, at + done);
    this.size += bytes.length;
    return at;
  }

  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(new ArrayBuffer(length));
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, offset + done);
      if (n === 0) throw new Error(`${this.path}: chunk at ${offset} ends past the file's end`);
      done += n;
    }
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

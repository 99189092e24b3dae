/**
 * Scalar points live in one append-only file of columnar chunks next to the DuckDB index, which holds
 * each chunk's place (offset, count, step range, column types). Measured on this machine
 * (docs/BENCHMARKS.md): the same chunks as DuckDB BLOBs went through DuckDB's write-ahead log and
 * then its checkpoint, writing every byte twice with an fsync, and indexing ran at a third of the
 * reader's speed; here a chunk costs one write to the page cache. The file is a cache like the
 * index: on open, an index that points past the file's end is treated as corrupt and rebuilt.
 *
 * A chunk is [wall times f64 x n][steps i32|f64 x n][pad to 8][values f32|f64 x n][pad to 8], then
 * its M4 block summary: [flags u32][0 u32][min u16 x nb][max u16 x nb][nan u16 x nb][pad to 8], with
 * nb = ceil(n / BLOCK) and 0xffff for "none" (analysis/downsample/blocks.ts). Little-endian, so each
 * column is read back as a typed-array view without copying, and written from the columns as they are
 * (one writev, no intermediate copy).
 */
import { closeSync, fstatSync, openSync, readSync, writevSync } from 'node:fs';
import { BLOCK, summarizeBlocks } from '@tensorscope/analysis/downsample';
import type { ScalarColumns } from '../store';

export interface ChunkLayout {
  n: number;
  stepsI32: boolean;
  valuesF32: boolean;
}

/** A chunk's block summary, with indices local to the chunk (NONE = no such point). */
export interface ChunkSummary {
  /** steps (bit 0) and wall times (bit 1) nondecreasing within the chunk */
  flags: number;
  min: Uint16Array;
  max: Uint16Array;
  nan: Uint16Array;
}

export const NONE = 0xffff;
export const STEPS_SORTED = 1;
export const WALL_TIMES_SORTED = 2;

const align8 = (x: number) => (x + 7) & ~7;
const blocksOf = (n: number) => Math.ceil(n / BLOCK);

function valuesEnd(l: ChunkLayout): number {
  return align8(8 * l.n + (l.stepsI32 ? 4 : 8) * l.n) + (l.valuesF32 ? 4 : 8) * l.n;
}

export function chunkBytes(l: ChunkLayout): number {
  return align8(valuesEnd(l)) + 8 + align8(6 * blocksOf(l.n));
}

/** Range and order of a column, in one pass (steps are an Int32Array or a Float64Array). */
export function columnRange(a: Int32Array | Float64Array): { min: number; max: number; sorted: boolean } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sorted = true;
  let prev = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < prev) sorted = false;
    if (v < min) min = v;
    if (v > max) max = v;
    prev = v;
  }
  return { min, max, sorted };
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const ZEROS = new Uint8Array(8);

/**
 * A chunk as the byte ranges to write (views of the columns, no copy) plus its layout. `stepsSorted`
 * comes from the caller, which scans the steps for their range anyway.
 */
export function encodeChunk(
  c: ScalarColumns,
  stepsSorted: boolean,
): { parts: Uint8Array[]; layout: ChunkLayout } {
  const n = c.wallTimes.length;
  if (n >= NONE) throw new Error(`a chunk holds at most ${NONE - 1} points, not ${n}`);
  const layout = { n, stepsI32: c.steps instanceof Int32Array, valuesF32: c.values instanceof Float32Array };
  const stepsEnd = 8 * n + c.steps.byteLength;
  const valuesEnd = align8(stepsEnd) + c.values.byteLength;
  const nb = blocksOf(n);
  const summary = new ArrayBuffer(8 + align8(6 * nb));
  const flags = (stepsSorted ? STEPS_SORTED : 0) | (columnRange(c.wallTimes).sorted ? WALL_TIMES_SORTED : 0);
  new Uint32Array(summary, 0, 1)[0] = flags;
  const blocks = summarizeBlocks(c.values, n);
  const local = new Uint16Array(summary, 8, 3 * nb);
  for (let k = 0; k < nb; k++) {
    local[k] = blocks.min[k] < 0 ? NONE : blocks.min[k];
    local[nb + k] = blocks.max[k] < 0 ? NONE : blocks.max[k];
    local[2 * nb + k] = blocks.nan[k] < 0 ? NONE : blocks.nan[k];
  }
  const parts = [
    bytesOf(c.wallTimes),
    bytesOf(c.steps),
    ZEROS.subarray(0, align8(stepsEnd) - stepsEnd),
    bytesOf(c.values),
    ZEROS.subarray(0, align8(valuesEnd) - valuesEnd),
    new Uint8Array(summary),
  ];
  return { parts: parts.filter((p) => p.length), layout };
}

/** Views over a chunk's bytes (which must start 8-byte aligned: ColumnFile.read allocates them so). */
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

/** Views over a chunk's block summary. */
export function decodeSummary(bytes: Uint8Array, l: ChunkLayout): ChunkSummary {
  const at = bytes.byteOffset + align8(valuesEnd(l));
  const nb = blocksOf(l.n);
  return {
    flags: new Uint32Array(bytes.buffer, at, 1)[0],
    min: new Uint16Array(bytes.buffer, at + 8, nb),
    max: new Uint16Array(bytes.buffer, at + 8 + 2 * nb, nb),
    nan: new Uint16Array(bytes.buffer, at + 8 + 4 * nb, nb),
  };
}

export class ColumnFile {
  private readonly fd: number;
  size: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a+');
    this.size = fstatSync(this.fd).size;
  }

  /** Appends byte ranges back to back (one writev); returns the offset of the first. */
  append(parts: Uint8Array[]): number {
    const at = this.size;
    const total = parts.reduce((t, p) => t + p.length, 0);
    let done = 0;
    let rest = parts;
    while (done < total) {
      const n = writevSync(this.fd, rest, at + done);
      done += n;
      rest = skipBytes(rest, n);
    }
    this.size += total;
    return at;
  }

  read(offset: number, length: number): Uint8Array {
    return this.readInto(new Uint8Array(new ArrayBuffer(length)), offset);
  }

  /** Fills `out` from `offset` (a caller reading many chunks gives views of one unzeroed buffer). */
  readInto(out: Uint8Array, offset: number): Uint8Array {
    const length = out.length;
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

/** The byte ranges left after the first n bytes (a short writev). */
function skipBytes(parts: Uint8Array[], n: number): Uint8Array[] {
  let i = 0;
  let left = n;
  while (i < parts.length && left >= parts[i].length) left -= parts[i++].length;
  return i < parts.length ? [parts[i].subarray(left), ...parts.slice(i + 1)] : [];
}

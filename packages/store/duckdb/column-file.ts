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
 * column is read back as a typed-array view without copying.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { BLOCK, type NumberArray, summarizeBlocks } from '@tensorscope/analysis/downsample';
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

function nondecreasing(a: NumberArray): boolean {
  for (let i = 1; i < a.length; i++) if (a[i] < a[i - 1]) return false;
  return true;
}

export function encodeChunk(c: ScalarColumns): { bytes: Uint8Array; layout: ChunkLayout } {
  const n = c.wallTimes.length;
  if (n >= NONE) throw new Error(`a chunk holds at most ${NONE - 1} points, not ${n}`);
  const layout = { n, stepsI32: c.steps instanceof Int32Array, valuesF32: c.values instanceof Float32Array };
  const buf = new ArrayBuffer(chunkBytes(layout));
  new Float64Array(buf, 0, n).set(c.wallTimes);
  const stepsAt = 8 * n;
  if (layout.stepsI32) new Int32Array(buf, stepsAt, n).set(c.steps);
  else new Float64Array(buf, stepsAt, n).set(c.steps);
  const valuesAt = align8(stepsAt + (layout.stepsI32 ? 4 : 8) * n);
  if (layout.valuesF32) new Float32Array(buf, valuesAt, n).set(c.values);
  else new Float64Array(buf, valuesAt, n).set(c.values);
  const sumAt = align8(valuesEnd(layout));
  const flags =
    (nondecreasing(c.steps) ? STEPS_SORTED : 0) | (nondecreasing(c.wallTimes) ? WALL_TIMES_SORTED : 0);
  new Uint32Array(buf, sumAt, 1)[0] = flags;
  const nb = blocksOf(n);
  const blocks = summarizeBlocks(c.values, n);
  const local = new Uint16Array(buf, sumAt + 8, 3 * nb);
  for (let k = 0; k < nb; k++) {
    local[k] = blocks.min[k] < 0 ? NONE : blocks.min[k];
    local[nb + k] = blocks.max[k] < 0 ? NONE : blocks.max[k];
    local[2 * nb + k] = blocks.nan[k] < 0 ? NONE : blocks.nan[k];
  }
  return { bytes: new Uint8Array(buf), layout };
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

  /** Appends bytes; returns their offset. */
  append(bytes: Uint8Array): number {
    const at = this.size;
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, at + done);
    this.size += bytes.length;
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

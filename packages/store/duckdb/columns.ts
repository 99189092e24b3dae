/** The few array operations on scalar columns the chunked layout needs. */
import { BLOCK, type BlockSummary } from '@tensorscope/analysis/downsample';
import type { ScalarColumns } from '../store';
import { type ChunkSummary, NONE, STEPS_SORTED, WALL_TIMES_SORTED } from './column-file';

/** Points [from, to), as views. */
export function sliceColumns(c: ScalarColumns, from: number, to: number): ScalarColumns {
  return {
    steps: c.steps.subarray(from, to),
    wallTimes: c.wallTimes.subarray(from, to),
    values: c.values.subarray(from, to),
  };
}

/** Concatenation; a column is widened to Float64 when the parts' types differ. */
export function concatColumns(...parts: ScalarColumns[]): ScalarColumns {
  const n = parts.reduce((s, p) => s + p.wallTimes.length, 0);
  const i32 = parts.every((p) => p.steps instanceof Int32Array);
  const f32 = parts.every((p) => p.values instanceof Float32Array);
  const out: ScalarColumns = {
    steps: i32 ? new Int32Array(n) : new Float64Array(n),
    wallTimes: new Float64Array(n),
    values: f32 ? new Float32Array(n) : new Float64Array(n),
  };
  let at = 0;
  for (const p of parts) {
    out.steps.set(p.steps, at);
    out.wallTimes.set(p.wallTimes, at);
    out.values.set(p.values, at);
    at += p.wallTimes.length;
  }
  return out;
}

export function filterColumns(c: ScalarColumns, keep: (i: number) => boolean): ScalarColumns {
  const idx: number[] = [];
  for (let i = 0; i < c.wallTimes.length; i++) if (keep(i)) idx.push(i);
  const pick = <T extends Int32Array | Float32Array | Float64Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(idx.length);
    idx.forEach((i, k) => {
      out[k] = a[i];
    });
    return out;
  };
  return { steps: pick(c.steps), wallTimes: pick(c.wallTimes), values: pick(c.values) };
}

/**
 * One series from its chunks in order: the columns (views when there is one chunk) with the chunks'
 * block summaries joined into one (indices made global) and whether each axis is nondecreasing.
 */
export function joinChunks(
  parts: { columns: ScalarColumns; summary: ChunkSummary }[],
  scratch?: BlockScratch,
): ScalarColumns {
  const out = parts.length === 1 ? { ...parts[0].columns } : concatColumns(...parts.map((p) => p.columns));
  const nb = parts.reduce((s, p) => s + p.summary.min.length, 0);
  const blocks = scratch ? scratch.take(nb) : newBlocks(nb);
  let stepsSorted = true;
  let wallTimesSorted = true;
  let at = 0;
  let k = 0;
  for (const { columns: c, summary: s } of parts) {
    const n = c.wallTimes.length;
    stepsSorted &&= (s.flags & STEPS_SORTED) !== 0 && !(at && n && c.steps[0] < out.steps[at - 1]);
    wallTimesSorted &&=
      (s.flags & WALL_TIMES_SORTED) !== 0 && !(at && n && c.wallTimes[0] < out.wallTimes[at - 1]);
    for (let b = 0; b < s.min.length; b++, k++) {
      blocks.start[k] = at + b * BLOCK;
      blocks.min[k] = s.min[b] === NONE ? -1 : at + s.min[b];
      blocks.max[k] = s.max[b] === NONE ? -1 : at + s.max[b];
      blocks.nan[k] = s.nan[b] === NONE ? -1 : at + s.nan[b];
    }
    at += n;
  }
  blocks.start[nb] = at;
  return { ...out, blocks, stepsSorted, wallTimesSorted };
}

function newBlocks(nb: number): BlockSummary {
  return {
    start: new Int32Array(nb + 1),
    min: new Int32Array(nb),
    max: new Int32Array(nb),
    nan: new Int32Array(nb),
  };
}

/**
 * Block-summary arrays reused from one series to the next (views of them: valid until the next take),
 * so reading 1,000 runs does not allocate 4,000 arrays.
 */
export class BlockScratch {
  private arrays = newBlocks(0);

  take(nb: number): BlockSummary {
    if (this.arrays.min.length < nb) this.arrays = newBlocks(Math.max(nb, 2 * this.arrays.min.length));
    const a = this.arrays;
    return {
      start: a.start.subarray(0, nb + 1),
      min: a.min.subarray(0, nb),
      max: a.max.subarray(0, nb),
      nan: a.nan.subarray(0, nb),
    };
  }
}

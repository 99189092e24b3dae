/** The few array operations on scalar columns the chunked layout needs. */
import type { ScalarColumns } from '../store';

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

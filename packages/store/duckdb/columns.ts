/** Scalar columns <-> bytes, and the few array operations the chunked layout needs. */
import type { ScalarArrays, ScalarColumns } from '../store';

/** A Float64Array over the bytes (copied only when they are not 8-byte aligned). */
export function f64(bytes: Uint8Array): Float64Array {
  if (bytes.byteOffset % 8 === 0)
    return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 3);
  return new Float64Array(bytes.slice().buffer);
}

export function toBytes(a: Float64Array | Uint8Array): Uint8Array {
  return a instanceof Uint8Array ? a : new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Points [from, to) as Float64 columns (views when the input already is Float64). */
export function sliceColumns(c: ScalarArrays, from: number, to: number): ScalarColumns {
  return {
    steps: asF64(c.steps.subarray(from, to)),
    wallTimes: c.wallTimes.subarray(from, to),
    values: asF64(c.values.subarray(from, to)),
  };
}

function asF64(a: Int32Array | Float32Array | Float64Array): Float64Array {
  if (a instanceof Float64Array) return a;
  const out = new Float64Array(a.length);
  out.set(a);
  return out;
}

export function concatColumns(...parts: ScalarColumns[]): ScalarColumns {
  const n = parts.reduce((s, p) => s + p.steps.length, 0);
  const out = { steps: new Float64Array(n), wallTimes: new Float64Array(n), values: new Float64Array(n) };
  let at = 0;
  for (const p of parts) {
    out.steps.set(p.steps, at);
    out.wallTimes.set(p.wallTimes, at);
    out.values.set(p.values, at);
    at += p.steps.length;
  }
  return out;
}

export function filterColumns(c: ScalarColumns, keep: (i: number) => boolean): ScalarColumns {
  const idx: number[] = [];
  for (let i = 0; i < c.steps.length; i++) if (keep(i)) idx.push(i);
  return {
    steps: Float64Array.from(idx, (i) => c.steps[i]),
    wallTimes: Float64Array.from(idx, (i) => c.wallTimes[i]),
    values: Float64Array.from(idx, (i) => c.values[i]),
  };
}

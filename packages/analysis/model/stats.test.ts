import { describe, expect, it } from 'vitest';
import { histogram, tensorStats } from './stats';

/** Two-pass reference in float64 over the finite values. */
function reference(values: number[]) {
  const finite = values.filter(Number.isFinite);
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  const variance = finite.reduce((a, b) => a + (b - mean) ** 2, 0) / finite.length;
  return { mean, std: Math.sqrt(variance), min: Math.min(...finite), max: Math.max(...finite) };
}

describe('tensorStats', () => {
  it('matches a two-pass computation and counts zeros, NaN and both infinities', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const values = Array.from({ length: 10_000 }, () => rand() * 3 + 100);
    values.push(
      0,
      0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    );
    const data = Float64Array.from(values);
    const s = tensorStats(data);
    const ref = reference(values);
    expect(s.count).toBe(10_006);
    expect(s.finite).toBe(10_002);
    expect([s.nan, s.posInf, s.negInf, s.zeros]).toEqual([1, 1, 2, 2]);
    expect(s.mean).toBeCloseTo(ref.mean, 10);
    expect(s.std).toBeCloseTo(ref.std, 10);
    expect([s.min, s.max]).toEqual([ref.min, ref.max]);
    expect(s.absMax).toBe(Math.max(Math.abs(ref.min), Math.abs(ref.max)));
  });

  it('handles integer and 64-bit integer arrays, and reports NaN statistics for no finite values', () => {
    expect(tensorStats(Int8Array.from([-3, 0, 3])).std).toBeCloseTo(Math.sqrt(6), 12);
    expect(tensorStats(BigInt64Array.from([1n, 3n])).mean).toBe(2);
    const empty = tensorStats(Float32Array.from([Number.NaN]));
    expect(empty.nan).toBe(1);
    expect(empty.mean).toBeNaN();
  });
});

describe('histogram', () => {
  it('puts each finite value in its equal-width bin, the maximum in the last one', () => {
    const h = histogram(Float32Array.from([0, 0.1, 0.5, 0.99, 1, Number.NaN, 2]), 4, 0, 1);
    expect(Array.from(h.edges)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(h.counts)).toEqual([2, 0, 1, 2]);
  });
});

import { describe, expect, it } from 'vitest';
import { m4, stepOrder } from './m4';

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('m4', () => {
  it('keeps a single-point spike among 100,000 points', () => {
    const n = 100_000;
    const x = new Float64Array(n);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = i;
      y[i] = Math.sin(i / 1000);
    }
    y[71_234] = 50;
    y[3_001] = -40;
    const { indices, downsampled } = m4(x, y, 300);
    expect(downsampled).toBe(true);
    expect(indices.length).toBeLessThanOrEqual(4 * 300);
    expect(Array.from(indices)).toContain(71_234);
    expect(Array.from(indices)).toContain(3_001);
    expect(indices[0]).toBe(0);
    expect(indices[indices.length - 1]).toBe(n - 1);
  });

  it('keeps first, last, min and max of every bucket (checked by brute force)', () => {
    const r = rng(7);
    const n = 20_000;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    let s = 0;
    for (let i = 0; i < n; i++) {
      s += Math.floor(r() * 3); // nondecreasing with repeated steps
      x[i] = s;
      y[i] = r() * 2 - 1;
    }
    const buckets = 97;
    const { indices } = m4(x, y, buckets);
    const kept = new Set(indices);
    const xmin = x[0];
    const xmax = x[n - 1];
    const byBucket = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const b = Math.min(buckets - 1, Math.floor(((x[i] - xmin) / (xmax - xmin)) * buckets));
      const list = byBucket.get(b) ?? [];
      list.push(i);
      byBucket.set(b, list);
    }
    for (const list of byBucket.values()) {
      const vals = list.map((i) => y[i]);
      expect(kept.has(list[0])).toBe(true);
      expect(kept.has(list[list.length - 1])).toBe(true);
      expect(list.some((i) => kept.has(i) && y[i] === Math.min(...vals))).toBe(true);
      expect(list.some((i) => kept.has(i) && y[i] === Math.max(...vals))).toBe(true);
    }
    expect(Array.from(indices)).toEqual([...indices].sort((a, b) => a - b));
  });

  it('returns full resolution when the range holds at most 4 points per bucket', () => {
    const x = Float64Array.from({ length: 400 }, (_, i) => i);
    const y = Float64Array.from({ length: 400 }, (_, i) => i * i);
    const r = m4(x, y, 100);
    expect(r.downsampled).toBe(false);
    expect(r.indices.length).toBe(400);
  });

  it('zooms into [xmin, xmax] with one neighbour on each side', () => {
    const x = Float64Array.from({ length: 10_000 }, (_, i) => i * 2);
    const y = Float64Array.from({ length: 10_000 }, (_, i) => Math.cos(i));
    const r = m4(x, y, 50, 1000, 1198); // steps 1000..1198 = 100 points
    expect(r.downsampled).toBe(false);
    expect(Array.from(r.indices)).toEqual(Array.from({ length: 102 }, (_, i) => 499 + i));
  });

  it('keeps NaN and infinities', () => {
    const n = 10_000;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = new Float32Array(n).fill(1);
    y[5000] = Number.NaN;
    y[6000] = Number.POSITIVE_INFINITY;
    y[7000] = Number.NEGATIVE_INFINITY;
    const kept = Array.from(m4(x, y, 10).indices);
    expect(kept).toContain(5000);
    expect(kept).toContain(6000);
    expect(kept).toContain(7000);
  });

  it('handles empty input and a range with no points', () => {
    expect(m4(new Float64Array(0), new Float64Array(0), 10).indices.length).toBe(0);
    const x = Float64Array.from([1, 2, 3]);
    expect(Array.from(m4(x, x, 10, 10, 20).indices)).toEqual([2]);
  });
});

describe('stepOrder', () => {
  it('is undefined for sorted steps and a stable order otherwise', () => {
    expect(stepOrder(Float64Array.from([0, 1, 1, 2]))).toBeUndefined();
    expect(Array.from(stepOrder(Float64Array.from([5, 1, 3, 1])) ?? [])).toEqual([1, 3, 2, 0]);
  });
});

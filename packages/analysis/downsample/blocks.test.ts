import { describe, expect, it } from 'vitest';
import { BLOCK, summarizeBlocks } from './blocks';
import { m4 } from './m4';

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

/** m4 over every point (the reference) and m4 over the block summaries must keep the same indices. */
function expectSame(
  x: Float64Array,
  y: Float32Array | Float64Array,
  buckets: number,
  xmin?: number,
  xmax?: number,
) {
  const lo = xmin ?? x[0];
  const hi = xmax ?? x[x.length - 1];
  const full = m4(x, y, buckets, lo, hi);
  const fast = m4(x, y, buckets, lo, hi, x.length, summarizeBlocks(y));
  expect(fast.downsampled).toBe(full.downsampled);
  expect(Array.from(fast.indices)).toEqual(Array.from(full.indices));
  return full;
}

describe('M4 over block summaries', () => {
  it('summarizes blocks: first min, first max, first NaN; the last block partial', () => {
    const y = new Float64Array(BLOCK + 3).fill(1);
    y[5] = -2;
    y[9] = -2; // a tie: the first one wins
    y[BLOCK - 1] = 7;
    y[BLOCK + 1] = Number.NaN;
    y[BLOCK + 2] = Number.NaN;
    const s = summarizeBlocks(y);
    expect(Array.from(s.start)).toEqual([0, BLOCK, BLOCK + 3]);
    expect(Array.from(s.min)).toEqual([5, BLOCK]);
    expect(Array.from(s.max)).toEqual([BLOCK - 1, BLOCK]);
    expect(Array.from(s.nan)).toEqual([-1, BLOCK + 1]);
    const allNaN = summarizeBlocks(new Float32Array([Number.NaN, Number.NaN]));
    expect([allNaN.min[0], allNaN.max[0], allNaN.nan[0]]).toEqual([-1, -1, 0]);
  });

  it('keeps a spike in the middle of a block, as the full scan does', () => {
    const n = 50_000;
    const x = new Float64Array(n);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = i;
      y[i] = Math.fround(Math.cos(i / 300));
    }
    const spike = 20 * BLOCK + BLOCK / 2 + 3;
    y[spike] = 1e6;
    y[spike + 7 * BLOCK] = -1e6;
    for (const buckets of [7, 12, 100, 1500]) {
      const { indices } = expectSame(x, y, buckets);
      expect(Array.from(indices)).toContain(spike);
      expect(Array.from(indices)).toContain(spike + 7 * BLOCK);
    }
  });

  it('matches the full scan with NaN, infinities, ties and repeated steps, on any range', () => {
    const r = rng(11);
    for (let trial = 0; trial < 30; trial++) {
      const n = 1 + Math.floor(r() * 20_000);
      const x = new Float64Array(n);
      const y = new Float64Array(n);
      let s = 0;
      for (let i = 0; i < n; i++) {
        s += Math.floor(r() * 3); // nondecreasing, with repeated steps
        x[i] = s;
        const u = r();
        y[i] =
          u < 0.01
            ? Number.NaN
            : u < 0.015
              ? Number.POSITIVE_INFINITY
              : u < 0.02
                ? Number.NEGATIVE_INFINITY
                : Math.round(r() * 50) / 10; // many ties
      }
      if (trial % 3 === 0) y.fill(Number.NaN, Math.floor(n / 3), Math.floor(n / 3) + 3 * BLOCK); // all-NaN blocks
      const buckets = 1 + Math.floor(r() * 400);
      expectSame(x, y, buckets);
      // a zoomed range whose edges fall inside blocks
      const a = x[Math.floor(r() * n)];
      const b = a + r() * (x[n - 1] - a);
      expectSame(x, y, buckets, a, b);
    }
  });

  it('matches on float32 values and a last block cut short', () => {
    const r = rng(3);
    for (const n of [BLOCK * 10 + 1, BLOCK * 10 + BLOCK - 1, 5000, 8191]) {
      const x = Float64Array.from({ length: n }, (_, i) => i * 2);
      const y = Float32Array.from({ length: n }, () => r() - 0.5);
      y[n - 1] = 9; // the extreme in the partial last block
      for (const buckets of [3, 12, 33]) expectSame(x, y, buckets);
    }
  });
});

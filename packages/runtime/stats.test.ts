/**
 * The one-pass float32 statistics against the exact generic pass (float64 data takes it), and the
 * bit-bucket histogram against exact binning within its stated bound.
 */
import { describe, expect, it } from 'vitest';
import { type ActivationStats, activationAndReluStats, activationStats, HISTOGRAM_BINS } from './stats';

/** seeded standard normal (Box-Muller over a linear congruential generator) */
function normal(n: number, seed: number): Float32Array {
  let s = seed;
  const u = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

/** a ReLU output [2, 8, 32, 32] with channels 3 and 6 dead, a shifted mean and some exact zeros */
function activation(): Float32Array {
  const x = normal(2 * 8 * 1024, 7).map((v, i) => {
    const channel = Math.floor(i / 1024) % 8;
    return channel === 3 || channel === 6 ? 0 : Math.max(0, 2 * v + 0.5);
  });
  return x;
}

describe('activation statistics', () => {
  const shape = [2, 8, 32, 32];

  it('the fused float32 pass (16,384 values and more) equals the exact pass over the same values', () => {
    const x = activation();
    const fast = activationStats(x, shape);
    const exact = activationStats(Float64Array.from(x), shape);
    for (const k of ['mean', 'std'] as const) expect(fast[k]).toBeCloseTo(exact[k], 12);
    expect([fast.min, fast.max, fast.zeros, fast.nan, fast.inf, fast.count]).toEqual([
      exact.min,
      exact.max,
      exact.zeros,
      exact.nan,
      exact.inf,
      exact.count,
    ]);
    expect(fast.deadChannels).toEqual([3, 6]);
    expect(exact.deadChannels).toEqual([3, 6]);
  });

  it('counts NaN and Inf exactly and keeps the finite statistics', () => {
    const x = normal(20_000, 3);
    x[10] = Number.NaN;
    x[20] = Number.POSITIVE_INFINITY;
    x[30] = Number.NEGATIVE_INFINITY;
    const s = activationStats(x, [20_000]);
    const finite = Array.from(x).filter(Number.isFinite);
    expect([s.nan, s.inf]).toEqual([1, 2]);
    expect(s.min).toBe(Math.min(...finite));
    expect(s.max).toBe(Math.max(...finite));
    expect(s.mean).toBeCloseTo(finite.reduce((a, b) => a + b, 0) / finite.length, 10);
  });

  it('rebins the bit buckets within one straddling bucket of the exact histogram', () => {
    for (const x of [activation(), normal(50_000, 11), normal(20_000, 5).map((v) => 1e-3 * v - 4)]) {
      const s = activationStats(x, [x.length]);
      const { edges, counts } = s.histogram;
      expect(counts.length).toBe(HISTOGRAM_BINS);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(x.length);
      expect(counts.every((c) => Number.isInteger(c) && c >= 0)).toBe(true);
      // below each inner edge: the approximate count differs from the exact one by at most the values
      // in the bit bucket holding the edge (values sharing its sign, exponent and top 3 mantissa bits)
      const bits = new Uint32Array(x.buffer);
      const edgeBits = new Uint32Array(new Float32Array(1).buffer);
      let below = 0;
      for (let k = 1; k < HISTOGRAM_BINS; k++) {
        below += counts[k - 1];
        const edge = edges[k];
        const f = new Float32Array(edgeBits.buffer);
        f[0] = edge;
        const bucket = edgeBits[0] >>> 20;
        let exact = 0;
        let straddling = 0;
        for (let i = 0; i < x.length; i++) {
          if (x[i] < edge) exact++;
          if (bits[i] >>> 20 === bucket || (x[i] === 0 && Math.abs(edge) < 2 ** -120)) straddling++;
        }
        expect(Math.abs(below - exact), `edge ${k} (${edge})`).toBeLessThanOrEqual(straddling + 1);
      }
    }
  });

  it('an empty tensor has no statistics but does not fail', () => {
    const s = activationStats(new Float32Array(0), [0, 4]);
    expect(s.count).toBe(0);
    expect(s.histogram.counts.reduce((a, b) => a + b, 0)).toBe(0);
  });

  /** what ONNX Runtime's Relu outputs: max(x, 0), -0 and subnormals kept as they are */
  const relu = (x: Float32Array) => x.map((v) => (v > 0 ? v : 0));
  const expectSame = (got: ActivationStats | undefined, want: ActivationStats) => {
    expect(got).toBeDefined();
    for (const k of ['mean', 'std'] as const) expect(got![k]).toBeCloseTo(want[k], 12);
    const exact = (s: ActivationStats) => [s.count, s.min, s.max, s.zeros, s.nan, s.inf, s.deadChannels];
    expect(exact(got!)).toEqual(exact(want));
    expect(Array.from(got!.histogram.edges)).toEqual(Array.from(want.histogram.edges));
    expect(Array.from(got!.histogram.counts)).toEqual(Array.from(want.histogram.counts));
  };

  it('gives the statistics of max(x, 0) from the pass over x, equal to those of the Relu output', () => {
    // [2, 8, 32, 32]: channel 2 negative everywhere (dead after the Relu, not before), channel 5
    // negative in batch item 0 only (alive), signed zeros and positive subnormals
    const x = normal(2 * 8 * 1024, 13).map((v, i) => {
      const item = Math.floor(i / 8192);
      const channel = Math.floor(i / 1024) % 8;
      if (channel === 2 || (channel === 5 && item === 0)) return -Math.abs(v) - 0.1;
      return i % 97 === 0 ? -0 : i % 89 === 0 ? 0 : i % 83 === 0 ? 1e-40 : v + 0.2;
    });
    const both = activationAndReluStats(x, shape);
    expectSame(both.relu, activationStats(relu(x), shape));
    expect(both.relu!.deadChannels).toEqual([2]);
    expectSame(both.stats, activationStats(x, shape));
    expect(both.stats.deadChannels).toEqual([]);
    // all positive: the Relu output's min is x's min, no zeros
    const positive = x.map((v) => Math.abs(v) + 1);
    const p = activationAndReluStats(positive, [positive.length]);
    expectSame(p.relu, activationStats(positive, [positive.length]));
    expect(p.relu!.zeros).toBe(0);
    // all negative: everything is zero
    const negative = positive.map((v) => -v);
    expect(activationAndReluStats(negative, shape).relu).toMatchObject({ min: 0, max: 0, zeros: 1, std: 0 });
  });

  it('leaves the Relu output to be fetched when the input does not take the fused pass', () => {
    const x = normal(20_000, 17);
    expect(activationAndReluStats(x, [x.length]).relu).toBeDefined();
    x[4] = Number.NaN; // ORT's Relu may map NaN to 0 or keep it: only its output can tell
    expect(activationAndReluStats(x, [x.length]).relu).toBeUndefined();
    expect(activationAndReluStats(normal(100, 1), [100]).relu).toBeUndefined(); // small
    expect(activationAndReluStats(Float64Array.from(normal(20_000, 2)), [20_000]).relu).toBeUndefined();
  });
});

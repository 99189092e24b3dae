import { describe, expect, it } from 'vitest';
import { BAD_INIT_HIGH, deadFilters, EXTREME_MAGNITUDE, weightFindings } from './findings';
import { tensorStats } from './stats';

function normal(n: number, std: number, seed = 1): Float32Array {
  // Box-Muller over a small LCG: deterministic, no dependency
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
  return Float32Array.from(
    { length: n },
    () => std * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()),
  );
}

const findings = (name: string, shape: number[], data: Float32Array, role = {}) =>
  weightFindings(name, shape, data, tensorStats(data), role).map(
    (f) => `${f.severity} ${f.id}: ${f.message}`,
  );

describe('weight findings', () => {
  it('say nothing about He-initialized weights', () => {
    expect(findings('w', [64, 576], normal(64 * 576, Math.sqrt(2 / 576)), { fanIn: 576 })).toEqual([]);
  });

  it('report NaN/Inf as an error, and all-zero matrices, but not all-zero biases', () => {
    const w = normal(100, 0.1);
    w[3] = Number.NaN;
    w[4] = Number.NEGATIVE_INFINITY;
    expect(findings('w', [10, 10], w)).toEqual([
      'error broken_weights: w holds 1 NaN and 1 Inf of 100 values.',
    ]);
    expect(findings('w', [10, 10], new Float32Array(100))).toEqual([
      'warning broken_weights: w is all zeros.',
    ]);
    expect(findings('bias', [10], new Float32Array(10))).toEqual([]);
    // a single infinity is a constant such as a clip bound; a single NaN is still broken
    expect(findings('clip_max', [], Float32Array.of(Number.POSITIVE_INFINITY))).toEqual([]);
    expect(findings('c', [], Float32Array.of(Number.NaN))).toEqual([
      'error broken_weights: c holds 1 NaN of 1 values.',
    ]);
  });

  it('count dead conv filters', () => {
    const w = normal(8 * 27, 0.2);
    w.fill(0, 27, 54);
    w.fill(0, 7 * 27);
    expect(deadFilters(w, 8)).toBe(2);
    expect(findings('conv', [8, 3, 3, 3], w, { convFilters: true })).toEqual([
      'warning broken_weights: 2 of 8 filters of conv are all zeros (dead filters).',
    ]);
    // a fixed transform (Silero VAD's STFT basis) legitimately has zero rows
    expect(findings('stft.forward_basis_buffer', [8, 3, 3, 3], w, { convFilters: true })).toEqual([]);
  });

  it('flag magnitudes above the threshold and scales far from the fan-in', () => {
    const w = normal(1000, 0.05);
    w[0] = EXTREME_MAGNITUDE * 2;
    expect(findings('w', [10, 100], w)[0]).toBe(
      'warning broken_weights: w has extreme values (max |w| = 2.00e+4, above 1.00e+4).',
    );
    const fanIn = 100;
    const big = normal(1000, (BAD_INIT_HIGH * 2) / Math.sqrt(fanIn));
    expect(findings('w', [10, fanIn], big, { fanIn })).toEqual([
      expect.stringMatching(
        /^warning bad_init: w has std 2\.\d+, 1\d(\.\d)?x the 0\.141 that its fan-in of 100 implies \(He init\)\.$/,
      ),
    ]);
    expect(findings('emb', [10, fanIn], big, { fanIn, noInitRule: true })).toEqual([]);
    // a depthwise conv initialized by fan-out (torchvision's mobilenet) is small for its fan-in of 9 only
    const depthwise = normal(960 * 9, Math.sqrt(2 / (960 * 9)));
    expect(findings('dw', [960, 1, 3, 3], depthwise, { fanIn: 9 })).toHaveLength(1);
    expect(findings('dw', [960, 1, 3, 3], depthwise, { fanIn: 9, fanOut: 960 * 9 })).toEqual([]);
  });
});

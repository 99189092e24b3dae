/**
 * Statistics of one activation tensor, computed while ONNX Runtime's output is alive and then dropped:
 * one pass for moments, zeros, NaN/Inf and per-channel liveness, one pass for the histogram.
 */
import { type Histogram, histogram, type NumericArray } from '@tensorscope/analysis/model';

export interface ActivationStats {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** fraction of all elements that are exactly zero */
  zeros: number;
  nan: number;
  inf: number;
  histogram: Histogram;
  /** channels (axis 1 of a rank >= 3 tensor) that are zero at every position of every batch item */
  deadChannels?: number[];
  /** outputs of Sigmoid/Tanh (and HardSigmoid): fraction of values within 1% of the bounds */
  saturation?: number;
}

export const HISTOGRAM_BINS = 32;

/** value ranges of the ops whose outputs saturate */
const BOUNDS: Record<string, [number, number]> = {
  Sigmoid: [0, 1],
  HardSigmoid: [0, 1],
  Tanh: [-1, 1],
  Softsign: [-1, 1],
};

/** `shape` gives the channel layout (axis 1); `op` the producing operator (for saturation). */
export function activationStats(data: NumericArray, shape: readonly number[], op = ''): ActivationStats {
  const values =
    data instanceof BigInt64Array || data instanceof BigUint64Array ? Float64Array.from(data, Number) : data;
  const n = values.length;
  const channels = shape.length >= 3 ? shape[1] : 0;
  const inner = channels ? n / (shape[0] * channels) : 0;
  const live = channels ? new Uint8Array(channels) : undefined;
  let nan = 0;
  let inf = 0;
  let zeros = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  // sums of (x - shift) in float64: a shift near the data keeps the variance free of cancellation
  const shift = n && Number.isFinite(values[0]) ? Number(values[0]) : 0;
  let sum = 0;
  let sumSq = 0;
  const bounds = BOUNDS[op];
  let saturated = 0;
  // one block per (batch item, channel): liveness is decided per block, not per element
  const block = channels ? inner : n;
  for (let b = 0, start = 0; start < n; b++, start += block) {
    let blockZeros = 0;
    const stop = Math.min(n, start + block);
    for (let i = start; i < stop; i++) {
      const x = values[i];
      const d = x - shift;
      if (d - d === 0) {
        // finite (NaN and +-Inf give NaN here)
        if (x === 0) blockZeros++;
        if (x < min) min = x;
        if (x > max) max = x;
        sum += d;
        sumSq += d * d;
      } else if (Number.isNaN(x)) nan++;
      else inf++;
    }
    zeros += blockZeros;
    const nonzero = blockZeros < stop - start;
    if (live && nonzero) live[b % channels] = 1;
  }
  if (bounds) {
    const margin = 0.01 * (bounds[1] - bounds[0]);
    for (let i = 0; i < n; i++) {
      const x = values[i];
      if (x <= bounds[0] + margin || x >= bounds[1] - margin) saturated++;
    }
  }
  const finite = n - nan - inf;
  const mean = finite ? shift + sum / finite : Number.NaN;
  const variance = finite ? Math.max(0, sumSq / finite - (sum / finite) ** 2) : Number.NaN;
  const stats: ActivationStats = {
    count: n,
    mean,
    std: Math.sqrt(variance),
    min: finite ? min : Number.NaN,
    max: finite ? max : Number.NaN,
    zeros: n ? zeros / n : 0,
    nan,
    inf,
    histogram: histogram(values, HISTOGRAM_BINS, min, max),
  };
  if (live && n) {
    const dead: number[] = [];
    for (let c = 0; c < channels; c++) if (!live[c]) dead.push(c);
    stats.deadChannels = dead;
  }
  if (bounds) stats.saturation = n ? saturated / n : 0;
  return stats;
}

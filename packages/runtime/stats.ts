/**
 * Statistics of one activation tensor, computed while ONNX Runtime's output is alive and then dropped.
 *
 * float32 tensors take one pass (one loop over each cache-sized block, in kernel()): float64 sums (of x - x[0], so the variance is free of
 * cancellation), exact min / max / zeros / per-channel liveness, and a data-independent histogram taken
 * from the float's bits (`bits >>> 20`: sign, exponent and the top 3 mantissa bits, 4,096 buckets, one
 * increment per element), rebinned afterwards into HISTOGRAM_BINS bins over [min, max]. A tensor holding
 * NaN or Inf (seen in the exponent-255 buckets) is recomputed by the exact generic pass, and so is a
 * small tensor (under FUSED_MIN values), where it is cheaper and its histogram exact.
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
  return activationAndReluStats(data, shape, op, false).stats;
}

/**
 * The statistics of `data` and, when `relu` is set and the tensor takes the fused pass (float32, large,
 * finite), those of max(data, 0) from the same pass: what a Relu reading `data` outputs. `relu` is
 * absent otherwise (then fetch the Relu's output).
 */
export function activationAndReluStats(
  data: NumericArray,
  shape: readonly number[],
  op = '',
  relu = true,
): { stats: ActivationStats; relu?: ActivationStats } {
  const fused = data instanceof Float32Array && data.length >= FUSED_MIN;
  const result = (fused && fusedFloat32(data, shape, relu)) || { stats: genericStats(data, shape) };
  const bounds = BOUNDS[op];
  if (bounds) result.stats.saturation = saturation(data, bounds);
  return result;
}

/** one block per (batch item, channel) for rank >= 3 (liveness is decided per block), else one block */
function blockSize(n: number, shape: readonly number[]): { channels: number; block: number } {
  const channels = shape.length >= 3 && n ? shape[1] : 0;
  return { channels, block: channels ? n / (shape[0] * channels) : n };
}

function deadChannels(live: Uint8Array): number[] {
  const dead: number[] = [];
  for (let c = 0; c < live.length; c++) if (!live[c]) dead.push(c);
  return dead;
}

const BUCKETS = 4096;
/** below this many values the bucket table costs more than a second pass (and the histogram is exact) */
const FUSED_MIN = 16384;
/** buckets of exponent 255 (Inf and NaN), positive and negative */
const nonFinite = (counts: Uint32Array) => {
  for (let m = 0; m < 8; m++) if (counts[0x7f8 + m] || counts[0xff8 + m]) return true;
  return false;
};

/** Scratch of the block kernels: min, max, sum, sum of squares (of x - shift), sum and sum of squares of
 * max(x, 0), and the count of positives. */
const acc = new Float64Array(7);

/**
 * The fused pass; undefined when the tensor holds NaN/Inf (the generic pass counts them exactly). With
 * `relu`, the same pass also gives the statistics of max(x, 0): the Relu output need not be fetched.
 */
function fusedFloat32(values: Float32Array, shape: readonly number[], relu: boolean): FusedStats | undefined {
  const n = values.length;
  // int32 view: uint32 words above 2^31 would leave V8's integer representation
  const bits = new Int32Array(values.buffer, values.byteOffset, n);
  // two interleaved halves, so runs of one bucket (the zeros of a ReLU) do not chain their increments
  const twin = new Uint32Array(2 * BUCKETS);
  const { channels, block } = blockSize(n, shape);
  const live = channels ? new Uint8Array(channels) : undefined;
  const liveRelu = relu && channels ? new Uint8Array(channels) : undefined;
  const shift = n ? values[0] : 0;
  acc.fill(0);
  acc[0] = Number.POSITIVE_INFINITY;
  acc[1] = Number.NEGATIVE_INFINITY;
  let zeros = 0;
  for (let b = 0, start = 0; start < n; b++, start += block) {
    const stop = start + block;
    const positive = acc[6];
    const nonzero = relu
      ? kernelRelu(values, bits, twin, start, stop, shift)
      : kernel(values, bits, twin, start, stop, shift);
    zeros += block - nonzero;
    if (live && nonzero) live[b % channels] = 1;
    if (liveRelu && acc[6] > positive) liveRelu[b % channels] = 1;
  }
  const counts = twin.subarray(0, BUCKETS);
  for (let k = 0; k < BUCKETS; k++) counts[k] += twin[BUCKETS + k];
  if (nonFinite(counts)) return undefined;
  const [min, max, sum, sumSq, sumPos, sumSqPos, positive] = acc;
  const stats: ActivationStats = {
    count: n,
    mean: n ? shift + sum / n : Number.NaN,
    std: n ? Math.sqrt(Math.max(0, sumSq / n - (sum / n) ** 2)) : Number.NaN,
    min: n ? min : Number.NaN,
    max: n ? max : Number.NaN,
    zeros: n ? zeros / n : 0,
    nan: 0,
    inf: 0,
    histogram: rebin(counts, min, max, HISTOGRAM_BINS),
  };
  if (live) stats.deadChannels = deadChannels(live);
  if (!relu || !n) return { stats };
  // max(x, 0): the positive buckets stay, everything else is zero (the bucket of +0)
  const reluCounts = new Uint32Array(BUCKETS);
  reluCounts.set(counts.subarray(0, 0x800));
  for (let k = 0x800; k < BUCKETS; k++) reluCounts[0] += counts[k];
  const reluMin = positive === n ? min : 0;
  const reluMax = Math.max(max, 0);
  const mean = sumPos / n;
  const reluStats: ActivationStats = {
    count: n,
    mean,
    std: Math.sqrt(Math.max(0, sumSqPos / n - mean * mean)),
    min: reluMin,
    max: reluMax,
    zeros: (n - positive) / n,
    nan: 0,
    inf: 0,
    histogram: rebin(reluCounts, reluMin, reluMax, HISTOGRAM_BINS),
  };
  if (liveRelu) reluStats.deadChannels = deadChannels(liveRelu);
  return { stats, relu: reluStats };
}

interface FusedStats {
  stats: ActivationStats;
  relu?: ActivationStats;
}

/**
 * One block [start, stop): min, max and the sums of x - shift into acc; the bit-bucket counts into twin;
 * returns the count of nonzeros. Floats and integers in one loop (the integer work fills the latency of
 * the float sums: 1.9 ns a value against 2.3-3.8 for a float loop then an integer loop over the block).
 * Without branches but the min/max ones, which are almost never taken and so predict well: a zero test
 * would mispredict on ReLU outputs, so nonzeros are counted as (t | -t) >>> 31, 1 unless t is 0.
 * Unrolled by two, with two bucket tables so runs of one bucket do not chain their increments.
 */
function kernel(
  values: Float32Array,
  bits: Int32Array,
  twin: Uint32Array,
  start: number,
  stop: number,
  shift: number,
): number {
  let min = acc[0];
  let max = acc[1];
  let sum = 0;
  let sumSq = 0;
  let nonzero = 0;
  let i = start;
  for (; i + 1 < stop; i += 2) {
    const x = values[i];
    const y = values[i + 1];
    const d = x - shift;
    const e = y - shift;
    sum += d + e;
    sumSq += d * d + e * e;
    if (x < min) min = x;
    if (x > max) max = x;
    if (y < min) min = y;
    if (y > max) max = y;
    const w = bits[i];
    const v = bits[i + 1];
    twin[w >>> 20]++;
    twin[BUCKETS + (v >>> 20)]++;
    const t = w << 1; // the sign dropped: -0 is a zero too
    const u = v << 1;
    nonzero += ((t | -t) >>> 31) + ((u | -u) >>> 31);
  }
  if (i < stop) {
    const x = values[i];
    const d = x - shift;
    sum += d;
    sumSq += d * d;
    if (x < min) min = x;
    if (x > max) max = x;
    const w = bits[i];
    twin[w >>> 20]++;
    const t = w << 1;
    nonzero += (t | -t) >>> 31;
  }
  acc[0] = min;
  acc[1] = max;
  acc[2] += sum;
  acc[3] += sumSq;
  return nonzero;
}

/**
 * kernel, plus for max(x, 0): its sums, taken as (x + |x|) / 2 (exact, and without a branch that would
 * mispredict on signed data), and the count of positives into acc[6]: x > 0 exactly when its bits w > 0
 * as int32, i.e. when both -w and ~w have the sign bit (-w wraps to itself for -0, whose ~w is positive).
 */
function kernelRelu(
  values: Float32Array,
  bits: Int32Array,
  twin: Uint32Array,
  start: number,
  stop: number,
  shift: number,
): number {
  let min = acc[0];
  let max = acc[1];
  let sum = 0;
  let sumSq = 0;
  let sumPos = 0;
  let sumSqPos = 0;
  let nonzero = 0;
  let positive = 0;
  let i = start;
  for (; i + 1 < stop; i += 2) {
    const x = values[i];
    const y = values[i + 1];
    const d = x - shift;
    const e = y - shift;
    sum += d + e;
    sumSq += d * d + e * e;
    if (x < min) min = x;
    if (x > max) max = x;
    if (y < min) min = y;
    if (y > max) max = y;
    const p = (x + Math.abs(x)) * 0.5;
    const q = (y + Math.abs(y)) * 0.5;
    sumPos += p + q;
    sumSqPos += p * p + q * q;
    const w = bits[i];
    const v = bits[i + 1];
    twin[w >>> 20]++;
    twin[BUCKETS + (v >>> 20)]++;
    const t = w << 1;
    const u = v << 1;
    nonzero += ((t | -t) >>> 31) + ((u | -u) >>> 31);
    positive += ((-w & ~w) >>> 31) + ((-v & ~v) >>> 31);
  }
  if (i < stop) {
    const x = values[i];
    const d = x - shift;
    sum += d;
    sumSq += d * d;
    if (x < min) min = x;
    if (x > max) max = x;
    const p = (x + Math.abs(x)) * 0.5;
    sumPos += p;
    sumSqPos += p * p;
    const w = bits[i];
    twin[w >>> 20]++;
    const t = w << 1;
    nonzero += (t | -t) >>> 31;
    positive += (-w & ~w) >>> 31;
  }
  acc[0] = min;
  acc[1] = max;
  acc[2] += sum;
  acc[3] += sumSq;
  acc[4] += sumPos;
  acc[5] += sumSqPos;
  acc[6] += positive;
  return nonzero;
}

/** [LOW[b], LOW[b + 1]): the absolute values in bucket b (sign bit dropped), b < 2048; b = 0 holds zero
 * and the subnormals below 2^-129 */
const LOW = Float64Array.from({ length: 2049 }, (_, b) => {
  const exponent = b >> 3;
  const m = b & 7;
  return exponent === 0 ? (m / 8) * 2 ** -126 : 2 ** (exponent - 127) * (1 + m / 8);
});

/**
 * The bit buckets as `bins` equal bins over [min, max]: each bucket's count is spread evenly over its
 * value range clipped to [min, max] (the zero buckets go to the bin holding 0), then rounded so every bin
 * holds a whole count and the total is exact. The count below any bin edge is off by at most the count
 * of the one bucket (1/8 of an octave) that straddles the edge, plus one for the rounding.
 */
export function rebin(counts: Uint32Array, min: number, max: number, bins: number): Histogram {
  const edges = new Float64Array(bins + 1);
  const out = new Float64Array(bins);
  const width = max > min ? (max - min) / bins : 1;
  for (let i = 0; i <= bins; i++) edges[i] = min + i * width;
  if (!(max >= min)) return { edges, counts: out };
  const binOf = (x: number) => Math.min(bins - 1, Math.max(0, Math.floor((x - min) / width)));
  for (let b = 0; b < BUCKETS; b++) {
    const c = counts[b];
    if (!c) continue;
    if ((b & 0x7ff) === 0) {
      out[binOf(0)] += c; // zeros (and subnormals below 2^-129) at 0
      continue;
    }
    const low = LOW[b & 0x7ff];
    const high = LOW[(b & 0x7ff) + 1];
    // clipped to [min, max]
    const lo = Math.max(b & 0x800 ? -high : low, min);
    const hi = Math.min(b & 0x800 ? -low : high, max);
    if (!(hi > lo) || max === min) {
      out[binOf(Math.min(Math.max(lo, min), max))] += c;
      continue;
    }
    const last = binOf(hi);
    const share = c / (hi - lo);
    for (let k = binOf(lo); k <= last; k++) {
      const overlap = Math.min(hi, edges[k + 1]) - Math.max(lo, edges[k]);
      if (overlap > 0) out[k] += share * overlap;
    }
  }
  // whole counts with an exact total: round the running sum
  let before = 0;
  let running = 0;
  for (let k = 0; k < bins; k++) {
    running += out[k];
    const r = Math.round(running);
    out[k] = r - before;
    before = r;
  }
  return { edges, counts: out };
}

/** any dtype, NaN/Inf counted; two passes (moments, then a histogram over the finite range) */
function genericStats(data: NumericArray, shape: readonly number[]): ActivationStats {
  const values =
    data instanceof BigInt64Array || data instanceof BigUint64Array ? Float64Array.from(data, Number) : data;
  const n = values.length;
  const { channels, block } = blockSize(n, shape);
  const live = channels ? new Uint8Array(channels) : undefined;
  let nan = 0;
  let inf = 0;
  let zeros = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const shift = n && Number.isFinite(values[0]) ? Number(values[0]) : 0;
  let sum = 0;
  let sumSq = 0;
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
    if (live && blockZeros < stop - start) live[b % channels] = 1;
  }
  const finite = n - nan - inf;
  const stats: ActivationStats = {
    count: n,
    mean: finite ? shift + sum / finite : Number.NaN,
    std: finite ? Math.sqrt(Math.max(0, sumSq / finite - (sum / finite) ** 2)) : Number.NaN,
    min: finite ? min : Number.NaN,
    max: finite ? max : Number.NaN,
    zeros: n ? zeros / n : 0,
    nan,
    inf,
    histogram: histogram(values, HISTOGRAM_BINS, min, max),
  };
  if (live) stats.deadChannels = deadChannels(live);
  return stats;
}

function saturation(data: NumericArray, [low, high]: [number, number]): number {
  const n = data.length;
  const margin = 0.01 * (high - low);
  let saturated = 0;
  for (let i = 0; i < n; i++) {
    const x = Number(data[i]);
    if (x <= low + margin || x >= high - margin) saturated++;
  }
  return n ? saturated / n : 0;
}

/**
 * Accumulator points -> what the store keeps: an API-ready JSON body per point (the fields of the
 * dashboard API besides step and wall_time) and the binary payloads (images, audio, graphs) as blobs.
 * Huge text is truncated here, once, so no request ever ships it.
 */
import {
  histogramBuckets,
  type Point,
  type PointKind,
  type PointValueByKind,
  tensorNumbers,
} from '@tensorscope/formats/tfevents';
import type { StoredPoint } from '@tensorscope/store';

/** Longest text string kept, in UTF-16 code units (~1 MB of ASCII). */
export const MAX_TEXT_CHARS = 1 << 20;
/** Longest tensor kept as numbers in a body. */
const MAX_TENSOR_VALUES = 100_000;

type Encoder<K extends PointKind> = (v: PointValueByKind[K]) => {
  body: object;
  blobs?: StoredPoint['blobs'];
};

const list = (a: ArrayLike<number>) => Array.from(a, (x) => (Number.isFinite(x) ? x : null));

const encoders: { [K in PointKind]: Encoder<K> } = {
  histogram: (h) => ({
    body: {
      min: h.min,
      max: h.max,
      num: h.num,
      sum: h.sum,
      sum_squares: h.sumSquares,
      buckets: histogramBuckets(h),
    },
  }),
  image: (v) => ({
    body: { count: v.images.length, width: v.width, height: v.height, content_type: v.contentType },
    blobs: v.images.map((data) => ({ contentType: v.contentType, data })),
  }),
  audio: (v) => ({
    body: {
      count: v.clips.length,
      sample_rate: v.sampleRate,
      content_type: v.contentType,
      labels: v.labels ?? [],
    },
    blobs: v.clips.map((data) => ({ contentType: v.contentType, data })),
  }),
  text: (v) => {
    let truncated = false;
    let budget = 4 * MAX_TEXT_CHARS;
    const strings = v.strings.map((s) => {
      const keep = Math.min(s.length, MAX_TEXT_CHARS, Math.max(0, budget));
      budget -= keep;
      if (keep < s.length) truncated = true;
      return keep < s.length ? s.slice(0, keep) : s;
    });
    return { body: truncated ? { shape: v.shape, strings, truncated } : { shape: v.shape, strings } };
  },
  pr_curve: (v) => {
    const n = v.numThresholds;
    const row = (r: number) => list(v.data.subarray(r * n, (r + 1) * n));
    const thresholds = Array.from({ length: n }, (_, i) => (n > 1 ? i / (n - 1) : 0));
    return {
      body: { thresholds, tp: row(0), fp: row(1), tn: row(2), fn: row(3), precision: row(4), recall: row(5) },
    };
  },
  hparams: (v) => ({ body: { hparams: v } }),
  custom_scalars: (v) => ({ body: { layout: v.layout } }),
  graph: (v) => ({
    body: { format: v.format, bytes: v.bytes.length },
    blobs: [{ contentType: 'application/octet-stream', data: v.bytes }],
  }),
  tensor: (t) => ({ body: { dtype: t.dtype, shape: t.shape, ...numbers(t) } }),
  mesh: (v) => ({ body: { mesh: v.mesh, shape: v.tensor.shape } }),
  embedding: (v) => ({ body: { embedding: v } }),
};

function numbers(t: PointValueByKind['tensor']): { values?: (number | null)[]; truncated?: boolean } {
  let src: Float32Array | Float64Array;
  try {
    src = tensorNumbers(t);
  } catch {
    return {}; // string tensors and unknown dtypes: shape and dtype only
  }
  const values = list(src.subarray(0, MAX_TENSOR_VALUES));
  return src.length > MAX_TENSOR_VALUES ? { values, truncated: true } : { values };
}

export function encodePoint<K extends PointKind>(kind: K, p: Point<K>): StoredPoint {
  const { body, blobs } = (encoders[kind] as Encoder<K>)(p.value);
  return { step: p.step, wallTime: p.wallTime, body: JSON.stringify(body), blobs };
}

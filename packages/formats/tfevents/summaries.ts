/**
 * Builders of summary values for every kind, with the fields and plugin metadata tensorboardX writes.
 * Isomorphic: image/audio bytes come in already encoded (see node/png.ts and wav.ts for encoders).
 */
import { ProtoWriter } from '../proto/writer';
import type { HparamValue } from './plugins';
import { DT, type HistogramValue, type SummaryMetadata, type SummaryValue, type TensorValue } from './types';

const enc = new TextEncoder();

export function pluginMetadata(pluginName: string, content: Uint8Array = new Uint8Array(0)): SummaryMetadata {
  return { pluginName, pluginContent: content, displayName: '', summaryDescription: '', dataClass: 0 };
}

export function scalarValue(tag: string, value: number): SummaryValue {
  return { tag, simpleValue: value };
}

/** TensorFlow's default histogram buckets: ±1e-12 * 1.1^k up to 1e20, plus 0 and ±DBL_MAX. */
const TF_BUCKETS: Float64Array = (() => {
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  const neg = pos.map((v) => -v).reverse();
  return Float64Array.from([-Number.MAX_VALUE, ...neg, 0, ...pos, Number.MAX_VALUE]);
})();

function upperBound(limits: Float64Array, x: number): number {
  let lo = 0;
  let hi = limits.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (limits[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * A HistogramProto from raw values, as tensorboardX's make_histogram does with bins='tensorflow':
 * exponential buckets, trimmed to the support plus one empty bucket on the left.
 * Non-finite values have no bucket and are left out; callers that care log their count separately.
 */
export function histogramFromValues(values: ArrayLike<number>): HistogramValue {
  const counts = new Float64Array(TF_BUCKETS.length);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!Number.isFinite(x)) continue;
    counts[upperBound(TF_BUCKETS, x)]++;
    if (x < min) min = x;
    if (x > max) max = x;
    num++;
    sum += x;
    sumSquares += x * x;
  }
  if (num === 0) {
    return {
      min: 0,
      max: 0,
      num: 0,
      sum: 0,
      sumSquares: 0,
      bucketLimit: new Float64Array(0),
      bucket: new Float64Array(0),
    };
  }
  let first = 0;
  while (counts[first] === 0) first++;
  let last = counts.length - 1;
  while (counts[last] === 0) last--;
  const start = Math.max(first - 1, 0);
  return {
    min,
    max,
    num,
    sum,
    sumSquares,
    bucketLimit: TF_BUCKETS.slice(start, last + 1),
    bucket: counts.slice(start, last + 1),
  };
}

export function histogramValue(tag: string, values: ArrayLike<number> | HistogramValue): SummaryValue {
  const histo =
    'bucketLimit' in values ? (values as HistogramValue) : histogramFromValues(values as ArrayLike<number>);
  return { tag, histo };
}

/** colorspace: 1 grayscale, 3 RGB, 4 RGBA */
export function imageValue(
  tag: string,
  encoded: Uint8Array,
  width: number,
  height: number,
  colorspace = 3,
): SummaryValue {
  return { tag, image: { width, height, colorspace, encoded } };
}

export function audioValue(
  tag: string,
  wav: Uint8Array,
  sampleRate: number,
  frames: number,
  channels = 1,
): SummaryValue {
  return {
    tag,
    audio: {
      sampleRate,
      numChannels: channels,
      lengthFrames: frames,
      encoded: wav,
      contentType: 'audio/wav',
    },
  };
}

export function textValue(tag: string, text: string): SummaryValue {
  return {
    tag,
    metadata: pluginMetadata('text'),
    tensor: { dtype: DT.STRING, shape: [1], stringVal: [enc.encode(text)] },
  };
}

export function tensorValue(tag: string, tensor: TensorValue, plugin?: string): SummaryValue {
  return { tag, tensor, metadata: plugin ? pluginMetadata(plugin) : undefined };
}

/**
 * A PR curve as tensorboardX's add_pr_curve writes it: a [6, N] float tensor (TP, FP, TN, FN,
 * precision, recall per threshold), thresholds at i / (N - 1).
 */
export function prCurveValue(
  tag: string,
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  numThresholds = 127,
): SummaryValue {
  const n = numThresholds;
  const tpHist = new Float64Array(n);
  const fpHist = new Float64Array(n);
  for (let i = 0; i < predictions.length; i++) {
    const bucket = Math.min(n - 1, Math.max(0, Math.floor(predictions[i] * (n - 1))));
    if (labels[i]) tpHist[bucket]++;
    else fpHist[bucket]++;
  }
  const data = new Float32Array(6 * n);
  let tp = 0;
  let fp = 0;
  const totalP = tpHist.reduce((a, b) => a + b, 0);
  const totalN = fpHist.reduce((a, b) => a + b, 0);
  // cumulative from the top threshold down: predictions >= threshold i count as positive
  for (let i = n - 1; i >= 0; i--) {
    tp += tpHist[i];
    fp += fpHist[i];
    data[i] = tp;
    data[n + i] = fp;
    data[2 * n + i] = totalN - fp;
    data[3 * n + i] = totalP - tp;
    data[4 * n + i] = tp / Math.max(1e-7, tp + fp);
    data[5 * n + i] = tp / Math.max(1e-7, totalP);
  }
  const content = new ProtoWriter().uint(2, n).finish();
  return {
    tag,
    metadata: pluginMetadata('pr_curves', content),
    tensor: { dtype: DT.FLOAT, shape: [6, n], floatVal: data },
  };
}

function encodeProtoValue(w: ProtoWriter, v: HparamValue): void {
  if (typeof v === 'number') w.double(2, v);
  else if (typeof v === 'string') w.string(3, v);
  else if (typeof v === 'boolean') w.bool(4, v);
  else w.uint(1, 0);
}

/** The three hparams summaries tensorboardX writes for one trial: experiment, session start, session end. */
export function hparamsValues(
  hparams: Record<string, HparamValue>,
  metricTags: string[],
  groupName = '',
): SummaryValue[] {
  const type = (v: HparamValue) => (typeof v === 'number' ? 3 : typeof v === 'boolean' ? 2 : 1);
  const experiment = new ProtoWriter()
    .message(2, (e) => {
      for (const [name, v] of Object.entries(hparams))
        e.message(4, (h) => h.string(1, name).uint(4, type(v)));
      for (const tag of metricTags) e.message(5, (m) => m.message(1, (mn) => mn.string(2, tag)));
    })
    .finish();
  const start = new ProtoWriter()
    .message(3, (s) => {
      for (const [name, v] of Object.entries(hparams)) {
        s.message(1, (entry) => entry.string(1, name).message(2, (val) => encodeProtoValue(val, v)));
      }
      if (groupName) s.string(4, groupName);
    })
    .finish();
  // status 1 = STATUS_SUCCESS
  const end = new ProtoWriter().message(4, (s) => s.uint(1, 1)).finish();
  return [
    { tag: '_hparams_/experiment', metadata: pluginMetadata('hparams', experiment) },
    { tag: '_hparams_/session_start_info', metadata: pluginMetadata('hparams', start) },
    { tag: '_hparams_/session_end_info', metadata: pluginMetadata('hparams', end) },
  ];
}

export interface LayoutChart {
  title: string;
  multiline?: string[];
  margin?: { value: string; lower: string; upper: string }[];
}

export function customScalarsValue(layout: { title: string; charts: LayoutChart[] }[]): SummaryValue {
  const bytes = new ProtoWriter()
    .also((w) => {
      for (const cat of layout) {
        w.message(2, (c) => {
          c.string(1, cat.title);
          for (const chart of cat.charts) {
            c.message(2, (ch) => {
              ch.string(1, chart.title);
              if (chart.multiline) ch.message(2, (m) => chart.multiline?.forEach((t) => m.string(1, t)));
              if (chart.margin) {
                ch.message(3, (m) =>
                  chart.margin?.forEach((s) =>
                    m.message(1, (sw) => sw.string(1, s.value).string(2, s.lower).string(3, s.upper)),
                  ),
                );
              }
            });
          }
        });
      }
    })
    .finish();
  return {
    tag: 'custom_scalars__config__',
    metadata: pluginMetadata('custom_scalars'),
    tensor: { dtype: DT.STRING, shape: [], stringVal: [bytes] },
  };
}

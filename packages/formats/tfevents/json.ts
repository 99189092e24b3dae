/**
 * The JSON shapes of DESIGN.md for tags and points (used by `ls`, `export` and the server).
 * Float32 values are printed with the fewest digits that read back as the same float32.
 */
import { histogramBuckets, type Point, type PointKind, type TagSeries } from './accumulator';
import { tensorNumbers, tensorStrings } from './tensor';
import { DT, type TensorValue } from './types';

/** The shortest decimal that parses back (as float32) to the same float32 value. */
export function shortestFloat32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  let lo = 1;
  let hi = 9;
  while (lo < hi) {
    const p = (lo + hi) >> 1;
    if (Math.fround(Number(v.toPrecision(p))) === v) hi = p;
    else lo = p + 1;
  }
  return Number(v.toPrecision(lo));
}

/** JSON has no NaN or Infinity: they are written as the strings "NaN", "Infinity", "-Infinity". */
export function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

export interface TagSummary {
  tag: string;
  kind: TagSeries['kind'];
  count: number;
  first_step: number;
  last_step: number;
}

export function tagLength(s: TagSeries): number {
  return s.kind === 'scalar' ? s.columns.length : s.points.length;
}

export function summarizeTag(s: TagSeries): TagSummary {
  const n = tagLength(s);
  let first = 0;
  let last = 0;
  if (s.kind === 'scalar') {
    if (n) {
      first = s.columns.steps[0];
      last = s.columns.steps[n - 1];
    }
  } else if (n) {
    first = s.points[0].step;
    last = s.points[n - 1].step;
  }
  return { tag: s.tag, kind: s.kind, count: n, first_step: first, last_step: last };
}

export type JsonPoint = Record<string, unknown>;

/** The i-th point of a tag as JSON. */
export function pointJson(s: TagSeries, i: number): JsonPoint {
  if (s.kind === 'scalar') {
    const c = s.columns;
    const v = c.values[i];
    return {
      step: c.steps[i],
      wall_time: c.wallTimes[i],
      value: jsonNumber(c.values instanceof Float32Array ? shortestFloat32(v) : v),
    };
  }
  const p = s.points[i] as Point;
  return { step: p.step, wall_time: p.wallTime, ...valueJson(s.kind, p) };
}

const b64 = (b: Uint8Array) => {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
};

function valueJson(kind: PointKind, p: Point): JsonPoint {
  switch (kind) {
    case 'histogram': {
      const h = (p as Point<'histogram'>).value;
      return {
        min: h.min,
        max: h.max,
        num: h.num,
        sum: h.sum,
        sum_squares: h.sumSquares,
        buckets: histogramBuckets(h).map((b) => ({
          left: jsonNumber(b.left),
          right: jsonNumber(b.right),
          count: b.count,
        })),
      };
    }
    case 'image': {
      const v = (p as Point<'image'>).value;
      return { width: v.width, height: v.height, content_type: v.contentType, images: v.images.map(b64) };
    }
    case 'audio': {
      const v = (p as Point<'audio'>).value;
      return {
        sample_rate: v.sampleRate,
        content_type: v.contentType,
        labels: v.labels,
        clips: v.clips.map(b64),
      };
    }
    case 'text': {
      const v = (p as Point<'text'>).value;
      return { shape: v.shape, strings: v.strings };
    }
    case 'pr_curve': {
      const { numThresholds: n, data } = (p as Point<'pr_curve'>).value;
      const row = (r: number) =>
        Array.from(data.subarray(r * n, (r + 1) * n), (x) => jsonNumber(shortestFloat32(x)));
      return {
        thresholds: Array.from({ length: n }, (_, i) => i / Math.max(1, n - 1)),
        tp: row(0),
        fp: row(1),
        tn: row(2),
        fn: row(3),
        precision: row(4),
        recall: row(5),
      };
    }
    case 'hparams': {
      const v = (p as Point<'hparams'>).value;
      return {
        experiment: v.experiment && {
          name: v.experiment.name,
          hparams: v.experiment.hparamInfos.map((h) => ({
            name: h.name,
            type: ['', 'string', 'bool', 'float64'][h.type] ?? '',
          })),
          metrics: v.experiment.metricInfos.map((m) => m.tag),
        },
        session_start: v.sessionStart && {
          hparams: v.sessionStart.hparams,
          group_name: v.sessionStart.groupName,
        },
        session_end: v.sessionEnd && { status: v.sessionEnd.status, end_time_secs: v.sessionEnd.endTimeSecs },
      };
    }
    case 'graph': {
      const v = (p as Point<'graph'>).value;
      return { format: v.format, bytes: v.bytes.length };
    }
    case 'custom_scalars':
      return { layout: (p as Point<'custom_scalars'>).value.layout };
    case 'embedding': {
      const v = (p as Point<'embedding'>).value;
      return {
        tensor_name: v.tensorName,
        tensor_path: v.tensorPath,
        shape: v.shape,
        metadata_path: v.metadataPath,
        metadata_columns: v.metadataColumns,
        sprite_path: v.spritePath,
        sprite_single_image_dim: v.spriteSingleImageDim,
      };
    }
    case 'mesh': {
      const v = (p as Point<'mesh'>).value;
      return {
        content_type: ['', 'vertex', 'face', 'color'][v.mesh.contentType] ?? '',
        shape: v.tensor.shape,
        values: tensorJson(v.tensor),
      };
    }
    case 'tensor': {
      const t = (p as Point<'tensor'>).value;
      return { dtype: t.dtype, shape: t.shape, values: tensorJson(t) };
    }
  }
}

function tensorJson(t: TensorValue): (number | string)[] {
  if (t.dtype === DT.STRING) return tensorStrings(t);
  const nums = tensorNumbers(t);
  return Array.from(nums, (x) => jsonNumber(nums instanceof Float32Array ? shortestFloat32(x) : x));
}

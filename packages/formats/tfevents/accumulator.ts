/**
 * Builds a run's series from its events: the kind of each tag (from the first value's plugin
 * metadata, as TensorBoard does), every point kept, and TensorBoard's restart semantics.
 */
import { decodeUtf8 } from '../proto/reader';
import { ScalarColumns } from './columns';
import {
  type CustomScalarLayout,
  decodeHparams,
  decodeLayout,
  decodeMesh,
  decodePrCurveNumThresholds,
  type HparamsValue,
  type MeshInfo,
} from './plugins';
import { tensorNumbers, tensorStrings } from './tensor';
import {
  type HistogramValue,
  type Kind,
  type ReadIssue,
  SESSION_STATUS,
  type SummaryMetadata,
  type SummaryValue,
  type TensorValue,
  type TfEvent,
} from './types';

export interface ImagePoint {
  width: number;
  height: number;
  contentType: string;
  images: Uint8Array[];
}
export interface AudioPoint {
  sampleRate: number;
  contentType: string;
  clips: Uint8Array[];
  labels?: string[];
}
export interface TextPoint {
  shape: number[];
  strings: string[];
}
export interface PrCurvePoint {
  numThresholds: number;
  /** rows TP, FP, TN, FN, precision, recall; each numThresholds long */
  data: Float64Array;
}
export interface GraphPoint {
  format: 'graph_def' | 'meta_graph_def' | 'run_metadata' | 'keras_model';
  bytes: Uint8Array;
}
export interface CustomScalarsPoint {
  layout: CustomScalarLayout;
}
export interface MeshPoint {
  mesh: MeshInfo;
  tensor: TensorValue;
}
export interface EmbeddingPoint {
  tensorName: string;
  tensorPath: string;
  shape: number[];
  metadataPath?: string;
  metadataColumns: string[];
  spritePath?: string;
  spriteSingleImageDim?: number[];
}

export interface PointValueByKind {
  histogram: HistogramValue;
  image: ImagePoint;
  audio: AudioPoint;
  text: TextPoint;
  tensor: TensorValue;
  pr_curve: PrCurvePoint;
  hparams: HparamsValue;
  graph: GraphPoint;
  embedding: EmbeddingPoint;
  mesh: MeshPoint;
  custom_scalars: CustomScalarsPoint;
}
export type PointKind = keyof PointValueByKind;

export interface Point<K extends PointKind = PointKind> {
  step: number;
  wallTime: number;
  value: PointValueByKind[K];
}

export interface ScalarSeries {
  kind: 'scalar';
  tag: string;
  metadata?: SummaryMetadata;
  columns: ScalarColumns;
}

export type PointSeries = {
  [K in PointKind]: { kind: K; tag: string; metadata?: SummaryMetadata; points: Point<K>[] };
}[PointKind];

export type TagSeries = ScalarSeries | PointSeries;

/** Tag under which a run's graph_def events are kept (TensorBoard's name). */
export const RUN_GRAPH_TAG = '__run_graph__';
export const RUN_META_GRAPH_TAG = '__run_meta_graph__';

const IMAGE_TYPES: Record<string, string> = {
  '\x89PNG': 'image/png',
  '\xff\xd8\xff': 'image/jpeg',
  GIF8: 'image/gif',
};

export function sniffImageType(b: Uint8Array): string {
  const head = String.fromCharCode(...b.subarray(0, 4));
  for (const [magic, type] of Object.entries(IMAGE_TYPES)) if (head.startsWith(magic)) return type;
  return 'application/octet-stream';
}

export function sniffAudioType(b: Uint8Array): string {
  const head = String.fromCharCode(...b.subarray(0, 4));
  if (head === 'RIFF') return 'audio/wav';
  if (head === 'fLaC') return 'audio/flac';
  if (head === 'OggS') return 'audio/ogg';
  return 'application/octet-stream';
}

/** WAV sample rate from the fmt chunk (TF2 audio summaries don't store it elsewhere). */
function wavSampleRate(b: Uint8Array): number {
  if (b.length < 28 || sniffAudioType(b) !== 'audio/wav') return 0;
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(24, true);
}

/** Where an event came from, for issue reports. */
export interface EventSource {
  file: string;
  offset: number;
}

export class RunAccumulator {
  readonly tags = new Map<string, TagSeries>();
  readonly issues: ReadIssue[] = [];
  fileVersion = '';
  /** tags whose points changed since the last takeChanged() */
  private changed = new Set<string>();
  /** scalar series by a hash of their tag's bytes (see addSimpleValueBytes) */
  private byTagBytes = new Map<number, { bytes: Uint8Array; series: ScalarSeries; dirty: boolean }>();

  constructor(readonly name: string) {}

  takeChanged(): Set<string> {
    const c = this.changed;
    this.changed = new Set();
    for (const e of this.byTagBytes.values()) e.dirty = false;
    return c;
  }

  addEvent(ev: TfEvent, source?: EventSource): void {
    if (ev.fileVersion !== undefined) this.fileVersion = ev.fileVersion;
    if (ev.sessionLog?.status === SESSION_STATUS.START) this.purgeAll(ev.step);
    if (ev.summary) {
      for (const v of ev.summary) this.addValue(ev.step, ev.wallTime, v, source);
    }
    if (ev.graphDef)
      this.addPoint(RUN_GRAPH_TAG, 'graph', ev.step, ev.wallTime, {
        format: 'graph_def',
        bytes: ev.graphDef.slice(),
      });
    if (ev.metaGraphDef) {
      this.addPoint(RUN_META_GRAPH_TAG, 'graph', ev.step, ev.wallTime, {
        format: 'meta_graph_def',
        bytes: ev.metaGraphDef.slice(),
      });
    }
    if (ev.taggedRunMetadata) {
      this.addPoint(ev.taggedRunMetadata.tag, 'graph', ev.step, ev.wallTime, {
        format: 'run_metadata',
        bytes: ev.taggedRunMetadata.runMetadata.slice(),
      });
    }
  }

  /**
   * Fast path for the commonest value (tag + simple_value), used by the record ingester. The tag comes
   * as UTF-8 bytes, looked up by a hash of the bytes, so the hot path never builds a string for a tag
   * it has seen.
   */
  addSimpleValueBytes(
    buf: Uint8Array,
    tagStart: number,
    tagEnd: number,
    step: number,
    wallTime: number,
    value: number,
  ): void {
    let h = 0x811c9dc5;
    for (let i = tagStart; i < tagEnd; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    let entry = this.byTagBytes.get(h);
    if (entry && !sameBytes(entry.bytes, buf, tagStart, tagEnd)) entry = undefined;
    if (!entry) {
      const tag = decodeUtf8(buf, tagStart, tagEnd);
      this.addScalar(tag, step, wallTime, value, undefined);
      const s = this.tags.get(tag);
      // only a scalar tag whose hash is unclaimed gets the fast lane; collisions take the slow one
      if (s?.kind === 'scalar' && !this.byTagBytes.has(h)) {
        this.byTagBytes.set(h, { bytes: buf.slice(tagStart, tagEnd), series: s, dirty: true });
      }
      return;
    }
    const c = entry.series.columns;
    if (c.length && step < c.steps[c.length - 1]) c.filter((x) => x < step);
    c.push(step, wallTime, value);
    if (!entry.dirty) {
      entry.dirty = true;
      this.changed.add(entry.series.tag);
    }
  }

  /** Drops spare capacity of every scalar column. */
  trim(): void {
    for (const s of this.tags.values()) if (s.kind === 'scalar') s.columns.trim();
  }

  /**
   * Restart semantics. A SessionLog.START at step s orphans every point at or after s (TensorBoard's
   * _Purge). A tag whose step goes backwards to s orphans that tag's points at or after s: tracked per
   * tag, where TensorBoard compares with the run's most recent step and so misses the second tag
   * written at a restarted step.
   */
  private purgeAll(step: number): void {
    for (const s of this.tags.values()) this.purgeSeries(s, step);
  }

  private purgeSeries(s: TagSeries, step: number): void {
    if (s.kind === 'scalar') {
      if (s.columns.filter((x) => x < step) > 0) this.changed.add(s.tag);
      return;
    }
    const points = s.points as Point[];
    const kept = points.filter((p) => p.step < step);
    if (kept.length !== points.length) {
      points.splice(0, points.length, ...kept);
      this.changed.add(s.tag);
    }
  }

  private mismatch(tag: string, got: Kind, have: Kind, source: EventSource | undefined): void {
    this.issues.push({
      file: source?.file ?? '',
      offset: source?.offset ?? -1,
      message: `tag "${tag}" holds ${have} data but this event has ${got} data; value skipped`,
    });
  }

  addValue(step: number, wallTime: number, v: SummaryValue, source?: EventSource): void {
    const existing = this.tags.get(v.tag);
    // plugin metadata is taken from the first value of a tag, as TensorBoard does
    const metadata = existing ? existing.metadata : v.metadata;
    const plugin = metadata?.pluginName ?? '';
    try {
      if (v.simpleValue !== undefined)
        return this.addScalar(v.tag, step, wallTime, v.simpleValue, metadata, source);
      if (v.histo) return this.addPoint(v.tag, 'histogram', step, wallTime, v.histo, metadata, source);
      if (v.image) {
        const img = v.image;
        return this.addPoint(
          v.tag,
          'image',
          step,
          wallTime,
          {
            width: img.width,
            height: img.height,
            contentType: sniffImageType(img.encoded),
            images: [img.encoded.slice()],
          },
          metadata,
          source,
        );
      }
      if (v.audio) {
        const a = v.audio;
        return this.addPoint(
          v.tag,
          'audio',
          step,
          wallTime,
          {
            sampleRate: a.sampleRate,
            contentType: a.contentType || sniffAudioType(a.encoded),
            clips: [a.encoded.slice()],
          },
          metadata,
          source,
        );
      }
      if (v.tensor) return this.addTensor(v.tag, plugin, step, wallTime, v.tensor, metadata, source);
      // a value with metadata only (hparams summaries carry everything in plugin_data)
      if (plugin === 'hparams' && metadata) {
        return this.addPoint(
          v.tag,
          'hparams',
          step,
          wallTime,
          decodeHparams(v.metadata?.pluginContent ?? metadata.pluginContent),
          metadata,
          source,
        );
      }
    } catch (err) {
      this.issues.push({
        file: source?.file ?? '',
        offset: source?.offset ?? -1,
        message: `tag "${v.tag}": ${(err as Error).message}; value skipped`,
      });
    }
  }

  private addScalar(
    tag: string,
    step: number,
    wallTime: number,
    value: number,
    metadata: SummaryMetadata | undefined,
    source?: EventSource,
  ): void {
    let s = this.tags.get(tag);
    if (!s) {
      s = { kind: 'scalar', tag, metadata, columns: new ScalarColumns() };
      this.tags.set(tag, s);
    }
    if (s.kind !== 'scalar') return this.mismatch(tag, 'scalar', s.kind, source);
    const c = s.columns;
    if (c.length && step < c.steps[c.length - 1]) c.filter((x) => x < step);
    c.push(step, wallTime, value);
    this.changed.add(tag);
  }

  private addPoint<K extends PointKind>(
    tag: string,
    kind: K,
    step: number,
    wallTime: number,
    value: PointValueByKind[K],
    metadata?: SummaryMetadata,
    source?: EventSource,
  ): void {
    let s = this.tags.get(tag);
    if (!s) {
      s = { kind, tag, metadata, points: [] } as PointSeries;
      this.tags.set(tag, s);
    }
    if (s.kind !== kind) return this.mismatch(tag, kind, s.kind, source);
    const points = s.points as Point<K>[];
    if (points.length && step < points[points.length - 1].step) this.purgeSeries(s, step);
    points.push({ step, wallTime, value });
    this.changed.add(tag);
  }

  private addTensor(
    tag: string,
    plugin: string,
    step: number,
    wallTime: number,
    t: TensorValue,
    metadata: SummaryMetadata | undefined,
    source?: EventSource,
  ): void {
    const content = metadata?.pluginContent ?? new Uint8Array(0);
    switch (plugin) {
      case 'scalars': {
        const nums = tensorNumbers(t);
        if (nums.length !== 1) throw new Error(`a scalar summary holds ${nums.length} values`);
        return this.addScalar(tag, step, wallTime, nums[0], metadata, source);
      }
      case 'histograms':
        return this.addPoint(tag, 'histogram', step, wallTime, histogramFromTensor(t), metadata, source);
      case 'images': {
        const strings = t.stringVal ?? [];
        const images = strings.slice(2).map((b) => b.slice());
        const dec = (b: Uint8Array | undefined) =>
          Number.parseInt(new TextDecoder().decode(b ?? new Uint8Array(0)), 10) || 0;
        return this.addPoint(
          tag,
          'image',
          step,
          wallTime,
          {
            width: dec(strings[0]),
            height: dec(strings[1]),
            contentType: images[0] ? sniffImageType(images[0]) : 'image/png',
            images,
          },
          metadata,
          source,
        );
      }
      case 'audio': {
        // [k, 2] string tensor: encoded audio and label per clip
        const strings = t.stringVal ?? [];
        const clips: Uint8Array[] = [];
        const labels: string[] = [];
        for (let i = 0; i < strings.length; i += 2) {
          clips.push(strings[i].slice());
          labels.push(strings[i + 1] ? new TextDecoder().decode(strings[i + 1]) : '');
        }
        return this.addPoint(
          tag,
          'audio',
          step,
          wallTime,
          {
            sampleRate: clips[0] ? wavSampleRate(clips[0]) : 0,
            contentType: clips[0] ? sniffAudioType(clips[0]) : 'audio/wav',
            clips,
            labels,
          },
          metadata,
          source,
        );
      }
      case 'text':
        return this.addPoint(
          tag,
          'text',
          step,
          wallTime,
          { shape: t.shape, strings: tensorStrings(t) },
          metadata,
          source,
        );
      case 'pr_curves': {
        const data = Float64Array.from(tensorNumbers(t));
        const numThresholds = decodePrCurveNumThresholds(content) || (t.shape[1] ?? data.length / 6);
        return this.addPoint(tag, 'pr_curve', step, wallTime, { numThresholds, data }, metadata, source);
      }
      case 'hparams':
        return this.addPoint(tag, 'hparams', step, wallTime, decodeHparams(content), metadata, source);
      case 'custom_scalars': {
        const bytes = t.stringVal?.[0] ?? new Uint8Array(0);
        return this.addPoint(
          tag,
          'custom_scalars',
          step,
          wallTime,
          { layout: decodeLayout(bytes) },
          metadata,
          source,
        );
      }
      case 'mesh':
        return this.addPoint(
          tag,
          'mesh',
          step,
          wallTime,
          { mesh: decodeMesh(content), tensor: copyTensor(t) },
          metadata,
          source,
        );
      case 'graph_keras_model':
        return this.addPoint(
          tag,
          'graph',
          step,
          wallTime,
          { format: 'keras_model', bytes: (t.stringVal?.[0] ?? new Uint8Array(0)).slice() },
          metadata,
          source,
        );
      default:
        return this.addPoint(tag, 'tensor', step, wallTime, copyTensor(t), metadata, source);
    }
  }
}

function sameBytes(a: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}

/** Detaches a tensor's byte fields from the file buffer they were decoded from. */
function copyTensor(t: TensorValue): TensorValue {
  return { ...t, content: t.content?.slice(), stringVal: t.stringVal?.map((b) => b.slice()) };
}

/** TF2 histograms are [k, 3] tensors of (left, right, count); kept in HistogramProto form. */
export function histogramFromTensor(t: TensorValue): HistogramValue {
  const nums = tensorNumbers(t);
  const k = Math.floor(nums.length / 3);
  const bucketLimit = new Float64Array(k);
  const bucket = new Float64Array(k);
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < k; i++) {
    const left = nums[i * 3];
    const right = nums[i * 3 + 1];
    const count = nums[i * 3 + 2];
    bucketLimit[i] = right;
    bucket[i] = count;
    num += count;
    // TF2 keeps no moments: estimate them from bucket centres
    const c = (left + right) / 2;
    sum += c * count;
    sumSquares += c * c * count;
  }
  return {
    min: k ? nums[0] : 0,
    max: k ? nums[(k - 1) * 3 + 1] : 0,
    num,
    sum,
    sumSquares,
    bucketLimit,
    bucket,
  };
}

/** Buckets as TensorBoard shows them: lefts = [min, limits...], rights = [limits..., max]. */
export function histogramBuckets(h: HistogramValue): { left: number; right: number; count: number }[] {
  const k = h.bucket.length;
  const out: { left: number; right: number; count: number }[] = [];
  for (let i = 0; i < k; i++) {
    out.push({
      left: i === 0 ? h.min : h.bucketLimit[i - 1],
      right: i === k - 1 ? h.max : h.bucketLimit[i],
      count: h.bucket[i],
    });
  }
  return out;
}

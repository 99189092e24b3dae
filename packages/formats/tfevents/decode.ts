/**
 * Decoding of tensorflow.Event and Summary protos (tensorflow/core/util/event.proto,
 * tensorflow/core/framework/summary.proto, tensor.proto) with the wire reader.
 */
import { ProtoReader } from '../proto/reader';
import type {
  AudioValue,
  HistogramValue,
  ImageValue,
  SummaryMetadata,
  SummaryValue,
  TensorValue,
  TfEvent,
} from './types';

export function decodeEvent(buf: Uint8Array, start = 0, end = buf.length): TfEvent {
  const r = new ProtoReader(buf, start, end);
  const ev: TfEvent = { wallTime: 0, step: 0 };
  while (!r.done) {
    const t = r.tag();
    switch (t) {
      case (1 << 3) | 1:
        ev.wallTime = r.double();
        break;
      case (2 << 3) | 0:
        ev.step = r.int64();
        break;
      case (3 << 3) | 2:
        ev.fileVersion = r.string();
        break;
      case (4 << 3) | 2:
        ev.graphDef = r.bytes();
        break;
      case (5 << 3) | 2:
        (ev.summary ??= []).push(...decodeSummary(r.sub()));
        break;
      case (7 << 3) | 2:
        ev.sessionLog = decodeSessionLog(r.sub());
        break;
      case (8 << 3) | 2:
        ev.taggedRunMetadata = decodeTaggedRunMetadata(r.sub());
        break;
      case (9 << 3) | 2:
        ev.metaGraphDef = r.bytes();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return ev;
}

export function decodeSummary(r: ProtoReader): SummaryValue[] {
  const values: SummaryValue[] = [];
  while (!r.done) {
    const t = r.tag();
    if (t === ((1 << 3) | 2)) values.push(decodeSummaryValue(r.sub()));
    else r.skip(t & 7);
  }
  return values;
}

export function decodeSummaryValue(r: ProtoReader): SummaryValue {
  const v: SummaryValue = { tag: '' };
  let nodeName = '';
  while (!r.done) {
    const t = r.tag();
    switch (t) {
      case (1 << 3) | 2:
        v.tag = r.string();
        break;
      case (7 << 3) | 2:
        nodeName = r.string();
        break;
      case (2 << 3) | 5:
        v.simpleValue = r.float();
        break;
      case (3 << 3) | 2:
        // obsolete_old_style_histogram: bytes, ignored like TensorBoard does
        r.skip(2);
        break;
      case (4 << 3) | 2:
        v.image = decodeImage(r.sub());
        break;
      case (5 << 3) | 2:
        v.histo = decodeHistogram(r.sub());
        break;
      case (6 << 3) | 2:
        v.audio = decodeAudio(r.sub());
        break;
      case (8 << 3) | 2:
        v.tensor = decodeTensor(r.sub());
        break;
      case (9 << 3) | 2:
        v.metadata = decodeMetadata(r.sub());
        break;
      default:
        r.skip(t & 7);
    }
  }
  // TF1 summaries written with only a node_name use it as the tag
  if (!v.tag && nodeName) v.tag = nodeName;
  return v;
}

export function decodeMetadata(r: ProtoReader): SummaryMetadata {
  const m: SummaryMetadata = {
    pluginName: '',
    pluginContent: new Uint8Array(0),
    displayName: '',
    summaryDescription: '',
    dataClass: 0,
  };
  while (!r.done) {
    const t = r.tag();
    switch (t) {
      case (1 << 3) | 2: {
        const p = r.sub();
        while (!p.done) {
          const pt = p.tag();
          if (pt === ((1 << 3) | 2)) m.pluginName = p.string();
          else if (pt === ((2 << 3) | 2)) m.pluginContent = p.bytes();
          else p.skip(pt & 7);
        }
        break;
      }
      case (2 << 3) | 2:
        m.displayName = r.string();
        break;
      case (3 << 3) | 2:
        m.summaryDescription = r.string();
        break;
      case (4 << 3) | 0:
        m.dataClass = r.uint32();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return m;
}

export function decodeHistogram(r: ProtoReader): HistogramValue {
  const h: HistogramValue = {
    min: 0,
    max: 0,
    num: 0,
    sum: 0,
    sumSquares: 0,
    bucketLimit: new Float64Array(0),
    bucket: new Float64Array(0),
  };
  const limits: Float64Array[] = [];
  const buckets: Float64Array[] = [];
  while (!r.done) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        h.min = r.double();
        break;
      case 2:
        h.max = r.double();
        break;
      case 3:
        h.num = r.double();
        break;
      case 4:
        h.sum = r.double();
        break;
      case 5:
        h.sumSquares = r.double();
        break;
      case 6:
        limits.push(r.packedDoubles(t & 7));
        break;
      case 7:
        buckets.push(r.packedDoubles(t & 7));
        break;
      default:
        r.skip(t & 7);
    }
  }
  h.bucketLimit = concat(limits);
  h.bucket = concat(buckets);
  return h;
}

function concat(parts: Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0];
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function decodeImage(r: ProtoReader): ImageValue {
  const img: ImageValue = { height: 0, width: 0, colorspace: 0, encoded: new Uint8Array(0) };
  while (!r.done) {
    const t = r.tag();
    switch (t) {
      case (1 << 3) | 0:
        img.height = r.int32();
        break;
      case (2 << 3) | 0:
        img.width = r.int32();
        break;
      case (3 << 3) | 0:
        img.colorspace = r.int32();
        break;
      case (4 << 3) | 2:
        img.encoded = r.bytes();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return img;
}

function decodeAudio(r: ProtoReader): AudioValue {
  const a: AudioValue = {
    sampleRate: 0,
    numChannels: 0,
    lengthFrames: 0,
    encoded: new Uint8Array(0),
    contentType: '',
  };
  while (!r.done) {
    const t = r.tag();
    switch (t) {
      case (1 << 3) | 5:
        a.sampleRate = r.float();
        break;
      case (2 << 3) | 0:
        a.numChannels = r.int64();
        break;
      case (3 << 3) | 0:
        a.lengthFrames = r.int64();
        break;
      case (4 << 3) | 2:
        a.encoded = r.bytes();
        break;
      case (5 << 3) | 2:
        a.contentType = r.string();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return a;
}

export function decodeTensor(r: ProtoReader): TensorValue {
  const tv: TensorValue = { dtype: 0, shape: [] };
  while (!r.done) {
    const t = r.tag();
    const wire = t & 7;
    switch (t >>> 3) {
      case 1:
        tv.dtype = r.uint32();
        break;
      case 2:
        tv.shape = decodeShape(r.sub());
        break;
      case 4:
        tv.content = r.bytes();
        break;
      case 5:
        tv.floatVal = appendF32(tv.floatVal, r.packedFloats(wire));
        break;
      case 6:
        tv.doubleVal = appendF64(tv.doubleVal, r.packedDoubles(wire));
        break;
      case 7:
        r.packed(wire, (x) => x.int32(), (tv.intVal ??= []));
        break;
      case 8:
        (tv.stringVal ??= []).push(r.bytes());
        break;
      case 10:
        r.packed(wire, (x) => x.int64(), (tv.int64Val ??= []));
        break;
      case 11:
        r.packed(wire, (x) => x.uint32(), (tv.boolVal ??= []));
        break;
      case 13:
        r.packed(wire, (x) => x.uint32(), (tv.halfVal ??= []));
        break;
      default:
        r.skip(wire);
    }
  }
  return tv;
}

function decodeShape(r: ProtoReader): number[] {
  const dims: number[] = [];
  while (!r.done) {
    const t = r.tag();
    if (t === ((2 << 3) | 2)) {
      const d = r.sub();
      let size = 0;
      while (!d.done) {
        const dt = d.tag();
        if (dt === ((1 << 3) | 0)) size = d.int64();
        else d.skip(dt & 7);
      }
      dims.push(size);
    } else r.skip(t & 7);
  }
  return dims;
}

function appendF32(a: Float32Array | undefined, b: Float32Array): Float32Array {
  if (!a) return b;
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function appendF64(a: Float64Array | undefined, b: Float64Array): Float64Array {
  if (!a) return b;
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function decodeSessionLog(r: ProtoReader): { status: number; checkpointPath: string; msg: string } {
  const s = { status: 0, checkpointPath: '', msg: '' };
  while (!r.done) {
    const t = r.tag();
    if (t === ((1 << 3) | 0)) s.status = r.uint32();
    else if (t === ((2 << 3) | 2)) s.checkpointPath = r.string();
    else if (t === ((3 << 3) | 2)) s.msg = r.string();
    else r.skip(t & 7);
  }
  return s;
}

function decodeTaggedRunMetadata(r: ProtoReader): { tag: string; runMetadata: Uint8Array } {
  const m: { tag: string; runMetadata: Uint8Array } = { tag: '', runMetadata: new Uint8Array(0) };
  while (!r.done) {
    const t = r.tag();
    if (t === ((1 << 3) | 2)) m.tag = r.string();
    else if (t === ((2 << 3) | 2)) m.runMetadata = r.bytes();
    else r.skip(t & 7);
  }
  return m;
}

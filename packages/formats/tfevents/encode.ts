/**
 * Encoding of Event / Summary protos, field for field what tensorboardX writes: proto3 leaves out
 * fields holding their default value, so we do too (re-encoding a tensorboardX file is byte-identical).
 */
import { ProtoWriter } from '../proto/writer';
import type { HistogramValue, SummaryMetadata, SummaryValue, TensorValue, TfEvent } from './types';

export function encodeEvent(ev: TfEvent): Uint8Array {
  const w = new ProtoWriter();
  if (ev.wallTime) w.double(1, ev.wallTime);
  if (ev.step) w.int(2, ev.step);
  if (ev.fileVersion !== undefined) w.string(3, ev.fileVersion);
  if (ev.graphDef) w.bytes(4, ev.graphDef);
  if (ev.summary) w.message(5, (s) => ev.summary?.forEach((v) => s.message(1, (vw) => encodeValue(vw, v))));
  if (ev.sessionLog) {
    const log = ev.sessionLog;
    w.message(7, (s) => {
      if (log.status) s.uint(1, log.status);
      if (log.checkpointPath) s.string(2, log.checkpointPath);
      if (log.msg) s.string(3, log.msg);
    });
  }
  if (ev.taggedRunMetadata) {
    const m = ev.taggedRunMetadata;
    w.message(8, (s) => s.string(1, m.tag).bytes(2, m.runMetadata));
  }
  if (ev.metaGraphDef) w.bytes(9, ev.metaGraphDef);
  return w.finish();
}

function encodeValue(w: ProtoWriter, v: SummaryValue): void {
  w.string(1, v.tag);
  if (v.simpleValue !== undefined) w.float(2, v.simpleValue);
  if (v.image) {
    const img = v.image;
    w.message(4, (s) => {
      if (img.height) s.int(1, img.height);
      if (img.width) s.int(2, img.width);
      if (img.colorspace) s.int(3, img.colorspace);
      if (img.encoded.length) s.bytes(4, img.encoded);
    });
  }
  if (v.histo) w.message(5, (s) => encodeHistogram(s, v.histo as HistogramValue));
  if (v.audio) {
    const a = v.audio;
    w.message(6, (s) => {
      if (a.sampleRate) s.float(1, a.sampleRate);
      if (a.numChannels) s.int(2, a.numChannels);
      if (a.lengthFrames) s.int(3, a.lengthFrames);
      if (a.encoded.length) s.bytes(4, a.encoded);
      if (a.contentType) s.string(5, a.contentType);
    });
  }
  if (v.tensor) w.message(8, (s) => encodeTensor(s, v.tensor as TensorValue));
  if (v.metadata) w.message(9, (s) => encodeMetadata(s, v.metadata as SummaryMetadata));
}

function encodeHistogram(w: ProtoWriter, h: HistogramValue): void {
  if (h.min) w.double(1, h.min);
  if (h.max) w.double(2, h.max);
  if (h.num) w.double(3, h.num);
  if (h.sum) w.double(4, h.sum);
  if (h.sumSquares) w.double(5, h.sumSquares);
  if (h.bucketLimit.length) w.packedDoubles(6, h.bucketLimit);
  if (h.bucket.length) w.packedDoubles(7, h.bucket);
}

export function encodeTensor(w: ProtoWriter, t: TensorValue): void {
  if (t.dtype) w.uint(1, t.dtype);
  w.message(2, (s) => {
    for (const d of t.shape) s.message(2, (dim) => void (d && dim.int(1, d)));
  });
  if (t.content) w.bytes(4, t.content);
  if (t.floatVal) w.packedFloats(5, t.floatVal);
  if (t.doubleVal) w.packedDoubles(6, t.doubleVal);
  if (t.intVal) w.packedVarints(7, t.intVal);
  t.stringVal?.forEach((b) => w.bytes(8, b));
  if (t.int64Val) w.packedVarints(10, t.int64Val);
  if (t.boolVal) w.packedVarints(11, t.boolVal);
  if (t.halfVal) w.packedVarints(13, t.halfVal);
}

function encodeMetadata(w: ProtoWriter, m: SummaryMetadata): void {
  w.message(1, (p) => {
    p.string(1, m.pluginName);
    if (m.pluginContent.length) p.bytes(2, m.pluginContent);
  });
  if (m.displayName) w.string(2, m.displayName);
  if (m.summaryDescription) w.string(3, m.summaryDescription);
  if (m.dataClass) w.uint(4, m.dataClass);
}

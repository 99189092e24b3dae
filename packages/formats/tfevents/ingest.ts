/**
 * The hot path: one event record straight into a RunAccumulator. Events holding tag + simple_value
 * (what tensorboardX, PyTorch and Keras write for scalars) are parsed inline with no allocation: the
 * tag is looked up by its bytes, never decoded to a string after its first sighting. Anything else
 * falls back to the full decoder. Hand-written for speed: bench/tfevents.ts measures it against
 * protobufjs.
 */
import { ProtoReader } from '../proto/reader';
import type { EventSource, RunAccumulator } from './accumulator';
import { decodeEvent, decodeSummaryValue } from './decode';

const WALL = 0x09; // field 1, fixed64
const STEP = 0x10; // field 2, varint
const SUMMARY = 0x2a; // field 5, length-delimited
const VALUE = 0x0a; // Summary.value, field 1
const TAG = 0x0a; // Value.tag, field 1
const SIMPLE = 0x15; // Value.simple_value, field 2, fixed32

let viewBuf: Uint8Array | undefined;
let view: DataView | undefined;

function dataView(buf: Uint8Array): DataView {
  if (buf !== viewBuf) {
    viewBuf = buf;
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  return view as DataView;
}

/** `file` and `offset` (of the record's header) name the record in issue reports. */
export function ingestRecord(
  acc: RunAccumulator,
  buf: Uint8Array,
  start: number,
  end: number,
  file: string,
  offset: number,
): void {
  const dv = dataView(buf);
  let p = start;
  let wallTime = 0;
  let step = 0;
  let sumStart = -1;
  let sumEnd = -1;
  while (p < end) {
    const t = buf[p++];
    if (t === WALL && p + 8 <= end) {
      wallTime = dv.getFloat64(p, true);
      p += 8;
    } else if (t === STEP && buf[p] < 0x80) {
      step = buf[p++];
    } else if (t === STEP && buf[p + 1] < 0x80) {
      step = (buf[p] & 0x7f) | (buf[p + 1] << 7);
      p += 2;
    } else if (t === STEP && buf[p + 2] < 0x80) {
      step = (buf[p] & 0x7f) | ((buf[p + 1] & 0x7f) << 7) | (buf[p + 2] << 14);
      p += 3;
    } else if (t === SUMMARY && sumStart < 0 && buf[p] < 0x80) {
      sumStart = p + 1;
      sumEnd = sumStart + buf[p];
      p = sumEnd;
    } else return slowPath(acc, buf, start, end, { file, offset });
  }
  if (sumStart < 0 || sumEnd > end) return slowPath(acc, buf, start, end, { file, offset });
  p = sumStart;
  while (p < sumEnd) {
    // Summary.value: key, one-byte length, then tag and simple_value in the order writers emit them
    if (buf[p] !== VALUE || buf[p + 1] >= 0x80 || buf[p + 2] !== TAG || buf[p + 3] >= 0x80) {
      return slowSummary(acc, buf, p, sumEnd, step, wallTime, { file, offset });
    }
    const vEnd = p + 2 + buf[p + 1];
    const tagStart = p + 4;
    const tagEnd = tagStart + buf[p + 3];
    if (tagEnd + 5 !== vEnd || buf[tagEnd] !== SIMPLE || vEnd > sumEnd) {
      return slowSummary(acc, buf, p, sumEnd, step, wallTime, { file, offset });
    }
    acc.addSimpleValueBytes(buf, tagStart, tagEnd, step, wallTime, dv.getFloat32(tagEnd + 1, true));
    p = vEnd;
  }
}

function slowPath(
  acc: RunAccumulator,
  buf: Uint8Array,
  start: number,
  end: number,
  source: EventSource,
): void {
  acc.addEvent(decodeEvent(buf, start, end), source);
}

/** The rest of a summary (from p) through the general decoder. */
function slowSummary(
  acc: RunAccumulator,
  buf: Uint8Array,
  p: number,
  end: number,
  step: number,
  wallTime: number,
  source: EventSource,
): void {
  const r = new ProtoReader(buf, p, end);
  while (!r.done) {
    const t = r.tag();
    if (t === VALUE) acc.addValue(step, wallTime, decodeSummaryValue(r.sub()), source);
    else r.skip(t & 7);
  }
}

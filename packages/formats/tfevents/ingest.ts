/**
 * The hot path: one event record straight into a RunAccumulator. Scalars written as
 * tag + simple_value (what tensorboardX, PyTorch and Keras write) never become objects; anything
 * else falls back to the full decoder. Measured in bench/tfevents.ts against protobufjs.
 */
import { ProtoReader } from '../proto/reader';
import type { EventSource, RunAccumulator } from './accumulator';
import { decodeEvent, decodeSummaryValue } from './decode';

const F_WALL = (1 << 3) | 1;
const F_STEP = (2 << 3) | 0;
const F_SUMMARY = (5 << 3) | 2;
const V_TAG = (1 << 3) | 2;
const V_SIMPLE = (2 << 3) | 5;
const V_ITEM = (1 << 3) | 2;

const scratch = new DataView(new ArrayBuffer(4));

export function ingestRecord(
  acc: RunAccumulator,
  buf: Uint8Array,
  start: number,
  end: number,
  source: EventSource,
): void {
  const r = new ProtoReader(buf, start, end);
  let wallTime = 0;
  let step = 0;
  let sumStart = -1;
  let sumEnd = -1;
  while (!r.done) {
    const t = r.tag();
    if (t === F_WALL) wallTime = r.double();
    else if (t === F_STEP) step = r.int64();
    else if (t === F_SUMMARY && sumStart < 0) {
      const n = r.len();
      sumStart = r.pos;
      sumEnd = r.pos + n;
      r.pos = sumEnd;
    } else {
      // file_version, graph_def, session_log, a second summary field...: the general decoder
      acc.addEvent(decodeEvent(buf, start, end), source);
      return;
    }
  }
  if (sumStart < 0) return;
  const s = new ProtoReader(buf, sumStart, sumEnd);
  while (!s.done) {
    const t = s.tag();
    if (t !== V_ITEM) {
      s.skip(t & 7);
      continue;
    }
    const n = s.len();
    const vStart = s.pos;
    const vEnd = vStart + n;
    s.pos = vEnd;
    // tag + simple_value in that order is the shape every scalar writer produces
    if (buf[vStart] === V_TAG) {
      const v = new ProtoReader(buf, vStart + 1, vEnd);
      const tag = v.string();
      if (v.pos + 5 === vEnd && buf[v.pos] === V_SIMPLE) {
        scratch.setUint8(0, buf[v.pos + 1]);
        scratch.setUint8(1, buf[v.pos + 2]);
        scratch.setUint8(2, buf[v.pos + 3]);
        scratch.setUint8(3, buf[v.pos + 4]);
        acc.addSimpleValue(tag, step, wallTime, scratch.getFloat32(0, true));
        continue;
      }
    }
    acc.addValue(step, wallTime, decodeSummaryValue(new ProtoReader(buf, vStart, vEnd)), source);
  }
}

/**
 * Reads a protobuf model file (ONNX ModelProto, TensorFlow GraphDef) without reading its weights.
 *
 * The file is walked field by field through small buffered reads; every message is copied into a
 * compact "skeleton" ModelProto, except the payloads of large tensor data fields (raw_data, float_data,
 * ...), which are replaced by an ELIDED field that records where the bytes are in the file. A 500 MB
 * model yields a skeleton of a few hundred kilobytes that the synchronous decoder (decode.ts) parses.
 */

import type { ModelSource } from '../model';
import { ProtoError, ProtoReader, ProtoWriter, WIRE_LEN } from '../proto';

/** Field number of the placeholder: a message {1: original field, 2: file offset, 3: byte length}. */
export const ELIDED = 19_999;

/**
 * Which fields of which messages hold sub-messages that may be large (by message name), and which hold
 * tensor data (DATA). The walk starts at the message named `root`.
 */
export const DATA = 'data';
export type Schema = Record<string, Record<number, string>>;

const onnxSchema: Schema = {
  model: { 7: 'graph', 25: 'function' },
  graph: { 1: 'node', 5: 'tensor', 15: 'sparse' },
  function: { 7: 'node', 11: 'attr' },
  node: { 5: 'attr' },
  attr: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 22: 'sparse', 23: 'sparse' },
  sparse: { 1: 'tensor', 2: 'tensor' },
  // float_data, int32_data, int64_data, raw_data, double_data, uint64_data
  tensor: { 4: DATA, 5: DATA, 7: DATA, 9: DATA, 10: DATA, 11: DATA },
};

/** Messages up to this size are copied whole; larger ones are walked. */
const COPY_LIMIT = 4096;
/** Other fields larger than this (huge doc strings, training info) are dropped from the skeleton. */
const DROP_LIMIT = 1 << 20;
const CHUNK = 1 << 20;
const JUMP_CHUNK = 1 << 14;

/** A window of the file, refilled on demand. */
class Window {
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  constructor(private readonly source: ModelSource) {}

  has(pos: number, n: number): boolean {
    return pos >= this.start && pos + n <= this.start + this.buf.length;
  }

  async fill(pos: number, n: number): Promise<void> {
    // reading on from the window: a big chunk; after skipping weights: a small one (the next tensor's header)
    const sequential = pos === this.start + this.buf.length;
    const len = Math.min(Math.max(n, sequential ? CHUNK : JUMP_CHUNK), this.source.size - pos);
    if (len < n) throw new ProtoError('a field runs past the end of the file');
    this.buf = await this.source.read(pos, len);
    this.start = pos;
  }

  /** A reader over [pos, end) of the file; the bytes must have been ensured. */
  reader(pos: number, end: number): ProtoReader {
    return new ProtoReader(
      this.buf,
      pos - this.start,
      Math.min(end, this.start + this.buf.length) - this.start,
    );
  }
}

async function walk(
  win: Window,
  schema: Schema,
  type: string,
  start: number,
  end: number,
  out: ProtoWriter,
): Promise<void> {
  const fields = schema[type] ?? {};
  let pos = start;
  while (pos < end) {
    const head = Math.min(20, end - pos);
    // awaiting only on a miss keeps the walk over thousands of small fields fast
    if (!win.has(pos, head)) await win.fill(pos, head);
    const r = win.reader(pos, end);
    const tag = r.tag();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) throw new ProtoError('a field number is 0');
    if (wire !== WIRE_LEN) {
      r.skip(wire);
      const n = r.pos + win.start - pos;
      out.raw(win.buf.subarray(pos - win.start, pos - win.start + n));
      pos += n;
      continue;
    }
    const len = r.uint32();
    const body = r.pos + win.start;
    const next = body + len;
    if (next > end) throw new ProtoError('a length-delimited field runs past the end of its message');
    const kind = fields[field];
    if (kind === DATA && len > COPY_LIMIT) {
      out.message(ELIDED, (w) => w.uint(1, field).uint(2, body).uint(3, len));
    } else if (kind !== undefined && kind !== DATA && len > COPY_LIMIT) {
      const sub = new ProtoWriter();
      await walk(win, schema, kind, body, next, sub);
      out.bytes(field, sub.finish());
    } else if (len <= DROP_LIMIT || kind !== undefined) {
      if (!win.has(pos, next - pos)) await win.fill(pos, next - pos);
      out.raw(win.buf.subarray(pos - win.start, next - win.start));
    }
    pos = next;
  }
}

/** The skeleton of the message in `source` (default: an ONNX ModelProto); throws ProtoError on malformed bytes. */
export async function readSkeleton(
  source: ModelSource,
  schema: Schema = onnxSchema,
  root = 'model',
): Promise<Uint8Array> {
  const out = new ProtoWriter();
  await walk(new Window(source), schema, root, 0, source.size, out);
  return out.finish();
}

/**
 * The graph in a TensorBoard event file: the first `graph_def` record (Event field 4), or the
 * graph_def inside a `meta_graph_def` (field 9), opened as a GraphDef model. Keras and TF 1.x write
 * one at the start of a run; records are scanned in chunks, never the whole file at once.
 */
import { type Model, ModelError, type ModelFormat, type ModelSource } from '../model';
import { ProtoReader } from '../proto';
import { scanRecords } from '../tfevents/records';
import { graphDefModel } from './index';

const CHUNK = 4 << 20;
/** graphs come first in practice; past this, stop looking */
const SCAN_LIMIT = 256 << 20;

/** GraphDef bytes of one Event, if it carries a graph. */
function graphOf(buf: Uint8Array, start: number, end: number): Uint8Array | undefined {
  const r = new ProtoReader(buf, start, end);
  let meta: Uint8Array | undefined;
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x22) return r.bytes();
    if (tag === 0x4a) meta = r.bytes();
    else r.skip(tag & 7);
  }
  if (!meta) return undefined;
  // MetaGraphDef.graph_def is field 2
  const m = new ProtoReader(meta);
  while (!m.done) {
    const tag = m.tag();
    if (tag === 0x12) return m.bytes();
    m.skip(tag & 7);
  }
  return undefined;
}

export async function findEventGraph(source: ModelSource): Promise<Uint8Array | undefined> {
  let pending = new Uint8Array(0);
  let offset = 0;
  let found: Uint8Array | undefined;
  while (offset < Math.min(source.size, SCAN_LIMIT) && !found) {
    const chunk = await source.read(offset, Math.min(CHUNK, source.size - offset));
    offset += chunk.length;
    const buf = new Uint8Array(pending.length + chunk.length);
    buf.set(pending);
    buf.set(chunk, pending.length);
    const eof = offset >= source.size;
    const { consumed } = scanRecords(
      buf,
      source.name,
      (s, e) => {
        found ??= graphOf(buf, s, e)?.slice();
      },
      () => {},
      { eof },
    );
    pending = buf.subarray(consumed);
  }
  return found;
}

export const tfeventsGraph: ModelFormat = {
  id: 'tfevents-graph',
  detect(source) {
    return /tfevents/.test(source.name);
  },
  async open(source): Promise<Model> {
    const bytes = await findEventGraph(source);
    if (!bytes) throw new ModelError(source.name, 'is an event file without a graph (no graph_def record)');
    return graphDefModel(bytes, source.name);
  },
};

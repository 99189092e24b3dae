/**
 * Rewrites an ONNX model with extra graph outputs, so ONNX Runtime (which returns only graph outputs)
 * returns intermediate values too. The original bytes are spliced: ValueInfoProto `output` fields
 * (GraphProto field 12) are appended inside the graph field; nodes and weights are not re-encoded.
 */
import type { Dim, DType } from '../model';
import { ProtoError, ProtoReader, ProtoWriter, WIRE_LEN } from '../proto';
import { codeOf } from './dtypes';

export interface OutputSpec {
  name: string;
  /** element type; leave out to let the runtime infer it */
  dtype?: DType;
  shape?: Dim[];
}

const GRAPH_FIELD = 7;
const GRAPH_OUTPUT = 12;

function valueInfo(spec: OutputSpec): Uint8Array {
  const w = new ProtoWriter().string(1, spec.name);
  if (spec.dtype && spec.dtype !== 'unknown') {
    const dtype = spec.dtype;
    w.message(2, (type) =>
      type.message(1, (tensor) => {
        tensor.uint(1, codeOf(dtype));
        const shape = spec.shape;
        if (shape) {
          tensor.message(2, (s) => {
            for (const d of shape) {
              s.message(1, (dim) => {
                if (typeof d === 'number') dim.uint(1, d);
                else if (typeof d === 'string') dim.string(2, d);
              });
            }
          });
        }
      }),
    );
  }
  return w.finish();
}

function varintBytes(n: number): Uint8Array {
  const w = new ProtoWriter();
  w.varint(n);
  return w.finish();
}

/** The model bytes with `outputs` added as graph outputs (names already listed as outputs are skipped). */
export function withExtraOutputs(
  model: Uint8Array,
  outputs: OutputSpec[],
  existing: string[] = [],
): Uint8Array {
  const r = new ProtoReader(model);
  let graph: { tagStart: number; bodyStart: number; bodyEnd: number } | undefined;
  while (!r.done) {
    const tagStart = r.pos;
    const tag = r.tag();
    if (tag >>> 3 === GRAPH_FIELD && (tag & 7) === WIRE_LEN) {
      const len = r.len();
      graph = { tagStart, bodyStart: r.pos, bodyEnd: r.pos + len };
      r.pos += len;
    } else r.skip(tag & 7);
  }
  if (!graph) throw new ProtoError('the model has no graph');
  const skip = new Set(existing);
  const added = new ProtoWriter();
  for (const o of outputs) {
    if (skip.has(o.name)) continue;
    skip.add(o.name);
    added.bytes(GRAPH_OUTPUT, valueInfo(o));
  }
  const extra = added.finish();
  const bodyLength = graph.bodyEnd - graph.bodyStart + extra.length;
  const tag = varintBytes((GRAPH_FIELD << 3) | WIRE_LEN);
  const len = varintBytes(bodyLength);
  const out = new Uint8Array(
    graph.tagStart + tag.length + len.length + bodyLength + (model.length - graph.bodyEnd),
  );
  let at = 0;
  const put = (b: Uint8Array) => {
    out.set(b, at);
    at += b.length;
  };
  put(model.subarray(0, graph.tagStart));
  put(tag);
  put(len);
  put(model.subarray(graph.bodyStart, graph.bodyEnd));
  put(extra);
  put(model.subarray(graph.bodyEnd));
  return out;
}

/**
 * TensorFlow GraphDef (frozen `.pb` graphs, `saved_model.pb`, and the `graph_def` of event files) opened
 * into the common graph. Const node tensors are the stored weights; `_output_shapes` give value shapes.
 */
import type { Graph, Model, ModelFormat, ModelSource, TensorInfo } from '../model';
import { ModelError } from '../model';
import { DATA, readSkeleton, type Schema } from '../onnx/skeleton';
import { ProtoError, ProtoReader } from '../proto';
import { decodeGraphDef } from './decode';

export { decodeGraphDef } from './decode';

const tensorData = {
  4: DATA,
  5: DATA,
  6: DATA,
  7: DATA,
  9: DATA,
  10: DATA,
  11: DATA,
  12: DATA,
  13: DATA,
  16: DATA,
  17: DATA,
};
const schema: Schema = {
  saved: { 2: 'meta' },
  meta: { 2: 'graph' },
  graph: { 1: 'node', 2: 'library' },
  library: { 1: 'function' },
  function: { 3: 'node' },
  node: { 5: 'attrEntry' },
  attrEntry: { 2: 'attr' },
  attr: { 1: 'list', 8: 'tensor' },
  list: { 8: 'tensor' },
  tensor: tensorData,
};

/** Const tensors of a graph: the weights of a frozen graph. */
function constTensors(g: Graph): TensorInfo[] {
  const out: TensorInfo[] = [];
  for (const n of g.nodes) {
    const v = n.attributes.value;
    if (n.op === 'Const' && v && typeof v === 'object' && 'tensor' in v) out.push(v.tensor);
  }
  return out;
}

/** The model of GraphDef bytes; library functions (TF2 traces keep most ops there) become `functions`. */
function decodeModel(bytes: Uint8Array, ctx: { file: string; source: ModelSource }): Model {
  const functions: Graph[] = [];
  let graph: Graph;
  try {
    graph = decodeGraphDef(new ProtoReader(bytes), ctx, 'graph', functions);
  } catch (err) {
    if (err instanceof ProtoError)
      throw new ModelError(ctx.file, `is not a valid TensorFlow GraphDef: ${err.message}`);
    throw err;
  }
  const model: Model = {
    format: 'graphdef',
    metadata: {},
    graph,
    tensors: [graph, ...functions].flatMap(constTensors),
  };
  if (functions.length) model.functions = functions;
  const producer = producerOf(bytes);
  if (producer !== undefined) {
    model.producer = `tensorflow graph version ${producer}`;
    model.metadata.producer = String(producer);
  }
  return model;
}

/** GraphDef.versions.producer (field 4, then 1) */
function producerOf(bytes: Uint8Array): number | undefined {
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const tag = r.tag();
    if (tag !== 0x22) {
      r.skip(tag & 7);
      continue;
    }
    const v = r.sub();
    while (!v.done) {
      const t = v.tag();
      if (t === 0x08) return v.int64();
      v.skip(t & 7);
    }
  }
  return undefined;
}

/** A GraphDef already in memory (the `graph_def` of an event file). Throws ModelError naming `file`. */
export function graphDefModel(bytes: Uint8Array, file = 'graph_def'): Model {
  const source: ModelSource = {
    name: file,
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, offset + length),
    sibling: async () => undefined,
  };
  return decodeModel(bytes, { file, source });
}

/** First field is `node` (tag 0x0a) whose first field is its `name` (0x0a). */
function looksLikeGraphDef(head: Uint8Array): boolean {
  if (head[0] !== 0x0a) return false;
  let i = 1;
  while (i < 6 && head[i] & 0x80) i++;
  return head[i + 1] === 0x0a;
}

/** SavedModel: saved_model_schema_version (0x08) then meta_graphs (0x12). */
function looksLikeSavedModel(source: ModelSource, head: Uint8Array): boolean {
  return /saved_model\.pb$/i.test(source.name) && head[0] === 0x08 && head[2] === 0x12;
}

export const graphdef: ModelFormat = {
  id: 'graphdef',
  detect(source, head) {
    return (
      looksLikeSavedModel(source, head) || (/\.(pb|graphdef)$/i.test(source.name) && looksLikeGraphDef(head))
    );
  },
  async open(source) {
    const head = await source.read(0, Math.min(16, source.size));
    const saved = looksLikeSavedModel(source, head);
    let skeleton: Uint8Array;
    try {
      skeleton = await readSkeleton(source, schema, saved ? 'saved' : 'graph');
    } catch (err) {
      if (err instanceof ProtoError)
        throw new ModelError(source.name, `is not a valid TensorFlow GraphDef: ${err.message}`);
      throw err;
    }
    const graphBytes = saved ? firstGraphOfSavedModel(skeleton) : skeleton;
    if (!graphBytes) throw new ModelError(source.name, 'is a SavedModel without a graph');
    return decodeModel(graphBytes, { file: source.name, source });
  },
};

/** SavedModel.meta_graphs[0].graph_def */
function firstGraphOfSavedModel(bytes: Uint8Array): Uint8Array | undefined {
  const field = (buf: Uint8Array, tagWanted: number) => {
    const r = new ProtoReader(buf);
    while (!r.done) {
      const tag = r.tag();
      if (tag === tagWanted) return r.bytes();
      r.skip(tag & 7);
    }
    return undefined;
  };
  const meta = field(bytes, 0x12);
  return meta && field(meta, 0x12);
}

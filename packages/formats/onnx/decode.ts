/**
 * ONNX protobuf messages (onnx.proto3 field numbers) decoded into the common model.
 * Runs over the skeleton from skeleton.ts (or any in-memory ModelProto); tensor data stays where it is
 * and is decoded by tensor.ts when read() is called.
 */
import type { AttrValue, Dim, Graph, GraphNode, ModelSource, TensorInfo, ValueInfo } from '../model';
import { ProtoReader, WIRE_LEN } from '../proto';
import { dtypeOf } from './dtypes';
import { ELIDED } from './skeleton';
import { type DataSegment, sparseTensorInfo, tensorInfo } from './tensor';

export interface DecodeContext {
  file: string;
  source: ModelSource;
}

function keyValue(r: ProtoReader): [string, string] {
  let key = '';
  let value = '';
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x0a) key = r.string();
    else if (tag === 0x12) value = r.string();
    else r.skip(tag & 7);
  }
  return [key, value];
}

export function decodeOpset(r: ProtoReader): [string, number] {
  let domain = '';
  let version = 0;
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x0a) domain = r.string();
    else if (tag === 0x10) version = r.int64();
    else r.skip(tag & 7);
  }
  return [domain, version];
}

// ---------- tensors ----------

export function decodeTensor(r: ProtoReader, ctx: DecodeContext): TensorInfo {
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  const segments: DataSegment[] = [];
  const unpacked: number[] = [];
  let unpackedField = 0;
  const strings: Uint8Array[] = [];
  const external: Record<string, string> = {};
  let externalData = false;
  while (!r.done) {
    const tag = r.tag();
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1:
        r.packed(wire, (x) => x.int64(), dims);
        break;
      case 2:
        dataType = r.int32();
        break;
      case 8:
        name = r.string();
        break;
      case 6:
        strings.push(r.bytes());
        break;
      case 13: {
        const [k, v] = keyValue(r.sub());
        external[k] = v;
        break;
      }
      case 14:
        externalData = r.int32() === 1;
        break;
      case 4:
      case 5:
      case 7:
      case 9:
      case 10:
      case 11:
        if (wire === WIRE_LEN) segments.push({ field, bytes: r.bytes() });
        else {
          // unpacked repeated numbers (legal protobuf, rare): keep the values themselves
          unpackedField = field;
          unpacked.push(field === 4 ? r.float() : field === 10 ? r.double() : r.int64());
        }
        break;
      case ELIDED: {
        const sub = r.sub();
        const seg: DataSegment = { field: 0, offset: 0, length: 0 };
        while (!sub.done) {
          const t = sub.tag();
          if (t === 0x08) seg.field = sub.uint32();
          else if (t === 0x10) seg.offset = sub.int64();
          else if (t === 0x18) seg.length = sub.int64();
          else sub.skip(t & 7);
        }
        segments.push(seg);
        break;
      }
      default:
        r.skip(wire);
    }
  }
  return tensorInfo(ctx, {
    name,
    dtype: dtypeOf(dataType),
    dims,
    segments,
    unpacked: unpackedField ? { field: unpackedField, values: unpacked } : undefined,
    strings,
    external: externalData ? external : undefined,
  });
}

function decodeSparse(r: ProtoReader, ctx: DecodeContext): TensorInfo {
  let values: TensorInfo | undefined;
  let indices: TensorInfo | undefined;
  const dims: number[] = [];
  while (!r.done) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) values = decodeTensor(r.sub(), ctx);
    else if (field === 2) indices = decodeTensor(r.sub(), ctx);
    else if (field === 3) r.packed(tag & 7, (x) => x.int64(), dims);
    else r.skip(tag & 7);
  }
  if (!values || !indices) {
    values ??= decodeTensor(new ProtoReader(new Uint8Array(0)), ctx);
    indices ??= decodeTensor(new ProtoReader(new Uint8Array(0)), ctx);
  }
  return sparseTensorInfo(ctx, values, indices, dims);
}

// ---------- types ----------

interface TypeInfo {
  dtype?: ValueInfo['dtype'];
  shape?: Dim[];
  text: string;
}

function decodeShape(r: ProtoReader): Dim[] {
  const dims: Dim[] = [];
  while (!r.done) {
    const tag = r.tag();
    if (tag !== 0x0a) {
      r.skip(tag & 7);
      continue;
    }
    const d = r.sub();
    let dim: Dim = null;
    while (!d.done) {
      const t = d.tag();
      if (t === 0x08) dim = d.int64();
      else if (t === 0x12) dim = d.string() || null;
      else d.skip(t & 7);
    }
    dims.push(dim);
  }
  return dims;
}

function shapeText(shape: Dim[] | undefined): string {
  return shape ? `[${shape.map((d) => d ?? '?').join(',')}]` : '';
}

/** TypeProto: tensor_type 1, sequence_type 4, map_type 5, sparse_tensor_type 8, optional_type 9. */
function decodeType(r: ProtoReader): TypeInfo {
  let info: TypeInfo = { text: 'unknown' };
  while (!r.done) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1 || field === 8) {
      const t = r.sub();
      let dtype: ValueInfo['dtype'] = 'unknown';
      let shape: Dim[] | undefined;
      while (!t.done) {
        const x = t.tag();
        if (x === 0x08) dtype = dtypeOf(t.int32());
        else if (x === 0x12) shape = decodeShape(t.sub());
        else t.skip(x & 7);
      }
      const text = `${dtype}${shapeText(shape)}`;
      info = field === 1 ? { dtype, shape, text } : { text: `sparse<${text}>` };
    } else if (field === 4 || field === 9) {
      const t = r.sub();
      let elem: TypeInfo = { text: 'unknown' };
      while (!t.done) {
        const x = t.tag();
        if (x === 0x0a) elem = decodeType(t.sub());
        else t.skip(x & 7);
      }
      info = { text: `${field === 4 ? 'sequence' : 'optional'}<${elem.text}>` };
    } else if (field === 5) {
      const t = r.sub();
      let key = 'unknown';
      let value: TypeInfo = { text: 'unknown' };
      while (!t.done) {
        const x = t.tag();
        if (x === 0x08) key = dtypeOf(t.int32());
        else if (x === 0x12) value = decodeType(t.sub());
        else t.skip(x & 7);
      }
      info = { text: `map<${key},${value.text}>` };
    } else r.skip(tag & 7);
  }
  return info;
}

function decodeValueInfo(r: ProtoReader): ValueInfo {
  let name = '';
  let type: TypeInfo | undefined;
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x0a) name = r.string();
    else if (tag === 0x12) type = decodeType(r.sub());
    else r.skip(tag & 7);
  }
  const v: ValueInfo = { name };
  if (type?.dtype !== undefined) {
    v.dtype = type.dtype;
    if (type.shape) v.shape = type.shape;
  } else if (type) v.type = type.text;
  return v;
}

// ---------- attributes, nodes, graphs ----------

const attrTypeNames: Record<number, string> = {
  1: 'float',
  2: 'int',
  3: 'string',
  4: 'tensor',
  5: 'graph',
  6: 'floats',
  7: 'ints',
  8: 'strings',
  9: 'tensors',
  10: 'graphs',
  11: 'sparse_tensor',
  12: 'sparse_tensors',
  13: 'type_proto',
  14: 'type_protos',
};
/** the type implied by the field that holds the value, for IR < 3 files that leave `type` unset */
const attrTypeOfField: Record<number, number> = {
  2: 1,
  3: 2,
  4: 3,
  5: 4,
  6: 5,
  7: 6,
  8: 7,
  9: 8,
  10: 9,
  11: 10,
  22: 11,
  23: 12,
  14: 13,
  15: 14,
};

interface Attribute {
  name: string;
  type: string;
  value: AttrValue;
}

const utf8 = new TextDecoder();

function decodeAttribute(r: ProtoReader, ctx: DecodeContext): Attribute {
  let name = '';
  let type = 0;
  let seenField = 0;
  let ref = '';
  let f = 0;
  let i = 0;
  let s = '';
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  const tensors: TensorInfo[] = [];
  const graphs: Graph[] = [];
  const types: string[] = [];
  while (!r.done) {
    const tag = r.tag();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field !== 1 && field !== 13 && field !== 20 && field !== 21) seenField ||= field;
    switch (field) {
      case 1:
        name = r.string();
        break;
      case 20:
        type = r.int32();
        break;
      case 21:
        ref = r.string();
        break;
      case 2:
        f = r.float();
        break;
      case 3:
        i = r.int64();
        break;
      case 4:
        s = utf8.decode(r.bytes());
        break;
      case 5:
      case 10:
        tensors.push(decodeTensor(r.sub(), ctx));
        break;
      case 22:
      case 23:
        tensors.push(decodeSparse(r.sub(), ctx));
        break;
      case 6:
      case 11:
        graphs.push(decodeGraph(r.sub(), ctx));
        break;
      case 7:
        r.packed(wire, (x) => x.float(), floats);
        break;
      case 8:
        r.packed(wire, (x) => x.int64(), ints);
        break;
      case 9:
        strings.push(utf8.decode(r.bytes()));
        break;
      case 14:
      case 15:
        types.push(decodeType(r.sub()).text);
        break;
      default:
        r.skip(wire);
    }
  }
  if (!type) type = attrTypeOfField[seenField] ?? 0;
  const typeName = attrTypeNames[type] ?? 'undefined';
  if (ref) return { name, type: typeName, value: { ref } };
  const values: Record<string, AttrValue> = {
    float: f,
    int: i,
    string: s,
    tensor: tensors[0] ? { tensor: tensors[0] } : null,
    sparse_tensor: tensors[0] ? { tensor: tensors[0] } : null,
    graph: graphs[0] ? { graph: graphs[0] } : null,
    floats,
    ints,
    strings,
    tensors: { tensors },
    sparse_tensors: { tensors },
    graphs: { graphs },
    type_proto: types[0] ?? null,
    type_protos: types,
  };
  return { name, type: typeName, value: values[typeName] ?? null };
}

interface NodeFields {
  name: string;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Attribute[];
  doc: string;
}

function decodeNodeFields(r: ProtoReader, ctx: DecodeContext): NodeFields {
  const n: NodeFields = { name: '', op: '', domain: '', inputs: [], outputs: [], attrs: [], doc: '' };
  while (!r.done) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        n.inputs.push(r.string());
        break;
      case 2:
        n.outputs.push(r.string());
        break;
      case 3:
        n.name = r.string();
        break;
      case 4:
        n.op = r.string();
        break;
      case 7:
        n.domain = r.string();
        break;
      case 5:
        n.attrs.push(decodeAttribute(r.sub(), ctx));
        break;
      case 6:
        n.doc = r.string();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return n;
}

function toNode(n: NodeFields, index: number, ids: Set<string>): GraphNode {
  let id = n.name && !ids.has(n.name) ? n.name : `${n.op}_${index}`;
  while (ids.has(id)) id += '_';
  ids.add(id);
  const node: GraphNode = {
    id,
    name: n.name,
    op: n.op,
    inputs: n.inputs,
    outputs: n.outputs,
    attributes: {},
  };
  if (n.domain && n.domain !== 'ai.onnx') node.domain = n.domain;
  if (n.doc) node.docString = n.doc;
  if (n.attrs.length) node.attributeTypes = {};
  for (const a of n.attrs) {
    node.attributes[a.name] = a.value;
    node.attributeTypes![a.name] = a.type;
    const v = a.value;
    if (v && typeof v === 'object' && 'graph' in v) (node.subgraphs ??= {})[a.name] = v.graph;
    if (v && typeof v === 'object' && 'graphs' in v) {
      v.graphs.forEach((g, k) => {
        (node.subgraphs ??= {})[`${a.name}[${k}]`] = g;
      });
    }
  }
  return node;
}

function emptyGraph(name: string): Graph {
  return { name, nodes: [], inputs: [], outputs: [], values: new Map(), initializers: new Map() };
}

function addValue(g: Graph, v: ValueInfo): void {
  if (v.name && !g.values.has(v.name)) g.values.set(v.name, v);
}

export function decodeGraph(r: ProtoReader, ctx: DecodeContext): Graph {
  const g = emptyGraph('');
  const ids = new Set<string>();
  const valueInfo: ValueInfo[] = [];
  while (!r.done) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        g.nodes.push(toNode(decodeNodeFields(r.sub(), ctx), g.nodes.length, ids));
        break;
      case 2:
        g.name = r.string();
        break;
      case 5: {
        const t = decodeTensor(r.sub(), ctx);
        g.initializers.set(t.name, t);
        break;
      }
      case 15: {
        const t = decodeSparse(r.sub(), ctx);
        g.initializers.set(t.name, t);
        break;
      }
      case 10:
        g.docString = r.string();
        break;
      case 11:
        g.inputs.push(decodeValueInfo(r.sub()));
        break;
      case 12:
        g.outputs.push(decodeValueInfo(r.sub()));
        break;
      case 13:
        valueInfo.push(decodeValueInfo(r.sub()));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  for (const v of [...g.inputs, ...g.outputs, ...valueInfo]) addValue(g, v);
  for (const t of g.initializers.values()) addValue(g, { name: t.name, dtype: t.dtype, shape: t.shape });
  return g;
}

/** FunctionProto as a Graph: inputs/outputs are names only; `attributeNames` lists its parameters. */
export function decodeFunction(r: ProtoReader, ctx: DecodeContext): Graph {
  const g = emptyGraph('');
  g.attributeNames = [];
  const ids = new Set<string>();
  while (!r.done) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        g.name = r.string();
        break;
      case 4:
        g.inputs.push({ name: r.string() });
        break;
      case 5:
        g.outputs.push({ name: r.string() });
        break;
      case 6:
        g.attributeNames.push(r.string());
        break;
      case 11:
        g.attributeNames.push(decodeAttribute(r.sub(), ctx).name);
        break;
      case 7:
        g.nodes.push(toNode(decodeNodeFields(r.sub(), ctx), g.nodes.length, ids));
        break;
      case 8:
        g.docString = r.string();
        break;
      case 10:
        g.domain = r.string();
        break;
      case 12:
        addValue(g, decodeValueInfo(r.sub()));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return g;
}

export interface DecodedModel {
  irVersion: number;
  producer: string;
  opsetImports: Record<string, number>;
  metadata: Record<string, string>;
  graph?: Graph;
  functions: Graph[];
}

export function decodeModelProto(r: ProtoReader, ctx: DecodeContext): DecodedModel {
  const m: DecodedModel = { irVersion: 0, producer: '', opsetImports: {}, metadata: {}, functions: [] };
  let producerName = '';
  let producerVersion = '';
  while (!r.done) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        m.irVersion = r.int64();
        break;
      case 2:
        producerName = r.string();
        break;
      case 3:
        producerVersion = r.string();
        break;
      case 4:
        m.metadata.domain = r.string();
        break;
      case 5:
        m.metadata.model_version = String(r.int64());
        break;
      case 6:
        m.metadata.doc_string = r.string();
        break;
      case 7:
        m.graph = decodeGraph(r.sub(), ctx);
        break;
      case 8: {
        const [domain, version] = decodeOpset(r.sub());
        m.opsetImports[domain === 'ai.onnx' ? '' : domain] = version;
        break;
      }
      case 14: {
        const [k, v] = keyValue(r.sub());
        m.metadata[k] = v;
        break;
      }
      case 25:
        m.functions.push(decodeFunction(r.sub(), ctx));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  m.producer = `${producerName} ${producerVersion}`.trim();
  m.metadata.ir_version = String(m.irVersion);
  return m;
}

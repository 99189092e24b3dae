/**
 * GraphDef / NodeDef / AttrValue (tensorflow/core/framework/*.proto) decoded into the common graph.
 * Inputs `x:0` are value `x`, `^x` are control inputs; `_output_shapes` give value shapes.
 */
import type { AttrValue, Dim, Graph, GraphNode, ModelSource, TensorInfo, ValueInfo } from '../model';
import { ProtoReader } from '../proto';
import { decodeTfShape, decodeTfTensor, tfDtype } from './tensor';

export interface Ctx {
  file: string;
  source: ModelSource;
}

const utf8 = new TextDecoder();

function decodeAttr(r: ProtoReader, ctx: Ctx, owner: string): { type: string; value: AttrValue } {
  let out: { type: string; value: AttrValue } = { type: 'none', value: null };
  while (!r.done) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 2:
        out = { type: 's', value: utf8.decode(r.bytes()) };
        break;
      case 3:
        out = { type: 'i', value: r.int64() };
        break;
      case 4:
        out = { type: 'f', value: r.float() };
        break;
      case 5:
        out = { type: 'b', value: r.bool() };
        break;
      case 6:
        out = { type: 'type', value: tfDtype(r.int32()) };
        break;
      case 7:
        out = { type: 'shape', value: shapeValue(decodeTfShape(r.sub())) };
        break;
      case 8:
        out = { type: 'tensor', value: { tensor: decodeTfTensor(r.sub(), ctx.file, ctx.source, owner) } };
        break;
      case 9:
        out = { type: 'placeholder', value: r.string() };
        break;
      case 10:
        out = { type: 'func', value: funcName(r.sub()) };
        break;
      case 1:
        out = decodeList(r.sub(), ctx, owner);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return out;
}

/** a shape attribute as numbers (-1 unknown), or null for unknown rank */
function shapeValue(shape: Dim[] | undefined): number[] | null {
  return shape ? shape.map((d) => (typeof d === 'number' ? d : -1)) : null;
}

function funcName(r: ProtoReader): string {
  let name = '';
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x0a) name = r.string();
    else r.skip(tag & 7);
  }
  return name;
}

const listTypes: Record<number, string> = {
  2: 'list(s)',
  3: 'list(i)',
  4: 'list(f)',
  5: 'list(b)',
  6: 'list(type)',
  7: 'list(shape)',
  8: 'list(tensor)',
  9: 'list(func)',
};

function decodeList(r: ProtoReader, ctx: Ctx, owner: string): { type: string; value: AttrValue } {
  const nums: number[] = [];
  const strs: string[] = [];
  const tensors: TensorInfo[] = [];
  let type = 'list';
  while (!r.done) {
    const tag = r.tag();
    const field = tag >>> 3;
    const wire = tag & 7;
    type = listTypes[field] ?? type;
    switch (field) {
      case 2:
        strs.push(utf8.decode(r.bytes()));
        break;
      case 3:
        r.packed(wire, (x) => x.int64(), nums);
        break;
      case 4:
        r.packed(wire, (x) => x.float(), nums);
        break;
      case 5:
        r.packed(wire, (x) => x.uint32(), nums);
        break;
      case 6: {
        const codes: number[] = [];
        r.packed(wire, (x) => x.int32(), codes);
        strs.push(...codes.map(tfDtype));
        break;
      }
      case 7: {
        const s = decodeTfShape(r.sub());
        strs.push(s ? `[${s.map((d) => d ?? '?').join(',')}]` : '?');
        break;
      }
      case 8:
        tensors.push(decodeTfTensor(r.sub(), ctx.file, ctx.source, owner));
        break;
      case 9:
        strs.push(funcName(r.sub()));
        break;
      default:
        r.skip(wire);
    }
  }
  if (tensors.length) return { type, value: { tensors } };
  return { type, value: strs.length ? strs : nums };
}

interface RawNode {
  name: string;
  op: string;
  inputs: string[];
  device: string;
  attrs: Map<string, { type: string; value: AttrValue; shapes?: (Dim[] | undefined)[] }>;
}

function decodeNode(r: ProtoReader, ctx: Ctx): RawNode {
  const n: RawNode = { name: '', op: '', inputs: [], device: '', attrs: new Map() };
  const entries: ProtoReader[] = [];
  while (!r.done) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        n.name = r.string();
        break;
      case 2:
        n.op = r.string();
        break;
      case 3:
        n.inputs.push(r.string());
        break;
      case 4:
        n.device = r.string();
        break;
      case 5:
        entries.push(r.sub());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  for (const e of entries) {
    let key = '';
    let value: { type: string; value: AttrValue; shapes?: (Dim[] | undefined)[] } = {
      type: 'none',
      value: null,
    };
    while (!e.done) {
      const tag = e.tag();
      if (tag === 0x0a) key = e.string();
      else if (tag === 0x12) {
        const sub = e.sub();
        // _output_shapes: keep the shapes themselves too, for value shapes
        value =
          key === '_output_shapes'
            ? { ...outputShapes(sub.buf.subarray(sub.pos, sub.end)) }
            : decodeAttr(sub, ctx, n.name);
      } else e.skip(tag & 7);
    }
    n.attrs.set(key, value);
  }
  return n;
}

function outputShapes(attr: Uint8Array): { type: string; value: AttrValue; shapes: (Dim[] | undefined)[] } {
  const shapes: (Dim[] | undefined)[] = [];
  const r = new ProtoReader(attr);
  while (!r.done) {
    const tag = r.tag();
    if (tag !== 0x0a) {
      r.skip(tag & 7);
      continue;
    }
    const list = r.sub();
    while (!list.done) {
      const t = list.tag();
      if (t === 0x3a) shapes.push(decodeTfShape(list.sub()));
      else list.skip(t & 7);
    }
  }
  return {
    type: 'list(shape)',
    value: shapes.map((s) => (s ? `[${s.map((d) => d ?? '?').join(',')}]` : '?')),
    shapes,
  };
}

/**
 * `x:0` -> `x`; other output indices keep their suffix. Inside functions an output is named
 * `node:output_arg:index`; the argument name is dropped.
 */
function valueName(input: string): string {
  const fn = /^(.*):[A-Za-z_][\w]*:(\d+)$/.exec(input);
  const plain = fn ? `${fn[1]}:${fn[2]}` : input;
  return plain.endsWith(':0') ? plain.slice(0, -2) : plain;
}

/** GraphDef: node 1, library 2 (FunctionDefLibrary: function 1). Library functions go to `functions`. */
export function decodeGraphDef(r: ProtoReader, ctx: Ctx, name = 'graph', functions: Graph[] = []): Graph {
  const raw: RawNode[] = [];
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x0a) raw.push(decodeNode(r.sub(), ctx));
    else if (tag === 0x12) {
      const lib = r.sub();
      while (!lib.done) {
        const t = lib.tag();
        if (t === 0x0a) functions.push(decodeFunctionDef(lib.sub(), ctx));
        else lib.skip(t & 7);
      }
    } else r.skip(tag & 7);
  }
  return buildGraph(raw, name);
}

/** FunctionDef: signature 1 (OpDef: name 1, input_arg 2, output_arg 3; ArgDef name 1), node_def 3, ret 4. */
function decodeFunctionDef(r: ProtoReader, ctx: Ctx): Graph {
  const raw: RawNode[] = [];
  let name = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  const ret = new Map<string, string>();
  const argName = (a: ProtoReader) => {
    let n = '';
    while (!a.done) {
      const t = a.tag();
      if (t === 0x0a) n = a.string();
      else a.skip(t & 7);
    }
    return n;
  };
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x0a) {
      const sig = r.sub();
      while (!sig.done) {
        const t = sig.tag();
        if (t === 0x0a) name = sig.string();
        else if (t === 0x12) inputs.push(argName(sig.sub()));
        else if (t === 0x1a) outputs.push(argName(sig.sub()));
        else sig.skip(t & 7);
      }
    } else if (tag === 0x1a) raw.push(decodeNode(r.sub(), ctx));
    else if (tag === 0x22) {
      const e = r.sub();
      let k = '';
      let v = '';
      while (!e.done) {
        const t = e.tag();
        if (t === 0x0a) k = e.string();
        else if (t === 0x12) v = e.string();
        else e.skip(t & 7);
      }
      ret.set(k, v);
    } else r.skip(tag & 7);
  }
  const g = buildGraph(raw, name);
  g.inputs = inputs.map((n) => ({ name: n }));
  g.outputs = outputs.map((n) => ({ name: valueName(ret.get(n) ?? n) }));
  return g;
}

function buildGraph(raw: RawNode[], name: string): Graph {
  const g: Graph = { name, nodes: [], inputs: [], outputs: [], values: new Map(), initializers: new Map() };
  // outputs a node has: index 0 is its name; `x:k` inputs elsewhere reveal more
  const extraOutputs = new Map<string, Set<number>>();
  const consumed = new Set<string>();
  for (const n of raw) {
    for (const i of n.inputs) {
      const src = i.startsWith('^') ? i.slice(1) : i.replace(/:\d+$/, '');
      consumed.add(src);
      const m = /:(\d+)$/.exec(i);
      if (m && m[1] !== '0' && !i.startsWith('^')) {
        if (!extraOutputs.has(src)) extraOutputs.set(src, new Set());
        extraOutputs.get(src)!.add(Number(m[1]));
      }
    }
  }
  for (const n of raw) {
    const count = Math.max(0, ...(extraOutputs.get(n.name) ?? [])) + 1;
    const outputs = Array.from({ length: count }, (_, k) => (k ? `${n.name}:${k}` : n.name));
    const node: GraphNode = {
      id: n.name,
      name: n.name,
      op: n.op,
      inputs: n.inputs.filter((i) => !i.startsWith('^')).map(valueName),
      outputs,
      attributes: {},
      attributeTypes: {},
    };
    const control = n.inputs.filter((i) => i.startsWith('^')).map((i) => i.slice(1));
    if (control.length) node.controlInputs = control;
    const scope = n.name.split('/').slice(0, -1);
    if (scope.length) node.modulePath = scope;
    for (const [k, v] of n.attrs) {
      node.attributes[k] = v.value;
      node.attributeTypes![k] = v.type;
    }
    if (n.device) node.attributes._device = n.device;
    g.nodes.push(node);

    const dtypeAttr = n.attrs.get('dtype')?.value ?? n.attrs.get('T')?.value;
    const shapes = n.attrs.get('_output_shapes')?.shapes;
    outputs.forEach((out, k) => {
      const v: ValueInfo = { name: out };
      if (typeof dtypeAttr === 'string') v.dtype = dtypeAttr as ValueInfo['dtype'];
      const s = shapes?.[k] ?? (n.op === 'Placeholder' ? shapeOf(n.attrs.get('shape')?.value) : undefined);
      if (s) v.shape = s;
      if (v.dtype || v.shape) g.values.set(out, v);
    });
    const value = n.attrs.get('value')?.value;
    if (n.op === 'Const' && value && typeof value === 'object' && 'tensor' in value) {
      g.values.set(n.name, { name: n.name, dtype: value.tensor.dtype, shape: value.tensor.shape });
    }
    if (n.op === 'Placeholder' || n.op === 'PlaceholderWithDefault')
      g.inputs.push(g.values.get(n.name) ?? { name: n.name });
  }
  for (const node of g.nodes) {
    if (!consumed.has(node.name) && node.op !== 'NoOp')
      g.outputs.push(g.values.get(node.name) ?? { name: node.name });
  }
  return g;
}

function shapeOf(v: AttrValue | undefined): Dim[] | undefined {
  return Array.isArray(v) ? (v as number[]).map((d) => (d < 0 ? null : d)) : undefined;
}

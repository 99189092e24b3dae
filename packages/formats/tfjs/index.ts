/**
 * TF.js models: model.json (a Keras layers topology or a GraphDef-as-JSON graph model) plus weight
 * shards. Each manifest group's shards are one byte stream, in manifest order; a weight may span two
 * shards. float16 and uint8/uint16 (scale, min) quantized weights are dequantized on read.
 * A missing shard does not stop open(): the topology shows, and reading a weight in it fails.
 */

import { guardedOpen } from '../common/guard';
import { decodeTensor, elementSize, numel } from '../common/tensor-bytes';
import { byFirstSegment, layersGraph, unwrapModelConfig } from '../keras/layers-graph';
import {
  type AttrValue,
  type Dim,
  type DType,
  type Finding,
  type Graph,
  type GraphNode,
  type Model,
  ModelError,
  type ModelFormat,
  type ModelSource,
  type TensorData,
  type TensorInfo,
  type ValueInfo,
} from '../model';

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}
interface ManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}

export const tfjs: ModelFormat = {
  id: 'tfjs',
  detect(source, head) {
    if (!/\.json$/i.test(source.name)) return false;
    const text = new TextDecoder().decode(head);
    return /"(modelTopology|weightsManifest)"/.test(text) || source.name === 'model.json';
  },
  open: openTfjs,
};

export function openTfjs(source: ModelSource): Promise<Model> {
  return guardedOpen(source.name, () => readTfjs(source));
}

async function readTfjs(source: ModelSource): Promise<Model> {
  const fail = (problem: string) => new ModelError(source.name, problem);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(await source.read(0, source.size)));
  } catch (e) {
    throw fail(`it is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || !('modelTopology' in json || 'weightsManifest' in json))
    throw fail('it has neither modelTopology nor weightsManifest, so it is not a TF.js model');
  const topology = json.modelTopology as Record<string, unknown> | undefined;
  const graphModel = json.format === 'graph-model' || Array.isArray(topology?.node);
  const findings: Finding[] = [];
  const tensors: TensorInfo[] = [];
  const manifest = (Array.isArray(json.weightsManifest) ? json.weightsManifest : []) as ManifestGroup[];
  for (const group of manifest) tensors.push(...(await groupTensors(source, group, fail, findings)));

  const metadata: Record<string, string> = {};
  for (const k of ['format', 'generatedBy', 'convertedBy'] as const)
    if (typeof json[k] === 'string') metadata[k] = json[k] as string;
  let graph: Graph | undefined;
  if (graphModel && topology) graph = graphDefJson(topology, json.signature, tensors);
  else {
    const config = unwrapModelConfig(topology);
    if (config) graph = layersGraph(config, byFirstSegment(tensors));
    if (typeof topology?.keras_version === 'string') metadata.keras_version = topology.keras_version;
  }
  return {
    format: 'tfjs',
    producer: [
      metadata.convertedBy ?? metadata.keras_version,
      metadata.generatedBy && `from ${metadata.generatedBy}`,
    ]
      .filter(Boolean)
      .join(' '),
    metadata,
    graph,
    tensors,
    extras: { findings },
  };
}

const dtypes: Record<string, DType> = {
  float32: 'float32',
  int32: 'int32',
  bool: 'bool',
  string: 'string',
  complex64: 'complex64',
  float16: 'float16',
  uint8: 'uint8',
  uint16: 'uint16',
  int8: 'int8',
  int16: 'int16',
};

async function groupTensors(
  source: ModelSource,
  group: ManifestGroup,
  fail: (p: string) => ModelError,
  findings: Finding[],
): Promise<TensorInfo[]> {
  const shards = await Promise.all(group.paths.map((p) => source.sibling(p)));
  const sizes: (number | undefined)[] = shards.map((s) => s?.size);
  // stored size of each weight, in manifest order
  const stored = group.weights.map((w) => {
    const storedDtype = dtypes[w.quantization?.dtype ?? w.dtype] ?? 'unknown';
    return storedDtype === 'string' ? Number.NaN : numel(w.shape) * elementSize(storedDtype);
  });
  const total = stored.reduce((a, b) => a + b, 0);
  const missing = group.paths.filter((_, i) => !shards[i]);
  if (missing.length === 1 && Number.isFinite(total)) {
    // one missing shard's size follows from the manifest total
    const known = sizes.reduce<number>((a, b) => a + (b ?? 0), 0);
    sizes[sizes.indexOf(undefined)] = total - known;
  }
  if (missing.length) {
    findings.push({
      id: 'missing_weights',
      severity: 'error',
      message: `weight shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing; the weights stored there cannot be read`,
    });
  }
  const readRange = async (start: number, length: number): Promise<Uint8Array> => {
    const out = new Uint8Array(length);
    let shardStart = 0;
    for (let i = 0; i < shards.length && length > 0; i++) {
      const size = sizes[i];
      if (size === undefined) throw fail(`weight shard ${group.paths[i]} is missing`);
      const from = Math.max(start, shardStart);
      const to = Math.min(start + length, shardStart + size);
      if (from < to) {
        const shard = shards[i];
        if (!shard) throw fail(`weight shard ${group.paths[i]} is missing`);
        if (to - shardStart > shard.size)
          throw fail(`weight shard ${group.paths[i]} is shorter than the manifest says`);
        out.set(await shard.read(from - shardStart, to - from), from - start);
      }
      shardStart += size;
    }
    if (start + length > shardStart) throw fail(`the weight shards end before the manifest's weights do`);
    return out;
  };

  let offset = 0;
  return group.weights.map((w, i): TensorInfo => {
    const start = offset;
    const length = stored[i];
    offset += length;
    const q = w.quantization;
    const dtype = dtypes[q?.original_dtype ?? w.dtype] ?? 'unknown';
    const storedDtype = dtypes[q?.dtype ?? w.dtype] ?? 'unknown';
    const shardOf = () => {
      let at = 0;
      for (let s = 0; s < group.paths.length; s++) {
        at += sizes[s] ?? Number.POSITIVE_INFINITY;
        if (start < at) return group.paths[s];
      }
      return group.paths[group.paths.length - 1];
    };
    return {
      name: w.name,
      dtype,
      shape: w.shape as Dim[],
      byteLength: length,
      location: shardOf(),
      quantization:
        q && q.scale !== undefined
          ? { scale: q.scale, zeroPoint: 0, min: q.min, dtype: storedDtype }
          : q
            ? { scale: 1, zeroPoint: 0, dtype: storedDtype }
            : undefined,
      async read(): Promise<TensorData> {
        if (!Number.isFinite(start))
          throw fail(`weight ${w.name} follows a string weight, whose size tensorscope does not read`);
        if (storedDtype === 'string' || storedDtype === 'unknown')
          throw fail(`weight ${w.name} has dtype ${q?.dtype ?? w.dtype}, which tensorscope cannot decode`);
        const raw = decodeTensor(await readRange(start, length), storedDtype);
        if (q?.scale === undefined) return raw;
        // affine dequantization: value = q * scale + min (rounded for integer originals)
        const scale = q.scale;
        const min = q.min ?? 0;
        const src = raw as Uint8Array | Uint16Array;
        if (dtype === 'int32') return Int32Array.from(src, (v) => Math.round(v * scale + min));
        return Float32Array.from(src, (v) => v * scale + min);
      },
    };
  });
}

const tfDtypes: Record<string, DType> = {
  DT_FLOAT: 'float32',
  DT_DOUBLE: 'float64',
  DT_HALF: 'float16',
  DT_BFLOAT16: 'bfloat16',
  DT_INT8: 'int8',
  DT_INT16: 'int16',
  DT_INT32: 'int32',
  DT_INT64: 'int64',
  DT_UINT8: 'uint8',
  DT_UINT16: 'uint16',
  DT_UINT32: 'uint32',
  DT_UINT64: 'uint64',
  DT_BOOL: 'bool',
  DT_STRING: 'string',
  DT_COMPLEX64: 'complex64',
};

interface TensorShapeJson {
  dim?: { size?: string | number }[];
  unknownRank?: boolean;
}

function shapeOf(s: TensorShapeJson | undefined): Dim[] | undefined {
  if (!s || s.unknownRank) return undefined;
  return (s.dim ?? []).map((d) => {
    const n = Number(d.size ?? 0);
    return n < 0 ? null : n;
  });
}

/** a GraphDef in protobuf-JSON form (graph models) as a graph; Const nodes with weights become initializers */
function graphDefJson(topology: Record<string, unknown>, signature: unknown, tensors: TensorInfo[]): Graph {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const graph: Graph = {
    name: 'graph',
    nodes: [],
    inputs: [],
    outputs: [],
    values: new Map(),
    initializers: new Map(),
  };
  const nodes = (topology.node ?? []) as {
    name: string;
    op: string;
    input?: string[];
    attr?: Record<string, unknown>;
    device?: string;
  }[];
  for (const n of nodes) {
    const weight = byName.get(n.name);
    if (weight && n.op === 'Const') {
      graph.initializers.set(n.name, weight);
      graph.values.set(n.name, { name: n.name, dtype: weight.dtype, shape: weight.shape });
    }
    const node: GraphNode = {
      id: n.name,
      name: n.name,
      op: n.op,
      // TF names outputs `node:1`; the first output is the bare node name
      inputs: (n.input ?? []).map((i) => i.replace(/:0$/, '')),
      outputs: [n.name],
      attributes: Object.fromEntries(Object.entries(n.attr ?? {}).map(([k, v]) => [k, attrValue(v)])),
      modulePath: n.name.split('/').slice(0, -1),
    };
    graph.nodes.push(node);
  }
  const sig = (signature ?? {}) as Record<
    string,
    Record<string, { name?: string; dtype?: string; tensorShape?: TensorShapeJson }>
  >;
  const side = (
    entries: Record<string, { name?: string; dtype?: string; tensorShape?: TensorShapeJson }> | undefined,
  ) =>
    Object.entries(entries ?? {}).map(
      ([key, v]): ValueInfo => ({
        name: (v.name ?? key).replace(/:0$/, ''),
        dtype: tfDtypes[v.dtype ?? ''],
        shape: shapeOf(v.tensorShape),
      }),
    );
  graph.inputs = side(sig.inputs);
  graph.outputs = side(sig.outputs);
  if (!graph.inputs.length)
    graph.inputs = nodes.filter((n) => n.op === 'Placeholder').map((n) => ({ name: n.name }));
  for (const v of [...graph.inputs, ...graph.outputs]) graph.values.set(v.name, v);
  return graph;
}

/** AttrValue JSON ({type}, {i}, {f}, {b}, {s}, {shape}, {list}, {tensor}) as a display value */
function attrValue(v: unknown): AttrValue {
  if (typeof v !== 'object' || v === null) return null;
  const a = v as Record<string, unknown>;
  if ('type' in a) return tfDtypes[String(a.type)] ?? String(a.type);
  if ('i' in a) return Number(a.i);
  if ('f' in a) return Number(a.f);
  if ('b' in a) return Boolean(a.b);
  if ('s' in a) return safeBase64(String(a.s));
  if ('shape' in a)
    return (shapeOf(a.shape as TensorShapeJson) ?? []).map((d) => (typeof d === 'number' ? d : -1));
  if ('list' in a) {
    const l = (a.list ?? {}) as Record<string, unknown[]>;
    if (l.i) return l.i.map(Number);
    if (l.f) return l.f.map(Number);
    if (l.s) return l.s.map((s) => safeBase64(String(s)));
    if (l.type) return l.type.map((t) => tfDtypes[String(t)] ?? String(t));
    return [];
  }
  if ('tensor' in a) {
    const t = a.tensor as { dtype?: string; tensorShape?: TensorShapeJson };
    return `${tfDtypes[t.dtype ?? ''] ?? t.dtype}[${(shapeOf(t.tensorShape) ?? []).join(',')}]`;
  }
  if ('func' in a) return String((a.func as { name?: string }).name ?? '');
  return null;
}

function safeBase64(s: string): string {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
  } catch {
    return s;
  }
}

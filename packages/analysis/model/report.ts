/**
 * The `inspect` report of a model: architecture facts (nodes, op types, inputs/outputs, parameters per
 * node and module, MACs) and findings on the stored weights. Reads one tensor at a time.
 */
import type {
  Dim,
  DType,
  Finding,
  Graph,
  GraphNode,
  Model,
  TensorInfo,
  ValueInfo,
} from '@tensorscope/formats/model';
import { type WeightRole, weightFindings } from './findings';
import { nodeMacs } from './flops';
import { assignModules, type ModuleTotals, moduleTotals, tensorModulePath } from './modules';
import { type NumericArray, tensorStats } from './stats';

export interface ValueSummary {
  name: string;
  shape: Dim[] | null;
  dtype: string;
}

export interface Counts {
  tensors: number;
  elements: number;
  bytes: number;
}

export interface LayerRow {
  name: string;
  op: string;
  module: string;
  output: ValueSummary | null;
  parameters: number;
  macs: number | null;
}

export interface InspectReport {
  format: string;
  producer?: string;
  opset?: number;
  graph?: {
    nodes: number;
    op_types: Record<string, number>;
    inputs: ValueSummary[];
    outputs: ValueSummary[];
    /** node counts of control-flow subgraphs, by `<node>/<attribute>` */
    subgraphs?: Record<string, number>;
    functions?: string[];
  };
  parameters: Counts;
  findings: Finding[];
  /** ONNX Constant nodes also hold data; not counted as parameters */
  constants?: Counts;
  /** initializers read by more than one node */
  shared_tensors?: number;
  flops?: { macs: number; flops: number; by_op: Record<string, number> };
  /** why the stored counts can differ from the framework's */
  notes: string[];
  modules: ModuleTotals[];
  layers: LayerRow[];
  tensors: { name: string; dtype: DType; shape: Dim[]; bytes: number; location?: string }[];
}

const numel = (shape: Dim[]) => shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 0), 1);

function valueSummary(v: ValueInfo | undefined, name: string): ValueSummary {
  return { name, shape: v?.shape ?? null, dtype: v?.dtype ?? v?.type ?? 'unknown' };
}

const BITS: Partial<Record<DType, number>> = {
  float64: 64,
  int64: 64,
  uint64: 64,
  complex64: 64,
  complex128: 128,
  float32: 32,
  int32: 32,
  uint32: 32,
  float16: 16,
  bfloat16: 16,
  int16: 16,
  uint16: 16,
  int4: 4,
  uint4: 4,
  float4e2m1: 4,
};

/** bytes of the tensor as its dtype says (int64_data varints and the like are counted at full width) */
function tensorBytes(t: TensorInfo): number {
  if (t.dtype === 'string' || t.dtype === 'unknown') return t.byteLength;
  return Math.ceil((numel(t.shape) * (BITS[t.dtype] ?? 8)) / 8);
}

function count(tensors: TensorInfo[]): Counts {
  return {
    tensors: tensors.length,
    elements: tensors.reduce((n, t) => n + numel(t.shape), 0),
    bytes: tensors.reduce((n, t) => n + tensorBytes(t), 0),
  };
}

/** Data of Constant nodes, in the graph and its subgraphs. */
function constantTensors(g: Graph, out: TensorInfo[] = []): TensorInfo[] {
  for (const n of g.nodes) {
    const v = n.attributes.value;
    if (n.op === 'Constant' && v && typeof v === 'object' && 'tensor' in v)
      out.push({ ...v.tensor, name: n.outputs[0] ?? v.tensor.name });
    for (const sub of Object.values(n.subgraphs ?? {})) constantTensors(sub, out);
  }
  return out;
}

function allNodes(g: Graph, out: { node: GraphNode; graph: Graph }[] = []) {
  for (const node of g.nodes) {
    out.push({ node, graph: g });
    for (const sub of Object.values(node.subgraphs ?? {})) allNodes(sub, out);
  }
  return out;
}

const known = (shape: Dim[]): shape is number[] => shape.every((d) => typeof d === 'number');
const prod = (xs: number[]) => xs.reduce((p, x) => p * x, 1);

/** Fan-in by the op that reads the weight (ONNX and TensorFlow ops). */
function roleFromUse(op: string, index: number, shape: number[], node: GraphNode): WeightRole {
  if (index !== 1) return { noInitRule: true };
  const kernel = prod(shape.slice(2));
  if (op === 'Conv' || op === 'ConvInteger')
    return { fanIn: shape[1] * kernel, fanOut: shape[0] * kernel, convFilters: true };
  if (op === 'ConvTranspose') return { fanIn: shape[1] * kernel, fanOut: shape[0] * kernel };
  if (op === 'Gemm' && shape.length === 2) {
    const [k, n] = node.attributes.transB ? [shape[1], shape[0]] : shape;
    return { fanIn: k, fanOut: n };
  }
  if (op === 'MatMul' && shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  if (op === 'Conv2D' || op === 'Conv3D') {
    const window = prod(shape.slice(0, -2));
    return { fanIn: window * shape[shape.length - 2], fanOut: window * shape[shape.length - 1] };
  }
  return { noInitRule: true };
}

/** Without a graph: PyTorch `*.weight` is [out, in, k...]; Keras / TF `kernel` is [k..., in, out]. */
function roleFromName(name: string, shape: number[]): WeightRole {
  if (/embed|emb\b|wte|wpe|position|token|vocab|lookup/i.test(name)) return { noInitRule: true };
  if (/norm|\bbn|running_|lstm|gru|rnn|cell/i.test(name)) return { noInitRule: true };
  if (/kernel/i.test(name)) {
    const window = prod(shape.slice(0, -2));
    return { fanIn: window * shape[shape.length - 2], fanOut: window * shape[shape.length - 1] };
  }
  if (/weight$/i.test(name)) {
    const kernel = prod(shape.slice(2));
    return { fanIn: shape[1] * kernel, fanOut: shape[0] * kernel, convFilters: shape.length >= 3 };
  }
  return { noInitRule: true };
}

export interface InspectOptions {
  /** read every tensor for findings (default true) */
  weights?: boolean;
  /** called after each tensor is read */
  onProgress?: (done: number, total: number) => void;
}

export async function inspectModel(model: Model, opts: InspectOptions = {}): Promise<InspectReport> {
  const report: InspectReport = {
    format: model.format,
    parameters: count(model.tensors),
    findings: [],
    notes: [],
    modules: [],
    layers: [],
    tensors: model.tensors.map((t) => ({
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      bytes: t.byteLength,
      ...(t.location ? { location: t.location } : {}),
    })),
  };
  if (model.producer) report.producer = model.producer;
  if (model.opset !== undefined) report.opset = model.opset;

  const roles = new Map<string, WeightRole>();
  const g = model.graph;
  let constants: TensorInfo[] = [];
  if (g) {
    assignModules(g);
    const opTypes: Record<string, number> = {};
    for (const n of g.nodes) opTypes[n.op] = (opTypes[n.op] ?? 0) + 1;
    const inputs = g.inputs.filter((v) => !g.initializers.has(v.name));
    report.graph = {
      nodes: g.nodes.length,
      op_types: opTypes,
      inputs: inputs.map((v) => valueSummary(g.values.get(v.name) ?? v, v.name)),
      outputs: g.outputs.map((v) => valueSummary(g.values.get(v.name) ?? v, v.name)),
    };
    const subgraphs: Record<string, number> = {};
    for (const { node } of allNodes(g)) {
      for (const [k, sub] of Object.entries(node.subgraphs ?? {}))
        subgraphs[`${node.id}/${k}`] = sub.nodes.length;
    }
    if (Object.keys(subgraphs).length) report.graph.subgraphs = subgraphs;
    if (model.functions?.length)
      report.graph.functions = model.functions.map((f) => `${f.domain ?? ''}:${f.name}`);

    // parameters per node: each initializer belongs to its first reader
    const owner = new Map<string, GraphNode>();
    const readers = new Map<string, number>();
    const byOp: Record<string, number> = {};
    let macsTotal = 0;
    const items: Parameters<typeof moduleTotals>[0] = [];
    // PyTorch stores identical tensors once and reads them through Identity nodes: see through those
    const alias = new Map<string, string>();
    for (const n of g.nodes)
      if (n.op === 'Identity' && g.initializers.has(n.inputs[0])) alias.set(n.outputs[0], n.inputs[0]);
    for (const { node, graph } of allNodes(g)) {
      let params = 0;
      let bytes = 0;
      let tensors = 0;
      const isAlias = node.op === 'Identity' && alias.has(node.outputs[0]);
      node.inputs.forEach((input, index) => {
        if (isAlias) return;
        const name = alias.get(input) ?? input;
        const t = graph.initializers.get(name) ?? g.initializers.get(name);
        if (!t) return;
        readers.set(name, (readers.get(name) ?? 0) + 1);
        if (known(t.shape) && !roles.has(name)) roles.set(name, roleFromUse(node.op, index, t.shape, node));
        if (owner.has(name)) return;
        owner.set(name, node);
        params += numel(t.shape);
        bytes += tensorBytes(t);
        tensors++;
      });
      const macs = nodeMacs(node, graph);
      if (macs !== undefined) {
        macsTotal += macs;
        byOp[node.op] = (byOp[node.op] ?? 0) + macs;
      }
      const path = node.modulePath ?? [];
      items.push({ path, nodes: 1, tensors, parameters: params, bytes, macs: macs ?? 0 });
      if (graph === g) {
        const out = node.outputs[0];
        report.layers.push({
          name: node.name || node.id,
          op: node.op,
          module: path.join('.'),
          output: out ? valueSummary(g.values.get(out), out) : null,
          parameters: params,
          macs: macs ?? null,
        });
      }
    }
    report.modules = moduleTotals(items);
    if (macsTotal) report.flops = { macs: macsTotal, flops: 2 * macsTotal, by_op: byOp };
    const shared = [...readers.values()].filter((n) => n > 1).length;
    report.shared_tensors = shared;

    constants = constantTensors(g);
    if (constants.length) report.constants = count(constants);
    if (model.format === 'onnx') report.notes.push(...onnxNotes(g, shared, report.constants));
  } else {
    report.modules = moduleTotals(
      model.tensors.map((t) => ({
        path: tensorModulePath(t.name),
        tensors: 1,
        parameters: numel(t.shape),
        bytes: t.byteLength,
      })),
    );
  }

  if (opts.weights !== false) {
    // Constant nodes holding matrices are weights too (spox and some exporters store weights that way)
    const weights = [...model.tensors, ...constants.filter((t) => t.shape.length >= 2)];
    // one finding per distinct read error (a missing shard fails every tensor in it the same way)
    const unreadable = new Map<string, string[]>();
    for (let i = 0; i < weights.length; i++) {
      const t = weights[i];
      const found = await tensorFindings(t, roles.get(t.name), !g).catch((err: unknown) => {
        const message = (err instanceof Error ? err.message : String(err)).replace(
          `tensor "${t.name}" `,
          'the tensor ',
        );
        unreadable.set(message, [...(unreadable.get(message) ?? []), t.name]);
        return [];
      });
      report.findings.push(...found);
      opts.onProgress?.(i + 1, weights.length);
    }
    for (const [message, tensors] of unreadable) {
      const what = tensors.length === 1 ? tensors[0] : `${tensors.length} tensors`;
      report.findings.unshift({
        id: 'broken_weights',
        severity: 'error',
        message: `cannot read ${what}: ${message}`,
        tensors,
      });
    }
  }
  // DESIGN.md's key order first, extras after
  const { format, producer, opset, graph, parameters, findings, ...extras } = report;
  return { format, producer, opset, graph, parameters, findings, ...extras };
}

async function tensorFindings(
  t: TensorInfo,
  role: WeightRole | undefined,
  byName: boolean,
): Promise<Finding[]> {
  if (t.dtype === 'string' || t.dtype === 'bool' || !known(t.shape)) return [];
  // a read error propagates: the caller groups them
  const data = await t.read();
  if (Array.isArray(data)) return [];
  const numeric = data as NumericArray;
  return weightFindings(
    t.name,
    t.shape,
    numeric,
    tensorStats(numeric),
    role ?? (byName ? roleFromName(t.name, t.shape) : { noInitRule: true }),
  );
}

function onnxNotes(g: Graph, shared: number, constants: Counts | undefined): string[] {
  const notes = [
    "Parameters count the tensors stored in the file (initializers), which can differ from the framework's count.",
  ];
  const convs = g.nodes.filter((n) => n.op === 'Conv');
  const batchNorms = g.nodes.filter((n) => n.op === 'BatchNormalization').length;
  const folded = convs.filter((n) => n.inputs[2]?.startsWith('onnx::')).length;
  if (convs.length && !batchNorms && folded) {
    notes.push(
      `No BatchNormalization nodes remain and ${folded} of ${convs.length} Conv nodes have an exporter-made bias: ` +
        'BatchNorm was folded into them (its weight, bias, mean and variance are gone; one bias per channel was added).',
    );
  }
  if (shared)
    notes.push(`${shared} initializers are read by more than one node (identical tensors are stored once).`);
  if (constants) {
    notes.push(
      `${constants.tensors} Constant nodes hold another ${constants.elements} elements, not counted as parameters.`,
    );
  }
  return notes;
}

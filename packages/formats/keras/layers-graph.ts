/**
 * Keras model configs (the JSON in an H5 file's `model_config` and a TF.js layers model's
 * `modelTopology`) as a graph: one node per layer, edges from `inbound_nodes` (functional models) or
 * layer order (Sequential), nested models as subgraphs. Weights attach as extra node inputs.
 */
import type { AttrValue, Dim, Graph, GraphNode, TensorInfo, ValueInfo } from '../model';

export interface LayerConfig {
  class_name?: string;
  name?: string;
  config?: Record<string, unknown>;
  inbound_nodes?: unknown[];
}

const containers = new Set(['Sequential', 'Model', 'Functional']);

/** model_config may be wrapped ({model_config: {...}}) or a bare {class_name, config} */
export function unwrapModelConfig(topology: unknown): LayerConfig | undefined {
  if (!isObject(topology)) return undefined;
  if (isObject(topology.model_config)) return topology.model_config as LayerConfig;
  if (typeof topology.class_name === 'string') return topology as LayerConfig;
  return undefined;
}

/** groups weights by their first path segment (`dense_1/kernel` -> dense_1), TF.js's naming */
export function byFirstSegment(weights: TensorInfo[]): Map<string, TensorInfo[]> {
  const map = new Map<string, TensorInfo[]>();
  for (const w of weights) {
    const layer = w.name.split('/')[0];
    map.set(layer, [...(map.get(layer) ?? []), w]);
  }
  return map;
}

/** @param weights the weights of each layer, by layer name (nested models' layers included) */
export function layersGraph(model: LayerConfig, weights: Map<string, TensorInfo[]>): Graph {
  const config = (model.config ?? {}) as Record<string, unknown>;
  // Keras 2.x Sequential configs from old versions are a bare list of layers
  const layers = (
    Array.isArray(model.config) ? model.config : Array.isArray(config.layers) ? config.layers : []
  ) as LayerConfig[];
  const graph: Graph = {
    name: String(config.name ?? model.class_name ?? 'model'),
    nodes: [],
    inputs: [],
    outputs: [],
    values: new Map(),
    initializers: new Map(),
  };
  const sequential =
    model.class_name === 'Sequential' ||
    !layers.some((l) => Array.isArray(l.inbound_nodes) && l.inbound_nodes.length);
  let previous: string | undefined;
  for (const [i, layer] of layers.entries()) {
    const layerConfig = (layer.config ?? {}) as Record<string, unknown>;
    const name = String(layer.name ?? layerConfig.name ?? `layer_${i}`);
    const op = String(layer.class_name ?? 'Layer');
    const node: GraphNode = {
      id: name,
      name,
      op,
      inputs: [],
      outputs: [name],
      attributes: attributes(layerConfig),
    };
    if (op === 'InputLayer') {
      const shape = (layerConfig.batch_input_shape ?? layerConfig.batch_shape) as Dim[] | undefined;
      const input: ValueInfo = {
        name,
        dtype: dtypeOf(layerConfig.dtype),
        shape: shape?.map((d) => d ?? null),
      };
      graph.inputs.push(input);
      graph.values.set(name, input);
    } else if (sequential) {
      if (previous === undefined) {
        // a Sequential model without an InputLayer gets its input from the first layer's batch_input_shape
        const shape = (layerConfig.batch_input_shape ?? layerConfig.batch_shape) as Dim[] | undefined;
        const input: ValueInfo = {
          name: 'input',
          dtype: dtypeOf(layerConfig.dtype),
          shape: shape?.map((d) => d ?? null),
        };
        graph.inputs.push(input);
        graph.values.set('input', input);
        previous = 'input';
      }
      node.inputs.push(previous);
    } else {
      node.inputs.push(...inboundNames(layer.inbound_nodes ?? []));
    }
    if (containers.has(op)) {
      // a nested model: its own layers form a subgraph
      const sub = layersGraph(layer as LayerConfig, weights);
      node.subgraphs = { model: sub };
      for (const [k, v] of sub.initializers) graph.initializers.set(k, v);
    }
    for (const w of weights.get(name) ?? []) {
      node.inputs.push(w.name);
      graph.initializers.set(w.name, w);
    }
    if (op !== 'InputLayer') graph.nodes.push(node);
    previous = name;
  }
  if (sequential) {
    if (previous) graph.outputs.push({ name: previous });
  } else {
    for (const out of (config.output_layers ?? []) as unknown[]) {
      const n = tensorRef(out);
      if (n) graph.outputs.push({ name: n });
    }
  }
  // a reference to a layer's second output or second call (`lstm_3:0:1`) is an output of that layer's node
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  for (const ref of [...graph.nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.name)]) {
    const producer = nodes.get(ref.replace(/:\d+:\d+$/, ''));
    if (producer && !producer.outputs.includes(ref)) producer.outputs.push(ref);
  }
  return graph;
}

/** Keras 2: [[['dense', 0, 0, {}], ...], ...]; Keras 3: [{args: [{config: {keras_history: [...]}}]}] */
function inboundNames(inbound: unknown[]): string[] {
  const names: string[] = [];
  const visit = (v: unknown) => {
    const ref = tensorRef(v);
    if (ref) names.push(ref);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (isObject(v)) {
      const history = isObject(v.config) ? v.config.keras_history : undefined;
      if (Array.isArray(history)) {
        const r = tensorRef(history);
        if (r) names.push(r);
      } else Object.values(v).forEach(visit);
    }
  };
  inbound.forEach(visit);
  return names;
}

/** ['layer', nodeIndex, tensorIndex, ...] -> 'layer' (or 'layer:node:tensor' past the first) */
function tensorRef(v: unknown): string | undefined {
  if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'number') return undefined;
  const [layer, node, tensor] = v as [string, number, number];
  return node === 0 && !tensor ? layer : `${layer}:${node}:${tensor ?? 0}`;
}

/** scalar config entries as attributes; nested objects by their class_name */
function attributes(config: Record<string, unknown>): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'name' || k === 'layers') continue;
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) out[k] = v as number[];
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v as string[];
    else if (isObject(v) && typeof v.class_name === 'string') out[k] = v.class_name;
    else out[k] = JSON.stringify(v);
  }
  return out;
}

function dtypeOf(v: unknown): ValueInfo['dtype'] {
  if (isObject(v) && isObject(v.config)) return dtypeOf(v.config.name); // Keras 3 DTypePolicy
  return v === 'float32' || v === 'int32' || v === 'float16' || v === 'float64' || v === 'bool'
    ? v
    : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

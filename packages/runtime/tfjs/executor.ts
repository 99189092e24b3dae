/**
 * Runs an ONNX graph with TF.js (cpu backend) through the op table, so TF.js can differentiate it.
 * Weights (and Constant tensors) are read once into TF.js tensors; a model with an op outside the table is
 * refused up front with the names of every missing op. An executor can be made for a part of the graph
 * (the nodes between a layer and the output, for Grad-CAM): only that part's ops and weights are needed.
 */
import * as tf from '@tensorflow/tfjs';
import type { DType, Graph, GraphNode, Model, TensorData } from '@tensorscope/formats/model';
import { InputError } from '../errors';
import { ALL_OUTPUTS, OPS, unsupportedVariant } from './ops';

export function tensorOf(data: TensorData, shape: number[], dtype: DType): tf.Tensor {
  if (Array.isArray(data)) throw new Error('string tensors are not supported');
  if (
    dtype === 'int64' ||
    dtype === 'int32' ||
    dtype === 'int8' ||
    dtype === 'uint8' ||
    dtype === 'int16' ||
    dtype === 'uint16' ||
    dtype === 'uint32'
  )
    return tf.tensor(Int32Array.from(data as ArrayLike<number>, Number), shape, 'int32');
  if (dtype === 'bool') return tf.tensor(Uint8Array.from(data as ArrayLike<number>), shape, 'bool');
  if (data instanceof Float32Array) return tf.tensor(data.slice(), shape, 'float32');
  return tf.tensor(Float32Array.from(data as ArrayLike<number>, Number), shape, 'float32');
}

/** TF.js backends: cpu (plain JavaScript, the reference) or wasm (XNNPACK: several times faster) */
export type Backend = 'cpu' | 'wasm';

export interface ExecutorOptions {
  /** indices of the nodes this executor runs (default: all); only their ops and weights are loaded */
  nodes?: readonly number[];
  /** default cpu; TF.js has one backend at a time for the whole process */
  backend?: Backend;
}

/** Makes `name` TF.js's backend for the process (wasm is loaded on first use). */
export async function useBackend(name: Backend): Promise<void> {
  tf.env().set('PROD', true); // no console banner suggesting tfjs-node, which cannot install here
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (tf.getBackend() !== name) await tf.setBackend(name);
  await tf.ready();
}

/** Runs `fn`; when the wasm backend lacks one of its kernels, runs it again on cpu (the tensors move). */
export async function withCpuFallback<T>(fn: () => T): Promise<T> {
  try {
    return fn();
  } catch (e) {
    if (tf.getBackend() !== 'wasm' || !/^Kernel '\w+' not registered/.test((e as Error)?.message ?? ''))
      throw e;
    await useBackend('cpu');
    return fn();
  }
}

const opName = (n: GraphNode) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.op}` : n.op);

export class TfjsExecutor {
  private constructor(
    readonly graph: Graph,
    private readonly weights: Map<string, tf.Tensor>,
    /** the nodes this executor runs, in graph order */
    readonly nodes: readonly number[],
  ) {}

  /** ops of `graph` (or of its nodes `only`) that the table lacks (nodes of other domains count too) */
  static unsupported(graph: Graph, only?: readonly number[]): string[] {
    const nodes = only ? only.map((i) => graph.nodes[i]) : graph.nodes;
    const missing = nodes.flatMap((n) => {
      if (n.domain && n.domain !== 'ai.onnx') return [opName(n)];
      if (!OPS[n.op]) return [n.op];
      const variant = unsupportedVariant(n);
      if (variant) return [variant];
      // extra outputs (MaxPool Indices, Dropout mask) are not computed
      if (!ALL_OUTPUTS.has(n.op) && n.outputs.slice(1).some(Boolean))
        return [`${n.op} (with ${n.outputs.length} outputs)`];
      return [];
    });
    return [...new Set(missing)].sort();
  }

  static async create(
    model: Model,
    file = 'the model',
    options: ExecutorOptions = {},
  ): Promise<TfjsExecutor> {
    await useBackend(options.backend ?? 'cpu');
    const graph = model.graph;
    if (!graph) throw new InputError(`${file}: has no graph to run`);
    const nodes = options.nodes ? [...options.nodes].sort((a, b) => a - b) : graph.nodes.map((_, i) => i);
    const missing = TfjsExecutor.unsupported(graph, nodes);
    if (missing.length)
      throw new InputError(
        `${file}: the TF.js executor does not support the op${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
      );
    const used = new Set(nodes.flatMap((i) => graph.nodes[i].inputs));
    const weights = new Map<string, tf.Tensor>();
    for (const [name, t] of graph.initializers)
      if (used.has(name)) weights.set(name, tensorOf(await t.read(), t.shape as number[], t.dtype));
    // Constant nodes holding a tensor are weights too (reading it is asynchronous, kernels are not)
    for (const i of nodes) {
      const n = graph.nodes[i];
      const value = n.attributes.value;
      if (n.op === 'Constant' && value && typeof value === 'object' && 'tensor' in value) {
        const t = value.tensor;
        weights.set(n.outputs[0], tensorOf(await t.read(), t.shape as number[], t.dtype));
      }
    }
    return new TfjsExecutor(graph, weights, nodes);
  }

  /**
   * Runs nodes from index `from` on, with `values` already known (feeds, or activations held fixed);
   * returns every value computed. Call inside tf.tidy/tf.grad to manage memory and gradients.
   */
  execute(values: Map<string, tf.Tensor>, from = 0, until = this.graph.nodes.length): Map<string, tf.Tensor> {
    return this.run(
      values,
      this.nodes.filter((i) => i >= from && i < until),
    );
  }

  /** Runs the given nodes (graph indices, in order) with `values` known; returns every value. */
  run(values: Map<string, tf.Tensor>, nodes: readonly number[] = this.nodes): Map<string, tf.Tensor> {
    const env = new Map(this.weights);
    for (const [k, v] of values) env.set(k, v);
    for (const i of nodes) {
      const node = this.graph.nodes[i];
      if (node.op === 'Constant' && this.weights.has(node.outputs[0])) continue;
      const inputs = node.inputs.map((name) => (name ? env.get(name) : undefined));
      const outputs = OPS[node.op](inputs, node);
      node.outputs.forEach((name, k) => {
        if (name && outputs[k]) env.set(name, outputs[k]);
      });
    }
    return env;
  }

  /** index of the node producing `value` */
  producer(value: string): number {
    const i = this.graph.nodes.findIndex((n) => n.outputs.includes(value));
    if (i < 0) throw new InputError(`no node of the model produces ${value}`);
    return i;
  }

  dispose(): void {
    for (const t of this.weights.values()) t.dispose();
  }
}

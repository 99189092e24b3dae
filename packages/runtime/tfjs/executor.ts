/**
 * Runs an ONNX graph with TF.js (cpu backend) through the op table, so TF.js can differentiate it.
 * Weights are read once into TF.js tensors; a model with an op outside the table is refused up front
 * with the names of every missing op.
 */
import * as tf from '@tensorflow/tfjs';
import type { DType, Graph, Model, TensorData } from '@tensorscope/formats/model';
import { InputError } from '../errors';
import { OPS } from './ops';

export function tensorOf(data: TensorData, shape: number[], dtype: DType): tf.Tensor {
  if (Array.isArray(data)) throw new Error('string tensors are not supported');
  if (dtype === 'int64' || dtype === 'int32' || dtype === 'int8' || dtype === 'uint8' || dtype === 'int16')
    return tf.tensor(Int32Array.from(data as ArrayLike<number>, Number), shape, 'int32');
  if (dtype === 'bool') return tf.tensor(Uint8Array.from(data as ArrayLike<number>), shape, 'bool');
  return tf.tensor(Float32Array.from(data as ArrayLike<number>, Number), shape, 'float32');
}

export class TfjsExecutor {
  private constructor(
    readonly graph: Graph,
    private readonly weights: Map<string, tf.Tensor>,
  ) {}

  /** ops of `graph` that the table lacks (nodes of other domains count as unsupported) */
  static unsupported(graph: Graph): string[] {
    const missing = graph.nodes.flatMap((n) => {
      if (n.domain && n.domain !== 'ai.onnx') return [`${n.domain}.${n.op}`];
      if (!OPS[n.op]) return [n.op];
      // extra outputs (MaxPool Indices, Dropout mask) are not computed
      if (n.outputs.slice(1).some(Boolean)) return [`${n.op} (with ${n.outputs.length} outputs)`];
      return [];
    });
    return [...new Set(missing)].sort();
  }

  static async create(model: Model, file = 'the model'): Promise<TfjsExecutor> {
    tf.env().set('PROD', true); // no console banner suggesting tfjs-node, which cannot install here
    await tf.setBackend('cpu');
    const graph = model.graph;
    if (!graph) throw new InputError(`${file}: has no graph to run`);
    const missing = TfjsExecutor.unsupported(graph);
    if (missing.length)
      throw new InputError(
        `${file}: the TF.js executor does not support the op${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
      );
    const weights = new Map<string, tf.Tensor>();
    for (const [name, t] of graph.initializers)
      weights.set(name, tensorOf(await t.read(), t.shape as number[], t.dtype));
    return new TfjsExecutor(graph, weights);
  }

  /**
   * Runs nodes from index `from` on, with `values` already known (feeds, or activations held fixed);
   * returns every value computed. Call inside tf.tidy/tf.grad to manage memory and gradients.
   */
  execute(values: Map<string, tf.Tensor>, from = 0, until = this.graph.nodes.length): Map<string, tf.Tensor> {
    const env = new Map(this.weights);
    for (const [k, v] of values) env.set(k, v);
    for (let i = from; i < until; i++) {
      const node = this.graph.nodes[i];
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

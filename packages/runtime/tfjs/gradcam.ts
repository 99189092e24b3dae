/**
 * Grad-CAM with the forward pass in ONNX Runtime and only the tail in TF.js: ORT runs the whole model
 * once and returns the layer's activation A (plus any value the tail reads that does not depend on A);
 * the TF.js executor runs just the nodes between A and the class scores to get d(score)/dA. For the
 * usual last-conv-layer choice the tail is a pooling and a linear layer, so TF.js does almost nothing.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { NumericArray } from '@tensorscope/analysis/model';
import { float16ToFloat32 } from '@tensorscope/formats/common/tensor-bytes';
import type { DType, Graph, Model } from '@tensorscope/formats/model';
import { fileSource } from '@tensorscope/formats/node-source';
import { openOnnx } from '@tensorscope/formats/onnx';
import { withExtraOutputs } from '@tensorscope/formats/onnx/encode';
import * as ort from 'onnxruntime-node';
import { InputError } from '../errors';
import type { Feed } from '../inputs';
import { type Attribution, camOf, mapOf } from './attribution';
import { type Backend, TfjsExecutor, tensorOf, withCpuFallback } from './executor';

export interface Tail {
  /** indices of the nodes that depend on the layer and lead to the output, in graph order */
  nodes: number[];
  /** values the tail reads that are neither the layer, weights nor computed by the tail */
  frozen: string[];
}

/** The part of `graph` between the value `layer` and the value `output`. */
export function tailOf(graph: Graph, layer: string, output: string): Tail {
  const reached = new Set([layer]);
  const forward: number[] = [];
  graph.nodes.forEach((n, i) => {
    if (n.inputs.some((v) => reached.has(v))) {
      forward.push(i);
      for (const v of n.outputs) if (v) reached.add(v);
    }
  });
  const needed = new Set([output]);
  const nodes: number[] = [];
  for (const i of forward.reverse()) {
    const n = graph.nodes[i];
    if (!n.outputs.some((v) => needed.has(v))) continue;
    nodes.push(i);
    for (const v of n.inputs) if (v) needed.add(v);
  }
  nodes.reverse();
  const made = new Set(nodes.flatMap((i) => graph.nodes[i].outputs));
  const frozen = new Set<string>();
  for (const i of nodes)
    for (const v of graph.nodes[i].inputs)
      if (v && v !== layer && !made.has(v) && !graph.initializers.has(v)) frozen.add(v);
  return { nodes, frozen: [...frozen] };
}

export interface GradCamResult extends Attribution {
  layer: string;
  /** the layer's shape, e.g. [1, 512, 7, 7] */
  layerShape: number[];
}

export interface GradCamOptions {
  /** the class scores; the first graph output by default */
  output?: string;
  /** TF.js backend for the tail (default cpu; wasm is faster for big tails and falls back to cpu) */
  backend?: Backend;
}

/** A value computed by ONNX Runtime (a capture's kept tensor, an ORT output) */
export interface Value {
  data: NumericArray;
  shape: readonly number[];
}

const dtypeOf = (data: NumericArray): DType =>
  data instanceof BigInt64Array || data instanceof Int32Array || data instanceof Int8Array
    ? 'int64'
    : data instanceof Uint8Array
      ? 'bool'
      : 'float32';

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

/**
 * Grad-CAM at one layer of a model from values ONNX Runtime computed: `needs` lists the values to
 * fetch (the layer, the tail's other inputs, the scores); `explain` runs the tail under tf.grad.
 */
export class GradCam {
  private constructor(
    readonly file: string,
    readonly layer: string,
    readonly output: string,
    readonly tail: Tail,
    private readonly exec: TfjsExecutor,
  ) {}

  /** `layer`: a value name of the model; `output`: the class scores (the first graph output by default). */
  static async create(
    model: Model,
    file: string,
    layer: string,
    options: GradCamOptions = {},
  ): Promise<GradCam> {
    const output = options.output;
    const graph = model.graph;
    if (!graph) throw new InputError(`${file}: has no graph to run`);
    const out = output ?? graph.outputs[0]?.name;
    if (!out) throw new InputError(`${file}: has no output to explain`);
    if (!graph.nodes.some((n) => n.outputs.includes(layer)) && !graph.inputs.some((i) => i.name === layer))
      throw new InputError(`${file}: has no tensor named ${layer} for Grad-CAM`);
    const tail = tailOf(graph, layer, out);
    if (!tail.nodes.length)
      throw new InputError(
        `${file}: the output ${out} does not depend on ${layer}, so Grad-CAM cannot use it`,
      );
    const missing = TfjsExecutor.unsupported(graph, tail.nodes);
    if (missing.length)
      throw new InputError(
        `${file}: the TF.js executor does not support the op${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (between ${layer} and the output)`,
      );
    const exec = await TfjsExecutor.create(model, file, { nodes: tail.nodes, backend: options.backend });
    return new GradCam(file, layer, out, tail, exec);
  }

  /** the values `explain` reads */
  get needs(): string[] {
    return [...new Set([this.layer, ...this.tail.frozen, this.output])];
  }

  /** `explain` on the current backend, again on cpu if the wasm backend lacks a kernel the tail needs */
  explainAsync(values: ReadonlyMap<string, Value>, classIndex?: number): Promise<GradCamResult> {
    return withCpuFallback(() => this.explain(values, classIndex));
  }

  /** Grad-CAM of `classIndex` (the top-scoring class by default) from the values ORT computed. */
  explain(values: ReadonlyMap<string, Value>, classIndex?: number): GradCamResult {
    const get = (name: string) => {
      const v = values.get(name);
      if (!v) throw new InputError(`${this.file}: Grad-CAM lacks the value ${name}`);
      return v;
    };
    const scores = get(this.output).data;
    let k = classIndex ?? 0;
    if (classIndex === undefined)
      for (let i = 1; i < scores.length; i++) if (Number(scores[i]) > Number(scores[k])) k = i;
    if (k < 0 || k >= scores.length)
      throw new InputError(`${this.file}: has ${scores.length} classes, so class ${k} does not exist`);
    const tensor = (name: string) => {
      const v = get(name);
      return tensorOf(v.data, [...v.shape], dtypeOf(v.data));
    };
    const frozen = new Map(this.tail.frozen.map((v) => [v, tensor(v)]));
    const a = tensor(this.layer);
    try {
      const map = tf.tidy(() => {
        const score = (act: tf.Tensor) => {
          const y = this.exec.run(new Map([...frozen, [this.layer, act]])).get(this.output);
          if (!y) throw new InputError(`${this.file}: the TF.js executor did not compute ${this.output}`);
          return tf.sum(tf.slice(tf.reshape(y, [-1]), [k], [1]));
        };
        return camOf(a, tf.grad(score)(a), this.layer);
      });
      return { ...mapOf(map), classIndex: k, layer: this.layer, layerShape: a.shape };
    } finally {
      a.dispose();
      for (const t of frozen.values()) t.dispose();
    }
  }

  dispose(): void {
    this.exec.dispose();
  }
}

/** Grad-CAM for a model file: its own ORT session returning only the values Grad-CAM needs. */
export class GradCamSession {
  private constructor(
    readonly cam: GradCam,
    private readonly session: ort.InferenceSession,
  ) {}

  /**
   * `options.model`: the model already opened from `path` (else it is read). The first form,
   * `open(path, layer, output?, model?)`, still works.
   */
  static async open(
    path: string,
    layer: string,
    outputOrOptions?: string | (GradCamOptions & { model?: Model }),
    model?: Model,
  ): Promise<GradCamSession> {
    const options =
      typeof outputOrOptions === 'object' ? outputOrOptions : { output: outputOrOptions, model };
    const file = basename(path);
    const m = options.model ?? (await openOnnx(await fileSource(path)));
    const cam = await GradCam.create(m, file, layer, options);
    const inputs = new Set(m.graph?.inputs.map((i) => i.name));
    try {
      const bytes = new Uint8Array(await readFile(path));
      const extra = cam.needs.filter((v) => !inputs.has(v)).map((name) => ({ name }));
      const session = await ort.InferenceSession.create(
        withExtraOutputs(
          bytes,
          extra,
          (m.graph?.outputs ?? []).map((o) => o.name),
        ),
      );
      return new GradCamSession(cam, session);
    } catch (e) {
      cam.dispose();
      throw new InputError(`${file}: ONNX Runtime cannot load it (${firstLine(e)})`);
    }
  }

  /** Grad-CAM of `classIndex` (the top-scoring class by default) for one input. */
  async run(feeds: Feed[], classIndex?: number): Promise<GradCamResult> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    const values = new Map<string, Value>();
    for (const f of feeds) {
      ortFeeds[f.name] = new ort.Tensor(
        f.dtype === 'bool' ? 'bool' : (f.dtype as 'float32'),
        f.data,
        f.shape,
      );
      values.set(f.name, { data: f.data, shape: f.shape });
    }
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(
        ortFeeds,
        this.cam.needs.filter((v) => !values.has(v)),
      );
    } catch (e) {
      throw new InputError(`${this.cam.file}: ONNX Runtime failed to run it (${firstLine(e)})`);
    }
    for (const [name, t] of Object.entries(out)) {
      const data = t.type === 'float16' ? float16ToFloat32(t.data as Uint16Array) : (t.data as NumericArray);
      values.set(name, { data, shape: t.dims.map(Number) });
    }
    return this.cam.explainAsync(values, classIndex);
  }

  async release(): Promise<void> {
    this.cam.dispose();
    await this.session.release();
  }
}

/**
 * Capture of every intermediate tensor of an ONNX model with ONNX Runtime: the model is rewritten so
 * every node output of the top-level graph is also a graph output (weights are not re-encoded), then
 * run with the outputs fetched in groups that fit a memory budget. Each tensor's statistics are computed
 * while ORT's buffer is alive and the buffer is dropped; full data is kept only for tensors asked for.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { NumericArray } from '@tensorscope/analysis/model';
import { elementSize, float16ToFloat32 } from '@tensorscope/formats/common/tensor-bytes';
import type { Graph, GraphNode, Model, ValueInfo } from '@tensorscope/formats/model';
import { fileSource } from '@tensorscope/formats/node-source';
import { openOnnx } from '@tensorscope/formats/onnx';
import { withExtraOutputs } from '@tensorscope/formats/onnx/encode';
import * as ort from 'onnxruntime-node';
import { type AttentionSummary, isAttention } from './attention';
import { InputError } from './errors';
import type { Feed } from './inputs';
import type { ActivationStats } from './stats';
import { defaultThreads, type PoolJob, StatsPool, type StatsThreads } from './stats-pool';

export interface TensorRecord {
  name: string;
  /** producing node (name, or id when unnamed) and its operator */
  node: string;
  op: string;
  /** position of the producing node in execution (graph) order */
  index: number;
  dtype: string;
  shape: number[];
  /** absent for string tensors */
  stats?: ActivationStats;
  /** for Softmax outputs shaped [..., queries, keys] */
  attention?: AttentionSummary;
}

export interface NotCapturable {
  name: string;
  node: string;
  op: string;
  reason: string;
}

/** Where non-finite values first appeared. */
export type NanOrigin =
  | { kind: 'node'; node: string; op: string; index: number; outputs: string[]; nan: number; inf: number }
  | { kind: 'input' | 'weight'; name: string; node: string; op: string };

export interface CaptureResult {
  feeds: Feed[];
  /** in execution order */
  tensors: TensorRecord[];
  notCapturable: NotCapturable[];
  kept: Map<string, { data: NumericArray; shape: number[] }>;
  nanOrigin?: NanOrigin;
}

export interface CaptureOptions {
  /** tensors whose full data is kept in the result */
  keep?: readonly string[];
  /** sees each tensor while it is alive (feature-map images are drawn here); with it, every tensor is
   * fetched, static ones too */
  onTensor?: (record: TensorRecord, data: NumericArray) => void | Promise<void>;
  /** most bytes of intermediates ORT returns at once (default 512 MiB) */
  maxBytes?: number;
}

const nodeLabel = (n: GraphNode) => n.name || n.id;

/** values of If/Loop/Scan bodies (and deeper) that ORT cannot return */
function bodyValues(node: GraphNode, out: NotCapturable[]): void {
  for (const [attr, sub] of Object.entries(node.subgraphs ?? {})) {
    for (const inner of sub.nodes) {
      for (const name of inner.outputs.filter(Boolean)) {
        out.push({
          name,
          node: nodeLabel(inner),
          op: inner.op,
          reason: `inside the ${attr} body of ${node.op} node ${nodeLabel(node)}: ONNX Runtime returns only values of the top-level graph`,
        });
      }
      bodyValues(inner, out);
    }
  }
}

/** ops whose outputs differ between runs even from constant inputs */
const RANDOM_OPS = new Set([
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
]);

/**
 * Values that depend on no graph input: Constant outputs and whatever is computed from weights alone
 * (the transposed weight matrices of a PyTorch transformer export). Their statistics are the same for
 * every input, so a session captures them on its first run only. Nodes with subgraphs are left out
 * (a body may read outer values it does not list as inputs).
 */
export function staticValues(graph: Graph): Set<string> {
  const fixed = new Set(graph.initializers.keys());
  for (const i of graph.inputs) fixed.delete(i.name); // an initializer listed as input can be fed
  const out = new Set<string>();
  for (const n of graph.nodes) {
    if (RANDOM_OPS.has(n.op) || n.subgraphs || (n.domain && n.domain !== 'ai.onnx')) continue;
    if (n.inputs.every((v) => !v || fixed.has(v)))
      for (const v of n.outputs.filter(Boolean)) {
        fixed.add(v);
        out.add(v);
      }
  }
  return out;
}

const UNKNOWN_SIZE = 1 << 20;

function estimatedBytes(v: ValueInfo | undefined): number {
  if (!v?.shape || !v.dtype || v.dtype === 'string' || v.dtype === 'unknown') return UNKNOWN_SIZE;
  const n = v.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 1), 1);
  return n * elementSize(v.dtype);
}

/** A model opened for capture: one ORT session over the rewritten model, reusable for many inputs. */
export class CaptureSession {
  private constructor(
    readonly file: string,
    readonly model: Model,
    readonly graph: Graph,
    /** the model's real inputs (initializers listed as inputs are left out) */
    readonly inputs: ValueInfo[],
    private readonly session: ort.InferenceSession,
    /** capturable values in execution order, with their producers */
    private readonly values: CapturedValue[],
    readonly notCapturable: NotCapturable[],
    /** values that depend on no input (see staticValues) */
    private readonly fixed: Set<string>,
    /** Relu outputs whose statistics come from the pass over their (captured) input, by input */
    private readonly relus: Map<string, CapturedValue[]>,
    /** the threads that compute the statistics (workers started on first use) */
    private readonly pool: StatsPool,
  ) {
    this.derivable = new Set([...relus.values()].flat().map((v) => v.name));
  }

  /** the Relu outputs in `relus` */
  private readonly derivable: Set<string>;

  /** records of the static values, from this session's first run */
  private readonly fixedRecords = new Map<string, TensorRecord>();

  /** `threads`: who computes the statistics (default: the main thread and one worker on 2+ cores) */
  static async open(path: string, threads: StatsThreads = defaultThreads()): Promise<CaptureSession> {
    const file = basename(path);
    const model = await openOnnx(await fileSource(path));
    const graph = model.graph;
    if (!graph) throw new InputError(`${file}: has no graph to run`);
    if (model.tensors.some((t) => t.location))
      throw new InputError(
        `${file}: keeps its weights in external data files, which capture does not load yet`,
      );
    const values: CapturedValue[] = [];
    const notCapturable: NotCapturable[] = [];
    graph.nodes.forEach((node, index) => {
      for (const name of node.outputs.filter(Boolean)) {
        const info = graph.values.get(name);
        if (info?.type) {
          const reason = `a ${info.type} value, not a tensor`;
          notCapturable.push({ name, node: nodeLabel(node), op: node.op, reason });
        } else values.push({ name, node, index, bytes: estimatedBytes(info) });
      }
      bodyValues(node, notCapturable);
    });
    const bytes = new Uint8Array(await readFile(path));
    const rewritten = withExtraOutputs(
      bytes,
      values.map((v) => ({ name: v.name })),
      graph.outputs.map((o) => o.name),
    );
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(rewritten);
    } catch (e) {
      throw new InputError(`${file}: ONNX Runtime cannot load it (${firstLine(e)})`);
    }
    const inputs = graph.inputs.filter((i) => !graph.initializers.has(i.name));
    const fixed = staticValues(graph);
    return new CaptureSession(
      file,
      model,
      graph,
      inputs,
      session,
      values,
      notCapturable,
      fixed,
      derivedRelus(values, fixed),
      new StatsPool(threads),
    );
  }

  /** Runs the model on `feeds` and returns every capturable tensor's statistics. */
  async run(feeds: Feed[], options: CaptureOptions = {}): Promise<CaptureResult> {
    const maxBytes = options.maxBytes ?? 512 << 20;
    const keep = new Set(options.keep ?? []);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const f of feeds) ortFeeds[f.name] = new ort.Tensor(ortType(f.dtype), f.data, f.shape);
    const tensors: TensorRecord[] = [];
    const kept = new Map<string, { data: NumericArray; shape: number[] }>();
    // static values already captured by this session are not fetched again (unless wanted in full), nor
    // are Relu outputs: their statistics come from the pass over the Relu's input
    const derived = new Map<string, CapturedValue[]>();
    const derive = !options.onTensor;
    const fetch = this.values.filter((v) => {
      if (derive) {
        const relus = this.relus.get(v.name)?.filter((r) => !keep.has(r.name));
        if (relus?.length) derived.set(v.name, relus);
        if (this.derivable.has(v.name) && !keep.has(v.name)) return false;
      }
      const known = this.fixedRecords.get(v.name);
      if (!known || keep.has(v.name) || options.onTensor) return true;
      tensors.push(known);
      return false;
    });
    /** Relus whose input did not take the fused pass (small, not float32, NaN/Inf): fetched after all */
    const refetch: CapturedValue[] = [];
    const record = (v: CapturedValue, dtype: string, shape: number[]): TensorRecord => ({
      name: v.name,
      node: nodeLabel(v.node),
      op: v.node.op,
      index: v.index,
      dtype,
      shape,
    });
    for (let pending = fetch; pending.length; pending = refetch.splice(0))
      for (const group of groups(pending, maxBytes)) {
        let out: ort.InferenceSession.ReturnType;
        try {
          out = await this.session.run(
            ortFeeds,
            group.map((v) => v.name),
          );
        } catch (e) {
          throw new InputError(`${this.file}: ONNX Runtime failed to run it (${firstLine(e)})`);
        }
        // the statistics of the whole group at once, split between threads; then the records in order
        const fetched = group.map((v) => {
          const t = out[v.name];
          return { v, t, shape: t.dims.map(Number), data: numeric(t) };
        });
        const jobs: PoolJob[] = [];
        for (const { v, data, shape } of fetched)
          if (data)
            jobs.push({
              data,
              shape,
              op: v.node.op,
              relu: derived.has(v.name),
              attention: isAttention(v.node, shape),
              back: !!options.onTensor || keep.has(v.name),
            });
        const results = await this.pool.run(jobs);
        let next = 0;
        for (const { v, t, shape, data } of fetched) {
          const rec = record(v, t.type, shape);
          if (data) {
            const both = results[next++];
            const alive = both.data ?? data;
            rec.stats = both.stats;
            for (const r of derived.get(v.name) ?? []) {
              if (both.relu) tensors.push({ ...record(r, t.type, shape), stats: { ...both.relu } });
              else refetch.push(r);
            }
            if (both.attention) rec.attention = both.attention;
            await options.onTensor?.(rec, alive);
            if (keep.has(v.name)) kept.set(v.name, { data: alive.slice(), shape });
          } else refetch.push(...(derived.get(v.name) ?? []));
          tensors.push(rec);
          if (this.fixed.has(v.name)) this.fixedRecords.set(v.name, rec);
          t.dispose();
        }
      }
    tensors.sort((a, b) => a.index - b.index);
    const result: CaptureResult = { feeds, tensors, notCapturable: this.notCapturable, kept };
    result.nanOrigin = await nanOrigin(this.graph, feeds, tensors);
    return result;
  }

  /** Starts the statistics workers and resolves once they have loaded: runs before that keep the
   * statistics on the main thread (one-shot runs never wait for a worker). */
  async statsThreadsLoaded(): Promise<void> {
    await this.pool.loaded();
  }

  async release(): Promise<void> {
    await this.pool.close();
    await this.session.release();
  }
}

interface CapturedValue {
  name: string;
  node: GraphNode;
  index: number;
  bytes: number;
}

/**
 * Relu outputs whose statistics follow from one pass over their input (captured anyway): by input name.
 * Static values are left out (their inputs are not fetched after the first run).
 */
function derivedRelus(values: CapturedValue[], fixed: Set<string>): Map<string, CapturedValue[]> {
  const captured = new Set(values.map((v) => v.name));
  const derived = new Set<string>(); // not fetched, so no Relu can be derived from them in turn
  const out = new Map<string, CapturedValue[]>();
  for (const v of values) {
    const input = v.node.inputs[0];
    const plain = !v.node.domain || v.node.domain === 'ai.onnx';
    if (v.node.op !== 'Relu' || !plain || !input || !captured.has(input) || fixed.has(input)) continue;
    if (derived.has(input)) continue;
    out.set(input, [...(out.get(input) ?? []), v]);
    derived.add(v.name);
  }
  return out;
}

function* groups<T extends { bytes: number }>(values: T[], maxBytes: number): Generator<T[]> {
  let group: T[] = [];
  let bytes = 0;
  for (const v of values) {
    if (group.length && bytes + v.bytes > maxBytes) {
      yield group;
      group = [];
      bytes = 0;
    }
    group.push(v);
    bytes += v.bytes;
  }
  if (group.length) yield group;
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

function ortType(dtype: string): ort.Tensor.Type {
  return dtype === 'bool' ? 'bool' : (dtype as ort.Tensor.Type);
}

/** ORT's data as numbers (float16 widened); undefined for strings */
function numeric(t: ort.Tensor): NumericArray | undefined {
  if (t.type === 'string') return undefined;
  if (t.type === 'float16') return float16ToFloat32(t.data as Uint16Array);
  return t.data as NumericArray;
}

function finite(data: ArrayLike<number | bigint>): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(Number(data[i]))) return false;
  return true;
}

/**
 * The first node, in execution order, whose outputs hold NaN/Inf while its inputs are finite; when the
 * first non-finite node already reads non-finite values, the input or weight they came from.
 */
async function nanOrigin(
  graph: Graph,
  feeds: Feed[],
  tensors: TensorRecord[],
): Promise<NanOrigin | undefined> {
  const bad = (t: TensorRecord | undefined) => !!t?.stats && t.stats.nan + t.stats.inf > 0;
  const first = tensors.find(bad);
  if (!first) return undefined;
  const node = graph.nodes[first.index];
  for (const name of node.inputs.filter(Boolean)) {
    const feed = feeds.find((f) => f.name === name);
    if (feed && !finite(feed.data)) return { kind: 'input', name, node: first.node, op: first.op };
    const weight = graph.initializers.get(name);
    if (weight) {
      const data = await weight.read();
      if (!Array.isArray(data) && !finite(data))
        return { kind: 'weight', name, node: first.node, op: first.op };
    }
  }
  const outputs = tensors.filter((t) => t.index === first.index && bad(t));
  return {
    kind: 'node',
    node: first.node,
    op: first.op,
    index: first.index,
    outputs: outputs.map((t) => t.name),
    nan: outputs.reduce((s, t) => s + (t.stats?.nan ?? 0), 0),
    inf: outputs.reduce((s, t) => s + (t.stats?.inf ?? 0), 0),
  };
}

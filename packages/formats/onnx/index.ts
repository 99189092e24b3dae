/**
 * ONNX models (.onnx): graph, subgraphs, functions, value_info and initializers; weights stay in the
 * file (or its external data files) until read.
 */

import { numel } from '../common/tensor-bytes';
import {
  type Graph,
  type Model,
  ModelError,
  type ModelFormat,
  type ModelSource,
  type TensorInfo,
} from '../model';
import { ProtoError, ProtoReader } from '../proto';
import { decodeModelProto } from './decode';
import { inferShapes } from './shapes';
import { readSkeleton } from './skeleton';

/** ModelProto fields that may follow ir_version (field 1) at the start of a file */
const SECOND_TAGS = new Set([0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72, 0xca]);

function looksLikeModelProto(head: Uint8Array): boolean {
  if (head[0] !== 0x08 || head[1] === 0 || head[1] > 0x20) return false;
  if (!SECOND_TAGS.has(head[2])) return false;
  // opset_import right away: its body starts with domain (0x0a) or version (0x10), unlike a tensor's name
  return head[2] !== 0x42 || head[4] === 0x0a || head[4] === 0x10;
}

export const onnx: ModelFormat = {
  id: 'onnx',
  detect(source, head) {
    return /\.onnx$/i.test(source.name) || looksLikeModelProto(head);
  },
  open: openOnnx,
};

/** Every initializer of a graph and of its subgraphs, outer graph first. */
function allInitializers(g: Graph, out: TensorInfo[] = []): TensorInfo[] {
  out.push(...g.initializers.values());
  for (const n of g.nodes) for (const sub of Object.values(n.subgraphs ?? {})) allInitializers(sub, out);
  return out;
}

/** weight input -> (scale input, zero-point input) of the ops that dequantize stored weights */
const quantizedInputs: Record<string, [number, number, number][]> = {
  DequantizeLinear: [[0, 1, 2]],
  QLinearConv: [[3, 4, 5]],
  QLinearMatMul: [
    [0, 1, 2],
    [3, 4, 5],
  ],
};

/** Sets `quantization` on initializers dequantized per tensor (one scale, one zero point). */
async function attachQuantization(g: Graph): Promise<void> {
  const scalar = async (name: string | undefined) => {
    const t = name ? g.initializers.get(name) : undefined;
    if (!t || numel(t.shape) !== 1) return undefined;
    const v = await t.read();
    return Array.isArray(v) ? undefined : Number(v[0]);
  };
  for (const n of g.nodes) {
    for (const [w, s, z] of quantizedInputs[n.op] ?? []) {
      const weight = g.initializers.get(n.inputs[w]);
      const scale = weight && (await scalar(n.inputs[s]));
      if (!weight || scale === undefined) continue;
      weight.quantization = { scale, zeroPoint: (await scalar(n.inputs[z])) ?? 0, dtype: weight.dtype };
    }
  }
}

export async function openOnnx(source: ModelSource): Promise<Model> {
  if (source.size === 0) throw new ModelError(source.name, 'is empty');
  const ctx = { file: source.name, source };
  let decoded: ReturnType<typeof decodeModelProto>;
  try {
    decoded = decodeModelProto(new ProtoReader(await readSkeleton(source)), ctx);
  } catch (err) {
    if (!(err instanceof ProtoError)) throw err;
    throw new ModelError(source.name, `is not a valid ONNX model: ${err.message}`);
  }
  const { graph } = decoded;
  if (!graph || !decoded.irVersion) {
    throw new ModelError(
      source.name,
      `is not an ONNX model (it has no ${decoded.irVersion ? 'graph' : 'ir_version'})`,
    );
  }
  const opset = decoded.opsetImports[''] ?? (decoded.irVersion <= 2 ? 1 : undefined);
  await inferShapes(graph, opset ?? 1);
  await attachQuantization(graph);
  const model: Model = {
    format: 'onnx',
    metadata: decoded.metadata,
    graph,
    tensors: allInitializers(graph),
    opsetImports: decoded.opsetImports,
    functions: decoded.functions,
  };
  if (decoded.producer) model.producer = decoded.producer;
  if (opset !== undefined) model.opset = opset;
  return model;
}

/**
 * Multiply-accumulates per node for the ops that dominate compute: Conv, ConvTranspose, Gemm, MatMul,
 * attention (ONNX Attention, com.microsoft Attention / MultiHeadAttention) and recurrent layers, and
 * TensorFlow's MatMul, Conv2D/3D and DepthwiseConv2dNative (GraphDef).
 * FLOPs = 2 x MACs. Symbolic dimensions (a `batch` axis) and an unknown leading dimension count as 1,
 * so figures are per item.
 */
import type { Dim, Graph, GraphNode } from '@tensorscope/formats/model';

function dims(graph: Graph, name: string | undefined): number[] | undefined {
  const shape = name ? graph.values.get(name)?.shape : undefined;
  if (!shape) return undefined;
  // symbolic dims and an unknown leading (batch) dim count as 1; any other unknown dim makes it unknown
  const out = shape.map((d: Dim, i) =>
    typeof d === 'number' ? d : typeof d === 'string' || i === 0 ? 1 : Number.NaN,
  );
  return out.every((d) => d >= 0) ? out : undefined;
}

const prod = (xs: number[]) => xs.reduce((p, x) => p * x, 1);

function attr(node: GraphNode, name: string, dflt: number): number {
  const v = node.attributes[name];
  return typeof v === 'number' ? v : dflt;
}

/** MACs of one node, or undefined when the op is not counted or shapes are unknown. */
export function nodeMacs(node: GraphNode, graph: Graph): number | undefined {
  const shape = (i: number) => dims(graph, node.inputs[i]);
  const out = dims(graph, node.outputs[0]);
  switch (node.op) {
    case 'Conv':
    case 'ConvInteger': {
      const w = shape(1);
      return out && w ? prod(out) * prod(w.slice(1)) : undefined;
    }
    case 'QLinearConv': {
      const w = shape(3);
      return out && w ? prod(out) * prod(w.slice(1)) : undefined;
    }
    case 'ConvTranspose': {
      const x = shape(0);
      const w = shape(1);
      return x && w ? prod(x) * prod(w.slice(1)) : undefined;
    }
    case 'Gemm': {
      const a = shape(0);
      if (!a || !out || a.length !== 2) return undefined;
      return prod(out) * (attr(node, 'transA', 0) ? a[0] : a[1]);
    }
    case 'MatMul':
    case 'BatchMatMulV2':
    case 'MatMulInteger':
    case 'QLinearMatMul': {
      const a = shape(0);
      if (!a || !out) return undefined;
      // TensorFlow's MatMul may transpose its first input
      const transposed = node.attributes.transpose_a === true || node.attributes.adj_x === true;
      return prod(out) * (transposed ? a[a.length - 2] : a[a.length - 1]);
    }
    case 'Conv2D':
    case 'Conv3D': {
      // TensorFlow filters are [k..., in, out]: every output element reads k x in inputs
      const w = shape(1);
      return out && w ? prod(out) * prod(w.slice(0, -1)) : undefined;
    }
    case 'DepthwiseConv2dNative': {
      const w = shape(1);
      return out && w ? prod(out) * prod(w.slice(0, -2)) : undefined;
    }
    case 'Attention':
    case 'MultiHeadAttention': {
      const q = shape(0);
      const k = shape(1);
      const v = shape(2);
      if (!q || !k || !v) return undefined;
      if (q.length === 4) {
        // [batch, heads, seq, head_size]: Q.K^T then softmax(.).V
        const [b, h, sq, d] = q;
        return b * h * sq * k[2] * (d + v[3]);
      }
      const [b, sq, hidden] = q;
      const vHidden = v[v.length - 1];
      const heads = attr(node, 'q_num_heads', attr(node, 'num_heads', 1));
      const kvHeads = attr(node, 'kv_num_heads', heads);
      return b * sq * k[1] * (hidden + (vHidden / kvHeads) * heads);
    }
    case 'LSTM':
    case 'GRU':
    case 'RNN': {
      const x = shape(0);
      const hidden = attr(node, 'hidden_size', 0);
      if (!x || !hidden) return undefined;
      const gates = node.op === 'LSTM' ? 4 : node.op === 'GRU' ? 3 : 1;
      const dirs = node.attributes.direction === 'bidirectional' ? 2 : 1;
      const [seq, batch, input] = attr(node, 'layout', 0) ? [x[1], x[0], x[2]] : x;
      return seq * batch * dirs * gates * hidden * (input + hidden);
    }
    default:
      return undefined;
  }
}

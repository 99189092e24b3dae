/**
 * ONNX operators as TF.js ops, one table entry per op (TF.js style), so gradients come from TF.js.
 * Tensors stay in ONNX layout (NCHW); spatial ops transpose to TF.js's NHWC and back.
 */
import * as tf from '@tensorflow/tfjs';
import type { AttrValue, GraphNode } from '@tensorscope/formats/model';

export type OpKernel = (inputs: (tf.Tensor | undefined)[], node: GraphNode) => tf.Tensor[];

const attr = <T extends AttrValue>(node: GraphNode, name: string, fallback: T): T =>
  (node.attributes[name] ?? fallback) as T;

/** the integers of a small constant input (shapes, axes) */
const ints = (t: tf.Tensor | undefined): number[] => (t ? Array.from(t.dataSync(), Number) : []);

const need = (t: tf.Tensor | undefined, node: GraphNode, i: number): tf.Tensor => {
  if (!t) throw new Error(`${node.op} node ${node.name || node.id} lacks its input ${i}`);
  return t;
};

const unary =
  (f: (x: tf.Tensor) => tf.Tensor): OpKernel =>
  ([x], node) => [f(need(x, node, 0))];
const binary =
  (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpKernel =>
  ([a, b], node) => [f(need(a, node, 0), need(b, node, 1))];

const toNhwc = (x: tf.Tensor) => tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
const toNchw = (x: tf.Tensor) => tf.transpose(x, [0, 3, 1, 2]);

type Padding = 'valid' | 'same' | [[0, 0], [number, number], [number, number], [0, 0]];

/** ONNX pads [top, left, bottom, right] / auto_pad as TF.js NHWC padding, for input x and a k-sized window */
function padding(node: GraphNode, x: tf.Tensor, k: number[]): Padding {
  const auto = attr<string>(node, 'auto_pad', 'NOTSET');
  if (auto === 'VALID') return 'valid';
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const strides = attr<number[]>(node, 'strides', [1, 1]);
    const dilations = attr<number[]>(node, 'dilations', [1, 1]);
    const p = [0, 1].map((d) => {
      const size = x.shape[2 + d];
      const total = Math.max(
        0,
        (Math.ceil(size / strides[d]) - 1) * strides[d] + (k[d] - 1) * dilations[d] + 1 - size,
      );
      const small = Math.floor(total / 2);
      return auto === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    }) as [number, number][];
    return [[0, 0], p[0], p[1], [0, 0]];
  }
  const p = attr<number[]>(node, 'pads', [0, 0, 0, 0]);
  return [
    [0, 0],
    [p[0], p[2]],
    [p[1], p[3]],
    [0, 0],
  ];
}

function check2d(node: GraphNode, x: tf.Tensor): void {
  if (x.rank !== 4)
    throw new Error(`${node.op} node ${node.name || node.id}: only 2-D (rank 4) inputs are supported`);
  if (attr<number[]>(node, 'dilations', [1, 1]).some((d) => d !== 1) && node.op !== 'Conv')
    throw new Error(`${node.op} with dilations is not supported`);
  if (attr(node, 'ceil_mode', 0)) throw new Error(`${node.op} with ceil_mode is not supported`);
}

const conv: OpKernel = ([x0, w0, b], node) => {
  const x = need(x0, node, 0);
  const w = need(w0, node, 1);
  check2d(node, x);
  const group = attr(node, 'group', 1);
  const strides = attr<number[]>(node, 'strides', [1, 1]) as [number, number];
  const dilations = attr<number[]>(node, 'dilations', [1, 1]) as [number, number];
  const pad = padding(node, x, w.shape.slice(2));
  let y: tf.Tensor4D;
  if (group === 1) {
    const filter = tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D; // [out, in, kh, kw] -> [kh, kw, in, out]
    y = tf.conv2d(toNhwc(x), filter, strides, pad, 'NHWC', dilations);
  } else if (group === x.shape[1] && w.shape[1] === 1) {
    // depthwise: [C*m, 1, kh, kw] -> [kh, kw, C, m]
    const [out, , kh, kw] = w.shape as number[];
    const c = group;
    const filter = tf.transpose(tf.reshape(w, [c, out / c, kh, kw]), [2, 3, 0, 1]) as tf.Tensor4D;
    y = tf.depthwiseConv2d(toNhwc(x), filter, strides, pad, 'NHWC', dilations);
  } else throw new Error(`Conv with group ${group} (neither 1 nor depthwise) is not supported`);
  let out = toNchw(y);
  if (b) out = tf.add(out, tf.reshape(b, [1, -1, 1, 1]));
  return [out];
};

const pool =
  (kind: 'max' | 'avg'): OpKernel =>
  ([x0], node) => {
    const x = need(x0, node, 0);
    check2d(node, x);
    const k = attr<number[]>(node, 'kernel_shape', []) as [number, number];
    const strides = attr<number[]>(node, 'strides', [1, 1]) as [number, number];
    const pad = padding(node, x, k);
    if (
      kind === 'avg' &&
      Array.isArray(pad) &&
      pad.flat().some(Boolean) &&
      !attr(node, 'count_include_pad', 0)
    ) {
      // ONNX averages only the real elements: the sum over the window divided by the count of real elements
      const sum = tf.mul(
        tf.avgPool(toNhwc(tf.pad(x, [[0, 0], [0, 0], pad[1], pad[2]])), k, strides, 'valid'),
        k[0] * k[1],
      );
      const ones = tf.pad(tf.onesLike(x), [[0, 0], [0, 0], pad[1], pad[2]]);
      const count = tf.mul(tf.avgPool(toNhwc(ones), k, strides, 'valid'), k[0] * k[1]);
      return [toNchw(tf.div(sum, count))];
    }
    const explicitPad = Array.isArray(pad)
      ? tf.pad(x, [[0, 0], [0, 0], pad[1], pad[2]], kind === 'max' ? -3.4e38 : 0)
      : x;
    const p = Array.isArray(pad) ? 'valid' : pad;
    const f = kind === 'max' ? tf.maxPool : tf.avgPool;
    return [toNchw(f(toNhwc(explicitPad), k, strides, p))];
  };

const gemm: OpKernel = ([a0, b0, c], node) => {
  const alpha = attr(node, 'alpha', 1);
  const beta = attr(node, 'beta', 1);
  let y = tf.matMul(
    need(a0, node, 0),
    need(b0, node, 1),
    !!attr(node, 'transA', 0),
    !!attr(node, 'transB', 0),
  );
  if (alpha !== 1) y = tf.mul(y, alpha);
  if (c) y = tf.add(y, beta === 1 ? c : tf.mul(c, beta));
  return [y];
};

/** numpy-style matmul: batch dimensions broadcast */
const matmul = binary((a, b) => {
  if (a.rank <= 2 && b.rank <= 2) return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  return tf.matMul(a, b);
});

const batchNorm: OpKernel = ([x, scale, bias, mean, variance], node) => {
  const shape = [1, -1, ...new Array(need(x, node, 0).rank - 2).fill(1)];
  const r = (t: tf.Tensor | undefined, i: number) => tf.reshape(need(t, node, i), shape);
  const eps = attr(node, 'epsilon', 1e-5);
  const inv = tf.rsqrt(tf.add(r(variance, 4), eps));
  return [tf.add(tf.mul(tf.mul(tf.sub(x!, r(mean, 3)), inv), r(scale, 1)), r(bias, 2))];
};

const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

const softmax: OpKernel = ([x0], node) => {
  const x = need(x0, node, 0);
  const axis = axisOf(attr(node, 'axis', -1), x.rank);
  if (axis === x.rank - 1) return [tf.softmax(x)];
  const perm = [...Array(x.rank).keys()];
  [perm[axis], perm[x.rank - 1]] = [perm[x.rank - 1], perm[axis]];
  return [tf.transpose(tf.softmax(tf.transpose(x, perm)), perm)];
};

const flatten: OpKernel = ([x0], node) => {
  const x = need(x0, node, 0);
  const axis = axisOf(attr(node, 'axis', 1), x.rank);
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  return [tf.reshape(x, [outer, -1])];
};

const reshape: OpKernel = ([x0, s], node) => {
  const x = need(x0, node, 0);
  const allowZero = attr(node, 'allowzero', 0);
  const shape = ints(s).map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
  return [tf.reshape(x, shape)];
};

const transpose: OpKernel = ([x0], node) => {
  const x = need(x0, node, 0);
  const perm = attr<number[]>(node, 'perm', [...Array(x.rank).keys()].reverse());
  return [tf.transpose(x, perm)];
};

/** axes from the attribute (opset < 13) or the second input */
const axesOf = (node: GraphNode, input: tf.Tensor | undefined) =>
  node.attributes.axes !== undefined ? (node.attributes.axes as number[]) : ints(input);

const squeeze: OpKernel = ([x0, a], node) => {
  const x = need(x0, node, 0);
  const axes = axesOf(node, a).map((d) => axisOf(d, x.rank));
  return [axes.length ? tf.squeeze(x, axes) : tf.squeeze(x)];
};

const unsqueeze: OpKernel = ([x0, a], node) => {
  const x = need(x0, node, 0);
  const rank = x.rank + axesOf(node, a).length;
  const axes = axesOf(node, a)
    .map((d) => axisOf(d, rank))
    .sort((p, q) => p - q);
  const shape = [...x.shape];
  for (const d of axes) shape.splice(d, 0, 1);
  return [tf.reshape(x, shape)];
};

const concat: OpKernel = (xs, node) => {
  const ts = xs.filter((t): t is tf.Tensor => !!t);
  return [tf.concat(ts, axisOf(attr(node, 'axis', 0), ts[0].rank))];
};

/** Constant with a scalar or list attribute (a `value` tensor is read up front by the executor) */
const constant: OpKernel = (_, node) => {
  const a = node.attributes;
  if (typeof a.value_float === 'number') return [tf.scalar(a.value_float)];
  if (typeof a.value_int === 'number') return [tf.scalar(a.value_int, 'int32')];
  if (Array.isArray(a.value_floats)) return [tf.tensor1d(a.value_floats as number[])];
  if (Array.isArray(a.value_ints)) return [tf.tensor1d(a.value_ints as number[], 'int32')];
  throw new Error(`Constant node ${node.name || node.id}: only numeric constants are supported`);
};

/** the dims of x from `start` to `end` (opset 15 attributes), as int32 (ONNX: int64) */
const shape: OpKernel = ([x0], node) => {
  const dims = need(x0, node, 0).shape;
  const r = dims.length;
  const clamp = (d: number) => Math.min(r, Math.max(0, d < 0 ? d + r : d));
  const start = clamp(attr(node, 'start', 0));
  const end = clamp(attr(node, 'end', r));
  return [tf.tensor1d(dims.slice(start, end), 'int32')];
};

const gather: OpKernel = ([x0, i0], node) => {
  const x = need(x0, node, 0);
  const axis = axisOf(attr(node, 'axis', 0), x.rank);
  const indices = need(i0, node, 1);
  // negative indices count from the end
  const fixed = tf.tidy(() =>
    tf.cast(tf.where(tf.less(indices, 0), tf.add(indices, x.shape[axis]), indices), 'int32'),
  );
  return [tf.gather(x, fixed, axis)];
};

/**
 * Slice (opset >= 10): starts, ends, axes, steps as inputs; out-of-range bounds clamp as in numpy. Step 1
 * is tf.slice; other steps gather the indices (TF.js has no gradient for stridedSlice).
 */
const slice: OpKernel = ([x0, s, e, a, st], node) => {
  const x = need(x0, node, 0);
  const starts = ints(s);
  const ends = ints(e);
  const axes = a ? ints(a).map((d) => axisOf(d, x.rank)) : starts.map((_, i) => i);
  const steps = st ? ints(st) : starts.map(() => 1);
  const begin = new Array(x.rank).fill(0);
  const size = [...x.shape];
  const strided: [number, number[]][] = [];
  axes.forEach((ax, i) => {
    const dim = x.shape[ax];
    const step = steps[i];
    const norm = (v: number) => (v < 0 ? v + dim : v);
    if (step === 1) {
      begin[ax] = Math.min(dim, Math.max(0, norm(starts[i])));
      size[ax] = Math.max(0, Math.min(dim, Math.max(0, norm(ends[i]))) - begin[ax]);
      return;
    }
    const lo = step > 0 ? 0 : -1;
    const hi = step > 0 ? dim : dim - 1;
    const from = Math.min(hi, Math.max(lo, norm(starts[i])));
    const to = Math.min(hi, Math.max(lo, norm(ends[i])));
    const picked: number[] = [];
    for (let k = from; step > 0 ? k < to : k > to; k += step) picked.push(k);
    strided.push([ax, picked]);
  });
  let y = tf.slice(x, begin, size);
  for (const [ax, picked] of strided) y = tf.gather(y, tf.tensor1d(picked, 'int32'), ax);
  return [y];
};

const where: OpKernel = ([c, a, b], node) => {
  const cond = need(c, node, 0);
  const x = need(a, node, 1);
  const y = need(b, node, 2);
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(
    tf.broadcast_util.assertAndGetBroadcastShape(cond.shape, x.shape),
    y.shape,
  );
  return [tf.where(tf.broadcastTo(cond, shape), tf.broadcastTo(x, shape), tf.broadcastTo(y, shape))];
};

/** Expand: numpy broadcasting of x against the shape input (which may have a smaller rank or 1s) */
const expand: OpKernel = ([x0, s], node) => {
  const x = need(x0, node, 0);
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(x.shape, ints(s));
  return [tf.broadcastTo(x, shape)];
};

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const gelu: OpKernel = ([x0], node) => {
  const x = need(x0, node, 0);
  if (attr<string>(node, 'approximate', 'none') === 'tanh') {
    const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), SQRT_2_OVER_PI);
    return [tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1))];
  }
  return [tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.div(x, Math.SQRT2)), 1))];
};

/** LayerNormalization over the axes from `axis` on; also its Mean and InvStdDev outputs */
const layerNorm: OpKernel = ([x0, scale, bias], node) => {
  const x = need(x0, node, 0);
  const axis = axisOf(attr(node, 'axis', -1), x.rank);
  const axes = [...Array(x.rank - axis).keys()].map((k) => k + axis);
  const mean = tf.mean(x, axes, true);
  const centered = tf.sub(x, mean);
  const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), axes, true), attr(node, 'epsilon', 1e-5)));
  let y = tf.mul(tf.mul(centered, invStd), need(scale, node, 1));
  if (bias) y = tf.add(y, bias);
  return [y, mean, invStd];
};

/** InstanceNormalization: each (item, channel) normalized over its spatial positions */
const instanceNorm: OpKernel = ([x0, scale, bias], node) => {
  const x = need(x0, node, 0);
  const axes = [...Array(x.rank - 2).keys()].map((k) => k + 2);
  const perChannel = [1, -1, ...axes.map(() => 1)];
  const { mean, variance } = tf.moments(x, axes, true);
  const inv = tf.rsqrt(tf.add(variance, attr(node, 'epsilon', 1e-5)));
  const y = tf.mul(tf.mul(tf.sub(x, mean), inv), tf.reshape(need(scale, node, 1), perChannel));
  return [tf.add(y, tf.reshape(need(bias, node, 2), perChannel))];
};

/** ReduceSum/Mean/Max: axes from the attribute or (opset 13 Sum, 18 others) the second input */
const reduce =
  (f: (x: tf.Tensor, axes: number[] | undefined, keep: boolean) => tf.Tensor): OpKernel =>
  ([x0, a], node) => {
    const x = need(x0, node, 0);
    const axes = axesOf(node, a).map((d) => axisOf(d, x.rank));
    if (!axes.length && attr(node, 'noop_with_empty_axes', 0)) return [x];
    return [f(x, axes.length ? axes : undefined, !!attr(node, 'keepdims', 1))];
  };

/** ONNX TensorProto element types and what TF.js holds them as (float16 has no TF.js type) */
const CAST_TO: Record<number, 'float32' | 'int32' | 'bool'> = {
  1: 'float32',
  11: 'float32',
  2: 'int32',
  3: 'int32',
  4: 'int32',
  5: 'int32',
  6: 'int32',
  7: 'int32',
  12: 'int32',
  9: 'bool',
};
const castTo = (node: GraphNode) => CAST_TO[attr(node, 'to', 0)];
const cast: OpKernel = ([x0], node) => {
  const x = need(x0, node, 0);
  const to = castTo(node);
  if (to === 'int32' && x.dtype === 'float32')
    return [tf.cast(tf.mul(tf.sign(x), tf.floor(tf.abs(x))), 'int32')];
  return [tf.cast(x, to)];
};

/** Clip with min/max inputs (opset >= 11) or attributes (older) */
const clip: OpKernel = ([x0, lo, hi], node) => {
  const x = need(x0, node, 0);
  const bound = (t: tf.Tensor | undefined, name: string, fallback: number) =>
    t ? t.dataSync()[0] : attr(node, name, fallback);
  return [
    tf.clipByValue(x, bound(lo, 'min', -3.4028234663852886e38), bound(hi, 'max', 3.4028234663852886e38)),
  ];
};

const range: OpKernel = ([a, b, c], node) => {
  const [start, limit, delta] = [a, b, c].map((t, i) => need(t, node, i).dataSync()[0]);
  return [tf.range(start, limit, delta, need(a, node, 0).dtype === 'int32' ? 'int32' : 'float32')];
};

/** The op table: one entry per supported ONNX operator (default domain). */
export const OPS: Record<string, OpKernel> = {
  Add: binary(tf.add),
  Sub: binary(tf.sub),
  Mul: binary(tf.mul),
  Div: binary(tf.div),
  Pow: binary(tf.pow),
  Relu: unary(tf.relu),
  Sigmoid: unary(tf.sigmoid),
  Tanh: unary(tf.tanh),
  Exp: unary(tf.exp),
  Sqrt: unary(tf.sqrt),
  Erf: unary(tf.erf),
  LeakyRelu: ([x], node) => [tf.leakyRelu(need(x, node, 0), attr(node, 'alpha', 0.01))],
  Identity: ([x], node) => [need(x, node, 0)],
  Dropout: ([x], node) => [need(x, node, 0)],
  Flatten: flatten,
  Reshape: reshape,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Gemm: gemm,
  MatMul: matmul,
  Conv: conv,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: unary((x) => tf.mean(x, [2, 3], true)),
  BatchNormalization: batchNorm,
  Softmax: softmax,
  Constant: constant,
  Shape: shape,
  Size: ([x], node) => [tf.scalar(need(x, node, 0).size, 'int32')],
  Gather: gather,
  Slice: slice,
  Where: where,
  Expand: expand,
  Gelu: gelu,
  LayerNormalization: layerNorm,
  InstanceNormalization: instanceNorm,
  ReduceSum: reduce((x, axes, keep) => tf.sum(x, axes, keep)),
  ReduceMean: reduce((x, axes, keep) => tf.mean(x, axes, keep)),
  ReduceMax: reduce((x, axes, keep) => tf.max(x, axes, keep)),
  Cast: cast,
  Clip: clip,
  HardSwish: unary((x) => tf.mul(x, tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1))),
  Range: range,
};

/** ops whose kernels compute every output (the others compute only the first) */
export const ALL_OUTPUTS = new Set(['LayerNormalization']);

/** why the table cannot run this particular node (a variant TF.js lacks), if it cannot */
export function unsupportedVariant(node: GraphNode): string | undefined {
  if (node.op === 'Cast' && !castTo(node)) return `Cast to element type ${attr(node, 'to', 0)}`;
  return undefined;
}

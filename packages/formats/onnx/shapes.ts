/**
 * Shape inference for common ONNX ops, for values the file gives no value_info for.
 * One rule per op (TF.js-style table). Small integer constants (Shape -> Gather -> Concat -> Reshape
 * chains) are folded so reshapes after them get shapes too. Results are marked `inferred: true`.
 */
import type { AttrValue, Dim, DType, Graph, GraphNode, TensorData, ValueInfo } from '../model';

type Shape = Dim[];
interface Out {
  shape?: Shape;
  dtype?: DType;
}

interface Ctx {
  node: GraphNode;
  shapes: (Shape | undefined)[];
  dtypes: (DType | undefined)[];
  consts: (number[] | undefined)[];
  opset: number;
}

const MAX_CONST = 64;

function attr(n: GraphNode, name: string): AttrValue | undefined {
  return n.attributes[name];
}
function int(n: GraphNode, name: string, dflt: number): number {
  const v = attr(n, name);
  return typeof v === 'number' ? v : dflt;
}
function ints(n: GraphNode, name: string): number[] | undefined {
  const v = attr(n, name);
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
}
function str(n: GraphNode, name: string, dflt: string): string {
  const v = attr(n, name);
  return typeof v === 'string' ? v : dflt;
}
const known = (d: Dim | undefined): d is number => typeof d === 'number' && d >= 0;
const axisOf = (a: number, rank: number) => (a < 0 ? a + rank : a);
const product = (s: Shape) => s.reduce<Dim>((p, d) => (known(p) && known(d) ? p * d : null), 1);

function broadcast(shapes: (Shape | undefined)[]): Shape | undefined {
  if (shapes.some((s) => !s)) return undefined;
  const rank = Math.max(...shapes.map((s) => s!.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes as Shape[]) {
      const x = s[s.length - rank + i] ?? 1;
      if (x === 1) continue;
      if (d === 1 || d === null) d = x;
      else if (x !== d && known(x) && known(d)) return undefined;
    }
    out.push(d);
  }
  return out;
}

/** output spatial size of a window op (conv / pool) along one axis */
function windowed(n: GraphNode, x: Shape, kernel: number[], firstSpatial: number, ceilMode = false): Shape {
  const rank = kernel.length;
  const strides = ints(n, 'strides') ?? kernel.map(() => 1);
  const dilations = ints(n, 'dilations') ?? kernel.map(() => 1);
  const pads = ints(n, 'pads') ?? kernel.map(() => 0).concat(kernel.map(() => 0));
  const autoPad = str(n, 'auto_pad', 'NOTSET');
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const size = x[firstSpatial + i];
    if (!known(size)) {
      out.push(null);
      continue;
    }
    const span = dilations[i] * (kernel[i] - 1) + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') out.push(Math.ceil(size / strides[i]));
    else if (autoPad === 'VALID') out.push(Math.floor((size - span) / strides[i]) + 1);
    else {
      const q = (size + pads[i] + pads[i + rank] - span) / strides[i];
      out.push((ceilMode ? Math.ceil(q) : Math.floor(q)) + 1);
    }
  }
  return out;
}

function matmul(a: Shape | undefined, b: Shape | undefined): Shape | undefined {
  if (!a || !b || !a.length || !b.length) return undefined;
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcast([a2.slice(0, -2), b2.slice(0, -2)]);
  if (!batch) return undefined;
  const out = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.pop();
  return out;
}

function reduce(c: Ctx, axesInput: boolean): Out | undefined {
  const x = c.shapes[0];
  if (!x) return undefined;
  const axes = (axesInput ? c.consts[1] : undefined) ?? ints(c.node, 'axes');
  const keep = int(c.node, 'keepdims', 1) === 1;
  if (!axes?.length) {
    if (axesInput && c.node.inputs[1]) return undefined;
    if (int(c.node, 'noop_with_empty_axes', 0)) return { shape: x };
    return { shape: keep ? x.map(() => 1) : [] };
  }
  const set = new Set(axes.map((a) => axisOf(a, x.length)));
  return { shape: keep ? x.map((d, i) => (set.has(i) ? 1 : d)) : x.filter((_, i) => !set.has(i)) };
}

function sameAs(i: number) {
  return (c: Ctx): Out[] => [{ shape: c.shapes[i], dtype: c.dtypes[i] }];
}
function elementwise(dtype?: DType) {
  return (c: Ctx): Out[] => [
    { shape: broadcast(c.shapes.filter((_, i) => c.node.inputs[i])), dtype: dtype ?? c.dtypes[0] },
  ];
}

type Rule = (c: Ctx) => Out[] | undefined;

const rules: Record<string, Rule> = {
  Conv(c) {
    const [x, w] = c.shapes;
    if (!x || !w) return undefined;
    const kernel = ints(c.node, 'kernel_shape') ?? (w.slice(2) as number[]);
    if (!kernel.every(known)) return undefined;
    return [{ shape: [x[0], w[0], ...windowed(c.node, x, kernel, 2)], dtype: c.dtypes[0] }];
  },
  ConvTranspose(c) {
    const [x, w] = c.shapes;
    if (!x || !w) return undefined;
    const kernel = ints(c.node, 'kernel_shape') ?? (w.slice(2) as number[]);
    const rank = kernel.length;
    const group = int(c.node, 'group', 1);
    const m = known(w[1]) ? w[1] * group : null;
    const explicit = ints(c.node, 'output_shape');
    if (explicit) return [{ shape: [x[0], m, ...explicit.slice(-rank)], dtype: c.dtypes[0] }];
    const strides = ints(c.node, 'strides') ?? kernel.map(() => 1);
    const dil = ints(c.node, 'dilations') ?? kernel.map(() => 1);
    const pads = ints(c.node, 'pads') ?? kernel.map(() => 0).concat(kernel.map(() => 0));
    const outPad = ints(c.node, 'output_padding') ?? kernel.map(() => 0);
    const spatial = kernel.map((k, i) => {
      const size = x[2 + i];
      return known(size)
        ? strides[i] * (size - 1) + outPad[i] + (k - 1) * dil[i] + 1 - pads[i] - pads[i + rank]
        : null;
    });
    return [{ shape: [x[0], m, ...spatial], dtype: c.dtypes[0] }];
  },
  MaxPool(c) {
    const x = c.shapes[0];
    const kernel = ints(c.node, 'kernel_shape');
    if (!x || !kernel) return undefined;
    const shape = [x[0], x[1], ...windowed(c.node, x, kernel, 2, int(c.node, 'ceil_mode', 0) === 1)];
    return [
      { shape, dtype: c.dtypes[0] },
      { shape, dtype: 'int64' },
    ];
  },
  GlobalAveragePool(c) {
    const x = c.shapes[0];
    return x && [{ shape: [x[0], x[1], ...x.slice(2).map(() => 1)], dtype: c.dtypes[0] }];
  },
  Gemm(c) {
    const [a, b] = c.shapes;
    if (!a || !b || a.length !== 2 || b.length !== 2) return undefined;
    const m = int(c.node, 'transA', 0) ? a[1] : a[0];
    const n = int(c.node, 'transB', 0) ? b[0] : b[1];
    return [{ shape: [m, n], dtype: c.dtypes[0] }];
  },
  MatMul(c) {
    return [{ shape: matmul(c.shapes[0], c.shapes[1]), dtype: c.dtypes[0] }];
  },
  MatMulInteger(c) {
    return [{ shape: matmul(c.shapes[0], c.shapes[1]), dtype: 'int32' }];
  },
  Flatten(c) {
    const x = c.shapes[0];
    if (!x) return undefined;
    const axis = axisOf(int(c.node, 'axis', 1), x.length);
    return [{ shape: [product(x.slice(0, axis)), product(x.slice(axis))], dtype: c.dtypes[0] }];
  },
  Reshape(c) {
    const [x] = c.shapes;
    const target = c.consts[1] ?? ints(c.node, 'shape');
    if (!target) return undefined;
    const allowZero = int(c.node, 'allowzero', 0) === 1;
    const shape: Shape = target.map((d, i) => (d === 0 && !allowZero ? (x?.[i] ?? null) : d));
    const hole = shape.indexOf(-1);
    if (hole >= 0) {
      const total = x ? product(x) : null;
      const rest = product(shape.filter((_, i) => i !== hole));
      shape[hole] = known(total) && known(rest) && rest > 0 ? total / rest : null;
    }
    return [{ shape, dtype: c.dtypes[0] }];
  },
  Transpose(c) {
    const x = c.shapes[0];
    if (!x) return undefined;
    const perm = ints(c.node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
    return [{ shape: perm.map((p) => x[p] ?? null), dtype: c.dtypes[0] }];
  },
  Concat(c) {
    const shapes = c.shapes.filter((_, i) => c.node.inputs[i]);
    if (!shapes.length || shapes.some((s) => !s)) return undefined;
    const first = shapes[0]!;
    const axis = axisOf(int(c.node, 'axis', 0), first.length);
    const dims = shapes.map((s) => s![axis]);
    const shape = [...first];
    shape[axis] = dims.every(known) ? (dims as number[]).reduce((n, d) => n + d, 0) : null;
    return [{ shape, dtype: c.dtypes[0] }];
  },
  Squeeze(c) {
    const x = c.shapes[0];
    if (!x) return undefined;
    const axes = c.consts[1] ?? ints(c.node, 'axes');
    if (!axes && c.node.inputs[1]) return undefined;
    const set = new Set((axes ?? x.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => axisOf(a, x.length)));
    return [{ shape: x.filter((_, i) => !set.has(i)), dtype: c.dtypes[0] }];
  },
  Unsqueeze(c) {
    const x = c.shapes[0];
    const axes = c.consts[1] ?? ints(c.node, 'axes');
    if (!x || !axes) return undefined;
    const rank = x.length + axes.length;
    const set = new Set(axes.map((a) => axisOf(a, rank)));
    const shape: Shape = [];
    for (let i = 0, j = 0; i < rank; i++) shape.push(set.has(i) ? 1 : x[j++]);
    return [{ shape, dtype: c.dtypes[0] }];
  },
  Shape(c) {
    const x = c.shapes[0];
    if (!x) return undefined;
    const start = axisOf(int(c.node, 'start', 0), x.length);
    const end = axisOf(int(c.node, 'end', x.length), x.length);
    return [{ shape: [Math.max(0, Math.min(end, x.length) - start)], dtype: 'int64' }];
  },
  Gather(c) {
    const [x, idx] = c.shapes;
    if (!x || !idx) return undefined;
    const axis = axisOf(int(c.node, 'axis', 0), x.length);
    return [{ shape: [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)], dtype: c.dtypes[0] }];
  },
  ReduceMean: (c) =>
    [reduce(c, c.opset >= 18)].filter((o): o is Out => !!o).map((o) => ({ ...o, dtype: c.dtypes[0] })),
  ReduceSum: (c) =>
    [reduce(c, c.opset >= 13)].filter((o): o is Out => !!o).map((o) => ({ ...o, dtype: c.dtypes[0] })),
  ArgMax(c) {
    const x = c.shapes[0];
    if (!x) return undefined;
    const axis = axisOf(int(c.node, 'axis', 0), x.length);
    const keep = int(c.node, 'keepdims', 1) === 1;
    return [
      {
        shape: keep ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis),
        dtype: 'int64',
      },
    ];
  },
  Pad(c) {
    const x = c.shapes[0];
    const pads = c.consts[1] ?? ints(c.node, 'pads');
    if (!x || !pads) return undefined;
    const axes = c.consts[3] ?? x.map((_, i) => i);
    const shape = [...x];
    axes.forEach((a, k) => {
      const i = axisOf(a, x.length);
      const d = shape[i];
      const added = pads[k] + pads[k + axes.length];
      shape[i] = added === 0 ? d : known(d) ? d + added : null;
    });
    return [{ shape, dtype: c.dtypes[0] }];
  },
  Constant(c) {
    const v = c.node.attributes.value;
    if (v && typeof v === 'object' && 'tensor' in v)
      return [{ shape: v.tensor.shape, dtype: v.tensor.dtype }];
    if (typeof c.node.attributes.value_float === 'number') return [{ shape: [], dtype: 'float32' }];
    if (typeof c.node.attributes.value_int === 'number') return [{ shape: [], dtype: 'int64' }];
    const list = c.node.attributes.value_ints ?? c.node.attributes.value_floats;
    if (Array.isArray(list))
      return [{ shape: [list.length], dtype: c.node.attributes.value_ints ? 'int64' : 'float32' }];
    return undefined;
  },
  ConstantOfShape(c) {
    const v = c.node.attributes.value;
    const dtype = v && typeof v === 'object' && 'tensor' in v ? v.tensor.dtype : 'float32';
    return [{ shape: c.consts[0], dtype }];
  },
  Cast(c) {
    const to = c.node.attributes.to;
    return [{ shape: c.shapes[0], dtype: typeof to === 'number' ? castTypes[to] : undefined }];
  },
  Split(c) {
    const x = c.shapes[0];
    if (!x) return undefined;
    const axis = axisOf(int(c.node, 'axis', 0), x.length);
    const n = c.node.outputs.length;
    const sizes = c.consts[1] ?? ints(c.node, 'split');
    const d = x[axis];
    return c.node.outputs.map((_, k) => {
      const shape = [...x];
      shape[axis] = sizes
        ? sizes[k]
        : known(d)
          ? Math.ceil(d / n) - (k === n - 1 ? Math.ceil(d / n) * n - d : 0)
          : null;
      return { shape, dtype: c.dtypes[0] };
    });
  },
  Slice(c) {
    const x = c.shapes[0];
    if (!x) return undefined;
    const starts = c.consts[1] ?? ints(c.node, 'starts');
    const ends = c.consts[2] ?? ints(c.node, 'ends');
    if (!starts || !ends) return undefined;
    const axes = c.consts[3] ?? ints(c.node, 'axes') ?? starts.map((_, i) => i);
    const steps = c.consts[4] ?? starts.map(() => 1);
    const shape = [...x];
    axes.forEach((a, k) => {
      const i = axisOf(a, x.length);
      const d = x[i];
      if (!known(d)) return;
      const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v < 0 ? v + d : v));
      const step = steps[k];
      const s = step > 0 ? clamp(starts[k], 0, d) : clamp(starts[k], -1, d - 1);
      const e = step > 0 ? clamp(ends[k], 0, d) : clamp(ends[k], -1, d - 1);
      shape[i] = Math.max(0, Math.ceil((e - s) / step));
    });
    return [{ shape, dtype: c.dtypes[0] }];
  },
  Expand(c) {
    const target = c.consts[1];
    return target && [{ shape: broadcast([c.shapes[0], target]), dtype: c.dtypes[0] }];
  },
  Tile(c) {
    const x = c.shapes[0];
    const reps = c.consts[1];
    if (!x || !reps) return undefined;
    return [{ shape: x.map((d, i) => (known(d) ? d * reps[i] : null)), dtype: c.dtypes[0] }];
  },
  Resize(c) {
    const x = c.shapes[0];
    if (!x) return undefined;
    const sizes = c.consts[3];
    if (sizes) return [{ shape: sizes, dtype: c.dtypes[0] }];
    const scales = c.consts[2] ?? (c.opset < 11 ? c.consts[1] : undefined);
    return (
      scales && [
        { shape: x.map((d, i) => (known(d) ? Math.floor(d * scales[i]) : null)), dtype: c.dtypes[0] },
      ]
    );
  },
  Attention(c) {
    const [q, , v] = c.shapes;
    if (!q || !v) return undefined;
    if (q.length === 4) return [{ shape: [q[0], q[1], q[2], v[3]], dtype: c.dtypes[0] }];
    const qHeads = int(c.node, 'q_num_heads', 1);
    const kvHeads = int(c.node, 'kv_num_heads', 1);
    const vLast = v[v.length - 1];
    return [{ shape: [q[0], q[1], known(vLast) ? (vLast / kvHeads) * qHeads : null], dtype: c.dtypes[0] }];
  },
  LSTM: recurrent,
  GRU: recurrent,
  RNN: recurrent,
  Dropout: (c) => [
    { shape: c.shapes[0], dtype: c.dtypes[0] },
    { shape: c.shapes[0], dtype: 'bool' },
  ],
  BatchNormalization: sameAs(0),
  LayerNormalization: sameAs(0),
  QuantizeLinear: (c) => [{ shape: c.shapes[0], dtype: c.dtypes[2] ?? 'uint8' }],
  DequantizeLinear: (c) => [{ shape: c.shapes[0], dtype: 'float32' }],
  Where: (c) => [{ shape: broadcast(c.shapes), dtype: c.dtypes[1] }],
};

function recurrent(c: Ctx): Out[] | undefined {
  const x = c.shapes[0];
  if (!x) return undefined;
  const hidden = int(c.node, 'hidden_size', 0) || null;
  const dirs = str(c.node, 'direction', 'forward') === 'bidirectional' ? 2 : 1;
  const batchFirst = int(c.node, 'layout', 0) === 1;
  const [seq, batch] = batchFirst ? [x[1], x[0]] : [x[0], x[1]];
  const y = batchFirst ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden];
  const h = batchFirst ? [batch, dirs, hidden] : [dirs, batch, hidden];
  return [
    { shape: y, dtype: c.dtypes[0] },
    { shape: h, dtype: c.dtypes[0] },
    { shape: h, dtype: c.dtypes[0] },
  ];
}

const castTypes: Record<number, DType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

for (const op of ['AveragePool', 'LpPool']) rules[op] = (c) => rules.MaxPool(c)?.slice(0, 1);
rules.GlobalMaxPool = rules.GlobalAveragePool;
rules.QLinearConv = (c) =>
  rules.Conv({ ...c, shapes: [c.shapes[0], c.shapes[3]] })?.map((o) => ({ ...o, dtype: c.dtypes[7] }));
rules.ConvInteger = (c) => rules.Conv(c)?.map((o) => ({ ...o, dtype: 'int32' }));
rules.QLinearMatMul = (c) => [{ shape: matmul(c.shapes[0], c.shapes[3]), dtype: c.dtypes[7] }];
rules.ArgMin = rules.ArgMax;
for (const op of [
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSumExp',
  'ReduceSumSquare',
]) {
  rules[op] = (c) =>
    [reduce(c, c.opset >= 18)].filter((o): o is Out => !!o).map((o) => ({ ...o, dtype: c.dtypes[0] }));
}
for (const op of [
  'Relu',
  'LeakyRelu',
  'PRelu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Elu',
  'Selu',
  'Celu',
  'Gelu',
  'Softplus',
  'Softsign',
  'Erf',
  'Exp',
  'Log',
  'Sqrt',
  'Neg',
  'Abs',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'Sin',
  'Cos',
  'Sign',
  'Clip',
  'Identity',
  'Softmax',
  'LogSoftmax',
  'LRN',
  'InstanceNormalization',
  'RMSNormalization',
  'CumSum',
  'Mish',
  'ThresholdedRelu',
  'Shrink',
]) {
  rules[op] = sameAs(0);
}
for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Mod', 'BitShift'])
  rules[op] = elementwise();
for (const op of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not']) {
  rules[op] = elementwise('bool');
}

/** strides of a row-major shape */
function strides(shape: number[]): number[] {
  const out = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1] * shape[i + 1];
  return out;
}

/** Slice of a small constant with a known shape (exporters reverse pad lists this way). */
function sliceConst(c: Ctx, a: number[]): number[] | undefined {
  const shape = c.shapes[0];
  const [, starts, ends, axesIn, stepsIn] = c.consts;
  if (!shape?.every(known) || !starts || !ends || product(shape) !== a.length) return undefined;
  const dims = shape as number[];
  const ranges = dims.map((d) => ({ start: 0, step: 1, count: d }));
  (axesIn ?? starts.map((_, i) => i)).forEach((axis, k) => {
    const i = axisOf(axis, dims.length);
    const d = dims[i];
    const step = stepsIn?.[k] ?? 1;
    const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v < 0 ? v + d : v));
    const start = step > 0 ? clamp(starts[k], 0, d) : clamp(starts[k], -1, d - 1);
    const end = step > 0 ? clamp(ends[k], 0, d) : clamp(ends[k], -1, d - 1);
    ranges[i] = { start, step, count: Math.max(0, Math.ceil((end - start) / step)) };
  });
  const st = strides(dims);
  const out: number[] = [];
  const walk = (axis: number, offset: number) => {
    if (axis === dims.length) {
      out.push(a[offset]);
      return;
    }
    const r = ranges[axis];
    for (let j = 0; j < r.count; j++) walk(axis + 1, offset + (r.start + j * r.step) * st[axis]);
  };
  walk(0, 0);
  return out;
}

/** Transpose of a small constant with a known shape. */
function transposeConst(c: Ctx, a: number[]): number[] | undefined {
  const shape = c.shapes[0];
  if (!shape?.every(known) || product(shape) !== a.length) return undefined;
  const dims = shape as number[];
  const perm = ints(c.node, 'perm') ?? dims.map((_, i) => dims.length - 1 - i);
  const outDims = perm.map((p) => dims[p]);
  const st = strides(dims);
  const outSt = strides(outDims);
  return a.map((_, flat) => {
    let offset = 0;
    for (let i = 0; i < outDims.length; i++)
      offset += (Math.floor(flat / outSt[i]) % outDims[i]) * st[perm[i]];
    return a[offset];
  });
}

/** folds small integer tensors through the shape-computing ops exporters emit */
function foldConst(c: Ctx, fill: number): number[] | undefined {
  const [a, b] = c.consts;
  switch (c.node.op) {
    case 'ConstantOfShape': {
      if (!a || a.length > 1) return undefined; // a 1-D shape of a small constant only
      const n = a.length ? a[0] : 1;
      return n <= MAX_CONST ? new Array(n).fill(fill) : undefined;
    }
    case 'Slice':
      return a && sliceConst(c, a);
    case 'Transpose':
      return a && transposeConst(c, a);
    case 'Shape': {
      const x = c.shapes[0];
      if (!x) return undefined;
      const s = x.slice(
        axisOf(int(c.node, 'start', 0), x.length),
        axisOf(int(c.node, 'end', x.length), x.length),
      );
      return s.every(known) ? (s as number[]) : undefined;
    }
    case 'Identity':
    case 'Cast':
    case 'Squeeze':
    case 'Unsqueeze':
    case 'Reshape':
      return a;
    case 'Concat':
      return c.consts.every((v) => v) ? (c.consts.flat() as number[]) : undefined;
    case 'Gather': {
      if (!a || !b) return undefined;
      const out = b.map((i) => a[i < 0 ? i + a.length : i]);
      return out.every((v) => v !== undefined) ? out : undefined;
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      if (!a || !b) return undefined;
      const n = Math.max(a.length, b.length);
      const f = {
        Add: (x: number, y: number) => x + y,
        Sub: (x: number, y: number) => x - y,
        Mul: (x: number, y: number) => x * y,
        Div: (x: number, y: number) => Math.trunc(x / y),
      }[c.node.op];
      return Array.from({ length: n }, (_, i) => f(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
    }
    case 'Constant': {
      const v = c.node.attributes.value_ints ?? c.node.attributes.value_int;
      if (typeof v === 'number') return [v];
      if (Array.isArray(v)) return v as number[];
      return undefined;
    }
    default:
      return undefined;
  }
}

function integers(data: TensorData): number[] | undefined {
  if (Array.isArray(data) || data.length > MAX_CONST) return undefined;
  if (data instanceof Float32Array || data instanceof Float64Array) return undefined;
  return Array.from(data as ArrayLike<number | bigint>, Number);
}

/** Small integer tensors of a graph (initializers and Constant nodes) by value name. */
async function constants(g: Graph): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const load = async (name: string, t: { dtype: DType; shape: Dim[]; read(): Promise<TensorData> }) => {
    const small = t.shape.every(known) && (t.shape as number[]).reduce((p, d) => p * d, 1) <= MAX_CONST;
    const intType = /^u?int(8|16|32|64)$/.test(t.dtype);
    const floatScales = t.dtype === 'float32' && small; // Resize scales
    if (!small || !(intType || floatScales)) return;
    try {
      const data = await t.read();
      const v = intType ? integers(data) : Array.from(data as Float32Array);
      if (v) out.set(name, v);
    } catch {
      // unreadable constants just leave shapes unknown
    }
  };
  for (const [name, t] of g.initializers) await load(name, t);
  for (const n of g.nodes) {
    const v = n.attributes.value;
    if (n.op === 'Constant' && v && typeof v === 'object' && 'tensor' in v && n.outputs[0])
      await load(n.outputs[0], v.tensor);
  }
  return out;
}

/** What a subgraph sees of its enclosing graphs: their values and folded constants. */
interface Scope {
  value(name: string): ValueInfo | undefined;
  constant(name: string): number[] | undefined;
}

/**
 * Fills `graph.values` with inferred shapes for outputs the file does not describe; recurses into
 * subgraphs, which may read values of the graphs around them.
 */
export async function inferShapes(g: Graph, opset: number, outer?: Scope): Promise<void> {
  const consts = await constants(g);
  const scope: Scope = {
    value: (name) => g.values.get(name) ?? outer?.value(name),
    constant: (name) => consts.get(name) ?? outer?.constant(name),
  };
  for (const node of g.nodes) {
    const info = node.inputs.map((i) => (i ? scope.value(i) : undefined));
    const c: Ctx = {
      node,
      shapes: info.map((v) => v?.shape),
      dtypes: info.map((v) => v?.dtype),
      consts: node.inputs.map((i) => scope.constant(i)),
      opset,
    };
    // ConstantOfShape fills with its `value` (default 0): read it now, it is one element
    let fill = 0;
    const value = node.op === 'ConstantOfShape' ? node.attributes.value : undefined;
    if (value && typeof value === 'object' && 'tensor' in value) {
      const v = await value.tensor.read().catch(() => undefined);
      fill = v && !Array.isArray(v) && v.length === 1 ? Number(v[0]) : Number.NaN;
    }
    const folded = Number.isNaN(fill) ? undefined : foldConst(c, fill);
    if (folded && node.outputs[0] && folded.length <= MAX_CONST) consts.set(node.outputs[0], folded);
    let outs: Out[] | undefined;
    try {
      outs = rules[node.op]?.(c);
    } catch {
      outs = undefined; // an odd node leaves its outputs unknown rather than failing the open
    }
    node.outputs.forEach((name, k) => {
      const o = outs?.[k];
      if (!name || !o) return;
      const existing = g.values.get(name);
      if (existing?.shape && existing.dtype) return;
      const v: ValueInfo = { ...existing, name, inferred: true };
      if (!v.dtype && o.dtype) v.dtype = o.dtype;
      if (!v.shape && o.shape && o.shape.every((d) => d === null || typeof d === 'string' || d >= 0))
        v.shape = o.shape;
      if (v.shape || v.dtype) g.values.set(name, v);
    });
    for (const sub of Object.values(node.subgraphs ?? {})) await inferShapes(sub, opset, scope);
  }
}

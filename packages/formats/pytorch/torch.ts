/**
 * torch's pickled objects as inert data: storages (persistent ids), tensors (rebuild calls),
 * and the walk that lists every tensor of a checkpoint under a dotted path.
 */

import { decodeTensor, elementSize } from '../common/tensor-bytes';
import type { DType, TensorData, TensorInfo } from '../model';
import { npyDtypes } from '../npy/index';
import { PyGlobal, PyObject, type Reducer } from './pickle';

const storageDtypes: Record<string, DType> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  UntypedStorage: 'uint8',
  QInt8Storage: 'int8',
  QUInt8Storage: 'uint8',
  QInt32Storage: 'int32',
  Float8_e4m3fnStorage: 'float8e4m3fn',
  Float8_e5m2Storage: 'float8e5m2',
  Float8_e4m3fnuzStorage: 'float8e4m3fnuz',
  Float8_e5m2fnuzStorage: 'float8e5m2fnuz',
  UInt16Storage: 'uint16',
  UInt32Storage: 'uint32',
  UInt64Storage: 'uint64',
};

export class TorchStorage {
  constructor(
    /** the key of the stored bytes (zip: data/<key>; legacy: the root storage key) */
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
    /** element offset into the root storage (legacy views) */
    readonly elementOffset = 0,
    /** the archive folder holding its bytes (TorchScript keeps constants under constants/) */
    readonly folder = 'data',
  ) {}
}

export class TorchTensor {
  isParameter = false;
  constructor(
    readonly storage: TorchStorage,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly requiresGrad: boolean,
  ) {}
}

/** ('storage', StorageType, key, location, numel[, view_metadata]) -> TorchStorage */
export function storageFromPid(pid: unknown, file: string, folder = 'data'): TorchStorage | PyObject {
  if (!Array.isArray(pid) || pid[0] !== 'storage') {
    // legacy 'module' ids carry class source code: kept as an inert placeholder
    return new PyObject(
      `persistent:${Array.isArray(pid) ? String(pid[0]) : typeof pid}`,
      Array.isArray(pid) ? pid : [pid],
    );
  }
  const [, type, key, , numel, view] = pid;
  const typeName = type instanceof PyGlobal ? type.name : String(type);
  const dtype = storageDtypes[typeName];
  if (!dtype) throw new Error(`${file} uses unknown storage type ${typeName}`);
  if (Array.isArray(view)) {
    const [, offset, size] = view;
    return new TorchStorage(String(key), dtype, Number(size), Number(offset), folder);
  }
  return new TorchStorage(String(key), dtype, Number(numel), 0, folder);
}

const ints = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : []);

function rebuildTensor(args: unknown[]): unknown {
  const [storage, offset, size, stride, requiresGrad] = args;
  if (!(storage instanceof TorchStorage)) return new PyObject('torch._utils._rebuild_tensor_v2', args);
  return new TorchTensor(storage, Number(offset), ints(size), ints(stride), requiresGrad === true);
}

function rebuildParameter(args: unknown[]): unknown {
  const [data] = args;
  if (data instanceof TorchTensor) data.isParameter = true;
  return data;
}

/** numpy.core.multiarray.scalar(dtype, bytes): numpy scalars in checkpoints (best_acc, step) */
function numpyScalar(args: unknown[]): unknown {
  const [dtype, bytes] = args;
  if (dtype instanceof PyObject && dtype.__global__ === 'numpy.dtype' && bytes instanceof Uint8Array) {
    const code = String(dtype.args[0]);
    const order = Array.isArray(dtype.state) ? dtype.state[1] : '<';
    const kind = npyDtypes[code === '?' ? 'b1' : code];
    if (kind && elementSize(kind) === bytes.length) {
      const value = (
        decodeTensor(new Uint8Array(bytes), kind, order !== '>') as ArrayLike<number | bigint>
      )[0];
      return kind === 'bool' ? value === 1 : value;
    }
  }
  return new PyObject('numpy.core.multiarray.scalar', args);
}

/** torch's rebuild functions, implemented as pure data constructors */
export const torchReducers: Record<string, Reducer> = {
  // a numpy dtype is only a description; BUILD stores its byte order in `state`
  'numpy.dtype': (a) => new PyObject('numpy.dtype', a),
  'numpy.core.multiarray.scalar': numpyScalar,
  'numpy._core.multiarray.scalar': numpyScalar,
  'torch._utils._rebuild_tensor': rebuildTensor,
  'torch._utils._rebuild_tensor_v2': rebuildTensor,
  'torch._utils._rebuild_parameter': rebuildParameter,
  'torch._utils._rebuild_parameter_with_state': rebuildParameter,
  'torch.Size': (a) => (Array.isArray(a[0]) ? [...a[0]] : []),
  'torch._tensor._rebuild_from_type_v2': (a) => {
    const [fn, , args] = a;
    if (fn instanceof PyGlobal && Array.isArray(args)) {
      const reducer = torchReducers[fn.qualified];
      if (reducer) return reducer(args);
    }
    return new PyObject('torch._tensor._rebuild_from_type_v2', a);
  },
};

export interface FoundTensor {
  name: string;
  tensor: TorchTensor;
}

/** module containers whose names are not part of a parameter's path (torch.save(model)) */
const transparentKeys = new Set(['_parameters', '_buffers', '_modules']);
const MAX_METADATA = 500;
const MAX_DEPTH = 200;

/**
 * Lists every tensor reachable from `root` under a dotted path (`model.fc1.weight`), and
 * records scalar leaves (`epoch: 3`) as metadata.
 */
export function collectTensors(root: unknown, metadata: Record<string, string> = {}): FoundTensor[] {
  const found: FoundTensor[] = [];
  const ancestors = new Set<unknown>();
  const visit = (value: unknown, path: string[], depth = 0): void => {
    // a crafted pickle can nest containers deeply; no real checkpoint nests this far
    if (depth > MAX_DEPTH) return;
    if (value instanceof TorchTensor) {
      found.push({ name: path.length ? path.join('.') : 'tensor', tensor: value });
      return;
    }
    if (value === null || value === undefined) return;
    if (typeof value !== 'object') {
      if (path.length && Object.keys(metadata).length < MAX_METADATA)
        metadata[path.join('.')] = String(value).slice(0, 200);
      return;
    }
    if (ancestors.has(value) || value instanceof Uint8Array) return;
    ancestors.add(value);
    if (value instanceof Map) {
      for (const [k, v] of value) visit(v, [...path, String(k)], depth + 1);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, [...path, String(i)], depth + 1));
    } else if (value instanceof PyObject) {
      const state = value.state;
      if (state instanceof Map) {
        for (const [k, v] of state)
          visit(v, transparentKeys.has(String(k)) ? path : [...path, String(k)], depth + 1);
      } else if (state !== undefined) visit(state, path, depth + 1);
      if (value.dictItems) visit(value.dictItems, path, depth + 1);
      if (value.listItems) visit(value.listItems, path, depth + 1);
      if (state === undefined) value.args.forEach((v) => visit(v, path, depth + 1));
    }
    ancestors.delete(value);
  };
  visit(root, []);
  return found;
}

/** reads a storage range: (storage, first byte, byte count) -> bytes */
export type StorageReader = (
  storage: TorchStorage,
  byteOffset: number,
  byteLength: number,
) => Promise<Uint8Array>;

export function tensorInfo(
  name: string,
  t: TorchTensor,
  readStorage: StorageReader,
  fail: (problem: string) => Error,
  location?: string,
): TensorInfo {
  const size = elementSize(t.storage.dtype);
  const count = t.shape.reduce((a, b) => a * b, 1);
  return {
    name,
    dtype: t.storage.dtype,
    shape: t.shape,
    byteLength: count * size,
    location,
    async read(): Promise<TensorData> {
      if (count === 0) return decodeTensor(new Uint8Array(0), t.storage.dtype);
      // the span of storage elements the view touches
      let last = t.storageOffset;
      for (let i = 0; i < t.shape.length; i++) last += (t.shape[i] - 1) * t.stride[i];
      if (t.storageOffset < 0 || last >= t.storage.numel)
        throw fail(`tensor ${name} reaches past the end of its storage`);
      const first = t.storage.elementOffset + t.storageOffset;
      const span = await readStorage(t.storage, first * size, (last - t.storageOffset + 1) * size);
      return decodeTensor(gather(span, t.shape, t.stride, size), t.storage.dtype);
    },
  };
}

/** copies a strided view into row-major order (a no-op for contiguous tensors) */
function gather(span: Uint8Array, shape: number[], stride: number[], size: number): Uint8Array {
  let contiguous = true;
  for (let i = shape.length - 1, expected = 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) contiguous = false;
    expected *= shape[i];
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (contiguous) return span.subarray(0, count * size);
  const out = new Uint8Array(count * size);
  const index = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < count; n++) {
    let at = 0;
    for (let d = 0; d < shape.length; d++) at += index[d] * stride[d];
    out.set(span.subarray(at * size, at * size + size), n * size);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * ONNX TensorProto data, read on demand: raw_data, the typed repeated fields (float_data, int32_data, ...),
 * external data files, and sparse tensors. Narrow floats widen to float32.
 */

import { decodeTensor as decodeBytes, numel } from '../common/tensor-bytes';
import { type DType, ModelError, type ModelSource, type TensorData, type TensorInfo } from '../model';
import { ProtoReader } from '../proto';
import { bitsOf } from './dtypes';

/** Where one data field's bytes are: in memory (`bytes`) or at [offset, offset + length) of the model file. */
export interface DataSegment {
  field: number;
  bytes?: Uint8Array;
  offset?: number;
  length?: number;
}

export interface TensorParts {
  name: string;
  dtype: DType;
  dims: number[];
  segments: DataSegment[];
  unpacked?: { field: number; values: number[] };
  strings: Uint8Array[];
  external?: Record<string, string>;
}

interface Context {
  file: string;
  source: ModelSource;
}

const RAW_DATA = 9;
const FLOAT_DATA = 4;
const DOUBLE_DATA = 10;
const utf8 = new TextDecoder();

function segmentLength(s: DataSegment): number {
  return s.bytes ? s.bytes.length : (s.length ?? 0);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function shapeText(dims: number[]): string {
  return `[${dims.join(', ')}]`;
}

export function tensorInfo(ctx: Context, p: TensorParts): TensorInfo {
  const count = numel(p.dims);
  const expected = Math.ceil((count * bitsOf(p.dtype)) / 8);
  const fail = (problem: string) => new ModelError(ctx.file, `tensor "${p.name}" ${problem}`);

  /** raw little-endian bytes -> typed array, checking the size against the shape */
  const decodeRaw = (bytes: Uint8Array): TensorData => {
    if (!bitsOf(p.dtype)) throw fail(`has data type ${p.dtype}, which has no fixed-size encoding`);
    if (bytes.length !== expected) {
      throw fail(
        `holds ${bytes.length} bytes, but its shape ${shapeText(p.dims)} of ${p.dtype} needs ${expected}`,
      );
    }
    if (p.dtype === 'float4e2m1' || p.dtype === 'float8e8m0') return decodeExoticFloat(bytes, p.dtype, count);
    const out = decodeBytes(bytes, p.dtype);
    // 4-bit types pad an odd count to a whole byte
    return out.length > count && !Array.isArray(out) ? (out.subarray(0, count) as TensorData) : out;
  };

  const read = async (): Promise<TensorData> => {
    if (p.dtype === 'string') return p.strings.map((s) => utf8.decode(s));
    if (p.external) return decodeRaw(await readExternal(ctx, p, expected, fail));
    const field = p.segments[0]?.field ?? p.unpacked?.field;
    if (field === undefined) {
      if (count === 0) return decodeRaw(new Uint8Array(0));
      throw fail(`has shape ${shapeText(p.dims)} but stores no data`);
    }
    const segments = p.segments.filter((s) => s.field === field);
    const bytes = concat(
      await Promise.all(segments.map((s) => s.bytes ?? ctx.source.read(s.offset ?? 0, s.length ?? 0))),
    );
    if (field === RAW_DATA) return decodeRaw(bytes);
    const extra = p.unpacked?.field === field ? p.unpacked.values : [];
    if (field === FLOAT_DATA || field === DOUBLE_DATA) {
      const wide = field === DOUBLE_DATA;
      const stored = decodeBytes(bytes, wide ? 'float64' : 'float32') as Float32Array | Float64Array;
      const values = extra.length ? (wide ? Float64Array : Float32Array).from([...stored, ...extra]) : stored;
      const want = p.dtype === 'complex64' || p.dtype === 'complex128' ? 2 * count : count;
      if (values.length !== want)
        throw fail(`holds ${values.length} values, but its shape ${shapeText(p.dims)} needs ${want}`);
      return values;
    }
    return fromIntegers(varints(bytes, extra), p.dtype, decodeRaw, count, fail);
  };

  const info: TensorInfo = {
    name: p.name,
    dtype: p.dtype,
    shape: p.dims,
    byteLength: p.external
      ? Number(p.external.length ?? expected)
      : p.segments.reduce((n, s) => n + segmentLength(s), 0) + p.strings.reduce((n, s) => n + s.length, 0),
    read,
  };
  if (p.external?.location) info.location = p.external.location;
  return info;
}

async function readExternal(
  ctx: Context,
  p: TensorParts,
  expected: number,
  fail: (problem: string) => ModelError,
): Promise<Uint8Array> {
  const location = p.external?.location;
  if (!location) throw fail('is stored externally but names no data file');
  const src = await ctx.source.sibling(location);
  if (!src) throw fail(`keeps its data in "${location}", which is missing next to the model`);
  const offset = Number(p.external?.offset ?? 0);
  const length = p.external?.length !== undefined ? Number(p.external.length) : expected;
  if (!(offset >= 0 && length >= 0) || offset + length > src.size) {
    throw fail(`needs bytes ${offset} to ${offset + length} of "${location}", which holds only ${src.size}`);
  }
  return src.read(offset, length);
}

function varints(bytes: Uint8Array, extra: number[]): number[] {
  const out: number[] = [];
  const r = new ProtoReader(bytes);
  while (!r.done) out.push(r.int64());
  return extra.length ? out.concat(extra) : out;
}

/** int32_data / int64_data / uint64_data values -> the tensor's own type (narrow types are stored widened) */
function fromIntegers(
  values: number[],
  dtype: DType,
  decodeRaw: (bytes: Uint8Array) => TensorData,
  count: number,
  fail: (problem: string) => ModelError,
): TensorData {
  const check = <T extends TensorData>(out: T): T => {
    if (out.length !== count) throw fail(`holds ${out.length} values, but its shape needs ${count}`);
    return out;
  };
  switch (dtype) {
    case 'float16':
    case 'bfloat16':
      return decodeRaw(new Uint8Array(Uint16Array.from(values).buffer));
    case 'float8e4m3fn':
    case 'float8e4m3fnuz':
    case 'float8e5m2':
    case 'float8e5m2fnuz':
    case 'float8e8m0':
    case 'int4':
    case 'uint4':
    case 'float4e2m1':
      return decodeRaw(Uint8Array.from(values));
    case 'int8':
      return check(Int8Array.from(values));
    case 'uint8':
      return check(Uint8Array.from(values));
    case 'bool':
      return check(Uint8Array.from(values, (v) => (v ? 1 : 0)));
    case 'int16':
      return check(Int16Array.from(values));
    case 'uint16':
      return check(Uint16Array.from(values));
    case 'int32':
      return check(Int32Array.from(values));
    case 'uint32':
      return check(Uint32Array.from(values));
    case 'int64':
      return check(BigInt64Array.from(values, (v) => BigInt(v)));
    case 'uint64':
      return check(BigUint64Array.from(values, (v) => BigInt(v)));
    default:
      throw fail(`has data type ${dtype}, which cannot be stored as integers`);
  }
}

/** FLOAT4E2M1 (two per byte, low nibble first) and FLOAT8E8M0 (a power of two; 0xff is NaN). */
function decodeExoticFloat(bytes: Uint8Array, dtype: DType, count: number): Float32Array {
  const out = new Float32Array(count);
  if (dtype === 'float8e8m0') {
    for (let i = 0; i < count; i++) out[i] = bytes[i] === 0xff ? Number.NaN : 2 ** (bytes[i] - 127);
    return out;
  }
  const e2m1 = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
  for (let i = 0; i < count; i++) {
    const nibble = (bytes[i >> 1] >> ((i & 1) * 4)) & 0xf;
    out[i] = (nibble & 8 ? -1 : 1) * e2m1[nibble & 7];
  }
  return out;
}

type Dense = Exclude<TensorData, string[]>;

/** A SparseTensorProto as a dense tensor: indices are [NNZ] linear or [NNZ, rank] coordinates. */
export function sparseTensorInfo(
  ctx: Context,
  values: TensorInfo,
  indices: TensorInfo,
  dims: number[],
): TensorInfo {
  const count = numel(dims);
  return {
    name: values.name,
    dtype: values.dtype,
    shape: dims,
    byteLength: values.byteLength + indices.byteLength,
    async read() {
      const v = await values.read();
      const idx = await indices.read();
      if (Array.isArray(v) || Array.isArray(idx)) {
        throw new ModelError(ctx.file, `sparse tensor "${values.name}" has string values or indices`);
      }
      const out = new (v.constructor as new (n: number) => Dense)(count);
      const nnz = Number(values.shape[0] ?? v.length);
      const rank = indices.shape.length === 2 ? dims.length : 1;
      for (let k = 0; k < nnz; k++) {
        let at = 0;
        if (rank === 1 && indices.shape.length !== 2) at = Number(idx[k]);
        else for (let d = 0; d < dims.length; d++) at = at * dims[d] + Number(idx[k * dims.length + d]);
        if (at < 0 || at >= count)
          throw new ModelError(ctx.file, `sparse tensor "${values.name}" has an index out of range`);
        (out as unknown as { [i: number]: number | bigint })[at] = v[k];
      }
      return out;
    },
  };
}

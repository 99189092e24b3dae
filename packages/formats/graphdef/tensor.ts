/**
 * TensorFlow TensorProto (tensorflow/core/framework/tensor.proto) as a lazily read TensorInfo:
 * tensor_content holds raw little-endian bytes; otherwise a typed *_val field holds the values, and a
 * shorter list than the shape means "repeat the last value" (how TF stores splat constants).
 */

import { decodeTensor as decodeBytes, numel } from '../common/tensor-bytes';
import {
  type Dim,
  type DType,
  ModelError,
  type ModelSource,
  type TensorData,
  type TensorInfo,
} from '../model';
import { bitsOf } from '../onnx/dtypes';
import { ELIDED } from '../onnx/skeleton';
import { ProtoReader, WIRE_LEN } from '../proto';

/** tensorflow/core/framework/types.proto DataType (ref types are +100) */
const tfTypes: Record<number, DType> = {
  1: 'float32',
  2: 'float64',
  3: 'int32',
  4: 'uint8',
  5: 'int16',
  6: 'int8',
  7: 'string',
  8: 'complex64',
  9: 'int64',
  10: 'bool',
  11: 'int8',
  12: 'uint8',
  13: 'int32',
  14: 'bfloat16',
  15: 'int16',
  16: 'uint16',
  17: 'uint16',
  18: 'complex128',
  19: 'float16',
  22: 'uint32',
  23: 'uint64',
  24: 'float8e5m2',
  25: 'float8e4m3fn',
};

export function tfDtype(code: number): DType {
  return tfTypes[code % 100] ?? 'unknown';
}

/** TensorShapeProto: dim 2 {size 1, name 2}, unknown_rank 3; -1 sizes are unknown. */
export function decodeTfShape(r: ProtoReader): Dim[] | undefined {
  const dims: Dim[] = [];
  let unknownRank = false;
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x12) {
      const d = r.sub();
      let size: Dim = null;
      while (!d.done) {
        const t = d.tag();
        if (t === 0x08) size = d.int64();
        else d.skip(t & 7);
      }
      dims.push(typeof size === 'number' && size < 0 ? null : size);
    } else if (tag === 0x18) unknownRank = r.bool();
    else r.skip(tag & 7);
  }
  return unknownRank ? undefined : dims;
}

interface Segment {
  field: number;
  bytes?: Uint8Array;
  offset?: number;
  length?: number;
}

const CONTENT = 4;
const FLOAT_FIELDS = new Set([5, 9]);
const DOUBLE_FIELDS = new Set([6, 12]);
const utf8 = new TextDecoder();

export function decodeTfTensor(r: ProtoReader, file: string, source: ModelSource, name: string): TensorInfo {
  let dtype: DType = 'unknown';
  let shape: Dim[] = [];
  const segments: Segment[] = [];
  const strings: Uint8Array[] = [];
  while (!r.done) {
    const tag = r.tag();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1) dtype = tfDtype(r.int32());
    else if (field === 2) shape = decodeTfShape(r.sub()) ?? [];
    else if (field === 8) strings.push(r.bytes());
    else if (field === ELIDED) {
      const sub = r.sub();
      const seg: Segment = { field: 0, offset: 0, length: 0 };
      while (!sub.done) {
        const t = sub.tag();
        if (t === 0x08) seg.field = sub.uint32();
        else if (t === 0x10) seg.offset = sub.int64();
        else if (t === 0x18) seg.length = sub.int64();
        else sub.skip(t & 7);
      }
      segments.push(seg);
    } else if (field >= 4 && field <= 17 && field !== 8 && field !== 14 && field !== 15) {
      if (wire === WIRE_LEN) segments.push({ field, bytes: r.bytes() });
      else {
        // an unpacked value: re-encode it as a one-value packed segment
        const start = r.pos;
        r.skip(wire);
        segments.push({ field, bytes: r.buf.subarray(start, r.pos) });
      }
    } else r.skip(wire);
  }
  const count = numel(shape);
  const fail = (problem: string) => new ModelError(file, `tensor "${name}" ${problem}`);
  return {
    name,
    dtype,
    shape,
    byteLength:
      segments.reduce((n, s) => n + (s.bytes?.length ?? s.length ?? 0), 0) +
      strings.reduce((n, s) => n + s.length, 0),
    async read(): Promise<TensorData> {
      if (dtype === 'string') return strings.map((s) => utf8.decode(s));
      const field = segments[0]?.field;
      const parts = await Promise.all(
        segments
          .filter((s) => s.field === field)
          .map((s) => s.bytes ?? source.read(s.offset ?? 0, s.length ?? 0)),
      );
      const bytes = parts.length === 1 ? parts[0] : Uint8Array.from(parts.flatMap((p) => [...p]));
      // no values at all means zeros (TF writes a zero scalar as an empty tensor)
      if (field === undefined)
        return decodeBytes(new Uint8Array(Math.ceil((count * bitsOf(dtype)) / 8)), dtype);
      if (field === CONTENT) {
        const expected = Math.ceil((count * bitsOf(dtype)) / 8);
        if (bytes.length !== expected)
          throw fail(`holds ${bytes.length} bytes but its shape needs ${expected}`);
        return decodeBytes(bytes, dtype);
      }
      let values: number[];
      if (FLOAT_FIELDS.has(field)) values = Array.from(decodeBytes(bytes, 'float32') as Float32Array);
      else if (DOUBLE_FIELDS.has(field)) values = Array.from(decodeBytes(bytes, 'float64') as Float64Array);
      else {
        values = [];
        const v = new ProtoReader(bytes);
        while (!v.done) values.push(v.int64());
      }
      const perElement = dtype === 'complex64' || dtype === 'complex128' ? 2 : 1;
      const want = count * perElement;
      if (values.length > want) throw fail(`holds ${values.length} values but its shape needs ${want}`);
      // splat: the last value repeats
      const full =
        values.length === want
          ? values
          : Array.from({ length: want }, (_, i) => values[Math.min(i, values.length - 1)]);
      return fromNumbers(full, dtype, field === 13, fail);
    },
  };
}

function fromNumbers(
  values: number[],
  dtype: DType,
  halfBits: boolean,
  fail: (p: string) => ModelError,
): TensorData {
  switch (dtype) {
    case 'float32':
    case 'complex64':
      return Float32Array.from(values);
    case 'float64':
    case 'complex128':
      return Float64Array.from(values);
    case 'float16':
    case 'bfloat16':
      // half_val holds the raw 16-bit patterns
      return halfBits
        ? decodeBytes(new Uint8Array(Uint16Array.from(values).buffer), dtype)
        : Float32Array.from(values);
    case 'int8':
      return Int8Array.from(values);
    case 'uint8':
      return Uint8Array.from(values);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    case 'int16':
      return Int16Array.from(values);
    case 'uint16':
      return Uint16Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'uint32':
      return Uint32Array.from(values);
    case 'int64':
      return BigInt64Array.from(values, (v) => BigInt(v));
    case 'uint64':
      return BigUint64Array.from(values, (v) => BigInt(v));
    default:
      throw fail(`has data type ${dtype}, which cannot be decoded`);
  }
}

/** TensorProto.DataType codes and the bytes each element takes. */

import { elementSize } from '../common/tensor-bytes';
import type { DType } from '../model';

/** indexed by TensorProto.DataType (onnx.proto: FLOAT = 1 ... FLOAT8E8M0 = 24) */
const byCode: DType[] = [
  'unknown',
  'float32',
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'int64',
  'string',
  'bool',
  'float16',
  'float64',
  'uint32',
  'uint64',
  'complex64',
  'complex128',
  'bfloat16',
  'float8e4m3fn',
  'float8e4m3fnuz',
  'float8e5m2',
  'float8e5m2fnuz',
  'uint4',
  'int4',
  'float4e2m1',
  'float8e8m0',
];

export function dtypeOf(code: number): DType {
  return byCode[code] ?? 'unknown';
}

export function codeOf(dtype: DType): number {
  return Math.max(0, byCode.indexOf(dtype));
}

/** bits per element; 0 for strings and unknown types */
export function bitsOf(dtype: DType): number {
  if (dtype === 'float4e2m1') return 4;
  if (dtype === 'float8e8m0') return 8;
  return elementSize(dtype) * 8;
}

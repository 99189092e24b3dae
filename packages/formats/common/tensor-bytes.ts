/**
 * Raw little-endian bytes -> typed arrays, for every dtype of the common model.
 * Shared by the safetensors, PyTorch, TorchScript, TF.js, GGUF, npy, ONNX and GraphDef readers and the runtime.
 * Narrow floats (fp16, bf16, fp8) widen to Float32Array; bool decodes to Uint8Array (0/1).
 */
import type { DType, TensorData } from '../model';

/** bytes per element; 0.5 for 4-bit types, 0 for variable-size (string) */
export function elementSize(dtype: DType): number {
  switch (dtype) {
    case 'int4':
    case 'uint4':
      return 0.5;
    case 'bool':
    case 'int8':
    case 'uint8':
    case 'float8e4m3fn':
    case 'float8e4m3fnuz':
    case 'float8e5m2':
    case 'float8e5m2fnuz':
      return 1;
    case 'float16':
    case 'bfloat16':
    case 'int16':
    case 'uint16':
      return 2;
    case 'float32':
    case 'int32':
    case 'uint32':
      return 4;
    case 'float64':
    case 'int64':
    case 'uint64':
    case 'complex64':
      return 8;
    case 'complex128':
      return 16;
    default:
      return 0;
  }
}

/** number of elements of a fully known shape (1 for a scalar) */
export function numel(shape: readonly (number | string | null)[]): number {
  let n = 1;
  for (const d of shape) n *= typeof d === 'number' ? d : Number.NaN;
  return n;
}

const f16Table = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return t;
})();

export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16Table[bits[i]];
  return out;
}

export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const u32 = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u32[i] = bits[i] << 16;
  return new Float32Array(u32.buffer);
}

/** OCP FP8 formats; `fnuz` variants have no negative zero and a single NaN at 0x80 */
function float8Table(expBits: number, bias: number, fnuz: boolean, ieeeSpecials: boolean): Float32Array {
  const manBits = 7 - expBits;
  const t = new Float32Array(256);
  const maxExp = (1 << expBits) - 1;
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1;
    const exp = (b >> manBits) & maxExp;
    const man = b & ((1 << manBits) - 1);
    if (fnuz && b === 0x80) t[b] = Number.NaN;
    else if (ieeeSpecials && exp === maxExp) t[b] = man ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else if (!ieeeSpecials && !fnuz && exp === maxExp && man === (1 << manBits) - 1) t[b] = Number.NaN;
    else if (exp === 0) t[b] = sign * man * 2 ** (1 - bias - manBits);
    else t[b] = sign * (1 + man / (1 << manBits)) * 2 ** (exp - bias);
  }
  return t;
}
const fp8Tables: Partial<Record<DType, Float32Array>> = {
  float8e4m3fn: float8Table(4, 7, false, false),
  float8e4m3fnuz: float8Table(4, 8, true, false),
  float8e5m2: float8Table(5, 15, false, true),
  float8e5m2fnuz: float8Table(5, 16, true, false),
};

/**
 * A buffer holding exactly `bytes`: the bytes' own buffer when they fill it (a fresh read, no copy),
 * else an aligned copy, so typed-array views are legal.
 */
function aligned(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  )
    return bytes.buffer;
  return bytes.slice().buffer as ArrayBuffer;
}

function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size)
    for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j];
  return out;
}

/**
 * Decodes `bytes` holding elements of `dtype`; the result may share memory with `bytes` when they fill
 * their buffer (pass a fresh read, not a view you keep using). Throws (plain Error, the caller names the file)
 * for dtypes that have no fixed-size encoding.
 */
export function decodeTensor(bytes: Uint8Array, dtype: DType, littleEndian = true): TensorData {
  const size = elementSize(dtype);
  if (!littleEndian && size > 1) {
    const unit = dtype === 'complex64' ? 4 : dtype === 'complex128' ? 8 : size;
    bytes = swapBytes(bytes, unit);
  }
  switch (dtype) {
    case 'float32':
    case 'complex64':
      return new Float32Array(aligned(bytes));
    case 'float64':
    case 'complex128':
      return new Float64Array(aligned(bytes));
    case 'float16':
      return float16ToFloat32(new Uint16Array(aligned(bytes)));
    case 'bfloat16':
      return bfloat16ToFloat32(new Uint16Array(aligned(bytes)));
    case 'float8e4m3fn':
    case 'float8e4m3fnuz':
    case 'float8e5m2':
    case 'float8e5m2fnuz': {
      const table = fp8Tables[dtype]!;
      const out = new Float32Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]];
      return out;
    }
    case 'int8':
      return new Int8Array(aligned(bytes));
    case 'uint8':
      return bytes.slice();
    case 'bool': {
      const out = new Uint8Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] ? 1 : 0;
      return out;
    }
    case 'int16':
      return new Int16Array(aligned(bytes));
    case 'uint16':
      return new Uint16Array(aligned(bytes));
    case 'int32':
      return new Int32Array(aligned(bytes));
    case 'uint32':
      return new Uint32Array(aligned(bytes));
    case 'int64':
      return new BigInt64Array(aligned(bytes));
    case 'uint64':
      return new BigUint64Array(aligned(bytes));
    case 'int4':
    case 'uint4': {
      // two elements per byte, low nibble first (ONNX/numpy packing)
      const out = dtype === 'int4' ? new Int8Array(bytes.length * 2) : new Uint8Array(bytes.length * 2);
      for (let i = 0; i < bytes.length; i++) {
        const lo = bytes[i] & 0xf;
        const hi = bytes[i] >> 4;
        out[2 * i] = dtype === 'int4' && lo > 7 ? lo - 16 : lo;
        out[2 * i + 1] = dtype === 'int4' && hi > 7 ? hi - 16 : hi;
      }
      return out;
    }
    default:
      throw new Error(`cannot decode dtype ${dtype}`);
  }
}

/** Reading numbers and strings out of a decoded TensorProto, whichever field the writer used. */
import { decodeUtf8 } from '../proto/reader';
import { DT, type TensorValue } from './types';

const f16 = new Float32Array(1);
const f16u = new Uint32Array(f16.buffer);

/** IEEE half -> number. */
export function halfToFloat(h: number): number {
  const s = (h & 0x8000) << 16;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return (s ? -1 : 1) * m * 2 ** -24;
  if (e === 31) f16u[0] = s | 0x7f800000 | (m << 13);
  else f16u[0] = s | ((e + 112) << 23) | (m << 13);
  return f16[0];
}

export function tensorSize(t: TensorValue): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

/** All elements as numbers (float, double, ints, bool, half); empty for string tensors. */
export function tensorNumbers(t: TensorValue): Float64Array | Float32Array {
  if (t.content && t.content.length > 0) {
    const c = t.content;
    const dv = new DataView(c.buffer, c.byteOffset, c.byteLength);
    switch (t.dtype) {
      case DT.FLOAT: {
        const out = new Float32Array(c.length >> 2);
        for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
        return out;
      }
      case DT.DOUBLE: {
        const out = new Float64Array(c.length >> 3);
        for (let i = 0; i < out.length; i++) out[i] = dv.getFloat64(i * 8, true);
        return out;
      }
      case DT.INT32: {
        const out = new Float64Array(c.length >> 2);
        for (let i = 0; i < out.length; i++) out[i] = dv.getInt32(i * 4, true);
        return out;
      }
      case DT.INT64: {
        const out = new Float64Array(c.length >> 3);
        for (let i = 0; i < out.length; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
        return out;
      }
      case DT.INT16: {
        const out = new Float64Array(c.length >> 1);
        for (let i = 0; i < out.length; i++) out[i] = dv.getInt16(i * 2, true);
        return out;
      }
      case DT.HALF: {
        const out = new Float32Array(c.length >> 1);
        for (let i = 0; i < out.length; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
        return out;
      }
      case DT.UINT8:
      case DT.BOOL:
        return Float64Array.from(c);
      case DT.INT8:
        return Float64Array.from(new Int8Array(c.buffer, c.byteOffset, c.length));
      default:
        return new Float64Array(0);
    }
  }
  const n = tensorSize(t);
  // A single value stands for the whole tensor when fewer values than elements are given (proto rule).
  const broadcast = <T extends Float32Array | Float64Array>(vals: T, make: (n: number) => T): T => {
    if (vals.length >= n || vals.length !== 1) return vals;
    const out = make(n);
    out.fill(vals[0]);
    return out;
  };
  if (t.floatVal) return broadcast(t.floatVal, (k) => new Float32Array(k));
  if (t.doubleVal) return broadcast(t.doubleVal, (k) => new Float64Array(k));
  const ints = t.intVal ?? t.int64Val ?? t.boolVal;
  if (ints) return broadcast(Float64Array.from(ints), (k) => new Float64Array(k));
  if (t.halfVal) return broadcast(Float32Array.from(t.halfVal, halfToFloat), (k) => new Float32Array(k));
  return new Float64Array(0);
}

export function tensorStrings(t: TensorValue): string[] {
  return (t.stringVal ?? []).map((b) => decodeUtf8(b, 0, b.length));
}

/** Test-only: tensor data as JSON-comparable values (non-finite floats and int64 as strings, like the oracles). */
import type { TensorData } from '../model';

export function comparable(data: TensorData): (number | string)[] {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, String);
  return Array.from(data as ArrayLike<number | string>, (v) =>
    typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf') : v,
  );
}

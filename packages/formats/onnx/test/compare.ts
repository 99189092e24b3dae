/** Checks a TensorInfo's decoded data against the facts the onnx Python package computed. */
import { expect } from 'vitest';
import type { TensorInfo } from '../../model';
import { codeOf } from '../dtypes';
import type { TensorFacts } from './python';

function close(actual: number, expected: number, what: string): void {
  const tol = 1e-9 * Math.max(1, Math.abs(expected));
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

export async function expectSameTensor(info: TensorInfo, facts: TensorFacts, label: string): Promise<void> {
  expect(info.shape, `${label} shape`).toEqual(facts.dims);
  expect(codeOf(info.dtype), `${label} data type`).toBe(facts.data_type);
  const data = await info.read();
  if (facts.strings) {
    expect(data, `${label} strings`).toEqual(facts.strings);
    return;
  }
  expect(Array.isArray(data)).toBe(false);
  const values = Array.from(data as ArrayLike<number | bigint>, Number);
  expect(values.length, `${label} count`).toBe(facts.count);
  let sum = 0;
  let absSum = 0;
  let nan = 0;
  let inf = 0;
  for (const v of values) {
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) inf++;
    else {
      sum += v;
      absSum += Math.abs(v);
    }
  }
  expect(nan, `${label} NaN count`).toBe(facts.nan);
  expect(inf, `${label} Inf count`).toBe(facts.inf);
  close(sum, facts.sum!, `${label} sum`);
  close(absSum, facts.abs_sum!, `${label} |sum|`);
  facts.first!.forEach((f, i) => {
    if (Number.isNaN(f)) expect(values[i]).toBeNaN();
    else expect(values[i], `${label}[${i}]`).toBe(f);
  });
}

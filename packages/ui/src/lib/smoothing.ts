/**
 * TensorBoard's scalar smoothing: an exponential moving average debiased like Adam's first moment,
 * so the first points are not dragged towards zero. Non-finite points pass through unchanged and do
 * not enter the average; a constant series is returned as is (as TensorBoard does).
 */
export function smoothEma(values: ArrayLike<number | null>, weight: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const first = values[0];
  let constant = true;
  for (let i = 1; i < n && constant; i++) if (values[i] !== first) constant = false;
  let last = 0;
  let accumulated = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      out[i] = v === null ? Number.NaN : v;
      continue;
    }
    if (constant) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    accumulated++;
    const debias = weight === 1 ? 1 : 1 - weight ** accumulated;
    out[i] = last / debias;
  }
  return out;
}

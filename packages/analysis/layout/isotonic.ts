/**
 * Places boxes in a row as close as possible (least squares) to desired centres while keeping a minimum
 * gap between neighbours, in linear time: subtracting each box's minimum offset from the first turns the
 * gap constraints into "non-decreasing", which the pool-adjacent-violators algorithm solves exactly.
 */

/**
 * `order`: the boxes of the row, left to right; `desired`, `width`: per box (indexed by box id);
 * writes the centres into `out` (indexed by box id). `scratch` must hold 3 * order.length numbers.
 */
export function placeRow(
  order: Int32Array,
  desired: Float64Array,
  width: Float64Array,
  gap: number,
  out: Float64Array,
  scratch: Float64Array,
): void {
  const n = order.length;
  if (n === 0) return;
  const offset = scratch.subarray(0, n);
  const value = scratch.subarray(n, 2 * n); // pooled block means
  const count = scratch.subarray(2 * n, 3 * n); // pooled block sizes
  offset[0] = 0;
  for (let i = 1; i < n; i++) {
    offset[i] = offset[i - 1] + (width[order[i - 1]] + width[order[i]]) / 2 + gap;
  }
  let blocks = 0;
  for (let i = 0; i < n; i++) {
    let v = desired[order[i]] - offset[i];
    let c = 1;
    while (blocks > 0 && value[blocks - 1] > v) {
      const pc = count[blocks - 1];
      v = (value[blocks - 1] * pc + v * c) / (pc + c);
      c += pc;
      blocks--;
    }
    value[blocks] = v;
    count[blocks] = c;
    blocks++;
  }
  let i = 0;
  for (let b = 0; b < blocks; b++) {
    for (let k = 0; k < count[b]; k++, i++) out[order[i]] = value[b] + offset[i];
  }
}

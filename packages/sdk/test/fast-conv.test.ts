import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { useFastConvBackprop } from '../tfjs/fast-conv';

/** The filter gradient of sum(conv2d(x, k) * dy), through whichever kernel is registered. */
function filterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  shape: [number, number, number, number],
  stride: number,
  pad: 'same' | 'valid',
) {
  return tf.grad((k: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, k as tf.Tensor4D, stride, pad), dy)))(
    tf.zeros(shape),
  );
}

it("the typed-array Conv2DBackpropFilter gives the stock kernel's values exactly", () => {
  type Shape = [number, number, number, number];
  const cases: { x: Shape; k: Shape; stride: number; pad: 'same' | 'valid'; dy: Shape; nan?: boolean }[] = [
    { x: [2, 9, 7, 3], k: [3, 3, 3, 4], stride: 1, pad: 'valid', dy: [2, 7, 5, 4] },
    { x: [3, 8, 8, 2], k: [3, 3, 2, 5], stride: 2, pad: 'same', dy: [3, 4, 4, 5] },
    { x: [1, 6, 5, 1], k: [5, 2, 1, 2], stride: 1, pad: 'same', dy: [1, 6, 5, 2] },
    // a NaN gradient must reach every filter element it touches, even through zero inputs
    { x: [1, 4, 4, 2], k: [3, 3, 2, 2], stride: 1, pad: 'valid', dy: [1, 2, 2, 2], nan: true },
  ];
  const inputs = cases.map((c, i) => ({
    ...c,
    xt: tf.relu(tf.randomNormal(c.x, 0, 1, 'float32', i)) as tf.Tensor4D,
    dyt: (c.nan
      ? tf.tensor4d([Number.NaN, ...Array(7).fill(0.5)], c.dy)
      : tf.randomNormal(c.dy, 0, 1, 'float32', 10 + i)) as tf.Tensor4D,
  }));
  const stock = inputs.map((c) => filterGrad(c.xt, c.dyt, c.k, c.stride, c.pad).dataSync());
  useFastConvBackprop();
  inputs.forEach((c, i) => {
    const fast = filterGrad(c.xt, c.dyt, c.k, c.stride, c.pad).dataSync();
    expect(Array.from(fast)).toEqual(Array.from(stock[i]));
    if (c.nan) expect(Array.from(fast).some(Number.isNaN)).toBe(true);
  });
});

/**
 * The Grad-CAM overlay: the map upsampled (bilinear, half-pixel centers) to the input's size and
 * blended as a viridis heatmap over the input image (its values rescaled to 0..255 for display).
 */
import * as tf from '@tensorflow/tfjs';
import type { RgbaImage } from './image';
import { imageLayout } from './image';
import type { Feed } from './inputs';
import { viridis } from './maps';

export function camOverlay(map: Float32Array, mapShape: [number, number], feed: Feed): RgbaImage {
  const { layout, c, h, w } = imageLayout(feed.shape);
  const up = tf.tidy(() =>
    tf.image.resizeBilinear(tf.tensor(map, [...mapShape, 1]) as tf.Tensor3D, [h, w], false, true).dataSync(),
  );
  let camMax = 0;
  for (const v of up) camMax = Math.max(camMax, v);
  const px = (k: number, i: number) =>
    Number(layout === 'nchw' ? feed.data[k * h * w + i] : feed.data[i * c + k]);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < c * h * w; i++) {
    const v = Number(feed.data[i]);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi > lo ? hi - lo : 1;
  const rgba = new Uint8Array(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    const heat = viridis(camMax > 0 ? up[i] / camMax : 0);
    for (let k = 0; k < 3; k++) {
      const base = ((px(c === 3 ? k : 0, i) - lo) / range) * 255;
      rgba[i * 4 + k] = Math.round(0.5 * base + 0.5 * heat[k]);
    }
    rgba[i * 4 + 3] = 255;
  }
  return { width: w, height: h, rgba };
}

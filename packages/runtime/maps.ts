/**
 * CNN feature maps as one image: the channels of the first batch item in a near-square grid, each
 * channel scaled to its own min..max and coloured with viridis; small maps are enlarged.
 */
import type { RgbaImage } from './image';

/** viridis at 0, 0.25, 0.5, 0.75, 1 */
const STOPS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

const GAP = 1;
const MIN_TILE = 32;

/** `data` of shape [N, C, H, W]: the grid of the C maps of item 0. */
export function featureGrid(data: ArrayLike<number>, shape: readonly number[]): RgbaImage {
  const [, c, h, w] = shape;
  const zoom = Math.max(1, Math.floor(MIN_TILE / Math.max(h, w)));
  const th = h * zoom;
  const tw = w * zoom;
  const cols = Math.ceil(Math.sqrt(c));
  const rows = Math.ceil(c / cols);
  const width = cols * tw + (cols - 1) * GAP;
  const height = rows * th + (rows - 1) * GAP;
  const rgba = new Uint8Array(width * height * 4).fill(255);
  for (let k = 0; k < c; k++) {
    const base = k * h * w;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < h * w; i++) {
      const v = data[base + i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const range = max > min ? max - min : 1;
    const ox = (k % cols) * (tw + GAP);
    const oy = Math.floor(k / cols) * (th + GAP);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const v = data[base + Math.floor(y / zoom) * w + Math.floor(x / zoom)];
        const [r, g, b] = viridis((v - min) / range);
        const at = ((oy + y) * width + ox + x) * 4;
        rgba[at] = r;
        rgba[at + 1] = g;
        rgba[at + 2] = b;
        rgba[at + 3] = 255;
      }
    }
  }
  return { width, height, rgba };
}

/**
 * Images in and out: PNG/JPEG decoding, bilinear resizing (half-pixel centers, as PyTorch's
 * interpolate(align_corners=False) without antialiasing), normalization presets, and PNG encoding.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError } from './errors';

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes */
  rgba: Uint8Array;
}

/** Per-channel (x / scale - mean) / std; `scale` 255 maps bytes to [0, 1]. */
export interface Normalization {
  scale: number;
  mean: number[];
  std: number[];
}

export const PRESETS: Record<string, Normalization> = {
  imagenet: { scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  unit: { scale: 255, mean: [0], std: [1] },
  raw: { scale: 1, mean: [0], std: [1] },
  /** [-1, 1], as Inception and many TF models expect */
  symmetric: { scale: 255, mean: [0.5], std: [0.5] },
};

export function decodeImage(file: string, bytes: Uint8Array): RgbaImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  try {
    if (buf[0] === 0x89 && buf[1] === 0x50) {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data) };
    }
    if (buf[0] === 0xff && buf[1] === 0xd8) {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, rgba: img.data };
    }
  } catch (e) {
    throw new InputError(`${file}: is a damaged image (${(e as Error).message})`);
  }
  throw new InputError(`${file}: is neither a PNG nor a JPEG image`);
}

/** One channel of `image` resized to h x w, as floats in the image's 0..255 range. */
function resizeChannel(image: RgbaImage, channel: number, h: number, w: number): Float32Array {
  const { width, height, rgba } = image;
  const out = new Float32Array(h * w);
  const sy = height / h;
  const sx = width / w;
  for (let y = 0; y < h; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const y0 = Math.min(height - 1, Math.floor(fy));
    const y1 = Math.min(height - 1, y0 + 1);
    const dy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5);
      const x0 = Math.min(width - 1, Math.floor(fx));
      const x1 = Math.min(width - 1, x0 + 1);
      const dx = fx - x0;
      const p = (yy: number, xx: number) => rgba[(yy * width + xx) * 4 + channel];
      const top = p(y0, x0) * (1 - dx) + p(y0, x1) * dx;
      const bottom = p(y1, x0) * (1 - dx) + p(y1, x1) * dx;
      out[y * w + x] = top * (1 - dy) + bottom * dy;
    }
  }
  return out;
}

/** The layout of an image input: NCHW when axis 1 has 1 or 3 channels, else NHWC when the last does. */
export function imageLayout(shape: number[]): { layout: 'nchw' | 'nhwc'; c: number; h: number; w: number } {
  if (shape.length === 4 && (shape[1] === 1 || shape[1] === 3))
    return { layout: 'nchw', c: shape[1], h: shape[2], w: shape[3] };
  if (shape.length === 4 && (shape[3] === 1 || shape[3] === 3))
    return { layout: 'nhwc', c: shape[3], h: shape[1], w: shape[2] };
  throw new InputError(`an image needs an input of shape [N, 1|3, H, W] or [N, H, W, 1|3], not [${shape}]`);
}

/** The image resized and normalized into a tensor of `shape` (every batch item gets the same image). */
export function imageToTensor(
  image: RgbaImage,
  shape: number[],
  norm: Normalization,
  what: string,
): Float32Array {
  let layout: ReturnType<typeof imageLayout>;
  try {
    layout = imageLayout(shape);
  } catch (e) {
    throw new InputError(`${what}: ${(e as Error).message}`);
  }
  const { c, h, w } = layout;
  const planes: Float32Array[] = [];
  if (c === 3) for (let k = 0; k < 3; k++) planes.push(resizeChannel(image, k, h, w));
  else {
    const [r, g, b] = [0, 1, 2].map((k) => resizeChannel(image, k, h, w));
    planes.push(r.map((v, i) => 0.299 * v + 0.587 * g[i] + 0.114 * b[i]));
  }
  const item = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) {
    const mean = norm.mean[k % norm.mean.length];
    const std = norm.std[k % norm.std.length];
    const plane = planes[k];
    for (let i = 0; i < h * w; i++) {
      const v = (plane[i] / norm.scale - mean) / std;
      if (layout.layout === 'nchw') item[k * h * w + i] = v;
      else item[i * c + k] = v;
    }
  }
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let at = 0; at < out.length; at += item.length) out.set(item, at);
  return out;
}

export function encodePng(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.rgba.buffer, image.rgba.byteOffset, image.rgba.length);
  return PNG.sync.write(png);
}

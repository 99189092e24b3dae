/** Images for summaries: pixels in, 8-bit PNG out; several images tiled into one grid (as add_images does). */
import { encodePng } from '@tensorscope/formats/tfevents/node';

/**
 * Row-major height x width x channels pixels. Floating-point data is read as [0, 1] (tensorboardX's
 * convention) and clamped; integer data as 0..255.
 */
export interface ImageInput {
  data: Uint8Array | Uint8ClampedArray | Float32Array | Float64Array | ArrayLike<number>;
  width: number;
  height: number;
  channels?: 1 | 3 | 4;
}

export interface Png {
  png: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

function toBytes(img: ImageInput, channels: number): Uint8Array {
  const n = img.width * img.height * channels;
  if (img.data.length !== n)
    throw new Error(
      `image has ${img.data.length} values but ${img.height}x${img.width}x${channels} needs ${n}`,
    );
  if (img.data instanceof Uint8Array || img.data instanceof Uint8ClampedArray)
    return Uint8Array.from(img.data);
  const isFloat = img.data instanceof Float32Array || img.data instanceof Float64Array;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = isFloat ? img.data[i] * 255 : img.data[i];
    out[i] = v > 255 ? 255 : v > 0 ? Math.round(v) : 0;
  }
  return out;
}

export function imagePng(img: ImageInput): Png {
  const channels = img.channels ?? 1;
  return {
    png: encodePng(toBytes(img, channels), img.width, img.height, channels),
    width: img.width,
    height: img.height,
    channels,
  };
}

/** Tiles same-sized images into a grid `columns` wide (default: as square as possible), 2 px apart. */
export function imageGrid(images: ImageInput[], columns?: number, pad = 2): ImageInput {
  if (!images.length) throw new Error('images: the list is empty');
  const { width, height } = images[0];
  const channels = images[0].channels ?? 1;
  for (const im of images) {
    if (im.width !== width || im.height !== height || (im.channels ?? 1) !== channels)
      throw new Error('images: every image of a grid needs the same size and channels');
  }
  const cols = Math.max(1, Math.min(images.length, columns ?? Math.ceil(Math.sqrt(images.length))));
  const rows = Math.ceil(images.length / cols);
  const gw = cols * width + (cols - 1) * pad;
  const gh = rows * height + (rows - 1) * pad;
  const out = new Uint8Array(gw * gh * channels);
  images.forEach((im, k) => {
    const bytes = toBytes(im, channels);
    const x0 = (k % cols) * (width + pad);
    const y0 = Math.floor(k / cols) * (height + pad);
    for (let y = 0; y < height; y++) {
      out.set(
        bytes.subarray(y * width * channels, (y + 1) * width * channels),
        ((y0 + y) * gw + x0) * channels,
      );
    }
  });
  return { data: out, width: gw, height: gh, channels };
}

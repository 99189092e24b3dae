/**
 * Inputs for a run: random data of the right shape and type, a .npy file, a JSON array, or an image
 * (PNG/JPEG) resized and normalized for the model. Every bad input is one sentence naming the file.
 */
import { access, readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { DType, TensorData, ValueInfo } from '@tensorscope/formats/model';
import { fileSource } from '@tensorscope/formats/node-source';
import { openNpy } from '@tensorscope/formats/npy';
import { InputError } from './errors';
import { decodeImage, imageToTensor, type Normalization } from './image';

export { InputError };

export type FeedData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

export interface Feed {
  name: string;
  dtype: DType;
  shape: number[];
  data: FeedData;
  /** where the values came from: random, a file name */
  source: string;
}

/** The concrete shape of a model input: symbolic or unknown dimensions become 1 (a batch of one). */
export function concreteShape(v: ValueInfo): number[] {
  if (!v.shape) throw new InputError(`the model input ${v.name} has no known shape; pass its data as a file`);
  return v.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
}

const SUPPORTED: DType[] = ['float32', 'float64', 'int32', 'int64', 'uint8', 'int8', 'bool'];

function checkDtype(v: ValueInfo): DType {
  const dtype = v.dtype ?? 'float32';
  if (!SUPPORTED.includes(dtype))
    throw new InputError(`the model input ${v.name} has type ${dtype}, which tensorscope cannot feed yet`);
  return dtype;
}

/** numbers converted to the input's element type */
export function toDtype(values: ArrayLike<number> | BigInt64Array, dtype: DType): FeedData {
  const n = values.length;
  const num = (i: number) => Number(values[i]);
  switch (dtype) {
    case 'float64':
      return Float64Array.from({ length: n }, (_, i) => num(i));
    case 'int32':
      return Int32Array.from({ length: n }, (_, i) => Math.trunc(num(i)));
    case 'int64':
      return values instanceof BigInt64Array
        ? values
        : BigInt64Array.from({ length: n }, (_, i) => BigInt(Math.trunc(num(i))));
    case 'uint8':
    case 'bool':
      return Uint8Array.from({ length: n }, (_, i) => num(i));
    case 'int8':
      return Int8Array.from({ length: n }, (_, i) => num(i));
    default:
      return values instanceof Float32Array ? values : Float32Array.from({ length: n }, (_, i) => num(i));
  }
}

/** mulberry32: a small seeded generator, so `random` inputs are the same on every run */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal floats; integers in [0, 10); booleans 0/1. */
export function randomFeed(v: ValueInfo, seed = 0): Feed {
  const dtype = checkDtype(v);
  const shape = concreteShape(v);
  const n = shape.reduce((a, b) => a * b, 1);
  const rand = generator(seed);
  const values = new Float64Array(n);
  const float = dtype === 'float32' || dtype === 'float64';
  for (let i = 0; i < n; i++) {
    if (float) values[i] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    else values[i] = Math.floor(rand() * (dtype === 'bool' ? 2 : 10));
  }
  return { name: v.name, dtype, shape, data: toDtype(values, dtype), source: 'random' };
}

function checkCount(file: string, v: ValueInfo, shape: number[], got: number): void {
  const want = shape.reduce((a, b) => a * b, 1);
  if (got !== want)
    throw new InputError(
      `${file}: holds ${got} values but the model input ${v.name} of shape [${shape.join(', ')}] needs ${want}`,
    );
}

async function npyFeed(path: string, v: ValueInfo): Promise<Feed> {
  const dtype = checkDtype(v);
  const model = await openNpy(await fileSource(path));
  const t = model.tensors[0];
  if (!t) throw new InputError(`${basename(path)}: holds no array`);
  const data: TensorData = await t.read();
  if (Array.isArray(data)) throw new InputError(`${basename(path)}: holds strings, not numbers`);
  const known = t.shape.every((d) => typeof d === 'number');
  const shape = known ? (t.shape as number[]) : concreteShape(v);
  checkCount(basename(path), v, concreteShape(v), data.length);
  return { name: v.name, dtype, shape, data: toDtype(data as Float32Array, dtype), source: basename(path) };
}

async function jsonFeed(path: string, v: ValueInfo): Promise<Feed> {
  const dtype = checkDtype(v);
  const file = basename(path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: is not valid JSON (${(e as Error).message})`);
  }
  const flat = Array.isArray(parsed) ? parsed.flat(Number.POSITIVE_INFINITY) : [parsed];
  if (!flat.every((x) => typeof x === 'number' || typeof x === 'boolean'))
    throw new InputError(`${file}: must be a (nested) JSON array of numbers`);
  const shape = concreteShape(v);
  checkCount(file, v, shape, flat.length);
  return { name: v.name, dtype, shape, data: toDtype(flat.map(Number), dtype), source: file };
}

async function imageFeed(path: string, v: ValueInfo, norm: Normalization): Promise<Feed> {
  const dtype = checkDtype(v);
  const shape = concreteShape(v);
  const image = decodeImage(basename(path), await readFile(path));
  const data = imageToTensor(image, shape, norm, `${basename(path)} for the model input ${v.name}`);
  return { name: v.name, dtype, shape, data: toDtype(data, dtype), source: basename(path) };
}

/** `spec` is `random`, or a .npy, .json, .png, .jpg/.jpeg file. */
export async function loadFeed(spec: string, v: ValueInfo, norm: Normalization): Promise<Feed> {
  if (spec === 'random') return randomFeed(v);
  const ext = extname(spec).toLowerCase();
  try {
    await access(spec);
  } catch {
    throw new InputError(`${spec}: cannot be read (no such file or no permission)`);
  }
  if (ext === '.npy') return npyFeed(spec, v);
  if (ext === '.json') return jsonFeed(spec, v);
  if (ext === '.png' || ext === '.jpg' || ext === '.jpeg') return imageFeed(spec, v, norm);
  throw new InputError(
    `${basename(spec)}: is not an input tensorscope reads (use .npy, .json, .png, .jpg or random)`,
  );
}

/**
 * The input of a Run request: the body's bytes (a PNG/JPEG image, a .npy array or a JSON array, told
 * apart by their first bytes) or `?input=random`, and the image normalization from the query (the same
 * presets and --mean/--std as `tensorscope run`). The bytes go through the runtime's own loader, so a
 * run from the page and one from the command line see the same tensor.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ValueInfo } from '@tensorscope/formats/model';
import type { Feed, Normalization } from '@tensorscope/runtime';
import { HttpError } from '../http-error';

type Runtime = typeof import('@tensorscope/runtime');
type Query = Record<string, unknown>;

/** The kind of input the bytes hold, by their signature; undefined when none fits. */
export function sniffInput(bytes: Uint8Array): '.png' | '.jpg' | '.npy' | '.json' | undefined {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return '.png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return '.jpg';
  if (bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY') return '.npy';
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  // a JSON array, or a single number
  if (first !== undefined && (first === 0x5b || first === 0x2d || (first >= 0x30 && first <= 0x39)))
    return '.json';
  return undefined;
}

/** A file name from the page for messages: its last path part, harmless characters only. */
export function inputName(q: Query): string {
  const raw = typeof q.name === 'string' ? q.name : '';
  const base = raw.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^A-Za-z0-9._ -]+/g, '_').slice(0, 100);
  return clean || 'input';
}

function numbers(q: Query, name: string): number[] | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  const xs = typeof v === 'string' ? v.split(',').map(Number) : [Number.NaN];
  if (xs.some((x) => !Number.isFinite(x)) || (name === 'std' && xs.some((x) => x === 0)))
    throw new HttpError(
      400,
      `"${name}" takes comma-separated ${name === 'std' ? 'non-zero ' : ''}numbers such as 0.485,0.456,0.406.`,
    );
  return xs;
}

/** `preset` (imagenet by default) with `mean` / `std` overriding its values. */
export function normalization(q: Query, presets: Runtime['PRESETS']): Normalization {
  const name = typeof q.preset === 'string' && q.preset ? q.preset : 'imagenet';
  const preset = presets[name];
  if (!preset || !Object.hasOwn(presets, name))
    throw new HttpError(
      400,
      `"preset" must be one of ${Object.keys(presets).join(', ')}, not ${JSON.stringify(name)}.`,
    );
  return { ...preset, mean: numbers(q, 'mean') ?? preset.mean, std: numbers(q, 'std') ?? preset.std };
}

/**
 * The feed of the model's first input from the body (written to a private temporary file so the
 * runtime's loader reads it exactly as it reads a file given to `tensorscope run`).
 */
export async function bodyFeed(
  rt: Runtime,
  body: Uint8Array,
  name: string,
  input: ValueInfo,
  norm: Normalization,
): Promise<Feed> {
  const ext = sniffInput(body);
  if (!ext)
    throw new HttpError(
      400,
      `${name}: is not an input tensorscope reads (send a PNG or JPEG image, a .npy array or a JSON array).`,
    );
  const dir = await mkdtemp(join(tmpdir(), 'tensorscope-input-'));
  // keep the page's name when its extension agrees with the content, so messages name the user's file
  const file =
    name.toLowerCase().endsWith(ext) || (ext === '.jpg' && /\.jpeg$/i.test(name)) ? name : `${name}${ext}`;
  try {
    await writeFile(join(dir, file), body);
    return { ...(await rt.loadFeed(join(dir, file), input, norm)), source: file };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

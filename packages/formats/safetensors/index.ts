/**
 * safetensors: an 8-byte little-endian header length, a JSON header
 * ({name: {dtype, shape, data_offsets}, __metadata__: {...}}), then raw little-endian tensor bytes.
 * open() reads only the header; each tensor reads its own byte range.
 */

import { guardedOpen } from '../common/guard';
import { decodeTensor, elementSize, numel } from '../common/tensor-bytes';
import {
  type DType,
  type Model,
  ModelError,
  type ModelFormat,
  type ModelSource,
  type TensorInfo,
} from '../model';

const dtypes: Record<string, DType> = {
  BOOL: 'bool',
  U8: 'uint8',
  I8: 'int8',
  U16: 'uint16',
  I16: 'int16',
  U32: 'uint32',
  I32: 'int32',
  U64: 'uint64',
  I64: 'int64',
  F16: 'float16',
  BF16: 'bfloat16',
  F32: 'float32',
  F64: 'float64',
  C64: 'complex64',
  F8_E4M3: 'float8e4m3fn',
  F8_E5M2: 'float8e5m2',
};
/** sub-byte and exotic float types have no decoder: their byte sizes are still reported */
const bitsOfUnknown: Record<string, number> = { F4: 4, F6_E2M3: 6, F6_E3M2: 6, F8_E8M0: 8 };

const MAX_HEADER = 100_000_000;

export const safetensors: ModelFormat = {
  id: 'safetensors',
  detect(source, head) {
    if (source.name.toLowerCase().endsWith('.safetensors')) return true;
    if (head.length < 10) return false;
    const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    return n > 1n && n < BigInt(MAX_HEADER) && head[8] === 0x7b; // '{'
  },
  open: openSafetensors,
};

interface Entry {
  dtype?: unknown;
  shape?: unknown;
  data_offsets?: unknown;
}

export function openSafetensors(source: ModelSource): Promise<Model> {
  return guardedOpen(source.name, () => readSafetensors(source));
}

async function readSafetensors(source: ModelSource): Promise<Model> {
  const fail = (problem: string) => new ModelError(source.name, problem);
  if (source.size < 8) throw fail(`the file is ${source.size} bytes, too short for a safetensors header`);
  const lenBytes = await source.read(0, 8);
  const headerLength = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > source.size - 8 || headerLength > MAX_HEADER)
    throw fail(`the header length ${headerLength} exceeds the file size ${source.size}`);
  let header: Record<string, Entry>;
  try {
    header = JSON.parse(new TextDecoder().decode(await source.read(8, headerLength)));
  } catch (e) {
    throw fail(`the JSON header does not parse (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw fail('the JSON header is not an object');
  const dataStart = 8 + headerLength;
  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries(entry ?? {}))
        metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
      continue;
    }
    const { dtype: rawDtype, shape, data_offsets: offsets } = entry ?? {};
    if (
      typeof rawDtype !== 'string' ||
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isInteger(d) && d >= 0) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isInteger(o) && o >= 0)
    )
      throw fail(`tensor ${name} has a malformed header entry`);
    const [begin, end] = offsets as number[];
    if (end < begin || dataStart + end > source.size)
      throw fail(`tensor ${name} lies outside the file (bytes ${begin}..${end} of the data section)`);
    const dtype = dtypes[rawDtype] ?? 'unknown';
    const count = numel(shape);
    const expected =
      dtype === 'unknown'
        ? Math.ceil((count * (bitsOfUnknown[rawDtype] ?? 0)) / 8)
        : count * elementSize(dtype);
    if (bitsOfUnknown[rawDtype] === undefined && dtype === 'unknown')
      throw fail(`tensor ${name} has unknown dtype ${rawDtype}`);
    if (end - begin !== expected)
      throw fail(`tensor ${name} holds ${end - begin} bytes but its shape and dtype need ${expected}`);
    tensors.push({
      name,
      dtype,
      shape,
      byteLength: end - begin,
      async read() {
        if (dtype === 'unknown')
          throw fail(`tensor ${name} has dtype ${rawDtype}, which tensorscope cannot decode`);
        return decodeTensor(await source.read(dataStart + begin, end - begin), dtype);
      },
    });
  }
  return { format: 'safetensors', metadata, tensors };
}

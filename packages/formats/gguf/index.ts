/**
 * GGUF (llama.cpp / ggml): header, metadata key-values (every value type, arrays), and the tensor
 * table. Shapes are reported row-major (ggml lists dimensions innermost first, so they are reversed).
 * F32/F16/BF16/F64 and integer tensors read directly; Q8_0 and Q4_0 blocks are dequantized; other
 * quantized types report their type name and byte size and refuse read() with a clear error.
 */

import { guardedOpen } from '../common/guard';
import { decodeTensor, float16ToFloat32 } from '../common/tensor-bytes';
import {
  type DType,
  type Model,
  ModelError,
  type ModelFormat,
  type ModelSource,
  type TensorData,
  type TensorInfo,
} from '../model';

/** ggml type id -> [name, elements per block, bytes per block, dtype when directly decodable] */
const ggmlTypes: Record<number, [string, number, number, DType?]> = {
  0: ['F32', 1, 4, 'float32'],
  1: ['F16', 1, 2, 'float16'],
  2: ['Q4_0', 32, 18],
  3: ['Q4_1', 32, 20],
  6: ['Q5_0', 32, 22],
  7: ['Q5_1', 32, 24],
  8: ['Q8_0', 32, 34],
  9: ['Q8_1', 32, 36],
  10: ['Q2_K', 256, 84],
  11: ['Q3_K', 256, 110],
  12: ['Q4_K', 256, 144],
  13: ['Q5_K', 256, 176],
  14: ['Q6_K', 256, 210],
  15: ['Q8_K', 256, 292],
  16: ['IQ2_XXS', 256, 66],
  17: ['IQ2_XS', 256, 74],
  18: ['IQ3_XXS', 256, 98],
  19: ['IQ1_S', 256, 50],
  20: ['IQ4_NL', 32, 18],
  21: ['IQ3_S', 256, 110],
  22: ['IQ2_S', 256, 82],
  23: ['IQ4_XS', 256, 136],
  24: ['I8', 1, 1, 'int8'],
  25: ['I16', 1, 2, 'int16'],
  26: ['I32', 1, 4, 'int32'],
  27: ['I64', 1, 8, 'int64'],
  28: ['F64', 1, 8, 'float64'],
  29: ['IQ1_M', 256, 56],
  30: ['BF16', 1, 2, 'bfloat16'],
  34: ['TQ1_0', 256, 54],
  35: ['TQ2_0', 256, 66],
  39: ['MXFP4', 32, 17],
};

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export const gguf: ModelFormat = {
  id: 'gguf',
  detect(source, head) {
    return (
      /\.gguf$/i.test(source.name) ||
      (head[0] === 0x47 && head[1] === 0x47 && head[2] === 0x55 && head[3] === 0x46)
    ); // "GGUF"
  },
  open: openGguf,
};

class Truncated extends Error {}

interface Header {
  version: number;
  kv: Map<string, GgufValue>;
  infos: { name: string; dims: bigint[]; type: number; offset: bigint }[];
  end: number;
}

/** parses the header from `bytes` (the file's start); throws Truncated when it needs more */
function parseHeader(bytes: Uint8Array, file: string): Header {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  let pos = 4;
  const need = (n: number) => {
    if (pos + n > bytes.length) throw new Truncated();
  };
  /** claims n bytes and returns where they start */
  const at = (n: number) => {
    need(n);
    pos += n;
    return pos - n;
  };
  const u32 = () => view.getUint32(at(4), true);
  const u64 = () => view.getBigUint64(at(8), true);
  const version = u32();
  if (version < 1 || version > 3)
    throw new ModelError(file, `it has GGUF version ${version}, expected 1 to 3`);
  // version 1 used 32-bit counts and lengths
  const count = () => (version === 1 ? BigInt(u32()) : u64());
  const small = (v: bigint, what: string) => {
    if (v > BigInt(bytes.length) * 8n + 1_000_000n)
      throw new ModelError(file, `its ${what} ${v} is impossibly large`);
    return Number(v);
  };
  const str = () => {
    const n = small(count(), 'string length');
    need(n);
    pos += n;
    return decoder.decode(bytes.subarray(pos - n, pos));
  };
  const value = (type: number): GgufValue => {
    switch (type) {
      case 0:
        return bytes[at(1)];
      case 1:
        return view.getInt8(at(1));
      case 2:
        return view.getUint16(at(2), true);
      case 3:
        return view.getInt16(at(2), true);
      case 4:
        return u32();
      case 5:
        return view.getInt32(at(4), true);
      case 6:
        return view.getFloat32(at(4), true);
      case 7:
        return bytes[at(1)] !== 0;
      case 8:
        return str();
      case 9: {
        const itemType = u32();
        const n = small(count(), 'array length');
        const items: GgufValue[] = [];
        for (let i = 0; i < n; i++) items.push(value(itemType));
        return items;
      }
      case 10:
        return u64();
      case 11:
        return view.getBigInt64(at(8), true);
      case 12:
        return view.getFloat64(at(8), true);
      default:
        throw new ModelError(file, `its metadata holds unknown value type ${type}`);
    }
  };
  const tensorCount = small(count(), 'tensor count');
  const kvCount = small(count(), 'metadata count');
  const kv = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = str();
    kv.set(key, value(u32()));
  }
  const infos: Header['infos'] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = str();
    const nDims = u32();
    if (nDims > 8) throw new ModelError(file, `tensor ${name} has ${nDims} dimensions`);
    const dims: bigint[] = [];
    for (let d = 0; d < nDims; d++) dims.push(version === 1 ? BigInt(u32()) : u64());
    infos.push({ name, dims, type: u32(), offset: u64() });
  }
  return { version, kv, infos, end: pos };
}

export function openGguf(source: ModelSource): Promise<Model> {
  return guardedOpen(source.name, () => readGguf(source));
}

async function readGguf(source: ModelSource): Promise<Model> {
  const fail = (problem: string) => new ModelError(source.name, problem);
  const magic = await source.read(0, Math.min(4, source.size));
  if (new TextDecoder().decode(magic) !== 'GGUF') throw fail('it does not start with the GGUF magic');
  let header: Header | undefined;
  for (let length = 1 << 20; !header; length *= 4) {
    const bytes = await source.read(0, Math.min(length, source.size));
    try {
      header = parseHeader(bytes, source.name);
    } catch (e) {
      if (!(e instanceof Truncated)) throw e;
      if (bytes.length >= source.size) throw fail('the file ends inside its header');
    }
  }
  const alignment = Number(header.kv.get('general.alignment') ?? 32);
  if (!Number.isInteger(alignment) || alignment <= 0)
    throw fail(`its general.alignment ${alignment} is not a positive integer`);
  const dataStart = Math.ceil(header.end / alignment) * alignment;

  const tensors = header.infos.map((info): TensorInfo => {
    const type = ggmlTypes[info.type];
    if (!type) throw fail(`tensor ${info.name} has unknown ggml type ${info.type}`);
    const [typeName, blockElements, blockBytes, dtype] = type;
    const count = info.dims.reduce((a, b) => a * Number(b), 1);
    if (count % blockElements)
      throw fail(`tensor ${info.name} has ${count} elements, not a multiple of the ${typeName} block`);
    const byteLength = (count / blockElements) * blockBytes;
    const start = dataStart + Number(info.offset);
    if (start + byteLength > source.size) throw fail(`tensor ${info.name} lies past the end of the file`);
    const quantized = !dtype;
    return {
      name: info.name,
      dtype: dtype ?? (typeName === 'Q8_0' || typeName === 'Q4_0' ? 'float32' : 'unknown'),
      shape: info.dims.map(Number).reverse(),
      byteLength,
      quantization: quantized ? { scale: 1, zeroPoint: 0, dtype: 'unknown' } : undefined,
      location: typeName,
      async read(): Promise<TensorData> {
        const bytes = await source.read(start, byteLength);
        if (dtype) return decodeTensor(bytes, dtype);
        if (typeName === 'Q8_0') return dequantizeQ8_0(bytes);
        if (typeName === 'Q4_0') return dequantizeQ4_0(bytes);
        throw fail(
          `tensor ${info.name} is ${typeName}-quantized, which tensorscope does not dequantize (only Q8_0 and Q4_0)`,
        );
      },
    };
  });
  const metadata: Record<string, string> = { 'gguf.version': String(header.version) };
  for (const [k, v] of header.kv) metadata[k] = display(v);
  const ggmlType: Record<string, string> = {};
  for (const info of header.infos) ggmlType[info.name] = ggmlTypes[info.type][0];
  const arch = header.kv.get('general.architecture');
  return {
    format: 'gguf',
    producer: typeof arch === 'string' ? arch : undefined,
    metadata,
    tensors,
    extras: { kv: header.kv, ggmlType },
  };
}

/** metadata for display: long arrays (tokenizer vocabularies) are summarized */
function display(v: GgufValue): string {
  if (!Array.isArray(v)) return String(v);
  const shown = v.slice(0, 16).map((x) => (typeof x === 'bigint' ? Number(x) : x));
  return v.length > 16
    ? `${JSON.stringify(shown).slice(0, -1)}, ... (${v.length} items)]`
    : JSON.stringify(shown);
}

/** Q8_0 block: fp16 scale d, 32 int8 q; x = d * q */
function dequantizeQ8_0(bytes: Uint8Array): Float32Array {
  const blocks = bytes.length / 34;
  const out = new Float32Array(blocks * 32);
  for (let b = 0; b < blocks; b++) {
    const o = b * 34;
    const d = float16ToFloat32(new Uint16Array([bytes[o] | (bytes[o + 1] << 8)]))[0];
    for (let i = 0; i < 32; i++) out[b * 32 + i] = d * ((bytes[o + 2 + i] << 24) >> 24);
  }
  return out;
}

/** Q4_0 block: fp16 scale d, 16 bytes of nibbles; low nibbles are elements 0-15, high 16-31; x = d * (q - 8) */
function dequantizeQ4_0(bytes: Uint8Array): Float32Array {
  const blocks = bytes.length / 18;
  const out = new Float32Array(blocks * 32);
  for (let b = 0; b < blocks; b++) {
    const o = b * 18;
    const d = float16ToFloat32(new Uint16Array([bytes[o] | (bytes[o + 1] << 8)]))[0];
    for (let i = 0; i < 16; i++) {
      out[b * 32 + i] = d * ((bytes[o + 2 + i] & 0xf) - 8);
      out[b * 32 + 16 + i] = d * ((bytes[o + 2 + i] >> 4) - 8);
    }
  }
  return out;
}

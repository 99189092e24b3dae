/**
 * NumPy .npy (one array) and .npz (a zip of .npy files, stored or deflated). The header is a Python
 * dict literal, parsed by a tiny literal parser (never evaluated). Fortran-ordered arrays are
 * transposed to row-major on read. Object arrays (pickles) are refused, never unpickled.
 */

import { guardedOpen } from '../common/guard';
import { decodeTensor, elementSize } from '../common/tensor-bytes';
import {
  type DType,
  type Model,
  ModelError,
  type ModelFormat,
  type ModelSource,
  type TensorData,
  type TensorInfo,
} from '../model';
import { ZipArchive } from '../pytorch/zip';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export const npy: ModelFormat = {
  id: 'npy',
  detect(source, head) {
    return (
      MAGIC.every((b, i) => head[i] === b) ||
      /\.npy$/i.test(source.name) ||
      (/\.npz$/i.test(source.name) && head[0] === 0x50 && head[1] === 0x4b)
    );
  },
  open: openNpy,
};

type Literal = string | number | boolean | null | Literal[] | { [key: string]: Literal };

/** parses a Python literal: dicts, tuples, lists, strings, ints, floats, True/False/None */
export function parseLiteral(text: string): Literal {
  let pos = 0;
  const ws = () => {
    while (/\s/.test(text[pos] ?? '')) pos++;
  };
  const error = () => new Error(`unexpected ${JSON.stringify(text.slice(pos, pos + 10) || 'end')} at ${pos}`);
  const value = (): Literal => {
    ws();
    const c = text[pos];
    if (c === '{' || c === '(' || c === '[') {
      const close = c === '{' ? '}' : c === '(' ? ')' : ']';
      pos++;
      const items: Literal[] = [];
      const dict: Record<string, Literal> = {};
      for (;;) {
        ws();
        if (text[pos] === close) {
          pos++;
          return c === '{' ? dict : items;
        }
        const v = value();
        if (c === '{') {
          ws();
          if (text[pos++] !== ':') throw error();
          dict[String(v)] = value();
        } else items.push(v);
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== close) throw error();
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, pos + 1);
      if (end < 0) throw error();
      const s = text.slice(pos + 1, end);
      pos = end + 1;
      return s;
    }
    const word = /^(True|False|None|[-+]?\d+(\.\d*)?([eE][-+]?\d+)?L?)/.exec(text.slice(pos));
    if (!word) throw error();
    pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0].replace(/L$/, ''));
  };
  const v = value();
  ws();
  if (pos !== text.length) throw error();
  return v;
}

/** numpy dtype codes without byte order ('f4', 'i8', ...) */
export const npyDtypes: Record<string, DType> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'bool',
  c8: 'complex64',
  c16: 'complex128',
};

/** one .npy held in `read(offset, length)`; `label` names it in errors ('it', 'entry w') */
async function npyTensor(
  name: string,
  label: string,
  size: number,
  read: (offset: number, length: number) => Promise<Uint8Array>,
  fail: (problem: string) => ModelError,
): Promise<TensorInfo> {
  const head = await read(0, Math.min(size, 12));
  if (!MAGIC.every((b, i) => head[i] === b)) throw fail(`${label} does not start with the NumPy magic`);
  const major = head[6];
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const lenSize = major === 1 ? 2 : 4;
  if (major < 1 || major > 3) throw fail(`${label} has .npy format version ${major}, expected 1 to 3`);
  const headerLength = lenSize === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lenSize + headerLength;
  if (dataStart > size) throw fail(`${label} ends inside its header`);
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    await read(8 + lenSize, headerLength),
  );
  let header: Literal;
  try {
    header = parseLiteral(headerText.trim());
  } catch (e) {
    throw fail(`${label} has an unreadable header (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw fail(`${label} has a header that is not a dict`);
  const { descr, fortran_order: fortran, shape } = header;
  if (typeof descr !== 'string')
    throw fail(`${label} has a structured dtype, which tensorscope does not read`);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number'))
    throw fail(`${label} has a malformed shape`);
  const order = descr[0];
  const code = descr.slice(1).replace(/^\?/, 'b1');
  const dims = shape as number[];
  const count = dims.reduce((a, b) => a * b, 1);
  if (code[0] === 'O')
    throw fail(`${label} holds Python objects (a pickle), which tensorscope never unpickles`);
  const text = code[0] === 'U' || code[0] === 'S';
  const dtype: DType = text
    ? 'string'
    : (npyDtypes[descr === '|b1' || descr === '?' ? 'b1' : code] ?? 'unknown');
  if (dtype === 'unknown') throw fail(`${label} has dtype ${descr}, which tensorscope does not read`);
  const itemSize = text ? Number(code.slice(1)) * (code[0] === 'U' ? 4 : 1) : elementSize(dtype);
  const byteLength = count * itemSize;
  if (dataStart + byteLength > size) throw fail(`${label} holds fewer bytes than its shape needs`);
  return {
    name,
    dtype,
    shape: dims,
    byteLength,
    async read(): Promise<TensorData> {
      let bytes = await read(dataStart, byteLength);
      if (fortran === true && dims.length > 1) bytes = fortranToC(bytes, dims, itemSize);
      if (text) return decodeStrings(bytes, count, itemSize, code[0] === 'U', order === '>');
      return decodeTensor(bytes, dtype, order !== '>');
    },
  };
}

/** column-major bytes -> row-major bytes */
function fortranToC(bytes: Uint8Array, dims: number[], size: number): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(bytes.length);
  const fStride = dims.map((_, i) => dims.slice(0, i).reduce((a, b) => a * b, 1));
  const index = new Array<number>(dims.length).fill(0);
  for (let n = 0; n < count; n++) {
    let f = 0;
    for (let d = 0; d < dims.length; d++) f += index[d] * fStride[d];
    out.set(bytes.subarray(f * size, f * size + size), n * size);
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++index[d] < dims[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

function decodeStrings(
  bytes: Uint8Array,
  count: number,
  itemSize: number,
  utf32: boolean,
  bigEndian: boolean,
): string[] {
  const out: string[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    let s = '';
    if (utf32) {
      for (let j = 0; j < itemSize; j += 4) {
        const cp = view.getUint32(i * itemSize + j, !bigEndian);
        if (cp === 0) break;
        s += String.fromCodePoint(cp);
      }
    } else {
      for (let j = 0; j < itemSize && bytes[i * itemSize + j]; j++)
        s += String.fromCharCode(bytes[i * itemSize + j]);
    }
    out.push(s);
  }
  return out;
}

export function openNpy(source: ModelSource): Promise<Model> {
  return guardedOpen(source.name, () => readNpy(source));
}

async function readNpy(source: ModelSource): Promise<Model> {
  const fail = (problem: string) => new ModelError(source.name, problem);
  const head = await source.read(0, Math.min(source.size, 8));
  if (MAGIC.every((b, i) => head[i] === b)) {
    const name = source.name.replace(/\.npy$/i, '');
    const tensor = await npyTensor(name, 'it', source.size, (o, l) => source.read(o, l), fail);
    return { format: 'npy', metadata: {}, tensors: [tensor] };
  }
  const zip = await ZipArchive.open(source);
  if (!zip) throw fail('it is neither a .npy file nor a .npz archive');
  const archive = zip;
  const tensors: TensorInfo[] = [];
  for (const entry of archive.entries.values()) {
    if (!entry.name.endsWith('.npy')) continue;
    // deflated entries (savez_compressed) are inflated whole, once, on first use
    let whole: Promise<Uint8Array> | undefined;
    const read = (offset: number, length: number) => {
      if (entry.method === 0) return archive.read(entry, offset, length);
      whole ??= archive.read(entry);
      return whole.then((b) => b.subarray(offset, offset + length));
    };
    const name = entry.name.slice(0, -4);
    tensors.push(await npyTensor(name, `entry ${name}`, entry.size, read, fail));
  }
  return { format: 'npy', metadata: { archive: 'npz' }, tensors };
}

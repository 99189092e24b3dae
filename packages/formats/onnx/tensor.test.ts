/**
 * Tensor encodings the fixtures do not cover, in models built here with the wire writer: every
 * storage field (raw_data, float_data, int32_data, int64_data, double_data, uint64_data, string_data),
 * narrow floats (fp16, bf16, fp8, fp4), 4-bit ints, sparse initializers, external data, and a
 * raw_data large enough to be left in the file until read.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../browser-source';
import { ModelError } from '../model';
import { fileSource } from '../node-source';
import { ProtoWriter } from '../proto';
import { openOnnx } from './index';

type Build = (w: ProtoWriter) => void;

/** TensorProto: dims 1, data_type 2, name 8, then the data fields the caller writes. */
function tensor(name: string, dataType: number, dims: number[], data: Build): Build {
  return (w) => {
    for (const d of dims) w.uint(1, d);
    w.uint(2, dataType).string(8, name);
    data(w);
  };
}

function model(initializers: Build[], sparse: Build[] = []): Uint8Array {
  return new ProtoWriter()
    .uint(1, 8)
    .string(2, 'test')
    .message(7, (g) => {
      g.string(2, 'g');
      for (const t of initializers) g.message(5, t);
      for (const s of sparse) g.message(15, s);
    })
    .message(8, (o) => o.uint(2, 17))
    .finish();
}

const raw = (bytes: number[] | Uint8Array) => (w: ProtoWriter) => w.bytes(9, Uint8Array.from(bytes));

async function read(bytes: Uint8Array, name: string) {
  const m = await openOnnx(bytesSource('t.onnx', bytes));
  const t = m.graph!.initializers.get(name);
  if (!t) throw new Error(`no ${name}`);
  return { info: t, data: await t.read() };
}

describe('ONNX tensor encodings', () => {
  it('decodes narrow floats from raw_data by their bit patterns', async () => {
    const bytes = model([
      // fp16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, +inf = 0x7c00
      tensor('f16', 10, [4], raw([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x00, 0x7c])),
      // bf16: 1.0 = 0x3f80, -0.5 = 0xbf00
      tensor('bf16', 16, [2], raw([0x80, 0x3f, 0x00, 0xbf])),
      // float8e4m3fn: 0x38 = 1.0, 0xc0 = -2.0, 0x7f = NaN; float8e5m2: 0x3c = 1.0, 0x7c = inf
      tensor('e4m3', 17, [3], raw([0x38, 0xc0, 0x7f])),
      tensor('e5m2', 19, [2], raw([0x3c, 0x7c])),
      // float4e2m1: nibbles low first: 0x2 = 1.0, 0xF = -6.0, 0x1 = 0.5
      tensor('fp4', 23, [3], raw([0xf2, 0x01])),
      // float8e8m0: 127 = 1.0, 130 = 8.0
      tensor('e8m0', 24, [2], raw([127, 130])),
    ]);
    expect(Array.from((await read(bytes, 'f16')).data as Float32Array)).toEqual([
      1,
      -2,
      65504,
      Number.POSITIVE_INFINITY,
    ]);
    expect(Array.from((await read(bytes, 'bf16')).data as Float32Array)).toEqual([1, -0.5]);
    const e4m3 = Array.from((await read(bytes, 'e4m3')).data as Float32Array);
    expect(e4m3.slice(0, 2)).toEqual([1, -2]);
    expect(e4m3[2]).toBeNaN();
    expect(Array.from((await read(bytes, 'e5m2')).data as Float32Array)).toEqual([
      1,
      Number.POSITIVE_INFINITY,
    ]);
    expect(Array.from((await read(bytes, 'fp4')).data as Float32Array)).toEqual([1, -6, 0.5]);
    expect(Array.from((await read(bytes, 'e8m0')).data as Float32Array)).toEqual([1, 8]);
    expect((await read(bytes, 'fp4')).info.dtype).toBe('float4e2m1');
  });

  it('unpacks 4-bit integers low nibble first, trimming an odd count', async () => {
    const bytes = model([tensor('i4', 22, [3], raw([0xf8, 0x07])), tensor('u4', 21, [4], raw([0x21, 0xf0]))]);
    expect(Array.from((await read(bytes, 'i4')).data as Int8Array)).toEqual([-8, -1, 7]);
    expect(Array.from((await read(bytes, 'u4')).data as Uint8Array)).toEqual([1, 2, 0, 15]);
  });

  it('reads every typed storage field', async () => {
    const bytes = model([
      tensor('f', 1, [3], (w) => w.packedFloats(4, [1.5, -2, 3])),
      tensor('d', 11, [2], (w) => w.packedDoubles(10, [0.1, -1e300])),
      tensor('i8', 3, [3], (w) => w.packedVarints(5, [-3, 0, 127])),
      tensor('h', 10, [2], (w) => w.packedVarints(5, [0x3c00, 0xbc00])),
      tensor('i64', 7, [2], (w) => w.packedVarints(7, [-5, 2 ** 40])),
      tensor('u64', 13, [1], (w) => w.packedVarints(11, [2 ** 50])),
      tensor('u32', 12, [2], (w) => w.packedVarints(11, [4294967295, 7])),
      tensor('b', 9, [3], (w) => w.packedVarints(5, [1, 0, 1])),
      tensor('s', 8, [2], (w) => w.string(6, 'héllo').string(6, '')),
      tensor('c64', 14, [2], (w) => w.packedFloats(4, [1, 2, 3, 4])),
      tensor('scalar', 1, [], (w) => w.packedFloats(4, [42])),
      tensor('empty', 1, [0, 3], () => {}),
    ]);
    expect(Array.from((await read(bytes, 'f')).data as Float32Array)).toEqual([1.5, -2, 3]);
    expect(Array.from((await read(bytes, 'd')).data as Float64Array)).toEqual([0.1, -1e300]);
    expect((await read(bytes, 'i8')).data).toEqual(Int8Array.from([-3, 0, 127]));
    expect(Array.from((await read(bytes, 'h')).data as Float32Array)).toEqual([1, -1]);
    expect((await read(bytes, 'i64')).data).toEqual(BigInt64Array.from([-5n, 2n ** 40n]));
    expect((await read(bytes, 'u64')).data).toEqual(BigUint64Array.from([2n ** 50n]));
    expect((await read(bytes, 'u32')).data).toEqual(Uint32Array.from([4294967295, 7]));
    expect((await read(bytes, 'b')).data).toEqual(Uint8Array.from([1, 0, 1]));
    expect((await read(bytes, 's')).data).toEqual(['héllo', '']);
    expect(Array.from((await read(bytes, 'c64')).data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(Array.from((await read(bytes, 'scalar')).data as Float32Array)).toEqual([42]);
    expect((await read(bytes, 'empty')).data).toEqual(new Float32Array(0));
  });

  it('densifies sparse initializers with linear and coordinate indices', async () => {
    const sparse = (name: string, indices: Build) => (w: ProtoWriter) => {
      w.message(
        1,
        tensor(name, 1, [2], (v) => v.packedFloats(4, [5, 7])),
      );
      w.message(2, indices);
      w.uint(3, 2).uint(3, 3);
    };
    const bytes = model(
      [],
      [
        sparse(
          'linear',
          tensor('', 7, [2], (w) => w.packedVarints(7, [1, 5])),
        ),
        sparse(
          'coords',
          tensor('', 7, [2, 2], (w) => w.packedVarints(7, [0, 1, 1, 2])),
        ),
      ],
    );
    expect(Array.from((await read(bytes, 'linear')).data as Float32Array)).toEqual([0, 5, 0, 0, 0, 7]);
    expect(Array.from((await read(bytes, 'coords')).data as Float32Array)).toEqual([0, 5, 0, 0, 0, 7]);
  });

  it('names the tensor and the mismatch when raw_data does not fit the shape', async () => {
    const bytes = model([tensor('w', 1, [3, 4], raw(new Uint8Array(8)))]);
    const m = await openOnnx(bytesSource('t.onnx', bytes));
    await expect(m.tensors[0].read()).rejects.toThrow(
      new ModelError('t.onnx', 'tensor "w" holds 8 bytes, but its shape [3, 4] of float32 needs 48'),
    );
  });

  it('leaves large raw_data in the file and reads it on demand', async () => {
    const values = Float32Array.from({ length: 1_000_000 }, (_, i) => Math.sin(i));
    const bytes = model([tensor('big', 1, [values.length], raw(new Uint8Array(values.buffer)))]);
    let bytesRead = 0;
    const src = bytesSource('big.onnx', bytes);
    const counting = {
      ...src,
      read: (o: number, n: number) => {
        bytesRead += n;
        return src.read(o, n);
      },
    };
    const m = await openOnnx(counting);
    // the walk reads the head and the small fields around the data, not the 4 MB of weights
    expect(bytesRead).toBeLessThan(bytes.length / 3);
    const opened = bytesRead;
    const got = (await m.tensors[0].read()) as Float32Array;
    expect(got.length).toBe(values.length);
    expect(got.every((v, i) => v === values[i])).toBe(true);
    expect(bytesRead - opened).toBe(values.byteLength);
  });

  it('reads external data by location, offset and length, and names a missing data file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-ext-'));
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat([Buffer.alloc(16), Buffer.from(data.buffer)]));
    const ext = (k: string, v: string) => (w: ProtoWriter) =>
      w.message(13, (e) => e.string(1, k).string(2, v));
    const external = (name: string, location: string) =>
      tensor(name, 1, [2, 3], (w) => {
        ext('location', location)(w);
        ext('offset', '16')(w);
        ext('length', '24')(w);
        w.uint(14, 1);
      });
    const bytes = model([
      external('w', 'weights.bin'),
      external('gone', 'missing.bin'),
      external('up', '../x.bin'),
    ]);
    writeFileSync(join(dir, 'm.onnx'), bytes);
    const m = await openOnnx(await fileSource(join(dir, 'm.onnx')));
    const [w, gone, up] = m.tensors;
    expect(w.location).toBe('weights.bin');
    expect(w.byteLength).toBe(24);
    expect(await w.read()).toEqual(data);
    await expect(gone.read()).rejects.toThrow(
      'm.onnx: tensor "gone" keeps its data in "missing.bin", which is missing next to the model',
    );
    // a model may not point outside its own directory
    await expect(up.read()).rejects.toThrow(
      'm.onnx: tensor "up" keeps its data in "../x.bin", which is missing next to the model',
    );
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource, testFileSource } from '../common/test-sources';
import { gguf, openGguf } from './index';

const path = join(mkdtempSync(join(tmpdir(), 'tensorscope-gguf-')), 'tiny.gguf');
const expected: Record<string, { dims: number[]; bytes: number; values: number[] | null }> = JSON.parse(
  execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'gguf_writer.py'), path]).toString(),
);

describe('GGUF', () => {
  it('reads metadata of every value type, including nested arrays', async () => {
    const model = await openGguf(await testFileSource(path));
    expect(model.format).toBe('gguf');
    expect(model.producer).toBe('llama');
    const kv = model.extras!.kv as Map<string, unknown>;
    expect(Object.fromEntries(kv)).toEqual({
      'general.architecture': 'llama',
      'general.alignment': 64,
      u8: 200,
      i8: -100,
      u16: 60000,
      i16: -30000,
      u32: 4000000000,
      i32: -2000000000,
      f32: 0.5,
      bool: true,
      u64: 2n ** 60n,
      i64: -(2n ** 40n),
      f64: 3.25,
      tokens: ['<s>', '</s>', 'héllo'],
      ints: Array.from({ length: 20 }, (_, i) => i),
      nested: [[1, 2], [3]],
    });
    expect(model.metadata.ints).toBe('[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15, ... (20 items)]');
    expect(model.metadata['gguf.version']).toBe('3');
  });

  it('lists the tensor table with row-major shapes and byte sizes, and reads F32/F16/BF16/I32/Q8_0/Q4_0 exactly', async () => {
    const model = await openGguf(await testFileSource(path));
    expect(model.tensors.map((t) => t.name)).toEqual(Object.keys(expected));
    for (const t of model.tensors) {
      const want = expected[t.name];
      expect([t.name, t.shape, t.byteLength]).toEqual([t.name, [...want.dims].reverse(), want.bytes]);
      if (want.values) expect(Array.from((await t.read()) as ArrayLike<number>), t.name).toEqual(want.values);
    }
    expect(model.extras!.ggmlType).toMatchObject({ q8_0: 'Q8_0', q4_0: 'Q4_0', q4_k: 'Q4_K', bf16: 'BF16' });
    expect(model.tensors.map((t) => t.dtype)).toEqual([
      'float32',
      'float16',
      'bfloat16',
      'int32',
      'float32',
      'float32',
      'unknown',
    ]);
  });

  it('refuses to read unsupported quantized blocks with one sentence', async () => {
    const model = await openGguf(await testFileSource(path));
    await expect(model.tensors[6].read()).rejects.toThrow(
      /^tiny\.gguf: tensor q4_k is Q4_K-quantized, which tensorscope does not dequantize \(only Q8_0 and Q4_0\)$/,
    );
  });

  it('reads only the header at open', async () => {
    const big = join(mkdtempSync(join(tmpdir(), 'tensorscope-gguf-')), 'big.gguf');
    execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'gguf_writer.py'), big, 'big']);
    const source = await testFileSource(big);
    const model = await openGguf(source);
    expect(model.tensors[7].byteLength).toBe(16 * 1024 * 1024);
    expect(source.bytesRead).toBe(4 + (1 << 20)); // the magic, then one 1 MB header chunk
    const bytes = readFileSync(path);
    expect(gguf.detect(bytesSource('x', bytes), bytes.subarray(0, 8))).toBe(true);
  });

  it('rejects truncated and foreign files in one sentence', async () => {
    const bytes = readFileSync(path);
    await expect(openGguf(bytesSource('cut.gguf', bytes.subarray(0, 100)))).rejects.toThrow(
      /^cut\.gguf: the file ends inside its header$/,
    );
    await expect(openGguf(bytesSource('x.gguf', new Uint8Array(16)))).rejects.toThrow(
      /^x\.gguf: it does not start with the GGUF magic$/,
    );
    const short = bytes.subarray(0, bytes.length - 200);
    await expect(openGguf(bytesSource('short.gguf', short))).rejects.toThrow(
      /^short\.gguf: tensor \w+ lies past the end of the file$/,
    );
  });
});

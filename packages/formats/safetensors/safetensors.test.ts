import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTensor } from '../common/tensor-bytes';
import { bytesSource, testFileSource } from '../common/test-sources';
import { comparable } from '../common/test-values';
import { openPytorch } from '../pytorch/index';
import { openSafetensors, safetensors } from './index';

const FIXTURES = '/work/shared/fixtures/safetensors';
const oracle = join(import.meta.dirname, 'safetensors_oracle.py');
const files = ['hf-safetensors-samples', 'burn'].flatMap((dir) =>
  readdirSync(join(FIXTURES, dir))
    .filter((f) => f.endsWith('.safetensors'))
    .map((f) => join(FIXTURES, dir, f)),
);
const dtypeNames: Record<string, string> = {
  U8: 'uint8',
  U16: 'uint16',
  U32: 'uint32',
  I8: 'int8',
  I16: 'int16',
  I32: 'int32',
  I64: 'int64',
  F16: 'float16',
  F32: 'float32',
  F64: 'float64',
};

describe('safetensors', () => {
  it('reads every fixture tensor exactly as an independent numpy reader does, with __metadata__', async () => {
    const expected: Record<
      string,
      {
        metadata: Record<string, string>;
        tensors: Record<string, { dtype: string; shape: number[]; values: unknown[] }>;
      }
    > = JSON.parse(execFileSync('/usr/bin/python3', [oracle, ...files], { maxBuffer: 1 << 28 }).toString());
    expect(files.length).toBe(12);
    for (const file of files) {
      const model = await openSafetensors(await testFileSource(file));
      const want = expected[file];
      expect(model.metadata).toEqual(want.metadata);
      expect(model.tensors.map((t) => t.name).sort()).toEqual(Object.keys(want.tensors).sort());
      for (const t of model.tensors) {
        const w = want.tensors[t.name];
        expect([t.dtype, t.shape]).toEqual([dtypeNames[w.dtype], w.shape]);
        expect(comparable(await t.read()), `${file} ${t.name}`).toEqual(w.values);
      }
    }
    const overall = await openSafetensors(
      await testFileSource(join(FIXTURES, 'hf-safetensors-samples/overall.safetensors')),
    );
    expect(overall.metadata).toEqual({ test: 'a' });
  });

  it('mnist.safetensors and mnist.pt hold the same tensors (names, dtypes, shapes), from different training steps', async () => {
    // MANIFEST says "same weights", but the files differ: the safetensors copy was saved after
    // 7504 batches, the .pt after 3752, so values differ; both match their own oracle above.
    const st = await openSafetensors(await testFileSource(join(FIXTURES, 'burn/mnist.safetensors')));
    const pt = await openPytorch(await testFileSource('/work/shared/fixtures/pytorch/burn/weights/mnist.pt'));
    const byName = new Map(pt.tensors.map((t) => [t.name, t]));
    expect(st.tensors.map((t) => t.name).sort()).toEqual([...byName.keys()].sort());
    for (const t of st.tensors)
      expect([t.dtype, t.shape]).toEqual([byName.get(t.name)!.dtype, byName.get(t.name)!.shape]);
    const steps = async (m: typeof st) =>
      comparable(await m.tensors.find((t) => t.name === 'norm1.num_batches_tracked')!.read());
    expect([await steps(st), await steps(pt)]).toEqual([['7504'], ['3752']]);
  });

  it('reads the same mnist weights from .pt and from a .safetensors that Python wrote from that .pt', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'tensorscope-st-')), 'mnist.safetensors');
    const write = `
import json, struct, sys, torch
sd = torch.load(sys.argv[1], map_location="cpu")
names = {torch.float32: "F32", torch.int64: "I64"}
header, blobs, at = {"__metadata__": {"format": "pt"}}, [], 0
for k, t in sd.items():
    b = t.contiguous().numpy().tobytes()
    header[k] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [at, at + len(b)]}
    blobs.append(b); at += len(b)
h = json.dumps(header).encode()
open(sys.argv[2], "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
`;
    const ptPath = '/work/shared/fixtures/pytorch/burn/weights/mnist.pt';
    execFileSync('/usr/bin/python3', ['-c', write, ptPath, out]);
    const st = await openSafetensors(await testFileSource(out));
    const pt = await openPytorch(await testFileSource(ptPath));
    expect(st.metadata).toEqual({ format: 'pt' });
    expect(st.tensors.map((t) => t.name)).toEqual(pt.tensors.map((t) => t.name));
    expect(st.tensors.length).toBe(20);
    for (let i = 0; i < st.tensors.length; i++) {
      expect([st.tensors[i].dtype, st.tensors[i].shape]).toEqual([pt.tensors[i].dtype, pt.tensors[i].shape]);
      expect(comparable(await st.tensors[i].read())).toEqual(comparable(await pt.tensors[i].read()));
    }
  });

  it('reads only the header at open', async () => {
    const source = await testFileSource(join(FIXTURES, 'burn/mnist.safetensors'));
    const model = await openSafetensors(source);
    expect(source.bytesRead).toBe(source.size - model.tensors.reduce((n, t) => n + t.byteLength, 0));
  });

  it('decodes BF16 and FP8 tensors written by a crafted header', async () => {
    const header = JSON.stringify({
      b: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] },
      e4: { dtype: 'F8_E4M3', shape: [3], data_offsets: [4, 7] },
      e5: { dtype: 'F8_E5M2', shape: [2], data_offsets: [7, 9] },
    });
    const h = new TextEncoder().encode(header);
    const file = new Uint8Array(8 + h.length + 9);
    new DataView(file.buffer).setBigUint64(0, BigInt(h.length), true);
    file.set(h, 8);
    // bf16 1.5 = 0x3fc0, -2 = 0xc000; e4m3 0x38 = 1.0, 0x7e = 448, 0xb0 = -0.5; e5m2 0x3c = 1.0, 0x7c = inf
    file.set([0xc0, 0x3f, 0x00, 0xc0, 0x38, 0x7e, 0xb0, 0x3c, 0x7c], 8 + h.length);
    const model = await openSafetensors(bytesSource('crafted.safetensors', file));
    expect(model.tensors.map((t) => t.dtype)).toEqual(['bfloat16', 'float8e4m3fn', 'float8e5m2']);
    expect(Array.from((await model.tensors[0].read()) as Float32Array)).toEqual([1.5, -2]);
    expect(Array.from((await model.tensors[1].read()) as Float32Array)).toEqual([1, 448, -0.5]);
    expect(Array.from((await model.tensors[2].read()) as Float32Array)).toEqual([
      1,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it('decodes big-endian and 4-bit data for the other readers', () => {
    expect(
      Array.from(decodeTensor(new Uint8Array([0x3f, 0x80, 0, 0]), 'float32', false) as Float32Array),
    ).toEqual([1]);
    expect(Array.from(decodeTensor(new Uint8Array([0xf1]), 'int4') as Int8Array)).toEqual([1, -1]);
  });

  it('rejects damaged files with one sentence naming the file', async () => {
    const file = new Uint8Array(16);
    new DataView(file.buffer).setBigUint64(0, 1000n, true);
    await expect(openSafetensors(bytesSource('long.safetensors', file))).rejects.toThrow(
      /^long\.safetensors: the header length 1000 exceeds the file size 16$/,
    );
    const h = new TextEncoder().encode('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}');
    const bad = new Uint8Array(8 + h.length + 8);
    new DataView(bad.buffer).setBigUint64(0, BigInt(h.length), true);
    bad.set(h, 8);
    await expect(openSafetensors(bytesSource('short.safetensors', bad))).rejects.toThrow(
      /^short\.safetensors: tensor w holds 8 bytes but its shape and dtype need 16$/,
    );
    expect(safetensors.detect(bytesSource('x.bin', bad), bad.subarray(0, 16))).toBe(true);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from './model';
import { fileSource } from './node-source';

describe('fileSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-source-'));
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
  writeFileSync(join(dir, 'm.onnx'), bytes);
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'w.bin'), Uint8Array.of(1, 2));

  it('reads ranges, concurrently and again after the idle handle closed', async () => {
    const src = await fileSource(join(dir, 'm.onnx'));
    expect([src.name, src.size]).toEqual(['m.onnx', 1000]);
    const parts = await Promise.all([src.read(0, 10), src.read(500, 100), src.read(990, 10)]);
    expect(parts).toEqual([bytes.subarray(0, 10), bytes.subarray(500, 600), bytes.subarray(990)]);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await src.read(7, 3)).toEqual(bytes.subarray(7, 10));
  });

  it('names the file for reads past the end, deleted files and missing files', async () => {
    const src = await fileSource(join(dir, 'm.onnx'));
    await expect(src.read(995, 10)).rejects.toThrow(
      new ModelError('m.onnx', 'a read of 10 bytes at offset 995 runs past the end of the file'),
    );
    writeFileSync(join(dir, 'gone.onnx'), bytes);
    const gone = await fileSource(join(dir, 'gone.onnx'));
    rmSync(join(dir, 'gone.onnx'));
    await expect(gone.read(0, 4)).rejects.toThrow(
      new ModelError('gone.onnx', 'cannot be read any more (it was moved or deleted)'),
    );
    await expect(fileSource(join(dir, 'nope.onnx'))).rejects.toThrow(
      'cannot be read (no such file or no permission)',
    );
    await expect(fileSource(dir)).rejects.toThrow(/is not a file$/);
  });

  it('finds siblings inside the model directory only', async () => {
    const src = await fileSource(join(dir, 'm.onnx'));
    expect(await (await src.sibling('data/w.bin'))?.read(0, 2)).toEqual(Uint8Array.of(1, 2));
    expect(await src.sibling('../m.onnx')).toBeUndefined();
    expect(await src.sibling(join(dir, 'm.onnx'))).toBeUndefined();
    expect(await src.sibling('missing.bin')).toBeUndefined();
  });
});

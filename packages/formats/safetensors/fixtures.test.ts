/** Every non-ONNX model fixture opens through the format registry, or fails with its one-sentence error. */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSource } from '../node-source';
import { openModel } from '../open';

const ROOT = '/work/shared/fixtures';
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) =>
    statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)],
  );
const models = ['pytorch', 'safetensors', 'tfjs', 'keras-h5']
  .flatMap((d) => walk(join(ROOT, d)))
  .filter((f) => /\.(pt|jit|safetensors|h5)$|model\.json$/.test(f));

const failures: Record<string, RegExp> = {
  'pytorch/burn/src/pytorch/tests/reader/test_data/broken.pt':
    /^broken\.pt: it is not a PyTorch file \(neither a torch zip archive nor a legacy pickle\)$/,
};
const formats: Record<string, string> = {
  pt: 'pytorch',
  jit: 'torchscript',
  safetensors: 'safetensors',
  h5: 'keras',
  json: 'tfjs',
};

describe('every model fixture through openModel', () => {
  it('opens each with the right format, or fails with the expected sentence', async () => {
    expect(models.length).toBe(76);
    for (const file of models) {
      const rel = relative(ROOT, file);
      const opening = openModel(await fileSource(file));
      if (failures[rel]) {
        await expect(opening, rel).rejects.toThrow(failures[rel]);
        continue;
      }
      const model = await opening;
      expect([rel, model.format]).toEqual([rel, formats[file.split('.').pop()!]]);
      expect(model.tensors.length, rel).toBeGreaterThan(0);
    }
  });
});

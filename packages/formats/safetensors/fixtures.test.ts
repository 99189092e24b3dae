/** Every non-ONNX model fixture opens through the format registry, or fails with its one-sentence error. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../common/test-sources';
import { ModelError } from '../model';
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

describe('damaged copies of every small fixture', () => {
  it('open and read either succeed or fail with a one-sentence ModelError naming the file', async () => {
    const small = [...models, ...walk(join(ROOT, 'tfjs'))].filter((f) => statSync(f).size < 200_000);
    expect(small.length).toBeGreaterThan(40);
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let failures = 0;
    for (const file of small) {
      const bytes = new Uint8Array(readFileSync(file));
      // TF.js models read their shards (undamaged) from next to model.json
      const siblings = file.endsWith('model.json')
        ? Object.fromEntries(
            readdirSync(dirname(file))
              .filter((n) => n.endsWith('.bin'))
              .map((n) => [n, new Uint8Array(readFileSync(join(dirname(file), n)))]),
          )
        : {};
      const variants: Uint8Array[] = [];
      for (let i = 0; i < 6; i++) variants.push(bytes.subarray(0, Math.floor(random() * bytes.length)));
      for (let i = 0; i < 6; i++) {
        const flipped = bytes.slice();
        for (let k = 0; k < 4; k++)
          flipped[Math.floor(random() * flipped.length)] = Math.floor(random() * 256);
        variants.push(flipped);
      }
      for (const variant of variants) {
        const name = basename(file);
        try {
          const model = await openModel(bytesSource(name, variant, siblings));
          for (const t of model.tensors) await t.read();
        } catch (e) {
          failures++;
          expect(e, `${file}: ${(e as Error).stack}`).toBeInstanceOf(ModelError);
          expect((e as Error).message.startsWith(`${name}: `)).toBe(true);
          expect((e as Error).message).not.toMatch(/\n/);
        }
      }
    }
    expect(failures).toBeGreaterThan(100);
  });
});

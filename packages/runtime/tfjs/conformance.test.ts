/**
 * The TF.js executor against the ONNX backend node tests: every test whose ops are all in the table
 * (and whose inputs are plain tensors) must reproduce the reference outputs, and every op in the table
 * must be covered by at least one such test.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { Model } from '@tensorscope/formats/model';
import { fileSource } from '@tensorscope/formats/node-source';
import { openModel } from '@tensorscope/formats/open';
import { describe, expect, it } from 'vitest';
import { TfjsExecutor, tensorOf } from './executor';
import { OPS } from './ops';

const ROOT = join(import.meta.dirname, '../../../../shared/fixtures/onnx-node-tests');
const open = async (path: string): Promise<Model> => openModel(await fileSource(path));

const claimed: { test: string; model: Model }[] = [];
for (const test of readdirSync(ROOT).sort()) {
  const model = await open(join(ROOT, test, 'model.onnx'));
  const g = model.graph!;
  if (TfjsExecutor.unsupported(g).length || g.inputs.some((i) => i.type)) continue;
  claimed.push({ test, model });
}

describe('TF.js executor on the ONNX node tests', () => {
  it('covers every op of its table with at least one node test', () => {
    const covered = new Set(claimed.flatMap((c) => c.model.graph!.nodes.map((n) => n.op)));
    expect(Object.keys(OPS).filter((op) => !covered.has(op))).toEqual([]);
  });

  it.each(claimed.map((c) => [c.test, c] as const))('%s', async (_, { test, model }) => {
    const g = model.graph!;
    const exec = await TfjsExecutor.create(model, test);
    const dir = join(ROOT, test, 'test_data_set_0');
    const feeds = new Map<string, tf.Tensor>();
    const inputs = g.inputs.filter((i) => !g.initializers.has(i.name));
    for (const [k, v] of inputs.entries()) {
      const t = (await open(join(dir, `input_${k}.pb`))).tensors[0];
      feeds.set(v.name, tensorOf(await t.read(), t.shape as number[], t.dtype));
    }
    const env = exec.execute(feeds);
    for (const [k, v] of g.outputs.entries()) {
      const want = (await open(join(dir, `output_${k}.pb`))).tensors[0];
      const expected = (await want.read()) as Float32Array;
      const got = env.get(v.name)!;
      expect(got.shape, `${test} output ${v.name}`).toEqual(want.shape);
      const data = got.dataSync();
      for (let i = 0; i < expected.length; i++) {
        const e = Number(expected[i]);
        expect(Math.abs(data[i] - e), `${test} ${v.name}[${i}] ${data[i]} vs ${e}`).toBeLessThanOrEqual(
          1e-4 + 1e-4 * Math.abs(e),
        );
      }
    }
    exec.dispose();
  });
});

import type { Model, TensorInfo } from '@tensorscope/formats/model';
import { describe, expect, it } from 'vitest';
import { inspectModel } from './report';

function tensor(name: string, shape: number[], data: Float32Array): TensorInfo {
  return { name, dtype: 'float32', shape, byteLength: data.byteLength, read: async () => data };
}

/** values with exactly the given std around 0: alternating +std, -std */
const scaled = (n: number, std: number) => Float32Array.from({ length: n }, (_, i) => (i % 2 ? std : -std));

describe('inspect report of a weights-only model', () => {
  it('builds modules from tensor names and judges init scale by naming convention', async () => {
    const model: Model = {
      format: 'safetensors',
      metadata: {},
      tensors: [
        // PyTorch Linear [out, in]: fan-in 256, std 1/16 = 1/sqrt(256) is fine
        tensor('encoder.0.weight', [64, 256], scaled(64 * 256, 1 / 16)),
        tensor('encoder.0.bias', [64], new Float32Array(64)),
        // Keras kernel [in, out]: fan-in 16, std 5 is 20x sqrt(1/16)
        tensor('dense/kernel:0', [16, 32], scaled(16 * 32, 5)),
        // embeddings are N(0, 1) by design
        tensor('embed.weight', [100, 8], scaled(800, 1)),
      ],
    };
    const r = await inspectModel(model);
    expect(r.graph).toBeUndefined();
    expect(r.parameters).toEqual({
      tensors: 4,
      elements: 64 * 256 + 64 + 512 + 800,
      bytes: 4 * (64 * 256 + 64 + 512 + 800),
    });
    expect(r.modules.map((m) => [m.path, m.parameters])).toEqual([
      ['', 64 * 256 + 64 + 512 + 800],
      ['dense', 512],
      ['embed', 800],
      ['encoder', 64 * 256 + 64],
      ['encoder.0', 64 * 256 + 64],
    ]);
    expect(r.findings.map((f) => `${f.id} ${f.tensors}`)).toEqual(['bad_init dense/kernel:0']);
  });

  it('skips reading weights when asked, and reports unreadable tensors as findings', async () => {
    const broken: TensorInfo = {
      name: 'w',
      dtype: 'float32',
      shape: [2, 2],
      byteLength: 16,
      read: () =>
        Promise.reject(
          new Error('m.bin: tensor "w" keeps its data in "x.bin", which is missing next to the model'),
        ),
    };
    const model: Model = { format: 'onnx', metadata: {}, tensors: [broken] };
    expect((await inspectModel(model, { weights: false })).findings).toEqual([]);
    expect((await inspectModel(model)).findings).toEqual([
      {
        id: 'broken_weights',
        severity: 'error',
        message:
          'cannot read w: m.bin: the tensor keeps its data in "x.bin", which is missing next to the model',
        tensors: ['w'],
      },
    ]);
    // a missing shard fails every tensor in it the same way: one finding lists them all
    const shard = (name: string): TensorInfo => ({
      name,
      dtype: 'float32',
      shape: [2],
      byteLength: 8,
      read: () => Promise.reject(new Error('model.json: weight shard group1-shard1of2.bin is missing')),
    });
    const tfjs: Model = { format: 'tfjs', metadata: {}, tensors: [shard('a'), shard('b'), shard('c')] };
    expect((await inspectModel(tfjs)).findings).toEqual([
      {
        id: 'broken_weights',
        severity: 'error',
        message: 'cannot read 3 tensors: model.json: weight shard group1-shard1of2.bin is missing',
        tensors: ['a', 'b', 'c'],
      },
    ]);
  });
});

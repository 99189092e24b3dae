import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { bytesSource, testFileSource } from '../common/test-sources';
import type { Finding } from '../model';
import { openTfjs, tfjs } from './index';

const FIXTURES = '/work/shared/fixtures/tfjs';

interface Manifest {
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** the reference: TF.js's own decodeWeights over the concatenated shards */
async function reference(dir: string, fill?: Record<string, number>): Promise<Map<string, number[]>> {
  const manifest: Manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const out = new Map<string, number[]>();
  for (const group of manifest.weightsManifest) {
    const parts = group.paths.map((p) =>
      fill?.[p] !== undefined ? new Uint8Array(fill[p]) : readFileSync(join(dir, p)),
    );
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    const decoded = tf.io.decodeWeights(all.buffer, group.weights);
    for (const [name, t] of Object.entries(decoded))
      out.set(name, Array.from(t.dataSync() as ArrayLike<number>));
  }
  return out;
}

describe('TF.js models', () => {
  it('opens a layers model into a graph of layers with weights equal to TF.js decodeWeights', async () => {
    const dir = join(FIXTURES, 'abalone-node');
    const model = await openTfjs(await testFileSource(join(dir, 'model.json')));
    expect(model.format).toBe('tfjs');
    expect(model.metadata.format).toBe('layers-model');
    expect(model.graph!.nodes.map((n) => [n.name, n.op, n.inputs])).toEqual([
      ['dense_Dense1', 'Dense', ['input', 'dense_Dense1/kernel', 'dense_Dense1/bias']],
      ['dense_Dense2', 'Dense', ['dense_Dense1', 'dense_Dense2/kernel', 'dense_Dense2/bias']],
      ['dense_Dense3', 'Dense', ['dense_Dense2', 'dense_Dense3/kernel', 'dense_Dense3/bias']],
    ]);
    expect(model.graph!.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: [null, 8] }]);
    expect(model.graph!.nodes[0].attributes).toMatchObject({
      units: 50,
      activation: 'sigmoid',
      kernel_initializer: 'VarianceScaling',
    });
    const ref = await reference(dir);
    expect(model.tensors.map((t) => t.name)).toEqual([...ref.keys()]);
    for (const t of model.tensors)
      expect(Array.from((await t.read()) as Float32Array)).toEqual(ref.get(t.name));
  });

  it('opens a graph model (GraphDef JSON) with float32 and int32 weights', async () => {
    const dir = join(FIXTURES, 'angular-predictive-prefetching');
    const model = await openTfjs(await testFileSource(join(dir, 'model.json')));
    const g = model.graph!;
    expect(g.inputs.map((i) => [i.name, i.dtype, i.shape])).toEqual([
      ['cur_page', 'int64', [null]],
      ['session_index', 'int64', [null]],
    ]);
    expect(g.outputs.map((o) => [o.name, o.shape])).toEqual([['Identity', [null, 101]]]);
    expect(g.initializers.size).toBe(8);
    expect(model.tensors.map((t) => t.dtype).sort()).toEqual([
      'float32',
      'float32',
      'float32',
      'float32',
      'float32',
      'int32',
      'int32',
      'int32',
    ]);
    const ref = await reference(dir);
    for (const t of model.tensors)
      expect(Array.from((await t.read()) as ArrayLike<number>)).toEqual(ref.get(t.name));
    const matmul = g.nodes.find((n) => n.op === '_FusedMatMul')!;
    expect(matmul.attributes.T).toBe('float32');
    expect(matmul.attributes.fused_ops).toEqual(['BiasAdd', 'Relu']);
  });

  it('opens a float16 graph model with a missing shard: topology, a finding, and one-sentence read errors', async () => {
    const dir = join(FIXTURES, 'pose-detection-offline');
    const source = await testFileSource(join(dir, 'model.json'));
    const model = await openTfjs(source);
    expect(model.graph!.nodes).toHaveLength(331);
    expect(model.tensors).toHaveLength(180);
    expect(model.extras!.findings as Finding[]).toEqual([
      {
        id: 'missing_weights',
        severity: 'error',
        message: 'weight shard group1-shard1of2.bin is missing; the weights stored there cannot be read',
      },
    ]);
    const first = model.tensors[1];
    expect([first.dtype, first.quantization?.dtype, first.location]).toEqual([
      'float32',
      'float16',
      'group1-shard1of2.bin',
    ]);
    await expect(first.read()).rejects.toThrow(
      /^model\.json: weight shard group1-shard1of2\.bin is missing$/,
    );
    // weights wholly inside the present shard read, and equal TF.js's float16 decoding
    const shard2 = readFileSync(join(dir, 'group1-shard2of2.bin')).length;
    const total = model.tensors.reduce((n, t) => n + t.byteLength, 0);
    const ref = await reference(dir, { 'group1-shard1of2.bin': total - shard2 });
    const present = model.tensors.filter((t) => t.location === 'group1-shard2of2.bin').slice(1);
    expect(total - shard2).toBe(4194304); // tfjs_converter's 4 MB shards
    expect(present.length).toBe(7);
    let half = 0;
    for (const t of present) {
      expect(Array.from((await t.read()) as ArrayLike<number>)).toEqual(ref.get(t.name));
      if (t.quantization?.dtype === 'float16') half++;
    }
    expect(half).toBe(present.filter((t) => t.dtype === 'float32').length);
    expect(half).toBeGreaterThan(2);
  });

  it('dequantizes uint8 and uint16 weights (value = q * scale + min) the way TF.js does', async () => {
    const weights = [
      { name: 'a', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
      { name: 'b', shape: [2], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.25, min: 2 } },
      {
        name: 'c',
        shape: [2],
        dtype: 'int32',
        quantization: { dtype: 'uint8', scale: 1.5, min: -3, original_dtype: 'int32' },
      },
    ];
    const bin = new Uint8Array([0, 1, 2, 255, 4, 0, 9, 1, 3, 7]);
    const json = JSON.stringify({
      format: 'layers-model',
      modelTopology: null,
      weightsManifest: [{ paths: ['w.bin'], weights }],
    });
    const model = await openTfjs(bytesSource('model.json', new TextEncoder().encode(json), { 'w.bin': bin }));
    const ref = tf.io.decodeWeights(bin.slice().buffer, weights as tf.io.WeightsManifestEntry[]);
    for (const t of model.tensors)
      expect(Array.from((await t.read()) as ArrayLike<number>)).toEqual(Array.from(ref[t.name].dataSync()));
    expect(Array.from((await model.tensors[0].read()) as Float32Array)).toEqual([-1, -0.5, 0, 126.5]);
  });

  it('rejects files that are not TF.js models in one sentence', async () => {
    await expect(openTfjs(bytesSource('model.json', new TextEncoder().encode('{"a":1}')))).rejects.toThrow(
      /^model\.json: it has neither modelTopology nor weightsManifest, so it is not a TF\.js model$/,
    );
    await expect(openTfjs(bytesSource('model.json', new TextEncoder().encode('{')))).rejects.toThrow(
      /^model\.json: it is not valid JSON/,
    );
    const head = new TextEncoder().encode('{"modelTopology":');
    expect(tfjs.detect(bytesSource('x.json', head), head)).toBe(true);
  });
});

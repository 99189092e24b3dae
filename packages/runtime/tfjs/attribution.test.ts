/**
 * Attribution against independent computations: Grad-CAM of torchvision resnet18 against PyTorch's
 * Grad-CAM of the same model and input (exported during the test), and saliency / integrated gradients
 * of a linear model, where they are |W| and x * W exactly.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSource } from '@tensorscope/formats/node-source';
import { openOnnx } from '@tensorscope/formats/onnx';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../image';
import { loadFeed, randomFeed } from '../inputs';
import { gradCam, integratedGradients, saliency } from './attribution';
import { TfjsExecutor, withCpuFallback } from './executor';
import { GradCam, GradCamSession, tailOf } from './gradcam';
import { OPS } from './ops';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures');

const dir = mkdtempSync(join(tmpdir(), 'ts-attribution-'));
let ref: { gradcam: { class: number; map: number[][] }; linear_w: number[][] };

beforeAll(() => {
  const out = execFileSync('/usr/bin/python3', [join(import.meta.dirname, '../test/export_models.py'), dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  ref = JSON.parse(out);
}, 300_000);

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('attribution', () => {
  it('Grad-CAM of resnet18 agrees with PyTorch (correlation > 0.99)', async () => {
    const model = await openOnnx(await fileSource(join(dir, 'resnet18.onnx')));
    const exec = await TfjsExecutor.create(model, 'resnet18.onnx');
    const feed = await loadFeed(join(dir, 'input.npy'), model.graph!.inputs[0], PRESETS.imagenet);
    const x = tf.tensor(feed.data as Float32Array, feed.shape);
    const cam = gradCam(exec, x, '/layer4/layer4.1/relu_1/Relu_output_0', { input: feed.name });
    expect(cam.classIndex).toBe(ref.gradcam.class);
    expect(cam.shape).toEqual([7, 7]);
    expect(correlation(cam.map, ref.gradcam.map.flat())).toBeGreaterThan(0.99);
    x.dispose();
    exec.dispose();
  }, 600_000);

  it('Grad-CAM from ONNX Runtime activations and a TF.js tail agrees with PyTorch', async () => {
    const path = join(dir, 'resnet18.onnx');
    const model = await openOnnx(await fileSource(path));
    const layer = '/layer4/layer4.1/relu_1/Relu_output_0';
    // the tail after the last block: global average pool, flatten, fc
    const tail = tailOf(model.graph!, layer, model.graph!.outputs[0].name);
    expect(tail.nodes.map((i) => model.graph!.nodes[i].op)).toEqual(['GlobalAveragePool', 'Flatten', 'Gemm']);
    expect(tail.frozen).toEqual([]);
    const session = await GradCamSession.open(path, layer, { model });
    const feed = await loadFeed(join(dir, 'input.npy'), model.graph!.inputs[0], PRESETS.imagenet);
    const cam = await session.run([feed]);
    expect(cam.classIndex).toBe(ref.gradcam.class);
    expect(cam.layerShape).toEqual([1, 512, 7, 7]);
    expect(cam.shape).toEqual([7, 7]);
    expect(correlation(cam.map, ref.gradcam.map.flat())).toBeGreaterThan(0.99);
    // another class: the gradient changes, the activation does not
    const other = await session.run([feed], 7);
    expect(other.classIndex).toBe(7);
    expect(correlation(other.map, cam.map)).toBeLessThan(0.999);
    await session.release();
  }, 300_000);

  it('Grad-CAM of a transformer encoder layer: the ORT + tail result equals the all-TF.js one', async () => {
    const path = join(dir, 'encoder.onnx');
    const model = await openOnnx(await fileSource(path));
    const g = model.graph!;
    // the output of the first encoder layer (its last node), [10 tokens, 1, 32]
    const layer = g.nodes.filter((n) => n.name.startsWith('/layers.0/')).at(-1)!.outputs[0];
    const tail = tailOf(g, layer, g.outputs[0].name);
    expect(tail.nodes.every((i) => g.nodes[i].name.startsWith('/layers.1/') || !g.nodes[i].name)).toBe(true);
    const session = await GradCamSession.open(path, layer, { model });
    const feed = randomFeed(g.inputs[0]);
    const cam = await session.run([feed], 5);
    expect(cam.layerShape).toEqual([10, 1, 32]);
    expect(cam.shape).toEqual([10, 1]);
    const exec = await TfjsExecutor.create(model, 'encoder.onnx');
    const x = tf.tensor(feed.data as Float32Array, feed.shape);
    const full = gradCam(exec, x, layer, { input: feed.name, classIndex: 5 });
    expect(full.shape).toEqual([10, 1]);
    expect(Math.max(...full.map)).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) expect(cam.map[i]).toBeCloseTo(full.map[i], 4);
    x.dispose();
    exec.dispose();
    await session.release();
  });

  it('names a missing layer and an op the tail needs that the executor lacks, in one sentence', async () => {
    const model = await openOnnx(await fileSource(join(dir, 'resnet18.onnx')));
    await expect(GradCam.create(model, 'resnet18.onnx', 'no_such_layer')).rejects.toThrow(
      'resnet18.onnx: has no tensor named no_such_layer for Grad-CAM',
    );
    const lstm = await openOnnx(
      await fileSource(join(FIXTURES, 'onnx-node-tests/test_lstm_defaults/model.onnx')),
    );
    await expect(GradCam.create(lstm, 'lstm.onnx', 'X')).rejects.toThrow(
      'lstm.onnx: the TF.js executor does not support the op LSTM (between X and the output)',
    );
  });

  it('integrated gradients give the same map batched over the steps and one step at a time', async () => {
    const model = await openOnnx(await fileSource(join(FIXTURES, 'onnx-models/tensorboardX/mnist-8.onnx')));
    const exec = await TfjsExecutor.create(model, 'mnist-8.onnx');
    const feed = randomFeed(model.graph!.inputs[0]);
    const x = tf.tensor(feed.data as Float32Array, feed.shape);
    const target = { input: feed.name, classIndex: 3 };
    const one = integratedGradients(exec, x, target, 6, { batch: 1 });
    const batched = integratedGradients(exec, x, target, 6, { batch: 4 });
    expect(batched.shape).toEqual([28, 28]);
    for (let i = 0; i < one.map.length; i++) expect(batched.map[i]).toBeCloseTo(one.map[i], 4);
    expect(() => saliency(exec, x, { input: feed.name, classIndex: 10 })).toThrow(
      /has 10 classes, so class 10 does not exist/,
    );
    x.dispose();
    exec.dispose();
  });

  it('the wasm backend gives the saliency and Grad-CAM of the cpu backend', async () => {
    const path = join(FIXTURES, 'onnx-models/tensorboardX/mnist-8.onnx');
    const model = await openOnnx(await fileSource(path));
    const feed = randomFeed(model.graph!.inputs[0]);
    const maps: Float32Array[] = [];
    const cams: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      const exec = await TfjsExecutor.create(model, 'mnist-8.onnx', { backend });
      expect(tf.getBackend()).toBe(backend);
      const x = tf.tensor(feed.data as Float32Array, feed.shape);
      maps.push(saliency(exec, x, { input: feed.name, classIndex: 4 }).map);
      x.dispose();
      exec.dispose();
      const session = await GradCamSession.open(path, 'Pooling160_Output_0', { model, backend });
      cams.push((await session.run([feed], 4)).map);
      await session.release();
    }
    const [cpu, wasm] = maps;
    const scale = Math.max(...cpu);
    expect(scale).toBeGreaterThan(0);
    for (let i = 0; i < cpu.length; i++) expect(Math.abs(wasm[i] - cpu[i])).toBeLessThan(1e-4 * scale);
    const camScale = Math.max(...cams[0]);
    for (let i = 0; i < 16; i++) expect(Math.abs(cams[1][i] - cams[0][i])).toBeLessThan(1e-4 * camScale);
    await TfjsExecutor.create(model, 'mnist-8.onnx'); // back to cpu for the tests after this one
  });

  it('runs again on cpu when the wasm backend lacks a kernel (the gradient of a strided Slice)', async () => {
    const model = await openOnnx(await fileSource(join(dir, 'linear.onnx')));
    await TfjsExecutor.create(model, 'linear.onnx', { backend: 'wasm' });
    const x = tf.tensor1d([1, 2, 3, 4, 5]);
    // Slice with step 2 gathers; the gradient of a gather is UnsortedSegmentSum, which wasm lacks
    const node = { id: 's', name: 's', op: 'Slice', inputs: [], outputs: ['y'], attributes: {} };
    const slice = (v: tf.Tensor) =>
      OPS.Slice(
        [v, tf.tensor1d([0], 'int32'), tf.tensor1d([5], 'int32'), undefined, tf.tensor1d([2], 'int32')],
        node,
      )[0];
    const run = () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(slice(v), tf.tensor1d([10, 20, 30]))))(x);
    expect(() => run()).toThrow("Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'");
    const g = await withCpuFallback(run);
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(g.dataSync())).toEqual([10, 0, 20, 0, 30]);
  });

  it('saliency and integrated gradients of a linear model are |W| and x * W', async () => {
    const model = await openOnnx(await fileSource(join(dir, 'linear.onnx')));
    const exec = await TfjsExecutor.create(model, 'linear.onnx');
    const xs = Float32Array.from({ length: 18 }, (_, i) => Math.sin(i + 1));
    const x = tf.tensor(xs, [1, 2, 3, 3]);
    const w = ref.linear_w;
    const s = saliency(exec, x, { input: 'x', classIndex: 2 });
    const ig = integratedGradients(exec, x, { input: 'x', classIndex: 2 }, 8);
    expect(s.shape).toEqual([3, 3]);
    for (let p = 0; p < 9; p++) {
      expect(s.map[p]).toBeCloseTo(Math.max(Math.abs(w[p][2]), Math.abs(w[9 + p][2])), 6);
      expect(ig.map[p]).toBeCloseTo(xs[p] * w[p][2] + xs[9 + p] * w[9 + p][2], 5);
    }
    x.dispose();
    exec.dispose();
  });

  it('refuses a model with ops outside the table, naming them', async () => {
    const model = await openOnnx(
      await fileSource(
        join(
          import.meta.dirname,
          '../../../../shared/fixtures/onnx-node-tests/test_lstm_defaults/model.onnx',
        ),
      ),
    );
    await expect(TfjsExecutor.create(model, 'lstm.onnx')).rejects.toThrow(
      'lstm.onnx: the TF.js executor does not support the op LSTM',
    );
  });
});

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
import { loadFeed } from '../inputs';
import { gradCam, integratedGradients, saliency } from './attribution';
import { TfjsExecutor } from './executor';

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

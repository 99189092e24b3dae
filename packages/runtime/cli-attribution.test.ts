/**
 * `tensorscope run` attribution flags end to end on the mnist-8 fixture: --gradcam (layer optional),
 * --saliency, --ig [STEPS], --class, overlays in --out and summaries in --json, and their errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSource } from '@tensorscope/formats/node-source';
import { openOnnx } from '@tensorscope/formats/onnx';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { randomFeed } from './inputs';
import { integratedGradients, saliency } from './tfjs/attribution';
import { TfjsExecutor } from './tfjs/executor';
import { GradCamSession } from './tfjs/gradcam';

const BIN = join(import.meta.dirname, '../cli/bin/tensorscope.mjs');
const mnist = join(import.meta.dirname, '../../../shared/fixtures/onnx-models/tensorboardX/mnist-8.onnx');

function tensorscope(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const peak = (map: Float32Array) => {
  let best = 0;
  for (let i = 1; i < map.length; i++) if (map[i] > map[best]) best = i;
  return [Math.floor(best / 28), best % 28];
};

describe('tensorscope run attribution flags', () => {
  it('--gradcam --saliency --ig 4 --class 3 write three overlays and their summaries', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ts-run-attr-'));
    const r = tensorscope(
      'run',
      mnist,
      '--gradcam',
      '--saliency',
      '--ig',
      '4',
      '--class',
      '3',
      '--json',
      '--out',
      out,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    // the same computations through the library on the same seeded input
    const model = await openOnnx(await fileSource(mnist));
    const feed = randomFeed(model.graph!.inputs[0]);
    const session = await GradCamSession.open(mnist, 'Pooling160_Output_0', { model });
    const cam = await session.run([feed], 3);
    await session.release();
    expect(json.gradcam).toMatchObject({ layer: 'Pooling160_Output_0', class: 3, shape: [4, 4] });
    json.gradcam.map.forEach((v: number, i: number) => expect(v).toBeCloseTo(cam.map[i], 5));
    const exec = await TfjsExecutor.create(model, 'mnist-8.onnx');
    const x = tf.tensor(feed.data as Float32Array, feed.shape);
    const s = saliency(exec, x, { input: feed.name, classIndex: 3 });
    const ig = integratedGradients(exec, x, { input: feed.name, classIndex: 3 }, 4);
    exec.dispose();
    expect(json.saliency).toMatchObject({ class: 3, shape: [28, 28], peak: peak(s.map) });
    expect(json.saliency.max).toBeCloseTo(Math.max(...s.map), 6);
    expect(json.ig).toMatchObject({ class: 3, shape: [28, 28], peak: peak(ig.map) });
    for (const kind of ['gradcam', 'saliency', 'ig']) {
      expect(json.images).toContainEqual(expect.objectContaining({ kind, file: `${kind}.png` }));
      const png = PNG.sync.read(readFileSync(join(out, `${kind}.png`)));
      expect([png.width, png.height]).toEqual([28, 28]);
    }
  }, 120_000);

  it('prints one line per attribution in the table view', () => {
    const r = tensorscope('run', mnist, '--saliency', '--gradcam', 'Convolution110_Output_0');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(
      lines.some((l) => /^Grad-CAM of class \d+ at Convolution110_Output_0 \(14x14\): peak at row/.test(l)),
    ).toBe(true);
    expect(lines.some((l) => /^saliency of class \d+ \(28x28\): peak at row \d+, column \d+$/.test(l))).toBe(
      true,
    );
  });

  it('fails with exit 2 and one sentence for a bad layer, class or step count', () => {
    const layer = tensorscope('run', mnist, '--gradcam', 'nope');
    expect([layer.code, layer.stderr]).toEqual([
      2,
      'tensorscope: mnist-8.onnx: has no tensor named nope for Grad-CAM\n',
    ]);
    const cls = tensorscope('run', mnist, '--gradcam', '--class', '10');
    expect([cls.code, cls.stderr]).toEqual([
      2,
      'tensorscope: mnist-8.onnx: has 10 classes, so class 10 does not exist\n',
    ]);
    const steps = tensorscope('run', mnist, '--ig', '0');
    expect(steps.code).toBe(2);
    expect(steps.stderr).toBe(
      'tensorscope: --ig takes a number of steps from 1 to 1024 such as 32, not "0".\n',
    );
  });
});

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensorStats } from '@tensorscope/analysis/model';
import { fileSource } from '@tensorscope/formats/node-source';
import { withExtraOutputs } from '@tensorscope/formats/onnx/encode';
import { openModel } from '@tensorscope/formats/open';
import { randomFeed } from '@tensorscope/runtime';
import * as ort from 'onnxruntime-node';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { SHARED, tensorscope } from '../../test/cli';

const mnist = join(SHARED, 'fixtures/onnx-models/tensorboardX/mnist-8.onnx');

describe('tensorscope run', () => {
  it('--json gives statistics keyed by tensor name that match ONNX Runtime outputs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ts-run-'));
    const r = tensorscope('run', mnist, '--json', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    const graph = (await openModel(await fileSource(mnist))).graph!;
    expect(Object.keys(json.tensors)).toEqual(graph.nodes.flatMap((n) => n.outputs));
    expect(json.inputs).toEqual([
      { name: 'Input3', shape: [1, 1, 28, 28], dtype: 'float32', source: 'random' },
    ]);
    expect(json.nan_origin).toBeNull();
    // an independent run: the plain model with one extra output, statistics from the analysis package
    const conv = graph.nodes.find((n) => n.name === 'Convolution28')!.outputs[0];
    const session = await ort.InferenceSession.create(
      withExtraOutputs(new Uint8Array(readFileSync(mnist)), [{ name: conv }]),
    );
    const feed = randomFeed(graph.inputs[0]);
    const t = (await session.run({ Input3: new ort.Tensor('float32', feed.data, feed.shape) }))[conv];
    const want = tensorStats(t.data as Float32Array);
    const got = json.tensors[conv];
    expect(got).toMatchObject({ node: 'Convolution28', op: 'Conv', shape: [1, 8, 28, 28], nan: 0, inf: 0 });
    expect(got.mean).toBeCloseTo(want.mean, 6);
    expect(got.std).toBeCloseTo(want.std, 6);
    expect([got.min, got.max]).toEqual([want.min, want.max]);
    expect(got.zeros).toBe(want.zeros / want.count);
    expect(got.histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(want.count);
    // feature maps: 8 channels of 28x28 in a 3x3 grid with 1-pixel gaps
    const image = json.images.find((i: { tensor: string }) => i.tensor === conv);
    const png = PNG.sync.read(readFileSync(join(out, image.file)));
    expect([png.width, png.height]).toEqual([3 * 28 + 2, 3 * 28 + 2]);
    expect(readdirSync(join(out, 'feature_maps')).length).toBe(json.images.length);
  });

  it('--gradcam auto explains the top class at the last feature map and writes the overlay', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ts-run-cam-'));
    const r = tensorscope('run', mnist, '--json', '--gradcam', 'auto', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    // the top class of an independent ONNX Runtime run on the same (seeded) random input
    const graph = (await openModel(await fileSource(mnist))).graph!;
    const session = await ort.InferenceSession.create(readFileSync(mnist));
    const feed = randomFeed(graph.inputs[0]);
    const y = (await session.run({ Input3: new ort.Tensor('float32', feed.data, feed.shape) }))[
      graph.outputs[0].name
    ].data as Float32Array;
    const top = y.indexOf(Math.max(...y));
    expect(json.gradcam).toMatchObject({ layer: 'Pooling160_Output_0', class: top, shape: [4, 4] });
    expect(json.gradcam.map.length).toBe(16);
    expect(Math.min(...json.gradcam.map)).toBeGreaterThanOrEqual(0);
    const png = PNG.sync.read(readFileSync(join(out, 'gradcam.png')));
    expect([png.width, png.height]).toEqual([28, 28]);
  });

  it('prints a per-layer table and the NaN verdict', () => {
    const r = tensorscope('run', mnist);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`${mnist}: 12 tensors captured`);
    expect(lines[1]).toBe('  input Input3 [1, 1, 28, 28] float32 from random');
    expect(lines.find((l) => l.includes('Convolution28'))).toMatch(/Conv\s+\[1, 8, 28, 28\]/);
    expect(lines).toContain('no NaN or Inf in any captured tensor');
  });

  it('fails with exit 2 and one sentence for a bad input', () => {
    const r = tensorscope('run', mnist, '--input', '/nonexistent/x.npy');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'tensorscope: /nonexistent/x.npy: cannot be read (no such file or no permission)\n',
    );
    const p = tensorscope('run', mnist, '--preset', 'weird');
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/^tensorscope: --preset weird is unknown/);
  });
});

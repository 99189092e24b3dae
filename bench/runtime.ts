/**
 * The runtime debugger's cost: capturing the statistics of every intermediate tensor of resnet18
 * (exported by Debian's PyTorch for this run) against the same model run plainly in ONNX Runtime.
 * Target: capture at most 1.5x a plain run. And Grad-CAM (TF.js cpu backend) at the last block of
 * resnet18 against one plain TF.js forward pass of the same executor; target: at most 2 s.
 *
 * `npm run bench -- runtime`
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { fileSource } from '../packages/formats/node-source';
import { openOnnx } from '../packages/formats/onnx';
import { withExtraOutputs } from '../packages/formats/onnx/encode';
import { CaptureSession, gradCam, randomFeed, TfjsExecutor } from '../packages/runtime';
import { best, fmt, table } from './lib/measure';

const RUNS = 15;

/** capture of every tensor with statistics against a plain ORT run of the same model and input */
async function captureRatio(label: string, file: string): Promise<void> {
  const capture = await CaptureSession.open(file);
  const feed = randomFeed(capture.inputs[0]);
  const plain = await ort.InferenceSession.create(readFileSync(file));
  const x = { [feed.name]: new ort.Tensor(feed.dtype as 'float32', feed.data, feed.shape) };
  const names = capture.graph.nodes.flatMap((n) => n.outputs).filter(Boolean);
  const outputs = await ort.InferenceSession.create(
    withExtraOutputs(
      new Uint8Array(readFileSync(file)),
      names.map((name) => ({ name })),
      capture.graph.outputs.map((o) => o.name),
    ),
  );
  for (let i = 0; i < 3; i++) {
    await plain.run(x);
    await outputs.run(x);
    await capture.run([feed]);
  }
  const base = await best(RUNS, () => plain.run(x));
  const onlyOrt = await best(RUNS, () => outputs.run(x));
  const captured = await best(RUNS, () => capture.run([feed]));
  const elements = captured.result.tensors.reduce((n, t) => n + (t.stats?.count ?? 0), 0);
  process.stdout.write(
    `\n${label}: ${captured.result.tensors.length} tensors (${(elements / 1e6).toFixed(2)}M values), best of ${RUNS}\n`,
  );
  process.stdout.write(
    table([
      ['', 'wall ms', 'cpu ms'],
      ['plain ORT run (baseline)', fmt(base.ms, 2), fmt(base.cpuMs, 2)],
      ['ORT returning every tensor, no statistics', fmt(onlyOrt.ms, 2), fmt(onlyOrt.cpuMs, 2)],
      ['capture: every tensor + statistics', fmt(captured.ms, 2), fmt(captured.cpuMs, 2)],
      [
        'ratio capture / plain (target <= 1.5)',
        fmt(captured.ms / base.ms, 2),
        fmt(captured.cpuMs / base.cpuMs, 2),
      ],
    ]) + '\n',
  );
  await capture.release();
  await plain.release();
  await outputs.release();
}
const dir = mkdtempSync(join(tmpdir(), 'bench-runtime-'));
try {
  execFileSync(
    '/usr/bin/python3',
    [join(import.meta.dirname, '../packages/runtime/test/export_models.py'), dir],
    {
      stdio: ['ignore', 'ignore', 'ignore'],
    },
  );
  const file = join(dir, 'resnet18.onnx');
  const capture = await CaptureSession.open(file);
  const feed = randomFeed(capture.inputs[0]);
  await captureRatio('resnet18, 1x3x224x224', file);
  await captureRatio('transformer encoder (2 layers, d 32, 4 heads), 10 tokens', join(dir, 'encoder.onnx'));
  const exec = await TfjsExecutor.create(await openOnnx(await fileSource(file)));
  const tx = tf.tensor(feed.data as Float32Array, feed.shape);
  const layer = '/layer4/layer4.1/relu_1/Relu_output_0';
  const forward = await best(2, () =>
    tf.tidy(() =>
      exec
        .execute(new Map([[feed.name, tx]]))
        .get(capture.graph.outputs[0].name)!
        .dataSync(),
    ),
  );
  const cam = await best(2, () => gradCam(exec, tx, layer, { input: feed.name }));
  process.stdout.write(`\nGrad-CAM at ${layer}, TF.js ${tf.getBackend()} backend, best of 2\n`);
  process.stdout.write(
    table([
      ['', 'wall ms', 'cpu ms'],
      ['TF.js forward pass (baseline)', fmt(forward.ms), fmt(forward.cpuMs)],
      ['Grad-CAM (target <= 2000 ms)', fmt(cam.ms), fmt(cam.cpuMs)],
      ['ratio Grad-CAM / forward', fmt(cam.ms / forward.ms, 2), fmt(cam.cpuMs / forward.cpuMs, 2)],
    ]) + '\n',
  );
  exec.dispose();
  await capture.release();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

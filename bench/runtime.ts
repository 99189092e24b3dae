/**
 * The runtime debugger's cost, on models exported by Debian's PyTorch for this run (torchvision
 * resnet18, random init; a BERT-mini-sized transformer encoder: 4 layers, d_model 256, 8 heads,
 * 128 tokens).
 *
 * 1. Capture: the statistics of every intermediate tensor against a plain ONNX Runtime run of the same
 *    model and input (target: at most 1.5x), with ORT returning every tensor and no statistics in
 *    between, to show where the cost goes.
 * 2. Grad-CAM: ORT computes the activations, TF.js only the layers after the chosen one (target: at most
 *    2 s on 2 cores for resnet18), cold (session opened + one image, what `tensorscope run --gradcam`
 *    pays) and warm (one more image); against a plain ORT run and the old all-TF.js Grad-CAM.
 * 3. Saliency and integrated gradients: the whole model forward and backward in TF.js (cpu backend).
 *
 * Every row gives wall and CPU time (this process, all threads): on a shared machine CPU time is the
 * figure to compare. `npm run bench -- runtime` (`RUNTIME_BENCH=capture npm run bench -- runtime`: the
 * capture part alone)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { fileSource } from '../packages/formats/node-source';
import { openOnnx } from '../packages/formats/onnx';
import { withExtraOutputs } from '../packages/formats/onnx/encode';
import {
  type Backend,
  CaptureSession,
  GradCamSession,
  gradCam,
  integratedGradients,
  randomFeed,
  saliency,
  TfjsExecutor,
} from '../packages/runtime';
import { best, fmt, table, time } from './lib/measure';

const RUNS = 15;

const ENCODER = `
import sys, torch
torch.manual_seed(0)
layer = torch.nn.TransformerEncoderLayer(d_model=256, nhead=8, dim_feedforward=1024, dropout=0.0)
model = torch.nn.TransformerEncoder(layer, num_layers=4).eval()
torch.onnx.export(model, torch.randn(128, 1, 256), sys.argv[1], opset_version=13)
`;

const row = (label: string, t: { ms: number; cpuMs: number }, digits = 1) => [
  label,
  fmt(t.ms, digits),
  fmt(t.cpuMs, digits),
];

interface Both<T> {
  /** fastest run by wall clock (what a user waits) */
  ms: number;
  /** cheapest run by CPU time, all threads (what the work costs the cores) */
  cpuMs: number;
  result: T;
}

/** n runs; the best wall time and the best CPU time, each taken over all runs */
async function bestOfBoth<T>(n: number, fn: () => Promise<T>): Promise<Both<T>> {
  const byCpu = await best(n, fn);
  let ms = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) ms = Math.min(ms, (await time(fn)).ms);
  return { ms: Math.min(ms, byCpu.ms), cpuMs: byCpu.cpuMs, result: byCpu.result };
}

/** capture of every tensor with statistics against a plain ORT run of the same model and input */
async function captureRatio(label: string, file: string): Promise<void> {
  // statistics on the main thread and one worker (the default on 2+ cores), on two workers, and on the
  // main thread alone
  const capture = await CaptureSession.open(file, { workers: 1, main: true });
  const twoWorkers = await CaptureSession.open(file, { workers: 2, main: false });
  const single = await CaptureSession.open(file, { workers: 0, main: true });
  for (const s of [capture, twoWorkers]) await s.statsThreadsLoaded();
  const feed = randomFeed(capture.inputs[0]);
  const bytes = new Uint8Array(readFileSync(file));
  const plain = await ort.InferenceSession.create(bytes);
  const x = { [feed.name]: new ort.Tensor(feed.dtype as 'float32', feed.data, feed.shape) };
  const names = capture.graph.nodes.flatMap((n) => n.outputs).filter(Boolean);
  const outputs = await ort.InferenceSession.create(
    withExtraOutputs(
      bytes,
      names.map((name) => ({ name })),
      capture.graph.outputs.map((o) => o.name),
    ),
  );
  // what the capture fetches: Relu outputs computed from other nodes come from their input's pass
  const produced = new Set(names);
  const fetched = capture.graph.nodes
    .filter((n) => n.op !== 'Relu' || !produced.has(n.inputs[0]))
    .flatMap((n) => n.outputs)
    .filter(Boolean);
  for (let i = 0; i < 3; i++) {
    await plain.run(x);
    await outputs.run(x);
    await outputs.run(x, fetched);
    for (const s of [capture, twoWorkers, single]) await s.run([feed]);
  }
  const base = await bestOfBoth(RUNS, () => plain.run(x));
  const onlyOrt = await bestOfBoth(RUNS, () => outputs.run(x));
  const fetchedOrt = await bestOfBoth(RUNS, () => outputs.run(x, fetched));
  const alone = await bestOfBoth(RUNS, () => single.run([feed]));
  const two = await bestOfBoth(RUNS, () => twoWorkers.run([feed]));
  const captured = await bestOfBoth(RUNS, () => capture.run([feed]));
  const elements = captured.result.tensors.reduce((n, t) => n + (t.stats?.count ?? 0), 0);
  const fetchedElements = Object.values(fetchedOrt.result).reduce((n, t) => n + t.size, 0);
  const ratio = (label: string, t: Both<unknown>) => [
    label,
    fmt(t.ms / base.ms, 2),
    fmt(t.cpuMs / base.cpuMs, 2),
  ];
  process.stdout.write(
    `\n${label}: ${captured.result.tensors.length} tensors (${(elements / 1e6).toFixed(2)}M values), ${RUNS} runs each: best wall time and best CPU time (all threads), each over all runs\n`,
  );
  process.stdout.write(
    table([
      ['', 'wall ms', 'cpu ms'],
      row('plain ORT run (baseline)', base, 2),
      row('ORT returning every tensor, no statistics', onlyOrt, 2),
      row(`ORT returning the ${fetched.length} tensors capture fetches, no statistics`, fetchedOrt, 2),
      row('capture, statistics on the main thread alone', alone, 2),
      row('capture, statistics on two worker threads', two, 2),
      row('capture, statistics on the main thread + one worker (default)', captured, 2),
      [
        `statistics alone, main thread (capture - ORT returning what it fetches), ns per fetched value (${(fetchedElements / 1e6).toFixed(2)}M)`,
        '',
        fmt(((alone.cpuMs - fetchedOrt.cpuMs) * 1e6) / fetchedElements, 2),
      ],
      ratio('ratio ORT returning every tensor / plain', onlyOrt),
      ratio('ratio ORT returning what capture fetches / plain', fetchedOrt),
      ratio('ratio capture, main thread alone / plain', alone),
      ratio('ratio capture, two workers / plain', two),
      ratio('ratio capture, main + one worker / plain (target <= 1.5)', captured),
    ]) + '\n',
  );
  for (const s of [capture, twoWorkers, single]) await s.release();
  await plain.release();
  await outputs.release();
}

/** Grad-CAM at `layer`: cold (open + one image), warm (best of 5), against a plain ORT run */
async function gradCamTimes(label: string, file: string, layer: string, allTfjs: boolean): Promise<void> {
  const model = await openOnnx(await fileSource(file));
  const feed = randomFeed(model.graph!.inputs[0]);
  const plain = await ort.InferenceSession.create(readFileSync(file));
  const x = { [feed.name]: new ort.Tensor(feed.dtype as 'float32', feed.data, feed.shape) };
  await plain.run(x);
  const base = await best(5, () => plain.run(x));
  await plain.release();
  const cold = await time(async () => {
    const s = await GradCamSession.open(file, layer, { model, backend: 'wasm' });
    return { s, cam: await s.run([feed]) };
  });
  const session = cold.result.s;
  const warm = await best(5, () => session.run([feed]));
  const tailOps = session.cam.tail.nodes.length;
  await session.release();
  const rows = [
    ['', 'wall ms', 'cpu ms'],
    row('plain ORT run (baseline)', base, 2),
    row('Grad-CAM cold: session opened + one image (target <= 2000)', cold),
    row('Grad-CAM warm: one more image, best of 5', warm),
    ['ratio warm Grad-CAM / plain ORT run', fmt(warm.ms / base.ms, 1), fmt(warm.cpuMs / base.cpuMs, 1)],
  ];
  if (allTfjs) {
    // the previous implementation: every layer in TF.js (cpu), the ones before `layer` once
    const exec = await TfjsExecutor.create(model);
    const tx = tf.tensor(feed.data as Float32Array, feed.shape);
    const old = await time(() => gradCam(exec, tx, layer, { input: feed.name }));
    tx.dispose();
    exec.dispose();
    rows.push(row('previous: every layer in TF.js (once)', old));
    rows.push(['ratio previous / cold', fmt(old.ms / cold.ms, 1), fmt(old.cpuMs / cold.cpuMs, 1)]);
  }
  process.stdout.write(
    `\nGrad-CAM, ${label}, at ${layer}: ORT forward, TF.js tail of ${tailOps} nodes (layer ${cold.result.cam.layerShape.join('x')})\n`,
  );
  process.stdout.write(table(rows) + '\n');
}

/** saliency and integrated gradients (the whole model forward and backward in TF.js), once each */
async function inputAttributionTimes(
  label: string,
  file: string,
  steps: number,
  backend: Backend,
): Promise<void> {
  const model = await openOnnx(await fileSource(file));
  const feed = randomFeed(model.graph!.inputs[0]);
  const exec = await TfjsExecutor.create(model, 'model', { backend });
  const tx = tf.tensor(feed.data as Float32Array, feed.shape);
  const output = model.graph!.outputs[0].name;
  const forward = await time(() =>
    tf.tidy(() =>
      exec
        .execute(new Map([[feed.name, tx]]))
        .get(output)!
        .dataSync(),
    ),
  );
  const sal = await time(() => saliency(exec, tx, { input: feed.name, classIndex: 1 }));
  const ig = await time(() => integratedGradients(exec, tx, { input: feed.name, classIndex: 1 }, steps));
  tx.dispose();
  exec.dispose();
  process.stdout.write(
    `\nsaliency and integrated gradients (${steps} steps), ${label}, TF.js ${tf.getBackend()}\n`,
  );
  process.stdout.write(
    table([
      ['', 'wall ms', 'cpu ms'],
      row('TF.js forward pass (baseline)', forward),
      row('saliency', sal),
      row(`integrated gradients, ${steps} steps`, ig),
      ['ratio saliency / forward', fmt(sal.ms / forward.ms, 1), fmt(sal.cpuMs / forward.cpuMs, 1)],
      [
        'ratio integrated gradients per step / forward',
        fmt(ig.ms / steps / forward.ms, 1),
        fmt(ig.cpuMs / steps / forward.cpuMs, 1),
      ],
    ]) + '\n',
  );
}

const dir = mkdtempSync(join(tmpdir(), 'bench-runtime-'));
try {
  process.stdout.write(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}\n`,
  );
  const quiet = { stdio: ['ignore', 'ignore', 'ignore'] as ('ignore' | 'pipe')[] };
  execFileSync(
    '/usr/bin/python3',
    [join(import.meta.dirname, '../packages/runtime/test/export_models.py'), dir],
    quiet,
  );
  const encoder = join(dir, 'encoder-bench.onnx');
  execFileSync('/usr/bin/python3', ['-c', ENCODER, encoder], quiet);
  const resnet = join(dir, 'resnet18.onnx');
  await captureRatio('resnet18, 1x3x224x224', resnet);
  await captureRatio('transformer encoder (4 layers, d 256, 8 heads), 128 tokens', encoder);
  if (process.env.RUNTIME_BENCH === 'capture') process.exit(0);
  await gradCamTimes('resnet18', resnet, '/layer4/layer4.1/relu_1/Relu_output_0', true);
  const g = (await openOnnx(await fileSource(encoder))).graph!;
  const lastButOne = g.nodes.filter((n) => n.name.startsWith('/layers.2/')).at(-1)!.outputs[0];
  await gradCamTimes('transformer encoder', encoder, lastButOne, true);
  await inputAttributionTimes('transformer encoder', encoder, 8, 'wasm');
  await inputAttributionTimes('resnet18', resnet, 4, 'wasm');
  await inputAttributionTimes('resnet18', resnet, 1, 'cpu');
  process.stdout.write(
    `\nload average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The runtime debugger's cost: capturing the statistics of every intermediate tensor of resnet18
 * (exported by Debian's PyTorch for this run) against the same model run plainly in ONNX Runtime.
 * Target: capture at most 1.5x a plain run.
 *
 * `npm run bench -- runtime`
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { withExtraOutputs } from '../packages/formats/onnx/encode';
import { CaptureSession, randomFeed } from '../packages/runtime';
import { best, fmt, table } from './lib/measure';

const RUNS = 15;
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
  const plain = await ort.InferenceSession.create(readFileSync(file));
  const x = { [feed.name]: new ort.Tensor('float32', feed.data, feed.shape) };
  for (let i = 0; i < 3; i++) {
    await plain.run(x);
    await capture.run([feed]);
  }
  const names = capture.graph.nodes.flatMap((n) => n.outputs).filter(Boolean);
  const outputs = await ort.InferenceSession.create(
    withExtraOutputs(
      new Uint8Array(readFileSync(file)),
      names.map((name) => ({ name })),
      capture.graph.outputs.map((o) => o.name),
    ),
  );
  await outputs.run(x);
  const base = await best(RUNS, () => plain.run(x));
  const onlyOrt = await best(RUNS, () => outputs.run(x));
  const captured = await best(RUNS, () => capture.run([feed]));
  const elements = captured.result.tensors.reduce((n, t) => n + (t.stats?.count ?? 0), 0);
  process.stdout.write(
    `resnet18, 1x3x224x224, ${captured.result.tensors.length} tensors (${(elements / 1e6).toFixed(2)}M values), best of ${RUNS}\n`,
  );
  process.stdout.write(
    table([
      ['', 'wall ms', 'cpu ms'],
      ['plain ORT run (baseline)', fmt(base.ms), fmt(base.cpuMs)],
      ['ORT returning every tensor, no statistics', fmt(onlyOrt.ms), fmt(onlyOrt.cpuMs)],
      ['capture: every tensor + statistics', fmt(captured.ms), fmt(captured.cpuMs)],
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
} finally {
  rmSync(dir, { recursive: true, force: true });
}

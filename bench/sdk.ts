/**
 * `npm run bench -- sdk`: training-step time of a small TF.js CNN on MNIST digits without the SDK and
 * with watch(every=50) (which includes the NaN sentinel's per-step loss check), measured in the same
 * run; then the Python SDK's figures (sdk-python/bench/bench_sdk.py through /usr/bin/python3).
 *
 * Method (the same as the Python benchmark's): the two models take one step each in turn, so load
 * from other processes falls on both alike; each step's process CPU time is recorded. Other load
 * only adds time, so 25th percentiles of the unlogged steps are compared, and the logged steps'
 * extra work (median logged step over the unlogged 25th percentile, plus the final flush) is spread
 * over the 50 steps it covers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useFastConvBackprop, type Watcher, watch } from '@tensorscope/sdk';
import { BATCH, buildCnn, loadData } from '@tensorscope/sdk/demo';
import { best, fmt, table } from './lib/measure';

const EVERY = 50;
// at least a few logged steps: every EVERY-th step is one
const STEPS = Math.max(2 * EVERY, Number(process.env.SDK_BENCH_STEPS ?? 200));

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const pct = (v: number[], q: number) => [...v].sort((a, b) => a - b)[Math.floor(q * (v.length - 1))];
const median = (v: number[]) => pct(v, 0.5);

/** The filter gradient of the demo's two convolutions, through the stock kernel and then ours. */
async function convKernels(): Promise<void> {
  const shapes = [
    { x: [BATCH, 28, 28, 1], k: [3, 3, 1, 8] },
    { x: [BATCH, 13, 13, 8], k: [3, 3, 8, 16] },
  ] as const;
  const cases = shapes.map((s, i) => ({
    x: tf.relu(tf.randomNormal([...s.x], 0, 1, 'float32', i)) as tf.Tensor4D,
    k: tf.zeros([...s.k]) as tf.Tensor4D,
  }));
  const grad = (c: (typeof cases)[number]) =>
    tf.tidy(() =>
      tf
        .grad((k: tf.Tensor) => tf.sum(tf.conv2d(c.x, k as tf.Tensor4D, 2, 'valid')))(c.k)
        .dataSync(),
    );
  const time = async () => (await best(2, () => cases.forEach(grad))).ms;
  cases.forEach(grad); // warm-up
  const stock = await time();
  useFastConvBackprop();
  cases.forEach(grad);
  const fast = await time();
  process.stdout.write(
    `Conv2DBackpropFilter, the demo CNN's two convolutions (batch ${BATCH}): stock ${fmt(stock, 1)} ms, ` +
      `typed-array ${fmt(fast, 1)} ms: ${fmt(stock / fast, 1)}x faster\n\n`,
  );
}

interface Setup {
  name: string;
  model: tf.Sequential;
  watcher?: Watcher;
  times: number[];
  logged: number[];
}

async function main(): Promise<void> {
  tf.env().set('PROD', true);
  await convKernels();
  const data = loadData(60, 0);
  const n = data.xTrain.shape[0];
  const batches = Array.from({ length: Math.floor(n / BATCH) }, (_, i) => ({
    x: data.xTrain.slice(i * BATCH, BATCH),
    y: data.yTrain.slice(i * BATCH, BATCH),
  }));
  const dir = mkdtempSync(join(tmpdir(), 'tensorscope-bench-sdk-'));
  const setups: Setup[] = ['baseline', 'watch'].map((name) => {
    const model = buildCnn();
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const watcher = name === 'watch' ? watch(model, { every: EVERY, logdir: join(dir, name) }) : undefined;
    return { name, model, watcher, times: [], logged: [] };
  });
  const step = async (s: Setup, i: number) => {
    const b = batches[i % batches.length];
    const [loss, acc] = (await s.model.trainOnBatch(b.x, b.y)) as number[];
    s.watcher?.log({ loss, acc });
  };
  for (const s of setups) for (let i = 0; i < 10; i++) await step(s, i); // warm-up (JIT, first logged step)
  process.stdout.write(
    `TF.js ${tf.version.tfjs} (cpu backend), CNN on MNIST, batch ${BATCH}, ${STEPS} steps each\n`,
  );
  for (let i = 0; i < STEPS; i++) {
    for (let k = 0; k < setups.length; k++) {
      const s = setups[(i + k) % setups.length];
      const logged = s.watcher !== undefined && (s.watcher.step + 1) % EVERY === 0;
      const t0 = cpuMs();
      await step(s, i);
      (logged ? s.logged : s.times).push(cpuMs() - t0);
    }
  }
  const [base, watched] = setups;
  const t0 = cpuMs();
  await watched.watcher?.close();
  const flush = cpuMs() - t0;
  const b25 = pct(base.times, 0.25);
  const w25 = pct(watched.times, 0.25);
  const loggedExtra = median(watched.logged) - w25 + flush / Math.max(watched.logged.length, 1);
  const overhead = (w25 - b25 + loggedExtra / EVERY) / b25;
  process.stdout.write(
    table([
      ['TypeScript SDK', 'step CPU ms p25', 'median', 'logged step extra ms', 'overhead'],
      ['baseline (no SDK)', fmt(b25, 2), fmt(median(base.times), 2), '', ''],
      [
        `watch(every=${EVERY})`,
        fmt(w25, 2),
        fmt(median(watched.times), 2),
        fmt(loggedExtra, 1),
        `${fmt(overhead * 100, 2)}%`,
      ],
    ]) + '\n',
  );
  process.stdout.write(`ratio watch/baseline step time: ${fmt(1 + overhead, 4)} (target <= 1.10)\n`);
  rmSync(dir, { recursive: true, force: true });
  python();
}

/** The Python SDK's benchmark, when its script is there; its JSON figures side by side. */
function python(): void {
  const script = join(import.meta.dirname, '../sdk-python/bench/bench_sdk.py');
  if (!existsSync(script) || !existsSync('/usr/bin/python3')) {
    process.stdout.write(
      '\nPython SDK: sdk-python/bench/bench_sdk.py or /usr/bin/python3 is missing; skipped\n',
    );
    return;
  }
  process.stdout.write('\nPython SDK (PyTorch, /usr/bin/python3 sdk-python/bench/bench_sdk.py):\n');
  const r = spawnSync(
    '/usr/bin/python3',
    [script, ...(process.env.SDK_BENCH_PY_ARGS ?? '').split(' ').filter(Boolean)],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  if (r.status !== 0) {
    process.stdout.write(`failed (exit ${r.status}): ${r.stderr.trim().split('\n').pop()}\n`);
    process.exitCode = 1;
    return;
  }
  const res = JSON.parse(r.stdout) as Record<string, unknown>;
  const rows: (string | number)[][] = [
    [
      'model',
      'baseline ms p25',
      'watch overhead',
      'sentinel overhead',
      'anomaly overhead',
      'anomaly/sentinel cost',
    ],
  ];
  for (const name of ['cnn', 'mlp']) {
    const m = res[name] as Record<string, number | Record<string, number>> | undefined;
    if (!m) continue;
    const p25 = m.step_cpu_ms_p25 as Record<string, number>;
    const pc = (x: unknown) => (typeof x === 'number' ? `${fmt(x * 100, 2)}%` : '?');
    rows.push([
      name,
      fmt(p25.baseline, 2),
      pc(m.watch_overhead),
      pc(m.sentinel_overhead),
      pc(m.anomaly_overhead),
      `${m.anomaly_over_sentinel_overhead}x`,
    ]);
  }
  process.stdout.write(
    `${table(rows)}\n(targets: watch overhead <= 10%, sentinel >= 5x cheaper than anomaly mode)\n`,
  );
}

await main();

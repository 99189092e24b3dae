/**
 * The demo's training: a small CNN on real MNIST digits with TF.js (cpu backend), watched by the SDK.
 * Each run trains until its time budget or step limit, with validation every 25 steps, then logs
 * what the other dashboards show: hparams, per-digit PR curves and an embedding of the features.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useFastConvBackprop } from '../tfjs/fast-conv';
import { type NanReport, watch } from '../tfjs/watch';
import { type DigitSet, mnistDigits, SIDE } from './mnist';

export interface DemoRun {
  name: string;
  optimizer: 'adam' | 'sgd';
  lr: number;
  /** wall-clock budget; training stops at whichever of seconds and maxSteps comes first */
  seconds: number;
  maxSteps: number;
  about: string;
}

export interface Progress {
  run: string;
  step: number;
  /** 0..1 of the run's budget */
  fraction: number;
  loss: number;
  acc: number;
}

export interface RunResult {
  name: string;
  steps: number;
  seconds: number;
  valAcc: number | undefined;
  nan: NanReport | undefined;
}

export interface Data {
  xTrain: tf.Tensor4D;
  yTrain: tf.Tensor2D;
  xVal: tf.Tensor4D;
  yVal: tf.Tensor2D;
  val: DigitSet;
}

export const BATCH = 32;
const STEPS_PER_EPOCH = 25;

export function loadData(trainPerDigit: number, valPerDigit: number): Data {
  // production mode: no debug checks, and no banner advising tfjs-node (which cannot install offline)
  tf.env().set('PROD', true);
  const train = mnistDigits(trainPerDigit, 0);
  // validation digits are samples 800+ of each digit (the rarest digit has 863): never trained on
  const val = mnistDigits(valPerDigit, 800);
  const tensors = (s: DigitSet) => ({
    x: tf.tensor4d(s.x, [s.n, SIDE, SIDE, 1]),
    y: tf.oneHot(tf.tensor1d(s.labels, 'int32'), 10) as tf.Tensor2D,
  });
  const t = tensors(train);
  const v = tensors(val);
  return { xTrain: t.x, yTrain: t.y, xVal: v.x, yVal: v.y, val };
}

/** Two strided convolutions (no pooling: its gradient is slow on the cpu backend) and two dense layers. */
export function buildCnn(seed = 1): tf.Sequential {
  const init = (s: number) => tf.initializers.heNormal({ seed: seed * 10 + s });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [SIDE, SIDE, 1],
        filters: 8,
        kernelSize: 3,
        strides: 2,
        activation: 'relu',
        name: 'conv1',
        kernelInitializer: init(1),
      }),
      tf.layers.conv2d({
        filters: 16,
        kernelSize: 3,
        strides: 2,
        activation: 'relu',
        name: 'conv2',
        kernelInitializer: init(2),
      }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ units: 64, activation: 'relu', name: 'features', kernelInitializer: init(3) }),
      tf.layers.dense({ units: 10, activation: 'softmax', name: 'classifier', kernelInitializer: init(4) }),
    ],
  });
}

/** Endless shuffled batches of the training set. */
function batches(data: Data, seed: number): tf.data.Dataset<tf.TensorContainer> {
  const n = data.xTrain.shape[0];
  let s = seed;
  const random = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return tf.data.generator(function* () {
    const order = Int32Array.from({ length: n }, (_, i) => i);
    for (;;) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let b = 0; b + BATCH <= n; b += BATCH) {
        const idx = order.slice(b, b + BATCH);
        yield tf.tidy(() => {
          const ix = tf.tensor1d(idx, 'int32');
          return { xs: tf.gather(data.xTrain, ix), ys: tf.gather(data.yTrain, ix) };
        });
      }
    }
  });
}

export async function trainRun(
  spec: DemoRun,
  data: Data,
  logdir: string,
  opts: { every: number; onProgress?: (p: Progress) => void; extras?: boolean },
): Promise<RunResult> {
  useFastConvBackprop();
  const model = buildCnn();
  const optimizer = spec.optimizer === 'adam' ? tf.train.adam(spec.lr) : tf.train.sgd(spec.lr);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const w = watch(model, { every: opts.every, logdir: join(logdir, spec.name) });
  const writer = w.writer;
  writer.text('about', spec.about, 0);
  writer.customScalars([
    {
      title: 'Training',
      charts: [
        { title: 'loss vs validation loss', multiline: ['loss', 'val_loss'] },
        { title: 'accuracy vs validation accuracy', multiline: ['acc', 'val_acc'] },
      ],
    },
  ]);
  const sample = data.val.x.subarray(0, 16 * SIDE * SIDE);
  writer.images(
    'inputs/samples',
    Array.from({ length: 16 }, (_, i) => ({
      data: sample.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE),
      width: SIDE,
      height: SIDE,
    })),
    0,
    8,
  );
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let step = 0;
  let valAcc: number | undefined;
  const progress = new tf.CustomCallback({
    onBatchEnd: async (_b, logs) => {
      step = w.step + 1;
      const fraction = Math.min(1, Math.max(elapsed() / spec.seconds, step / spec.maxSteps));
      opts.onProgress?.({
        run: spec.name,
        step,
        fraction,
        loss: logs?.loss ?? Number.NaN,
        acc: logs?.acc ?? Number.NaN,
      });
      // a diverged run has said what it had to say a few steps after its first NaN
      const nanDone = w.found !== undefined && step > w.found.step + 30;
      if (fraction >= 1 || nanDone) model.stopTraining = true;
      // let the dashboard server answer between steps
      await new Promise((resolve) => setImmediate(resolve));
    },
    onEpochEnd: async (_e, logs) => {
      if (typeof logs?.val_acc === 'number') valAcc = logs.val_acc;
    },
  });
  await model.fitDataset(batches(data, 7), {
    epochs: 1_000_000,
    batchesPerEpoch: STEPS_PER_EPOCH,
    validationData: [data.xVal, data.yVal],
    callbacks: [w.callback, progress],
    verbose: 0,
  });
  const seconds = elapsed();
  const last = Math.max(w.step, 0);
  if (opts.extras !== false && !w.found) logExtras(model, data, writer, last);
  writer.hparams(
    { optimizer: spec.optimizer, lr: spec.lr, batch_size: BATCH },
    valAcc === undefined ? {} : { 'hparam/val_acc': valAcc },
    last,
  );
  await w.close();
  model.dispose();
  return { name: spec.name, steps: step, seconds, valAcc, nan: w.found };
}

/** Per-digit PR curves on the validation set and a projector embedding of the 64 learned features. */
function logExtras(
  model: tf.Sequential,
  data: Data,
  writer: ReturnType<typeof watch>['writer'],
  step: number,
): void {
  const probs = tf.tidy(() => (model.predict(data.xVal) as tf.Tensor).dataSync());
  const { labels, n } = data.val;
  for (let d = 0; d < 10; d++) {
    const isD = Float32Array.from(labels, (l) => (l === d ? 1 : 0));
    const p = Float32Array.from({ length: n }, (_, i) => probs[i * 10 + d]);
    writer.prCurve(`pr/digit_${d}`, isD, p, step);
  }
  const shown = Math.min(n, 300);
  const features = tf.tidy(() => {
    const f = tf.model({
      inputs: model.inputs,
      outputs: model.getLayer('features').output as tf.SymbolicTensor,
    });
    return (f.predict(data.xVal.slice(0, shown)) as tf.Tensor).dataSync();
  });
  writer.embedding(
    { data: features, shape: [shown, 64] },
    {
      tag: 'features',
      step,
      metadata: Array.from(labels.subarray(0, shown), (l, i) => [
        String(l),
        String(Math.round(probs[i * 10 + l] * 100) / 100),
      ]),
      metadataHeader: ['digit', 'confidence'],
      labelImages: Array.from({ length: shown }, (_, i) => ({
        data: data.val.x.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE),
        width: SIDE,
        height: SIDE,
      })),
    },
  );
}

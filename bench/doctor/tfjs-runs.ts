/**
 * The TF.js runs of the doctor's evaluation suite: real training of small models on real MNIST digits
 * (the `mnist` package, pooled to 14x14) with @tensorflow/tfjs on the cpu backend, logged the way tfjs-node's
 * tensorBoard callback lays runs out (`<run>/train` and `<run>/val`, tags `loss` and `acc`), plus
 * weight, gradient, activation and input histograms through tensorscope's EventFileWriter.
 *
 * usage: tsx bench/doctor/tfjs-runs.ts OUTDIR [NAME ...]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EventFileWriter } from '@tensorscope/formats/tfevents/node';

interface Digit {
  range(start: number, end: number): number[][];
}

// the mnist package is CommonJS without types: one entry per digit, 28x28 values in [0, 1]
const mnist = createRequire(import.meta.url)('mnist') as Digit[];

type Act = 'relu' | 'tanh' | 'sigmoid';

interface RunSpec {
  name: string;
  /** hidden layer widths */
  hidden: number[];
  act: Act;
  optimizer: 'adam' | 'sgd' | 'momentum' | 'rmsprop';
  lr: number;
  lrAt?: (step: number) => number;
  steps?: number;
  train?: number;
  pixelScale?: number;
  kernelInit?: 'zeros' | 'glorotUniform';
  /** alters the weights after a step (a bug) */
  after?: (step: number, vars: tf.Variable[]) => void;
  /** alters the batch before a step (a bad batch) */
  batchAt?: (step: number, x: tf.Tensor2D) => tf.Tensor2D;
  logInput?: boolean;
  /** cross-entropy written by hand as -sum(y * log(softmax)): log(0) once a probability underflows */
  handwrittenCe?: boolean;
  problems: { id: string; onset: number | 'nan' | 'val_min' }[];
  allowed?: string[];
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first `perDigit` samples of every digit for training, the next ones for validation and truth. */
function digits(perDigit: number, offset: number, scale: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let d = 0; d < 10; d++) {
    for (const s of mnist[d].range(offset, offset + perDigit - 1)) {
      // 2x2 average pooling to 14x14: a quarter of the compute on the pure-JS cpu backend
      for (let r = 0; r < 28; r += 2)
        for (let c = 0; c < 28; c += 2)
          xs.push(
            ((s[r * 28 + c] + s[r * 28 + c + 1] + s[r * 28 + 28 + c] + s[r * 28 + 29 + c]) / 4) * scale,
          );
      for (let k = 0; k < 10; k++) ys.push(k === d ? 1 : 0);
    }
  }
  return { x: tf.tensor2d(xs, [xs.length / PIXELS, PIXELS]), y: tf.tensor2d(ys, [ys.length / 10, 10]) };
}

const PIXELS = 14 * 14;

const cutLr = (s: number) => (s >= 150 ? 300 : 1);
const cyclic = (s: number) => (s >= 150 && Math.floor(s / 15) % 2 ? 150 : 1);

const RUNS: RunSpec[] = [
  { name: 'tfjs_healthy_mlp_adam', hidden: [64], act: 'relu', optimizer: 'adam', lr: 1e-3, problems: [] },
  {
    name: 'tfjs_healthy_momentum_stepdecay',
    hidden: [128, 64],
    act: 'relu',
    optimizer: 'momentum',
    lr: 0.02,
    lrAt: (s) => (s >= 200 ? 0.1 : 1),
    problems: [],
  },
  {
    name: 'tfjs_healthy_tanh_rmsprop_decay_spike',
    hidden: [64, 32],
    act: 'tanh',
    optimizer: 'rmsprop',
    lr: 1e-3,
    lrAt: (s) => 0.99 ** (s / 3),
    batchAt: (s, x) => (s === 150 ? x.mul(40) : x),
    problems: [],
  },
  {
    name: 'tfjs_nan_handwritten_ce',
    hidden: [64],
    act: 'relu',
    optimizer: 'sgd',
    lr: 0.1,
    lrAt: (s) => (s >= 150 ? 50 : 1),
    handwrittenCe: true,
    problems: [{ id: 'nan_loss', onset: 'nan' }],
    allowed: [
      'divergence',
      'exploding_gradients',
      'broken_weights',
      'dead_relu',
      'saturation',
      'oscillation',
    ],
  },
  {
    name: 'tfjs_divergence_adam_lr_bug',
    hidden: [64],
    act: 'relu',
    optimizer: 'adam',
    lr: 1e-3,
    lrAt: cutLr,
    problems: [{ id: 'divergence', onset: 150 }],
    allowed: ['exploding_gradients', 'dead_relu', 'oscillation'],
  },
  {
    name: 'tfjs_overfit_100_digits',
    hidden: [256, 256],
    act: 'relu',
    optimizer: 'adam',
    lr: 1e-3,
    train: 10,
    steps: 400,
    problems: [{ id: 'overfitting', onset: 'val_min' }],
  },
  {
    name: 'tfjs_vanishing_deep_sigmoid',
    hidden: [32, 32, 32, 32, 32, 32, 32, 32, 32],
    act: 'sigmoid',
    optimizer: 'sgd',
    lr: 0.1,
    problems: [{ id: 'vanishing_gradients', onset: 0 }],
    allowed: ['underfitting', 'lr_too_low', 'saturation'],
  },
  {
    name: 'tfjs_dead_relu_bias_shift',
    hidden: [64, 64],
    act: 'relu',
    optimizer: 'adam',
    lr: 1e-3,
    after: (s, vars) => {
      if (s !== 150) return;
      for (const v of vars) if (v.name.includes('bias') && v.shape[0] !== 10) v.assign(v.sub(8));
    },
    problems: [{ id: 'dead_relu', onset: 150 }],
    allowed: ['divergence', 'underfitting', 'vanishing_gradients'],
  },
  {
    name: 'tfjs_lr_too_low',
    hidden: [64],
    act: 'relu',
    optimizer: 'sgd',
    lr: 1e-5,
    problems: [{ id: 'lr_too_low', onset: 0 }],
    allowed: ['underfitting'],
  },
  {
    name: 'tfjs_unnormalized_pixels',
    hidden: [64],
    act: 'relu',
    optimizer: 'adam',
    lr: 1e-3,
    pixelScale: 255,
    logInput: true,
    problems: [{ id: 'unnormalized_input', onset: 0 }],
    allowed: ['dead_relu', 'oscillation', 'exploding_gradients'],
  },
  {
    name: 'tfjs_bad_init_zeros',
    hidden: [64, 64],
    act: 'tanh',
    optimizer: 'adam',
    lr: 1e-3,
    kernelInit: 'zeros',
    problems: [{ id: 'bad_init', onset: 0 }],
    allowed: ['underfitting', 'vanishing_gradients', 'lr_too_low'],
  },
  {
    name: 'tfjs_oscillation_cyclic_adam',
    hidden: [64],
    act: 'relu',
    optimizer: 'adam',
    lr: 1e-3,
    lrAt: cyclic,
    problems: [{ id: 'oscillation', onset: 150 }],
    allowed: ['divergence', 'dead_relu'],
  },
];

function buildLayers(spec: RunSpec, seed: number): tf.layers.Layer[] {
  const init = (k: number) =>
    spec.kernelInit === 'zeros' ? tf.initializers.zeros() : tf.initializers.glorotUniform({ seed: seed + k });
  const layers: tf.layers.Layer[] = [];
  spec.hidden.forEach((units, i) => {
    layers.push(tf.layers.dense({ units, name: `dense${i + 1}`, kernelInitializer: init(i) }));
    layers.push(tf.layers.activation({ activation: spec.act, name: `${spec.act}${i + 1}` }));
  });
  layers.push(tf.layers.dense({ units: 10, name: 'logits', kernelInitializer: init(99) }));
  return layers;
}

function optimizer(spec: RunSpec): tf.Optimizer {
  switch (spec.optimizer) {
    case 'adam':
      return tf.train.adam(spec.lr);
    case 'sgd':
      return tf.train.sgd(spec.lr);
    case 'momentum':
      return tf.train.momentum(spec.lr, 0.9);
    case 'rmsprop':
      return tf.train.rmsprop(spec.lr);
  }
}

/** Forward pass that also returns each activation layer's output (what a hook would capture). */
function forward(
  layers: tf.layers.Layer[],
  x: tf.Tensor,
): { logits: tf.Tensor2D; acts: Map<string, tf.Tensor> } {
  const acts = new Map<string, tf.Tensor>();
  let h = x;
  for (const l of layers) {
    h = l.apply(h) as tf.Tensor;
    if (l.getClassName() === 'Activation') acts.set(l.name, h);
  }
  return { logits: h as tf.Tensor2D, acts };
}

const ceLoss = (logits: tf.Tensor2D, y: tf.Tensor2D) => tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
const handwrittenCe = (logits: tf.Tensor2D, y: tf.Tensor2D) =>
  y.mul(logits.softmax().log()).sum(1).mean().neg() as tf.Scalar;

function accuracy(logits: tf.Tensor2D, y: tf.Tensor2D): number {
  return tf.tidy(() => logits.argMax(1).equal(y.argMax(1)).mean().dataSync()[0]);
}

async function train(spec: RunSpec, outdir: string, seed: number): Promise<void> {
  const steps = spec.steps ?? 300;
  const scale = spec.pixelScale ?? 1;
  const data = digits(spec.train ?? 200, 0, scale);
  const val = digits(50, 300, scale);
  const truth = digits(100, 350, scale);
  const layers = buildLayers(spec, seed);
  forward(layers, data.x.slice([0, 0], [1, PIXELS])); // builds the weights
  const vars = layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
  const opt = optimizer(spec);
  // SGD and momentum keep the rate in a tensor (setLearningRate); Adam and RMSprop read the field.
  // (tfjs makes every optimizer `instanceof SGDOptimizer`, so test for the method itself.)
  const settable = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  const setLr = (lr: number) => {
    if (typeof settable.setLearningRate === 'function') settable.setLearningRate(lr);
    else settable.learningRate = lr;
  };
  const dir = join(outdir, spec.name);
  const trainW = new EventFileWriter(join(dir, 'train'));
  const valW = new EventFileWriter(join(dir, 'val'));
  const rand = rng(seed);
  const n = data.x.shape[0];
  let firstNaN: number | undefined;
  const truthLoss: [number, number][] = [];
  let step = 0;
  for (; step < steps; step++) {
    setLr(spec.lr * (spec.lrAt?.(step) ?? 1));
    const idx = tf.tensor1d(
      Array.from({ length: 64 }, () => Math.floor(rand() * n)),
      'int32',
    );
    let xb = data.x.gather(idx) as tf.Tensor2D;
    const yb = data.y.gather(idx) as tf.Tensor2D;
    if (spec.batchAt) xb = spec.batchAt(step, xb);
    const logHist = step % 20 === 0;
    let acc = 0;
    const { value, grads } = tf.variableGrads(() => {
      const { logits, acts } = forward(layers, xb);
      if (logHist) {
        for (const [name, a] of acts) trainW.histogram(`activations/${name}`, a.dataSync(), step);
        if (spec.logInput) trainW.histogram('input/images', xb.dataSync(), step);
      }
      acc = accuracy(logits, yb);
      return (spec.handwrittenCe ? handwrittenCe : ceLoss)(logits, yb);
    }, vars);
    if (logHist) {
      for (const v of vars) {
        trainW.histogram(v.name, v.dataSync(), step);
        trainW.histogram(`gradients/${v.name}`, grads[v.name].dataSync(), step);
      }
    }
    opt.applyGradients(grads);
    spec.after?.(step, vars);
    const loss = value.dataSync()[0];
    trainW.scalar('loss', loss, step);
    trainW.scalar('acc', acc, step);
    tf.dispose([value, idx, xb, yb, ...Object.values(grads)]);
    if ((step + 1) % 20 === 0 || step === steps - 1) {
      tf.tidy(() => {
        const lv = forward(layers, val.x).logits;
        valW.scalar('loss', ceLoss(lv, val.y).dataSync()[0], step);
        valW.scalar('acc', accuracy(lv, val.y), step);
        truthLoss.push([step, ceLoss(forward(layers, truth.x).logits, truth.y).dataSync()[0]]);
      });
    }
    if (!Number.isFinite(loss)) {
      firstNaN ??= step;
      if (step - firstNaN >= 15) break;
    }
  }
  await trainW.close();
  await valW.close();
  const problems = spec.problems.map((p) => {
    if (p.onset === 'nan') return { id: p.id, onset: firstNaN ?? 0 };
    if (p.onset === 'val_min')
      return { id: p.id, onset: truthLoss.reduce((a, b) => (b[1] < a[1] ? b : a))[0] };
    return { id: p.id, onset: p.onset };
  });
  const label = {
    framework: 'tfjs',
    steps: Math.min(step + 1, steps),
    problems,
    allowed: spec.allowed ?? [],
  };
  mkdirSync(join(dir, 'train'), { recursive: true });
  writeFileSync(join(dir, 'train', 'label.json'), JSON.stringify(label));
  tf.dispose([data.x, data.y, val.x, val.y, truth.x, truth.y, ...vars]);
}

const [outdir, ...wanted] = process.argv.slice(2);
await tf.setBackend('cpu');
for (const [i, spec] of RUNS.entries()) {
  if (wanted.length && !wanted.includes(spec.name)) continue;
  await train(spec, outdir, 1000 + i);
  process.stdout.write(`${spec.name}\n`);
}

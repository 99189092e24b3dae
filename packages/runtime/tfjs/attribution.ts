/**
 * Attribution through the TF.js executor, with gradients from TF.js: Grad-CAM for a chosen layer and
 * class, saliency (|d score / d input|, max over channels) and integrated gradients. (GradCamSession in
 * gradcam.ts does Grad-CAM with the forward pass in ONNX Runtime, which is much faster.)
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors';
import type { TfjsExecutor } from './executor';

export interface Attribution {
  /** [H, W] map, row-major */
  map: Float32Array;
  shape: [number, number];
  /** the class explained */
  classIndex: number;
}

interface Target {
  /** the graph input the attribution is about */
  input: string;
  /** the output holding class scores [1, classes]; the graph's first output by default */
  output?: string;
  /** the class explained; the top-scoring class by default */
  classIndex?: number;
}

/** the output and the class (the top-scoring one unless given; an index outside the output is refused) */
function resolve(exec: TfjsExecutor, t: Target, x: tf.Tensor): { output: string; classIndex: number } {
  const output = t.output ?? exec.graph.outputs[0].name;
  const [classIndex, classes] = tf.tidy(() => {
    const y = exec.execute(new Map([[t.input, x]])).get(output)!;
    return [t.classIndex ?? tf.argMax(tf.reshape(y, [-1])).dataSync()[0], y.size];
  });
  if (classIndex < 0 || classIndex >= classes)
    throw new InputError(
      `the output ${output} has ${classes} classes, so class ${classIndex} does not exist`,
    );
  return { output, classIndex };
}

const score = (y: tf.Tensor, classIndex: number) => tf.sum(tf.slice(tf.reshape(y, [-1]), [classIndex], [1]));

/**
 * The Grad-CAM map of activation `a` with gradient `g` (call inside tf.tidy): for [N, C, H, W],
 * relu(sum_c mean_hw(g_c) * a_c) summed over the batch, [H, W]; for rank 2 or 3 (tokens), channels are
 * the last axis, the weights are the gradient's mean over the other axes and the map is [d0, d1 * d2...].
 */
export function camOf(a: tf.Tensor, g: tf.Tensor, layer: string): tf.Tensor2D {
  if (a.rank === 4) {
    const weights = tf.mean(g, [2, 3], true);
    return tf.relu(tf.sum(tf.mul(weights, a), [0, 1])) as tf.Tensor2D;
  }
  if (a.rank === 2 || a.rank === 3) {
    const lead = [...Array(a.rank - 1).keys()];
    const weights = tf.mean(g, lead, true);
    const cam = tf.relu(tf.sum(tf.mul(weights, a), -1));
    return tf.reshape(cam, [a.shape[0], -1]) as tf.Tensor2D;
  }
  throw new InputError(
    `Grad-CAM needs a [N, C, H, W] or [tokens, ..., channels] layer; ${layer} has shape [${a.shape}]`,
  );
}

/** a 2-D map tensor as an Attribution's map and shape (the tensor is disposed) */
export function mapOf(m: tf.Tensor): { map: Float32Array; shape: [number, number] } {
  const out = { map: Float32Array.from(m.dataSync()), shape: m.shape as [number, number] };
  m.dispose();
  return out;
}

/** Grad-CAM at `layer` with every node in TF.js: the layers up to `layer` run once, the rest under tf.grad. */
export function gradCam(exec: TfjsExecutor, x: tf.Tensor, layer: string, target: Target): Attribution {
  const output = target.output ?? exec.graph.outputs[0].name;
  const at = exec.producer(layer);
  let classIndex = target.classIndex ?? -1;
  const map = tf.tidy(() => {
    // the layers up to `layer` run once; the rest runs for the class and again under the gradient
    const env = exec.execute(new Map([[target.input, x]]), 0, at + 1);
    const a = env.get(layer)!;
    const rest = (act: tf.Tensor) => exec.execute(new Map([...env, [layer, act]]), at + 1).get(output)!;
    if (classIndex < 0) classIndex = tf.argMax(tf.reshape(rest(a), [-1])).dataSync()[0];
    return camOf(a, tf.grad((act: tf.Tensor) => score(rest(act), classIndex))(a), layer);
  });
  return { ...mapOf(map), classIndex };
}

/**
 * d score / d x; with `batch` > 1, x holds that many inputs stacked on axis 0 and each item's score
 * is its own row of the output (checked, so a graph that mixes items fails instead of lying)
 */
function inputGradient(
  exec: TfjsExecutor,
  x: tf.Tensor,
  input: string,
  output: string,
  classIndex: number,
  batch = 1,
): tf.Tensor {
  const f = (v: tf.Tensor) => {
    const y = exec.execute(new Map([[input, v]])).get(output)!;
    if (batch === 1) return score(y, classIndex);
    if (y.shape[0] !== batch) throw new Error(`the output ${output} does not keep the batch axis`);
    return tf.sum(tf.slice(tf.reshape(y, [batch, -1]), [0, classIndex], [-1, 1]));
  };
  return tf.grad(f)(x);
}

/** [N, H, W, 1|3] rather than [N, C, H, W]: 1 or 3 last and more than 4 (pixels, not channels) second */
const isNhwc = (s: number[]) => (s[3] === 1 || s[3] === 3) && s[1] > 4 && s[1] !== s[3];

/**
 * An input-sized attribution as a 2-D map, by `reduce` over channels: [N, C, H, W] (or NHWC with 1 or 3
 * channels) -> [H, W]; other inputs (tokens x features) -> the last axis reduced, [d0, d1 * ...].
 */
function spatial(t: tf.Tensor, classIndex: number, reduce: 'max' | 'sum'): Attribution {
  const r = (x: tf.Tensor, axes: number[]) => (reduce === 'max' ? tf.max(x, axes) : tf.sum(x, axes));
  const m = tf.tidy(() => {
    if (t.rank === 4) return r(t, isNhwc(t.shape) ? [0, 3] : [0, 1]);
    if (t.rank === 1) return tf.reshape(t, [1, -1]);
    return tf.reshape(r(t, [t.rank - 1]), [t.shape[0], -1]);
  });
  return { ...mapOf(m), classIndex };
}

/** Saliency: max over channels of |d score / d input|. */
export function saliency(exec: TfjsExecutor, x: tf.Tensor, target: Target): Attribution {
  const { output, classIndex } = resolve(exec, target, x);
  const g = tf.tidy(() => tf.abs(inputGradient(exec, x, target.input, output, classIndex)));
  const out = spatial(g, classIndex, 'max');
  g.dispose();
  return out;
}

export interface IntegratedGradientsOptions {
  /** interpolation points run together in one batch (default 8; 1 for models with a fixed batch size) */
  batch?: number;
}

/**
 * Integrated gradients from a zero baseline with the right Riemann sum over `steps` points
 * (x * mean_k dScore/dx at k/steps * x), summed over channels. The points run `batch` at a time,
 * stacked on the batch axis; a model whose graph fixes the batch size falls back to one at a time.
 */
export function integratedGradients(
  exec: TfjsExecutor,
  x: tf.Tensor,
  target: Target,
  steps = 32,
  options: IntegratedGradientsOptions = {},
): Attribution {
  const { output, classIndex } = resolve(exec, target, x);
  // only an input that is a batch of one can carry the points on its batch axis
  let batch = x.shape[0] === 1 ? Math.max(1, Math.min(steps, options.batch ?? 8)) : 1;
  let total = tf.zerosLike(x);
  for (let k = 1; k <= steps; ) {
    const n = Math.min(batch, steps - k + 1);
    let next: tf.Tensor;
    try {
      next = tf.tidy(() => {
        const alphas = tf.tensor(Array.from({ length: n }, (_, i) => (k + i) / steps));
        const points = tf.mul(x, tf.reshape(alphas, [n, ...x.shape.slice(1).map(() => 1)]));
        const g = inputGradient(exec, points, target.input, output, classIndex, n);
        return tf.add(total, tf.sum(g, 0, true));
      });
    } catch (e) {
      if (n === 1) throw e;
      batch = 1; // the graph fixes the batch size (a Reshape to [1, ...]): one point at a time
      continue;
    }
    total.dispose();
    total = next;
    k += n;
  }
  const attr = tf.tidy(() => tf.mul(x, tf.div(total, steps)));
  total.dispose();
  const out = spatial(attr, classIndex, 'sum');
  attr.dispose();
  return out;
}

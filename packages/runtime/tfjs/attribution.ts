/**
 * Attribution through the TF.js executor, with gradients from TF.js: Grad-CAM for a chosen layer and
 * class, saliency (|d score / d input|, max over channels) and integrated gradients.
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

function resolve(exec: TfjsExecutor, t: Target, x: tf.Tensor): { output: string; classIndex: number } {
  const output = t.output ?? exec.graph.outputs[0].name;
  if (t.classIndex !== undefined) return { output, classIndex: t.classIndex };
  const classIndex = tf.tidy(() => {
    const y = exec.execute(new Map([[t.input, x]])).get(output)!;
    return tf.argMax(tf.reshape(y, [-1])).dataSync()[0];
  });
  return { output, classIndex };
}

const score = (y: tf.Tensor, classIndex: number) => tf.slice(tf.reshape(y, [-1]), [classIndex], [1]).sum();

/** Grad-CAM at `layer` (an [1, C, h, w] value): relu(sum_c mean(dScore/dA_c) * A_c), at the layer's size. */
export function gradCam(exec: TfjsExecutor, x: tf.Tensor, layer: string, target: Target): Attribution {
  const output = target.output ?? exec.graph.outputs[0].name;
  const at = exec.producer(layer);
  let classIndex = target.classIndex ?? -1;
  const map = tf.tidy(() => {
    // the layers up to `layer` run once; the rest runs for the class and again under the gradient
    const env = exec.execute(new Map([[target.input, x]]), 0, at + 1);
    const a = env.get(layer)!;
    if (a.rank !== 4)
      throw new InputError(`Grad-CAM needs a [N, C, H, W] layer; ${layer} has shape [${a.shape}]`);
    const rest = (act: tf.Tensor) => exec.execute(new Map([...env, [layer, act]]), at + 1).get(output)!;
    if (classIndex < 0) classIndex = tf.argMax(tf.reshape(rest(a), [-1])).dataSync()[0];
    const g = tf.grad((act: tf.Tensor) => score(rest(act), classIndex))(a);
    const weights = tf.mean(g, [2, 3], true);
    return tf.relu(tf.sum(tf.mul(weights, a), [0, 1]));
  });
  const shape = map.shape as [number, number];
  const data = Float32Array.from(map.dataSync());
  map.dispose();
  return { map: data, shape, classIndex };
}

function inputGradient(
  exec: TfjsExecutor,
  x: tf.Tensor,
  input: string,
  output: string,
  classIndex: number,
): tf.Tensor {
  return tf.grad((v: tf.Tensor) => score(exec.execute(new Map([[input, v]])).get(output)!, classIndex))(x);
}

/** channels-first [1, C, H, W] -> [H, W] by `reduce` over channels */
function spatial(t: tf.Tensor, classIndex: number, reduce: 'max' | 'sum'): Attribution {
  const m = reduce === 'max' ? tf.max(t, [0, 1]) : tf.sum(t, [0, 1]);
  const out = { map: m.dataSync() as Float32Array, shape: m.shape as [number, number], classIndex };
  m.dispose();
  return out;
}

/** Saliency: max over channels of |d score / d input|. */
export function saliency(exec: TfjsExecutor, x: tf.Tensor, target: Target): Attribution {
  const { output, classIndex } = resolve(exec, target, x);
  const g = tf.tidy(() => tf.abs(inputGradient(exec, x, target.input, output, classIndex)));
  const out = spatial(g, classIndex, 'max');
  g.dispose();
  return out;
}

/**
 * Integrated gradients from a zero baseline with the right Riemann sum over `steps` points
 * (x * mean_k dScore/dx at k/steps * x), summed over channels.
 */
export function integratedGradients(
  exec: TfjsExecutor,
  x: tf.Tensor,
  target: Target,
  steps = 32,
): Attribution {
  const { output, classIndex } = resolve(exec, target, x);
  let total = tf.zerosLike(x);
  for (let k = 1; k <= steps; k++) {
    const next = tf.tidy(() =>
      tf.add(total, inputGradient(exec, tf.mul(x, k / steps), target.input, output, classIndex)),
    );
    total.dispose();
    total = next;
  }
  const attr = tf.tidy(() => tf.mul(x, tf.div(total, steps)));
  total.dispose();
  const out = spatial(attr, classIndex, 'sum');
  attr.dispose();
  return out;
}

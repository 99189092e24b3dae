import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { watch } from '../tfjs/watch';
import { type ExportedRun, exportLogdir, tagOf, tempDir } from './helpers';

/** Float32 scalars read back: compare to a float64 reference at float32 precision. */
function close(actual: unknown, expected: number): void {
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
}

function stepsOf(run: ExportedRun | undefined, tag: string): number[] {
  return tagOf(run, tag).points.map((p) => p.step);
}

describe('watch(model) with model.fit: values agree with direct tf computations', () => {
  const logdir = tempDir('sdk-watch');
  const lr = 0.1;
  const init = (seed: number) => tf.initializers.glorotNormal({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [5],
        units: 6,
        activation: 'relu',
        name: 'h1',
        kernelInitializer: init(1),
      }),
      tf.layers.dense({ units: 4, activation: 'tanh', name: 'h2', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: init(3) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(lr), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  // wide inputs, so some tanh units saturate and some ReLUs are dead
  const xs = tf.mul(tf.randomNormal([8, 5], 0, 1, 'float32', 7), 4);
  const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
  const ref = {
    grads: new Map<string, Float32Array>(),
    weights: new Map<string, Float32Array>(),
    acts: new Map<string, Float32Array>(),
    loss: 0,
  };
  let run: ExportedRun | undefined;

  beforeAll(async () => {
    // the reference: step 0's gradients and activations straight from tf, before training
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    for (const v of vars) ref.weights.set(v.name, v.dataSync().slice() as Float32Array);
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.metrics.categoricalCrossentropy(ys, model.apply(xs, { training: true }) as tf.Tensor)),
      vars,
    );
    ref.loss = value.dataSync()[0];
    for (const [k, g] of Object.entries(grads)) ref.grads.set(k, g.dataSync() as Float32Array);
    const aux = tf.model({
      inputs: model.inputs,
      outputs: model.layers.map((l) => l.output as tf.SymbolicTensor),
    });
    const outs = aux.predict(xs) as tf.Tensor[];
    model.layers.forEach((l, i) => ref.acts.set(l.name, outs[i].dataSync() as Float32Array));

    const w = watch(model, { every: 2, logdir: join(logdir, 'fit') });
    await model.fit(xs, ys, { batchSize: 8, epochs: 3, shuffle: false, callbacks: [w.callback], verbose: 0 });
    await w.close();
    run = exportLogdir(logdir).find((r) => r.name === 'fit');
  }, 60_000);

  it('loss and accuracy every step, step 0 equal to the loss computed directly', () => {
    expect(stepsOf(run, 'loss')).toEqual([0, 1, 2]);
    expect(stepsOf(run, 'acc')).toEqual([0, 1, 2]);
    close(tagOf(run, 'loss').points[0].value, ref.loss);
  });

  it('lr, gradient norms and update ratios on logged steps (every=2)', () => {
    expect(stepsOf(run, 'lr')).toEqual([0, 2]);
    close(tagOf(run, 'lr').points[0].value, lr);
    for (const [name, g] of ref.grads) {
      const norm = tf.norm(tf.tensor(g)).dataSync()[0];
      expect(stepsOf(run, `grad_norm/${name}`)).toEqual([0, 2]);
      close(tagOf(run, `grad_norm/${name}`).points[0].value, norm);
      // SGD: w1 = w0 - lr * g, so |w1 - w0| / |w1| = lr |g| / |w1|
      const w1 = tf.sub(tf.tensor(ref.weights.get(name) as Float32Array), tf.mul(lr, tf.tensor(g)));
      const ratio = tf.div(
        tf.norm(tf.sub(w1, tf.tensor(ref.weights.get(name) as Float32Array))),
        tf.norm(w1),
      );
      close(tagOf(run, `update_ratio/${name}`).points[0].value, ratio.dataSync()[0]);
    }
  });

  it('weight and gradient histograms per parameter', () => {
    for (const [name, w0] of ref.weights) {
      const h = tagOf(run, name).points[0];
      expect(h.num).toBe(w0.length);
      expect(h.min).toBe(tf.min(tf.tensor(w0)).dataSync()[0]);
      expect(h.max).toBe(tf.max(tf.tensor(w0)).dataSync()[0]);
      const g = tagOf(run, `${name}.grad`).points[0];
      expect(g.num).toBe(w0.length);
      expect(g.max).toBe(tf.max(tf.tensor(ref.grads.get(name) as Float32Array)).dataSync()[0]);
    }
  });

  it('activation statistics per layer, saturation for tanh only', () => {
    // the softmax output holds probabilities: not reported as activations
    expect(run?.tags.some((t) => t.tag.endsWith('/out') && t.tag.startsWith('act'))).toBe(false);
    ref.acts.delete('out');
    for (const [layer, a] of ref.acts) {
      const t = tf.tensor(a);
      const { mean, variance } = tf.moments(t);
      const n = a.length;
      close(tagOf(run, `act_mean/${layer}`).points[0].value, mean.dataSync()[0]);
      close(
        tagOf(run, `act_std/${layer}`).points[0].value,
        Math.sqrt((variance.dataSync()[0] * n) / (n - 1)),
      );
      const zeros = tf.mean(tf.cast(tf.equal(t, 0), 'float32')).dataSync()[0];
      close(tagOf(run, `act_zero_frac/${layer}`).points[0].value, zeros);
      expect(tagOf(run, `activations/${layer}`).points[0].num).toBe(n);
    }
    const h2 = tf.tensor(ref.acts.get('h2') as Float32Array);
    const sat = tf.mean(tf.cast(tf.greater(tf.abs(h2), 0.97), 'float32')).dataSync()[0];
    expect(sat).toBeGreaterThan(0);
    close(tagOf(run, 'act_saturated_frac/h2').points[0].value, sat);
    expect(run?.tags.some((t) => t.tag === 'act_saturated_frac/h1')).toBe(false);
    expect(tagOf(run, 'act_zero_frac/h1').points[0].value).toBeGreaterThan(0);
  });

  it('the input batch: histogram and statistics', () => {
    const x = xs.dataSync();
    const h = tagOf(run, 'input/values').points[0];
    expect(h.num).toBe(x.length);
    expect(h.min).toBe(tf.min(xs).dataSync()[0]);
    close(tagOf(run, 'input/mean').points[0].value, tf.mean(xs).dataSync()[0]);
    close(tagOf(run, 'input/max').points[0].value, tf.max(xs).dataSync()[0]);
    expect(tagOf(run, 'input/nan_count').points[0].value).toBe(0);
  });

  it('the model graph', () => {
    expect(run?.tags.some((t) => t.kind === 'graph')).toBe(true);
  });
});

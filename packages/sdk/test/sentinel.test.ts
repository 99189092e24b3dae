import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { watch } from '../tfjs/watch';
import { exportLogdir, tagOf, tempDir } from './helpers';

/** log(x - 1): NaN wherever x < 1, e.g. at every dead ReLU unit feeding it. */
class ShiftedLog extends tf.layers.Layer {
  static className = 'ShiftedLog';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.log(tf.sub(Array.isArray(inputs) ? inputs[0] : inputs, 1)));
  }
}
tf.serialization.registerClass(ShiftedLog);

function model(withNaNLayer: boolean): tf.Sequential {
  const m = tf.sequential();
  m.add(
    tf.layers.dense({
      inputShape: [3],
      units: 4,
      activation: 'relu',
      name: withNaNLayer ? 'first' : 'ok_first',
    }),
  );
  if (withNaNLayer) m.add(new ShiftedLog({ name: 'bad_log' }));
  m.add(tf.layers.dense({ units: 2, activation: 'softmax', name: withNaNLayer ? 'last' : 'ok_last' }));
  m.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
  return m;
}

const x = tf.tensor2d([
  [1, -2, 0.5],
  [-1, 3, 2],
  [0.2, 0.1, -0.3],
  [2, 2, 2],
]);
const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2);

describe('NaN sentinel', () => {
  it('names the layer that produced NaN from finite inputs, and stops fit', async () => {
    const logdir = tempDir('sdk-sentinel');
    const m = model(true);
    const w = watch(m, { every: 10, logdir: join(logdir, 'nan'), stopOnNaN: true });
    await m.fit(x, y, { batchSize: 4, epochs: 5, callbacks: [w.callback], verbose: 0 });
    await w.close();
    expect(w.found?.layer).toBe('bad_log');
    expect(w.found?.step).toBe(0);
    expect(w.found?.phase).toBe('forward');
    expect(w.found?.message).toBe('bad_log produced NaN/Inf from finite inputs');
    const run = exportLogdir(logdir).find((r) => r.name === 'nan');
    const text = tagOf(run, 'nan_sentinel').points[0];
    expect(text.strings).toEqual([
      '**bad_log**: step 0, forward: bad_log produced NaN/Inf from finite inputs',
    ]);
    // stopTraining ended fit after the first step
    expect(tagOf(run, 'loss').points.map((p) => [p.step, p.value])).toEqual([[0, 'NaN']]);
  });

  it('in a custom loop, names the input when the batch itself holds NaN, at the right step', () => {
    const m = model(false);
    const opt = tf.train.sgd(0.05);
    const found: string[] = [];
    const w = watch(m, {
      every: 100,
      logdir: tempDir('sdk-sentinel-loop'),
      optimizer: opt,
      onNaN: (r) => found.push(`${r.layer}@${r.step}:${r.phase}`),
    });
    for (let step = 0; step < 6; step++) {
      const xb = step === 3 ? tf.tensor2d([[Number.NaN, 0, 0]]).concat(x.slice(1, 2)) : x.slice(0, 3);
      w.batch(xb);
      opt.minimize(
        () =>
          tf.mean(tf.metrics.categoricalCrossentropy(y.slice(0, 3), m.apply(xb) as tf.Tensor)) as tf.Scalar,
      );
    }
    expect(w.step).toBe(5);
    expect(found).toEqual(['ok_first_input@3:input']);
    void w.close();
  });

  it('stays silent on healthy training', async () => {
    const m = model(false);
    const w = watch(m, { every: 2, logdir: tempDir('sdk-sentinel-ok') });
    await m.fit(x, y, { batchSize: 2, epochs: 2, callbacks: [w.callback], verbose: 0 });
    await w.close();
    expect(w.step).toBe(3);
    expect(w.found).toBeUndefined();
  });
});

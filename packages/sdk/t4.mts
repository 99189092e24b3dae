import * as tf from '@tensorflow/tfjs';
import { useFastConvBackprop } from './tfjs/fast-conv';

useFastConvBackprop();
const m = tf.sequential({
  layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 64, activation: 'relu' }),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ],
});
const x = tf.randomNormal([32, 28, 28, 1]);
const y = tf.oneHot(tf.randomUniform([32], 0, 10, 'int32'), 10);
for (let i = 0; i < 8; i++) {
  const t0 = performance.now();
  (m.predict(x) as tf.Tensor).dataSync();
  const t1 = performance.now();
  const prof = await tf.profile(() => {
    const g = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    );
  });
  if (i === 7)
    console.log(
      prof.kernels
        .sort((a, b) => (b.kernelTimeMs as number) - (a.kernelTimeMs as number))
        .slice(0, 8)
        .map((k) => [k.name, k.kernelTimeMs]),
    );
  console.log('fwd', (t1 - t0).toFixed(0), 'fwd+bwd', (performance.now() - t1).toFixed(0));
}

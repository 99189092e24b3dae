/**
 * Every layer's output on one batch, from an auxiliary model that shares the watched model's layers
 * (built once, run only on logged steps and when the NaN sentinel looks for the culprit). It runs
 * in inference mode: dropout is off, batch normalization uses its moving statistics.
 */
import * as tf from '@tensorflow/tfjs';
import type { Saturation } from './stats';

export interface LayerProbe {
  name: string;
  saturation?: Saturation;
  /** a softmax output: probabilities, not activations to diagnose (near one-hot is what training wants) */
  probabilities: boolean;
  /** names of the layers feeding this one (input layers included) */
  inbound: string[];
  /** the layer's weights, by variable name */
  weights: string[];
}

export class Probe {
  readonly layers: LayerProbe[] = [];
  readonly inputNames: string[];
  private readonly aux: tf.LayersModel | undefined;

  constructor(model: tf.LayersModel) {
    this.inputNames = model.inputLayers.map((l) => l.name);
    const outputs: tf.SymbolicTensor[] = [];
    for (const layer of model.layers) {
      // input layers and pure reshapes hold no values of their own
      if (['InputLayer', 'Flatten', 'Reshape', 'Permute'].includes(layer.getClassName())) continue;
      let out: tf.SymbolicTensor | tf.SymbolicTensor[];
      try {
        out = layer.output;
      } catch {
        continue; // a layer called several times has no single output to probe
      }
      if (Array.isArray(out)) continue;
      const act = (layer.getConfig() as { activation?: unknown }).activation;
      this.layers.push({
        name: layer.name,
        saturation: act === 'tanh' || act === 'sigmoid' ? act : undefined,
        probabilities: act === 'softmax' || layer.getClassName() === 'Softmax',
        inbound: layer.inboundNodes.flatMap((n) => n.inboundLayers.map((l) => l.name)),
        weights: layer.weights.map((w) => w.name),
      });
      outputs.push(out);
    }
    this.aux = outputs.length ? tf.model({ inputs: model.inputs, outputs }) : undefined;
  }

  /** Each probed layer's output values, in layer order. */
  run(inputs: tf.Tensor[]): Float32Array[] {
    const aux = this.aux;
    if (!aux) return [];
    return tf.tidy(() => {
      const out = aux.predict(inputs.length === 1 ? inputs[0] : inputs);
      return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
    });
  }
}

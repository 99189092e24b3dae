/**
 * The NaN sentinel's search, run once, when the loss of a step first comes out NaN/Inf: the weights
 * are still those the step started from (the optimizer has not applied its gradients yet), so the
 * batch is run again through every layer and the first layer whose output is non-finite while its
 * inputs are finite is named; its weights are checked to say whether they were already broken.
 * When every layer's output is finite the loss function itself produced the NaN (e.g. log(0)).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Probe } from './probe';
import { allFinite } from './stats';

export interface NanReport {
  /** the layer (or `loss`, or the input layer) where NaN/Inf first appeared */
  layer: string;
  step: number;
  phase: 'input' | 'forward' | 'loss' | 'backward';
  message: string;
}

export interface SentinelContext {
  step: number;
  loss: number;
  probe: Probe;
  /** the step's batch inputs, when known */
  inputs?: tf.Tensor[];
  weights(name: string): ArrayLike<number> | undefined;
}

function brokenWeights(names: string[], ctx: SentinelContext): string[] {
  return names.filter((n) => {
    const v = ctx.weights(n);
    return v !== undefined && !allFinite(v);
  });
}

export function locateNonFinite(ctx: SentinelContext): NanReport {
  const { step, probe, inputs } = ctx;
  if (!inputs) {
    const l = probe.layers.find((layer) => brokenWeights(layer.weights, ctx).length);
    if (l) return { layer: l.name, step, phase: 'forward', message: `the weights of ${l.name} are NaN/Inf` };
    return {
      layer: 'unknown',
      step,
      phase: 'forward',
      message: `the loss is ${ctx.loss}; pass each batch to watcher.batch(x) to have the layer named`,
    };
  }
  const finite = new Map<string, boolean>();
  for (let i = 0; i < inputs.length; i++) {
    const name = probe.inputNames[i] ?? `input_${i}`;
    if (!allFinite(inputs[i].dataSync())) {
      return { layer: name, step, phase: 'input', message: "the model's input already contains NaN/Inf" };
    }
    finite.set(name, true);
  }
  const outs = probe.run(inputs);
  for (let i = 0; i < probe.layers.length; i++) {
    const l = probe.layers[i];
    const ok = allFinite(outs[i]);
    finite.set(l.name, ok);
    if (ok || !l.inbound.every((n) => finite.get(n) !== false)) continue;
    const broken = brokenWeights(l.weights, ctx);
    const message = broken.length
      ? `the weights ${broken.map((n) => n.replace(/_\d+$/, '')).join(', ')} of ${l.name} are already NaN/Inf`
      : `${l.name} produced NaN/Inf from finite inputs`;
    return { layer: l.name, step, phase: 'forward', message };
  }
  return {
    layer: 'loss',
    step,
    phase: 'loss',
    message: `the loss is ${ctx.loss} although every layer's output is finite (the loss function overflowed, e.g. log(0))`,
  };
}

/**
 * Finding the signals in a run under the names people already use (DESIGN.md's conventions): loss,
 * accuracy and learning-rate scalars under any common spelling, parameter / gradient / activation
 * histograms, the SDKs' per-layer scalars, input statistics.
 */
import type { HistPoint, RunSignals, Series } from './types';

export interface Named<T> {
  tag: string;
  data: T;
}

export interface Layer {
  /** parameter name with the gradient/weight decoration removed, e.g. `fc1.weight` */
  name: string;
  weight?: Named<HistPoint[]>;
  grad?: Named<HistPoint[]>;
  gradNorm?: Named<Series>;
  updateRatio?: Named<Series>;
}

export interface Activation {
  name: string;
  hist?: Named<HistPoint[]>;
  zeroFrac?: Named<Series>;
  mean?: Named<Series>;
  std?: Named<Series>;
  /** the Python SDK's fraction of sigmoid/tanh outputs within 3% of the bounds */
  saturatedFrac?: Named<Series>;
}

export interface InputStats {
  hist?: Named<HistPoint[]>;
  mean?: Named<Series>;
  std?: Named<Series>;
  min?: Named<Series>;
  max?: Named<Series>;
  /** counts of NaN/Inf values in the input batch (the Python SDK's input/nan_count, input/inf_count) */
  nonFinite: Named<Series>[];
}

export interface Roles {
  trainLoss?: Named<Series>;
  valLoss?: Named<Series>;
  trainAcc?: Named<Series>;
  valAcc?: Named<Series>;
  lr?: Named<Series>;
  /** every loss-like scalar (all are checked for NaN) */
  losses: Named<Series>[];
  /** parameters in the order the run first logged them (for PyTorch: input to output) */
  layers: Layer[];
  activations: Activation[];
  input: InputStats;
}

/** Lower-case words of a tag: `Loss/train` -> [loss, train]; `epoch_val_loss` -> [epoch, val, loss]. */
export function words(tag: string): string[] {
  return tag
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const VAL = new Set(['val', 'valid', 'validation', 'eval', 'evaluation', 'test', 'dev', 'holdout', 'vl']);
const LOSS = new Set(['loss', 'losses', 'cost', 'nll', 'xent', 'crossentropy', 'objective', 'mse']);
const NOT_A_LOSS = new Set(['scale', 'scaler', 'weight', 'weights', 'coef', 'coeff', 'lambda', 'std', 'var']);
const ACC = new Set(['acc', 'accuracy', 'top1', 'top1acc', 'categorical', 'sparse']);
const GRAD_PREFIX = /^(grads?|gradients?)[/._-]/i;
const GRAD_SUFFIX = /[/._-](grads?|gradients?)$/i;
const ACT_PREFIX = /^(activations?|acts?|outputs?)\//i;
const INPUT = /^(inputs?|batch[/_]inputs?|data[/_]inputs?|x)([/._-]|$)/i;
/** `input_proj.weight` is a parameter, not input data */
const PARAM_SUFFIX = /[/._](weight|bias|kernel|gamma|beta)(_\d+)?$/i;

function isLossWords(w: string[]): boolean {
  return w.some((x) => LOSS.has(x)) && !w.some((x) => NOT_A_LOSS.has(x));
}

/** The parameter a gradient tag belongs to, or undefined if the tag is not a gradient. */
export function gradParam(tag: string): string | undefined {
  if (GRAD_PREFIX.test(tag)) return tag.replace(GRAD_PREFIX, '');
  if (GRAD_SUFFIX.test(tag)) return tag.replace(GRAD_SUFFIX, '');
  if (/^grad_norm\//i.test(tag)) return tag.slice('grad_norm/'.length);
  return undefined;
}

/** A parameter whose scale carries no initialization meaning (biases, normalization affine terms). */
export function isBiasLike(param: string): boolean {
  const w = words(param);
  return w.some((x) =>
    ['bias', 'beta', 'gamma', 'bn', 'norm', 'ln', 'layernorm', 'batchnorm', 'b'].includes(x),
  );
}

function scoreLoss(w: string[]): number {
  // prefer the total loss: fewest extra words; `loss` beats `loss/kl`
  return w.length - (w.includes('train') || w.includes('training') ? 1 : 0);
}

export function assignRoles(s: RunSignals): Roles {
  const roles: Roles = { losses: [], layers: [], activations: [], input: { nonFinite: [] } };
  const layers = new Map<string, Layer>();
  const acts = new Map<string, Activation>();
  const layer = (name: string): Layer => {
    let l = layers.get(name);
    if (!l) layers.set(name, (l = { name }));
    return l;
  };
  const act = (name: string): Activation => {
    let a = acts.get(name);
    if (!a) acts.set(name, (a = { name }));
    return a;
  };
  let trainLossScore = Number.POSITIVE_INFINITY;
  let valLossScore = Number.POSITIVE_INFINITY;
  for (const [tag, data] of s.scalars) {
    const w = words(tag);
    const named = { tag, data };
    const perLayer =
      /^(grad_norm|update_ratio|act_zero_frac|act_saturated_frac|act_mean|act_std)\/(.+)$/i.exec(tag);
    if (perLayer) {
      const [, kind, name] = perLayer;
      const k = kind.toLowerCase();
      if (k === 'grad_norm') layer(name).gradNorm = named;
      else if (k === 'update_ratio') layer(name).updateRatio = named;
      else if (k === 'act_zero_frac') act(name).zeroFrac = named;
      else if (k === 'act_saturated_frac') act(name).saturatedFrac = named;
      else if (k === 'act_mean') act(name).mean = named;
      else act(name).std = named;
      continue;
    }
    if (INPUT.test(tag)) {
      const stat = w[w.length - 1];
      if (stat === 'mean' || stat === 'std' || stat === 'min' || stat === 'max') roles.input[stat] = named;
      else if (stat === 'count' && (w.includes('nan') || w.includes('inf')))
        roles.input.nonFinite.push(named);
      continue;
    }
    const isVal = w.some((x) => VAL.has(x));
    if (isLossWords(w)) {
      roles.losses.push(named);
      const score = scoreLoss(w);
      if (isVal && score < valLossScore) {
        roles.valLoss = named;
        valLossScore = score;
      } else if (!isVal && score < trainLossScore) {
        roles.trainLoss = named;
        trainLossScore = score;
      }
    } else if (w.some((x) => ACC.has(x))) {
      if (isVal) roles.valAcc ??= named;
      else roles.trainAcc ??= named;
    } else if (
      !roles.lr &&
      (w.includes('lr') || (w.includes('learning') && w.includes('rate')) || w.includes('learningrate'))
    ) {
      roles.lr = named;
    }
  }
  for (const [tag, data] of s.histograms) {
    const named = { tag, data };
    const param = gradParam(tag);
    if (param !== undefined) layer(param).grad = named;
    else if (ACT_PREFIX.test(tag)) act(tag.replace(ACT_PREFIX, '')).hist = named;
    else if (INPUT.test(tag) && !PARAM_SUFFIX.test(tag)) roles.input.hist ??= named;
    else layer(tag.replace(/^(weights?|params?|parameters?)\//i, '')).weight = named;
  }
  roles.layers = [...layers.values()];
  roles.activations = [...acts.values()];
  return roles;
}

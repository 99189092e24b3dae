/** The concrete fix for each problem, and its default severity. */
import type { Problem, ProblemId, Severity } from './types';

export const SUGGESTION: Record<ProblemId, string> = {
  nan_loss:
    'lower the learning rate or clip gradients (e.g. max norm 1.0), check the batch at that step for NaN/Inf inputs, and guard log/division in the loss with an epsilon',
  divergence:
    'lower the learning rate (or fix the schedule that raised it), clip gradients, and resume from the last checkpoint before the rise',
  exploding_gradients: 'clip gradients (e.g. max norm 1.0), lower the learning rate, or add normalization',
  vanishing_gradients:
    'use ReLU-family activations instead of sigmoid/tanh in deep stacks, add residual connections or normalization, and use He/Xavier initialization',
  dead_relu:
    'lower the learning rate, use LeakyReLU/GELU, initialize biases at a small positive value, or add normalization before the ReLU',
  saturation:
    'scale the pre-activations down: normalize the input, use Xavier initialization or a smaller weight scale, add normalization before the activation',
  overfitting:
    'stop at the step with the best validation loss (early stopping), add regularization (weight decay, dropout, augmentation) or more data',
  underfitting:
    'increase model capacity (wider/deeper), reduce regularization (weight decay, dropout), or train longer with a higher learning rate',
  lr_too_low: 'raise the learning rate by 3-10x (a learning-rate range test finds the largest stable value)',
  oscillation:
    'lower the learning rate (or its schedule peak) by 3-10x, increase the batch size, or lower momentum',
  unnormalized_input:
    'standardize the input: subtract the per-feature mean and divide by the standard deviation of the training set (images: scale to [0, 1] and normalize per channel)',
  bad_init:
    'use the framework default or He (ReLU) / Xavier (tanh, sigmoid) initialization; never initialize weights to a constant',
  broken_weights:
    'restore the weights from a good checkpoint, find the step or code that wrote them (masking, in-place ops, mixed precision overflow) and add a finite-weights check',
};

export const SEVERITY: Record<ProblemId, Severity> = {
  nan_loss: 'error',
  divergence: 'error',
  exploding_gradients: 'error',
  vanishing_gradients: 'warning',
  dead_relu: 'warning',
  saturation: 'warning',
  overfitting: 'warning',
  underfitting: 'warning',
  lr_too_low: 'warning',
  oscillation: 'warning',
  unnormalized_input: 'warning',
  bad_init: 'warning',
  broken_weights: 'error',
};

/** A finding with the problem's default severity and suggestion. */
export function problem(id: ProblemId, step: number, evidence: string, tags: string[]): Problem {
  return { id, severity: SEVERITY[id], step, evidence, suggestion: SUGGESTION[id], tags };
}

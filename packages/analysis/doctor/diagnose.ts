/**
 * diagnoseRun: every rule over one run's signals, then root causes kept and their symptoms folded in
 * (a plateau explained by vanishing gradients is reported as vanishing gradients, not also as
 * underfitting). Pure and synchronous: the CLI, the server and the browser call the same function.
 */
import { type Context, makeContext } from './context';
import { deadRelu, saturation } from './rules/activations';
import { explodingGradients, gradSeries, vanishingGradients } from './rules/gradients';
import { divergence, lrTooLowCurve, nanLoss, oscillation, overfitting, underfitting } from './rules/loss';
import { badInit, brokenWeights, unnormalizedInput, weightMovement } from './rules/weights';
import { clean, fmt, median } from './series';
import { problem } from './suggestions';
import type { Diagnosis, MissingSignal, Problem, ProblemId, RunSignals } from './types';

/** Underfitting and a slow loss are symptoms; these are causes that explain them. */
const EXPLAINS: Partial<Record<ProblemId, ProblemId[]>> = {
  underfitting: [
    'vanishing_gradients',
    'dead_relu',
    'saturation',
    'bad_init',
    'lr_too_low',
    'broken_weights',
    'unnormalized_input',
    'divergence',
  ],
  lr_too_low: ['vanishing_gradients', 'dead_relu', 'saturation', 'bad_init', 'broken_weights'],
  // dead units pass no gradient: the ReLUs are the cause to fix
  vanishing_gradients: ['dead_relu'],
};

/**
 * Too-small steps: the loss curve says learning is slow, and the update evidence (when logged) agrees:
 * update ratios under 1e-4 (healthy training sits near 1e-3) or weights that moved under 1% in the run.
 */
function lrTooLow(ctx: Context): Problem | undefined {
  const curve = lrTooLowCurve(ctx);
  if (!curve) return undefined;
  const ratios = ctx.roles.layers.flatMap((l) => (l.updateRatio ? [l.updateRatio] : []));
  let support = '';
  if (ratios.length) {
    const med = median(Float64Array.from(ratios, (r) => median(clean(r.data).values)));
    if (!(med < 1e-4)) return undefined;
    support = `; median update ratio ${fmt(med)} (healthy training is near 1e-3)`;
  } else {
    const m = weightMovement(ctx);
    if (m) {
      if (m.moved >= 0.01) return undefined;
      support = `; the weights barely moved (${m.tag} changed ${fmt(m.moved * 100)}% in scale)`;
    }
  }
  const tags = [ctx.loss!.tag, ...ratios.slice(0, 1).map((r) => r.tag)];
  return problem('lr_too_low', curve.step, curve.evidence + support, tags);
}

const NEEDS: { signal: string; has: (ctx: Context) => boolean; enables: ProblemId[] }[] = [
  {
    signal: 'a training loss scalar (loss, train/loss, loss/train, ...)',
    has: (c) => !!c.roles.trainLoss,
    enables: ['nan_loss', 'divergence', 'oscillation', 'underfitting', 'lr_too_low'],
  },
  {
    signal: 'a validation loss or accuracy scalar (val_loss, loss/val, validation/loss, val_acc, ...)',
    has: (c) => !!(c.roles.valLoss || c.roles.valAcc),
    enables: ['overfitting'],
  },
  {
    signal: 'gradient histograms (<param>.grad, grads/<param>) or grad_norm/<param> scalars',
    has: (c) => c.roles.layers.some((l) => l.grad || l.gradNorm),
    enables: ['exploding_gradients', 'vanishing_gradients'],
  },
  {
    signal: 'activation histograms (activations/<module>) or act_zero_frac/act_mean/act_std scalars',
    has: (c) => c.roles.activations.length > 0,
    enables: ['dead_relu', 'saturation'],
  },
  {
    signal: 'an input histogram (input/<name>) or input/mean and input/std scalars',
    has: (c) => !!(c.roles.input.hist || c.roles.input.mean || c.roles.input.min),
    enables: ['unnormalized_input'],
  },
  {
    signal: 'parameter histograms named after the parameters (fc1.weight, fc1.bias)',
    has: (c) => c.roles.layers.some((l) => l.weight),
    enables: ['bad_init', 'broken_weights'],
  },
];

export function diagnoseRun(signals: RunSignals): Diagnosis {
  const ctx = makeContext(signals);
  const grads = gradSeries(ctx);
  const found: (Problem | undefined)[] = [
    nanLoss(ctx),
    divergence(ctx),
    explodingGradients(ctx, grads),
    vanishingGradients(ctx, grads),
    deadRelu(ctx),
    saturation(ctx),
    overfitting(ctx),
    underfitting(ctx),
    lrTooLow(ctx),
    oscillation(ctx),
    unnormalizedInput(ctx),
    badInit(ctx),
    brokenWeights(ctx),
  ];
  const all = found.filter((p): p is Problem => !!p);
  const ids = new Set(all.map((p) => p.id));
  const problems = all
    .filter((p) => !(EXPLAINS[p.id] ?? []).some((cause) => ids.has(cause)))
    .sort((a, b) => a.step - b.step || rank(b) - rank(a));
  const missing: MissingSignal[] = NEEDS.filter((n) => !n.has(ctx)).map((n) => ({
    signal: n.signal,
    enables: n.enables,
  }));
  const unchecked = new Set(missing.flatMap((m) => m.enables));
  const checked = [...new Set(NEEDS.flatMap((n) => n.enables))].filter((id) => !unchecked.has(id));
  return { problems, checked, missing };
}

function rank(p: Problem): number {
  return p.severity === 'error' ? 2 : p.severity === 'warning' ? 1 : 0;
}

/**
 * Findings of a re-diagnosis (a live run that grew) that were not there before: one per problem id and
 * first tag, so a finding whose onset or numbers were refined is not announced again.
 */
export function newFindings(previous: Problem[], current: Problem[]): Problem[] {
  const key = (p: Problem) => `${p.id}\u0000${p.tags[0] ?? ''}`;
  const seen = new Set(previous.map(key));
  return current.filter((p) => !seen.has(key(p)));
}

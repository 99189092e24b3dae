/**
 * Rules on gradients: exploding (growth against the run's own early gradients) and vanishing (input-side
 * layers receiving orders of magnitude less relative gradient than output-side layers, or every
 * gradient collapsing while the loss is still high). All comparisons are ratios, in decades.
 */
import type { Context } from '../context';
import { isFiniteHist, norm, rms } from '../hist';
import { isBiasLike, type Layer } from '../names';
import { clean, fmt, median, sustainedFrom } from '../series';
import { problem } from '../suggestions';
import type { HistPoint } from '../types';

interface GradSeries {
  layer: Layer;
  tag: string;
  steps: Float64Array;
  /** gradient norm per point (finite prefix) */
  norms: Float64Array;
  /** per-element scale: rms from histograms, the norm itself from grad_norm scalars */
  scale: Float64Array;
  nonFiniteStep?: number;
}

function fromHist(layer: Layer, tag: string, pts: HistPoint[]): GradSeries {
  let end = pts.findIndex((h) => !isFiniteHist(h));
  const nonFiniteStep = end >= 0 ? pts[end].step : undefined;
  if (end < 0) end = pts.length;
  const p = pts.slice(0, end);
  return {
    layer,
    tag,
    steps: Float64Array.from(p, (h) => h.step),
    norms: Float64Array.from(p, norm),
    scale: Float64Array.from(p, rms),
    nonFiniteStep,
  };
}

export function gradSeries(ctx: Context): GradSeries[] {
  const out: GradSeries[] = [];
  for (const l of ctx.roles.layers) {
    if (l.grad) out.push(fromHist(l, l.grad.tag, l.grad.data));
    else if (l.gradNorm) {
      const c = clean(l.gradNorm.data);
      out.push({
        layer: l,
        tag: l.gradNorm.tag,
        steps: c.steps,
        norms: c.values,
        scale: c.values,
        nonFiniteStep: c.nonFiniteStep,
      });
    }
  }
  return out;
}

/** Start of the first run of at least `len` consecutive points where test holds (one spike is not enough). */
function firstStretch(n: number, test: (i: number) => boolean, len: number): number {
  let run = 0;
  for (let i = 0; i < n; i++) {
    run = test(i) ? run + 1 : 0;
    if (run >= len) return i - len + 1;
  }
  return -1;
}

/** Gradient norm 100x or more over its own early level for several logged points in a row (or non-finite first). */
export function explodingGradients(
  ctx: Context,
  grads: GradSeries[],
): ReturnType<typeof problem> | undefined {
  let best: { step: number; tag: string; factor: number; ref: number; at: number } | undefined;
  const lossNaN = ctx.loss?.nonFiniteStep;
  for (const g of grads) {
    const n = g.norms.length;
    if (n >= 3) {
      const ref = median(g.norms, 0, Math.max(2, Math.round(0.15 * n)));
      if (ref > 0) {
        const i = firstStretch(n, (j) => g.norms[j] >= 100 * ref, Math.max(2, Math.round(0.05 * n)));
        if (i >= 0 && (!best || g.steps[i] < best.step)) {
          const peak = Math.max(...g.norms.subarray(i));
          best = {
            step: g.steps[i],
            tag: g.tag,
            factor: peak / ref,
            ref,
            at: g.steps[Math.max(0, Math.round(0.15 * n) - 1)],
          };
        }
      }
    }
    // non-finite gradients while the loss is still finite: the overflow starts in the backward pass
    if (g.nonFiniteStep !== undefined && (lossNaN === undefined || g.nonFiniteStep < lossNaN)) {
      if (!best || g.nonFiniteStep < best.step)
        best = { step: g.nonFiniteStep, tag: g.tag, factor: Number.POSITIVE_INFINITY, ref: 0, at: 0 };
    }
  }
  if (!best) return undefined;
  const evidence = Number.isFinite(best.factor)
    ? `gradient norm of ${best.tag} grew ${fmt(best.factor)}x over its early level ${fmt(best.ref)} (steps up to ${best.at}), from step ${best.step}`
    : `gradients of ${best.tag} became non-finite at step ${best.step} while the loss was still finite`;
  return problem('exploding_gradients', best.step, evidence, [best.tag]);
}

/**
 * Relative gradient (gradient scale over weight scale when the weights are logged) of the first
 * weight layer at most 1/100 of the last one's for most of the run; or every layer's gradient down
 * 1000x from its early level while the loss has not halved.
 */
export function vanishingGradients(
  ctx: Context,
  grads: GradSeries[],
): ReturnType<typeof problem> | undefined {
  const weights = grads.filter((g) => !isBiasLike(g.layer.name) && g.norms.length >= 2);
  if (weights.length >= 3) {
    const first = weights[0];
    const last = weights[weights.length - 1];
    const rel = (g: GradSeries, i: number): number => {
      const w = g.layer.weight?.data;
      const ws = w && w.length === g.steps.length ? rms(w[i]) : 1;
      return g.scale[i] / (ws || 1);
    };
    const n = Math.min(first.norms.length, last.norms.length);
    const ratio = (i: number) => rel(first, i) / rel(last, i);
    const i0 = sustainedFrom(n, (i) => ratio(i) <= 1e-2, 0.2, Math.max(2, Math.round(0.5 * n)));
    if (i0 >= 0) {
      const r = median(Float64Array.from({ length: n - i0 }, (_, k) => ratio(i0 + k)));
      return problem(
        'vanishing_gradients',
        first.steps[i0],
        `${first.tag} receives ${fmt(r)}x the relative gradient of ${last.tag} (median from step ${first.steps[i0]} on, ${weights.length} weight layers): the input-side layers barely learn`,
        [first.tag, last.tag],
      );
    }
  }
  const loss = ctx.loss;
  if (!loss?.isLog || !weights.length) return undefined;
  // collapse in time: all layers' gradients 1000x below their early level, loss still high
  let step = Number.NEGATIVE_INFINITY;
  let layers = 0;
  for (const g of weights) {
    const n = g.norms.length;
    const ref = median(g.norms, 0, Math.max(2, Math.round(0.15 * n)));
    if (!(ref > 0)) continue; // never had a gradient: nothing vanished (constant init is bad_init's case)
    const i = sustainedFrom(n, (j) => g.norms[j] <= 1e-3 * ref, 0.2, 2);
    if (i < 0) return undefined;
    step = Math.max(step, g.steps[i]);
    layers++;
  }
  if (!layers) return undefined;
  const start = loss.sm[0];
  const end = median(loss.sm, Math.floor(loss.sm.length * 0.9));
  if (start - end > Math.LN2) return undefined;
  return problem(
    'vanishing_gradients',
    step,
    `every layer's gradient fell 1000x or more below its early level by step ${step} while ${loss.tag} stayed at ${fmt(Math.exp(end))}`,
    [weights[0].tag],
  );
}

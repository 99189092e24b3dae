/**
 * Rules on the loss curves: nan_loss, divergence, oscillation, lr_too_low, underfitting, overfitting.
 * Loss values are compared in log space (a ratio is the same on any loss scale), against the run's own
 * start and its own noise; see docs/doctor.md for the reasoning behind each threshold.
 */
import { type Context, type Curve, levelAt } from '../context';
import { clean, fmt, median, quantile, runningMedian, slope, sustainedFrom, windowFor } from '../series';
import { problem } from '../suggestions';
import type { Problem } from '../types';

const LN2 = Math.LN2;

/** Any loss-like scalar (train or validation) that became NaN or infinite. */
export function nanLoss(ctx: Context): Problem | undefined {
  let first: { tag: string; step: number; value: number; last?: number; lastStep?: number } | undefined;
  for (const l of ctx.roles.losses) {
    const c = clean(l.data);
    if (c.nonFiniteStep === undefined) continue;
    if (!first || c.nonFiniteStep < first.step) {
      const n = c.values.length;
      first = {
        tag: l.tag,
        step: c.nonFiniteStep,
        value: c.nonFiniteValue ?? Number.NaN,
        last: n ? c.values[n - 1] : undefined,
        lastStep: n ? c.steps[n - 1] : undefined,
      };
    }
  }
  if (!first) return undefined;
  const before =
    first.last !== undefined ? ` (last finite value ${fmt(first.last)} at step ${first.lastStep})` : '';
  // the input batch itself carried NaN/Inf at (or just before) that step: the cause is the data
  const tags = [first.tag];
  let cause = '';
  for (const c of ctx.roles.input.nonFinite) {
    const { steps, values } = c.data;
    for (let i = 0; i < values.length && steps[i] <= first.step; i++) {
      if (values[i] > 0 && steps[i] >= first.step - 1) {
        cause = `; the input batch at step ${steps[i]} held ${values[i]} ${c.tag.includes('inf') ? 'Inf' : 'NaN'} values`;
        tags.push(c.tag);
        break;
      }
    }
    if (cause) break;
  }
  return problem(
    'nan_loss',
    first.step,
    `${first.tag} became ${first.value} at step ${first.step}${before}${cause}`,
    tags,
  );
}

/** Progress in nats of log-loss between the start (after warmup) and the point of interest. */
function startLevel(c: Curve, from: number): number {
  const n = c.sm.length;
  return median(c.sm, from, Math.min(n, from + Math.max(2, Math.round(0.03 * n))));
}

/**
 * The loss rose well above its best and stayed there to the end: at least 2x, and at least half of the
 * progress the run had made (so a 2x wobble at 1e-4 after a 1000x descent is not called divergence).
 */
export function divergence(ctx: Context): Problem | undefined {
  const c = ctx.loss;
  if (!c?.isLog) return undefined;
  const n = c.sm.length;
  const runMin = new Float64Array(n);
  const argMin = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const prev = i ? runMin[i - 1] : Number.POSITIVE_INFINITY;
    runMin[i] = Math.min(prev, c.sm[i]);
    argMin[i] = c.sm[i] <= prev ? i : argMin[i - 1];
  }
  const s0 = startLevel(c, 0);
  const threshold = (i: number) => Math.max(LN2, 0.5 * (s0 - runMin[i]), 3 * c.noise);
  const from = sustainedFrom(
    n,
    (i) => c.sm[i] - runMin[i] >= threshold(i),
    0.1,
    Math.max(3, Math.round(0.05 * n)),
  );
  if (from < 0) return undefined;
  const best = argMin[from];
  const end = median(c.raw, Math.max(0, n - Math.max(3, Math.round(0.05 * n))), n);
  const ratio = end / c.raw[best];
  return problem(
    'divergence',
    c.steps[best],
    `${c.tag} rose from its best ${fmt(Math.exp(runMin[from]))} at step ${c.steps[best]} to ${fmt(end)} at the end (${fmt(ratio)}x) and did not come back`,
    [c.tag],
  );
}

/**
 * Swings of the loss around its trend that grew well beyond the run's own earlier noise, with no
 * progress while they last. Measured in linear space on windows: a falling loss only shrinks them.
 */
export function oscillation(ctx: Context): Problem | undefined {
  const c = ctx.loss;
  if (!c || c.raw.length < 40) return undefined;
  const n = c.raw.length;
  const trend = runningMedian(c.raw, windowFor(n, 0.15));
  // overlapping windows of a tenth of the run: long enough for a stable spread, short enough for onset
  const w = Math.max(10, Math.round(n / 10));
  const hop = Math.max(1, Math.round(w / 4));
  const starts: number[] = [];
  for (let s = 0; s + w <= n; s += hop) starts.push(s);
  const r = new Float64Array(w);
  const rough = starts.map((s) => {
    for (let i = 0; i < w; i++) r[i] = c.raw[s + i] - trend[s + i];
    return quantile(r, 0.75) - quantile(r, 0.25);
  });
  const level = starts.map((s) => median(trend, s, s + w));
  const k = starts.length;
  const skip = Math.max(1, Math.round(k * 0.05));
  const refEnd = Math.max(skip + 1, Math.round(k * 0.35));
  const ref = median(rough, skip, refEnd);
  const refLevel = median(level, skip, refEnd);
  const swing = (j: number) => rough[j] >= 2 * ref && rough[j] >= 0.15 * Math.abs(level[j]) && rough[j] > 0;
  const k0 = sustainedFrom(k, swing, 0.3, 3);
  if (k0 < refEnd) return undefined;
  // no progress while swinging: the trend did not fall by more than the swings themselves
  const a = starts[k0];
  const progress = median(trend, a, a + w) - median(trend, n - w, n);
  const amp = median(rough, k0, k);
  if (progress > amp) return undefined;
  // and not a healthy descent getting noisier: the level while swinging is not below the level before
  const before = median(trend, Math.max(0, a - w), a + 1);
  if (median(level, k0, k) < 0.9 * before) return undefined;
  // the window first catches the swings near its end: report where they begin inside it
  const onset = Math.min(n - 1, a + w - hop);
  return problem(
    'oscillation',
    c.steps[onset],
    `from step ${c.steps[onset]} ${c.tag} swings by ${fmt(amp)} (interquartile range around its trend at level ${fmt(median(level, k0, k))}), ${fmt(amp / ref)}x its earlier noise, without improving (level before: ${fmt(refLevel)})`,
    [c.tag],
  );
}

/** Log-loss drop between the start (after any warmup) and the end, and between the two halves. */
export interface Progress {
  total: number;
  firstHalf: number;
  secondHalf: number;
  start: number;
}

export function progress(c: Curve, from: number): Progress {
  const n = c.sm.length;
  const f = from / n;
  const start = startLevel(c, from);
  const mid = levelAt(c, f + (1 - f) * 0.45, f + (1 - f) * 0.55);
  const end = levelAt(c, 0.9, 1);
  return { total: start - end, firstHalf: start - mid, secondHalf: mid - end, start };
}

/**
 * Learning barely moves the loss and is not flattening out (a plateau would be underfitting): less than
 * a 2x reduction over the run with the second half still improving at 40% or more of the first half's
 * pace, or almost no movement at all (under 10%).
 */
export function lrTooLowCurve(ctx: Context): { evidence: string; step: number } | undefined {
  const c = ctx.loss;
  if (!c?.isLog || c.sm.length < 20 || c.nonFiniteStep !== undefined) return undefined;
  const p = progress(c, ctx.warmupEnd);
  const still = p.secondHalf >= 0.4 * p.firstHalf;
  const flat = p.total < Math.log(1.1);
  if (!(p.total < LN2 && (still || flat)) || p.total < -LN2) return undefined;
  return {
    step: c.steps[ctx.warmupEnd],
    evidence: `${c.tag} fell only ${fmt((1 - Math.exp(-p.total)) * 100)}% over the run (${fmt(Math.exp(p.start))} to ${fmt(Math.exp(p.start - p.total))})${flat ? '' : ', still falling at the same slow pace'}`,
  };
}

/**
 * The training loss reached a plateau early (90% of its progress in the first 20% of the run) and stays
 * there, with no gap to the validation loss: the model cannot fit the training set. Excluded when the
 * loss fell 10x or more (the model fits).
 */
export function underfitting(ctx: Context): Problem | undefined {
  const c = ctx.loss;
  if (!c?.isLog || c.sm.length < 20 || c.nonFiniteStep !== undefined) return undefined;
  const n = c.sm.length;
  const p = progress(c, ctx.warmupEnd);
  if (p.total < Math.log(1.1) || p.total > Math.log(10)) return undefined;
  // the plateau came early: 90% of the progress was made in the first 20% of the run
  const target = p.start - 0.9 * p.total;
  let t90 = ctx.warmupEnd;
  while (t90 < n && c.sm[t90] > target) t90++;
  if (t90 > ctx.warmupEnd + 0.2 * (n - ctx.warmupEnd)) return undefined;
  // flat second half: the fitted slope over it explains under 5% of the total progress (or it rises)
  const half = Math.floor(n / 2);
  const lateDrop = -slope(c.x, half, n) * (n - half);
  if (lateDrop > 0.05 * p.total) return undefined;
  let gapNote = '';
  if (ctx.val) {
    const v = ctx.val;
    const vEnd = levelAt(v, 0.8, 1);
    const tEnd = levelAt(c, 0.8, 1);
    const gap = v.isLog ? vEnd - tEnd : Math.log(Math.abs(vEnd / tEnd));
    if (gap > Math.log(1.25)) return undefined;
    gapNote = `, validation ${v.tag} at ${fmt(v.isLog ? Math.exp(vEnd) : vEnd)} is no better than training`;
  }
  return problem(
    'underfitting',
    c.steps[ctx.warmupEnd],
    `${c.tag} plateaued at ${fmt(Math.exp(levelAt(c, 0.5, 1)))} after falling only ${fmt(Math.exp(p.total))}x from ${fmt(Math.exp(p.start))}; the second half of the run improved it by ${fmt(Math.max(0, lateDrop) * 100)}% in log terms${gapNote}`,
    [c.tag],
  );
}

/**
 * Validation loss rising from its minimum (10% or more, beyond its noise) while the training loss keeps
 * falling; or a generalization gap of 10x or more with validation no better than the untrained model
 * (memorization); or validation accuracy falling from its best while training accuracy rises.
 */
export function overfitting(ctx: Context): Problem | undefined {
  const v = ctx.val;
  const t = ctx.loss;
  if (v?.isLog && v.sm.length >= 5) {
    const n = v.sm.length;
    const sm = runningMedian(v.x, 3);
    let k = 0;
    for (let i = 1; i < n; i++) if (sm[i] < sm[k]) k = i;
    // the level at the end: the last 15% of the points (at least 3), never reaching back to the minimum
    const after = n - 1 - k;
    const tail = Math.max(1, Math.min(Math.max(3, Math.round(0.15 * n)), after));
    const endLevel = median(v.x, n - tail, n);
    const rise = endLevel - sm[k];
    const trainFell = t ? trainAt(t, v.steps[n - 1]) <= trainAt(t, v.steps[k]) + t.noise : true;
    if (
      after >= Math.min(3, Math.ceil(0.15 * n)) &&
      rise >= Math.max(Math.log(1.1), 3 * v.noise) &&
      trainFell
    ) {
      return problem(
        'overfitting',
        v.steps[k],
        `${v.tag} rose from its minimum ${fmt(Math.exp(sm[k]))} at step ${v.steps[k]} to ${fmt(Math.exp(endLevel))} (+${fmt((Math.exp(rise) - 1) * 100)}%)${t ? ` while ${t.tag} kept falling` : ''}`,
        t ? [v.tag, t.tag] : [v.tag],
      );
    }
    if (t?.isLog) {
      // memorization: 10x below validation, and validation no better than the untrained model's loss
      const untrained = startLevel(t, 0);
      const gap = (i: number) => v.x[i] - trainAt(t, v.steps[i]);
      const g0 = sustainedFrom(n, (i) => gap(i) >= Math.log(10) && v.x[i] >= untrained, 0.2, 2);
      if (g0 >= 0) {
        return problem(
          'overfitting',
          v.steps[g0],
          `from step ${v.steps[g0]} ${v.tag} is ${fmt(Math.exp(gap(n - 1)))}x ${t.tag} at the end (${fmt(v.raw[n - 1])} vs ${fmt(Math.exp(trainAt(t, v.steps[n - 1])))}) and no better than before training (${fmt(Math.exp(untrained))}): the model memorizes the training set`,
          [v.tag, t.tag],
        );
      }
    }
  }
  return overfittingByAccuracy(ctx);
}

/** Smoothed training log-loss at (or just before) a step. */
function trainAt(t: Curve, step: number): number {
  let i = 0;
  while (i + 1 < t.steps.length && t.steps[i + 1] <= step) i++;
  return t.sm[i];
}

function overfittingByAccuracy(ctx: Context): Problem | undefined {
  const va = ctx.roles.valAcc;
  if (!va || ctx.val) return undefined;
  const c = clean(va.data);
  const n = c.values.length;
  if (n < 5) return undefined;
  const sm = runningMedian(c.values, 3);
  let k = 0;
  for (let i = 1; i < n; i++) if (sm[i] > sm[k]) k = i;
  const end = median(c.values, n - Math.max(2, Math.round(0.15 * n)), n);
  const noise = median(
    Float64Array.from({ length: n - 1 }, (_, i) => Math.abs(c.values[i + 1] - c.values[i])),
  );
  const drop = sm[k] - end;
  if (n - 1 - k < 3 || drop < Math.max(0.03, 3 * noise)) return undefined;
  const ta = ctx.roles.trainAcc ? clean(ctx.roles.trainAcc.data) : undefined;
  if (ta && ta.values.length > 4 && median(ta.values, ta.values.length - 3) < sm[k]) return undefined;
  return problem(
    'overfitting',
    c.steps[k],
    `${va.tag} fell from its best ${fmt(sm[k])} at step ${c.steps[k]} to ${fmt(end)}${ta ? ' while training accuracy kept rising' : ''}`,
    [va.tag],
  );
}

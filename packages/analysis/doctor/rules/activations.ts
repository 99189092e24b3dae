/**
 * Rules on activations: dead ReLUs (90% or more of a ReLU layer's outputs exactly zero, and staying so)
 * and saturation (a tanh/sigmoid layer's outputs piled up at its bounds, judged from their moments).
 * The activation type comes from the module name when it says, else from the values' range.
 */
import type { Context } from '../context';
import { isFiniteHist, zeroFraction } from '../hist';
import { type Activation, words } from '../names';
import { clean, fmt, median, sustainedFrom } from '../series';
import { problem } from '../suggestions';
import type { HistPoint } from '../types';

type ActKind = 'relu' | 'tanh' | 'sigmoid' | 'other';

function kindFromName(name: string): ActKind | undefined {
  const w = words(name).join(' ');
  if (/drop/.test(w)) return 'other'; // dropout zeroes outputs on purpose
  // a softmax's outputs sit near 0 and 1 by design (a confident classifier), not a saturated sigmoid
  if (/softmax|probs?\b|probabilit|attn|attention/.test(w)) return 'other';
  if (/relu|elu|gelu|silu|swish/.test(w)) return 'relu';
  if (/tanh/.test(w)) return 'tanh';
  if (/sigmoid|logistic/.test(w)) return 'sigmoid';
  return undefined;
}

/**
 * The type from the values over the whole run: a ReLU output is never negative and has exact zeros, a
 * tanh output never leaves [-1, 1], a sigmoid output never leaves [0, 1]. (A linear layer's output can
 * start inside [-1, 1]; it is not bounded once it leaves.)
 */
function kindFromHists(pts: HistPoint[]): ActKind {
  const finite = pts.filter((h) => h.num > 0 && isFiniteHist(h));
  const first = finite.find((h) => h.max > h.min);
  if (!first) return 'other';
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const h of finite) {
    lo = Math.min(lo, h.min);
    hi = Math.max(hi, h.max);
  }
  if (lo >= 0 && zeroFraction(first) > 0.02) return 'relu';
  if (lo >= -1 && hi <= 1 && first.min < 0) return 'tanh';
  if (lo >= 0 && hi <= 1) return 'sigmoid';
  return 'other';
}

interface Track {
  tag: string;
  steps: Float64Array;
  values: Float64Array;
}

function zeroTrack(a: Activation): Track | undefined {
  if (a.zeroFrac) {
    const c = clean(a.zeroFrac.data);
    return { tag: a.zeroFrac.tag, steps: c.steps, values: c.values };
  }
  if (a.hist) {
    const pts = a.hist.data;
    return {
      tag: a.hist.tag,
      steps: Float64Array.from(pts, (h) => h.step),
      values: Float64Array.from(pts, zeroFraction),
    };
  }
  return undefined;
}

function actKind(a: Activation): ActKind {
  const named = kindFromName(a.name);
  if (named) return named;
  if (a.hist?.data.length) return kindFromHists(a.hist.data);
  // from scalars alone only a ReLU shows itself (exact zeros); a mean inside (-1, 1) does not make a
  // layer tanh, so bounded types need the name, a histogram, or the SDK's act_saturated_frac
  const z = a.zeroFrac ? clean(a.zeroFrac.data).values : undefined;
  return z?.length && z[0] > 0.02 ? 'relu' : 'other';
}

export function deadRelu(ctx: Context): ReturnType<typeof problem> | undefined {
  let best: { step: number; tag: string; frac: number; before: number } | undefined;
  for (const a of ctx.roles.activations) {
    if (actKind(a) !== 'relu') continue;
    const t = zeroTrack(a);
    if (!t || t.values.length < 2) continue;
    const i = sustainedFrom(t.values.length, (j) => t.values[j] >= 0.9, 0.2, 2);
    if (i < 0) continue;
    if (!best || t.steps[i] < best.step) {
      best = {
        step: t.steps[i],
        tag: t.tag,
        frac: median(t.values, i),
        before: i > 0 ? median(t.values, 0, i) : Number.NaN,
      };
    }
  }
  if (!best) return undefined;
  const before = Number.isNaN(best.before) ? '' : ` (${fmt(best.before * 100)}% before)`;
  const p = problem(
    'dead_relu',
    best.step,
    `${fmt(best.frac * 100)}% of the outputs of ${best.tag} are zero from step ${best.step} on${before}: most units never fire`,
    [best.tag],
  );
  if (best.frac >= 0.99) p.severity = 'error';
  return p;
}

/**
 * How close a bounded activation sits to its bounds, from moments (exact for any bucketing): values in
 * [0,1] with mean m have variance at most m(1-m), reached only when all sit at 0 or 1; tanh values have
 * E[a^2] near 1 only when most sit near -1 or 1.
 */
function saturationTrack(a: Activation, kind: ActKind): Track | undefined {
  const score = (mu: number, ms: number) =>
    kind === 'sigmoid' ? (ms - mu * mu) / Math.max(1e-12, mu * (1 - mu)) : ms;
  if (a.hist) {
    const pts = a.hist.data.filter((h) => h.num > 0);
    return {
      tag: a.hist.tag,
      steps: Float64Array.from(pts, (h) => h.step),
      values: Float64Array.from(pts, (h) => score(h.sum / h.num, h.sumSquares / h.num)),
    };
  }
  if (a.mean && a.std) {
    const m = clean(a.mean.data);
    const s = clean(a.std.data);
    const n = Math.min(m.values.length, s.values.length);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = score(m.values[i], s.values[i] ** 2 + m.values[i] ** 2);
    return { tag: a.std.tag, steps: m.steps.subarray(0, n), values };
  }
  return undefined;
}

export function saturation(ctx: Context): ReturnType<typeof problem> | undefined {
  let best: { step: number; tag: string; frac: number; kind: ActKind } | undefined;
  for (const a of ctx.roles.activations) {
    if (a.saturatedFrac) {
      // the SDK counts outputs within 3% of the bounds directly: half of them there is saturation
      const c = clean(a.saturatedFrac.data);
      const i = sustainedFrom(c.values.length, (j) => c.values[j] >= 0.5, 0.2, 2);
      if (i >= 0 && (!best || c.steps[i] < best.step))
        best = { step: c.steps[i], tag: a.saturatedFrac.tag, frac: median(c.values, i), kind: 'other' };
      continue;
    }
    const kind = actKind(a);
    if (kind !== 'tanh' && kind !== 'sigmoid') continue;
    const t = saturationTrack(a, kind);
    if (!t || t.values.length < 2) continue;
    const threshold = kind === 'sigmoid' ? 0.75 : 0.8;
    const i = sustainedFrom(t.values.length, (j) => t.values[j] >= threshold, 0.2, 2);
    if (i < 0) continue;
    if (!best || t.steps[i] < best.step)
      best = { step: t.steps[i], tag: t.tag, frac: median(t.values, i), kind };
  }
  if (!best) return undefined;
  const what =
    best.kind === 'other'
      ? `${fmt(best.frac * 100)}% of its outputs are within 3% of the bounds`
      : best.kind === 'sigmoid'
        ? `its variance is ${fmt(best.frac * 100)}% of the largest possible for values in [0, 1]`
        : `its mean square is ${fmt(best.frac)} (1 means every output is at -1 or 1)`;
  return problem(
    'saturation',
    best.step,
    `${best.tag} is saturated from step ${best.step} on: ${what}, where gradients vanish`,
    [best.tag],
  );
}

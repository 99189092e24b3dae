/**
 * Rules on parameters and inputs: unnormalized_input, bad_init (constant weights, or an initial scale
 * far from what keeps the signal's variance across a layer), broken_weights (non-finite, collapsed to a
 * constant, or a norm that moved 100x). Scale is judged by the dimensionless gain std * sqrt(fan_in).
 */
import type { Context } from '../context';
import { isFiniteHist, mean, norm, rms, std } from '../hist';
import { isBiasLike, type Layer } from '../names';
import { clean, fmt, median } from '../series';
import { problem } from '../suggestions';

/**
 * Initialization schemes assume inputs of unit scale: an input whose typical magnitude is 10x larger
 * (or 100x smaller), or whose mean dwarfs its spread, was not standardized.
 */
export function unnormalizedInput(ctx: Context): ReturnType<typeof problem> | undefined {
  const inp = ctx.roles.input;
  let stats: { step: number; mean: number; std: number; tag: string } | undefined;
  if (inp.hist?.data.length) {
    const h = inp.hist.data[0];
    stats = { step: h.step, mean: mean(h), std: std(h), tag: inp.hist.tag };
  } else if (inp.mean && inp.std) {
    const m = clean(inp.mean.data);
    const s = clean(inp.std.data);
    if (m.values.length && s.values.length)
      stats = { step: m.steps[0], mean: median(m.values), std: median(s.values), tag: inp.mean.tag };
  } else if (inp.min && inp.max) {
    const lo = clean(inp.min.data);
    const hi = clean(inp.max.data);
    if (lo.values.length && hi.values.length) {
      const range = median(hi.values) - median(lo.values);
      if (range < 100) return undefined;
      return problem(
        'unnormalized_input',
        lo.steps[0],
        `input values span ${fmt(median(lo.values))} to ${fmt(median(hi.values))}: a range of ${fmt(range)}, not unit scale`,
        [inp.min.tag, inp.max.tag],
      );
    }
  }
  if (!stats) return undefined;
  const scale = Math.sqrt(stats.mean ** 2 + stats.std ** 2);
  const offset = Math.abs(stats.mean) > 3 * stats.std && Math.abs(stats.mean) > 1;
  if (!(scale >= 10 || (scale > 0 && scale <= 0.01) || offset)) return undefined;
  return problem(
    'unnormalized_input',
    stats.step,
    `input ${stats.tag} has mean ${fmt(stats.mean)} and standard deviation ${fmt(stats.std)} (root mean square ${fmt(scale)}); networks are initialized for mean 0 and standard deviation 1`,
    [stats.tag],
  );
}

/** The bias that goes with a weight (`fc1.weight` -> `fc1.bias`, `dense/kernel` -> `dense/bias`). */
function biasOf(layers: Layer[], l: Layer): Layer | undefined {
  const name = l.name.replace(/(weight|kernel)(_0)?$/, (_, _w, suffix) => `bias${suffix ?? ''}`);
  return name === l.name ? undefined : layers.find((b) => b.name === name);
}

/** Weight (non-bias) layers that have histograms. */
function weightLayers(ctx: Context): Layer[] {
  return ctx.roles.layers.filter((l) => l.weight?.data.length && !isBiasLike(l.name));
}

export function badInit(ctx: Context): ReturnType<typeof problem> | undefined {
  const layers = weightLayers(ctx);
  const constant = layers.find((l) => {
    const h = l.weight!.data[0];
    return h.num > 1 && isFiniteHist(h) && h.min === h.max;
  });
  if (constant) {
    const h = constant.weight!.data[0];
    const p = problem(
      'bad_init',
      h.step,
      `all ${h.num} values of ${constant.weight!.tag} are ${fmt(h.min)} at step ${h.step}: identical units get identical gradients and never differentiate`,
      [constant.weight!.tag],
    );
    p.severity = 'error';
    return p;
  }
  // gain = std * sqrt(fan_in), with fan_in = weight count / bias count (exact for dense and conv layers)
  const off: { tag: string; gain: number; fanIn: number; step: number }[] = [];
  for (const l of layers) {
    const b = biasOf(ctx.roles.layers, l)?.weight?.data[0];
    const h = l.weight!.data[0];
    if (!b || !(b.num > 0) || h.num % b.num !== 0) continue;
    const fanIn = h.num / b.num;
    const gain = std(h) * Math.sqrt(fanIn);
    if (gain > 4 || gain < 0.05) off.push({ tag: l.weight!.tag, gain, fanIn, step: h.step });
  }
  if (!off.length) return undefined;
  const worst = off.reduce((a, b) => (Math.abs(Math.log(b.gain)) > Math.abs(Math.log(a.gain)) ? b : a));
  return problem(
    'bad_init',
    worst.step,
    `${off.length} weight tensor(s) start with a scale far from variance-preserving: ${worst.tag} has std ${fmt(worst.gain / Math.sqrt(worst.fanIn))} with fan-in ${worst.fanIn}, gain ${fmt(worst.gain)} (He init gives 1.41, Xavier at most 1.41)`,
    off.map((o) => o.tag),
  );
}

export function brokenWeights(ctx: Context): ReturnType<typeof problem> | undefined {
  let best: { step: number; evidence: string; tag: string } | undefined;
  const consider = (step: number, tag: string, evidence: string) => {
    if (!best || step < best.step) best = { step, tag, evidence };
  };
  for (const l of ctx.roles.layers) {
    const pts = l.weight?.data;
    if (!pts?.length) continue;
    const tag = l.weight!.tag;
    const bad = pts.find((h) => !isFiniteHist(h));
    if (bad)
      consider(
        bad.step,
        tag,
        `${tag} contains non-finite values at step ${bad.step} (min ${bad.min}, max ${bad.max})`,
      );
    if (isBiasLike(l.name)) continue;
    const first = pts[0];
    const n0 = norm(first);
    const wasVaried = first.max > first.min;
    for (const h of pts) {
      if (!isFiniteHist(h)) break;
      if (wasVaried && h.num > 1 && h.min === h.max) {
        consider(h.step, tag, `all values of ${tag} collapsed to ${fmt(h.min)} at step ${h.step}`);
        break;
      }
      const r = n0 > 0 ? norm(h) / n0 : 1;
      if (r >= 100 || r <= 0.01) {
        consider(
          h.step,
          tag,
          `the norm of ${tag} moved ${fmt(r)}x from ${fmt(n0)} to ${fmt(norm(h))} by step ${h.step} (rms ${fmt(rms(h))})`,
        );
        break;
      }
    }
  }
  return best ? problem('broken_weights', best.step, best.evidence, [best.tag]) : undefined;
}

/** How much the weights moved over the run: the largest relative change of a weight tensor's rms. */
export function weightMovement(ctx: Context): { moved: number; tag: string } | undefined {
  let out: { moved: number; tag: string } | undefined;
  for (const l of weightLayers(ctx)) {
    const pts = l.weight!.data.filter(isFiniteHist);
    if (pts.length < 2) continue;
    const a = rms(pts[0]);
    if (!(a > 0)) continue;
    let moved = 0;
    for (const h of pts)
      moved = Math.max(moved, Math.abs(rms(h) - a) / a, Math.abs(mean(h) - mean(pts[0])) / a);
    if (!out || moved > out.moved) out = { moved, tag: l.weight!.tag };
  }
  return out;
}

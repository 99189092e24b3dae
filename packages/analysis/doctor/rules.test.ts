/**
 * Every rule on small series: cases that must fire (with the expected onset) and cases that must not.
 * Series are built from seeded noise; histograms with the tfevents writer's own bucketing.
 */
import { histogramFromValues } from '@tensorscope/formats/tfevents';
import { describe, expect, it } from 'vitest';
import { signalsFromExport } from './adapter';
import { diagnoseRun, newFindings } from './diagnose';
import { words } from './names';
import type { HistPoint, ProblemId, RunSignals } from './types';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A loss curve: f(step) times multiplicative noise of the given relative size. */
function curve(n: number, f: (s: number) => number, noise = 0.1, seed = 1) {
  const r = rng(seed);
  const steps = Float64Array.from({ length: n }, (_, i) => i);
  const values = Float64Array.from(steps, (s) => f(s) * Math.exp(noise * (r() + r() + r() - 1.5)));
  return { steps, values };
}

/** Healthy descent from 2.3 to ~0.1 (exponential approach, like most training curves). */
const healthy = (s: number) => 0.1 + 2.2 * Math.exp(-s / 60);

function gaussian(n: number, std: number, seed: number, mean = 0): Float64Array {
  const r = rng(seed);
  return Float64Array.from(
    { length: n },
    () => mean + std * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()),
  );
}

function hist(values: ArrayLike<number>, step: number): HistPoint {
  return { step, ...histogramFromValues(values) };
}

function signals(
  scalars: Record<string, { steps: Float64Array; values: Float64Array }>,
  histograms: Record<string, HistPoint[]> = {},
): RunSignals {
  return { scalars: new Map(Object.entries(scalars)), histograms: new Map(Object.entries(histograms)) };
}

const ids = (s: RunSignals): ProblemId[] => diagnoseRun(s).problems.map((p) => p.id);
const find = (s: RunSignals, id: ProblemId) => diagnoseRun(s).problems.find((p) => p.id === id);

describe('names', () => {
  it('splits tags into words across separators and camelCase', () => {
    expect(words('Loss/train')).toEqual(['loss', 'train']);
    expect(words('epoch_val_loss')).toEqual(['epoch', 'val', 'loss']);
    expect(words('learningRate')).toEqual(['learning', 'rate']);
  });
  it('finds train and validation losses under common spellings', () => {
    for (const [train, val] of [
      ['loss', 'val_loss'],
      ['train/loss', 'val/loss'],
      ['Loss/train', 'Loss/validation'],
      ['epoch_loss', 'epoch_val_loss'],
      ['loss/train', 'validation/loss'],
    ]) {
      const s = signals({ [train]: curve(300, healthy), [val]: curve(300, (x) => healthy(x) * 1.2, 0.02) });
      const d = diagnoseRun(s);
      expect(d.checked).toContain('overfitting');
      expect(d.problems).toEqual([]);
    }
  });
  it('takes input_proj.weight for a parameter, not for input data', () => {
    const s = signals({}, { 'input_proj.weight': [hist(gaussian(256, 0.005, 1), 0)] });
    expect(diagnoseRun(s).checked).toContain('broken_weights');
    expect(diagnoseRun(s).checked).not.toContain('unnormalized_input');
  });
  it('does not take a loss-scale scalar for the loss', () => {
    const s = signals({ loss_scale: curve(300, (x) => 65536 * 2 ** -(x > 150 ? 3 : 0), 0) });
    expect(diagnoseRun(s).missing.flatMap((m) => m.enables)).toContain('divergence');
  });
});

describe('nan_loss', () => {
  it('fires at the first non-finite loss', () => {
    const c = curve(200, healthy);
    c.values[120] = Number.NaN;
    c.values[121] = Number.POSITIVE_INFINITY;
    const p = find(signals({ loss: c }), 'nan_loss');
    expect(p?.step).toBe(120);
    expect(p?.severity).toBe('error');
    expect(p?.tags).toEqual(['loss']);
  });
  it("names a NaN input batch as the cause (the Python SDK's input/nan_count)", () => {
    const c = curve(200, healthy);
    c.values[120] = Number.NaN;
    const counts = { steps: Float64Array.from({ length: 200 }, (_, i) => i), values: new Float64Array(200) };
    counts.values[120] = 3;
    const p = find(signals({ loss: c, 'input/nan_count': counts }), 'nan_loss');
    expect(p?.evidence).toMatch(/input batch at step 120 held 3 NaN values/);
    expect(p?.tags).toEqual(['loss', 'input/nan_count']);
  });
  it('also watches validation losses', () => {
    const v = curve(20, healthy);
    v.values[15] = Number.NaN;
    expect(find(signals({ loss: curve(200, healthy), val_loss: v }), 'nan_loss')?.step).toBe(15);
  });
  it('stays quiet on finite losses', () => {
    expect(ids(signals({ loss: curve(200, healthy) }))).toEqual([]);
  });
});

describe('divergence', () => {
  it('fires where the loss left its best and stayed up', () => {
    const p = find(signals({ loss: curve(400, (s) => (s < 200 ? healthy(s) : 1.5)) }), 'divergence');
    expect(p).toBeDefined();
    expect(Math.abs(p!.step - 200)).toBeLessThanOrEqual(20);
  });
  it('handles a 200k-point curve (reduced to bucket medians for shape tests)', () => {
    const c = curve(200_000, (s) => (s < 120_000 ? healthy(s / 500) : 1.5), 0.1, 2);
    const p = find(signals({ loss: c }), 'divergence');
    expect(Math.abs(p!.step - 120_000)).toBeLessThanOrEqual(4_000);
  });
  it('stays quiet on a single spike that recovers', () => {
    const c = curve(400, healthy);
    c.values[200] *= 30;
    c.values[201] *= 10;
    expect(ids(signals({ loss: c }))).toEqual([]);
  });
  it('stays quiet on noisy healthy curves, warmup and step decay', () => {
    expect(ids(signals({ loss: curve(600, healthy, 0.5, 7) }))).toEqual([]);
    const warm = (s: number) => (s < 50 ? 2.3 - 0.2 * (s / 50) : 0.1 + 2 * Math.exp(-(s - 50) / 80));
    const lr = {
      steps: Float64Array.from({ length: 400 }, (_, i) => i),
      values: Float64Array.from({ length: 400 }, (_, i) =>
        i < 50 ? (i + 1) / 50 : 0.5 * (1 + Math.cos((Math.PI * (i - 50)) / 350)),
      ),
    };
    expect(ids(signals({ loss: curve(400, warm, 0.1, 3), lr }))).toEqual([]);
    const step = (s: number) =>
      s < 200 ? 0.3 + 2 * Math.exp(-s / 40) : 0.15 + 0.15 * Math.exp(-(s - 200) / 20);
    expect(ids(signals({ loss: curve(400, step, 0.1, 4) }))).toEqual([]);
  });
});

describe('oscillation', () => {
  it('fires when swings grow well beyond the earlier noise without progress', () => {
    const r = rng(5);
    const c = curve(
      400,
      (s) => (s < 200 ? healthy(s) + 0.2 : 0.6 * (1 + 0.8 * Math.sin(s / 2.5) * (r() + 0.5))),
      0.05,
    );
    const p = find(signals({ loss: c }), 'oscillation');
    expect(p).toBeDefined();
    expect(Math.abs(p!.step - 200)).toBeLessThanOrEqual(40);
  });
  it('stays quiet on uniformly noisy training', () => {
    expect(
      find(signals({ loss: curve(600, (s) => 0.4 + 0.8 * Math.exp(-s / 200), 0.8, 9) }), 'oscillation'),
    ).toBeUndefined();
  });
});

describe('overfitting', () => {
  const trainDown = curve(600, (s) => 0.01 + 2 * Math.exp(-s / 80), 0.05);
  const valSteps = Float64Array.from({ length: 30 }, (_, i) => (i + 1) * 20 - 1);
  it('fires at the validation minimum when validation rises and training keeps falling', () => {
    const val = {
      steps: valSteps,
      values: valSteps.map((s) => 0.5 + 1.5 * Math.exp(-s / 60) + (s > 200 ? (s - 200) / 300 : 0)),
    };
    const p = find(signals({ 'loss/train': trainDown, 'loss/val': val }), 'overfitting');
    expect(p).toBeDefined();
    expect(Math.abs(p!.step - 200)).toBeLessThanOrEqual(60);
    expect(p!.tags).toEqual(['loss/val', 'loss/train']);
  });
  it('fires on a 10x generalization gap with validation no better than the untrained model', () => {
    const val = { steps: valSteps, values: valSteps.map(() => 2.1) };
    const train = curve(600, (s) => 1e-4 + 2 * Math.exp(-s / 10), 0.05);
    expect(find(signals({ 'loss/train': train, 'loss/val': val }), 'overfitting')).toBeDefined();
  });
  it('fires on validation accuracy falling while training accuracy rises', () => {
    const va = {
      steps: valSteps,
      values: valSteps.map((s) => 0.9 - (s > 200 ? (s - 200) / 2000 : (200 - s) / 1000)),
    };
    const ta = { steps: valSteps, values: valSteps.map((s) => 1 - 0.5 * Math.exp(-s / 100)) };
    expect(find(signals({ acc: ta, val_acc: va }), 'overfitting')?.step).toBe(199);
  });
  it('stays quiet when validation flattens, even 30x above training (a typical converged classifier)', () => {
    const val = { steps: valSteps, values: valSteps.map((s) => 0.4 + 1.5 * Math.exp(-s / 60)) };
    expect(find(signals({ 'loss/train': trainDown, 'loss/val': val }), 'overfitting')).toBeUndefined();
  });
});

describe('underfitting and lr_too_low', () => {
  it('underfitting: an early plateau at a high level with validation no better', () => {
    const train = curve(400, (s) => 0.5 + 0.3 * Math.exp(-s / 15), 0.05);
    const steps = Float64Array.from({ length: 20 }, (_, i) => (i + 1) * 20 - 1);
    const val = { steps, values: steps.map((s) => 0.52 + 0.3 * Math.exp(-s / 15)) };
    const p = find(signals({ train_loss: train, val_loss: val }), 'underfitting');
    expect(p?.step).toBe(0);
  });
  it('underfitting: quiet when the loss fell 10x or more', () => {
    expect(
      find(signals({ loss: curve(400, (s) => 0.05 + 2 * Math.exp(-s / 15), 0.05) }), 'underfitting'),
    ).toBeUndefined();
  });
  it('lr_too_low: a barely moving loss with tiny update ratios', () => {
    const loss = curve(400, (s) => 1.39 - 0.0001 * s, 0.02);
    const ratio = {
      steps: Float64Array.from({ length: 20 }, (_, i) => i * 20),
      values: new Float64Array(20).fill(2e-6),
    };
    const p = find(signals({ loss, 'update_ratio/fc1.weight': ratio }), 'lr_too_low');
    expect(p?.step).toBe(0);
    expect(p?.tags).toEqual(['loss', 'update_ratio/fc1.weight']);
  });
  it('lr_too_low: quiet when updates are healthy-sized (the lr is not the problem)', () => {
    const loss = curve(400, (s) => 1.39 - 0.0001 * s, 0.02);
    const ratio = {
      steps: Float64Array.from({ length: 20 }, (_, i) => i * 20),
      values: new Float64Array(20).fill(1e-3),
    };
    expect(find(signals({ loss, 'update_ratio/fc1.weight': ratio }), 'lr_too_low')).toBeUndefined();
  });
});

/** Gradient histograms per layer: base std per layer, scaled by factor(step). */
function grads(layers: [string, number][], steps: number[], factor: (s: number) => number, seed = 11) {
  const out: Record<string, HistPoint[]> = {};
  layers.forEach(([name, std], k) => {
    out[`${name}.grad`] = steps.map((s, i) => hist(gaussian(512, std * factor(s), seed + k * 100 + i), s));
    out[name] = steps.map((s, i) => hist(gaussian(512, 0.05, seed + k * 100 + i + 50), s));
  });
  return out;
}

describe('gradients', () => {
  const steps = Array.from({ length: 20 }, (_, i) => i * 20);
  const layers: [string, number][] = [
    ['fc1.weight', 0.01],
    ['fc2.weight', 0.01],
    ['fc3.weight', 0.01],
  ];
  it('exploding: fires where the norm passes 100x its early level for several points', () => {
    const h = grads(layers, steps, (s) => (s >= 200 ? 10 ** (2.5 + (s - 200) / 100) : 1));
    const p = find(signals({}, h), 'exploding_gradients');
    expect(p?.step).toBe(200);
    expect(p?.tags[0]).toMatch(/\.grad$/);
  });
  it('exploding: one spike that recovers is not an explosion', () => {
    const h = grads(layers, steps, (s) => (s === 200 ? 1e4 : 1));
    expect(find(signals({}, h), 'exploding_gradients')).toBeUndefined();
  });
  it('vanishing: the input-side layer gets 1/100 or less of the output side relative gradient', () => {
    const deep: [string, number][] = [
      ['l1.weight', 1e-6],
      ['l2.weight', 1e-4],
      ['l3.weight', 1e-2],
    ];
    const p = find(
      signals(
        {},
        grads(deep, steps, () => 1),
      ),
      'vanishing_gradients',
    );
    expect(p?.step).toBe(0);
    expect(p?.tags).toEqual(['l1.weight.grad', 'l3.weight.grad']);
  });
  it('vanishing: layers within 10x of each other are fine', () => {
    const ok: [string, number][] = [
      ['l1.weight', 2e-3],
      ['l2.weight', 5e-3],
      ['l3.weight', 1e-2],
    ];
    expect(
      ids(
        signals(
          {},
          grads(ok, steps, () => 1),
        ),
      ),
    ).toEqual([]);
  });
});

describe('activations', () => {
  const steps = Array.from({ length: 15 }, (_, i) => i * 20);
  it('dead_relu: fires when 90%+ of a ReLU layer outputs stay zero', () => {
    const acts = steps.map((s, i) => {
      const v = gaussian(2048, 1, 30 + i, s >= 160 ? -3 : 0);
      return hist(
        v.map((x) => Math.max(0, x)),
        s,
      );
    });
    const p = find(signals({}, { 'activations/relu1': acts }), 'dead_relu');
    expect(p?.step).toBe(160);
  });
  it('dead_relu: from the SDK scalar act_zero_frac; 50% zeros is healthy', () => {
    const zf = (f: (s: number) => number) => ({
      steps: Float64Array.from(steps),
      values: Float64Array.from(steps, f),
    });
    expect(
      find(signals({ 'act_zero_frac/relu1': zf((s) => (s >= 100 ? 0.97 : 0.5)) }), 'dead_relu')?.step,
    ).toBe(100);
    expect(find(signals({ 'act_zero_frac/relu1': zf(() => 0.55) }), 'dead_relu')).toBeUndefined();
  });
  it('saturation: a linear layer whose outputs start inside [-1, 1] and grow is not a saturated tanh', () => {
    const linear = steps.map((s, i) => hist(gaussian(2048, 0.2 + s / 20, 90 + i), s));
    expect(find(signals({}, { 'activations/4': linear }), 'saturation')).toBeUndefined();
  });
  it('saturation: from the SDK scalar act_saturated_frac', () => {
    const sf = {
      steps: Float64Array.from(steps),
      values: Float64Array.from(steps, (s) => (s >= 120 ? 0.8 : 0.1)),
    };
    expect(find(signals({ 'act_saturated_frac/2': sf }), 'saturation')?.step).toBe(120);
  });
  it('saturation: a confident two-class softmax is not a saturated sigmoid', () => {
    // pairs of class probabilities from sharp logits: one near 1, the other near 0
    const probs = (seed: number) => {
      const logits = gaussian(2048, 8, seed);
      const out = new Float64Array(logits.length);
      for (let r = 0; r < logits.length; r += 2) {
        const p = 1 / (1 + Math.exp(logits[r + 1] - logits[r]));
        out[r] = p;
        out[r + 1] = 1 - p;
      }
      return out;
    };
    const run = steps.map((s, i) => hist(probs(30 + i), s));
    expect(find(signals({}, { 'activations/softmax': run }), 'saturation')).toBeUndefined();
    expect(find(signals({}, { 'activations/head/probs': run }), 'saturation')).toBeUndefined();
    // the same values from a sigmoid layer are saturation
    expect(find(signals({}, { 'activations/sigmoid1': run }), 'saturation')?.step).toBe(0);
  });
  it('saturation: tanh outputs piled at -1 and 1; moderate tanh is fine', () => {
    const tanh = (scale: number) =>
      steps.map((s, i) => hist(gaussian(2048, scale, 60 + i).map(Math.tanh), s));
    expect(find(signals({}, { 'activations/tanh1': tanh(8) }), 'saturation')?.step).toBe(0);
    expect(find(signals({}, { 'activations/tanh1': tanh(0.8) }), 'saturation')).toBeUndefined();
  });
});

describe('inputs and weights', () => {
  it('unnormalized_input: raw pixel values; standardized input is fine', () => {
    const px = gaussian(4096, 70, 3, 120);
    expect(find(signals({}, { 'input/images': [hist(px, 0)] }), 'unnormalized_input')?.step).toBe(0);
    expect(
      find(signals({}, { 'input/images': [hist(gaussian(4096, 1, 3), 0)] }), 'unnormalized_input'),
    ).toBeUndefined();
  });
  it('unnormalized_input: from input/mean and input/std scalars', () => {
    const one = (v: number) => ({ steps: Float64Array.of(0, 10), values: Float64Array.of(v, v) });
    expect(
      find(signals({ 'input/mean': one(100), 'input/std': one(60) }), 'unnormalized_input'),
    ).toBeDefined();
  });
  it('bad_init: constant weights are an error; the gain is judged with the fan-in from the bias', () => {
    const zeros = {
      'fc1.weight': [hist(new Float64Array(256), 0)],
      'fc1.bias': [hist(new Float64Array(16), 0)],
    };
    const p = find(signals({}, zeros), 'bad_init');
    expect(p?.severity).toBe('error');
    // fan-in 256: std 1 is gain 16; He is sqrt(2/256) = 0.088
    const big = {
      'fc1.weight': [hist(gaussian(256 * 16, 1, 8), 0)],
      'fc1.bias': [hist(new Float64Array(16), 0)],
    };
    expect(find(signals({}, big), 'bad_init')?.tags).toEqual(['fc1.weight']);
    const he = {
      'fc1.weight': [hist(gaussian(256 * 16, Math.sqrt(2 / 256), 8), 0)],
      'fc1.bias': [hist(new Float64Array(16), 0)],
    };
    expect(find(signals({}, he), 'bad_init')).toBeUndefined();
  });
  it('broken_weights: non-finite values and a tensor collapsed to zeros', () => {
    const pts = [0, 20, 40, 60].map((s) => hist(gaussian(256, 0.1, s), s));
    pts.push({
      ...pts[3],
      step: 80,
      min: Number.NaN,
      max: Number.NaN,
      sum: Number.NaN,
      sumSquares: Number.NaN,
    });
    expect(find(signals({}, { 'fc1.weight': pts }), 'broken_weights')?.step).toBe(80);
    const collapsed = [0, 20, 40].map((s) => hist(gaussian(256, 0.1, s), s));
    collapsed.push(hist(new Float64Array(256), 60));
    expect(find(signals({}, { 'fc1.weight': collapsed }), 'broken_weights')?.step).toBe(60);
  });
});

describe('diagnoseRun', () => {
  it('says which signals would allow more checks', () => {
    const d = diagnoseRun(signals({ loss: curve(100, healthy) }));
    expect(d.checked).toEqual(['nan_loss', 'divergence', 'oscillation', 'underfitting', 'lr_too_low']);
    expect(d.missing.flatMap((m) => m.enables)).toContain('exploding_gradients');
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });
  it('reports a root cause, not its symptom: vanishing gradients explain a plateau', () => {
    const steps = Array.from({ length: 20 }, (_, i) => i * 20);
    const deep: [string, number][] = [
      ['l1.weight', 1e-7],
      ['l2.weight', 1e-5],
      ['l3.weight', 1e-2],
    ];
    const loss = curve(400, (s) => 1.0 + 0.4 * Math.exp(-s / 15), 0.03);
    expect(
      ids(
        signals(
          { loss },
          grads(deep, steps, () => 1),
        ),
      ),
    ).toEqual(['vanishing_gradients']);
  });
  it('announces only findings that are new when a live run grows', () => {
    const c = curve(400, (s) => (s < 200 ? healthy(s) : 1.5));
    const early = { steps: c.steps.subarray(0, 150), values: c.values.subarray(0, 150) };
    const before = diagnoseRun(signals({ loss: early })).problems;
    const after = diagnoseRun(signals({ loss: c })).problems;
    expect(before).toEqual([]);
    expect(newFindings(before, after).map((p) => p.id)).toEqual(['divergence']);
    expect(newFindings(after, after)).toEqual([]);
  });
  it('reads one run of export --format json (JSON writes NaN as null)', () => {
    const c = curve(200, healthy);
    c.values[150] = Number.NaN;
    const h = hist(gaussian(256, 0.1, 1), 0);
    const exported = JSON.parse(
      JSON.stringify({
        tags: [
          {
            tag: 'loss/train',
            kind: 'scalar',
            points: Array.from(c.steps, (s, i) => ({ step: s, wall_time: 0, value: c.values[i] })),
          },
          {
            tag: 'fc1.weight',
            kind: 'histogram',
            points: [
              {
                step: 0,
                min: h.min,
                max: h.max,
                num: h.num,
                sum: h.sum,
                sum_squares: h.sumSquares,
                buckets: Array.from(h.bucket, (count, i) => ({
                  left: i ? h.bucketLimit[i - 1] : h.min,
                  right: h.bucketLimit[i],
                  count,
                })),
              },
            ],
          },
        ],
      }),
    );
    const d = diagnoseRun(signalsFromExport(exported));
    expect(d.problems.map((p) => [p.id, p.step])).toEqual([['nan_loss', 150]]);
    expect(d.checked).toContain('broken_weights');
  });
});

/**
 * `tensorscope run <model> [--input FILE|random] [--json] [--out DIR]`: runs an ONNX model with ONNX
 * Runtime, captures every intermediate tensor and prints per-layer statistics and the NaN origin;
 * `--gradcam` / `--saliency` / `--ig` add attribution (Grad-CAM from the captured activations and a
 * TF.js run of the layers after the chosen one; saliency and integrated gradients through TF.js).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  type Attribution,
  attentionGrid,
  type CaptureResult,
  CaptureSession,
  camOverlay,
  encodePng,
  type Feed,
  featureGrid,
  GradCam,
  type GradCamResult,
  InputError,
  integratedGradients,
  loadFeed,
  type NanOrigin,
  type Normalization,
  PRESETS,
  randomFeed,
  saliency,
  type TensorRecord,
  TfjsExecutor,
  tensorRecordJson,
  type Value,
  withCpuFallback,
} from '@tensorscope/runtime';
import { type ParsedArgs, parseArgs, stringFlag } from '../args';
import { UsageError } from '../errors';

export const usage =
  'run <model> [--input FILE|random] [--preset imagenet|unit|raw|symmetric] [--json] [--out DIR] [--gradcam [LAYER]] [--saliency] [--ig [STEPS]] [--class N]   capture intermediates, attribution';

/** flags whose value may be left out: the default is used when the next word is missing or a flag */
const OPTIONAL_VALUES: Record<string, string> = { gradcam: 'auto', ig: '32' };

function withDefaults(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    out.push(argv[i]);
    const name = argv[i].startsWith('--') && !argv[i].includes('=') ? argv[i].slice(2) : '';
    if (name in OPTIONAL_VALUES && (i + 1 >= argv.length || argv[i + 1].startsWith('--')))
      out.push(OPTIONAL_VALUES[name]);
  }
  return out;
}

function numbers(args: ParsedArgs, name: string): number[] | undefined {
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  const xs = v.split(',').map(Number);
  if (!xs.length || xs.some((x) => !Number.isFinite(x)))
    throw new UsageError(`--${name} takes comma-separated numbers such as 0.485,0.456,0.406.`);
  return xs;
}

function normalization(args: ParsedArgs): Normalization {
  const name = stringFlag(args, 'preset') ?? 'imagenet';
  const preset = PRESETS[name];
  if (!preset) throw new UsageError(`--preset ${name} is unknown; use ${Object.keys(PRESETS).join(', ')}.`);
  return { ...preset, mean: numbers(args, 'mean') ?? preset.mean, std: numbers(args, 'std') ?? preset.std };
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(withDefaults(argv), ['json', 'saliency']);
  if (args.positionals.length !== 1)
    throw new UsageError('run takes one ONNX model: tensorscope run <model> [--input FILE|random].');
  const file = args.positionals[0];
  const norm = normalization(args);
  const spec = stringFlag(args, 'input') ?? 'random';
  const out = stringFlag(args, 'out');
  const classIndex = classFlag(args);
  const igSteps = stepsFlag(args);
  const layerFlag = stringFlag(args, 'gradcam');
  try {
    // one capture: a statistics worker would load for nothing
    const session = await CaptureSession.open(file, { workers: 0, main: true });
    const feeds = await Promise.all(
      session.inputs.map((v, i) => (i === 0 ? loadFeed(spec, v, norm) : randomFeed(v, i))),
    );
    const images: { tensor: string; kind: string; file: string }[] = [];
    if (out) {
      mkdirSync(join(out, 'feature_maps'), { recursive: true });
      mkdirSync(join(out, 'attention'), { recursive: true });
    }
    // Grad-CAM reads the layer (and whatever else its tail needs) from this capture: no second run
    const cam = layerFlag
      ? await GradCam.create(session.model, session.file, gradCamLayer(session, layerFlag), {
          backend: 'wasm',
        })
      : undefined;
    try {
      const result = await session.run(feeds, {
        keep: cam?.needs,
        onTensor: out
          ? (t, data) => {
              const file = `${String(t.index).padStart(3, '0')}-${safeName(t.name)}.png`;
              if (t.attention) {
                const name = join('attention', file);
                writeFileSync(join(out, name), encodePng(attentionGrid(data as Float32Array, t.shape)));
                images.push({ tensor: t.name, kind: 'attention', file: name });
              }
              if (t.shape.length !== 4 || t.shape[2] * t.shape[3] <= 1 || t.dtype !== 'float32') return;
              const name = join('feature_maps', file);
              writeFileSync(join(out, name), encodePng(featureGrid(data as Float32Array, t.shape)));
              images.push({ tensor: t.name, kind: 'feature_map', file: name });
            }
          : undefined,
      });
      await session.release();
      const attributions: Attributions = {};
      if (cam) {
        const values = new Map<string, Value>(result.kept);
        for (const f of feeds) values.set(f.name, f);
        attributions.gradcam = await cam.explainAsync(values, classIndex);
      }
      if (args.flags.has('saliency') || igSteps !== undefined)
        Object.assign(
          attributions,
          await inputAttributions(session, feeds[0], classIndex, args.flags.has('saliency'), igSteps),
        );
      // overlays over the input image; a non-image input (tokens) gets the summaries only
      if (out && isImage(feeds[0].shape)) {
        for (const [kind, a] of Object.entries(attributions) as [keyof Attributions, Attribution][]) {
          const name = `${kind}.png`;
          writeFileSync(join(out, name), encodePng(camOverlay(overlayMap(kind, a.map), a.shape, feeds[0])));
          images.push({
            tensor: kind === 'gradcam' ? (a as GradCamResult).layer : feeds[0].name,
            kind,
            file: name,
          });
        }
      }
      if (args.flags.has('json'))
        process.stdout.write(JSON.stringify(toJson(file, result, images, attributions), null, 1) + '\n');
      else process.stdout.write(render(file, result, images.length, out, attributions));
    } finally {
      cam?.dispose();
    }
    return 0;
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(e.message);
    throw e;
  }
}

const isImage = (shape: number[]) =>
  shape.length === 4 && [1, 3].some((c) => shape[1] === c || shape[3] === c);

interface Attributions {
  gradcam?: GradCamResult;
  saliency?: Attribution;
  ig?: Attribution;
}

/** integrated gradients can be negative: the overlay shows their magnitude */
const overlayMap = (kind: keyof Attributions, map: Float32Array) => (kind === 'ig' ? map.map(Math.abs) : map);

/**
 * Saliency and integrated gradients: the whole model forward and backward in the TF.js executor, on
 * the wasm backend (falling back to cpu for a kernel wasm lacks).
 */
async function inputAttributions(
  session: CaptureSession,
  feed: Feed,
  classIndex: number | undefined,
  withSaliency: boolean,
  igSteps: number | undefined,
): Promise<Attributions> {
  if (feed.dtype !== 'float32')
    throw new InputError(
      `${session.file}: saliency and integrated gradients need a float32 input, not ${feed.dtype}`,
    );
  const exec = await TfjsExecutor.create(session.model, session.file, { backend: 'wasm' });
  const x = tf.tensor(feed.data as Float32Array, feed.shape);
  try {
    const target = { input: feed.name, classIndex };
    return {
      ...(withSaliency && { saliency: await withCpuFallback(() => saliency(exec, x, target)) }),
      ...(igSteps !== undefined && {
        ig: await withCpuFallback(() => integratedGradients(exec, x, target, igSteps)),
      }),
    };
  } finally {
    x.dispose();
    exec.dispose();
  }
}

function stepsFlag(args: ParsedArgs): number | undefined {
  const v = stringFlag(args, 'ig');
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1024)
    throw new UsageError(`--ig takes a number of steps from 1 to 1024 such as 32, not ${JSON.stringify(v)}.`);
  return Number(v);
}

/** `auto`: the last value of rank 4 with H x W > 1 (from the inferred shapes), else the named value */
function gradCamLayer(session: CaptureSession, layer: string): string {
  if (layer !== 'auto') return layer;
  const spatial = (name: string) => {
    const shape = session.graph.values.get(name)?.shape;
    return shape?.length === 4 && !(shape[2] === 1 && shape[3] === 1);
  };
  const name = session.graph.nodes
    .flatMap((n) => n.outputs)
    .filter((v) => v && spatial(v))
    .at(-1);
  if (!name) throw new InputError(`${session.file}: has no tensor of shape [N, C, H, W] for Grad-CAM`);
  return name;
}

function classFlag(args: ParsedArgs): number | undefined {
  const v = stringFlag(args, 'class');
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v))
    throw new UsageError(`--class takes a class index such as 281, not ${JSON.stringify(v)}.`);
  return Number(v);
}

/** an attribution map's summary: the class, the map's shape, where it peaks and its largest value */
function summary(a: Attribution) {
  const peak = peakOf(a);
  return { class: a.classIndex, shape: a.shape, peak: [peak.row, peak.column], max: peak.value };
}

function peakOf(a: Attribution): { row: number; column: number; value: number } {
  let best = 0;
  for (let i = 1; i < a.map.length; i++) if (a.map[i] > a.map[best]) best = i;
  return { row: Math.floor(best / a.shape[1]), column: best % a.shape[1], value: a.map[best] };
}

function toJson(
  file: string,
  r: CaptureResult,
  images: { tensor: string; kind: string; file: string }[],
  attributions: Attributions,
) {
  const cam = attributions.gradcam;
  const tensors: Record<string, unknown> = {};
  for (const t of r.tensors) tensors[t.name] = tensorRecordJson(t);
  return {
    model: file,
    inputs: r.feeds.map((f) => ({ name: f.name, shape: f.shape, dtype: f.dtype, source: f.source })),
    tensors,
    not_capturable: r.notCapturable,
    nan_origin: r.nanOrigin ?? null,
    ...(cam && { gradcam: { layer: cam.layer, ...summary(cam), map: Array.from(cam.map) } }),
    ...(attributions.saliency && { saliency: summary(attributions.saliency) }),
    ...(attributions.ig && { ig: summary(attributions.ig) }),
    images,
  };
}

const g = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : x.toPrecision(4));

function originText(o: NanOrigin): string {
  if (o.kind === 'node')
    return `NaN/Inf first produced by node ${o.node} (${o.op}, #${o.index}) from finite inputs: ${o.nan} NaN, ${o.inf} Inf in ${o.outputs.join(', ')}`;
  return `NaN/Inf come from the ${o.kind} ${o.name}, first read by node ${o.node} (${o.op})`;
}

function row(t: TensorRecord): string[] {
  const s = t.stats;
  return [
    String(t.index),
    t.node,
    t.op,
    `[${t.shape.join(', ')}]`,
    g(s?.mean),
    g(s?.std),
    g(s?.min),
    g(s?.max),
    s ? `${(100 * s.zeros).toFixed(1)}%` : '',
    s?.nan ? String(s.nan) : '',
    s?.inf ? String(s.inf) : '',
    s?.deadChannels?.length ? String(s.deadChannels.length) : '',
    s?.saturation !== undefined ? `${(100 * s.saturation).toFixed(1)}%` : '',
  ];
}

function render(
  file: string,
  r: CaptureResult,
  images: number,
  out: string | undefined,
  attributions: Attributions,
): string {
  const lines = [`${file}: ${r.tensors.length} tensors captured`];
  for (const f of r.feeds)
    lines.push(`  input ${f.name} [${f.shape.join(', ')}] ${f.dtype} from ${f.source}`);
  lines.push('');
  const header = [
    '#',
    'node',
    'op',
    'shape',
    'mean',
    'std',
    'min',
    'max',
    'zeros',
    'nan',
    'inf',
    'dead',
    'sat',
  ];
  const rows = r.tensors.map(row);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((x) => x[c].length)));
  const left = new Set([1, 2, 3]);
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (left.has(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join('  ')
      .trimEnd();
  lines.push(line(header), ...rows.map(line), '');
  if (r.notCapturable.length) {
    lines.push(`not capturable (${r.notCapturable.length}):`);
    for (const n of r.notCapturable) lines.push(`  ${n.name}: ${n.reason}`);
    lines.push('');
  }
  lines.push(r.nanOrigin ? originText(r.nanOrigin) : 'no NaN or Inf in any captured tensor');
  for (const t of r.tensors.filter((x) => x.attention))
    lines.push(
      `attention ${t.node}: ${t.attention!.heads} maps of ${t.attention!.queries} queries x ${t.attention!.keys} keys`,
    );
  const names = { gradcam: 'Grad-CAM', saliency: 'saliency', ig: 'integrated gradients' };
  for (const [kind, a] of Object.entries(attributions) as [keyof Attributions, Attribution][]) {
    const p = peakOf(a);
    const at = kind === 'gradcam' ? ` at ${(a as GradCamResult).layer}` : '';
    lines.push(
      `${names[kind]} of class ${a.classIndex}${at} (${a.shape.join('x')}): peak at row ${p.row}, column ${p.column}`,
    );
  }
  if (out) lines.push(`${images} images written to ${out}`);
  return lines.join('\n') + '\n';
}

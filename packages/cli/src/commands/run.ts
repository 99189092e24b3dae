/**
 * `tensorscope run <model> [--input FILE|random] [--json] [--out DIR]`: runs an ONNX model with ONNX
 * Runtime, captures every intermediate tensor and prints per-layer statistics and the NaN origin.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  attentionGrid,
  type CaptureResult,
  CaptureSession,
  camOverlay,
  encodePng,
  type Feed,
  featureGrid,
  gradCam,
  InputError,
  loadFeed,
  type NanOrigin,
  type Normalization,
  PRESETS,
  randomFeed,
  type TensorRecord,
  TfjsExecutor,
} from '@tensorscope/runtime';
import { type ParsedArgs, parseArgs, stringFlag } from '../args';
import { UsageError } from '../errors';

export const usage =
  'run <model> [--input FILE|random] [--preset imagenet|unit|raw|symmetric] [--json] [--out DIR] [--gradcam LAYER|auto] [--class N]   capture intermediates, attribution';

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
  const args = parseArgs(argv, ['json']);
  if (args.positionals.length !== 1)
    throw new UsageError('run takes one ONNX model: tensorscope run <model> [--input FILE|random].');
  const file = args.positionals[0];
  const norm = normalization(args);
  const spec = stringFlag(args, 'input') ?? 'random';
  const out = stringFlag(args, 'out');
  try {
    const session = await CaptureSession.open(file);
    const feeds = await Promise.all(
      session.inputs.map((v, i) => (i === 0 ? loadFeed(spec, v, norm) : randomFeed(v, i))),
    );
    const images: { tensor: string; kind: string; file: string }[] = [];
    if (out) {
      mkdirSync(join(out, 'feature_maps'), { recursive: true });
      mkdirSync(join(out, 'attention'), { recursive: true });
    }
    const result = await session.run(feeds, {
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
    const layer = stringFlag(args, 'gradcam');
    const cam = layer ? await runGradCam(session, result, feeds[0], layer, classFlag(args)) : undefined;
    if (cam && out) {
      writeFileSync(join(out, 'gradcam.png'), encodePng(camOverlay(cam.map, cam.shape, feeds[0])));
      images.push({ tensor: cam.layer, kind: 'gradcam', file: 'gradcam.png' });
    }
    if (args.flags.has('json'))
      process.stdout.write(JSON.stringify(toJson(file, result, images, cam), null, 1) + '\n');
    else process.stdout.write(render(file, result, images.length, out, cam));
    return 0;
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(e.message);
    throw e;
  }
}

function classFlag(args: ParsedArgs): number | undefined {
  const v = stringFlag(args, 'class');
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v))
    throw new UsageError(`--class takes a class index such as 281, not ${JSON.stringify(v)}.`);
  return Number(v);
}

interface CamResult {
  layer: string;
  classIndex: number;
  shape: [number, number];
  map: Float32Array;
}

/** Grad-CAM through the TF.js executor; `auto` takes the last [N, C, H, W] tensor with H, W > 1. */
async function runGradCam(
  session: CaptureSession,
  r: CaptureResult,
  feed: Feed,
  layer: string,
  classIndex: number | undefined,
): Promise<CamResult> {
  const target =
    layer === 'auto'
      ? r.tensors.filter((t) => t.shape.length === 4 && t.shape[2] * t.shape[3] > 1).at(-1)?.name
      : layer;
  if (!target || !r.tensors.some((t) => t.name === target))
    throw new InputError(
      `${session.file}: has no tensor ${layer === 'auto' ? 'of shape [N, C, H, W]' : layer} for Grad-CAM`,
    );
  const exec = await TfjsExecutor.create(session.model, session.file);
  const x = tf.tensor(feed.data as Float32Array, feed.shape);
  try {
    const cam = gradCam(exec, x, target, { input: feed.name, classIndex });
    return { layer: target, ...cam };
  } finally {
    x.dispose();
    exec.dispose();
  }
}

function toJson(
  file: string,
  r: CaptureResult,
  images: { tensor: string; kind: string; file: string }[],
  cam: CamResult | undefined,
) {
  const tensors: Record<string, unknown> = {};
  for (const t of r.tensors) {
    const s = t.stats;
    tensors[t.name] = {
      node: t.node,
      op: t.op,
      index: t.index,
      dtype: t.dtype,
      shape: t.shape,
      ...(s && {
        mean: s.mean,
        std: s.std,
        min: s.min,
        max: s.max,
        zeros: s.zeros,
        nan: s.nan,
        inf: s.inf,
        histogram: { edges: Array.from(s.histogram.edges), counts: Array.from(s.histogram.counts) },
        ...(s.deadChannels && { dead_channels: s.deadChannels }),
        ...(s.saturation !== undefined && { saturation: s.saturation }),
      }),
      ...(t.attention && { attention: t.attention }),
    };
  }
  return {
    model: file,
    inputs: r.feeds.map((f) => ({ name: f.name, shape: f.shape, dtype: f.dtype, source: f.source })),
    tensors,
    not_capturable: r.notCapturable,
    nan_origin: r.nanOrigin ?? null,
    ...(cam && {
      gradcam: { layer: cam.layer, class: cam.classIndex, shape: cam.shape, map: Array.from(cam.map) },
    }),
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
  cam: CamResult | undefined,
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
  if (cam) {
    const peak = cam.map.indexOf(Math.max(...cam.map));
    const [y, x] = [Math.floor(peak / cam.shape[1]), peak % cam.shape[1]];
    lines.push(
      `Grad-CAM of class ${cam.classIndex} at ${cam.layer} (${cam.shape.join('x')}): peak at row ${y}, column ${x}`,
    );
  }
  if (out) lines.push(`${images} images written to ${out}`);
  return lines.join('\n') + '\n';
}

/**
 * The heavy half of the Run routes, in a worker thread: ONNX Runtime capture, TF.js Grad-CAM (seconds
 * of synchronous CPU for a big model) and PNG drawing never block the server's event loop, so
 * dashboards and live updates keep flowing during a run. It keeps one open model (its ORT session and
 * TF.js weights) and the tensors of the last RUNS_KEPT runs (feature maps and attention maps up to
 * KEEP_BYTES each); everything else is dropped as soon as its statistics are computed.
 *
 * Messages: {id, op, ...} in; {id, ok: true, value} or {id, ok: false, status, message} out.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { fileSource } from '@tensorscope/formats/node-source';
import type { CaptureResult, CaptureSession, Feed, GradCamSession, TensorRecord } from '@tensorscope/runtime';
import { HttpError } from '../http-error';
import { bodyFeed, inputName, normalization } from './model-run-input';

type Runtime = typeof import('@tensorscope/runtime');
type Query = Record<string, unknown>;

export type WorkerRequest =
  | { op: 'prepare'; path: string }
  | { op: 'run'; model: number; path: string; body: Uint8Array; query: Query }
  | { op: 'gradcam'; model: number; path: string; run: number; layer: string; classIndex?: number }
  | { op: 'feature-map'; model: number; run: number; tensor: string }
  | { op: 'attention'; model: number; run: number; tensor: string; head: number }
  | { op: 'gradcam-image'; model: number; run: number; index: number };

export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; status: number; message: string };

const RUNS_KEPT = 2;
const KEEP_BYTES = 256 << 20;
/** Grad-CAM sessions (one per layer) kept open for the open model */
const CAMS_KEPT = 2;

const runtime = import('@tensorscope/runtime');

interface Opened {
  path: string;
  mtimeMs: number;
  session: CaptureSession;
  /** Grad-CAM per layer: ORT returns the layer, TF.js differentiates only the nodes after it */
  cams: Map<string, GradCamSession>;
}

interface Cam {
  layer: string;
  /** the class asked for; undefined for the top-scoring one */
  requested?: number;
  classIndex: number;
  shape: [number, number];
  map: Float32Array;
  png: Uint8Array;
}

interface KeptRun {
  id: number;
  model: number;
  feeds: Feed[];
  /** the first input, which images are about */
  feed: Feed;
  /** float32 [N, C, H, W] tensors and attention maps, while within KEEP_BYTES */
  tensors: Map<string, { data: Float32Array; shape: number[] }>;
  attention: Set<string>;
  /** conv-like [N, C, H, W] tensors with H, W > 1, in execution order (Grad-CAM layers) */
  layers: string[];
  classes?: number;
  cams: Cam[];
}

/** Only the most recently used model keeps an ORT session (and TF.js weights) open. */
let opened: Opened | undefined;
const runs = new Map<number, KeptRun>();
let nextRun = 1;

async function openSession(rt: Runtime, path: string): Promise<Opened> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) throw new HttpError(404, `model file ${basename(path)} is no longer there.`);
  if (opened?.path === path && opened.mtimeMs === st.mtimeMs) return opened;
  for (const c of opened?.cams.values() ?? []) await c.release().catch(() => undefined);
  await opened?.session.release().catch(() => undefined);
  opened = undefined;
  const { detectFormat } = await import('@tensorscope/formats/open');
  const format = await detectFormat(await fileSource(path));
  if (format?.id !== 'onnx')
    throw new HttpError(
      400,
      `${basename(path)}: is ${format ? `a ${format.id} model` : 'not a recognized model'}, and the runtime runs ONNX models only; export it to ONNX (e.g. torch.onnx.export(model, x, "model.onnx")) and serve that.`,
    );
  opened = { path, mtimeMs: st.mtimeMs, session: await rt.CaptureSession.open(path), cams: new Map() };
  return opened;
}

function keptRun(model: number, id: number): KeptRun {
  const run = runs.get(id);
  if (!run || run.model !== model)
    throw new HttpError(404, `run ${id} of model ${model} is no longer kept; run the model again.`);
  return run;
}

const isMap = (t: TensorRecord) =>
  t.dtype === 'float32' && t.shape.length === 4 && t.shape[2] * t.shape[3] > 1;

/** The five best classes of the first graph output (softmax probabilities unless it is one already). */
function topClasses(scores: Float64Array, isSoftmax: boolean) {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of scores) if (v > max) max = v;
  let sum = 0;
  for (const v of scores) sum += Math.exp(v - max);
  const order = Array.from(scores.keys())
    .filter((i) => Number.isFinite(scores[i]))
    .sort((a, b) => scores[b] - scores[a])
    .slice(0, 5);
  return order.map((i) => ({
    class: i,
    score: scores[i],
    probability: isSoftmax ? scores[i] : Math.exp(scores[i] - max) / sum,
  }));
}

function camJson(run: KeptRun, g: number) {
  const c = run.cams[g];
  return {
    layer: c.layer,
    class: c.classIndex,
    shape: c.shape,
    map: Array.from(c.map),
    image: `/api/models/${run.model}/runs/${run.id}/gradcam/${g}`,
  };
}

async function gradCam(rt: Runtime, o: Opened, run: KeptRun, layerQ: string, classQ: number | undefined) {
  const layer = layerQ === 'auto' ? run.layers.at(-1) : layerQ;
  if (!layer || !run.layers.includes(layer))
    throw new HttpError(
      400,
      layer
        ? `"layer" must be a tensor of shape [N, C, H, W] of this model, such as ${run.layers.at(-1) ?? '(none)'}, not ${JSON.stringify(layer)}.`
        : 'this model has no tensor of shape [N, C, H, W] to compute Grad-CAM at.',
    );
  if (classQ !== undefined && (!Number.isInteger(classQ) || (run.classes && classQ >= run.classes)))
    throw new HttpError(400, `"class" must be a class index below ${run.classes ?? '?'}, not ${classQ}.`);
  const found = run.cams.findIndex(
    (c) => c.layer === layer && (c.requested === classQ || (classQ !== undefined && c.classIndex === classQ)),
  );
  if (found >= 0) return found;
  let session = o.cams.get(layer);
  if (!session) {
    const oldest = o.cams.keys().next();
    if (o.cams.size >= CAMS_KEPT && !oldest.done) {
      await o.cams.get(oldest.value)?.release();
      o.cams.delete(oldest.value);
    }
    session = await rt.GradCamSession.open(o.path, layer, undefined, o.session.model);
    o.cams.set(layer, session);
  }
  const cam = await session.run(run.feeds, classQ);
  const png = new Uint8Array(rt.encodePng(rt.camOverlay(cam.map, cam.shape, run.feed)));
  run.cams.push({
    layer,
    requested: classQ,
    classIndex: cam.classIndex,
    shape: cam.shape,
    map: cam.map,
    png,
  });
  return run.cams.length - 1;
}

async function capture(rt: Runtime, model: number, path: string, body: Uint8Array, q: Query) {
  const norm = normalization(q, rt.PRESETS);
  const o = await openSession(rt, path);
  const s = o.session;
  if (!s.inputs.length) throw new HttpError(400, `${basename(path)}: has no input to feed.`);
  const random = q.input === 'random';
  const feeds = await Promise.all(
    s.inputs.map((v, k) =>
      k > 0 ? rt.randomFeed(v, k) : random ? rt.randomFeed(v) : bodyFeed(rt, body, inputName(q), v, norm),
    ),
  );
  const output = s.graph.outputs[0]?.name;
  const run: KeptRun = {
    id: nextRun++,
    model,
    feeds,
    feed: feeds[0],
    tensors: new Map(),
    attention: new Set(),
    layers: [],
    cams: [],
  };
  let kept = 0;
  let scores: Float64Array | undefined;
  const result: CaptureResult = await s.run(feeds, {
    maxBytes: KEEP_BYTES,
    onTensor: (t, data) => {
      if (t.name === output && data.length <= 1 << 20) scores = Float64Array.from(data, Number);
      if (isMap(t)) run.layers.push(t.name);
      if (!(isMap(t) || t.attention) || t.dtype !== 'float32') return;
      if (kept + data.length * 4 > KEEP_BYTES) return;
      kept += data.length * 4;
      run.tensors.set(t.name, { data: (data as Float32Array).slice(), shape: t.shape });
      if (t.attention) run.attention.add(t.name);
    },
  });
  run.classes = scores?.length;
  runs.set(run.id, run);
  for (const id of runs.keys()) if (runs.size > RUNS_KEPT) runs.delete(id);

  const tensors: Record<string, ReturnType<Runtime['tensorRecordJson']>> = {};
  for (const t of result.tensors) tensors[t.name] = rt.tensorRecordJson(t);
  const outRecord = result.tensors.find((t) => t.name === output);
  // Grad-CAM differentiates only the nodes after the layer: check those of the default layer
  const tail = run.layers.length && output ? rt.tailOf(s.graph, run.layers.at(-1)!, output).nodes : [];
  const unsupported = tail.length ? rt.TfjsExecutor.unsupported(s.graph, tail) : [];
  const layerQ = typeof q.gradcam === 'string' && q.gradcam ? q.gradcam : undefined;
  const classQ = typeof q.class === 'number' ? q.class : undefined;
  const gradcam = layerQ ? camJson(run, await gradCam(rt, o, run, layerQ, classQ)) : undefined;
  const base = `/api/models/${model}/runs/${run.id}`;
  const heads = (n: string) => result.tensors.find((t) => t.name === n)?.attention?.heads ?? 0;
  return {
    run: run.id,
    model: basename(path),
    inputs: feeds.map((f) => ({ name: f.name, shape: f.shape, dtype: f.dtype, source: f.source })),
    tensors,
    not_capturable: result.notCapturable,
    nan_origin: result.nanOrigin ?? null,
    classes: scores ? { output, top: topClasses(scores, outRecord?.op === 'Softmax') } : null,
    gradcam_layers: run.layers,
    gradcam_unsupported: unsupported.length
      ? `the TF.js executor behind Grad-CAM does not support the op${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')} (after the layer ${run.layers.at(-1)})`
      : null,
    ...(gradcam && { gradcam }),
    images: {
      feature_maps: Object.fromEntries(
        [...run.tensors.keys()]
          .filter((n) => !run.attention.has(n))
          .map((n) => [n, `${base}/feature-map?tensor=${encodeURIComponent(n)}`]),
      ),
      attention: Object.fromEntries(
        [...run.attention].map((n) => [
          n,
          Array.from(
            { length: heads(n) },
            (_, h) => `${base}/attention?tensor=${encodeURIComponent(n)}&head=${h}`,
          ),
        ]),
      ),
    },
  };
}

function featureMapPng(rt: Runtime, run: KeptRun, tensor: string): Uint8Array {
  const t = run.tensors.get(tensor);
  if (!t || run.attention.has(tensor))
    throw new HttpError(404, `run ${run.id} kept no feature maps of tensor ${JSON.stringify(tensor)}.`);
  return new Uint8Array(rt.encodePng(rt.featureGrid(t.data, t.shape)));
}

function attentionPng(rt: Runtime, run: KeptRun, tensor: string, head: number): Uint8Array {
  const t = run.attention.has(tensor) ? run.tensors.get(tensor) : undefined;
  if (!t) throw new HttpError(404, `run ${run.id} kept no attention map ${JSON.stringify(tensor)}.`);
  const keys = t.shape[t.shape.length - 1];
  const queries = t.shape[t.shape.length - 2];
  const heads = t.data.length / (keys * queries);
  if (!Number.isInteger(head) || head < 0 || head >= heads)
    throw new HttpError(400, `"head" must be a whole number between 0 and ${heads - 1}, not ${head}.`);
  const one = t.data.subarray(head * queries * keys, (head + 1) * queries * keys);
  return new Uint8Array(rt.encodePng(rt.featureGrid(one, [1, 1, queries, keys])));
}

async function handle(rt: Runtime, r: WorkerRequest): Promise<unknown> {
  switch (r.op) {
    case 'prepare': {
      const s = (await openSession(rt, r.path)).session;
      return {
        inputs: s.inputs.map((v) => ({ name: v.name, shape: v.shape ?? null, dtype: v.dtype ?? null })),
      };
    }
    case 'run':
      return capture(rt, r.model, r.path, r.body, r.query);
    case 'gradcam': {
      const run = keptRun(r.model, r.run);
      const o = await openSession(rt, r.path);
      return camJson(run, await gradCam(rt, o, run, r.layer, r.classIndex));
    }
    case 'feature-map':
      return featureMapPng(rt, keptRun(r.model, r.run), r.tensor);
    case 'attention':
      return attentionPng(rt, keptRun(r.model, r.run), r.tensor, r.head);
    case 'gradcam-image': {
      const run = keptRun(r.model, r.run);
      const cam = run.cams[r.index];
      if (!cam) throw new HttpError(404, `run ${run.id} has no Grad-CAM number ${r.index}.`);
      return cam.png;
    }
  }
}

parentPort?.on('message', async (m: WorkerRequest & { id: number }) => {
  let reply: WorkerReply;
  const rt = await runtime;
  try {
    reply = { id: m.id, ok: true, value: await handle(rt, m) };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    if (err instanceof HttpError) reply = { id: m.id, ok: false, status: err.status, message: err.message };
    else if (err instanceof rt.InputError)
      reply = { id: m.id, ok: false, status: 400, message: `${err.message}.` };
    else {
      process.stderr.write(`tensorscope: ${err.stack ?? err.message}\n`);
      reply = { id: m.id, ok: false, status: 500, message: `internal error: ${err.message}` };
    }
  }
  parentPort!.postMessage(reply);
});

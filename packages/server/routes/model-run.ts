/**
 * The model view's Run panel: runs a served ONNX model on an input with the runtime (ONNX Runtime
 * capture of every intermediate; TF.js Grad-CAM) and serves the images of the last runs.
 *
 *   POST /api/models/:i/run[?input=random][&name=F][&preset=P&mean=..&std=..][&gradcam=LAYER|auto][&class=N]
 *        body: a PNG/JPEG, a .npy or a JSON array -> statistics per tensor (as `tensorscope run --json`)
 *   POST /api/models/:i/runs/:id/gradcam?layer=LAYER|auto[&class=N]   -> the map and its overlay's URL
 *   GET  /api/models/:i/runs/:id/feature-map?tensor=T        PNG grid of the C maps of item 0
 *   GET  /api/models/:i/runs/:id/attention?tensor=T&head=H   PNG heatmap of one head
 *   GET  /api/models/:i/runs/:id/gradcam/:g                  PNG Grad-CAM overlay on the input
 *
 * POSTs must say `Content-Type: application/octet-stream`: a cross-site form cannot send that without a
 * CORS preflight, which this server never grants. Runs go one at a time; only the last RUNS_KEPT runs
 * keep tensors (feature maps and attention maps up to KEEP_BYTES each), so memory stays bounded.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileSource } from '@tensorscope/formats/node-source';
import type { CaptureResult, CaptureSession, Feed, TensorRecord, TfjsExecutor } from '@tensorscope/runtime';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, optionalNumber } from '../http-error';
import { bodyFeed, inputName, normalization } from './model-run-input';

type Runtime = typeof import('@tensorscope/runtime');
type Query = Record<string, unknown>;

export const BODY_LIMIT = 64 << 20;
const RUNS_KEPT = 2;
const KEEP_BYTES = 256 << 20;
const MAX_WAITING = 4;

// loaded on the first run: ONNX Runtime and TF.js are big, and most servers never run a model
let runtimeModule: Promise<Runtime> | undefined;
const runtime = () => {
  runtimeModule ??= import('@tensorscope/runtime');
  return runtimeModule;
};

/** One piece of heavy work at a time (captures and Grad-CAMs share the CPU and the cached session). */
let queue: Promise<unknown> = Promise.resolve();
let waiting = 0;
function serial<T>(work: () => Promise<T>): Promise<T> {
  if (waiting >= MAX_WAITING)
    throw new HttpError(429, `${waiting} runs are already waiting; try again when they are done.`);
  waiting++;
  const next = queue.then(work, work).finally(() => waiting--);
  queue = next.catch(() => undefined);
  return next;
}

interface Opened {
  path: string;
  mtimeMs: number;
  session: CaptureSession;
  executor?: TfjsExecutor;
}

interface Cam {
  layer: string;
  /** the class asked for; undefined for the top-scoring one */
  requested?: number;
  classIndex: number;
  shape: [number, number];
  map: Float32Array;
  png: Buffer;
}

interface KeptRun {
  id: number;
  model: number;
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

async function release(o: Opened | undefined): Promise<void> {
  o?.executor?.dispose();
  await o?.session.release().catch(() => undefined);
}

async function openSession(rt: Runtime, path: string): Promise<Opened> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) throw new HttpError(404, `model file ${basename(path)} is no longer there.`);
  if (opened?.path === path && opened.mtimeMs === st.mtimeMs) return opened;
  await release(opened);
  opened = undefined;
  const { detectFormat } = await import('@tensorscope/formats/open');
  const format = await detectFormat(await fileSource(path));
  if (format?.id !== 'onnx')
    throw new HttpError(
      400,
      `${basename(path)}: is ${format ? `a ${format.id} model` : 'not a recognized model'}, and the runtime runs ONNX models only; export it to ONNX (e.g. torch.onnx.export(model, x, "model.onnx")) and serve that.`,
    );
  opened = { path, mtimeMs: st.mtimeMs, session: await rt.CaptureSession.open(path) };
  return opened;
}

/** Runs `fn`, turning the runtime's bad-input errors into 400 answers. */
async function answering<T>(fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await runtime();
  try {
    return await fn(rt);
  } catch (e) {
    if (e instanceof rt.InputError) throw new HttpError(400, `${e.message}.`);
    throw e;
  }
}

function modelPath(models: readonly string[], req: FastifyRequest): { index: number; path: string } {
  const raw = (req.params as { i: string }).i;
  const index = Number(raw);
  const path = Number.isInteger(index) ? models[index] : undefined;
  if (!path) throw new HttpError(404, `no model number ${raw}.`);
  return { index, path };
}

function keptRun(req: FastifyRequest): KeptRun {
  const { i, id } = req.params as { i: string; id: string };
  const run = runs.get(Number(id));
  if (!run || String(run.model) !== i)
    throw new HttpError(404, `run ${id} of model ${i} is no longer kept; run the model again.`);
  return run;
}

function requireOctetStream(req: FastifyRequest): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/octet-stream')
    throw new HttpError(415, 'send the input with Content-Type: application/octet-stream.');
}

const isMap = (t: TensorRecord) =>
  t.dtype === 'float32' && t.shape.length === 4 && t.shape[2] * t.shape[3] > 1;

/** A tensor's entry, the same shape as `tensorscope run --json` prints. */
function tensorJson(t: TensorRecord) {
  const s = t.stats;
  return {
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

function camJson(model: number, run: KeptRun, g: number) {
  const c = run.cams[g];
  return {
    layer: c.layer,
    class: c.classIndex,
    shape: c.shape,
    map: Array.from(c.map),
    image: `/api/models/${model}/runs/${run.id}/gradcam/${g}`,
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
  const tf = await import('@tensorflow/tfjs');
  o.executor ??= await rt.TfjsExecutor.create(o.session.model, basename(o.path));
  const x = tf.tensor(run.feed.data as Float32Array, run.feed.shape);
  try {
    const cam = rt.gradCam(o.executor, x, layer, { input: run.feed.name, classIndex: classQ });
    const png = rt.encodePng(rt.camOverlay(cam.map, cam.shape, run.feed));
    run.cams.push({ layer, requested: classQ, ...cam, png });
    return run.cams.length - 1;
  } finally {
    x.dispose();
  }
}

function sendPng(reply: FastifyReply, png: Buffer) {
  return reply.type('image/png').header('Cache-Control', 'private, max-age=3600').send(png);
}

export function modelRunRoutes(app: FastifyInstance, models: readonly string[]): void {
  // an encapsulated scope: the binary body parser and its size limit apply to these routes only
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: BODY_LIMIT },
      (_req, body, done) => done(null, body),
    );
    scope.addHook('onRequest', async (req) => {
      if (Number(req.headers['content-length'] ?? 0) > BODY_LIMIT)
        throw new HttpError(413, `the input is larger than ${BODY_LIMIT >> 20} MB, the most a run accepts.`);
    });

    scope.post('/api/models/:i/run', { bodyLimit: BODY_LIMIT }, async (req) => {
      requireOctetStream(req);
      const { index, path } = modelPath(models, req);
      const q = req.query as Query;
      const body = req.body instanceof Buffer ? new Uint8Array(req.body) : new Uint8Array();
      const random = q.input === 'random';
      if (q.input !== undefined && !random)
        throw new HttpError(
          400,
          `"input" can only be random (other inputs are sent as the body), not ${JSON.stringify(q.input)}.`,
        );
      if (!random && !body.length)
        throw new HttpError(
          400,
          'the request has no input: send an image, a .npy or a JSON array as the body, or ask for ?input=random.',
        );
      const classQ = optionalNumber(q, 'class', 0);
      const layerQ = typeof q.gradcam === 'string' && q.gradcam ? q.gradcam : undefined;
      return serial(() =>
        answering(async (rt) => {
          const norm = normalization(q, rt.PRESETS);
          const o = await openSession(rt, path);
          const s = o.session;
          if (!s.inputs.length) throw new HttpError(400, `${basename(path)}: has no input to feed.`);
          const feeds = await Promise.all(
            s.inputs.map((v, k) =>
              k > 0
                ? rt.randomFeed(v, k)
                : random
                  ? rt.randomFeed(v)
                  : bodyFeed(rt, body, inputName(q), v, norm),
            ),
          );
          const output = s.graph.outputs[0]?.name;
          const run: KeptRun = {
            id: nextRun++,
            model: index,
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

          const tensors: Record<string, ReturnType<typeof tensorJson>> = {};
          for (const t of result.tensors) tensors[t.name] = tensorJson(t);
          const outRecord = result.tensors.find((t) => t.name === output);
          const unsupported = rt.TfjsExecutor.unsupported(s.graph);
          let gradcam: ReturnType<typeof camJson> | undefined;
          if (layerQ) gradcam = camJson(index, run, await gradCam(rt, o, run, layerQ, classQ));
          const base = `/api/models/${index}/runs/${run.id}`;
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
              ? `the TF.js executor behind Grad-CAM does not support the op${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')}`
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
                    { length: result.tensors.find((t) => t.name === n)?.attention?.heads ?? 0 },
                    (_, h) => `${base}/attention?tensor=${encodeURIComponent(n)}&head=${h}`,
                  ),
                ]),
              ),
            },
          };
        }),
      );
    });

    scope.post('/api/models/:i/runs/:id/gradcam', async (req) => {
      requireOctetStream(req);
      const { index, path } = modelPath(models, req);
      const run = keptRun(req);
      const q = req.query as Query;
      const layer = typeof q.layer === 'string' && q.layer ? q.layer : 'auto';
      const classQ = optionalNumber(q, 'class', 0);
      return serial(() =>
        answering(async (rt) => {
          const o = await openSession(rt, path);
          return camJson(index, run, await gradCam(rt, o, run, layer, classQ));
        }),
      );
    });

    scope.get('/api/models/:i/runs/:id/gradcam/:g', async (req, reply) => {
      const run = keptRun(req);
      const cam = run.cams[Number((req.params as { g: string }).g)];
      if (!cam)
        throw new HttpError(404, `run ${run.id} has no Grad-CAM number ${(req.params as { g: string }).g}.`);
      return sendPng(reply, cam.png);
    });

    scope.get('/api/models/:i/runs/:id/feature-map', async (req, reply) => {
      const run = keptRun(req);
      const name = (req.query as Query).tensor;
      const t = typeof name === 'string' ? run.tensors.get(name) : undefined;
      if (!t || run.attention.has(name as string))
        throw new HttpError(404, `run ${run.id} kept no feature maps of tensor ${JSON.stringify(name)}.`);
      const rt = await runtime();
      return sendPng(reply, rt.encodePng(rt.featureGrid(t.data, t.shape)));
    });

    scope.get('/api/models/:i/runs/:id/attention', async (req, reply) => {
      const run = keptRun(req);
      const q = req.query as Query;
      const t =
        typeof q.tensor === 'string' && run.attention.has(q.tensor) ? run.tensors.get(q.tensor) : undefined;
      if (!t) throw new HttpError(404, `run ${run.id} kept no attention map ${JSON.stringify(q.tensor)}.`);
      const keys = t.shape[t.shape.length - 1];
      const queries = t.shape[t.shape.length - 2];
      const heads = t.data.length / (keys * queries);
      const head = optionalNumber(q, 'head', 0, heads - 1) ?? 0;
      if (!Number.isInteger(head)) throw new HttpError(400, `"head" must be a whole number, not ${head}.`);
      const one = t.data.subarray(head * queries * keys, (head + 1) * queries * keys);
      const rt = await runtime();
      return sendPng(reply, rt.encodePng(rt.featureGrid(one, [1, 1, queries, keys])));
    });
  });
}

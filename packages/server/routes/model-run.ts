/**
 * The model view's Run panel: runs a served ONNX model on an input with the runtime (ONNX Runtime
 * capture of every intermediate; TF.js Grad-CAM) and serves the images of the last runs.
 *
 *   POST /api/models/:i/run[?input=random][&name=F][&preset=P&mean=..&std=..][&gradcam=LAYER|auto][&class=N]
 *        body: a PNG/JPEG, a .npy or a JSON array -> statistics per tensor (as `tensorscope run --json`)
 *   POST /api/models/:i/prepare    opens the model for running ahead of the first run -> {inputs}
 *   POST /api/models/:i/runs/:id/gradcam?layer=LAYER|auto[&class=N]   -> the map and its overlay's URL
 *   GET  /api/models/:i/runs/:id/feature-map?tensor=T        PNG grid of the C maps of item 0
 *   GET  /api/models/:i/runs/:id/attention?tensor=T&head=H   PNG heatmap of one head
 *   GET  /api/models/:i/runs/:id/gradcam/:g                  PNG Grad-CAM overlay on the input
 *
 * POSTs must say `Content-Type: application/octet-stream`: a cross-site form cannot send that without a
 * CORS preflight, which this server never grants. Runs go one at a time, in a worker thread
 * (model-run-worker.ts) that keeps the last runs' tensors within a memory budget.
 */
import { Worker } from 'node:worker_threads';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, optionalNumber } from '../http-error';
import type { WorkerReply, WorkerRequest } from './model-run-worker';

type Query = Record<string, unknown>;

export const BODY_LIMIT = 64 << 20;
const MAX_WAITING = 4;

/**
 * The worker thread doing the heavy work (one per app), started on the first request and restarted
 * after a crash; `serial` runs captures and Grad-CAMs one at a time (they share the CPU and the
 * worker's one open model).
 */
class Runner {
  private worker: Worker | undefined;
  private nextCall = 1;
  private readonly calls = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  call<T>(request: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    const w = this.worker ?? this.start();
    const id = this.nextCall++;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage({ id, ...request }, transfer);
    });
  }

  serial<T>(work: () => Promise<T>): Promise<T> {
    if (this.waiting >= MAX_WAITING)
      throw new HttpError(429, `${this.waiting} runs are already waiting; try again when they are done.`);
    this.waiting++;
    const next = this.queue.then(work, work).finally(() => this.waiting--);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }

  private start(): Worker {
    const w = new Worker(new URL('./model-run-worker.mjs', import.meta.url));
    w.unref(); // a server closing does not wait for it
    w.on('message', (r: WorkerReply) => {
      const c = this.calls.get(r.id);
      this.calls.delete(r.id);
      if (!c) return;
      if (r.ok) c.resolve(r.value);
      else c.reject(new HttpError(r.status, r.message));
    });
    w.on('error', (e) => this.fail(w, new HttpError(500, `the model runner failed: ${e.message}`)));
    w.on('exit', (code) => this.fail(w, new HttpError(500, `the model runner stopped (exit code ${code}).`)));
    this.worker = w;
    return w;
  }

  private fail(w: Worker, e: Error): void {
    if (this.worker !== w) return;
    for (const c of this.calls.values()) c.reject(e);
    this.calls.clear();
    this.worker = undefined;
  }
}

function modelPath(models: readonly string[], req: FastifyRequest): { index: number; path: string } {
  const raw = (req.params as { i: string }).i;
  const index = Number(raw);
  const path = Number.isInteger(index) ? models[index] : undefined;
  if (!path) throw new HttpError(404, `no model number ${raw}.`);
  return { index, path };
}

function runParams(req: FastifyRequest): { model: number; run: number } {
  const { i, id } = req.params as { i: string; id: string };
  const [model, run] = [Number(i), Number(id)];
  if (!Number.isInteger(model) || !Number.isInteger(run))
    throw new HttpError(404, `run ${id} of model ${i} is no longer kept; run the model again.`);
  return { model, run };
}

function requireOctetStream(req: FastifyRequest): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/octet-stream')
    throw new HttpError(415, 'send the input with Content-Type: application/octet-stream.');
}

function sendPng(reply: FastifyReply, png: Uint8Array) {
  return reply
    .type('image/png')
    .header('Cache-Control', 'no-store') // run numbers start over with the server
    .send(Buffer.from(png.buffer, png.byteOffset, png.length));
}

export function modelRunRoutes(app: FastifyInstance, models: readonly string[]): void {
  // an encapsulated scope: the binary body parser and its size limit apply to these routes only
  const runner = new Runner();
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

    scope.addHook('onClose', async () => {
      await runner.close();
    });

    scope.post('/api/models/:i/run', { bodyLimit: BODY_LIMIT }, async (req) => {
      requireOctetStream(req);
      const { index, path } = modelPath(models, req);
      const q = req.query as Query;
      const body = req.body instanceof Buffer ? new Uint8Array(req.body) : new Uint8Array();
      if (q.input !== undefined && q.input !== 'random')
        throw new HttpError(
          400,
          `"input" can only be random (other inputs are sent as the body), not ${JSON.stringify(q.input)}.`,
        );
      if (q.input !== 'random' && !body.length)
        throw new HttpError(
          400,
          'the request has no input: send an image, a .npy or a JSON array as the body, or ask for ?input=random.',
        );
      const query = { ...q, class: optionalNumber(q, 'class', 0) };
      return runner.serial(() =>
        runner.call({ op: 'run', model: index, path, body, query }, [body.buffer as ArrayBuffer]),
      );
    });

    scope.post('/api/models/:i/prepare', async (req) => {
      requireOctetStream(req);
      const { path } = modelPath(models, req);
      return runner.serial(() => runner.call({ op: 'prepare', path }));
    });

    scope.post('/api/models/:i/runs/:id/gradcam', async (req) => {
      requireOctetStream(req);
      const { index, path } = modelPath(models, req);
      const { run } = runParams(req);
      const q = req.query as Query;
      const layer = typeof q.layer === 'string' && q.layer ? q.layer : 'auto';
      const classIndex = optionalNumber(q, 'class', 0);
      return runner.serial(() => runner.call({ op: 'gradcam', model: index, path, run, layer, classIndex }));
    });

    scope.get('/api/models/:i/runs/:id/gradcam/:g', async (req, reply) => {
      const index = Number((req.params as { g: string }).g);
      return sendPng(reply, await runner.call({ op: 'gradcam-image', ...runParams(req), index }));
    });

    scope.get('/api/models/:i/runs/:id/feature-map', async (req, reply) => {
      const tensor = String((req.query as Query).tensor ?? '');
      return sendPng(reply, await runner.call({ op: 'feature-map', ...runParams(req), tensor }));
    });

    scope.get('/api/models/:i/runs/:id/attention', async (req, reply) => {
      const q = req.query as Query;
      const head = optionalNumber(q, 'head', 0) ?? 0;
      return sendPng(
        reply,
        await runner.call({ op: 'attention', ...runParams(req), tensor: String(q.tensor ?? ''), head }),
      );
    });
  });
}

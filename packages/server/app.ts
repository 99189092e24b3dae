/** The Fastify app: security, the dashboard API routes, SSE, the model hook and the built UI. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { Store } from '@tensorscope/store';
import Fastify, { type FastifyInstance } from 'fastify';
import { HttpError } from './http-error';
import { blobRoutes } from './routes/blob';
import { customScalarsRoutes } from './routes/custom-scalars';
import { doctorRoutes } from './routes/doctor';
import { hparamsRoutes } from './routes/hparams';
import { modelsRoutes } from './routes/models';
import { pointsRoutes } from './routes/points';
import { runsRoutes } from './routes/runs';
import { scalarsRoutes } from './routes/scalars';
import { secure } from './security';
import type { EventHub } from './sse';

export const VERSION = '0.1.0';

export interface AppOptions {
  store: Store;
  hub: EventHub;
  /** packages/ui/dist; without it `/` explains how to build the UI */
  uiDir?: string;
  models?: readonly string[];
  token?: string;
  loopback: boolean;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  secure(app, { token: opts.token, loopback: opts.loopback });
  app.setErrorHandler((e, _req, reply) => {
    const err = e instanceof Error ? e : new Error(String(e));
    if (err instanceof HttpError) return reply.code(err.status).send({ error: err.message });
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return reply.code(status).send({ error: err.message });
    process.stderr.write(`tensorscope: ${err.stack ?? err.message}\n`);
    return reply.code(500).send({ error: `internal error: ${err.message}` });
  });

  app.get('/api/health', async () => ({ ok: true, version: VERSION }));
  runsRoutes(app, opts.store);
  scalarsRoutes(app, opts.store);
  pointsRoutes(app, opts.store);
  blobRoutes(app, opts.store);
  hparamsRoutes(app, opts.store);
  customScalarsRoutes(app, opts.store);
  doctorRoutes(app, opts.store, opts.hub);
  modelsRoutes(app, opts.models ?? []);
  opts.hub.routes(app);

  const ui = opts.uiDir && existsSync(join(opts.uiDir, 'index.html')) ? opts.uiDir : undefined;
  if (ui) {
    await app.register(fastifyStatic, {
      root: ui,
      index: 'index.html',
      wildcard: false,
      // Vite names every built asset by its content hash: a reload need not revalidate them
      setHeaders: (reply, path) => {
        if (/[\\/]assets[\\/]/.test(path))
          reply.header('Cache-Control', 'public, max-age=31536000, immutable');
      },
    });
  }
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/') || req.method !== 'GET') {
      return reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}.` });
    }
    if (!ui) {
      return reply
        .type('text/plain; charset=utf-8')
        .send('The tensorscope UI is not built: run `npm run build -w @tensorscope/ui`, then reload.\n');
    }
    // single-page app: every other path is the app
    return reply.type('text/html; charset=utf-8').sendFile('index.html');
  });
  return app;
}

/**
 * The model viewer's hook: paths given to `serve` that are not directories are model files.
 * GET /api/models lists them; GET /api/models/:i/file streams the raw bytes, which the browser parses
 * (formats is isomorphic). Only the listed files can be read: the index is the only input.
 * ONNX models can also be run (model-run.ts).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http-error';
import { modelRunRoutes } from './model-run';

export function modelsRoutes(app: FastifyInstance, models: readonly string[]): void {
  app.get('/api/models', async () => ({
    models: await Promise.all(
      models.map(async (path, index) => ({
        index,
        name: basename(path),
        bytes: (await stat(path).catch(() => undefined))?.size ?? null,
      })),
    ),
  }));
  app.get('/api/models/:i/file', async (req, reply) => {
    const i = Number((req.params as { i: string }).i);
    const path = Number.isInteger(i) ? models[i] : undefined;
    if (!path) throw new HttpError(404, `no model number ${(req.params as { i: string }).i}.`);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) throw new HttpError(404, `model file ${basename(path)} is no longer there.`);
    reply.type('application/octet-stream').header('Content-Length', st.size);
    reply.header('Content-Disposition', `attachment; filename="${encodeURIComponent(basename(path))}"`);
    return reply.send(createReadStream(path));
  });
  modelRunRoutes(app, models);
}

/**
 * GET /api/blob?run=R&tag=T&step=S&index=I: an image's or audio clip's bytes, with its real content
 * type. Only known media types are served as themselves; anything else goes out as an
 * application/octet-stream attachment, so a file's bytes can never become a page (no text/html, nosniff).
 */
import type { Store } from '@tensorscope/store';
import type { FastifyInstance } from 'fastify';
import { HttpError, optionalNumber, requiredString } from '../http-error';

const MEDIA = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'audio/wav',
  'audio/x-wav',
  'audio/flac',
  'audio/ogg',
  'audio/mpeg',
]);

export function blobRoutes(app: FastifyInstance, store: Store): void {
  app.get('/api/blob', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const run = requiredString(q, 'run');
    const tag = requiredString(q, 'tag');
    const step = optionalNumber(q, 'step');
    if (step === undefined) throw new HttpError(400, 'the "step" parameter is required.');
    const index = optionalNumber(q, 'index', 0, 1e9) ?? 0;
    const blob = await store.blob(run, tag, step, Math.floor(index));
    if (!blob) throw new HttpError(404, `run "${run}" tag "${tag}" has no blob ${index} at step ${step}.`);
    if (MEDIA.has(blob.contentType)) reply.type(blob.contentType);
    else reply.type('application/octet-stream').header('Content-Disposition', 'attachment');
    return Buffer.from(blob.data.buffer, blob.data.byteOffset, blob.data.byteLength);
  });
}

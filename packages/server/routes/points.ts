/**
 * Per-kind point routes: GET /api/{histograms,images,audio,text,pr_curves}?run=R&tag=T ->
 * {"points":[{"step","wall_time",...}]}. The bodies were made API-ready at ingest (ingest/encode-point),
 * so a response is their concatenation, with no decoding per request.
 */
import type { Kind } from '@tensorscope/formats/tfevents';
import type { Store } from '@tensorscope/store';
import type { FastifyInstance } from 'fastify';
import { HttpError, requiredString } from '../http-error';

const ROUTES: Record<string, Kind> = {
  histograms: 'histogram',
  images: 'image',
  audio: 'audio',
  text: 'text',
  pr_curves: 'pr_curve',
};

/** The store's points of run/tag, checked to be of `kind`; 404/400 with a message otherwise. */
export async function pointsOf(store: Store, run: string, tag: string, kind: Kind) {
  const info = store.tag(run, tag);
  if (!info) throw new HttpError(404, `run "${run}" has no tag "${tag}".`);
  if (info.kind !== kind)
    throw new HttpError(400, `tag "${tag}" of run "${run}" holds ${info.kind} data, not ${kind}.`);
  return store.points(run, tag);
}

export function pointsRoutes(app: FastifyInstance, store: Store): void {
  for (const [route, kind] of Object.entries(ROUTES)) {
    app.get(`/api/${route}`, async (req, reply) => {
      const q = req.query as Record<string, unknown>;
      const points = await pointsOf(store, requiredString(q, 'run'), requiredString(q, 'tag'), kind);
      const items = points.map((p) => {
        const head = `{"step":${json(p.step)},"wall_time":${json(p.wallTime)}`;
        return p.body.length > 2 ? `${head},${p.body.slice(1)}` : `${head}}`;
      });
      reply.type('application/json; charset=utf-8');
      return `{"points":[${items.join(',')}]}`;
    });
  }
}

function json(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

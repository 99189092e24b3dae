/**
 * GET /api/scalars?tag=T&runs=a,b&width=1500[&xmin=&xmax=][&x=step|wall_time][&max_points=N]
 *
 * Every point is in the store; a chart gets min/max/first/last per pixel bucket (M4), so a spike is
 * never lost, and full resolution once the [xmin, xmax] range holds at most 4 points per bucket. A
 * request for many runs shares a budget of `max_points` (default 50,000): the bucket count per run
 * becomes max_points / (4 x runs) when that is below the width. Non-finite values go out as null
 * with a `nonfinite` list (JSON has no NaN).
 */
import type { Store } from '@tensorscope/store';
import type { FastifyInstance } from 'fastify';
import { oneOf, optionalNumber, requiredString, stringList } from '../http-error';
import { type ChartView, downsample } from './scalars-downsample';
import { JsonOut } from './scalars-json';

export const DEFAULT_MAX_POINTS = 50_000;
/** One response at most this many points (~60 MB of JSON): a bigger one stalls the server and the page. */
export const MAX_POINTS_CAP = 2_000_000;
export function scalarsRoutes(app: FastifyInstance, store: Store): void {
  app.get('/api/scalars', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const tag = requiredString(q, 'tag');
    const width = Math.floor(optionalNumber(q, 'width', 1, 100_000) ?? 1000);
    const xmin = optionalNumber(q, 'xmin');
    const xmax = optionalNumber(q, 'xmax');
    const x = oneOf(q, 'x', ['step', 'wall_time'] as const, 'step');
    const maxPoints = optionalNumber(q, 'max_points', 100, MAX_POINTS_CAP) ?? DEFAULT_MAX_POINTS;
    let runs = stringList(q, 'runs');
    if (!runs) {
      runs = (await store.runs())
        .filter((r) => r.tags.some((t) => t.tag === tag && t.kind === 'scalar'))
        .map((r) => r.name);
    }
    const found = runs.filter((r) => store.tag(r, tag)?.kind === 'scalar');
    const buckets = Math.max(1, Math.min(width, Math.floor(maxPoints / (4 * Math.max(1, found.length)))));
    const view: ChartView = { x, buckets, xmin, xmax };
    // the bytes of JSON.stringify({ tag, series }), into a reused buffer (scalars-json.ts)
    const out = new JsonOut();
    out.write(`{"tag":${JSON.stringify(tag)},"series":[`);
    let first = true;
    await store.scanScalars(found, tag, (run, cols) => {
      if (!first) out.write(',');
      out.write(JSON.stringify(downsample(run, cols, view)));
      first = false;
    });
    out.write(']}');
    // back to the pool once the socket has the bytes; an aborted answer keeps its buffer
    reply.raw.once('finish', () => out.release());
    reply.type('application/json; charset=utf-8');
    return out.bytes();
  });
}

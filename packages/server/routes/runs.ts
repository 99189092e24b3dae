/**
 * GET /api/runs: every run with its tags (kind, count, step range) and its read warnings.
 * GET /api/tags: every distinct tag with its kind (`{"tags":[{"tag","kind"}]}`, by tag then kind): a
 * few hundred bytes the page can read before the run list (1.7 MB for 1,000 runs x 20 tags), to ask
 * for its first chart's data at once.
 */

import type { RunSummary, Store } from '@tensorscope/store';
import type { FastifyInstance } from 'fastify';

export function runsRoutes(app: FastifyInstance, store: Store): void {
  // store.runs() returns the same array until the index changes: both answers are built once per
  // change instead of once per page load
  let cached: { runs: RunSummary[]; body: string; tags: string } | undefined;
  const current = async () => {
    const runs = await store.runs();
    if (cached?.runs !== runs) cached = { runs, body: JSON.stringify({ runs }), tags: tagsJson(runs) };
    return cached;
  };
  app.get('/api/runs', async (_req, reply) =>
    reply.type('application/json; charset=utf-8').send((await current()).body),
  );
  app.get('/api/tags', async (_req, reply) =>
    reply.type('application/json; charset=utf-8').send((await current()).tags),
  );
}

function tagsJson(runs: RunSummary[]): string {
  const seen = new Map<string, { tag: string; kind: string }>();
  for (const r of runs)
    for (const t of r.tags) seen.set(`${t.kind}\u0000${t.tag}`, { tag: t.tag, kind: t.kind });
  const tags = [...seen.values()].sort((a, b) =>
    a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0,
  );
  return JSON.stringify({ tags });
}

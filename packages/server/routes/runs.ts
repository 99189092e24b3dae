/** GET /api/runs: every run with its tags (kind, count, step range) and its read warnings. */

import type { Store } from '@tensorscope/store';
import type { FastifyInstance } from 'fastify';

export function runsRoutes(app: FastifyInstance, store: Store): void {
  app.get('/api/runs', async () => ({ runs: await store.runs() }));
}

/**
 * GET /api/doctor            -> {"runs":[{"run","counts":{"error","warning","info"},"ids":[...]}],"pending":N}
 * GET /api/doctor?detail=1   -> the same, each run with its full `problems`, `checked` and `missing`
 * GET /api/doctor?run=R      -> {"runs":[{"run","problems":[...],"checked":[...],"missing":[...]}]}
 *                               (`tensorscope doctor --json` for that run, plus what was checked)
 *
 * The first request starts diagnosing every run in the background; a summary waits up to a second
 * for it and lists the runs done so far (`pending` more follow as SSE `doctor` events).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '@tensorscope/store';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http-error';
import type { EventHub } from '../sse';
import { DoctorService, summarize } from './doctor-service';

const SUMMARY_WAIT_MS = 1000;
/** the background diagnosis waits this long after the last other request (up to a second per run) */
const QUIET_MS = 750;

export function doctorRoutes(app: FastifyInstance, store: Store, hub: EventHub): void {
  // requests in flight besides the event stream and the doctor's own, and the end of the last one:
  // chart requests come first, and a page loading (its requests come in bursts, with its own parsing
  // and drawing between them on the same cores) is left alone until it has been quiet for a moment
  let active = 0;
  let lastEnd = 0;
  app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/api/events') || req.url?.startsWith('/api/doctor')) return;
    active++;
    res.once('close', () => {
      active--;
      lastEnd = performance.now();
    });
  });
  const busy = () => active > 0 || performance.now() - lastEnd < QUIET_MS;
  const doctor = new DoctorService(store, hub, 2000, busy);
  app.addHook('onClose', async () => doctor.close());
  app.get('/api/doctor', async (req) => {
    const q = req.query as Record<string, unknown>;
    if (q.run !== undefined) {
      if (typeof q.run !== 'string' || !q.run)
        throw new HttpError(400, 'parameter "run" must be one run name.');
      const result = await doctor.one(q.run);
      if (!result) throw new HttpError(404, `no run "${q.run}".`);
      return { runs: [result] };
    }
    const done = doctor.all();
    await Promise.race([done, new Promise((r) => setTimeout(r, SUMMARY_WAIT_MS).unref())]);
    const { runs, pending } = await doctor.summary();
    const detail = q.detail === '1' || q.detail === 'true';
    return { runs: runs.map((r) => (detail ? { ...summarize(r), ...r } : summarize(r))), pending };
  });
}

/**
 * GET /api/hparams: one session per run that logged hparams (session_start_info), with its
 * hyperparameters, its status (session_end_info) and the last value of each metric tag in that run.
 * Columns come from the experiment summary when one was written, else from the values seen.
 */
import type { HparamsValue, HparamValue } from '@tensorscope/formats/tfevents';
import type { Store } from '@tensorscope/store';
import type { FastifyInstance } from 'fastify';

const STATUS = ['unknown', 'success', 'failure', 'running'];
const TYPES = ['', 'string', 'bool', 'float'];

interface Session {
  run: string;
  hparams: Record<string, HparamValue>;
  metrics: Record<string, number | null>;
  status: string;
}

export function hparamsRoutes(app: FastifyInstance, store: Store): void {
  app.get('/api/hparams', async () => {
    const hparams = new Map<string, string>();
    const metrics = new Set<string>();
    const sessions: Session[] = [];
    for (const run of await store.runs()) {
      let start: HparamsValue['sessionStart'];
      let end: HparamsValue['sessionEnd'];
      for (const t of run.tags.filter((t) => t.kind === 'hparams')) {
        for (const p of await store.points(run.name, t.tag)) {
          const v = (JSON.parse(p.body) as { hparams: HparamsValue }).hparams;
          for (const info of v.experiment?.hparamInfos ?? [])
            hparams.set(info.name, TYPES[info.type] || 'string');
          for (const m of v.experiment?.metricInfos ?? []) metrics.add(m.tag);
          start = v.sessionStart ?? start;
          end = v.sessionEnd ?? end;
        }
      }
      if (!start) continue;
      for (const [name, value] of Object.entries(start.hparams)) {
        if (!hparams.has(name))
          hparams.set(
            name,
            typeof value === 'number' ? 'float' : typeof value === 'boolean' ? 'bool' : 'string',
          );
      }
      sessions.push({
        run: run.name,
        hparams: start.hparams,
        metrics: {},
        status: STATUS[end?.status ?? 0] ?? 'unknown',
      });
    }
    // without an experiment summary, a session's metrics are its runs' scalars named hparam/... or any scalar
    const metricTags = metrics.size ? [...metrics] : undefined;
    for (const s of sessions) {
      const run = (await store.runs()).find((r) => r.name === s.run);
      const tags = metricTags ?? run?.tags.filter((t) => t.kind === 'scalar').map((t) => t.tag) ?? [];
      for (const tag of tags) {
        const cols = (await store.scalars([s.run], tag)).get(s.run);
        if (!cols?.values.length) continue;
        const v = cols.values[cols.values.length - 1];
        s.metrics[tag] = Number.isFinite(v) ? v : null;
        if (!metricTags) metrics.add(tag);
      }
    }
    return {
      hparams: [...hparams].map(([name, type]) => ({ name, type })),
      metrics: [...metrics].map((tag) => ({ tag })),
      sessions,
    };
  });
}

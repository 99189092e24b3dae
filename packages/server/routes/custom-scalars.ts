/** GET /api/custom_scalars: the custom-scalars layouts written by runs (tensorboardX add_custom_scalars). */
import type { CustomScalarLayout } from '@tensorscope/formats/tfevents';
import type { Store } from '@tensorscope/store';
import type { FastifyInstance } from 'fastify';

export function customScalarsRoutes(app: FastifyInstance, store: Store): void {
  app.get('/api/custom_scalars', async () => {
    const layouts: { run: string; categories: CustomScalarLayout['categories'] }[] = [];
    for (const run of await store.runs()) {
      for (const t of run.tags.filter((t) => t.kind === 'custom_scalars')) {
        const points = await store.points(run.name, t.tag);
        const last = points[points.length - 1];
        if (last)
          layouts.push({
            run: run.name,
            categories: (JSON.parse(last.body) as { layout: CustomScalarLayout }).layout.categories,
          });
      }
    }
    return { layouts };
  });
}

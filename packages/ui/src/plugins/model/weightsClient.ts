/** Weight statistics in a worker. */
import type { NumericArray } from '@tensorscope/analysis/model';
import type { WeightSummary } from './weightSummary';
import type { WeightReply, WeightRequest } from './weights.worker';

let worker: Worker | null = null;
let next = 0;
const waiting = new Map<number, (r: WeightReply) => void>();

export function summarizeInWorker(data: NumericArray): Promise<WeightSummary> {
  if (!worker) {
    worker = new Worker(new URL('./weights.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<WeightReply>) => {
      waiting.get(e.data.id)?.(e.data);
      waiting.delete(e.data.id);
    };
  }
  const id = ++next;
  const w = worker;
  return new Promise((resolve) => {
    waiting.set(id, (r) => resolve({ stats: r.stats, histogram: r.histogram }));
    const req: WeightRequest = { id, data };
    w.postMessage(req);
  });
}

/** One layout worker per page; the latest request wins (older replies are dropped). */
import type { CompoundInput, CompoundLayout } from '@tensorscope/analysis/layout';
import type { LayoutReply, LayoutRequest } from './layout.worker';

let worker: Worker | null = null;
let next = 0;
const waiting = new Map<number, (r: LayoutReply) => void>();

function getWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<LayoutReply>) => {
      waiting.get(e.data.id)?.(e.data);
      waiting.delete(e.data.id);
    };
  }
  return worker;
}

/** Resolves with the layout and the milliseconds the worker spent on it. */
export function layoutInWorker(input: CompoundInput): Promise<{ layout: CompoundLayout; millis: number }> {
  const id = ++next;
  return new Promise((resolve) => {
    waiting.set(id, (r) => resolve({ layout: r.layout, millis: r.millis }));
    const req: LayoutRequest = { id, input };
    // the inputs are copied, not transferred: the view keeps using them
    getWorker().postMessage(req);
  });
}

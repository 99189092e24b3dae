import type { XAxis } from '../../lib/viewState';
import { type LineInput, type Prepared, prepareLines } from './prepare';
import type { PrepareRequest } from './prepare.worker';

let worker: Worker | null = null;
let failed = false;
let nextId = 1;
interface Pending {
  resolve(p: Prepared): void;
  req: PrepareRequest;
}
const pending = new Map<number, Pending>();

function getWorker(): Worker | null {
  if (worker || failed) return worker;
  try {
    worker = new Worker(new URL('./prepare.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<{ id: number; out: Prepared }>) => {
      pending.get(e.data.id)?.resolve(e.data.out);
      pending.delete(e.data.id);
    };
    worker.onerror = () => {
      // the worker could not start: finish what was sent to it here, and stop using it
      failed = true;
      worker = null;
      for (const { resolve, req } of pending.values())
        resolve(prepareLines(req.lines, req.smoothing, req.mode, req.log));
      pending.clear();
    };
  } catch {
    failed = true;
  }
  return worker;
}

/** prepareLines in the shared worker; small inputs (and a browser without workers) run inline. */
export function prepareAsync(
  lines: LineInput[],
  smoothing: number,
  mode: XAxis,
  log: boolean,
): Promise<Prepared> {
  let points = 0;
  for (const l of lines) points += l.steps.length;
  const w = points > 20_000 ? getWorker() : null;
  if (!w) return Promise.resolve(prepareLines(lines, smoothing, mode, log));
  const id = nextId++;
  return new Promise((resolve) => {
    const req: PrepareRequest = { id, lines, smoothing, mode, log };
    pending.set(id, { resolve, req });
    w.postMessage(req);
  });
}

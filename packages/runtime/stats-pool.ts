/**
 * The capture's statistics on more than one core: ONNX Runtime leaves the second core idle while the
 * main thread scans its outputs, so the large tensors of a fetched group are split between the main
 * thread and worker threads (largest first, to the least loaded thread) and their buffers transferred,
 * not copied. Each tensor is still computed by the same functions in one thread, so the results are
 * bit-identical to the single-thread path.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { NumericArray } from '@tensorscope/analysis/model';
import { type StatsJob, type StatsResult, statsOf } from './stats-job';

export type { StatsJob, StatsResult } from './stats-job';

/** below this many values a tensor costs less on the main thread than a message to a worker */
export const POOL_MIN = 1 << 16;

export interface StatsThreads {
  /** worker threads (0: everything on the main thread) */
  workers: number;
  /** whether the main thread takes a share too */
  main: boolean;
}

/** one worker plus the main thread when there is a second core */
export const defaultThreads = (): StatsThreads => ({
  workers: availableParallelism() > 1 ? 1 : 0,
  main: true,
});

interface Pending {
  resolve: (r: StatsResult[]) => void;
  reject: (e: Error) => void;
}

/** A statistics job with the data it reads; `back`: the caller needs the data afterwards. */
export interface PoolJob extends StatsJob {
  data: NumericArray;
  back: boolean;
}

/** Worker threads created on first use, unref'd while idle so they never keep a process alive; until a
 * worker has loaded, the main thread (when it takes a share) does all the work. */
export class StatsPool {
  private workers: Worker[] = [];
  /** workers that have loaded their modules */
  private readonly ready = new Set<Worker>();
  private loading: Promise<void>[] = [];
  private readonly pending = new Map<number, { worker: Worker } & Pending>();
  private nextId = 1;

  constructor(readonly threads: StatsThreads) {}

  /** The statistics of every job, in order; the data of `back` jobs is in `data` of their result. */
  async run(jobs: PoolJob[]): Promise<StatsResult[]> {
    if (jobs.some((j) => j.data.length >= POOL_MIN)) this.start();
    // with the main thread working too, a worker still loading (tsx, the modules: most of a second
    // under load) is not waited for: the main thread does its share meanwhile
    const workers = this.threads.main ? this.workers.filter((w) => this.ready.has(w)) : this.workers;
    const lane = assign(jobs, workers.length, this.threads.main);
    if (lane.every((k) => k === -1)) return jobs.map((j) => statsOf(j.data, j));
    const sent = workers.map((w, k) => {
      const mine = jobs.filter((_, i) => lane[i] === k);
      return mine.length ? this.post(w, mine) : Promise.resolve([]);
    });
    const results: StatsResult[] = new Array(jobs.length);
    jobs.forEach((j, i) => {
      if (lane[i] === -1) results[i] = statsOf(j.data, j);
    });
    const answers = await Promise.all(sent);
    workers.forEach((_, k) => {
      let next = 0;
      jobs.forEach((_, i) => {
        if (lane[i] === k) results[i] = answers[k][next++];
      });
    });
    return results;
  }

  /** Starts the workers and resolves once they have loaded (or failed to). */
  async loaded(): Promise<void> {
    this.start();
    const workers = [...this.workers];
    for (const w of workers) w.ref(); // awaited: keep the process alive meanwhile
    await Promise.all(this.loading);
    for (const w of workers) if (![...this.pending.values()].some((p) => p.worker === w)) w.unref();
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    this.ready.clear();
    this.loading = [];
    for (const w of workers) void w.terminate(); // unref'd: not waited for, it keeps nothing alive
  }

  private start(): void {
    while (this.workers.length < this.threads.workers) {
      const w = new Worker(new URL('./stats-thread.mjs', import.meta.url));
      let loaded = () => {};
      this.loading.push(new Promise<void>((resolve) => (loaded = resolve)));
      w.on('message', (m: { id: number; results?: StatsResult[]; error?: string; ready?: true }) => {
        if (m.ready) {
          this.ready.add(w);
          loaded();
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.settle(m.id);
        if (m.results) p.resolve(m.results);
        else p.reject(new Error(m.error));
      });
      const fail = (e: Error) => {
        for (const [id, p] of this.pending)
          if (p.worker === w) {
            this.settle(id);
            p.reject(e);
          }
        this.workers = this.workers.filter((x) => x !== w);
        this.ready.delete(w);
        loaded();
      };
      w.on('error', fail);
      w.on('exit', (code) => fail(new Error(`a statistics thread exited (code ${code})`)));
      w.unref(); // after the listeners (a 'message' listener refs the worker again)
      this.workers.push(w);
    }
  }

  private post(worker: Worker, jobs: PoolJob[]): Promise<StatsResult[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      worker.ref(); // an awaited answer must keep the process alive
      const buffers = jobs.map((j) => j.data.buffer as ArrayBuffer);
      worker.postMessage({ id, jobs }, buffers);
    });
  }

  private settle(id: number): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (p && ![...this.pending.values()].some((q) => q.worker === p.worker)) p.worker.unref();
  }
}

/** whether `data` owns its whole buffer, so transferring it detaches nothing else */
export function transferable(data: NumericArray): boolean {
  return (
    !Array.isArray(data) &&
    data.buffer instanceof ArrayBuffer &&
    data.byteOffset === 0 &&
    data.byteLength === data.buffer.byteLength
  );
}

/**
 * The thread of each job: -1 for the main thread, else a worker index. Small or non-transferable
 * tensors stay on the main thread; the others go, largest first, to the least loaded thread.
 */
export function assign(jobs: PoolJob[], workers: number, main: boolean): number[] {
  const lane = jobs.map(() => -1);
  if (!workers) return lane;
  const load = new Array<number>(workers).fill(0);
  let mainLoad = 0;
  const movable: number[] = [];
  jobs.forEach((j, i) => {
    if (j.data.length >= POOL_MIN && transferable(j.data)) movable.push(i);
    else mainLoad += j.data.length;
  });
  movable.sort((a, b) => jobs[b].data.length - jobs[a].data.length);
  for (const i of movable) {
    let k = 0;
    for (let w = 1; w < workers; w++) if (load[w] < load[k]) k = w;
    if (main && mainLoad < load[k]) {
      mainLoad += jobs[i].data.length;
      continue;
    }
    lane[i] = k;
    load[k] += jobs[i].data.length;
  }
  return lane;
}

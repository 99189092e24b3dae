/** A statistics thread: computes the jobs it is sent and hands back the data the caller still needs. */
import { parentPort } from 'node:worker_threads';
import { type StatsResult, statsOf } from './stats-job';
import type { PoolJob } from './stats-pool';

parentPort?.on('message', ({ id, jobs }: { id: number; jobs: PoolJob[] }) => {
  try {
    const back: ArrayBuffer[] = [];
    const results = jobs.map((j): StatsResult => {
      const r = statsOf(j.data, j);
      if (j.back) {
        r.data = j.data;
        back.push(j.data.buffer as ArrayBuffer);
      }
      return r;
    });
    parentPort?.postMessage({ id, results }, back);
  } catch (e) {
    parentPort?.postMessage({ id, error: String((e as Error)?.message ?? e) });
  }
});

// compile the kernels before saying ready: the first real tensors would otherwise run in the interpreter
const warm = new Float32Array(1 << 18).map((_, i) => Math.sin(i) * 3);
for (let i = 0; i < 4; i++)
  statsOf(warm, { shape: [1, 64, 64, 64], op: '', relu: i % 2 === 0, attention: false });
parentPort?.postMessage({ ready: true });

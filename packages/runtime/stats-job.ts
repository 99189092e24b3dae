/** One tensor's statistics job, run the same way on the main thread and in a statistics worker. */
import type { NumericArray } from '@tensorscope/analysis/model';
import { type AttentionSummary, attentionSummary } from './attention';
import { type ActivationStats, activationAndReluStats } from './stats';

export interface StatsJob {
  shape: number[];
  /** the producing operator (saturation) */
  op: string;
  /** also derive the statistics of max(x, 0) (see activationAndReluStats) */
  relu: boolean;
  /** a Softmax attention map: summarize it too */
  attention: boolean;
}

export interface StatsResult {
  stats: ActivationStats;
  relu?: ActivationStats;
  attention?: AttentionSummary;
  /** the data, handed back by a worker when the caller needs it */
  data?: NumericArray;
}

export function statsOf(data: NumericArray, job: StatsJob): StatsResult {
  const both: StatsResult = activationAndReluStats(data, job.shape, job.op, job.relu);
  if (job.attention) both.attention = attentionSummary(data as Float32Array, job.shape);
  return both;
}

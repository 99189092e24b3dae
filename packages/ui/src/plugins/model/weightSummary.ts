/** A weight's statistics and histogram (the worker's job; kept here so tests and the page share it). */
import {
  type Histogram,
  histogram,
  type NumericArray,
  type TensorStats,
  tensorStats,
} from '@tensorscope/analysis/model';

export const BINS = 64;

export interface WeightSummary {
  stats: TensorStats;
  histogram: Histogram;
}

export function weightSummary(data: NumericArray): WeightSummary {
  const stats = tensorStats(data);
  return { stats, histogram: histogram(data, BINS, stats.min, stats.max) };
}

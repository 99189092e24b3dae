import type { TensorRecord } from './capture';

/** One captured tensor as `tensorscope run --json` prints it (and the server's Run routes answer). */
export function tensorRecordJson(t: TensorRecord) {
  const s = t.stats;
  return {
    node: t.node,
    op: t.op,
    index: t.index,
    dtype: t.dtype,
    shape: t.shape,
    ...(s && {
      mean: s.mean,
      std: s.std,
      min: s.min,
      max: s.max,
      zeros: s.zeros,
      nan: s.nan,
      inf: s.inf,
      histogram: { edges: Array.from(s.histogram.edges), counts: Array.from(s.histogram.counts) },
      ...(s.deadChannels && { dead_channels: s.deadChannels }),
      ...(s.saturation !== undefined && { saturation: s.saturation }),
    }),
    ...(t.attention && { attention: t.attention }),
  };
}

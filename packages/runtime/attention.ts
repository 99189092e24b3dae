/**
 * Attention maps: Softmax outputs over their last axis shaped [..., queries, keys]. Each map is one
 * head (the leading dimensions: batch x heads, however the exporter arranged them).
 */
import type { GraphNode } from '@tensorscope/formats/model';
import type { RgbaImage } from './image';
import { featureGrid } from './maps';

export interface AttentionSummary {
  /** maps: the product of the leading dimensions */
  heads: number;
  queries: number;
  keys: number;
  /** max over rows of |sum over keys - 1|: 0 up to rounding for a real attention map */
  rowSumError: number;
}

/** A Softmax over the last axis of a tensor of rank >= 3. */
export function isAttention(node: GraphNode, shape: readonly number[]): boolean {
  if (node.op !== 'Softmax' || shape.length < 3) return false;
  const axis = (node.attributes.axis as number | undefined) ?? -1;
  return axis === -1 || axis === shape.length - 1;
}

export function attentionSummary(data: ArrayLike<number>, shape: readonly number[]): AttentionSummary {
  const keys = shape[shape.length - 1];
  const queries = shape[shape.length - 2];
  const heads = data.length / (keys * queries);
  let rowSumError = 0;
  for (let row = 0; row < heads * queries; row++) {
    let sum = 0;
    for (let k = 0; k < keys; k++) sum += data[row * keys + k];
    rowSumError = Math.max(rowSumError, Math.abs(sum - 1));
  }
  return { heads, queries, keys, rowSumError };
}

/** The heads side by side as heatmaps (each scaled to its own range). */
export function attentionGrid(data: ArrayLike<number>, shape: readonly number[]): RgbaImage {
  const keys = shape[shape.length - 1];
  const queries = shape[shape.length - 2];
  return featureGrid(data, [1, data.length / (keys * queries), queries, keys]);
}

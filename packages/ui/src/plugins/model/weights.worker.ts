/** Statistics and histogram of a weight tensor, off the main thread (tensors can hold millions of values). */
import type { NumericArray } from '@tensorscope/analysis/model';
import { type WeightSummary, weightSummary } from './weightSummary';

export interface WeightRequest {
  id: number;
  data: NumericArray;
}

export interface WeightReply extends WeightSummary {
  id: number;
}

self.onmessage = (e: MessageEvent<WeightRequest>) => {
  const reply: WeightReply = { id: e.data.id, ...weightSummary(e.data.data) };
  (self as unknown as Worker).postMessage(reply);
};

/**
 * tensorscope's TypeScript SDK: a TensorBoard-compatible SummaryWriter, and watch(model) for TF.js
 * training (weights, gradients, activations, update ratios, input batches, a NaN sentinel).
 * `@tensorscope/sdk/writer` is the writer alone, without loading TF.js.
 */
export type { EmbeddingOptions } from './embedding';
export type { ImageInput } from './image';
export { useFastConvBackprop } from './tfjs/fast-conv';
export { graphDefFromModel } from './tfjs/graph';
export type { NanReport } from './tfjs/sentinel';
export { Watcher, type WatchOptions, watch } from './tfjs/watch';
export { SummaryWriter, type SummaryWriterOptions } from './writer';

export { BLOCK, type BlockSummary, BucketExtremes, summarizeBlocks } from './blocks';
export { lowerBound, type M4Result, m4, type NumberArray, stepOrder, upperBound } from './m4';

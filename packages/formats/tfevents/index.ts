/** TensorBoard event files: isomorphic decoding, encoding and series building. Node I/O is in ./node. */
export * from './accumulator';
export * from './columns';
export * from './crc32c';
export * from './decode';
export * from './encode';
export * from './ingest';
export * from './json';
export * from './plugins';
export * from './projector';
export * from './records';
export * from './summaries';
export * from './tensor';
export * from './types';
export * from './wav';

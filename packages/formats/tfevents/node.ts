/** Node-only event-file I/O: logdir discovery, tailing reads, writing. */
export * from './node/discover';
export * from './node/file-tail';
export * from './node/logdir-reader';
export * from './node/png';
export * from './node/run-reader';
export * from './node/writer';

export { buildApp, VERSION } from './app';
export { type IndexChange, Indexer } from './ingest/indexer';
export { classifyPaths, type RunningServer, type ServeOptions, startServer } from './start';

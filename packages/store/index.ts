export { cacheDirFor, cacheRoot } from './cache-dir';
export { CHUNK, DuckDBStore, type OpenResult } from './duckdb/duckdb-store';
export type {
  FileState,
  RunSummary,
  ScalarColumns,
  Store,
  StoredBlob,
  StoredPoint,
  TagMetadata,
  TagSummary,
} from './store';

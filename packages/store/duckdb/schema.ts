/** The index's tables. Bump SCHEMA_VERSION on any change: an index of another version is rebuilt. */
export const SCHEMA_VERSION = '3';

export const SCHEMA = [
  'CREATE TABLE meta (key VARCHAR, value VARCHAR)',
  'CREATE TABLE runs (id INTEGER, name VARCHAR, issues VARCHAR)',
  `CREATE TABLE series (id INTEGER, run_id INTEGER, tag VARCHAR, kind VARCHAR, plugin_name VARCHAR,
     plugin_content BLOB, count BIGINT, first_step DOUBLE, last_step DOUBLE)`,
  // one row per up to CHUNK points; the points are in the column file at file_offset (column-file.ts)
  `CREATE TABLE scalar_chunks (series_id INTEGER, seq INTEGER, n INTEGER, step_min DOUBLE, step_max DOUBLE,
     file_offset BIGINT, steps_i32 BOOLEAN, values_f32 BOOLEAN)`,
  'CREATE TABLE points (series_id INTEGER, seq INTEGER, step DOUBLE, wall_time DOUBLE, body VARCHAR)',
  'CREATE TABLE blobs (series_id INTEGER, seq INTEGER, step DOUBLE, idx INTEGER, content_type VARCHAR, data BLOB)',
  'CREATE TABLE files (run_id INTEGER, path VARCHAR, size BIGINT, mtime_ms DOUBLE, "offset" BIGINT)',
];

/** Shapes of the dashboard HTTP API (notes/dashboard-api.md), as the UI reads them. */

// one list of kinds for the reader, the CLI and the page (a type-only import: nothing is bundled)
import type { Kind } from '@tensorscope/formats/tfevents';

export type { Kind };

export interface TagInfo {
  tag: string;
  kind: Kind;
  count: number;
  first_step: number;
  last_step: number;
}

/** A problem met while reading a run's files: the file, the byte offset and what was wrong. */
export interface RunIssue {
  file: string;
  offset: number;
  message: string;
}

export interface RunInfo {
  name: string;
  tags: TagInfo[];
  issues?: RunIssue[];
}

export interface RunsResponse {
  runs: RunInfo[];
}

export interface NonFinite {
  step: number;
  value: 'NaN' | 'Infinity' | '-Infinity';
}

export interface ScalarSeries {
  run: string;
  downsampled: boolean;
  total: number;
  steps: number[];
  wall_times: number[];
  values: (number | null)[];
  nonfinite?: NonFinite[];
}

export interface ScalarsResponse {
  tag: string;
  series: ScalarSeries[];
}

/** Decoded TensorBoard event-file data: the protos as plain objects, and the per-run series built from them. */

export type Kind =
  | 'scalar'
  | 'histogram'
  | 'image'
  | 'audio'
  | 'text'
  | 'tensor'
  | 'pr_curve'
  | 'hparams'
  | 'graph'
  | 'embedding'
  | 'mesh'
  | 'custom_scalars';

/** A problem found while reading: the file, the byte offset of the bad record, and what is wrong. */
export interface ReadIssue {
  file: string;
  offset: number;
  message: string;
}

export interface HistogramValue {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** right edges of the buckets (TensorBoard's bucket_limit) */
  bucketLimit: Float64Array;
  bucket: Float64Array;
}

export interface ImageValue {
  height: number;
  width: number;
  colorspace: number;
  encoded: Uint8Array;
}

export interface AudioValue {
  sampleRate: number;
  numChannels: number;
  lengthFrames: number;
  encoded: Uint8Array;
  contentType: string;
}

/** TensorFlow DataType enum values used by summaries. */
export const DT = {
  FLOAT: 1,
  DOUBLE: 2,
  INT32: 3,
  UINT8: 4,
  INT16: 5,
  INT8: 6,
  STRING: 7,
  INT64: 9,
  BOOL: 10,
  HALF: 19,
} as const;

export interface TensorValue {
  dtype: number;
  shape: number[];
  /** raw little-endian tensor_content, when the writer used it */
  content?: Uint8Array;
  floatVal?: Float32Array;
  doubleVal?: Float64Array;
  intVal?: number[];
  int64Val?: number[];
  boolVal?: number[];
  halfVal?: number[];
  stringVal?: Uint8Array[];
}

export interface SummaryMetadata {
  pluginName: string;
  pluginContent: Uint8Array;
  displayName: string;
  summaryDescription: string;
  dataClass: number;
}

export interface SummaryValue {
  tag: string;
  metadata?: SummaryMetadata;
  simpleValue?: number;
  histo?: HistogramValue;
  image?: ImageValue;
  audio?: AudioValue;
  tensor?: TensorValue;
}

export const SESSION_STATUS = { UNSPECIFIED: 0, START: 1, STOP: 2, CHECKPOINT: 3 } as const;

export interface TfEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  graphDef?: Uint8Array;
  metaGraphDef?: Uint8Array;
  summary?: SummaryValue[];
  sessionLog?: { status: number; checkpointPath: string; msg: string };
  taggedRunMetadata?: { tag: string; runMetadata: Uint8Array };
}

/**
 * The server's Run routes (packages/server/routes/model-run.ts): a served ONNX model run on an input,
 * answering every tensor's statistics as `tensorscope run --json` prints them, plus image URLs.
 */
import { ApiError, apiPath, type Params } from '../../app/api';

export interface Histogram {
  edges: number[];
  counts: number[];
}

/** One captured tensor; the statistics are absent for string tensors, null where JSON has no NaN/Inf. */
export interface RunTensor {
  node: string;
  op: string;
  /** index of the producing node in the graph's node list */
  index: number;
  dtype: string;
  shape: number[];
  mean?: number | null;
  std?: number | null;
  min?: number | null;
  max?: number | null;
  zeros?: number;
  nan?: number;
  inf?: number;
  histogram?: Histogram;
  dead_channels?: number[];
  saturation?: number;
  attention?: { heads: number; queries: number; keys: number; rowSumError: number };
}

export type NanOrigin =
  | { kind: 'node'; node: string; op: string; index: number; outputs: string[]; nan: number; inf: number }
  | { kind: 'input' | 'weight'; name: string; node: string; op: string };

export interface GradCam {
  layer: string;
  class: number;
  shape: [number, number];
  map: number[];
  image: string;
}

export interface RunResult {
  run: number;
  model: string;
  inputs: { name: string; shape: number[]; dtype: string; source: string }[];
  tensors: Record<string, RunTensor>;
  not_capturable: { name: string; node: string; op: string; reason: string }[];
  nan_origin: NanOrigin | null;
  classes: { output: string; top: { class: number; score: number; probability: number }[] } | null;
  gradcam_layers: string[];
  gradcam_unsupported: string | null;
  gradcam?: GradCam;
  images: { feature_maps: Record<string, string>; attention: Record<string, string[]> };
}

const token = new URLSearchParams(location.search).get('token');

/** A server image URL usable as an img src (the token rides in the query where no header can). */
export function imageUrl(path: string): string {
  if (!token) return path;
  return `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

async function post<T>(path: string, params: Params, body?: Blob): Promise<T> {
  // application/octet-stream: the server refuses anything else, so a cross-site form cannot run models
  const res = await fetch(apiPath(path, params, true), {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: body ?? new Uint8Array(),
  });
  const answer = (await res.json().catch(() => ({ error: res.statusText }))) as T & { error?: string };
  if (!res.ok) throw new ApiError(answer.error ?? `the server answered ${res.status}.`);
  return answer;
}

export interface RunInput {
  /** undefined: random data */
  file?: File;
  preset: string;
  /** comma-separated overrides of the preset's mean / std ('' keeps the preset's) */
  mean: string;
  std: string;
}

export function runModel(model: number, input: RunInput): Promise<RunResult> {
  const params: Params = input.file
    ? {
        name: input.file.name,
        preset: input.preset,
        mean: input.mean || undefined,
        std: input.std || undefined,
      }
    : { input: 'random' };
  return post<RunResult>(`models/${model}/run`, params, input.file);
}

export interface Prepared {
  inputs: { name: string; shape: (number | string | null)[] | null; dtype: string | null }[];
}

/** Opens the model on the server ahead of the first run (loading the runtime takes seconds). */
export function prepareModel(model: number): Promise<Prepared> {
  return post<Prepared>(`models/${model}/prepare`, {});
}

export function runGradCam(model: number, run: number, layer: string, classIndex?: number): Promise<GradCam> {
  return post<GradCam>(`models/${model}/runs/${run}/gradcam`, { layer, class: classIndex });
}

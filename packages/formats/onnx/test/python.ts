/** Runs a Python helper with Debian's python3 (which has torch, torchvision and onnx) and parses its JSON output. */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = resolve(here, '../../../../../shared/fixtures');

export function python<T>(script: string, args: string[]): T {
  const out = execFileSync(PYTHON, [join(here, script), ...args], {
    maxBuffer: 1 << 30,
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  return JSON.parse(out) as T;
}

export interface TensorFacts {
  name: string;
  data_type: number;
  dims: number[];
  error?: string;
  strings?: string[];
  count?: number;
  sum?: number;
  abs_sum?: number;
  nan?: number;
  inf?: number;
  first?: number[];
}

export interface ModelFacts {
  error?: string;
  ir_version: number;
  opset: Record<string, number>;
  producer: string;
  nodes: number;
  all_nodes: number;
  op_types: Record<string, number>;
  node_names: string[];
  inputs: string[];
  outputs: string[];
  functions: number;
  /** value_info stored in the file: name -> dims (numbers, symbolic names, null) or null without a shape */
  value_info: Record<string, (number | string | null)[] | null>;
  initializers: TensorFacts[];
  constants: (TensorFacts & { node: string; output: string })[];
  inferred?: Record<string, (number | string | null)[] | null>;
}

export type PbFacts = { kind: 'tensor'; tensor: TensorFacts } | { kind: 'sequence'; tensors: TensorFacts[] };

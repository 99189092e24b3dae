/**
 * The common model every format opens into (Netron's idea: one graph model, one viewer).
 * Isomorphic: no Node APIs here. Weights are read lazily through `ModelSource`.
 */

export type DType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'float8e8m0'
  | 'float4e2m1'
  | 'int4'
  | 'uint4'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string'
  | 'complex64'
  | 'complex128'
  | 'unknown';

/** A dimension: a number, a symbolic name (`batch`), or null when unknown. */
export type Dim = number | string | null;

/** Random-access bytes of a file (a Node file handle or a browser File), plus its siblings. */
export interface ModelSource {
  /** file name with extension, no directory */
  readonly name: string;
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  /** a file next to this one (ONNX external data, TF.js shards, model.json for a .bin); undefined if absent */
  sibling(relativePath: string): Promise<ModelSource | undefined>;
}

/** Decoded tensor data: float types decode to Float32Array/Float64Array, ints to their typed arrays. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: Dim[];
  /** bytes as stored in the file */
  byteLength: number;
  /** reads and decodes the data (fp16/bf16 widened to float32); rejects with a one-sentence error */
  read(): Promise<TensorData>;
  /** quantization parameters when the format stores them (TF.js uint8, ONNX QuantizeLinear inputs) */
  quantization?: { scale: number; zeroPoint: number; min?: number; max?: number; dtype?: DType };
  /** where the data lives when not inline (ONNX external data file, TF.js shard) */
  location?: string;
}

export interface ValueInfo {
  name: string;
  dtype?: DType;
  shape?: Dim[];
  /** the full type when it is not a plain tensor: `sequence<float32>`, `optional<int64>`, `map<string,float32>` */
  type?: string;
  /** true when the shape was derived by shape inference rather than stored in the file */
  inferred?: boolean;
}

export type AttrValue =
  | number
  | string
  | boolean
  | number[]
  | string[]
  | { tensor: TensorInfo }
  | { graph: Graph }
  | { graphs: Graph[] }
  | { tensors: TensorInfo[] }
  /** a function-body attribute that refers to an attribute of the calling node (ONNX ref_attr_name) */
  | { ref: string }
  | null;

export interface GraphNode {
  /** unique within its graph */
  id: string;
  name: string;
  op: string;
  domain?: string;
  /** value names consumed (empty string = omitted optional input) */
  inputs: string[];
  /** nodes that must run first without passing a value (TensorFlow `^name` inputs) */
  controlInputs?: string[];
  outputs: string[];
  attributes: Record<string, AttrValue>;
  /** the stored type of each attribute when the format has one (ONNX: float, int, string, tensor, graph,
   * floats, ints, strings, tensors, graphs, sparse_tensor, type_proto, ...): numbers alone lose int vs float */
  attributeTypes?: Record<string, string>;
  /** subgraphs of control-flow ops (If: then_branch/else_branch, Loop/Scan: body) */
  subgraphs?: Record<string, Graph>;
  /** module path derived from names: ['layer1', '0', 'conv1'] */
  modulePath?: string[];
  docString?: string;
}

export interface Graph {
  name: string;
  nodes: GraphNode[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** every value with known type/shape (value_info, inputs, outputs, inferred shapes) */
  values: Map<string, ValueInfo>;
  /** weights by value name */
  initializers: Map<string, TensorInfo>;
  /** for a function body (ONNX FunctionProto): its domain and the attribute names it accepts */
  domain?: string;
  attributeNames?: string[];
  docString?: string;
}

/** A finding about the model's weights or structure (ids shared with the doctor). */
export interface Finding {
  id: 'broken_weights' | 'bad_init' | string;
  severity: 'info' | 'warning' | 'error';
  message: string;
  tensors?: string[];
}

export interface Model {
  /** format id: onnx, tfjs, keras, safetensors, pytorch, torchscript, gguf, graphdef, npy */
  format: string;
  producer?: string;
  opset?: number;
  /** free-form metadata from the file (safetensors __metadata__, GGUF kv, ONNX metadata_props) */
  metadata: Record<string, string>;
  /** the computation graph, when the format has one */
  graph?: Graph;
  /** every tensor stored in the file */
  tensors: TensorInfo[];
  /** operator set version per domain ('' is the default ONNX domain) */
  opsetImports?: Record<string, number>;
  /** model-local functions (ONNX FunctionProto), callable as ops of their domain */
  functions?: Graph[];
  /** extra listings a format offers (TorchScript code files, Keras config) */
  extras?: Record<string, unknown>;
}

/** One format: Netron's two verbs. */
export interface ModelFormat {
  readonly id: string;
  /** cheap check on name and first bytes */
  detect(source: ModelSource, head: Uint8Array): boolean;
  open(source: ModelSource): Promise<Model>;
}

/** A bad model file: the message is one sentence naming the file and the problem. */
export class ModelError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'ModelError';
  }
}

/**
 * Keras HDF5 files (model.save / save_weights in .h5): the `model_config` JSON attribute becomes a
 * layers graph (Sequential, functional, nested models) and `model_weights/<layer>/<weight_name>`
 * datasets become tensors (`lstm_1/kernel:0`).
 *
 * HDF5 is read with h5wasm (libhdf5 compiled to WebAssembly). It works on a file in its in-memory
 * filesystem, so this reader needs the whole file in memory: open() reads it once, lists the
 * datasets and closes it; each tensor read reopens the held bytes and reads one dataset, so no
 * HDF5 handle outlives a call.
 */
import h5wasm, { type Dataset, type Group } from 'h5wasm';
import { guardedOpen } from '../common/guard';
import type { DType, Model, ModelFormat, ModelSource, TensorData, TensorInfo } from '../model';
import { ModelError } from '../model';
import { layersGraph, unwrapModelConfig } from './layers-graph';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export const keras: ModelFormat = {
  id: 'keras',
  detect(source, head) {
    return HDF5_SIGNATURE.every((b, i) => head[i] === b) || /\.(h5|hdf5)$/i.test(source.name);
  },
  open: openKeras,
};

let counter = 0;

/** runs `fn` on the bytes opened as an HDF5 file in h5wasm's filesystem, then closes and removes it */
async function withH5<T>(bytes: Uint8Array, fn: (file: InstanceType<typeof h5wasm.File>) => T): Promise<T> {
  const { FS } = await h5wasm.ready;
  const path = `/tensorscope-${++counter}.h5`;
  FS.writeFile(path, bytes);
  let file: InstanceType<typeof h5wasm.File> | undefined;
  try {
    file = new h5wasm.File(path, 'r');
    return fn(file);
  } finally {
    file?.close();
    FS.unlink(path);
  }
}

function dtypeOf(ds: Dataset): DType {
  const m = ds.metadata;
  // h5wasm metadata.type: 0 integer, 1 float, 3 string (HDF5 class ids)
  if (m.type === 1) return m.size === 2 ? 'float16' : m.size === 8 ? 'float64' : 'float32';
  if (m.type === 0) {
    const bits = m.size * 8;
    return `${m.signed ? 'int' : 'uint'}${bits}` as DType;
  }
  if (m.type === 3) return 'string';
  return 'unknown';
}

const text = (v: unknown): string => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v));

export function openKeras(source: ModelSource): Promise<Model> {
  return guardedOpen(source.name, () => readKeras(source));
}

async function readKeras(source: ModelSource): Promise<Model> {
  const fail = (problem: string) => new ModelError(source.name, problem);
  const head = await source.read(0, Math.min(8, source.size));
  if (!HDF5_SIGNATURE.every((b, i) => head[i] === b))
    throw fail('it is not an HDF5 file (no HDF5 signature)');
  const bytes = await source.read(0, source.size);
  interface Listed {
    name: string;
    layer: string;
    path: string;
    dtype: DType;
    shape: number[];
  }
  let listed: { config?: string; attrs: Record<string, string>; weights: Listed[] };
  try {
    listed = await withH5(bytes, (file) => {
      const attrs: Record<string, string> = {};
      for (const [k, a] of Object.entries(file.attrs))
        if (k !== 'model_config' && k !== 'training_config') attrs[k] = text(a.value);
      const config = file.attrs.model_config ? text(file.attrs.model_config.value) : undefined;
      // full models keep weights under model_weights; save_weights files at the root
      const root = file.keys().includes('model_weights') ? 'model_weights' : '';
      const group = (root ? file.get(root) : file) as Group;
      const layerNames = group.attrs.layer_names ? toStrings(group.attrs.layer_names.value) : group.keys();
      const weights: Listed[] = [];
      for (const layer of layerNames) {
        const g = group.get(layer) as Group | null;
        if (!g) continue;
        const names = g.attrs.weight_names ? toStrings(g.attrs.weight_names.value) : [];
        for (const name of names) {
          const path = `${root ? `${root}/` : ''}${layer}/${name}`;
          const ds = file.get(path);
          if (!(ds instanceof h5wasm.Dataset))
            throw new Error(`weight ${name} of layer ${layer} is listed but has no dataset`);
          weights.push({ name, layer, path, dtype: dtypeOf(ds), shape: [...(ds.shape ?? [])] });
        }
      }
      return { config, attrs, weights };
    });
  } catch (e) {
    throw fail(
      `its HDF5 structure cannot be read, so it is truncated or damaged (h5wasm: ${(e as Error).message})`,
    );
  }

  const byLayer = new Map<string, TensorInfo[]>();
  const tensors: TensorInfo[] = listed.weights.map((w) => ({
    name: w.name,
    dtype: w.dtype,
    shape: w.shape,
    byteLength:
      w.shape.reduce((a, b) => a * b, 1) *
      (w.dtype === 'float64' || w.dtype === 'int64'
        ? 8
        : w.dtype.endsWith('16')
          ? 2
          : w.dtype.endsWith('8')
            ? 1
            : 4),
    location: w.path,
    async read(): Promise<TensorData> {
      const value = await withH5(bytes, (file) => (file.get(w.path) as Dataset).value);
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        // h5wasm returns float16 as Float16Array where available; widen to Float32Array
        return value.constructor.name === 'Float16Array'
          ? Float32Array.from(value as unknown as ArrayLike<number>)
          : (value as TensorData);
      }
      throw fail(`weight ${w.name} has a type tensorscope cannot decode`);
    },
  }));
  tensors.forEach((t, i) => {
    const layer = listed.weights[i].layer;
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), t]);
  });
  let config: unknown;
  if (listed.config) {
    try {
      config = JSON.parse(listed.config);
    } catch {
      throw fail('its model_config attribute is not valid JSON');
    }
  }
  const modelConfig = unwrapModelConfig(config);
  return {
    format: 'keras',
    producer: listed.attrs.keras_version ? `keras ${listed.attrs.keras_version}` : undefined,
    metadata: listed.attrs,
    graph: modelConfig ? layersGraph(modelConfig, byLayer) : undefined,
    tensors,
    extras: { config },
  };
}

function toStrings(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(text);
  // h5wasm returns an empty attribute array as an empty Float64Array
  if (ArrayBuffer.isView(v) && !(v instanceof Uint8Array))
    return Array.from(v as unknown as ArrayLike<number>, String);
  if (v === null || v === undefined) return [];
  return [text(v)];
}

/**
 * The registry of model formats (Netron's two verbs per format) and `openModel`, which asks each format
 * whether it recognizes the file and opens it with the first that does. One line per format.
 */
import { gguf } from './gguf';
import { graphdef } from './graphdef';
import { tfeventsGraph } from './graphdef/events';
import { keras } from './keras';
import { type Model, ModelError, type ModelFormat, type ModelSource } from './model';
import { npy } from './npy';
import { onnx } from './onnx';
import { onnxTensor } from './onnx/tensorfile';
import { pytorch } from './pytorch';
import { safetensors } from './safetensors';
import { tfjs } from './tfjs';
import { torchscript } from './torchscript';

export const formats: ModelFormat[] = [
  onnx, // .onnx, ModelProto
  graphdef, // TensorFlow .pb GraphDef, saved_model.pb
  onnxTensor, // ONNX TensorProto / SequenceProto .pb (test data)
  tfeventsGraph, // the graph_def of a TensorBoard event file
  safetensors, // .safetensors (header length + JSON header)
  torchscript, // .jit/.torchscript zip archives (before pytorch: both are zips)
  pytorch, // torch.save .pt/.pth: zip or legacy pickle
  tfjs, // TF.js model.json + weight shards
  keras, // Keras HDF5 .h5
  gguf, // llama.cpp GGUF
  npy, // NumPy .npy / .npz
];

const HEAD = 4096;

/** The first format whose detect() accepts the file, or undefined. */
export async function detectFormat(source: ModelSource): Promise<ModelFormat | undefined> {
  const head = await source.read(0, Math.min(HEAD, source.size));
  return formats.find((f) => f.detect(source, head));
}

/** Opens any supported model; throws ModelError ("<file>: not a recognized model format (...)"). */
export async function openModel(source: ModelSource): Promise<Model> {
  if (source.size === 0) throw new ModelError(source.name, 'is empty');
  const format = await detectFormat(source);
  if (!format) {
    const known = formats.map((f) => f.id).join(', ');
    throw new ModelError(source.name, `not a recognized model format (tried ${known})`);
  }
  return format.open(source);
}

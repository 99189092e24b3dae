/**
 * Serialized ONNX TensorProto / SequenceProto files (`input_0.pb` of the ONNX backend tests, tensors
 * saved with onnx.save_tensor) as a weights-only model. Data stays in the file until read.
 */
import { type Model, ModelError, type ModelFormat, type ModelSource, type TensorInfo } from '../model';
import { ProtoError, ProtoReader } from '../proto';
import { decodeTensor } from './decode';
import { readSkeleton, type Schema } from './skeleton';

const tensorFields = { 4: 'data', 5: 'data', 7: 'data', 9: 'data', 10: 'data', 11: 'data' };
const asTensor: Schema = { tensor: tensorFields };
const asSequence: Schema = { sequence: { 3: 'tensor' }, tensor: tensorFields };

/** TensorProto fields (dims 1, data_type 2, name 8, raw_data 9, ...) or SequenceProto's name (1, as text). */
function plausible(head: Uint8Array): boolean {
  return head[0] === 0x08 || head[0] === 0x10 || head[0] === 0x42 || head[0] === 0x4a || head[0] === 0x0a;
}

/**
 * A SequenceProto reads as a TensorProto (elem_type looks like data_type, tensor_values like `segment`,
 * field 3); a real segment holds two small varints, so a longer field 3 or a text name means a sequence.
 */
function isSequence(head: Uint8Array): boolean {
  const r = new ProtoReader(head);
  try {
    while (!r.done) {
      const tag = r.tag();
      if (tag === 0x1a) return r.uint32() > 22;
      if (tag === 0x0a) {
        const s = r.bytes();
        if (s.length && s.every((b) => b >= 0x20 && b < 0x7f) && s[0] > 0x30) return true;
      } else r.skip(tag & 7);
    }
  } catch {
    // the head ends inside a field (raw_data): nothing sequence-like came before it
  }
  return false;
}

export const onnxTensor: ModelFormat = {
  id: 'onnx-tensor',
  detect(source, head) {
    return /\.(pb|tensor)$/i.test(source.name) && plausible(head);
  },
  async open(source: ModelSource): Promise<Model> {
    const ctx = { file: source.name, source };
    const fail = (why: string) => new ModelError(source.name, `is not an ONNX tensor file: ${why}`);
    let tensors: TensorInfo[] = [];
    try {
      const head = await source.read(0, Math.min(source.size, 64));
      const sequence = isSequence(head);
      const skeleton = await readSkeleton(
        source,
        sequence ? asSequence : asTensor,
        sequence ? 'sequence' : 'tensor',
      );
      if (sequence) {
        let name = 'sequence';
        const r = new ProtoReader(skeleton);
        while (!r.done) {
          const tag = r.tag();
          if (tag === 0x0a) name = r.string();
          else if (tag === 0x1a) tensors.push(decodeTensor(r.sub(), ctx));
          else r.skip(tag & 7);
        }
        tensors = tensors.map((t, i) => ({ ...t, name: `${name}[${i}]` }));
      } else {
        const t = decodeTensor(new ProtoReader(skeleton), ctx);
        if (t.dtype === 'unknown') throw fail('it has no known data type');
        tensors = [{ ...t, name: t.name || source.name.replace(/\.[^.]*$/, '') }];
      }
    } catch (err) {
      if (err instanceof ProtoError) throw fail(err.message);
      throw err;
    }
    if (tensors.some((t) => t.shape.some((d) => typeof d !== 'number' || d < 0)))
      throw fail('a dimension is negative');
    return { format: 'onnx-tensor', metadata: {}, tensors };
  },
};

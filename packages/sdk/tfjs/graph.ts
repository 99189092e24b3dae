/**
 * A TF.js LayersModel as a TensorFlow GraphDef, for the graph dashboard: one node per layer (op =
 * the layer's class, attributes from its config, `_output_shapes`) fed by its inbound layers, and
 * one `VariableV2` node per weight feeding its layer.
 */
import type * as tf from '@tensorflow/tfjs';
import { ProtoWriter } from '@tensorscope/formats/proto';

type Attr =
  | { s: string }
  | { i: number }
  | { f: number }
  | { b: boolean }
  | { ints: number[] }
  | { shapes: (number | null)[][] }
  | { shape: (number | null)[] }
  | { type: number };

const DT_FLOAT = 1;

function writeShape(w: ProtoWriter, shape: (number | null)[]): void {
  for (const d of shape) w.message(2, (dim) => dim.int(1, d ?? -1));
}

function writeAttr(w: ProtoWriter, a: Attr): void {
  if ('s' in a) w.string(2, a.s);
  else if ('i' in a) w.int(3, a.i);
  else if ('f' in a) w.float(4, a.f);
  else if ('b' in a) w.bool(5, a.b);
  else if ('type' in a) w.uint(6, a.type);
  else if ('shape' in a) w.message(7, (s) => writeShape(s, a.shape));
  else if ('ints' in a) w.message(1, (l) => a.ints.forEach((v) => l.int(3, v)));
  else w.message(1, (l) => a.shapes.forEach((shape) => l.message(7, (s) => writeShape(s, shape))));
}

function nodeDef(
  w: ProtoWriter,
  name: string,
  op: string,
  inputs: string[],
  attrs: Record<string, Attr>,
): void {
  w.message(1, (n) => {
    n.string(1, name).string(2, op);
    for (const i of inputs) n.string(3, i);
    for (const [key, value] of Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : 1)))
      n.message(5, (e) => e.string(1, key).message(2, (v) => writeAttr(v, value)));
  });
}

function configAttrs(layer: tf.layers.Layer): Record<string, Attr> {
  const attrs: Record<string, Attr> = {};
  for (const [k, v] of Object.entries(layer.getConfig())) {
    if (k === 'name' || k === 'trainable' || k === 'dtype') continue;
    if (typeof v === 'string') attrs[k] = { s: v };
    else if (typeof v === 'boolean') attrs[k] = { b: v };
    else if (typeof v === 'number') attrs[k] = Number.isInteger(v) ? { i: v } : { f: v };
    else if (Array.isArray(v) && v.every((x) => Number.isInteger(x))) attrs[k] = { ints: v as number[] };
  }
  return attrs;
}

function shapesOf(s: tf.Shape | tf.Shape[]): (number | null)[][] {
  return Array.isArray(s[0]) || s.length === 0 ? (s as tf.Shape[]) : [s as tf.Shape];
}

/** The GraphDef bytes of a built model (every layer has been called on its inputs). */
export function graphDefFromModel(model: tf.LayersModel): Uint8Array {
  const w = new ProtoWriter();
  const seen = new Set<string>();
  const emit = (layer: tf.layers.Layer) => {
    if (seen.has(layer.name)) return;
    seen.add(layer.name);
    const inbound = layer.inboundNodes.flatMap((n) => n.inboundLayers);
    inbound.forEach(emit);
    const weights = layer.weights.map((v) => v.name);
    for (const v of layer.weights) {
      nodeDef(w, v.name, 'VariableV2', [], { dtype: { type: DT_FLOAT }, shape: { shape: v.shape } });
    }
    const isInput = layer.getClassName() === 'InputLayer';
    const attrs = configAttrs(layer);
    try {
      attrs._output_shapes = { shapes: shapesOf(layer.outputShape) };
    } catch {
      // a layer called several times has no single output shape
    }
    nodeDef(
      w,
      layer.name,
      isInput ? 'Placeholder' : layer.getClassName(),
      [...inbound.map((l) => l.name), ...weights],
      attrs,
    );
  };
  model.layers.forEach(emit);
  return w.finish();
}

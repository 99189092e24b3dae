/**
 * The Keras (TF 1.x) graph_def in the guildai event file, checked against protobufjs decoding the same
 * bytes with TensorFlow's own field numbers; plus a frozen GraphDef .pb written here and broken files.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelError } from '../model';
import { fileSource } from '../node-source';
import { FIXTURES } from '../onnx/test/python';
import { openModel } from '../open';
import { ProtoWriter } from '../proto';
import { decodeEvent, scanRecords } from '../tfevents';
import { graphDefModel } from './index';

// tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape}.proto, the fields used here
const schema = protobuf
  .parse(`
syntax = "proto3";
message GraphDef { repeated NodeDef node = 1; VersionDef versions = 4; }
message VersionDef { int32 producer = 1; }
message NodeDef { string name = 1; string op = 2; repeated string input = 3; string device = 4;
  map<string, AttrValue> attr = 5; }
message AttrValue { oneof value { ListValue list = 1; bytes s = 2; int64 i = 3; float f = 4; bool b = 5;
  int32 type = 6; TensorShapeProto shape = 7; TensorProto tensor = 8; } }
message ListValue { repeated bytes s = 2; repeated int64 i = 3; repeated float f = 4; repeated bool b = 5;
  repeated int32 type = 6; repeated TensorShapeProto shape = 7; }
message TensorShapeProto { message Dim { int64 size = 1; } repeated Dim dim = 2; bool unknown_rank = 3; }
message TensorProto { int32 dtype = 1; TensorShapeProto tensor_shape = 2; bytes tensor_content = 4;
  repeated float float_val = 5; repeated int32 int_val = 7; repeated int64 int64_val = 10;
  repeated bool bool_val = 11; }
`)
  .root.lookupType('GraphDef');

interface PbNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<
    string,
    {
      tensor?: {
        dtype: number;
        tensorContent: Uint8Array;
        floatVal: number[];
        intVal: number[];
        int64Val: number[];
        boolVal: boolean[];
      };
    }
  >;
}

const eventFile = join(
  FIXTURES,
  'tfevents/guildai/projects/model-proxies/logs/events.out.tfevents.1548797801.omaha',
);
let graphDef: Uint8Array;

beforeAll(() => {
  const buf = new Uint8Array(readFileSync(eventFile));
  scanRecords(
    buf,
    eventFile,
    (s, e) => {
      graphDef ??= decodeEvent(buf, s, e).graphDef as Uint8Array;
    },
    () => {},
    { eof: true },
  );
});

describe('GraphDef from an event file (Keras, TF 1.x)', () => {
  it('has the nodes, ops and inputs protobufjs decodes from the same bytes', () => {
    const expected = (
      schema.toObject(schema.decode(graphDef), { defaults: true, longs: Number }) as { node: PbNode[] }
    ).node;
    const m = graphDefModel(graphDef, 'events graph_def');
    const g = m.graph!;
    expect(m.format).toBe('graphdef');
    expect(g.nodes.length).toBe(expected.length);
    expect(g.nodes.length).toBe(562);
    g.nodes.forEach((n, i) => {
      const x = expected[i];
      expect(n.name).toBe(x.name);
      expect(n.op).toBe(x.op);
      const data = x.input.filter((s) => !s.startsWith('^')).map((s) => s.replace(/:0$/, ''));
      const control = x.input.filter((s) => s.startsWith('^')).map((s) => s.slice(1));
      expect(n.inputs).toEqual(data);
      expect(n.controlInputs ?? []).toEqual(control);
      expect(
        Object.keys(n.attributes)
          .filter((k) => k !== '_device')
          .sort(),
      ).toEqual(Object.keys(x.attr).sort());
    });
  });

  it('exposes Const tensors as the stored tensors, with the values protobufjs decodes', async () => {
    const expected = (
      schema.toObject(schema.decode(graphDef), { defaults: true, longs: Number }) as { node: PbNode[] }
    ).node.filter((n) => n.op === 'Const');
    const m = graphDefModel(graphDef);
    expect(m.tensors.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) {
      const t = expected[i].attr.value.tensor!;
      const data = Array.from((await m.tensors[i].read()) as ArrayLike<number | bigint>, Number);
      expect(m.tensors[i].name).toBe(expected[i].name);
      if (t.tensorContent.length) {
        const view = new DataView(
          t.tensorContent.buffer,
          t.tensorContent.byteOffset,
          t.tensorContent.byteLength,
        );
        const width = t.dtype === 3 ? 4 : t.dtype === 1 ? 4 : 8;
        const want = Array.from({ length: t.tensorContent.length / width }, (_, k) =>
          t.dtype === 1
            ? view.getFloat32(k * width, true)
            : t.dtype === 3
              ? view.getInt32(k * width, true)
              : Number(view.getBigInt64(k * width, true)),
        );
        expect(data).toEqual(want);
      } else {
        const lists = [t.floatVal, t.intVal, t.int64Val.map(Number), t.boolVal.map(Number)];
        const vals = lists.find((l) => l.length) ?? [0];
        // a shorter value list than the shape repeats its last value
        expect(data.slice(0, vals.length)).toEqual(vals.slice(0, data.length));
        expect(new Set(data.slice(vals.length - 1)).size).toBeLessThanOrEqual(1);
      }
    }
  });

  it('reads the Keras input placeholder and output shapes from _output_shapes', () => {
    const g = graphDefModel(graphDef).graph!;
    expect(g.values.get('dense_1_input')).toEqual({
      name: 'dense_1_input',
      dtype: 'float32',
      shape: [null, 784],
    });
    expect(g.values.get('dense_1/kernel')?.shape).toEqual([784, 512]);
    expect(g.nodes.find((n) => n.name === 'dense_1/MatMul')?.modulePath).toEqual(['dense_1']);
    expect(g.inputs.map((v) => v.name)).toContain('dense_1_input');
  });
});

describe('event files through openModel', () => {
  it('open as the graph in their graph_def record', async () => {
    const m = await openModel(await fileSource(eventFile));
    expect(m.format).toBe('graphdef');
    expect(m.graph!.nodes.map((n) => n.name)).toEqual(
      graphDefModel(graphDef).graph!.nodes.map((n) => n.name),
    );
  });

  it('without a graph, say so in one sentence', async () => {
    const dir = join(FIXTURES, 'tfevents/tensorboard-reducer/runs/strict');
    const run = readdirSync(dir)[0];
    const file = readdirSync(join(dir, run))[0];
    const err = await openModel(await fileSource(join(dir, run, file))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as Error).message).toBe(`${file}: is an event file without a graph (no graph_def record)`);
  });
});

describe('GraphDef .pb files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-graphdef-'));

  it('opens a frozen graph and reads its Const weights (tensor_content and splat float_val)', async () => {
    const shape = (dims: number[]) => (w: ProtoWriter) => {
      for (const d of dims) w.message(2, (x) => x.int(1, d));
    };
    const attr = (key: string, value: (w: ProtoWriter) => void) => (w: ProtoWriter) =>
      w.message(5, (e) => e.string(1, key).message(2, value));
    const kernel = new Float32Array([1, -2, 3, -4, 5, -6]);
    const bytes = new ProtoWriter()
      .message(1, (n) =>
        n
          .string(1, 'x')
          .string(2, 'Placeholder')
          .also(attr('dtype', (v) => v.uint(6, 1)))
          .also(attr('shape', (v) => v.message(7, shape([-1, 2])))),
      )
      .message(1, (n) =>
        n
          .string(1, 'dense/kernel')
          .string(2, 'Const')
          .also(attr('dtype', (v) => v.uint(6, 1)))
          .also(
            attr('value', (v) =>
              v.message(8, (t) =>
                t
                  .uint(1, 1)
                  .message(2, shape([2, 3]))
                  .bytes(4, new Uint8Array(kernel.buffer)),
              ),
            ),
          ),
      )
      .message(1, (n) =>
        n
          .string(1, 'dense/bias')
          .string(2, 'Const')
          .also(
            attr('value', (v) =>
              v.message(8, (t) =>
                t
                  .uint(1, 1)
                  .message(2, shape([3]))
                  .packedFloats(5, [0.5]),
              ),
            ),
          ),
      )
      .message(1, (n) =>
        n.string(1, 'dense/MatMul').string(2, 'MatMul').string(3, 'x').string(3, 'dense/kernel'),
      )
      .message(1, (n) =>
        n.string(1, 'dense/BiasAdd').string(2, 'BiasAdd').string(3, 'dense/MatMul:0').string(3, 'dense/bias'),
      )
      .message(4, (v) => v.uint(1, 27))
      .finish();
    const path = join(dir, 'frozen.pb');
    writeFileSync(path, bytes);
    const m = await openModel(await fileSource(path));
    expect(m.format).toBe('graphdef');
    expect(m.producer).toBe('tensorflow graph version 27');
    expect(m.graph!.nodes.map((n) => n.op)).toEqual(['Placeholder', 'Const', 'Const', 'MatMul', 'BiasAdd']);
    expect(m.graph!.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [null, 2] }]);
    expect(m.graph!.outputs.map((o) => o.name)).toEqual(['dense/BiasAdd']);
    expect(m.graph!.nodes[4].inputs).toEqual(['dense/MatMul', 'dense/bias']);
    expect(m.tensors.map((t) => [t.name, t.shape])).toEqual([
      ['dense/kernel', [2, 3]],
      ['dense/bias', [3]],
    ]);
    expect(await m.tensors[0].read()).toEqual(kernel);
    expect(await m.tensors[1].read()).toEqual(new Float32Array([0.5, 0.5, 0.5]));
  });

  it('keeps library functions (TF2 traces put the model in them) with their nodes and weights', async () => {
    const attr = (key: string, value: (w: ProtoWriter) => void) => (w: ProtoWriter) =>
      w.message(5, (e) => e.string(1, key).message(2, value));
    const bytes = new ProtoWriter()
      .message(1, (n) => n.string(1, 'x').string(2, 'Placeholder'))
      .message(1, (n) =>
        n
          .string(1, 'StatefulPartitionedCall')
          .string(2, 'StatefulPartitionedCall')
          .string(3, 'x')
          .also(attr('f', (v) => v.message(10, (f) => f.string(1, '__inference_call_42')))),
      )
      .message(2, (lib) =>
        lib.message(1, (f) =>
          f
            .message(1, (sig) =>
              sig
                .string(1, '__inference_call_42')
                .message(2, (a) => a.string(1, 'inputs'))
                .message(3, (a) => a.string(1, 'identity')),
            )
            .message(3, (n) =>
              n
                .string(1, 'dense/kernel')
                .string(2, 'Const')
                .also(
                  attr('value', (v) =>
                    v.message(8, (t) =>
                      t
                        .uint(1, 1)
                        .message(2, (s) => s.message(2, (d) => d.int(1, 2)))
                        .packedFloats(5, [1, 2]),
                    ),
                  ),
                ),
            )
            .message(3, (n) =>
              n
                .string(1, 'dense/MatMul')
                .string(2, 'MatMul')
                .string(3, 'inputs')
                .string(3, 'dense/kernel:output:0'),
            )
            .message(4, (e) => e.string(1, 'identity').string(2, 'dense/MatMul:product:0')),
        ),
      )
      .finish();
    const m = graphDefModel(bytes, 'tf2.pb');
    expect(m.graph!.nodes[1].attributes.f).toBe('__inference_call_42');
    const f = m.functions![0];
    expect(f.name).toBe('__inference_call_42');
    expect(f.inputs).toEqual([{ name: 'inputs' }]);
    expect(f.outputs.map((o) => o.name)).toEqual(['dense/MatMul']);
    expect(f.nodes.map((n) => [n.op, n.inputs])).toEqual([
      ['Const', []],
      ['MatMul', ['inputs', 'dense/kernel']],
    ]);
    expect(m.tensors.map((t) => t.name)).toEqual(['dense/kernel']);
    expect(await m.tensors[0].read()).toEqual(new Float32Array([1, 2]));
  });

  it('names the file when a .pb GraphDef is cut short', async () => {
    const good = new ProtoWriter()
      .message(1, (n) => n.string(1, 'a_node_with_a_long_name').string(2, 'NoOp'))
      .finish();
    const path = join(dir, 'cut.pb');
    writeFileSync(path, good.subarray(0, good.length - 3));
    const err = await openModel(await fileSource(path)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as Error).message).toMatch(/^cut\.pb: is not a valid TensorFlow GraphDef: .*past the end/);
  });
});

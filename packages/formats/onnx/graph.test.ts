/**
 * Graph-level details kept faithful for the runtime: attribute types, subgraphs, model-local functions
 * with attribute references, opsets per domain, metadata, per-tensor quantization, and the extra-output
 * splice (checked by reopening, and by ONNX Runtime on a real fixture).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../browser-source';
import { ProtoWriter } from '../proto';
import { withExtraOutputs } from './encode';
import { openOnnx } from './index';
import { FIXTURES } from './test/python';

type Build = (w: ProtoWriter) => void;

const attr =
  (name: string, type: number, value: Build): Build =>
  (w) =>
    w.message(5, (a) => {
      a.string(1, name);
      value(a);
      a.uint(20, type);
    });

function builtModel(): Uint8Array {
  const scalarTensor =
    (name: string, dataType: number, data: Build): Build =>
    (t) => {
      t.uint(2, dataType).string(8, name);
      data(t);
    };
  return new ProtoWriter()
    .uint(1, 9)
    .string(2, 'hand')
    .string(3, '1.0')
    .message(7, (g) => {
      g.string(2, 'main');
      g.message(1, (n) =>
        n
          .string(1, 'x')
          .string(2, 'y')
          .string(3, 'scaled')
          .string(4, 'ScaleBy')
          .string(7, 'custom')
          .also(attr('alpha', 1, (a) => a.float(2, 2)))
          .also(attr('count', 2, (a) => a.uint(3, 3)))
          .also(attr('mode', 3, (a) => a.bytes(4, new TextEncoder().encode('fast'))))
          .also(attr('sizes', 7, (a) => a.uint(8, 1).uint(8, 2)))
          .also(attr('scales', 6, (a) => a.packedFloats(7, [0.5, 1.5]))),
      );
      g.message(1, (n) =>
        n
          .string(1, 'q')
          .string(1, 'q_scale')
          .string(1, 'q_zero')
          .string(2, 'deq')
          .string(3, 'dequant')
          .string(4, 'DequantizeLinear'),
      );
      g.message(5, (t) =>
        t
          .uint(1, 4)
          .uint(2, 3)
          .string(8, 'q')
          .bytes(9, Int8Array.from([-2, 0, 1, 5]) as unknown as Uint8Array),
      );
      g.message(
        5,
        scalarTensor('q_scale', 1, (t) => t.packedFloats(4, [0.25])),
      );
      g.message(
        5,
        scalarTensor('q_zero', 3, (t) => t.packedVarints(5, [1])),
      );
      g.message(11, (v) => v.string(1, 'x'));
      g.message(12, (v) => v.string(1, 'y'));
    })
    .message(8, (o) => o.uint(2, 17))
    .message(8, (o) => o.string(1, 'custom').uint(2, 1))
    .message(14, (kv) => kv.string(1, 'author').string(2, 'me'))
    .message(25, (f) =>
      f
        .string(1, 'ScaleBy')
        .string(10, 'custom')
        .string(4, 'X')
        .string(5, 'Y')
        .string(6, 'alpha')
        .message(7, (n) =>
          n
            .string(1, 'X')
            .string(2, 'Y')
            .string(4, 'Mul')
            .also((w) => w.message(5, (a) => a.string(1, 'alpha').string(21, 'alpha').uint(20, 1))),
        )
        .message(9, (o) => o.uint(2, 17)),
    )
    .finish();
}

describe('ONNX graph details', () => {
  it('keeps attribute types, opsets per domain, metadata and functions with attribute references', async () => {
    const m = await openOnnx(bytesSource('hand.onnx', builtModel()));
    const node = m.graph!.nodes[0];
    expect(node.domain).toBe('custom');
    expect(node.attributes).toEqual({ alpha: 2, count: 3, mode: 'fast', sizes: [1, 2], scales: [0.5, 1.5] });
    expect(node.attributeTypes).toEqual({
      alpha: 'float',
      count: 'int',
      mode: 'string',
      sizes: 'ints',
      scales: 'floats',
    });
    expect(m.opsetImports).toEqual({ '': 17, custom: 1 });
    expect(m.opset).toBe(17);
    expect(m.producer).toBe('hand 1.0');
    expect(m.metadata).toMatchObject({ author: 'me', ir_version: '9' });
    const f = m.functions![0];
    expect([f.name, f.domain, f.attributeNames]).toEqual(['ScaleBy', 'custom', ['alpha']]);
    expect(f.inputs.map((v) => v.name)).toEqual(['X']);
    expect(f.nodes[0].attributes.alpha).toEqual({ ref: 'alpha' });
  });

  it('records per-tensor quantization of dequantized initializers', async () => {
    const m = await openOnnx(bytesSource('hand.onnx', builtModel()));
    const q = m.graph!.initializers.get('q')!;
    expect(q.quantization).toEqual({ scale: 0.25, zeroPoint: 1, dtype: 'int8' });
    expect(await q.read()).toEqual(Int8Array.from([-2, 0, 1, 5]));
  });

  it('keeps If subgraphs with their own nodes and outer-scope inputs', async () => {
    const m = await openOnnx(
      bytesSource(
        'if.onnx',
        new Uint8Array(readFileSync(join(FIXTURES, 'onnx-node-tests/test_if/model.onnx'))),
      ),
    );
    const node = m.graph!.nodes[0];
    expect(node.op).toBe('If');
    expect(Object.keys(node.subgraphs!).sort()).toEqual(['else_branch', 'then_branch']);
    expect(node.attributeTypes).toEqual({ else_branch: 'graph', then_branch: 'graph' });
    expect(node.subgraphs!.then_branch.outputs.length).toBe(1);
  });

  it('adds graph outputs by splicing, leaving everything else as it was', async () => {
    const bytes = builtModel();
    const out = withExtraOutputs(
      bytes,
      [{ name: 'deq', dtype: 'float32', shape: [4] }, { name: 'y' }],
      ['y'],
    );
    const before = await openOnnx(bytesSource('a.onnx', bytes));
    const after = await openOnnx(bytesSource('b.onnx', out));
    expect(after.graph!.outputs).toEqual([
      ...before.graph!.outputs,
      { name: 'deq', dtype: 'float32', shape: [4] },
    ]);
    expect(after.graph!.nodes.map((n) => n.name)).toEqual(before.graph!.nodes.map((n) => n.name));
    expect(after.functions!.length).toBe(1);
    expect(out.length - bytes.length).toBeLessThan(40);
  });

  it('lets ONNX Runtime return an intermediate of a real model (mnist-8, CNTK)', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'onnx-models/tensorboardX/mnist-8.onnx')));
    const m = await openOnnx(bytesSource('mnist-8.onnx', bytes));
    const g = m.graph!;
    const conv = g.nodes.find((n) => n.op === 'Conv')!;
    const relu = g.nodes.find((n) => n.op === 'Relu')!.outputs[0];
    const session = await ort.InferenceSession.create(
      withExtraOutputs(bytes, [{ name: conv.outputs[0], ...g.values.get(conv.outputs[0]) }, { name: relu }]),
    );
    const image = Float32Array.from({ length: 28 * 28 }, (_, i) => ((i * 37) % 255) / 255);
    const out = await session.run({ Input3: new ort.Tensor('float32', image, [1, 1, 28, 28]) });
    // the Conv output recomputed here from the weights read by this reader (5x5, SAME padding, no bias)
    const w = (await g.initializers.get(conv.inputs[1])!.read()) as Float32Array;
    const got = out[conv.outputs[0]];
    expect(got.dims).toEqual([1, 8, 28, 28]);
    const data = got.data as Float32Array;
    let worst = 0;
    for (let o = 0; o < 8; o++) {
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          let sum = 0;
          for (let ky = 0; ky < 5; ky++) {
            for (let kx = 0; kx < 5; kx++) {
              const iy = y + ky - 2;
              const ix = x + kx - 2;
              if (iy >= 0 && iy < 28 && ix >= 0 && ix < 28)
                sum += image[iy * 28 + ix] * w[o * 25 + ky * 5 + kx];
            }
          }
          worst = Math.max(worst, Math.abs(sum - data[o * 784 + y * 28 + x]));
        }
      }
    }
    expect(worst).toBeLessThan(1e-4);
    expect(Math.min(...(out[relu].data as Float32Array))).toBeGreaterThanOrEqual(0);
  });

  it("folds PyTorch's F.pad constant chain to infer Pad's shape, as ONNX Runtime computes it", async () => {
    const ints = (values: number[]) => (t: ProtoWriter) =>
      t.uint(1, values.length).uint(2, 7).packedVarints(7, values);
    const constant = (out: string, values: number[]) => (n: ProtoWriter) =>
      n
        .string(2, out)
        .string(4, 'Constant')
        .message(5, (a) => a.string(1, 'value').message(5, ints(values)).uint(20, 4));
    const node =
      (op: string, inputs: string[], out: string, attrs: Build = () => {}) =>
      (n: ProtoWriter) => {
        for (const i of inputs) n.string(1, i);
        n.string(2, out).string(4, op);
        attrs(n);
      };
    const tensorType = (dims: number[]) => (v: ProtoWriter) =>
      v.message(1, (t) =>
        t.uint(1, 1).message(2, (s) => dims.forEach((d) => s.message(1, (x) => x.uint(1, d)))),
      );
    const bytes = new ProtoWriter()
      .uint(1, 8)
      .message(7, (g) => {
        g.message(1, constant('two', [2]));
        g.message(
          1,
          node('ConstantOfShape', ['two'], 'zeros', (n) =>
            n.also(attr('value', 4, (a) => a.message(5, ints([0])))),
          ),
        );
        g.message(1, constant('begin', [1, 2]));
        g.message(
          1,
          node('Concat', ['begin', 'zeros'], 'flat', (n) => n.also(attr('axis', 2, (a) => a.uint(3, 0)))),
        );
        g.message(1, constant('pairs', [-1, 2]));
        g.message(1, node('Reshape', ['flat', 'pairs'], 'grid'));
        g.message(1, constant('starts', [-1]));
        g.message(1, constant('ends', [-1000]));
        g.message(1, constant('axes', [0]));
        g.message(1, constant('steps', [-1]));
        g.message(1, node('Slice', ['grid', 'starts', 'ends', 'axes', 'steps'], 'reversed'));
        g.message(
          1,
          node('Transpose', ['reversed'], 'swapped', (n) =>
            n.also(attr('perm', 7, (a) => a.uint(8, 1).uint(8, 0))),
          ),
        );
        g.message(1, constant('flatten', [-1]));
        g.message(1, node('Reshape', ['swapped', 'flatten'], 'pads'));
        g.message(1, node('Pad', ['x', 'pads'], 'y'));
        g.message(11, (v) => v.string(1, 'x').message(2, tensorType([1, 6])));
        g.message(12, (v) => v.string(1, 'y').message(2, (t) => t.message(1, (tt) => tt.uint(1, 1))));
      })
      .message(8, (o) => o.uint(2, 13))
      .finish();
    const m = await openOnnx(bytesSource('pad.onnx', bytes));
    expect(m.graph!.values.get('pads')).toMatchObject({ shape: [4], inferred: true });
    expect(m.graph!.values.get('y')?.shape).toEqual([1, 9]);
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(6), [1, 6]) });
    expect(out.y.dims).toEqual([1, 9]);
  });
});

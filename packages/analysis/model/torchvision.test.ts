/**
 * torchvision resnet18 (and mobilenet_v2, for grouped convolutions) exported to ONNX with Debian's PyTorch during the test, checked against
 * independent facts: the onnx Python package (nodes, initializers), PyTorch itself (parameter count,
 * MACs from forward hooks, activations) and ONNX Runtime (intermediates of the rewritten model).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Model } from '@tensorscope/formats/model';
import { fileSource } from '@tensorscope/formats/node-source';
import { withExtraOutputs } from '@tensorscope/formats/onnx/encode';
import { openModel } from '@tensorscope/formats/open';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ModelFacts, python } from '../../formats/onnx/test/python';
import { type InspectReport, inspectModel } from './report';

interface TorchFacts {
  mobilenet_v2: { parameters: number; batchnorm_channels: number; grouped_convs: number; macs: number };
  parameters: number;
  batchnorm_channels: number;
  macs: number;
  shared_initializers: number;
  damage: Record<'nan_inf' | 'dead_filters' | 'too_large' | 'too_small' | 'extreme' | 'zeros', string>;
}

const dir = mkdtempSync(join(tmpdir(), 'ts-torchvision-'));
const file = join(dir, 'resnet18.onnx');
let torch: TorchFacts;
let onnxFacts: ModelFacts;
let model: Model;
let report: InspectReport;

const numel = (dims: number[]) => dims.reduce((p, d) => p * d, 1);
const floats = (name: string) => {
  const b = readFileSync(join(dir, name));
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};

beforeAll(async () => {
  torch = python('export_torchvision.py', [dir]);
  onnxFacts = python<Record<string, ModelFacts>>('facts.py', [file])[file];
  model = await openModel(await fileSource(file));
  report = await inspectModel(model);
}, 300_000);

describe('resnet18 exported by PyTorch', () => {
  it('has the nodes and initializers the onnx package reads', () => {
    expect(report.format).toBe('onnx');
    expect(report.producer).toBe(onnxFacts.producer);
    expect(report.opset).toBe(13);
    expect(report.graph?.nodes).toBe(onnxFacts.nodes);
    expect(report.graph?.op_types).toEqual(onnxFacts.op_types);
    expect(report.parameters.tensors).toBe(onnxFacts.initializers.length);
    expect(report.parameters.elements).toBe(onnxFacts.initializers.reduce((n, t) => n + numel(t.dims), 0));
    expect(report.parameters.bytes).toBe(4 * report.parameters.elements);
    expect(report.graph?.inputs).toEqual([{ name: 'input.1', shape: [1, 3, 224, 224], dtype: 'float32' }]);
    expect(report.graph?.outputs).toEqual([
      { name: onnxFacts.outputs[0], shape: [1, 1000], dtype: 'float32' },
    ]);
  });

  it("explains why the file holds fewer parameters than PyTorch's 11,689,512", () => {
    expect(torch.parameters).toBe(11_689_512);
    // BatchNorm's weight and bias (2 per channel) are gone, folding added one bias per channel, and
    // identical tensors (the zero biases of a fresh model) are stored once and read by several Convs
    const g = model.graph!;
    const aliases = new Map(
      g.nodes.filter((n) => n.op === 'Identity').map((n) => [n.outputs[0], n.inputs[0]]),
    );
    const readers = new Map<string, number>();
    for (const n of g.nodes.filter((x) => x.op === 'Conv' || x.op === 'Gemm')) {
      for (const i of n.inputs) {
        const name = aliases.get(i) ?? i;
        if (g.initializers.has(name)) readers.set(name, (readers.get(name) ?? 0) + 1);
      }
    }
    let deduplicated = 0;
    for (const [name, n] of readers)
      deduplicated += (n - 1) * numel(g.initializers.get(name)!.shape as number[]);
    const bn = torch.batchnorm_channels;
    expect(torch.parameters - 2 * bn + bn - deduplicated).toBe(report.parameters.elements);
    expect(report.shared_tensors).toBe(torch.shared_initializers);
    expect(report.notes.join(' ')).toMatch(/BatchNorm was folded/);
    expect(report.notes.join(' ')).toMatch(/4 initializers are read by more than one node/);
  });

  it('counts the MACs PyTorch forward hooks count for Conv2d and Linear', () => {
    expect(report.flops?.macs).toBe(torch.macs);
    expect(report.flops?.flops).toBe(2 * torch.macs);
  });

  it('builds the module hierarchy from the scoped node names', () => {
    const node = model.graph!.nodes.find((n) => n.name === '/layer1/layer1.0/conv1/Conv')!;
    expect(node.modulePath).toEqual(['layer1', '0', 'conv1']);
    const top = report.modules.filter((m) => m.depth === 1);
    expect(top.map((m) => m.path)).toEqual([
      'avgpool',
      'conv1',
      'fc',
      'layer1',
      'layer2',
      'layer3',
      'layer4',
      'maxpool',
      'relu',
    ]);
    expect(top.reduce((n, m) => n + m.parameters, 0)).toBe(report.parameters.elements);
    expect(report.modules.find((m) => m.path === 'fc')?.parameters).toBe(512 * 1000 + 1000);
  });

  it('finds nothing wrong with freshly initialized weights', () => {
    expect(report.findings).toEqual([]);
  });

  it('finds each kind of damage done to a copy of the weights', async () => {
    const d = torch.damage;
    const broken = await inspectModel(await openModel(await fileSource(join(dir, 'broken.onnx'))));
    const found = broken.findings.map((f) => `${f.severity} ${f.id} ${f.tensors?.join()}: ${f.message}`);
    expect(found).toEqual([
      `warning broken_weights ${d.zeros}: ${d.zeros} is all zeros.`,
      `error broken_weights ${d.nan_inf}: ${d.nan_inf} holds 5 NaN and 2 Inf of 9408 values.`,
      `warning broken_weights ${d.dead_filters}: 3 of 64 filters of ${d.dead_filters} are all zeros (dead filters).`,
      expect.stringMatching(
        new RegExp(
          `^warning bad_init ${d.too_large}: .* has std 5\\.\\d+, 100x the 0\\.0589 that its fan-in of 576 implies`,
        ),
      ),
      expect.stringMatching(
        new RegExp(`^warning bad_init ${d.too_small}: .* has std 5\\.\\d+e-5, 1/10\\d\\d of the 0\\.0589`),
      ),
      `warning broken_weights ${d.extreme}: ${d.extreme} has extreme values (max |w| = 1.00e+5, above 1.00e+4).`,
      expect.stringMatching(new RegExp(`^warning bad_init ${d.extreme}: `)),
    ]);
  });

  it('reads the same weights from an external-data copy', async () => {
    const ext = await openModel(await fileSource(join(dir, 'ext', 'resnet18.onnx')));
    expect(ext.tensors.map((t) => t.name)).toEqual(model.tensors.map((t) => t.name));
    let external = 0;
    for (let i = 0; i < ext.tensors.length; i++) {
      if (ext.tensors[i].location) {
        expect(ext.tensors[i].location).toBe('resnet18.data');
        external++;
      }
      const a = (await ext.tensors[i].read()) as Float32Array;
      const b = (await model.tensors[i].read()) as Float32Array;
      expect(
        Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
          Buffer.from(b.buffer, b.byteOffset, b.byteLength),
        ),
      ).toBe(true);
    }
    expect(external).toBeGreaterThan(20);
  });

  it('rewrites the model so ONNX Runtime returns intermediates equal to PyTorch activations', async () => {
    const g = model.graph!;
    const firstConv = g.nodes.find((n) => n.op === 'Conv')!.outputs[0];
    const layer1 = g.nodes.find((n) => n.name === '/layer1/layer1.1/relu_1/Relu')!.outputs[0];
    const extra = [firstConv, layer1].map((name) => ({ name, ...g.values.get(name) }));
    const bytes = withExtraOutputs(
      new Uint8Array(readFileSync(file)),
      extra,
      g.outputs.map((o) => o.name),
    );
    // the rewritten file still opens, with the same weights and two more outputs
    const reopened = await openModel({
      ...(await fileSource(file)),
      size: bytes.length,
      read: async (o, n) => bytes.subarray(o, o + n),
    });
    expect(reopened.graph!.outputs.map((o) => o.name)).toEqual([
      ...g.outputs.map((o) => o.name),
      firstConv,
      layer1,
    ]);

    const session = await ort.InferenceSession.create(bytes);
    const input = new ort.Tensor('float32', floats('input.bin'), [1, 3, 224, 224]);
    const out = await session.run({ 'input.1': input });
    const close = (got: ort.Tensor, want: Float32Array, dims: number[]) => {
      expect(got.dims).toEqual(dims);
      const data = got.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < want.length; i++)
        worst = Math.max(worst, Math.abs(data[i] - want[i]) / (1 + Math.abs(want[i])));
      expect(worst, `${dims}`).toBeLessThan(1e-4);
    };
    close(out[firstConv], floats('bn1.bin'), [1, 64, 112, 112]); // Conv with BatchNorm folded in = PyTorch's bn1
    close(out[layer1], floats('layer1.bin'), [1, 64, 56, 56]);
    close(out[g.outputs[0].name], floats('output.bin'), [1, 1000]);
  });
});

describe('mobilenet_v2 exported by PyTorch (depthwise convolutions)', () => {
  const mobile = () => join(dir, 'mobilenet_v2.onnx');

  it('has the nodes, initializers and MACs the onnx package and PyTorch hooks give', async () => {
    const facts = python<Record<string, ModelFacts>>('facts.py', [mobile()])[mobile()];
    const m = await openModel(await fileSource(mobile()));
    const r = await inspectModel(m);
    expect(r.graph?.nodes).toBe(facts.nodes);
    expect(r.graph?.op_types).toEqual(facts.op_types);
    expect(r.parameters.elements).toBe(facts.initializers.reduce((n, t) => n + numel(t.dims), 0));
    expect(m.graph!.nodes.filter((n) => n.op === 'Conv' && Number(n.attributes.group ?? 1) > 1).length).toBe(
      torch.mobilenet_v2.grouped_convs,
    );
    expect(r.flops?.macs).toBe(torch.mobilenet_v2.macs);
    expect(torch.mobilenet_v2.parameters).toBe(3_504_872);
    // torchvision initializes these convolutions by fan-out: a fresh model has no findings
    expect(r.findings).toEqual([]);
  });
});

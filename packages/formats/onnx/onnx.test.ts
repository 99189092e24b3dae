/**
 * Every ONNX fixture (real files from the ONNX backend tests, onnx-caffe2, PyTorch, spox, CNTK) against
 * what the onnx Python package independently reads from the same files.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Graph, Model, TensorInfo } from '../model';
import { ModelError } from '../model';
import { fileSource } from '../node-source';
import { openModel } from '../open';
import { openOnnx } from './index';
import { expectSameTensor } from './test/compare';
import { FIXTURES, type ModelFacts, type PbFacts, python } from './test/python';

const nodeTests = join(FIXTURES, 'onnx-node-tests');
const modelFiles = [
  ...readdirSync(nodeTests).map((t) => join(nodeTests, t, 'model.onnx')),
  ...['onnx-backend-light', 'silero-vad', 'tensorboardX'].flatMap((d) =>
    readdirSync(join(FIXTURES, 'onnx-models', d))
      .filter((f) => f.endsWith('.onnx'))
      .map((f) => join(FIXTURES, 'onnx-models', d, f)),
  ),
];
const pbFiles = readdirSync(nodeTests).flatMap((t) => {
  const dir = join(nodeTests, t, 'test_data_set_0');
  return readdirSync(dir).map((f) => join(dir, f));
});

let facts: Record<string, ModelFacts>;
let pbFacts: Record<string, PbFacts>;
const models = new Map<string, Model>();

beforeAll(async () => {
  facts = python('facts.py', modelFiles);
  pbFacts = python('facts.py', pbFiles);
  for (const f of modelFiles) models.set(f, await openOnnx(await fileSource(f)));
});

function countNodes(g: Graph): number {
  return g.nodes.reduce(
    (n, node) => n + 1 + Object.values(node.subgraphs ?? {}).reduce((m, s) => m + countNodes(s), 0),
    0,
  );
}

describe('ONNX fixtures', () => {
  it('covers all 92 backend tests and 14 real models', () => {
    expect(modelFiles.length).toBe(92 + 14);
    for (const f of modelFiles) expect(facts[f].error, f).toBeUndefined();
  });

  it('reads the graph the onnx package reads: nodes in order, op types, inputs, outputs, opsets, producer', () => {
    for (const f of modelFiles) {
      const m = models.get(f)!;
      const x = facts[f];
      const g = m.graph!;
      expect(
        g.nodes.map((n) => n.name),
        f,
      ).toEqual(x.node_names);
      const ops: Record<string, number> = {};
      for (const n of g.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
      expect(ops, f).toEqual(x.op_types);
      expect(countNodes(g), `${f} nodes with subgraphs`).toBe(x.all_nodes);
      expect(
        g.inputs.map((v) => v.name),
        f,
      ).toEqual(x.inputs);
      expect(
        g.outputs.map((v) => v.name),
        f,
      ).toEqual(x.outputs);
      const opsets = Object.fromEntries(
        Object.entries(x.opset).map(([d, v]) => [d === 'ai.onnx' ? '' : d, v]),
      );
      expect(m.opsetImports, f).toEqual(opsets);
      expect(m.producer ?? '', f).toBe(x.producer);
      expect(m.functions?.length ?? 0, f).toBe(x.functions);
      expect([...g.initializers.keys()], f).toEqual(x.initializers.map((t) => t.name));
    }
  });

  it('decodes every initializer and Constant tensor to the values numpy_helper gives', async () => {
    let checked = 0;
    const dtypes = new Set<string>();
    for (const f of modelFiles) {
      const g = models.get(f)!.graph!;
      for (const t of facts[f].initializers) {
        if (t.error) continue;
        await expectSameTensor(g.initializers.get(t.name)!, t, `${f} ${t.name}`);
        dtypes.add(g.initializers.get(t.name)!.dtype);
        checked++;
      }
      for (const c of facts[f].constants) {
        if (c.error) continue;
        const node = g.nodes.find((n) => n.name === c.node && n.outputs[0] === c.output)!;
        const value = Object.values(node.attributes).find(
          (v) => v && typeof v === 'object' && 'tensor' in v,
        ) as {
          tensor: TensorInfo;
        };
        await expectSameTensor(value.tensor, c, `${f} Constant ${c.node}`);
        dtypes.add(value.tensor.dtype);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect([...dtypes].sort()).toEqual(['float32', 'int64']);
  });

  it('opens every backend-test .pb as a tensor (or sequence of tensors) with the values numpy_helper gives', async () => {
    const kinds = new Set<string>();
    for (const f of pbFiles) {
      const m = await openModel(await fileSource(f));
      expect(m.format, f).toBe('onnx-tensor');
      const x = pbFacts[f];
      const expected = x.kind === 'tensor' ? [x.tensor] : x.tensors;
      expect(m.tensors.length, f).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) {
        if (expected[i].error) continue;
        kinds.add(m.tensors[i].dtype);
        await expectSameTensor(m.tensors[i], expected[i], `${f}[${i}]`);
      }
    }
    expect([...kinds].sort()).toEqual([
      'bool',
      'float16',
      'float32',
      'float64',
      'int32',
      'int64',
      'string',
      'uint8',
    ]);
  });

  it('keeps every value_info shape the file stores', () => {
    let stored = 0;
    for (const f of modelFiles) {
      const g = models.get(f)!.graph!;
      for (const [name, dims] of Object.entries(facts[f].value_info)) {
        const v = g.values.get(name);
        expect(v?.inferred, `${f} ${name}`).toBeUndefined();
        expect(v?.shape ?? null, `${f} ${name}`).toEqual(dims);
        stored++;
      }
    }
    expect(stored).toBe(59);
  });

  it('infers the shapes onnx.shape_inference infers, where the file has no value_info', () => {
    let agreed = 0;
    let missing = 0;
    for (const f of modelFiles) {
      const g = models.get(f)!.graph!;
      for (const [name, dims] of Object.entries(facts[f].inferred ?? {})) {
        if (!dims?.every((d) => typeof d === 'number')) continue;
        const ours = g.values.get(name);
        if (!ours?.inferred) continue;
        if (!ours.shape) {
          missing++;
          continue;
        }
        expect(ours.shape, `${f} ${name}`).toEqual(dims);
        agreed++;
      }
    }
    // the light CNNs alone have ~4,000 values without value_info
    expect(agreed).toBeGreaterThan(3000);
    expect(missing / (agreed + missing)).toBeLessThan(0.05);
  });

  it('infers every value shape of the classic CNNs (they have no value_info at all)', () => {
    for (const f of modelFiles.filter((m) => m.includes('onnx-backend-light'))) {
      const g = models.get(f)!.graph!;
      const inferred = facts[f].inferred ?? {};
      const known = Object.entries(inferred).filter(([, d]) => d?.every((x) => typeof x === 'number'));
      const ours = known.filter(([name]) => g.values.get(name)?.shape);
      expect(ours.length, f).toBe(known.length);
    }
  });
});

describe('broken ONNX files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-onnx-'));
  const mnist = readFileSync(join(FIXTURES, 'onnx-models/tensorboardX/mnist-8.onnx'));

  async function openError(name: string, bytes: Uint8Array): Promise<string> {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const err = await openModel(await fileSource(path)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelError);
    const message = (err as Error).message;
    expect(message.startsWith(`${name}: `)).toBe(true);
    expect(message).not.toContain('\n');
    return message;
  }

  it('names the file and the problem in one sentence', async () => {
    expect(await openError('empty.onnx', new Uint8Array(0))).toBe('empty.onnx: is empty');
    expect(await openError('truncated.onnx', mnist.subarray(0, 5000))).toMatch(
      /^truncated\.onnx: is not a valid ONNX model: .*runs past the end/,
    );
    expect(await openError('text.onnx', new TextEncoder().encode('this is not a model\n'))).toMatch(
      /^text\.onnx: is not (a valid ONNX model|an ONNX model)/,
    );
    expect(await openError('notes.bin', new TextEncoder().encode('hello'))).toMatch(
      /^notes\.bin: not a recognized model format \(tried onnx, graphdef, .*\)$/,
    );
  });
});

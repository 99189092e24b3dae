import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ModelFacts, python } from '../../../formats/onnx/test/python';
import { SHARED, tensorscope } from '../../test/cli';

const mnist = join(SHARED, 'fixtures/onnx-models/tensorboardX/mnist-8.onnx');

describe('tensorscope inspect', () => {
  it('--json gives the documented shape, with counts the onnx package agrees with', () => {
    const facts = python<Record<string, ModelFacts>>('facts.py', [mnist])[mnist];
    const r = tensorscope('inspect', mnist, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).slice(0, 6)).toEqual([
      'format',
      'producer',
      'opset',
      'graph',
      'parameters',
      'findings',
    ]);
    const numel = (dims: number[]) => dims.reduce((p, d) => p * d, 1);
    const elements = facts.initializers.reduce((n, t) => n + numel(t.dims), 0);
    // bytes per element by TensorProto.DataType: FLOAT 4, INT64 8 (mnist-8 holds only these two)
    const width: Record<number, number> = { 1: 4, 7: 8 };
    const bytes = facts.initializers.reduce((n, t) => n + numel(t.dims) * width[t.data_type], 0);
    expect(out).toMatchObject({
      format: 'onnx',
      producer: facts.producer,
      opset: facts.opset[''],
      graph: {
        nodes: facts.nodes,
        op_types: facts.op_types,
        inputs: [{ name: 'Input3', shape: [1, 1, 28, 28], dtype: 'float32' }],
        outputs: [{ name: facts.outputs[0], shape: [1, 10], dtype: 'float32' }],
      },
      parameters: { tensors: facts.initializers.length, elements, bytes },
      findings: [],
    });
  });

  it('prints a table of layers, shapes and parameters', () => {
    const r = tensorscope('inspect', mnist);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`${mnist}: onnx, producer CNTK 2.5.1, opset 8`);
    expect(lines).toContain(' #  node               op       output shape     params    MACs');
    expect(lines.find((l) => l.includes('Convolution28'))).toMatch(
      /Conv\s+\[1, 8, 28, 28\]\s+200\s+156\.8K$/,
    );
    expect(lines).toContain('parameters: 5,998 in 8 tensors (23.4 KiB)');
    expect(lines).toContain('findings: none');
  });

  it('fails with exit 2 and one sentence naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-inspect-'));
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, new Uint8Array([0x08, 0x07, 0x3a, 0xff, 0x7f]));
    const r = tensorscope('inspect', bad);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'tensorscope: bad.onnx: is not a valid ONNX model: a length-delimited field runs past the end of its message\n',
    );
    const missing = tensorscope('inspect', join(dir, 'nope.onnx'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `tensorscope: ${join(dir, 'nope.onnx')}: cannot be read (no such file or no permission)\n`,
    );
    const usage = tensorscope('inspect');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe(
      'tensorscope: inspect takes one model file: tensorscope inspect <model> [--json].\n',
    );
  });
});

import type { Graph, GraphNode } from '@tensorscope/formats/model';
import { describe, expect, it } from 'vitest';
import { moduleTotals, nodeModulePath, tensorModulePath } from './modules';

const node = (name: string, inputs: string[] = []): GraphNode => ({
  id: name,
  name,
  op: 'Conv',
  inputs,
  outputs: [],
  attributes: {},
});
const graph = (inits: string[]): Graph => ({
  name: 'g',
  nodes: [],
  inputs: [],
  outputs: [],
  values: new Map(),
  initializers: new Map(
    inits.map((n) => [
      n,
      { name: n, dtype: 'float32', shape: [1], byteLength: 4, read: async () => new Float32Array(1) },
    ]),
  ),
});

describe('module paths', () => {
  it('come from PyTorch scoped node names, weight names and TensorFlow scopes', () => {
    const g = graph(['layer2.1.conv2.weight', 'onnx::Conv_193']);
    expect(nodeModulePath(node('/layer1/layer1.0/conv1/Conv'), g)).toEqual(['layer1', '0', 'conv1']);
    expect(nodeModulePath(node('/model/encoder/encoder.0/reparam_conv/Conv'), g)).toEqual([
      'model',
      'encoder',
      '0',
      'reparam_conv',
    ]);
    expect(nodeModulePath(node('Conv_7', ['x', 'layer2.1.conv2.weight']), g)).toEqual([
      'layer2',
      '1',
      'conv2',
    ]);
    expect(nodeModulePath(node('Conv_8', ['x', 'onnx::Conv_193']), g)).toEqual([]);
    expect(tensorModulePath('layer1.0.conv1.weight')).toEqual(['layer1', '0', 'conv1']);
    expect(tensorModulePath('dense_1/kernel:0')).toEqual(['dense_1']);
    expect(tensorModulePath('bias')).toEqual([]);
  });

  it('sum into every ancestor, sorted with numeric segments in numeric order', () => {
    const totals = moduleTotals([
      { path: ['layer', '10'], parameters: 5 },
      { path: ['layer', '2'], parameters: 3, macs: 7 },
      { path: [], parameters: 1 },
    ]);
    expect(totals.map((m) => [m.path, m.parameters, m.macs])).toEqual([
      ['', 9, 7],
      ['layer', 8, 7],
      ['layer.2', 3, 7],
      ['layer.10', 5, 0],
    ]);
  });
});

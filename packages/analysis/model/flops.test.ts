import { join } from 'node:path';
import { fileSource } from '@tensorscope/formats/node-source';
import { openOnnx } from '@tensorscope/formats/onnx';
import { openModel } from '@tensorscope/formats/open';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../formats/onnx/test/python';
import { nodeMacs } from './flops';

async function macs(test: string): Promise<number | undefined> {
  const m = await openOnnx(await fileSource(join(FIXTURES, 'onnx-node-tests', test, 'model.onnx')));
  return nodeMacs(m.graph!.nodes[0], m.graph!);
}

describe('MACs of the ONNX backend-test models, worked out from the operator definitions', () => {
  it('attention: Q.K^T plus attention.V, per head', async () => {
    // 3-D: Q [2, 4, 24], K and V [2, 6, 24], 3 heads of 8: 2*3*4*6*8 twice
    expect(await macs('test_attention_3d')).toBe(2 * (2 * 3 * 4 * 6 * 8));
    // 4-D: Q [2, 3, 4, 8], K and V [2, 3, 6, 8]
    expect(await macs('test_attention_4d')).toBe(2 * (2 * 3 * 4 * 6 * 8));
  });

  it('Gemm with transposed inputs, batched MatMul, ConvTranspose and LSTM', async () => {
    // A [4, 3] transposed: M 3, K 4; B [5, 4] transposed: N 5
    expect(await macs('test_gemm_all_attributes')).toBe(3 * 5 * 4);
    // [1, 2, 3, 4] x [1, 2, 4, 3]
    expect(await macs('test_matmul_4d')).toBe(2 * 3 * 3 * 4);
    // every one of the 9 input pixels scatters into 2 output channels through a 3x3 kernel
    expect(await macs('test_convtranspose')).toBe(9 * 2 * 9);
    // seq 1, batch 3, input 2, hidden 3: 4 gates of (input + hidden) x hidden per step and item
    expect(await macs('test_lstm_defaults')).toBe(1 * 3 * 4 * 3 * (2 + 3));
  });

  it('counts nothing for ops it does not model', async () => {
    expect(await macs('test_relu')).toBeUndefined();
  });
});

describe('MACs of a TensorFlow graph (the Keras MLP in the guildai event file)', () => {
  it('count each dense layer as inputs x units, batch symbolic', async () => {
    const file = join(
      FIXTURES,
      'tfevents/guildai/projects/model-proxies/logs/events.out.tfevents.1548797801.omaha',
    );
    const g = (await openModel(await fileSource(file))).graph!;
    const layer = (name: string) => nodeMacs(g.nodes.find((n) => n.name === name)!, g);
    expect([layer('dense_1/MatMul'), layer('dense_2/MatMul'), layer('dense_3/MatMul')]).toEqual([
      784 * 512,
      512 * 512,
      512 * 10,
    ]);
  });
});

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { bytesSource, testFileSource } from '../common/test-sources';
import { openTfjs } from '../tfjs/index';
import { keras, openKeras } from './index';

const DIR = '/work/shared/fixtures/keras-h5/frugally-deep';
const files = ['lstm.h5', 'lstm_stateful.h5', 'temp_stateful.h5', 'temp_stateless.h5'].map((f) =>
  join(DIR, f),
);

/** the reference: h5py (libhdf5 through Python) lists layer_names / weight_names and reads each dataset */
const oracle = `
import h5py, json, sys
out = {}
for path in sys.argv[1:]:
    with h5py.File(path, "r") as f:
        g = f["model_weights"]
        ws = []
        for layer in g.attrs["layer_names"]:
            layer = layer.decode()
            for name in g[layer].attrs["weight_names"]:
                name = name.decode()
                d = g[layer][name]
                ws.append([name, str(d.dtype), list(d.shape), [float(x) for x in d[()].reshape(-1)]])
        out[path] = {"weights": ws, "config": json.loads(f.attrs["model_config"])}
print(json.dumps(out))
`;

describe('Keras H5', () => {
  it('reads every weight of every fixture exactly as h5py does', async () => {
    const expected: Record<string, { weights: [string, string, number[], number[]][] }> = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', oracle, ...files], { maxBuffer: 1 << 28 }).toString(),
    );
    for (const file of files) {
      const model = await openKeras(await testFileSource(file));
      expect(model.format).toBe('keras');
      const want = expected[file].weights;
      expect(model.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual(
        want.map(([n, d, s]) => [n, d === 'float32' ? 'float32' : d, s]),
      );
      for (const [i, t] of model.tensors.entries())
        expect(Array.from((await t.read()) as Float32Array), `${file} ${t.name}`).toEqual(want[i][3]);
    }
  });

  it('builds the functional graph of lstm.h5 from inbound_nodes, with multi-output layers', async () => {
    const model = await openKeras(await testFileSource(files[0]));
    expect(model.producer).toBe('keras 2.2.5');
    const g = model.graph!;
    expect(g.inputs.map((i) => [i.name, i.shape])).toEqual([
      ['input_1', [null, 17, 4]],
      ['input_2', [null, 1, 10]],
      ['input_3', [null, null, 4]],
      ['input_4', [null, 12]],
      ['input_5', [null, 12]],
    ]);
    expect(g.outputs).toHaveLength(17);
    const byName = new Map(g.nodes.map((n) => [n.name, n]));
    expect(byName.get('lstm_2')!.inputs).toEqual([
      'lstm_1',
      'lstm_2/kernel:0',
      'lstm_2/recurrent_kernel:0',
      'lstm_2/bias:0',
    ]);
    expect(byName.get('lstm_3')!.outputs).toEqual(['lstm_3', 'lstm_3:0:1', 'lstm_3:0:2']);
    const bi = byName.get('bidirectional_1')!;
    expect([bi.op, bi.attributes.layer, bi.attributes.merge_mode]).toEqual([
      'Bidirectional',
      'LSTM',
      'concat',
    ]);
    expect(bi.inputs.filter((i) => i.includes('/'))).toHaveLength(6);
    // every weight is attached to exactly one layer
    expect(g.initializers.size).toBe(model.tensors.length);
    // every node input is a graph input, another node's output or a weight
    const produced = new Set([
      ...g.inputs.map((i) => i.name),
      ...g.nodes.flatMap((n) => n.outputs),
      ...g.initializers.keys(),
    ]);
    for (const n of g.nodes)
      for (const i of n.inputs) expect(produced.has(i), `${n.name} <- ${i}`).toBe(true);
  });

  it('builds nested models as subgraphs (a Sequential inside a Sequential, written by TF.js)', async () => {
    const inner = tf.sequential({
      name: 'inner',
      layers: [
        tf.layers.dense({ name: 'hidden', units: 3, inputShape: [2] }),
        tf.layers.dense({ name: 'head', units: 1 }),
      ],
    });
    const outer = tf.sequential({
      name: 'outer',
      layers: [tf.layers.dense({ name: 'pre', units: 2, inputShape: [4] }), inner],
    });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await outer.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const json = JSON.stringify({
      format: 'layers-model',
      modelTopology: artifacts!.modelTopology,
      weightsManifest: [{ paths: ['w.bin'], weights: artifacts!.weightSpecs }],
    });
    const model = await openTfjs(
      bytesSource('model.json', new TextEncoder().encode(json), {
        'w.bin': new Uint8Array(artifacts!.weightData as ArrayBuffer),
      }),
    );
    const g = model.graph!;
    expect(g.nodes.map((n) => [n.name, n.op])).toEqual([
      ['pre', 'Dense'],
      ['inner', 'Sequential'],
    ]);
    const sub = g.nodes[1].subgraphs!.model;
    expect(sub.nodes.map((n) => [n.name, n.inputs])).toEqual([
      ['hidden', ['input', 'hidden/kernel', 'hidden/bias']],
      ['head', ['hidden', 'head/kernel', 'head/bias']],
    ]);
    expect([...g.initializers.keys()].sort()).toEqual([
      'head/bias',
      'head/kernel',
      'hidden/bias',
      'hidden/kernel',
      'pre/bias',
      'pre/kernel',
    ]);
    const kernel = model.tensors.find((t) => t.name === 'hidden/kernel')!;
    expect(Array.from((await kernel.read()) as Float32Array)).toEqual(
      Array.from(inner.layers[0].getWeights()[0].dataSync()),
    );
  });

  it('detects HDF5 by signature and rejects other files in one sentence', async () => {
    const bytes = readFileSync(files[2]);
    expect(keras.detect(bytesSource('x.h5', bytes), bytes.subarray(0, 16))).toBe(true);
    await expect(openKeras(bytesSource('model.h5', new Uint8Array(64)))).rejects.toThrow(
      /^model\.h5: it is not an HDF5 file \(no HDF5 signature\)$/,
    );
    await expect(openKeras(bytesSource('cut.h5', bytes.subarray(0, 800)))).rejects.toThrow(
      /^cut\.h5: its HDF5 structure cannot be read, so it is truncated or damaged \(h5wasm: .*\)$/,
    );
  });
});

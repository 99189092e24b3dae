/**
 * Capture against PyTorch: torchvision resnet18 exported by Debian's PyTorch during the test; the
 * statistics of every module output seen by PyTorch forward hooks must equal those of the ONNX
 * Runtime intermediates. Plus the NaN origin of a model built to make NaN at a known node, and inputs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSource } from '@tensorscope/formats/node-source';
import { openNpy } from '@tensorscope/formats/npy';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CaptureResult, CaptureSession, staticValues } from './capture';
import { PRESETS } from './image';
import { loadFeed, randomFeed } from './inputs';
import { assign, POOL_MIN, type PoolJob } from './stats-pool';

interface HookStats {
  shape: number[];
  mean: number;
  std: number;
  min: number;
  max: number;
  zeros: number;
  nan: number;
  inf: number;
  dead_channels?: number[];
}

const dir = mkdtempSync(join(tmpdir(), 'ts-runtime-'));
let hooks: Record<string, HookStats>;
let resnet: CaptureSession;
let result: CaptureResult;

beforeAll(async () => {
  const out = execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'test/export_models.py'), dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  hooks = JSON.parse(out).hooks;
  resnet = await CaptureSession.open(join(dir, 'resnet18.onnx'));
  const feed = await loadFeed(join(dir, 'input.npy'), resnet.inputs[0], PRESETS.imagenet);
  result = await resnet.run([feed], { keep: ['/layer1/layer1.0/relu_1/Relu_output_0'] });
}, 300_000);

const close = (a: number, b: number, rel = 1e-4, abs = 1e-5) => Math.abs(a - b) <= abs + rel * Math.abs(b);

describe('capture of resnet18 against PyTorch forward hooks', () => {
  it('captures every node output of the graph, in execution order', () => {
    const g = resnet.graph;
    expect(result.tensors.map((t) => t.name)).toEqual(g.nodes.flatMap((n) => n.outputs));
    expect(result.notCapturable).toEqual([]);
  });

  it('has the mean, std, min, max, zero fraction and dead channels PyTorch computes', () => {
    const nodes = Object.keys(hooks);
    // stem conv, relu, maxpool; conv1, relu, conv2, relu_1 of 8 blocks; 3 downsample convs; avgpool; fc
    expect(nodes.length).toBe(40);
    for (const node of nodes) {
      const want = hooks[node];
      const got = result.tensors.find((t) => t.node === node);
      expect(got, node).toBeDefined();
      const s = got!.stats!;
      expect(got!.shape, node).toEqual(want.shape);
      // the scale of a tensor: errors of float32 kernels are relative to it, not to the mean
      const scale = Math.max(Math.abs(want.min), Math.abs(want.max));
      expect(close(s.mean, want.mean, 1e-4, 1e-5 * scale), `${node} mean ${s.mean} vs ${want.mean}`).toBe(
        true,
      );
      expect(close(s.std, want.std), `${node} std ${s.std} vs ${want.std}`).toBe(true);
      expect(close(s.min, want.min, 1e-4, 1e-5 * scale), `${node} min`).toBe(true);
      expect(close(s.max, want.max, 1e-4, 1e-5 * scale), `${node} max`).toBe(true);
      expect(Math.abs(s.zeros - want.zeros), `${node} zeros`).toBeLessThan(1e-4);
      expect([s.nan, s.inf]).toEqual([want.nan, want.inf]);
      if (want.dead_channels) expect(s.deadChannels, node).toEqual(want.dead_channels);
    }
    // the channels the export script killed
    expect(result.tensors.find((t) => t.node === '/relu/Relu')?.stats?.deadChannels).toEqual([0, 5, 9]);
  });

  it('histograms count every finite value', () => {
    for (const t of result.tensors) {
      const h = t.stats!.histogram;
      const total = h.counts.reduce((a, b) => a + b, 0);
      expect(total).toBe(t.stats!.count - t.stats!.nan - t.stats!.inf);
    }
  });

  it('keeps full data only for the tensors asked for', () => {
    expect([...result.kept.keys()]).toEqual(['/layer1/layer1.0/relu_1/Relu_output_0']);
    expect(result.kept.get('/layer1/layer1.0/relu_1/Relu_output_0')?.data.length).toBe(64 * 56 * 56);
  });

  it('gives the same statistics when the outputs are fetched in small groups', async () => {
    const small = await resnet.run(result.feeds, { maxBytes: 1 << 20 });
    expect(small.tensors.map((t) => [t.name, t.stats?.mean])).toEqual(
      result.tensors.map((t) => [t.name, t.stats?.mean]),
    );
  });
});

describe('Relu outputs derived from the pass over their input', () => {
  it('have the statistics of the Relu outputs ONNX Runtime returns, dead channels included', async () => {
    const relus = resnet.graph.nodes.filter((n) => n.op === 'Relu').map((n) => n.outputs[0]);
    expect(relus.length).toBe(17);
    // asked for in full, the Relu outputs are fetched from ORT instead of derived
    const fetched = await resnet.run(result.feeds, { keep: relus });
    expect([...fetched.kept.keys()].sort()).toEqual([...relus].sort());
    const derived = await resnet.run(result.feeds);
    expect(derived.tensors.map((t) => t.name)).toEqual(fetched.tensors.map((t) => t.name));
    for (const name of relus) {
      const got = derived.tensors.find((t) => t.name === name)!;
      const want = fetched.tensors.find((t) => t.name === name)!;
      expect([got.node, got.op, got.index, got.dtype, got.shape]).toEqual([
        want.node,
        want.op,
        want.index,
        want.dtype,
        want.shape,
      ]);
      const [a, b] = [got.stats!, want.stats!];
      expect(a.mean, name).toBeCloseTo(b.mean, 10);
      expect(a.std, name).toBeCloseTo(b.std, 10);
      expect([a.count, a.min, a.max, a.zeros, a.nan, a.inf, a.deadChannels], name).toEqual([
        b.count,
        b.min,
        b.max,
        b.zeros,
        b.nan,
        b.inf,
        b.deadChannels,
      ]);
      expect(Array.from(a.histogram.counts), name).toEqual(Array.from(b.histogram.counts));
    }
    expect(derived.tensors.find((t) => t.node === '/relu/Relu')?.stats?.deadChannels).toEqual([0, 5, 9]);
    // every other tensor is fetched either way
    for (const t of derived.tensors.filter((t) => !relus.includes(t.name)))
      expect(t.stats, t.name).toEqual(fetched.tensors.find((f) => f.name === t.name)!.stats);
  });
});

describe('statistics on worker threads', () => {
  const conv = '/conv1/Conv_output_0'; // the largest tensor (64 x 112 x 112): the first sent to a worker
  const relu = '/layer1/layer1.0/relu_1/Relu_output_0';

  it('sends the large tensors to workers, largest first, and keeps small ones on the main thread', () => {
    const job = (n: number): PoolJob => ({
      data: new Float32Array(n),
      shape: [n],
      op: '',
      relu: false,
      attention: false,
      back: false,
    });
    const sizes = [POOL_MIN - 1, 4 * POOL_MIN, POOL_MIN, 3 * POOL_MIN, 2 * POOL_MIN];
    expect(assign(sizes.map(job), 1, true)).toEqual([-1, 0, 0, -1, -1]);
    expect(assign(sizes.map(job), 2, false)).toEqual([-1, 0, 0, 1, 1]);
    expect(assign(sizes.map(job), 0, true)).toEqual([-1, -1, -1, -1, -1]);
    const shared = new Float32Array(new ArrayBuffer(8 * POOL_MIN), 0, POOL_MIN); // not its whole buffer
    expect(assign([{ ...job(1), data: shared }], 1, true)).toEqual([-1]);
  });

  it('give every field of every tensor as the main thread alone does, and kept data intact', async () => {
    const single = await CaptureSession.open(join(dir, 'resnet18.onnx'), { workers: 0, main: true });
    const options = { keep: [conv, relu] };
    const want = await single.run(result.feeds, options);
    const seenWant = new Map<string, number[]>();
    await single.run(result.feeds, {
      onTensor: (r, d) => void seenWant.set(r.name, Array.from(d.slice(0, 64), Number)),
    });
    for (const threads of [
      { workers: 1, main: true },
      { workers: 2, main: false },
    ]) {
      const pooled = await CaptureSession.open(join(dir, 'resnet18.onnx'), threads);
      await pooled.statsThreadsLoaded(); // else the first runs keep everything on the main thread
      for (let run = 0; run < 2; run++) {
        const got = await pooled.run(result.feeds, options);
        expect(got.tensors).toEqual(want.tensors); // Object.is on every number: -0, NaN and all
        expect(got.nanOrigin).toEqual(want.nanOrigin);
        for (const name of [conv, relu]) {
          const [a, b] = [got.kept.get(name)!, want.kept.get(name)!];
          expect(a.shape).toEqual(b.shape);
          expect(a.data.length).toBe(b.data.length);
          expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer)), name).toBe(true);
        }
      }
      // onTensor sees every tensor's data after the statistics, handed back by the workers
      const seen = new Map<string, number[]>();
      await pooled.run(result.feeds, {
        onTensor: (r, d) => void seen.set(r.name, Array.from(d.slice(0, 64), Number)),
      });
      expect(seen).toEqual(seenWant);
      await pooled.release();
    }
    await single.release();
  });
});

describe('attention maps of an exported transformer encoder', () => {
  it('finds one map per layer, [heads, queries, keys], each row summing to 1 over keys', async () => {
    const s = await CaptureSession.open(join(dir, 'encoder.onnx'));
    const softmaxes = s.graph.nodes.filter((n) => n.op === 'Softmax').map((n) => n.outputs[0]);
    const r = await s.run([randomFeed(s.inputs[0])], { keep: softmaxes });
    const maps = r.tensors.filter((t) => t.attention);
    expect(maps.map((t) => t.node)).toEqual(['/layers.0/self_attn/Softmax', '/layers.1/self_attn/Softmax']);
    for (const t of maps) {
      // batch 1 x 4 heads, 10 tokens attending to 10 tokens
      expect(t.attention).toMatchObject({ heads: 4, queries: 10, keys: 10 });
      expect(t.attention!.rowSumError).toBeLessThan(1e-5);
      // and independently, from the kept data
      const { data, shape } = r.kept.get(t.name)!;
      expect(shape).toEqual([4, 10, 10]);
      for (let row = 0; row < 40; row++) {
        let sum = 0;
        for (let k = 0; k < 10; k++) sum += Number(data[row * 10 + k]);
        expect(sum).toBeCloseTo(1, 5);
      }
    }
  });
});

describe('static values', () => {
  it('are the Constant outputs and values of weights alone, captured once per session', async () => {
    const s = await CaptureSession.open(join(dir, 'encoder.onnx'));
    const g = s.graph;
    const fixed = staticValues(g);
    const constants = g.nodes.filter((n) => n.op === 'Constant').flatMap((n) => n.outputs);
    expect(constants.length).toBeGreaterThan(0);
    for (const c of constants) expect(fixed.has(c), c).toBe(true);
    // the weights PyTorch exports through Identity nodes are static; nothing that reads the input is
    const fromInput = g.nodes.filter((n) => n.inputs.includes(s.inputs[0].name)).flatMap((n) => n.outputs);
    expect(fromInput.length).toBeGreaterThan(0);
    for (const v of fromInput) expect(fixed.has(v), v).toBe(false);
    expect(fixed.has(g.outputs[0].name)).toBe(false);
    const first = await s.run([randomFeed(s.inputs[0], 1)]);
    const second = await s.run([randomFeed(s.inputs[0], 2)]);
    expect(second.tensors.map((t) => t.name)).toEqual(first.tensors.map((t) => t.name));
    for (const [a, b] of first.tensors.map((t, i) => [t, second.tensors[i]] as const)) {
      if (fixed.has(a.name)) expect(b.stats, a.name).toEqual(a.stats);
    }
    const out = (r: CaptureResult) => r.tensors.find((t) => t.name === g.outputs[0].name)!.stats!.mean;
    expect(out(second)).not.toBe(out(first));
    // and a static value asked for in full is fetched again
    const kept = await s.run([randomFeed(s.inputs[0], 3)], { keep: [constants[0]] });
    expect(kept.kept.has(constants[0])).toBe(true);
    await s.release();
  });
});

describe('NaN origin', () => {
  it('is the first node that makes NaN from finite inputs', async () => {
    const s = await CaptureSession.open(join(dir, 'nan.onnx'));
    const r = await s.run([randomFeed(s.inputs[0])]);
    // sqrt(x @ W + b - 10) is NaN wherever x @ W + b < 10: with standard normal x, everywhere here
    expect(r.nanOrigin).toMatchObject({
      kind: 'node',
      node: 'sqrt',
      op: 'Sqrt',
      index: 3,
      outputs: ['root'],
    });
    expect(r.tensors.find((t) => t.name === 'shifted')?.stats?.nan).toBe(0);
    expect(r.tensors.find((t) => t.name === 'Y')?.stats?.nan).toBeGreaterThan(0);
  });

  it('names the input when the input itself holds NaN', async () => {
    const s = await CaptureSession.open(join(dir, 'nan.onnx'));
    const feed = randomFeed(s.inputs[0]);
    (feed.data as Float32Array)[2] = Number.NaN;
    const r = await s.run([feed]);
    expect(r.nanOrigin).toEqual({ kind: 'input', name: 'X', node: 'matmul', op: 'MatMul' });
  });
});

describe('inputs', () => {
  const input = { name: 'x', dtype: 'float32' as const, shape: [1, 3, 224, 224] };

  it('resizes and normalizes an image as torch interpolate + ImageNet normalization do', async () => {
    const feed = await loadFeed(join(dir, 'image.png'), input, PRESETS.imagenet);
    const want = (await (
      await openNpy(await fileSource(join(dir, 'image_imagenet.npy')))
    ).tensors[0].read()) as Float32Array;
    expect(feed.shape).toEqual([1, 3, 224, 224]);
    let worst = 0;
    for (let i = 0; i < want.length; i++)
      worst = Math.max(worst, Math.abs((feed.data[i] as number) - want[i]));
    expect(worst).toBeLessThan(1e-4);
  });

  it('reads a JSON array and checks its size', async () => {
    const path = join(dir, 'x.json');
    writeFileSync(
      path,
      JSON.stringify([
        [1, 2],
        [3, 4],
      ]),
    );
    const feed = await loadFeed(path, { name: 'x', dtype: 'int64', shape: ['batch', 4] }, PRESETS.imagenet);
    expect(feed).toMatchObject({
      shape: [1, 4],
      data: BigInt64Array.from([1n, 2n, 3n, 4n]),
      source: 'x.json',
    });
    await expect(loadFeed(path, input, PRESETS.imagenet)).rejects.toThrow(
      'x.json: holds 4 values but the model input x of shape [1, 3, 224, 224] needs 150528',
    );
  });

  it('rejects files it cannot use with one sentence naming them', async () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'hello');
    await expect(loadFeed(path, input, PRESETS.imagenet)).rejects.toThrow(
      'notes.txt: is not an input tensorscope reads (use .npy, .json, .png, .jpg or random)',
    );
    const fake = join(dir, 'fake.png');
    writeFileSync(fake, 'not an image');
    await expect(loadFeed(fake, input, PRESETS.imagenet)).rejects.toThrow(
      'fake.png: is neither a PNG nor a JPEG image',
    );
  });

  it('random data is seeded, standard normal for floats', () => {
    const a = randomFeed(input);
    expect(randomFeed(input).data).toEqual(a.data);
    const xs = a.data as Float32Array;
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });
});

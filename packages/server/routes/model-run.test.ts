/**
 * The Run routes against a real server on real ONNX models exported by Debian's PyTorch during the
 * test (a small CNN and a one-layer transformer encoder): every tensor's statistics equal those of the
 * runtime called directly on the same input file, the images equal the runtime's own rendering, and
 * bad requests get one-sentence 4xx answers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  type CaptureResult,
  CaptureSession,
  camOverlay,
  encodePng,
  featureGrid,
  GradCamSession,
  gradCam,
  loadFeed,
  PRESETS,
  TfjsExecutor,
} from '@tensorscope/runtime';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../start';

const EXPORT = `
import sys, torch, torch.nn as nn
torch.manual_seed(0)
out = sys.argv[1]
cnn = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10)).eval()
torch.onnx.export(cnn, torch.randn(1, 3, 32, 32), out + '/cnn.onnx', opset_version=13)
layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True)
enc = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False).eval()
torch.onnx.export(enc, torch.randn(1, 6, 16), out + '/encoder.onnx', opset_version=13)
torch.save(cnn.state_dict(), out + '/cnn.pt')
class NanNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
    def forward(self, x):
        return torch.sqrt(self.fc(x) - 100.0)
torch.onnx.export(NanNet().eval(), torch.randn(1, 4), out + '/nan.onnx', opset_version=13)
`;

interface TensorJson {
  node: string;
  op: string;
  index: number;
  shape: number[];
  mean: number;
  std: number;
  min: number;
  max: number;
  zeros: number;
  nan: number;
  inf: number;
  histogram: { edges: number[]; counts: number[] };
  attention?: { heads: number; queries: number; keys: number };
}

interface RunJson {
  run: number;
  inputs: { name: string; shape: number[]; source: string }[];
  tensors: Record<string, TensorJson>;
  nan_origin: unknown;
  classes: { output: string; top: { class: number; score: number; probability: number }[] } | null;
  gradcam_layers: string[];
  gradcam_unsupported: string | null;
  gradcam?: { layer: string; class: number; shape: [number, number]; map: number[]; image: string };
  images: { feature_maps: Record<string, string>; attention: Record<string, string[]> };
}

let dir: string;
let server: RunningServer;
let image: Buffer;

/** A 40 x 48 RGB gradient with a bright square: some structure for the convolutions to see. */
function testImageRgba(): Buffer {
  return PNG.sync.read(testImage()).data;
}

function testImage(): Buffer {
  const png = new PNG({ width: 48, height: 40 });
  for (let y = 0; y < 40; y++)
    for (let x = 0; x < 48; x++) {
      const at = (y * 48 + x) * 4;
      const square = x > 10 && x < 24 && y > 8 && y < 20;
      png.data[at] = square ? 250 : x * 5;
      png.data[at + 1] = square ? 240 : y * 6;
      png.data[at + 2] = (x * y) % 256;
      png.data[at + 3] = 255;
    }
  return PNG.sync.write(png);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ts-model-run-'));
  execFileSync('/usr/bin/python3', ['-c', EXPORT, dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    timeout: 300_000,
  });
  image = testImage();
  writeFileSync(join(dir, 'photo.png'), image);
  server = await startServer({
    paths: [join(dir, 'cnn.onnx'), join(dir, 'encoder.onnx'), join(dir, 'cnn.pt'), join(dir, 'nan.onnx')],
    port: 0,
    cacheDir: join(dir, 'cache'),
  });
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

async function post<T>(path: string, body?: Uint8Array<ArrayBuffer>, type = 'application/octet-stream') {
  const res = await fetch(url(path), { method: 'POST', body, headers: { 'Content-Type': type } });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as T & { error?: string } };
}

async function runDirectly(model: string, input: string): Promise<{ s: CaptureSession; r: CaptureResult }> {
  const s = await CaptureSession.open(join(dir, model));
  const feed = await loadFeed(input, s.inputs[0], PRESETS.imagenet);
  const r = await s.run([feed], { keep: s.graph.nodes.flatMap((n) => n.outputs) });
  return { s, r };
}

describe('POST /api/models/:i/run', () => {
  let run: RunJson;
  let direct: CaptureResult;
  let session: CaptureSession;

  beforeAll(async () => {
    const res = await post<RunJson>('/api/models/0/run?name=photo.png&gradcam=auto', new Uint8Array(image));
    expect(res.status, res.body.error).toBe(200);
    run = res.body;
    ({ s: session, r: direct } = await runDirectly('cnn.onnx', join(dir, 'photo.png')));
  }, 120_000);
  afterAll(() => session?.release());

  it('answers every tensor with the statistics the runtime computes on the same file', () => {
    expect(run.inputs).toEqual([
      { name: 'input.1', shape: [1, 3, 32, 32], dtype: 'float32', source: 'photo.png' },
    ]);
    expect(Object.keys(run.tensors).sort()).toEqual(direct.tensors.map((t) => t.name).sort());
    expect(direct.tensors.length).toBe(10);
    for (const t of direct.tensors) {
      const got = run.tensors[t.name];
      const s = t.stats!;
      expect(got).toMatchObject({ node: t.node, op: t.op, index: t.index, shape: t.shape });
      expect([got.mean, got.std, got.min, got.max, got.zeros, got.nan, got.inf]).toEqual([
        s.mean,
        s.std,
        s.min,
        s.max,
        s.zeros,
        s.nan,
        s.inf,
      ]);
      expect(got.histogram.counts).toEqual(Array.from(s.histogram.counts));
    }
    // the ReLUs of a random-init CNN zero out a good part of their inputs
    const relu = direct.tensors.find((t) => t.op === 'Relu')!;
    expect(run.tensors[relu.name].zeros).toBeGreaterThan(0.05);
    expect(run.nan_origin).toBeNull();
    expect(run.gradcam_unsupported).toBeNull();
  });

  it('lists the conv-like layers and the top five classes of the output', () => {
    const maps = direct.tensors.filter((t) => t.shape.length === 4 && t.shape[2] * t.shape[3] > 1);
    expect(run.gradcam_layers).toEqual(maps.map((t) => t.name));
    const out = direct.kept.get(run.classes!.output)!.data as Float32Array;
    const best = Array.from(out.keys()).sort((a, b) => out[b] - out[a]);
    expect(run.classes!.top.map((c) => c.class)).toEqual(best.slice(0, 5));
    expect(run.classes!.top[0].score).toBe(out[best[0]]);
    const expSum = out.reduce((a, v) => a + Math.exp(v - out[best[0]]), 0);
    expect(run.classes!.top[0].probability).toBeCloseTo(1 / expSum, 12);
  });

  it('serves each feature-map grid as the runtime draws it', async () => {
    const name = run.gradcam_layers[0];
    const res = await fetch(url(run.images.feature_maps[name]));
    expect(res.headers.get('content-type')).toBe('image/png');
    const kept = direct.kept.get(name)!;
    expect(Buffer.from(await res.arrayBuffer())).toEqual(
      encodePng(featureGrid(kept.data as Float32Array, kept.shape)),
    );
  });

  it('computes Grad-CAM at the last conv layer for the top class, as the runtime does', async () => {
    const cam = run.gradcam!;
    expect(cam.layer).toBe(run.gradcam_layers.at(-1));
    expect(cam.class).toBe(run.classes!.top[0].class);
    const feed = direct.feeds[0];
    // the runtime's Grad-CAM: ORT forward, TF.js gradients through the tail after the layer
    const cs = await GradCamSession.open(join(dir, 'cnn.onnx'), cam.layer);
    const want = await cs.run(direct.feeds);
    await cs.release();
    expect(cam.shape).toEqual(want.shape);
    expect(cam.class).toBe(want.classIndex);
    expect(cam.map).toEqual(Array.from(want.map));
    const png = Buffer.from(await (await fetch(url(cam.image))).arrayBuffer());
    expect(png).toEqual(encodePng(camOverlay(want.map, want.shape, feed)));
    expect(PNG.sync.read(png).width).toBe(32);
    // and the same map as differentiating the whole model in TF.js, up to float rounding
    const exec = await TfjsExecutor.create(session.model, 'cnn.onnx');
    const x = tf.tensor(feed.data as Float32Array, feed.shape);
    const full = gradCam(exec, x, cam.layer, { input: feed.name });
    x.dispose();
    exec.dispose();
    const peak = Math.max(...full.map);
    expect(peak).toBeGreaterThan(0);
    for (let i = 0; i < full.map.length; i++)
      expect(Math.abs(cam.map[i] - full.map[i])).toBeLessThan(1e-4 * peak);
  });

  it('recomputes Grad-CAM for another layer and class on the kept run', async () => {
    const layer = run.gradcam_layers[0];
    const res = await post<RunJson['gradcam']>(
      `/api/models/0/runs/${run.run}/gradcam?layer=${encodeURIComponent(layer)}&class=3`,
    );
    expect(res.status, res.body?.error).toBe(200);
    expect(res.body).toMatchObject({ layer, class: 3, shape: [32, 32] });
    const bad = await post(`/api/models/0/runs/${run.run}/gradcam?layer=nope`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^"layer" must be a tensor of shape \[N, C, H, W\] of this model/);
    const badClass = await post(`/api/models/0/runs/${run.run}/gradcam?class=10`);
    expect(badClass.body.error).toBe('"class" must be a class index below 10, not 10.');
  });

  it('runs JSON, .npy, JPEG and random inputs like the command line', async () => {
    const values = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i));
    const json = new TextEncoder().encode(JSON.stringify(Array.from(values)));
    // .npy version 1.0: magic, header length, a Python dict literal padded to 128 bytes, the data
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }";
    const header = dict.padEnd(128 - 10 - 1, ' ') + '\n';
    const npy = new Uint8Array(10 + header.length + values.byteLength);
    npy.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, header.length & 255, header.length >> 8]);
    npy.set(new TextEncoder().encode(header), 10);
    npy.set(new Uint8Array(values.buffer), 10 + header.length);
    const rgba = new Uint8Array(testImageRgba());
    const jpg = new Uint8Array(jpeg.encode({ data: rgba, width: 48, height: 40 }, 90).data);
    for (const [file, bytes] of [
      ['x.json', json],
      ['x.npy', npy],
      ['x.jpg', jpg],
    ] as const) {
      writeFileSync(join(dir, file), bytes);
      const res = await post<RunJson>(`/api/models/0/run?name=${file}`, bytes);
      expect(res.status, res.body.error).toBe(200);
      expect(res.body.inputs[0].source).toBe(file);
      const { s, r } = await runDirectly('cnn.onnx', join(dir, file));
      await s.release();
      for (const t of r.tensors)
        expect(res.body.tensors[t.name].mean, `${file} ${t.name}`).toBe(t.stats!.mean);
    }
    const random = await post<RunJson>('/api/models/0/run?input=random');
    expect(random.status, random.body.error).toBe(200);
    expect(random.body.inputs[0].source).toBe('random');
  });
});

describe('attention maps', () => {
  it('lists the Softmax attention tensors and serves one heatmap per head', async () => {
    const res = await post<RunJson>('/api/models/1/run?input=random');
    expect(res.status, res.body.error).toBe(200);
    const names = Object.keys(res.body.images.attention);
    expect(names.length).toBe(1);
    const t = res.body.tensors[names[0]];
    expect(t.op).toBe('Softmax');
    expect(t.attention).toMatchObject({ heads: 2, queries: 6, keys: 6 });
    expect(res.body.images.attention[names[0]].length).toBe(2);
    const png = await fetch(url(res.body.images.attention[names[0]][1]));
    expect(png.status).toBe(200);
    const img = PNG.sync.read(Buffer.from(await png.arrayBuffer()));
    expect([img.width, img.height]).toEqual([30, 30]); // 6 x 6 zoomed to at least 32 px: 5x
    const outside = await fetch(
      url(`${res.body.images.attention[names[0]][0].replace(/head=0$/, 'head=2')}`),
    );
    expect(outside.status).toBe(400);
  });
});

describe('POST /api/models/:i/prepare', () => {
  it('opens the model ahead of a run and lists its inputs, or says why it cannot run', async () => {
    const ok = await post<{ inputs: unknown[] }>('/api/models/0/prepare');
    expect(ok.status, ok.body.error).toBe(200);
    expect(ok.body.inputs).toEqual([{ name: 'input.1', shape: [1, 3, 32, 32], dtype: 'float32' }]);
    const pt = await post('/api/models/2/prepare');
    expect(pt.status).toBe(400);
    expect(pt.body.error).toMatch(/^cnn\.pt: is a \w+ model, and the runtime runs ONNX models only/);
    const form = await post(
      '/api/models/0/prepare',
      new TextEncoder().encode('a=1'),
      'application/x-www-form-urlencoded',
    );
    expect(form.status).toBe(415);
  });
});

describe('NaN origin', () => {
  it('names the node that first made NaN, as the runtime does', async () => {
    const res = await post<RunJson>('/api/models/3/run?input=random');
    expect(res.status, res.body.error).toBe(200);
    const s = await CaptureSession.open(join(dir, 'nan.onnx'));
    const r = await s.run([await loadFeed('random', s.inputs[0], PRESETS.imagenet)]);
    await s.release();
    expect(r.nanOrigin).toMatchObject({ kind: 'node', node: '/Sqrt', op: 'Sqrt', nan: 3, inf: 0 });
    expect(res.body.nan_origin).toEqual(r.nanOrigin);
    expect(res.body.gradcam_layers).toEqual([]);
  });
});

describe('bad requests', () => {
  it('refuses a POST that is not application/octet-stream (a cross-site form cannot send one)', async () => {
    const res = await post('/api/models/0/run?input=random', new TextEncoder().encode('x=1'), 'text/plain');
    expect(res.status).toBe(415);
    expect(res.body.error).toBe('send the input with Content-Type: application/octet-stream.');
  });

  it('answers a bad input with one sentence naming it', async () => {
    const text = await post('/api/models/0/run?name=notes.txt', new TextEncoder().encode('hello'));
    expect(text.status).toBe(400);
    expect(text.body.error).toBe(
      'notes.txt: is not an input tensorscope reads (send a PNG or JPEG image, a .npy array or a JSON array).',
    );
    const broken = await post('/api/models/0/run?name=cut.png', new Uint8Array(image.subarray(0, 60)));
    expect(broken.status).toBe(400);
    expect(broken.body.error).toMatch(/^cut\.png: is a damaged image \(/);
    const count = await post('/api/models/0/run?name=v.json', new TextEncoder().encode('[1, 2, 3]'));
    expect(count.body.error).toBe(
      'v.json: holds 3 values but the model input input.1 of shape [1, 3, 32, 32] needs 3072.',
    );
    const empty = await post('/api/models/0/run');
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatch(/^the request has no input/);
    const preset = await post('/api/models/0/run?input=random&preset=weird');
    expect(preset.body.error).toBe('"preset" must be one of imagenet, unit, raw, symmetric, not "weird".');
    const std = await post('/api/models/0/run?input=random&std=0');
    expect(std.status).toBe(400);
    // the server still runs after all of these
    expect((await post('/api/models/0/run?input=random')).status).toBe(200);
  });

  it('says the runtime needs ONNX for other formats, and 404s unknown models and runs', async () => {
    const pt = await post('/api/models/2/run?input=random');
    expect(pt.status).toBe(400);
    expect(pt.body.error).toMatch(
      /^cnn\.pt: is a \w+ model, and the runtime runs ONNX models only; export it to ONNX/,
    );
    expect((await post('/api/models/9/run?input=random')).status).toBe(404);
    const gone = await fetch(url('/api/models/0/runs/99999/feature-map?tensor=x'));
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: string }).error).toBe(
      'run 99999 of model 0 is no longer kept; run the model again.',
    );
  });

  it('refuses a body over the limit before reading it', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url('/api/models/0/run'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(65 << 20) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write(new Uint8Array(16));
    });
    expect(status).toBe(413);
    expect((await post('/api/models/0/run?input=random')).status).toBe(200);
  });
});

/**
 * The model view's Run panel in a real browser (Debian's chromium) against the real server on a small
 * CNN exported by PyTorch during the test: upload a PNG, run, read a Conv node's activation statistics
 * from the page (equal to the API's answer for the same image), colour the graph by the fraction of
 * zeros (the canvas pixels take the legend's colours), show the Grad-CAM overlay; on a model made to
 * produce NaN, the node where NaN first appears is named and outlined; a model opened in the page gets
 * the hint to serve it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatValue } from '../src/lib/format';
import { ALERT_COLOR } from '../src/plugins/model/draw';
import type { RunResult } from '../src/plugins/model/runApi';
import { colorOf } from '../src/plugins/model/runColors';
import { launchBrowser } from './helpers/browser';
import { type Dashboard, startDashboard, until } from './helpers/dashboard';

const EXPORT = `
import sys, torch, torch.nn as nn
torch.manual_seed(0)
cnn = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10)).eval()
torch.onnx.export(cnn, torch.randn(1, 3, 32, 32), sys.argv[1] + '/cnn.onnx', opset_version=13)
class NanNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
    def forward(self, x):
        return torch.sqrt(self.fc(x) - 100.0)
torch.onnx.export(NanNet().eval(), torch.randn(1, 4), sys.argv[1] + '/nan.onnx', opset_version=13)
layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True)
enc = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False).eval()
torch.onnx.export(enc, torch.randn(1, 6, 16), sys.argv[1] + '/encoder.onnx', opset_version=13)
`;
const CONV = '/2/Conv';
const RELU = '/3/Relu';

let dir: string;
let dash: Dashboard;
let browser: Browser;
let page: Page;
let photo: Buffer;
let api: RunResult;

/** A 40 x 48 gradient with a bright square. */
function testImage(): Buffer {
  const png = new PNG({ width: 48, height: 40 });
  for (let y = 0; y < 40; y++)
    for (let x = 0; x < 48; x++) {
      const at = (y * 48 + x) * 4;
      const square = x > 10 && x < 24 && y > 8 && y < 20;
      png.data.set([square ? 250 : x * 5, square ? 240 : y * 6, (x * y) % 256, 255], at);
    }
  return PNG.sync.write(png);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ts-model-run-ui-'));
  execFileSync('/usr/bin/python3', ['-c', EXPORT, dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    timeout: 300_000,
  });
  photo = testImage();
  dash = await startDashboard([join(dir, 'cnn.onnx'), join(dir, 'nan.onnx'), join(dir, 'encoder.onnx')]);
  // the same image through the API: the page must show these numbers
  const res = await fetch(new URL('/api/models/0/run?name=photo.png', dash.url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: new Uint8Array(photo),
  });
  api = (await res.json()) as RunResult;
  if (!res.ok) throw new Error(JSON.stringify(api));
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await dash?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const boxOf = (name: string) => page.evaluate((n) => window.__tensorscopeGraph?.boxOf(n) ?? null, name);

/** The canvas pixel `dx` CSS pixels right of the left edge of a node's box, as #rrggbb. */
async function fillOf(name: string, dx = 5): Promise<string> {
  await page.evaluate((n) => window.__tensorscopeGraph!.centre(n), name);
  const box = (await boxOf(name))!;
  return page.evaluate(
    ({ x, y }) => {
      const c = document.querySelector('[data-testid=model-canvas]') as HTMLCanvasElement;
      const r = c.getBoundingClientRect();
      const dpr = window.devicePixelRatio || 1;
      const p = c
        .getContext('2d')!
        .getImageData(Math.round((x - r.left) * dpr), Math.round((y - r.top) * dpr), 1, 1).data;
      return `#${[p[0], p[1], p[2]].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    },
    { x: box.x + dx, y: box.y + box.height / 2 },
  );
}

function tensorOf(node: string) {
  const entry = Object.entries(api.tensors).find(([, t]) => t.node === node);
  if (!entry) throw new Error(`no tensor of ${node}`);
  return entry;
}

describe('the Run panel in chromium', () => {
  it('runs the served model on an uploaded PNG and shows a Conv node statistics equal to the API', async () => {
    await page.goto(`${dash.url}?tab=model`);
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=model-status]')?.textContent?.includes('laid out'),
    );
    await page.click('[data-testid=run-toggle]');
    // the panel opens the model on the server at once and shows what it feeds
    await page.waitForSelector('[data-testid=run-model-input]');
    expect(await page.textContent('[data-testid=run-model-input]')).toBe('input.1: float32 [1, 3, 32, 32]');
    await page.setInputFiles('[data-testid=run-input-file]', {
      name: 'photo.png',
      mimeType: 'image/png',
      buffer: photo,
    });
    expect(await page.textContent('[data-testid=run-input-name]')).toContain('photo.png');
    await page.click('[data-testid=run-button]');
    await page.waitForFunction(() =>
      /^Run \d+: 10 tensors from photo\.png$/.test(
        document.querySelector('[data-testid=run-status]')?.textContent ?? '',
      ),
    );
    expect(await page.$('[data-testid=run-error]')).toBeNull();

    await page.evaluate((n) => window.__tensorscopeGraph!.centre(n), CONV);
    const box = (await boxOf(CONV))!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const [name, t] = tensorOf(CONV);
    const panel = `[data-testid=activation][data-name="${name}"]`;
    await page.waitForSelector(`${panel} [data-testid=activation-stats]`);
    const stat = (k: string) => page.textContent(`${panel} [data-stat="${k}"] td`);
    expect(await stat('mean')).toBe(formatValue(t.mean!));
    expect(await stat('std')).toBe(formatValue(t.std!));
    expect(await stat('min')).toBe(formatValue(t.min!));
    expect(await stat('max')).toBe(formatValue(t.max!));
    expect(await stat('zeros')).toBe(
      `${(t.zeros! * 100).toFixed(1)}% of ${(16 * 32 * 32).toLocaleString('en')}`,
    );
    expect(await stat('NaN')).toBe('0');
    expect(await stat('Inf')).toBe('0');
    expect(await page.getAttribute(`${panel} [data-testid=activation-histogram]`, 'data-counts')).toBe(
      t.histogram!.counts.join(','),
    );
    // the feature maps of the conv output: 16 maps of 32 x 32 in a 4 x 4 grid with 1-pixel gaps
    const fm = page.locator(`${panel} [data-testid=feature-map]`);
    await fm.scrollIntoViewIfNeeded();
    await until(
      'the feature-map image to load',
      async () => (await fm.evaluate((img) => (img as HTMLImageElement).naturalWidth)) || undefined,
    );
    expect(await fm.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(4 * 32 + 3);
  });

  it('colours the nodes by their fraction of zeros', async () => {
    const before = { conv: await fillOf(CONV), relu: await fillOf(RELU) };
    await page.selectOption('[data-testid=color-by]', 'zeros');
    await page.waitForSelector('[data-testid=run-legend]');
    const legend = { by: 'zeros' as const, min: 0, max: 1 };
    const want = {
      conv: colorOf(tensorOf(CONV)[1].zeros!, legend),
      relu: colorOf(tensorOf(RELU)[1].zeros!, legend),
    };
    expect(want.relu).not.toBe(want.conv); // the ReLU zeroes a good part of the conv output
    const after = await until('the canvas to take the new colours', async () => {
      const now = { conv: await fillOf(CONV), relu: await fillOf(RELU) };
      return now.conv === want.conv && now.relu === want.relu ? now : undefined;
    });
    expect(after.conv).not.toBe(before.conv);
    expect(after.relu).not.toBe(before.relu);
  });

  it('lists the top five classes and shows the Grad-CAM overlay on the input', async () => {
    const rows = await page.$$eval('[data-testid=top-classes] tbody tr', (r) =>
      r.map((x) => x.getAttribute('data-class')),
    );
    expect(rows).toEqual(api.classes!.top.map((c) => String(c.class)));
    expect(await page.inputValue('[data-testid=gradcam-layer]')).toBe(api.gradcam_layers.at(-1));
    await page.click('[data-testid=gradcam-button]');
    const img = page.locator('[data-testid=gradcam-image]');
    await img.waitFor();
    await img.scrollIntoViewIfNeeded();
    const width = await until(
      'the Grad-CAM overlay to load',
      async () => (await img.evaluate((i) => (i as HTMLImageElement).naturalWidth)) || undefined,
    );
    expect(width).toBe(32);
    expect(await page.textContent('[data-testid=gradcam-caption]')).toBe(
      `class ${api.classes!.top[0].class} at ${api.gradcam_layers.at(-1)} (16×16)`,
    );
  });

  it('names and outlines the node where NaN first appears', async () => {
    await page.selectOption('select[aria-label=Model]', '1');
    await page.waitForFunction(() =>
      /^nan\.onnx: onnx, \d+ nodes, laid out/.test(
        document.querySelector('[data-testid=model-status]')?.textContent ?? '',
      ),
    );
    // a new model starts a new panel: its input is random until a file is chosen
    await page.click('[data-testid=run-button]');
    const banner = page.locator('[data-testid=nan-origin]');
    await until('the NaN origin', async () =>
      (await banner.textContent())?.startsWith('NaN/Inf') ? true : undefined,
    );
    expect(await banner.textContent()).toBe(
      'NaN/Inf first produced by Sqrt node /Sqrt from finite inputs (3 NaN, 0 Inf). Show',
    );
    // the red outline 2 px outside the box's left edge
    await until('the red outline', async () =>
      (await fillOf('/Sqrt', -2)) === ALERT_COLOR ? true : undefined,
    );
    await banner.getByRole('button', { name: 'Show' }).click();
    await page.waitForSelector('[data-testid=nan-origin-here]');
    expect(await page.textContent('[data-testid=node-op]')).toBe('Sqrt');
  });

  it('shows each head of an attention map', async () => {
    await page.selectOption('select[aria-label=Model]', '2');
    await page.waitForFunction(() =>
      /^encoder\.onnx: onnx, \d+ nodes, laid out/.test(
        document.querySelector('[data-testid=model-status]')?.textContent ?? '',
      ),
    );
    await page.click('[data-testid=run-button]');
    await page.waitForFunction(() =>
      /^Run \d+: \d+ tensors from random$/.test(
        document.querySelector('[data-testid=run-status]')?.textContent ?? '',
      ),
    );
    const run = await page.evaluate(async () => {
      const res = await fetch('/api/models/2/run?input=random', {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      return res.json();
    });
    const [name, softmax] = Object.entries((run as RunResult).tensors).find(([, t]) => t.attention)!;
    expect(softmax.attention).toMatchObject({ heads: 2, queries: 6, keys: 6 });
    await page.evaluate((n) => window.__tensorscopeGraph!.centre(n), softmax.node);
    const box = (await boxOf(softmax.node))!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const panel = `[data-testid=activation][data-name="${name}"]`;
    const img = page.locator(`${panel} [data-testid=attention-map]`);
    await img.scrollIntoViewIfNeeded();
    const first = await until('head 1 to load', async () =>
      (await img.evaluate((i) => (i as HTMLImageElement).naturalWidth))
        ? await img.getAttribute('src')
        : undefined,
    );
    expect(first).toMatch(/head=0$/);
    expect(await img.evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBe(30); // 6 keys, zoomed 5x
    await page.selectOption(`${panel} select[aria-label="Attention map"]`, '1');
    expect(await img.getAttribute('src')).toMatch(/head=1$/);
    await until(
      'head 2 to load',
      async () =>
        (await img.evaluate(
          (i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth,
        )) || undefined,
    );
  });

  it('tells how to run a model that was opened in the page', async () => {
    await page.setInputFiles('[data-testid=model-file-input]', join(dir, 'cnn.onnx'));
    await until('the dropped model to open', async () =>
      (await page.textContent('[data-testid=run-panel]'))?.includes('exists only here') ? true : undefined,
    );
    expect(await page.textContent('[data-testid=run-panel]')).toContain('tensorscope serve cnn.onnx');
    expect(await page.$('[data-testid=run-button]')).toBeNull();
  });
});

/**
 * The model view in a real browser (Debian's chromium) against the real server started on a ResNet-18
 * exported by PyTorch during the test: open it, expand a module, click a node, check its weight's
 * histogram and heatmap against the same weights read in Node; search; SVG/PNG export; a dropped file
 * is parsed in the page and never uploaded.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NumericArray } from '@tensorscope/analysis/model';
import type { Model } from '@tensorscope/formats/model';
import { fileSource } from '@tensorscope/formats/node-source';
import { openModel } from '@tensorscope/formats/open';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatValue } from '../src/lib/format';
import { weightSummary } from '../src/plugins/model/weightSummary';
import { launchBrowser } from './helpers/browser';
import { type Dashboard, startDashboard, until } from './helpers/dashboard';
import { exportTorchModel } from './model-torch';

const MNIST = '/work/shared/fixtures/onnx-models/tensorboardX/mnist-8.onnx';
const CONV = '/layer1/layer1.0/conv1/Conv';

let dir: string;
let modelPath: string;
let model: Model;
let dash: Dashboard;
let browser: Browser;
let page: Page;
const requests: Request[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ts-model-view-'));
  modelPath = exportTorchModel('resnet18', join(dir, 'resnet18.onnx'));
  model = await openModel(await fileSource(modelPath));
  dash = await startDashboard([modelPath]);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  page.on('request', (r) => requests.push(r));
});

afterAll(async () => {
  await browser?.close();
  await dash?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const boxOf = (name: string) => page.evaluate((n) => window.__tensorscopeGraph?.boxOf(n) ?? null, name);

async function clickItem(name: string) {
  await page.evaluate((n) => window.__tensorscopeGraph!.centre(n), name);
  const box = await boxOf(name);
  if (!box) throw new Error(`${name} is not on screen`);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

async function laidOut() {
  await page.waitForFunction(() =>
    document.querySelector('[data-testid=model-status]')?.textContent?.includes('laid out'),
  );
}

describe('model view in chromium', () => {
  it('opens the served model, expands a module on click, and shows a node with its weight statistics', async () => {
    await page.goto(`${dash.url}?tab=model`);
    await laidOut();
    const status = await page.textContent('[data-testid=model-status]');
    expect(status).toContain(`resnet18.onnx: onnx, ${model.graph!.nodes.length} nodes`);

    await page.getByRole('button', { name: 'Collapse all' }).click();
    await until('layer1 to be drawn as a closed box', async () =>
      (await boxOf('layer1')) ? true : undefined,
    );
    expect(await boxOf('layer1.0')).toBeNull();
    await clickItem('layer1');
    await until('layer1 to open', async () => ((await boxOf('layer1.0')) ? true : undefined));
    expect(await boxOf(CONV)).toBeNull();
    await clickItem('layer1.0');
    await until('layer1.0 to open', async () => ((await boxOf(CONV)) ? true : undefined));

    await clickItem(CONV);
    await page.waitForSelector('[data-testid=weight-histogram]');
    expect(await page.textContent('[data-testid=node-op]')).toBe('Conv');

    // the same weight, read and summarized in Node
    const node = model.graph!.nodes.find((n) => n.name === CONV)!;
    const weight = model.graph!.initializers.get(node.inputs[1])!;
    const data = (await weight.read()) as NumericArray;
    const expected = weightSummary(data);
    const panel = `[data-testid=weight][data-name="${weight.name}"]`;
    const shown = await page.$eval(
      `${panel} [data-testid=weight-histogram]`,
      (c) => (c as HTMLElement).dataset.counts,
    );
    expect(shown).toBe(Array.from(expected.histogram.counts).join(','));
    expect(expected.histogram.counts.reduce((a, b) => a + b, 0)).toBe(64 * 64 * 3 * 3);
    const stat = (k: string) => page.textContent(`${panel} [data-testid=weight-stats] [data-stat=${k}] td`);
    expect(await stat('mean')).toBe(formatValue(expected.stats.mean));
    expect(await stat('max')).toBe(formatValue(expected.stats.max));
    expect(await stat('NaN')).toBe('0');
    const shapes = await page.textContent('[data-testid=node-outputs]');
    expect(shapes).toContain('float32 [1, 64, 56, 56]');

    // the heatmap's tooltip shows the value under the pointer: slice 0, cell (0, 0) of the 3 x 3 kernels
    const heatmap = page.locator(`${panel} [data-testid=weight-heatmap]`);
    await heatmap.scrollIntoViewIfNeeded();
    const heat = (await heatmap.boundingBox())!;
    await page.mouse.move(heat.x + 2, heat.y + 2);
    expect(await page.textContent('[data-testid=heatmap-tip]')).toBe(
      `[0, 0, 0] = ${formatValue(data[0] as number)}`,
    );
    await page.mouse.move(heat.x + heat.width - 2, heat.y + heat.height - 2);
    expect(await page.textContent('[data-testid=heatmap-tip]')).toBe(
      `[0, 2, 2] = ${formatValue(data[8] as number)}`,
    );
  });

  it('finds a node by op and centres it', async () => {
    await page.fill('[data-testid=model-search]', 'gemm');
    const results = await page.$$eval('[data-testid=model-results] li', (li) => li.map((l) => l.textContent));
    expect(results).toEqual(['Gemm /fc/Gemm']);
    await page.click('[data-testid=model-results] button');
    await page.waitForFunction(() => document.querySelector('[data-testid=node-op]')?.textContent === 'Gemm');
    const box = (await boxOf('/fc/Gemm'))!;
    const canvas = (await page.locator('[data-testid=model-canvas]').boundingBox())!;
    expect(Math.abs(box.x + box.width / 2 - (canvas.x + canvas.width / 2))).toBeLessThan(2);
    await page.fill('[data-testid=model-search]', '');
  });

  it('exports the graph as SVG and PNG', async () => {
    const [svgDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'SVG' }).click(),
    ]);
    const svg = readFileSync((await svgDownload.path())!, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    const shownOps = await page.evaluate(
      () => document.querySelector('[data-testid=model-status]')?.textContent,
    );
    expect(shownOps).toBeTruthy();
    expect(svg).toContain(`<title>${CONV}</title>`);
    const [pngDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'PNG' }).click(),
    ]);
    const png = readFileSync((await pngDownload.path())!);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThan(200); // width
  });

  it('opens a dropped file in the page without uploading it', async () => {
    const bytes = readFileSync(MNIST);
    const before = requests.length;
    await page.evaluate(
      ([b64, name]) => {
        const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bin], name));
        const view = document.querySelector('[data-testid=model-view]')!;
        view.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [bytes.toString('base64'), 'mnist-8.onnx'] as const,
    );
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=model-status]')?.textContent?.startsWith('mnist-8.onnx: onnx'),
    );
    await laidOut();
    const mnist = await openModel(await fileSource(MNIST));
    expect(await page.textContent('[data-testid=model-status]')).toContain(
      `${mnist.graph!.nodes.length} nodes`,
    );

    // the file input is the other way in; open the ResNet again through it
    await page.setInputFiles('[data-testid=model-file-input]', modelPath);
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=model-status]')?.textContent?.startsWith('resnet18.onnx'),
    );
    const after = requests.slice(before);
    expect(after.filter((r) => r.postData() !== null || r.method() !== 'GET')).toEqual([]);
    expect(after.filter((r) => r.url().includes('/api/models'))).toEqual([]);
  });
});

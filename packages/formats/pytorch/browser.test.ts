/**
 * The readers are isomorphic: bundled for the browser (esbuild, platform "browser", which fails on any
 * Node import) and run in real Chromium, they read the same values as in Node.
 */
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../common/test-sources';
import { comparable } from '../common/test-values';
import { openSafetensors } from '../safetensors/index';
import { openPytorch } from './index';

const FILES = {
  'checkpoint.pt': '/work/shared/fixtures/pytorch/burn/src/pytorch/tests/reader/test_data/checkpoint.pt',
  'simple_legacy.pt':
    '/work/shared/fixtures/pytorch/burn/src/pytorch/tests/reader/test_data/simple_legacy.pt',
  'bfloat16.pt': '/work/shared/fixtures/pytorch/burn/src/pytorch/tests/reader/test_data/bfloat16.pt',
  'multi_layer.safetensors': '/work/shared/fixtures/safetensors/burn/multi_layer.safetensors',
};

const entry = `
import { openPytorch } from './index';
import { openSafetensors } from '../safetensors/index';
function source(name, bytes) {
  return { name, size: bytes.length, read: async (o, l) => bytes.slice(o, o + l), sibling: async () => undefined };
}
window.readAll = async (name, base64) => {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const open = name.endsWith('.safetensors') ? openSafetensors : openPytorch;
  const model = await open(source(name, bytes));
  const out = [];
  for (const t of model.tensors) {
    const data = await t.read();
    out.push([t.name, t.dtype, t.shape, Array.from(data, (v) => (typeof v === 'bigint' ? String(v) : Number.isFinite(v) ? v : String(v)))]);
  }
  return out;
};
`;

let browser: Awaited<ReturnType<typeof chromium.launch>>;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

describe('readers in the browser', () => {
  it('bundle without Node APIs and read .pt (zip, legacy, bf16) and .safetensors in Chromium exactly as in Node', async () => {
    const bundle = await build({
      stdin: { contents: entry, resolveDir: import.meta.dirname, loader: 'ts' },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      write: false,
      logLevel: 'silent',
    });
    const page = await browser.newPage();
    await page.setContent('<!doctype html><title>formats</title>');
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    for (const [name, path] of Object.entries(FILES)) {
      const bytes = readFileSync(path);
      const inBrowser = await page.evaluate(
        ([n, b]) =>
          (window as unknown as { readAll: (n: string, b: string) => Promise<unknown> }).readAll(n, b),
        [name, bytes.toString('base64')] as const,
      );
      const model = await (name.endsWith('.safetensors') ? openSafetensors : openPytorch)(
        bytesSource(name, new Uint8Array(bytes)),
      );
      const inNode = [];
      for (const t of model.tensors)
        inNode.push([
          t.name,
          t.dtype,
          t.shape,
          comparable(await t.read()).map((v) =>
            v === 'nan' ? 'NaN' : v === 'inf' ? 'Infinity' : v === '-inf' ? '-Infinity' : v,
          ),
        ]);
      expect(inBrowser, name).toEqual(inNode);
      expect(inNode.length).toBeGreaterThan(0);
    }
    await page.close();
  });
});

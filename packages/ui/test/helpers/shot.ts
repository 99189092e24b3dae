/** `npx tsx packages/ui/test/helpers/shot.ts URL OUT.png [hoverX,hoverY]`: a screenshot to look at. */
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from './browser';

const [url, out, hover] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.on('console', (m) => console.log('console:', m.type(), m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e.message));
const t0 = Date.now();
await page.goto(url);
await page
  .waitForSelector('[data-testid=scalar-chart] canvas, .plot, .empty', { timeout: 10_000 })
  .catch(() => {});
console.log('first content after', Date.now() - t0, 'ms');
await page.waitForTimeout(800);
if (hover) {
  const [x, y] = hover.split(',').map(Number);
  await page.mouse.move(x, y);
  await page.waitForTimeout(200);
}
await page.screenshot({ path: out });
await browser.close();

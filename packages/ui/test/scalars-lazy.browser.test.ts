/**
 * The scalars view over many runs and tags, in Debian's chromium against the real server: one request
 * per chart in view (no run list when every run is selected), charts far below are not fetched until
 * scrolled to, requests of charts scrolled away are cancelled, and a chart of 150 runs whose points
 * sit at different steps is drawn with every run (each on its own x).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventFileWriter } from '@tensorscope/formats/tfevents/node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './helpers/browser';
import { type Dashboard, startDashboard, until } from './helpers/dashboard';

const RUNS = 250;
const TAGS = 40;

let dir: string;
let dash: Dashboard;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsui-lazy-'));
  for (let r = 0; r < RUNS; r++) {
    const w = new EventFileWriter(join(dir, `run_${String(r).padStart(3, '0')}`), { flushMillis: 60_000 });
    // runs log at different steps (offset by r), so no two runs share an x
    for (let s = 0; s < 30; s++)
      for (let t = 0; t < TAGS; t++)
        w.scalar(`m/tag_${String(t).padStart(2, '0')}`, Math.exp(-s / (5 + t)) + r / 1000, s * 200 + r);
    await w.close();
  }
  dash = await startDashboard([dir]);
  await until(
    'the runs to be indexed',
    async () => {
      const r = await dash.api<{ runs: { tags: unknown[] }[] }>('/api/runs');
      return r.runs.filter((x) => x.tags.length === TAGS).length === RUNS ? true : undefined;
    },
    120_000,
  );
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await dash?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('scalars over many runs and tags', () => {
  it('fetches one request per chart near the viewport, without a run list, and draws every run', async () => {
    const requests: URL[] = [];
    page.on('request', (r) => r.url().includes('/api/scalars') && requests.push(new URL(r.url())));
    await page.goto(`${dash.url}?tab=scalars`);
    await page.waitForSelector('[data-testid=scalar-chart] .u-over');
    await page.waitForTimeout(1500); // let the charts near the viewport load
    const tags = requests.map((u) => u.searchParams.get('tag'));
    expect(new Set(tags).size).toBe(tags.length); // one request per chart
    expect(tags.length).toBeGreaterThan(0);
    expect(tags.length).toBeLessThan(TAGS / 2); // not every chart of the page
    expect(requests.every((u) => !u.searchParams.has('runs'))).toBe(true);
    expect(requests[0].searchParams.get('max_points')).toBe('20000');
    const foot = await page.$eval('[data-testid=scalar-card] .card-foot', (f) => f.textContent);
    expect(foot).toContain(`${RUNS} runs · ${RUNS * 30} points`);
    // 250 lines x 7,500 distinct steps is too big an aligned table: each run is drawn on its own x
    expect(await page.$eval('[data-testid=scalar-chart]', (c) => c.getAttribute('data-faceted'))).toBe(
      'true',
    );
    // the tooltip lists the runs at the cursor: 40 rows and a line for the rest, every run accounted for
    const over = (await (await page.$('[data-testid=scalar-chart] .u-over'))!.boundingBox())!;
    await page.mouse.move(over.x + over.width / 2, over.y + over.height / 2);
    const more = await page.waitForSelector('[data-testid=tooltip]:not([hidden]) td.muted');
    expect(await more.textContent()).toBe(`and ${RUNS - 40} more runs`);
  });

  it('skips the charts scrolled past (aborted if started) and loads the last chart when it is reached', async () => {
    const started: string[] = [];
    const failed: string[] = [];
    page.on('request', (r) => r.url().includes('/api/scalars') && started.push(r.url()));
    page.on(
      'requestfailed',
      (r) => r.url().includes('/api/scalars') && failed.push(r.failure()?.errorText ?? ''),
    );
    await page.goto(`${dash.url}?tab=scalars&smooth=0.5`);
    // jump to the bottom at once: the charts at the top leave the viewport while still loading
    await page.waitForSelector('[data-testid=scalar-card]');
    await page.evaluate(() => document.querySelector('.content')!.scrollTo(0, 1e9));
    await page.evaluate(() => window.scrollTo(0, 1e9));
    const last = await page.waitForSelector(
      `[data-testid=scalar-card][data-title="m/tag_${TAGS - 1}"] .u-over`,
      {
        timeout: 20_000,
      },
    );
    expect(last).toBeTruthy();
    const tags = started.map((u) => new URL(u).searchParams.get('tag'));
    expect(tags).toContain(`m/tag_${TAGS - 1}`);
    // the middle of the page was never fetched
    expect(tags).not.toContain('m/tag_20');
    expect(failed.every((e) => e.includes('ABORTED'))).toBe(true);
  });
});

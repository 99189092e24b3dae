/**
 * The doctor in the dashboard, in Debian's chromium against the real server, over a logdir written
 * here: a run whose loss goes NaN at a known step, a healthy run, and a run still being written whose
 * loss tag carries HTML (it must show as text) and goes NaN while the page is open.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventFileWriter } from '@tensorscope/formats/tfevents/node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './helpers/browser';
import { type Dashboard, startDashboard, until } from './helpers/dashboard';

const NAN_STEP = 60;
const LIVE_NAN_STEP = 85;
const HOSTILE = 'loss/<img src=x onerror="window.__pwned=1">';

let dir: string;
let dash: Dashboard;
let browser: Browser;
let page: Page;
let live: EventFileWriter;

const loss = (s: number, k: number) => Math.exp(-s / 40) + 0.05 + 0.005 * k * Math.sin(s * 1.7);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsui-doctor-'));
  const nan = new EventFileWriter(join(dir, 'nan'));
  for (let s = 0; s < 100; s++) nan.scalar('loss', s >= NAN_STEP ? Number.NaN : loss(s, 1), s);
  nan.scalar('accuracy', 0.5, 0);
  await nan.close();
  const ok = new EventFileWriter(join(dir, 'ok'));
  for (let s = 0; s < 100; s++) ok.scalar('loss', loss(s, 2), s);
  await ok.close();
  live = new EventFileWriter(join(dir, 'live'), { flushMillis: 20 });
  for (let s = 0; s < 80; s++) live.scalar(HOSTILE, loss(s, 3), s);
  await live.flush();
  dash = await startDashboard([dir]);
  await until('the runs to be indexed', async () => {
    const r = await dash.api<{ runs: { name: string; tags: unknown[] }[] }>('/api/runs');
    return r.runs.filter((x) => x.tags.length).length === 3 ? true : undefined;
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await live?.close();
  await dash?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the doctor in the dashboard', () => {
  it('badges the NaN run (none on the healthy runs), lists the finding, and opens its chart with the onset marked', async () => {
    await page.goto(dash.url);
    const badge = await page.waitForSelector('.run-row[data-run=nan] [data-testid=doctor-badge]');
    expect(await badge.textContent()).toBe('1');
    expect(await badge.getAttribute('title')).toContain('nan_loss');
    expect(await badge.evaluate((b) => b.classList.contains('error'))).toBe(true);
    expect(await page.$$('.run-row[data-run=ok] [data-testid=doctor-badge]')).toHaveLength(0);
    expect(await page.$$('.run-row[data-run=live] [data-testid=doctor-badge]')).toHaveLength(0);

    await page.click('nav.tabs >> text=Doctor');
    const card = await page.waitForSelector('[data-testid=finding][data-run=nan][data-id=nan_loss]');
    expect(await card.evaluate((c) => c.closest('[data-severity]')?.getAttribute('data-severity'))).toBe(
      'error',
    );
    expect(await card.$eval('.evidence', (e) => e.textContent)).toContain(`NaN at step ${NAN_STEP}`);
    expect(await card.$eval('.finding-tags', (e) => e.textContent)).toBe('loss');
    expect(await page.$$('[data-testid=finding]')).toHaveLength(1);

    await card.$eval('[data-testid=open-finding]', (b) => (b as HTMLButtonElement).click());
    await page.waitForSelector('[data-testid=scalar-chart] .u-over');
    const q = new URL(page.url()).searchParams;
    expect(q.get('tab')).toBe('scalars');
    expect(q.get('mark')).toBe(`${NAN_STEP}:nan_loss`);
    expect(q.get('runs')).toBe('^nan$');
    // only the finding's tag is charted, for its run alone
    expect(
      await page.$$eval('[data-testid=scalar-card]', (cs) => cs.map((c) => c.getAttribute('data-title'))),
    ).toEqual(['loss']);
    const mark = await page.waitForSelector('[data-testid=chart-mark]:not([hidden])');
    expect(await mark.getAttribute('data-x')).toBe(String(NAN_STEP));
    expect(await mark.textContent()).toBe(`nan_loss @ step ${NAN_STEP}`);
    // the line sits where the chart puts step 60: the tooltip at its x names that step
    const m = (await mark.boundingBox())!;
    const over = (await (await page.$('[data-testid=scalar-chart] .u-over'))!.boundingBox())!;
    await page.mouse.move(m.x + 1, over.y + over.height / 2);
    const step = await page.waitForSelector('[data-testid=tooltip]:not([hidden]) td.step');
    expect(await step.textContent()).toBe(String(NAN_STEP));
    const runs = await page.$$eval('[data-testid=tooltip] tr[data-run]', (rs) =>
      rs.map((r) => r.getAttribute('data-run')),
    );
    expect(runs).toEqual(['nan']);
  });

  it('reopens the marked view from its URL', async () => {
    await page.goto(`${dash.url}?tab=scalars&runs=%5Enan%24&mark=${NAN_STEP}%3Anan_loss`);
    const mark = await page.waitForSelector('[data-testid=chart-mark]:not([hidden])');
    expect(await mark.getAttribute('data-x')).toBe(String(NAN_STEP));
  });

  it('notifies a new finding while a run trains, with the tag name shown as text', async () => {
    await page.goto(`${dash.url}?tab=doctor`);
    await page.waitForSelector('[data-testid=finding][data-run=nan]');
    await page.waitForSelector('.run-row[data-run=nan] [data-testid=doctor-badge]');
    const t0 = Date.now();
    for (let s = 80; s < 95; s++) live.scalar(HOSTILE, s >= LIVE_NAN_STEP ? Number.NaN : loss(s, 3), s);
    await live.flush();
    const toast = await page.waitForSelector('[data-testid=toast]', { timeout: 8000 });
    const seconds = (Date.now() - t0) / 1000;
    expect(seconds).toBeLessThan(8);
    expect(await toast.textContent()).toContain(`nan_loss in live at step ${LIVE_NAN_STEP}`);
    expect(await page.$eval('.toasts', (t) => t.getAttribute('role'))).toBe('status');
    // the badge and the panel follow
    await page.waitForSelector('.run-row[data-run=live] [data-testid=doctor-badge]');
    const card = await page.waitForSelector('[data-testid=finding][data-run=live]');
    expect(await card.$eval('.finding-tags', (e) => e.textContent)).toBe(HOSTILE);
    expect(await card.$eval('.evidence', (e) => e.textContent)).toContain(HOSTILE);
    expect(await page.$$('.finding img')).toHaveLength(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    // dismissible
    await toast.$eval('button[aria-label^=Dismiss]', (b) => (b as HTMLButtonElement).click());
    await until(
      'the toast to go',
      async () => ((await page.$$('[data-testid=toast]')).length ? undefined : true),
      3000,
    );
  }, 30_000);
});

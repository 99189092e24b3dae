/**
 * The dashboard in Debian's chromium against the real server:
 * 1. first chart: ms from navigation start to the first scalar chart drawn (the page's
 *    `tensorscope:first-chart` mark; target < 1500 ms) on warm reloads of the tab, and on the first,
 *    cold load, as a ratio to the page's own DOMContentLoaded (the cost of the shell itself) measured in the same loads,
 *    on the tensorboardX fixture and on 1,000 runs x 20 tags x 250 steps (every run's points at
 *    different steps once downsampled: the case where an aligned chart table grows like runs^2);
 * 2. thousands of runs: mean frame time while the run list scrolls through 2,000 runs, as a ratio to
 *    a plain DOM list of the same 2,000 rows scrolled the same way, and the rows kept in the DOM.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventFileWriter } from '@tensorscope/formats/tfevents/node';
import { startServer } from '@tensorscope/server';
import type { Page } from 'playwright-core';
import { ensureUiBuilt } from '../packages/ui/build';
import { launchBrowser } from '../packages/ui/test/helpers/browser';

const FIXTURE = '/work/shared/fixtures/tfevents/tensorboardx-sample';
const uiDir = await ensureUiBuilt();
const tmp = mkdtempSync(join(tmpdir(), 'ts-bench-ui-'));

async function serve(paths: string[], runs: number) {
  const server = await startServer({
    paths,
    port: 0,
    cacheDir: mkdtempSync(join(tmp, 'cache-')),
    uiDir,
    pollMillis: 200,
  });
  const t0 = performance.now();
  for (;;) {
    const r = (await (await fetch(`${server.url}api/runs`)).json()) as { runs: { tags: unknown[] }[] };
    if (r.runs.filter((x) => x.tags.length).length >= runs) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return { server, indexMs: performance.now() - t0 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function firstChart(
  page: Page,
  url: string,
  reload: boolean,
): Promise<{ chart: number; dcl: number; phases: string }> {
  if (reload) await page.reload();
  else await page.goto(url);
  await page.waitForSelector('[data-testid=scalar-chart] canvas');
  return page.evaluate(() => {
    const res = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    return {
      chart: performance.getEntriesByName('tensorscope:first-chart')[0].startTime,
      dcl: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming)
        .domContentLoadedEventEnd,
      phases: ['/api/tags', '/api/runs', '/api/scalars']
        .map((part) => {
          const r = res.find((e) => e.name.includes(part));
          return `${part} ${r ? `${r.startTime.toFixed(0)}-${r.responseEnd.toFixed(0)}` : '?'}`;
        })
        .join(', '),
    };
  });
}

/** Mean frame time while `el` scrolls top to bottom in 90 steps, one per animation frame. */
async function scrollFrames(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, async (el) => {
    const list = el as HTMLElement;
    const times: number[] = [];
    let last = performance.now();
    for (let f = 0; f < 90; f++) {
      list.scrollTop = ((list.scrollHeight - list.clientHeight) * f) / 89;
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    return times.slice(1).reduce((a, b) => a + b, 0) / (times.length - 1);
  });
}

/** The baseline: the same rows as plain DOM (every row present), in a box the size of the run list. */
async function plainList(page: Page): Promise<void> {
  await page.evaluate(() => {
    const list = document.querySelector('[data-testid=run-list]') as HTMLElement;
    const row = document.querySelector('.run-row') as HTMLElement;
    const box = document.createElement('div');
    box.id = 'plain-list';
    const r = list.getBoundingClientRect();
    Object.assign(box.style, {
      position: 'fixed',
      left: `${r.left}px`,
      top: `${r.top}px`,
      width: `${r.width}px`,
      height: `${r.height}px`,
      overflow: 'auto',
      background: 'var(--surface)',
      zIndex: '100',
    });
    for (let i = 0; i < 2000; i++) {
      const c = row.cloneNode(true) as HTMLElement;
      c.style.position = 'relative';
      c.style.transform = '';
      (c.querySelector('.run-name') as HTMLElement).textContent = `sweep/lr_${i}`;
      box.appendChild(c);
    }
    document.body.appendChild(box);
  });
}

async function manyRuns(n: number): Promise<string> {
  const dir = mkdtempSync(join(tmp, `runs${n}-`));
  for (let r = 0; r < n; r++) {
    const w = new EventFileWriter(join(dir, `sweep/lr_${r}`), { flushMillis: 60_000 });
    for (let s = 0; s < 20; s++) w.scalar('loss', Math.exp(-s / (5 + (r % 17))), s);
    await w.close();
  }
  return dir;
}

/** `runs` runs x `tags` tags x `steps` steps (steps 20 apart), written the way SummaryWriter writes. */
async function wideLogdir(runs: number, tags: number, steps: number): Promise<string> {
  const dir = mkdtempSync(join(tmp, `wide${runs}-`));
  for (let r = 0; r < runs; r++) {
    const w = new EventFileWriter(join(dir, `sweep/run_${String(r).padStart(4, '0')}`), {
      flushMillis: 60_000,
    });
    for (let s = 0; s < steps; s++)
      for (let t = 0; t < tags; t++)
        w.scalar(`metrics/tag_${t}`, Math.exp(-s / (50 + t)) + 0.01 * Math.sin(r * 7 + s), s * 20);
    await w.close();
  }
  return dir;
}

/**
 * The first load of the server's origin (nothing of it cached: cold), then `loads` reloads of the tab
 * (warm: as users reopen the dashboard; the measure bench/serve.ts reports too).
 */
async function firstCharts(url: string, label: string, loads: number): Promise<void> {
  const cold = await firstChart(page, url, false);
  console.log(
    `first load (${label}, cold cache): ${cold.phases}, chart drawn at ${cold.chart.toFixed(0)} ms`,
  );
  const all: { chart: number; dcl: number; phases: string }[] = [];
  for (let i = 0; i < loads; i++) {
    await page.waitForTimeout(1000); // the page settles (doctor badges, the charts below) as a user's would
    all.push(await firstChart(page, url, true));
  }
  const chart = median(all.map((l) => l.chart));
  const dcl = median(all.map((l) => l.dcl));
  const mid = all.find((l) => l.chart === chart)!;
  console.log(
    `median warm reload (${label}): ${mid.phases}, chart drawn at ${mid.chart.toFixed(0)} (ms after navigation start)`,
  );
  console.log(
    `first chart (${label}, median of ${loads} warm reloads): ${chart.toFixed(0)} ms after navigation start (target < 1500 ms); ` +
      `baseline: DOMContentLoaded of the same page ${dcl.toFixed(0)} ms; ratio ${(chart / dcl).toFixed(2)}x`,
  );
  await page.goto('about:blank'); // no reconnecting event stream once the server is gone
}

/**
 * 3. the doctor over the same 1,000 runs: time from the first GET /api/doctor on a fresh server until
 *    every run is diagnosed (`pending` 0), against `tensorscope doctor --json` on the same logdir
 *    (reads the event files itself, one process, no server), both wall clock.
 */
async function doctorPass(logdir: string): Promise<void> {
  const d = await serve([logdir], 1000);
  const t0 = performance.now();
  let runs = 0;
  for (;;) {
    const r = (await (await fetch(`${d.server.url}api/doctor`)).json()) as {
      runs: unknown[];
      pending: number;
    };
    runs = r.runs.length;
    if (r.pending === 0) break;
    await new Promise((res) => setTimeout(res, 250));
  }
  const server = performance.now() - t0;
  await d.server.close();
  const c0 = performance.now();
  execFileSync(join(import.meta.dirname, '../node_modules/.bin/tensorscope'), ['doctor', logdir, '--json'], {
    maxBuffer: 1 << 28,
  });
  const cli = performance.now() - c0;
  console.log(
    `doctor over ${runs} runs x 20 tags x 250 steps: server's first full pass ${(server / 1000).toFixed(1)} s ` +
      `(in the background, at most half the server's time); baseline tensorscope doctor --json on the files ` +
      `${(cli / 1000).toFixed(1)} s; ratio ${(server / cli).toFixed(2)}x`,
  );
}

const browser = await launchBrowser();
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.on('pageerror', (e) => console.error('page error:', e.message));
page.on('console', (m) => m.type() === 'error' && console.error('console:', m.text()));
try {
  console.log(`load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]} on a 2-core machine`);
  const { server } = await serve([FIXTURE], 6);
  await firstCharts(server.url, 'tensorboardx-sample', 5);
  await server.close();

  const wide = await wideLogdir(1000, 20, 250);
  const w = await serve([wide], 1000);
  await firstCharts(w.server.url, '1,000 runs x 20 tags', 3);
  await w.server.close();
  await doctorPass(wide);

  const dir = await manyRuns(2000);
  const big = await serve([dir], 2000);
  await page.goto(`${big.server.url}?tab=scalars`);
  // the chart of all 2000 runs is drawn before the list is scrolled
  await page.waitForSelector('[data-testid=scalar-chart] canvas', { timeout: 120_000 });
  await page.waitForTimeout(1000);
  const virtual = await scrollFrames(page, '[data-testid=run-list]');
  const rows = await page.$$eval('.run-row', (r) => r.length);
  await plainList(page);
  const plain = await scrollFrames(page, '#plain-list');
  await page.goto('about:blank');
  await big.server.close();
  console.log(
    `run list scroll through 2000 runs: virtualized ${virtual.toFixed(1)} ms/frame with ${rows} rows in the DOM; ` +
      `baseline plain DOM list of 2000 rows ${plain.toFixed(1)} ms/frame; ratio ${(virtual / plain).toFixed(2)}x`,
  );
  console.log(
    `(indexing 2000 runs took ${(big.indexMs / 1000).toFixed(1)} s; software-rendered chromium, no GPU)`,
  );
} finally {
  await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}

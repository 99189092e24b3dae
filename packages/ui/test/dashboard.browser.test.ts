/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against the real
 * server over the tensorboardX fixture logdir and a scratch logdir written during the test (live
 * appends, a corrupt file, hostile and huge text).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { EventFileWriter, encodePng } from '@tensorscope/formats/tfevents/node';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './helpers/browser';
import { type Dashboard, startDashboard, until } from './helpers/dashboard';

const FIXTURE = '/work/shared/fixtures/tfevents/tensorboardx-sample';
const REDUCER = '/work/shared/fixtures/tfevents/tensorboard-reducer/runs';
const ROOT = join(import.meta.dirname, '../../..');
const SAMPLE = basename(FIXTURE);

interface RunsJson {
  runs: {
    name: string;
    tags: { tag: string; count: number }[];
    issues: { file: string; offset: number; message: string }[];
  }[];
}

let dash: Dashboard;
let browser: Browser;
let page: Page;
let scratch: string;
let S: string; // the scratch logdir's name prefix
let live: EventFileWriter;
let corruptFile: string;
let corruptOffset: number;

/** Byte offsets where each record of an event file starts. */
function recordStarts(buf: Buffer): number[] {
  const out: number[] = [];
  for (let o = 0; o + 12 <= buf.length; ) {
    out.push(o);
    o += 12 + Number(buf.readBigUInt64LE(o)) + 4;
  }
  return out;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'tsui-'));
  S = basename(scratch);
  // a run that grows while the page is open
  live = new EventFileWriter(join(scratch, 'live'), { flushMillis: 50 });
  for (let s = 0; s < 20; s++) live.scalar('live/value', Math.sin(s / 3), s);
  await live.flush();
  // text that tries to run code, and a text summary too big to render as markdown
  const texts = new EventFileWriter(join(scratch, 'texts'));
  texts.text(
    'notes/evil',
    '# Evil\n\n<script>window.__pwned = 1</script>\n\n<img src="x" onerror="window.__pwned = 2">\n\n| k | v |\n|---|---|\n| lr | 0.1 |',
    0,
  );
  texts.text('notes/huge', '## big\n\n' + 'lorem ipsum dolor sit amet '.repeat(80_000), 0);
  // a 4000x3000 image: shown scaled to its card unless "actual size" is on
  const gray = new Uint8Array(4000 * 3000);
  for (let i = 0; i < gray.length; i++) gray[i] = (i % 4000) >> 4;
  texts.image('images/huge', encodePng(gray, 4000, 3000, 1), 4000, 3000, 0, 1);
  await texts.close();
  // a run whose file has a corrupt record in the middle: the rest must still be read
  const bad = new EventFileWriter(join(scratch, 'corrupt'));
  for (let s = 0; s < 10; s++) bad.scalar('corrupt/value', s, s);
  await bad.close();
  corruptFile = bad.path;
  const buf = readFileSync(corruptFile);
  corruptOffset = recordStarts(buf)[5];
  buf[corruptOffset + 14] ^= 0xff; // a byte of the record's data: its CRC no longer matches
  writeFileSync(corruptFile, buf);

  dash = await startDashboard([FIXTURE, REDUCER, scratch]);
  await until('the logdirs to be indexed', async () => {
    const r = await dash.api<RunsJson>('/api/runs');
    const main = r.runs.find((x) => x.name === `${SAMPLE}/main`);
    const ok =
      main?.tags.find((t) => t.tag === 'loss/train')?.count === 640 &&
      r.runs.some((x) => x.name === `${S}/corrupt`) &&
      r.runs.some((x) => x.name === `${S}/texts`) &&
      r.runs.some((x) => x.name === `${S}/live`) &&
      r.runs.find((x) => x.name === 'runs/lax/run_3')?.tags.find((t) => t.tag === 'lax/foo')?.count === 130;
    return ok ? true : undefined;
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  page.on('pageerror', (e) => console.error('page error:', e.message));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await live?.close();
  await dash?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function open(query: string) {
  await page.goto(`${dash.url}${query}`);
}

/** How many pixels of a canvas have been painted (alpha > 0). */
function paintedPixels(selector: string): Promise<number> {
  return page.$eval(selector, (c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return n;
  });
}

interface ExportJson {
  runs: {
    name: string;
    tags: { tag: string; points: { step: number; wall_time: number; value: number }[] }[];
  }[];
}

describe('dashboard in chromium', () => {
  it('lists every run, with a warning badge naming the corrupt file and offset', async () => {
    await open('');
    await page.waitForSelector('.run-row');
    const runs = await page.$$eval('.run-row', (rows) => rows.map((r) => (r as HTMLElement).dataset.run));
    const api = (await dash.api<RunsJson>('/api/runs')).runs.map((r) => r.name);
    expect(new Set(runs)).toEqual(new Set(api));
    for (const r of [
      'main',
      'multi/compare/sin',
      'multi/compare/cos',
      'hparams/trial0',
      'hparams/trial1',
      'hparams/trial2',
    ])
      expect(runs).toContain(`${SAMPLE}/${r}`);

    const issue = (await dash.api<RunsJson>('/api/runs')).runs.find((r) => r.name === `${S}/corrupt`)!
      .issues[0];
    expect(issue.offset).toBe(corruptOffset);
    const badge = await page.$(`.run-row[data-run="${S}/corrupt"] [data-testid=issue-badge]`);
    expect(await badge!.textContent()).toContain(`@${corruptOffset}`);
    expect(await badge!.getAttribute('title')).toContain(`${basename(corruptFile)} at byte ${corruptOffset}`);
    // every other record of the corrupt file is still there (record 0 is the file_version event,
    // so record 5 held step 4)
    const series = await dash.api<{ series: { steps: number[] }[] }>(
      `/api/scalars?tag=corrupt/value&runs=${S}/corrupt`,
    );
    expect(series.series[0].steps).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
  });

  it('draws scalar charts whose tooltip shows the exported value and the TensorBoard-smoothed value', async () => {
    const run = `${SAMPLE}/main`;
    await open(`?runs=${encodeURIComponent(`^${run}$`)}&tags=${encodeURIComponent('^loss/train$')}`);
    await page.waitForSelector('[data-testid=scalar-chart] .u-over');
    expect(await page.$$eval('[data-testid=scalar-card]', (c) => c.length)).toBe(1);
    expect(await paintedPixels('[data-testid=scalar-chart] canvas')).toBeGreaterThan(2000);

    // hover until the tooltip shows (the chart may be redrawn once more as live data settles)
    const row = await until('the tooltip', async () => {
      const over = (await (await page.$('[data-testid=scalar-chart] .u-over'))?.boundingBox()) ?? null;
      if (!over) return undefined;
      await page.mouse.move(over.x + over.width * 0.37 + 1, over.y + over.height / 2);
      await page.mouse.move(over.x + over.width * 0.37, over.y + over.height / 2);
      return (await page.$(`[data-testid=tooltip]:not([hidden]) tr[data-run="${run}"]`)) ?? undefined;
    });
    const step = Number(await (await row.$('.step'))!.textContent());
    const shown = await (await row.$('.value'))!.textContent();
    const smoothed = Number(await (await row.$('.smoothed'))!.textContent());

    const out = execFileSync(
      join(ROOT, 'node_modules/.bin/tensorscope'),
      ['export', FIXTURE, '--run', '^main$', '--tag', '^loss/train$', '--format', 'json'],
      { encoding: 'utf8' },
    );
    const points = (JSON.parse(out) as ExportJson).runs[0].tags[0].points;
    const k = points.findIndex((p) => p.step === step);
    expect(k).toBeGreaterThan(100);
    expect(shown).toBe(String(points[k].value));
    // TensorBoard's debiased EMA at weight 0.6, computed here independently
    let last = 0;
    for (let i = 0; i <= k; i++) last = last * 0.6 + 0.4 * points[i].value;
    expect(Math.abs(smoothed / (last / (1 - 0.6 ** (k + 1))) - 1)).toBeLessThan(1e-6);

    // the chart's CSV download holds every exported point
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=CSV')]);
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toBe('run,tag,step,wall_time,value,smoothed');
    expect(csv.length).toBe(641);
    const cells = csv[1 + k].split(',');
    expect([cells[0], cells[1], Number(cells[2]), cells[4]]).toEqual([
      run,
      'loss/train',
      step,
      String(points[k].value),
    ]);
  });

  it('overlays runs of different lengths; the tooltip gives each run its own nearest point', async () => {
    await open(`?runs=${encodeURIComponent('^runs/lax/')}&tags=${encodeURIComponent('^lax/foo$')}&smooth=0`);
    const over = await page.waitForSelector('[data-testid=scalar-chart] .u-over');
    const box = (await over.boundingBox())!;
    const rows = await until('a tooltip with three runs', async () => {
      await page.mouse.move(box.x + box.width - 3, box.y + box.height / 2);
      await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
      const r = await page.$$eval('[data-testid=tooltip]:not([hidden]) tbody tr[data-run]', (trs) =>
        trs.map((tr) => ({
          run: (tr as HTMLElement).dataset.run!,
          step: Number(tr.querySelector('.step')!.textContent),
          value: tr.querySelector('.value')!.textContent!,
          smoothed: tr.querySelector('.smoothed')!.textContent!,
        })),
      );
      return r.length === 3 ? r : undefined;
    });
    const out = execFileSync(
      join(ROOT, 'node_modules/.bin/tensorscope'),
      ['export', REDUCER, '--run', '^lax/', '--tag', '^lax/foo$', '--format', 'json'],
      { encoding: 'utf8' },
    );
    const exported = (JSON.parse(out) as ExportJson).runs;
    const byRun = Object.fromEntries(rows.map((r) => [r.run, r]));
    for (const [name, last] of [
      ['lax/run_1', 109],
      ['lax/run_2', 119],
      ['lax/run_3', 129],
    ] as const) {
      const row = byRun[`runs/${name}`];
      const points = exported.find((r) => r.name === name)!.tags[0].points;
      const p = points.find((q) => q.step === row.step)!;
      expect(row.step).toBeLessThanOrEqual(last);
      expect(row.value).toBe(String(p.value));
      expect(Number(row.smoothed)).toBe(Number(p.value.toPrecision(7))); // smoothing 0: the raw value
    }
    expect(byRun['runs/lax/run_1'].step).toBe(109);
    expect(byRun['runs/lax/run_2'].step).toBe(119);
  });

  it('keeps zoom and smoothing in the URL; double-click resets the zoom', async () => {
    await open(`?runs=${encodeURIComponent(`^${SAMPLE}/main$`)}&tags=${encodeURIComponent('^loss/train$')}`);
    await page.waitForSelector('[data-testid=scalar-chart] .u-over');
    const over = (await (await page.$('[data-testid=scalar-chart] .u-over'))!.boundingBox())!;
    await page.mouse.move(over.x + over.width * 0.2, over.y + 20);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.5, over.y + 20, { steps: 5 });
    await page.mouse.up();
    await until(
      'zoom in the URL',
      async () => (new URL(page.url()).searchParams.get('zoom') ? true : undefined),
      5000,
    );
    const [a, b] = new URL(page.url()).searchParams.get('zoom')!.split(',').map(Number);
    expect(a).toBeGreaterThan(100);
    expect(b).toBeLessThan(340);
    // a bookmark of this URL opens the same view
    await page.reload();
    await page.waitForSelector('[data-testid=scalar-chart] .u-over');
    expect(await page.textContent('.chip')).toContain('Zoom');
    await page.dblclick('[data-testid=scalar-chart] .u-over');
    await until(
      'zoom reset',
      async () => (new URL(page.url()).searchParams.get('zoom') ? undefined : true),
      5000,
    );
  });

  it('shows the image of a chosen step', async () => {
    const png = async (step: number) =>
      PNG.sync.read(
        Buffer.from(
          await (
            await fetch(`${dash.url}api/blob?run=${SAMPLE}/main&tag=images/gradient&step=${step}&index=0`)
          ).arrayBuffer(),
        ),
      );
    const [first, last] = [await png(0), await png(2)];
    // a pixel where step 0 and step 2 differ, decoded here with pngjs
    let px = 0;
    while (first.data.readUInt32BE(px * 4) === last.data.readUInt32BE(px * 4)) px++;
    const [x, y] = [px % first.width, Math.floor(px / first.width)];

    await open(`?tab=images&tags=${encodeURIComponent('^images/gradient$')}`);
    const slider = await page.waitForSelector('[data-testid=image-card] [data-testid=step-slider]');
    expect(await page.textContent('[data-testid=image-card] [data-testid=step-label]')).toBe('step 2');
    await slider.fill('0');
    await page.waitForSelector('[data-testid=image-card] img[data-step="0"]');
    const rgba = await page.$eval(
      '[data-testid=image-card] img',
      async (el, [px, py]) => {
        const img = el as HTMLImageElement;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.naturalWidth;
        c.height = img.naturalHeight;
        const ctx = c.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        return { size: [img.naturalWidth, img.naturalHeight], px: [...ctx.getImageData(px, py, 1, 1).data] };
      },
      [x, y],
    );
    expect(rgba.size).toEqual([48, 32]);
    expect(rgba.px).toEqual([...first.data.subarray(px * 4, px * 4 + 4)]);
  });

  it('scales a huge image to its card, and shows it at actual size on request', async () => {
    await open(`?tab=images&tags=${encodeURIComponent('^images/huge$')}`);
    const img = await page.waitForSelector('[data-testid=image-card] img');
    await img.evaluate((i) => (i as HTMLImageElement).decode());
    const fit = (await img.boundingBox())!;
    const card = (await (await page.$('[data-testid=image-card]'))!.boundingBox())!;
    expect(await img.evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBe(4000);
    expect(fit.width).toBeLessThanOrEqual(card.width);
    expect(fit.height).toBeLessThanOrEqual(260);
    await page.click('text=Actual size');
    await until(
      'actual size',
      async () => ((await img.boundingBox())!.width === 4000 ? true : undefined),
      5000,
    );
    const frame = (await (await page.$('[data-testid=image-card] .image-frame'))!.boundingBox())!;
    expect(frame.height).toBeLessThanOrEqual(520);
    expect(new URL(page.url()).searchParams.get('actual')).toBe('1');
  });

  it('plays audio clips: the fixture sine is 16000 frames at 16 kHz', async () => {
    const expected = JSON.parse(readFileSync(`${FIXTURE}.expected.json`, 'utf8')).runs.main.audio[
      'audio/sine440'
    ];
    await open('?tab=audio');
    const audio = await page.waitForSelector('[data-testid=audio-card] audio');
    const duration = await audio.evaluate(
      (a) =>
        new Promise<number>((done) => {
          const el = a as HTMLAudioElement;
          if (el.readyState >= 1) done(el.duration);
          else el.addEventListener('loadedmetadata', () => done(el.duration));
        }),
    );
    expect(duration).toBeCloseTo(expected.frames / expected.sample_rate, 3);
  });

  it('draws histograms and distributions', async () => {
    await open(`?tab=histograms&tags=${encodeURIComponent('^weights/layer1$')}`);
    await page.waitForSelector('[data-testid=histogram-canvas]');
    await until(
      'histogram painted',
      async () => ((await paintedPixels('[data-testid=histogram-canvas]')) > 5000 ? true : undefined),
      5000,
    );
    expect(await page.textContent('[data-testid=histogram-card] .chart-caption')).toBe('37 steps · 0–36');
    await open(`?tab=distributions&tags=${encodeURIComponent('^weights/layer1$')}`);
    await page.waitForSelector('[data-testid=distribution-chart] canvas');
    expect(await paintedPixels('[data-testid=distribution-chart] canvas')).toBeGreaterThan(5000);
  });

  it('renders markdown with tables, never runs scripts from a text summary, and truncates huge text', async () => {
    await open('?tab=text');
    await page.waitForSelector(`[data-testid=text-card] [data-testid=markdown]`);
    const main = await page.$(`[data-testid=text-card]:has(.run-label:text-is("${SAMPLE}/main"))`);
    expect(await main!.$eval('h1', (h) => h.textContent)).toBe('Heading');
    expect(await main!.$$eval('table td', (tds) => tds.map((t) => t.textContent))).toEqual(['1', '2']);
    expect(await main!.textContent()).toContain('héllo wörld ✓');

    const evil = await page.$(`[data-testid=text-card][data-title="notes/evil"]`);
    expect(await evil!.$$eval('table td', (tds) => tds.map((t) => t.textContent))).toEqual(['lr', '0.1']);
    expect(await evil!.$$('script')).toHaveLength(0);
    expect(await evil!.$$eval('img', (imgs) => imgs.map((i) => i.getAttribute('onerror')))).toEqual([null]);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    const huge = await page.$(`[data-testid=text-card][data-title="notes/huge"]`);
    expect(await huge!.textContent()).toContain('too long to render as markdown');
    expect(await huge!.$$('[data-testid=markdown]')).toHaveLength(0);
  });

  it('shows hparams sessions in the table and the parallel coordinates', async () => {
    const expected = JSON.parse(readFileSync(`${FIXTURE}.expected.json`, 'utf8')).runs.hparams.sessions as {
      run: string;
      hparams: Record<string, number | string | boolean>;
      metrics: Record<string, number>;
    }[];
    await open(`?tab=hparams&runs=${encodeURIComponent(`^${SAMPLE}/`)}`);
    await page.waitForSelector('[data-testid=hparams-table] tbody tr');
    const headers = await page.$$eval('[data-testid=hparams-table] thead th', (th) =>
      th.map((t) => t.textContent!.replace(/ [↑↓]$/, '')),
    );
    for (const session of expected) {
      const cells = await page.$$eval(
        `[data-testid=hparams-table] tr[data-run="${SAMPLE}/${session.run}"] td`,
        (td) => td.map((t) => t.textContent),
      );
      for (const [name, value] of Object.entries({ ...session.hparams, ...session.metrics })) {
        const cell = cells[headers.indexOf(name)];
        if (typeof value === 'number') expect(Math.fround(Number(cell))).toBe(Math.fround(value));
        else expect(cell).toBe(String(value));
      }
    }
    expect(await page.$$eval('[data-testid=parallel-coordinates] polyline', (p) => p.length)).toBe(
      expected.length,
    );
  });

  it('shows the threshold, precision and recall of the hovered PR-curve point', async () => {
    await open('?tab=pr_curves');
    const plot = await page.waitForSelector('[data-testid=pr-plot]');
    const box = (await plot.boundingBox())!;
    const caption = await until('a hovered PR point', async () => {
      await page.mouse.move(box.x + box.width * 0.7, box.y + 20);
      await page.mouse.move(box.x + box.width * 0.7 + 1, box.y + 20);
      const t = await page.textContent('[data-testid=pr-plot-caption]');
      return t?.includes('threshold') ? t : undefined;
    });
    const m = /step (\d+) · threshold (\S+) · precision (\S+) · recall (\S+)/.exec(caption)!;
    const pr = await dash.api<{
      points: { step: number; thresholds: number[]; precision: number[]; recall: number[] }[];
    }>(`/api/pr_curves?run=${SAMPLE}/main&tag=pr/classifier`);
    const point = pr.points.find((p) => p.step === Number(m[1]))!;
    const i = point.thresholds.findIndex((t) => Math.fround(t) === Math.fround(Number(m[2])));
    expect(i).toBeGreaterThanOrEqual(0);
    expect(Math.fround(Number(m[3]))).toBe(Math.fround(point.precision[i]));
    expect(Math.fround(Number(m[4]))).toBe(Math.fround(point.recall[i]));
  });

  it('redraws a chart when events are appended to a file', async () => {
    await open(`?runs=${encodeURIComponent(`^${S}/live$`)}`);
    const foot = '[data-testid=scalar-card] .card-foot';
    await page.waitForSelector(`${foot} >> text=20 points`);
    for (let s = 20; s < 50; s++) live.scalar('live/value', Math.sin(s / 3), s);
    await live.flush();
    await page.waitForSelector(`${foot} >> text=50 points`, { timeout: 10_000 });
  });

  it('switches themes and keeps the choice in the URL', async () => {
    await open('');
    const before = await page.getAttribute('html', 'data-theme');
    await page.click('[aria-label^="Switch to"]');
    const after = await page.getAttribute('html', 'data-theme');
    expect(after).not.toBe(before);
    expect(new URL(page.url()).searchParams.get('theme')).toBe(after);
  });
});

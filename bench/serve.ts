/**
 * `npm run bench -- serve`: the dashboard server on a generated logdir of 1,000 runs x 20 tags x
 * 5,000 steps (100M scalar points, written as PyTorch/tensorboardX write them: one value per event).
 * SERVE_SCALE=0.1 makes 100 runs (for a quick look). The logdir is kept under .bench-data/serve
 * (delete it to regenerate); the index is rebuilt from scratch on every run.
 *
 * Measures `tensorscope serve` in a child process, as users run it:
 * - indexing rate (points/s) against a baseline in the same run: the tfevents reader alone (decode
 *   into memory, nothing stored) on the first runs;
 * - peak resident memory of the server (VmHWM), against the bytes the points take in memory;
 * - API latency p50/p99 for one tag across all runs at 1,500 px, against the same request with the
 *   largest budget the server allows (max_points=2,000,000: ~full resolution for 400 runs), and the
 *   server's CPU milliseconds per request (what a request costs a core, whatever the load);
 * - GET /api/runs (1,000 runs x 20 tags), the page's first request;
 * - restart on a warm index (resume from stored offsets);
 * - time to first chart in Chromium: the page's `tensorscope:first-chart` mark, ms from navigation
 *   start (up to FIRST_CHART_TIMEOUT ms, 180 s by default), on warm reloads of the tab and on a fresh
 *   browser's first load, against the same page over a one-run logdir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeEvent, frameRecord, maskedCrc32c } from '@tensorscope/formats/tfevents';
import { RunReader } from '@tensorscope/formats/tfevents/node';
import { chromium } from 'playwright-core';
import { fmt, mb, table } from './lib/measure';

const SCALE = Number(process.env.SERVE_SCALE ?? 1);
const RUNS = Math.max(2, Math.round(1000 * SCALE));
const TAGS = 20;
const STEPS = 5000;
const ROOT = join(import.meta.dirname, '../.bench-data/serve');
const CLI = join(import.meta.dirname, '../node_modules/.bin/tensorscope');
const WIDTH = 1500;
const FIRST_CHART_TIMEOUT = Number(process.env.FIRST_CHART_TIMEOUT ?? 180_000);

/** One event per scalar, byte for byte the layout tensorboardX writes (wall_time, step, tag + simple_value). */
function runFile(r: number, tagBytes: Uint8Array[], steps: number): Uint8Array {
  const per = 12 + 9 + 4 + 4 + 32 + 5 + 4;
  const buf = new Uint8Array(steps * tagBytes.length * per + 64);
  const dv = new DataView(buf.buffer);
  const head = frameRecord(encodeEvent({ wallTime: 1.7e9, step: 0, fileVersion: 'brain.Event:2' }));
  buf.set(head, 0);
  let pos = head.length;
  let wall = 1.7e9 + r * 100;
  // deterministic pseudo-noise, with one spike per series that downsampling must keep
  let seed = (r + 1) * 2654435761;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 4294967296 - 0.5;
  };
  for (let s = 0; s < steps; s++) {
    for (let t = 0; t < tagBytes.length; t++) {
      const tag = tagBytes[t];
      wall += 0.0137;
      const value = s === (r * 7 + t * 131) % steps ? 100 : Math.exp(-s / (1000 + 50 * t)) + 0.05 * noise();
      const rec = pos;
      let p = rec + 12;
      buf[p++] = 0x09;
      dv.setFloat64(p, wall, true);
      p += 8;
      if (s) {
        buf[p++] = 0x10;
        let v = s;
        while (v >= 0x80) {
          buf[p++] = (v & 0x7f) | 0x80;
          v >>>= 7;
        }
        buf[p++] = v;
      }
      const valueLen = 2 + tag.length + 5;
      buf[p++] = 0x2a;
      buf[p++] = valueLen + 2;
      buf[p++] = 0x0a;
      buf[p++] = valueLen;
      buf[p++] = 0x0a;
      buf[p++] = tag.length;
      buf.set(tag, p);
      p += tag.length;
      buf[p++] = 0x15;
      dv.setFloat32(p, value, true);
      p += 4;
      dv.setUint32(rec, p - rec - 12, true);
      dv.setUint32(rec + 4, 0, true);
      dv.setUint32(rec + 8, maskedCrc32c(buf, rec, rec + 8), true);
      dv.setUint32(p, maskedCrc32c(buf, rec + 12, p), true);
      pos = p + 4;
    }
  }
  return buf.subarray(0, pos);
}

function generate(runs: number, steps: number): { dir: string; bytes: number; ms: number } {
  const dir = join(ROOT, `${runs}x${TAGS}x${steps}`);
  const done = join(dir, 'done');
  if (existsSync(done)) return { dir, bytes: Number(readFileSync(done, 'utf8')), ms: 0 };
  rmSync(dir, { recursive: true, force: true });
  const t0 = performance.now();
  const tagBytes = Array.from({ length: TAGS }, (_, t) =>
    new TextEncoder().encode(t < 10 ? `loss/component_${t}` : `metrics/m${t}`),
  );
  let bytes = 0;
  for (let r = 0; r < runs; r++) {
    const runDir = join(dir, `run_${String(r).padStart(4, '0')}`);
    mkdirSync(runDir, { recursive: true });
    const data = runFile(r, tagBytes, steps);
    writeFileSync(join(runDir, `events.out.tfevents.1700000000.bench.${r}.0`), data);
    bytes += data.length;
    if (process.stdout.isTTY && r % 50 === 0) process.stdout.write(`\rgenerating run ${r}/${runs}`);
  }
  writeFileSync(done, String(bytes));
  if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
  return { dir, bytes, ms: performance.now() - t0 };
}

interface Served {
  child: ChildProcess;
  url: string;
  /** ms from spawn to the URL line */
  listening: number;
  /** resolves with ms from spawn to the end of the first index */
  indexed: Promise<number>;
}

function serve(logdir: string, cacheDir: string): Promise<Served> {
  const t0 = performance.now();
  const child = spawn(CLI, ['serve', logdir, '--port', '0', '--cache-dir', cacheDir], { stdio: 'pipe' });
  let out = '';
  let err = '';
  let indexedAt: (ms: number) => void = () => {};
  let died: (e: Error) => void = () => {};
  const indexed = new Promise<number>((r, j) => {
    indexedAt = r;
    died = j;
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m && !out.includes('\u0000seen')) {
        out += '\u0000seen';
        resolve({ child, url: m[1], listening: performance.now() - t0, indexed });
      }
    });
    child.stderr?.on('data', (d) => {
      err += d;
      if (/indexed \d+ runs/.test(err)) indexedAt(performance.now() - t0);
    });
    child.on('exit', (code, signal) => {
      const e = new Error(`serve exited (${code ?? signal}): ${err}`);
      reject(e);
      died(e);
    });
  });
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

/** CPU seconds of each thread of a process (main thread, decoding workers, DuckDB, libuv...). */
function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    const fields = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8').split(') ')[1].split(' ');
    out.set(t, (Number(fields[11]) + Number(fields[12])) / 100);
  }
  return out;
}

/** Peak and current resident memory of a process, from /proc. */
function memory(pid: number): { peak: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { peak: kb('VmHWM'), rss: kb('VmRSS') };
}

async function stop(s: Served): Promise<void> {
  s.child.removeAllListeners('exit');
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function latencies(
  url: string,
  query: (i: number) => string,
  n: number,
  pid?: number,
): Promise<{ ms: number[]; bytes: number; cpuMs: number }> {
  const ms: number[] = [];
  let bytes = 0;
  const cpu0 = pid ? cpuSeconds(pid) : 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}api/${query(i)}`);
    const body = await res.arrayBuffer();
    ms.push(performance.now() - t0);
    if (!res.ok) throw new Error(`scalars answered ${res.status}: ${new TextDecoder().decode(body)}`);
    bytes = body.byteLength;
  }
  return { ms, bytes, cpuMs: pid ? ((cpuSeconds(pid) - cpu0) * 1000) / n : 0 };
}

/**
 * Time to the first scalar chart, as the page itself records it: the `tensorscope:first-chart` mark
 * (ms from navigation start), the measure bench/dashboard-ui.ts uses too. `cold` is a fresh browser's
 * first navigation (nothing cached); `warm` are reloads of that tab, as users reopen the dashboard.
 */
async function firstChart(url: string, reloads: number): Promise<{ cold: number; warm: number[] }> {
  const browser = await chromium.launch({
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
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const mark = async () => {
    await page.waitForFunction(
      () => performance.getEntriesByName('tensorscope:first-chart').length > 0,
      null,
      {
        timeout: FIRST_CHART_TIMEOUT,
      },
    );
    return page.evaluate(() => performance.getEntriesByName('tensorscope:first-chart')[0].startTime);
  };
  try {
    await page.goto(url);
    const cold = await mark();
    const warm: number[] = [];
    for (let i = 0; i < reloads; i++) {
      await page.waitForTimeout(1000); // the page settles (doctor badges, the charts below) as a user's would
      await page.reload();
      warm.push(await mark());
    }
    return { cold, warm };
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const points = RUNS * TAGS * STEPS;
  console.log(`load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]} on a 2-core machine`);
  console.log(`logdir: ${RUNS} runs x ${TAGS} tags x ${STEPS} steps = ${(points / 1e6).toFixed(0)}M points`);
  const gen = generate(RUNS, STEPS);
  console.log(
    gen.ms
      ? `generated ${fmt(mb(gen.bytes), 0)} MB in ${fmt(gen.ms / 1000)} s`
      : `reusing ${gen.dir} (${fmt(mb(gen.bytes), 0)} MB)`,
  );

  // baseline: the tfevents reader alone, decoding into memory (no index), on the first runs
  const sample = Math.min(RUNS, 50);
  let baseT = performance.now();
  const baseCpu0 = process.cpuUsage();
  let basePoints = 0;
  for (let r = 0; r < sample; r++) {
    const name = `run_${String(r).padStart(4, '0')}`;
    const reader = new RunReader(name, join(gen.dir, name));
    await reader.poll();
    for (const s of reader.data.tags.values()) if (s.kind === 'scalar') basePoints += s.columns.length;
  }
  baseT = performance.now() - baseT;
  const baseCpu = process.cpuUsage(baseCpu0);
  const baseRate = basePoints / (baseT / 1000);
  const baseCpuRate = basePoints / ((baseCpu.user + baseCpu.system) / 1e6);

  // index from scratch, sampling the server's memory while it works
  // per process: two runs at once must not share (and delete) one index
  const cacheDir = join(ROOT, `cache-${process.pid}`);
  rmSync(cacheDir, { recursive: true, force: true });
  const s = await serve(gen.dir, cacheDir);
  const cpu0 = cpuSeconds(s.child.pid as number);
  const threads0 = threadCpuSeconds(s.child.pid as number);
  let peakDuring = 0;
  const sampler = setInterval(() => {
    try {
      peakDuring = Math.max(peakDuring, memory(s.child.pid as number).rss);
    } catch {}
  }, 200);
  const indexedMs = (await s.indexed) - s.listening;
  const indexCpu = cpuSeconds(s.child.pid as number) - cpu0;
  // on 2 free cores indexing can take no less than its busiest thread, nor less than half its CPU
  const threads = [...threadCpuSeconds(s.child.pid as number)].map(([t, c]) => c - (threads0.get(t) ?? 0));
  const busiest = Math.max(...threads);
  const freeWall = Math.max(busiest, indexCpu / 2);
  const loadAfterIndex = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  clearInterval(sampler);
  const rate = points / (indexedMs / 1000);
  const mem = memory(s.child.pid as number);

  // API latency: one tag across all runs at 1,500 px; a different tag each time
  const tags = Array.from({ length: TAGS }, (_, t) => (t < 10 ? `loss/component_${t}` : `metrics/m${t}`));
  const pid = s.child.pid as number;
  await latencies(s.url, () => `scalars?tag=${tags[0]}&width=${WIDTH}`, 3); // warm-up
  const m4 = await latencies(
    s.url,
    (i) => `scalars?tag=${encodeURIComponent(tags[i % TAGS])}&width=${WIDTH}`,
    40,
    pid,
  );
  const full = await latencies(
    s.url,
    (i) => `scalars?tag=${encodeURIComponent(tags[i % TAGS])}&width=${WIDTH}&max_points=2000000`,
    2,
    pid,
  );
  const runsApi = await latencies(s.url, () => 'runs', 10, pid);
  const memAfterQueries = memory(s.child.pid as number);

  // time to first chart, against the same page over a one-run logdir
  let chart = { cold: 0, warm: [] as number[] };
  let chartBase = { cold: 0, warm: [] as number[] };
  let chartError = '';
  try {
    chart = await firstChart(s.url, 5);
  } catch (err) {
    chartError = (err as Error).message.split('\n')[0];
  }
  await stop(s);

  // restart on the warm index: resume from stored offsets
  const warm = await serve(gen.dir, cacheDir);
  const warmMs = await warm.indexed;
  await stop(warm);

  const one = generate(1, STEPS);
  const oneCache = join(ROOT, `cache-one-${process.pid}`);
  rmSync(oneCache, { recursive: true, force: true });
  const small = await serve(one.dir, oneCache);
  await small.indexed;
  try {
    chartBase = await firstChart(small.url, 5);
  } catch (err) {
    chartError ||= (err as Error).message.split('\n')[0];
  }
  await stop(small);
  rmSync(oneCache, { recursive: true, force: true });

  const p = (xs: number[], q: number) => (xs.length ? fmt(percentile(xs, q), 0) : 'n/a');
  console.log(
    table([
      ['measure', 'tensorscope serve', 'baseline', 'ratio', 'target'],
      [
        'index rate (points/s)',
        `${fmt(rate / 1e6, 2)}M`,
        `${fmt(baseRate / 1e6, 2)}M (reader only, ${sample} runs)`,
        `${fmt(rate / baseRate, 2)}x`,
        '>= 2M/s',
      ],
      [
        'index rate per CPU-second',
        `${fmt(points / indexCpu / 1e6, 2)}M`,
        `${fmt(baseCpuRate / 1e6, 2)}M (reader only)`,
        `${fmt(points / indexCpu / baseCpuRate, 2)}x`,
        '',
      ],
      [
        'index rate on 2 free cores (CPU-bound estimate)',
        `${fmt(points / freeWall / 1e6, 2)}M`,
        `${fmt(baseCpuRate / 1e6, 2)}M (reader only, 1 thread)`,
        `${fmt(points / freeWall / baseCpuRate, 2)}x`,
        '>= 2M/s',
      ],
      [
        'index time (s): wall / CPU / busiest thread',
        `${fmt(indexedMs / 1000)} / ${fmt(indexCpu)} / ${fmt(busiest)}`,
        '',
        '',
        '',
      ],
      [
        'peak RSS (MB)',
        fmt(mb(Math.max(mem.peak, peakDuring)), 0),
        `${fmt(mb(points * 16), 0)} (points in memory)`,
        `${fmt(Math.max(mem.peak, peakDuring) / (points * 16), 2)}x`,
        '<= 1536',
      ],
      ['RSS after queries (MB)', fmt(mb(memAfterQueries.rss), 0), '', '', ''],
      [
        `one tag x ${RUNS} runs @${WIDTH}px p50 (ms)`,
        p(m4.ms, 50),
        `${p(full.ms, 50)} (max_points 2M)`,
        full.ms.length ? `${fmt(percentile(full.ms, 50) / percentile(m4.ms, 50), 1)}x faster` : '',
        '',
      ],
      [`  p99 (ms)`, p(m4.ms, 99), p(full.ms, 99), '', '<= 100'],
      [
        '  server CPU per request (ms)',
        fmt(m4.cpuMs, 0),
        fmt(full.cpuMs, 0),
        `${fmt(full.cpuMs / m4.cpuMs, 1)}x less`,
        '',
      ],
      ['  response size (MB)', fmt(mb(m4.bytes), 2), fmt(mb(full.bytes), 1), '', ''],
      [
        `GET /api/runs (${RUNS} runs) p50/p99 (ms)`,
        `${p(runsApi.ms, 50)}/${p(runsApi.ms, 99)}`,
        `${fmt(runsApi.cpuMs, 0)} ms CPU each, ${fmt(mb(runsApi.bytes), 2)} MB`,
        '',
        '',
      ],
      [
        'restart on warm index (s)',
        fmt(warmMs / 1000, 1),
        fmt(indexedMs / 1000, 1),
        `${fmt(indexedMs / warmMs, 0)}x`,
        '',
      ],
      [
        'first chart, warm reload (ms from navigation, best/median of 5)',
        chart.warm.length ? `${fmt(Math.min(...chart.warm), 0)}/${p(chart.warm, 50)}` : 'n/a',
        chartBase.warm.length
          ? `${fmt(Math.min(...chartBase.warm), 0)}/${p(chartBase.warm, 50)} (1 run)`
          : 'n/a',
        chart.warm.length && chartBase.warm.length
          ? `${fmt(percentile(chart.warm, 50) / percentile(chartBase.warm, 50), 2)}x`
          : '',
        '<= 1500',
      ],
      [
        '  cold first load of a fresh browser (ms from navigation)',
        chart.cold ? fmt(chart.cold, 0) : 'n/a',
        chartBase.cold ? `${fmt(chartBase.cold, 0)} (1 run)` : 'n/a',
        chart.cold && chartBase.cold ? `${fmt(chart.cold / chartBase.cold, 2)}x` : '',
        '',
      ],
    ]),
  );
  if (chartError) console.log(`first chart: ${chartError}`);
  console.log(
    `load average after indexing: ${loadAfterIndex}; at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  rmSync(cacheDir, { recursive: true, force: true });
}

await main();

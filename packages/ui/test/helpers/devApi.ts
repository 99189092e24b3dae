/**
 * A throwaway synthetic API for looking at the UI before the real server exists:
 * `npx tsx packages/ui/test/helpers/devApi.ts [runs]` serves packages/ui/dist on :6123.
 * Not used by the tests (they run the real server).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';

const dist = join(import.meta.dirname, '../../dist');
const nRuns = Number(process.argv[2] ?? 6);
const runs = Array.from({ length: nRuns }, (_, i) => `exp/lr_${(0.1 / (i + 1)).toPrecision(2)}_${i}`);
const f32 = (v: number) => Math.fround(v);

function scalar(run: string, tag: string) {
  const k = runs.indexOf(run) + 1;
  const steps = Array.from({ length: 640 }, (_, i) => i);
  const values = steps.map((s) =>
    f32(
      (tag.includes('val') ? 1.1 : 1) * Math.exp(-s / (100 * k)) +
        0.05 * Math.sin(s * 0.3 + k) +
        (s === 300 ? 5 : 0),
    ),
  );
  return {
    run,
    downsampled: false,
    total: 640,
    steps,
    wall_times: steps.map((s) => 1795443191 + s * 2.5 + k),
    values,
  };
}
function hist(run: string) {
  return {
    points: Array.from({ length: 37 }, (_, s) => {
      const mu = s / 20;
      const buckets = Array.from({ length: 30 }, (_, b) => {
        const left = -3 + b * 0.2;
        const c = Math.round(1000 * Math.exp(-((left + 0.1 - mu) ** 2) / (2 * (0.5 + s / 40) ** 2)) * 0.08);
        return { left, right: left + 0.2, count: c };
      });
      const num = buckets.reduce((a, b) => a + b.count, 0);
      return {
        step: s * 10,
        wall_time: 1795443191 + s,
        min: -3,
        max: 3,
        num,
        sum: 0,
        sum_squares: 0,
        buckets,
        run,
      };
    }),
  };
}

const api: Partial<Record<string, (q: URLSearchParams) => unknown>> = {
  runs: () => ({
    runs: runs.map((name, i) => ({
      name,
      tags: [
        { tag: 'loss/train', kind: 'scalar', count: 640, first_step: 0, last_step: 639 },
        { tag: 'loss/val', kind: 'scalar', count: 640, first_step: 0, last_step: 639 },
        { tag: 'lr', kind: 'scalar', count: 640, first_step: 0, last_step: 639 },
        { tag: 'weights/layer1', kind: 'histogram', count: 37, first_step: 0, last_step: 360 },
        { tag: 'notes', kind: 'text', count: 1, first_step: 0, last_step: 0 },
      ],
      issues: i === 1 ? [{ file: `${name}/events.out.tfevents.1`, offset: 4096, message: 'bad CRC' }] : [],
    })),
  }),
  scalars: (q) => ({
    tag: q.get('tag'),
    series: (q.get('runs') ?? '').split(',').map((r) => scalar(r, q.get('tag')!)),
  }),
  histograms: (q) => hist(q.get('run')!),
  text: () => ({
    points: [
      {
        step: 0,
        wall_time: 1795443191,
        shape: [],
        strings: [
          '# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">\n\nünïcödé ✓',
        ],
      },
    ],
  }),
  hparams: () => ({ hparams: [], metrics: [], sessions: [] }),
  custom_scalars: () => ({ layouts: [] }),
};

createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/api/events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write(': hi\n\n');
    return;
  }
  if (url.pathname.startsWith('/api/')) {
    const h = api[url.pathname.slice(5)];
    res.writeHead(h ? 200 : 404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(h ? h(url.searchParams) : { error: 'no route' }));
    return;
  }
  let file = join(dist, url.pathname);
  if (!existsSync(file) || url.pathname === '/') file = join(dist, 'index.html');
  const types: Record<string, string> = {
    '.js': 'text/javascript',
    '.css': 'text/css',
    '.html': 'text/html',
  };
  res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
}).listen(6123, '127.0.0.1', () => console.log('dev api on http://127.0.0.1:6123'));

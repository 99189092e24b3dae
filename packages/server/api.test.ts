/**
 * The dashboard API against a real server on an ephemeral port, over the real fixture logdirs.
 * Expected values come from `tensorscope export` / the tfevents reader (an independent read of the
 * files), the fixture's expected.json, or the bytes themselves.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeTag } from '@tensorscope/formats/tfevents';
import { EventFileWriter, readLogdir } from '@tensorscope/formats/tfevents/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './start';

const FIXTURES = '/work/shared/fixtures/tfevents';
const SAMPLE = join(FIXTURES, 'tensorboardx-sample');
const CLI = join(import.meta.dirname, '../../node_modules/.bin/tensorscope');

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ts-api-'));
  dirs.push(d);
  return d;
}

async function serve(paths: string[], extra: { host?: string; token?: string; cacheDir?: string } = {}) {
  const s = await startServer({ paths, port: 0, cacheDir: extra.cacheDir ?? tempDir(), ...extra });
  await s.live.ready;
  return s;
}

async function get<T = unknown>(
  s: RunningServer,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${s.port}${path}`, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body: body as T, headers: res.headers };
}

interface ScalarsBody {
  tag: string;
  series: {
    run: string;
    downsampled: boolean;
    total: number;
    steps: number[];
    wall_times: number[];
    values: (number | null)[];
  }[];
}
type Points = { points: Record<string, unknown>[] };

function exportJson(logdir: string, run: string, tag: string) {
  const out = execFileSync(
    CLI,
    ['export', logdir, '--run', `^${run}$`, '--tag', `^${tag}$`, '--format', 'json'],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    },
  );
  return (JSON.parse(out) as { runs: { tags: { points: Record<string, unknown>[] }[] }[] }).runs[0].tags[0]
    .points;
}

afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('dashboard API on tensorboardx-sample', () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await serve([SAMPLE]);
  });
  afterAll(async () => {
    await s.close();
  });

  it('GET /api/runs lists what the tfevents reader reads (ls --json), with issues', async () => {
    const { body } = await get<{ runs: { name: string; tags: unknown[]; issues: unknown[] }[] }>(
      s,
      '/api/runs',
    );
    const reader = await readLogdir(SAMPLE);
    const want = [...reader.runs.values()]
      .map((r) => ({
        name: r.name,
        tags: [...r.data.tags.values()]
          .filter((t) => t.kind !== 'embedding')
          .map(summarizeTag)
          .sort((a, b) => (a.tag < b.tag ? -1 : 1)),
        issues: r.data.issues,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(body.runs).toEqual(want);
    const main = body.runs.find((r) => r.name === 'main');
    expect(main?.tags).toContainEqual({
      tag: 'loss/train',
      kind: 'scalar',
      count: 640,
      first_step: 0,
      last_step: 639,
    });
  });

  it('GET /api/scalars at full resolution equals `tensorscope export`', async () => {
    const { body } = await get<ScalarsBody>(s, '/api/scalars?tag=loss/train&runs=main&width=1500');
    const [series] = body.series;
    expect(series.downsampled).toBe(false);
    expect(series.total).toBe(640);
    expect(series.values[0]).toBe(1.0);
    const points = exportJson(SAMPLE, 'main', 'loss/train');
    expect(series.steps).toEqual(points.map((p) => p.step));
    expect(series.wall_times).toEqual(points.map((p) => p.wall_time));
    // the same float32 values (export prints their shortest float32 form, the API their exact double)
    expect(series.values).toEqual(points.map((p) => Math.fround(p.value as number)));
  });

  it('GET /api/scalars downsamples with M4, keeping the extremes, and zooms to full resolution', async () => {
    const full = exportJson(SAMPLE, 'main', 'loss/train').map((p) => Math.fround(p.value as number));
    const { body } = await get<ScalarsBody>(s, '/api/scalars?tag=loss/train&runs=main&width=20');
    const [series] = body.series;
    expect(series.downsampled).toBe(true);
    expect(series.values.length).toBeLessThanOrEqual(80);
    expect(series.values).toContain(Math.max(...full));
    expect(series.values).toContain(Math.min(...full));
    expect(series.steps[0]).toBe(0);
    expect(series.steps[series.steps.length - 1]).toBe(639);
    const zoom = await get<ScalarsBody>(
      s,
      '/api/scalars?tag=loss/train&runs=main&width=20&xmin=100&xmax=150',
    );
    // 51 points in range plus one neighbour each side
    expect(zoom.body.series[0].downsampled).toBe(false);
    expect(zoom.body.series[0].steps).toEqual(Array.from({ length: 53 }, (_, i) => 99 + i));
  });

  it('GET /api/scalars over several runs and on the wall-time axis', async () => {
    const { body } = await get<ScalarsBody>(
      s,
      '/api/scalars?tag=compare&runs=multi/compare/sin,multi/compare/cos,nope&x=wall_time',
    );
    expect(body.series.map((x) => x.run)).toEqual(['multi/compare/sin', 'multi/compare/cos']);
    expect(body.series.map((x) => x.total)).toEqual([100, 100]);
    const sin = exportJson(SAMPLE, 'multi/compare/sin', 'compare');
    expect(body.series[0].values).toEqual(sin.map((p) => Math.fround(p.value as number)));
    expect(body.series[0].wall_times).toEqual(sin.map((p) => p.wall_time));
  });

  it('GET /api/histograms equals `tensorscope export`', async () => {
    const { body } = await get<Points>(s, '/api/histograms?run=main&tag=weights/layer1');
    expect(body.points.length).toBe(37);
    expect(body.points).toEqual(exportJson(SAMPLE, 'main', 'weights/layer1'));
  });

  it('GET /api/images and /api/blob serve the PNG bytes with their real type', async () => {
    const { body } = await get<Points>(s, '/api/images?run=main&tag=images/gradient');
    expect(body.points.map((p) => p.step)).toEqual([0, 1, 2]);
    expect(body.points[0]).toMatchObject({ count: 1, width: 48, height: 32, content_type: 'image/png' });
    const res = await fetch(
      `http://127.0.0.1:${s.port}/api/blob?run=main&tag=images/gradient&step=1&index=0`,
    );
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const png = new Uint8Array(await res.arrayBuffer());
    expect(Array.from(png.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const dv = new DataView(png.buffer);
    expect([dv.getUint32(16), dv.getUint32(20)]).toEqual([48, 32]); // IHDR width, height
    expect((await get(s, '/api/blob?run=main&tag=images/gradient&step=1&index=5')).status).toBe(404);
  });

  it('GET /api/audio, /api/text and /api/pr_curves', async () => {
    const audio = await get<Points>(s, '/api/audio?run=main&tag=audio/sine440');
    expect(audio.body.points[0]).toMatchObject({
      step: 0,
      count: 1,
      sample_rate: 16000,
      content_type: 'audio/wav',
    });
    const wav = await fetch(`http://127.0.0.1:${s.port}/api/blob?run=main&tag=audio/sine440&step=0&index=0`);
    expect(wav.headers.get('content-type')).toBe('audio/wav');
    const bytes = new Uint8Array(await wav.arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('RIFF');
    // 16,000 frames of 16-bit mono after the 44-byte header
    expect(bytes.length).toBe(44 + 16000 * 2);

    const text = await get<Points>(s, '/api/text?run=main&tag=notes/markdown/text_summary');
    expect(text.body.points.map((p) => p.strings)).toEqual([
      ['# Heading\n\n* item **bold**\n* `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |'],
      ['unicode: héllo wörld ✓ 日本語'],
    ]);

    const pr = await get<Points>(s, '/api/pr_curves?run=main&tag=pr/classifier');
    expect(pr.body.points.length).toBe(2);
    const p0 = pr.body.points[0] as Record<string, number[]>;
    expect(p0.thresholds.length).toBe(127);
    expect(p0.thresholds[126]).toBe(1);
    const want = exportJson(SAMPLE, 'main', 'pr/classifier')[0] as Record<string, unknown>;
    for (const k of ['precision', 'recall', 'tp', 'fp', 'tn', 'fn']) {
      if (k in want) expect(p0[k]).toEqual((want[k] as number[]).map((v) => Math.fround(v)));
    }
    expect(p0.tp.length).toBe(127);
    expect(p0.thresholds).toEqual(want.thresholds);
  });

  it('GET /api/hparams gives each trial its hparams and final metrics', async () => {
    const expected = JSON.parse(readFileSync(`${SAMPLE}.expected.json`, 'utf8')).runs.hparams.sessions as {
      run: string;
      hparams: Record<string, unknown>;
      metrics: Record<string, number>;
    }[];
    const { body } = await get<{
      hparams: { name: string }[];
      sessions: { run: string; hparams: unknown; metrics: Record<string, number> }[];
    }>(s, '/api/hparams');
    expect(body.hparams.map((h) => h.name).sort()).toEqual(['batch_size', 'lr', 'optimizer', 'use_bn']);
    expect(body.sessions.map((x) => x.run)).toEqual(expected.map((x) => x.run));
    for (const [i, want] of expected.entries()) {
      expect(body.sessions[i].hparams).toEqual(want.hparams);
      // written as float32 simple values
      const metrics = Object.fromEntries(Object.entries(want.metrics).map(([k, v]) => [k, Math.fround(v)]));
      expect(body.sessions[i].metrics).toEqual(metrics);
    }
  });

  it('GET /api/custom_scalars gives the layout', async () => {
    const { body } = await get(s, '/api/custom_scalars');
    expect(body).toEqual({
      layouts: [
        {
          run: 'main',
          categories: [
            {
              title: 'Losses',
              closed: false,
              charts: [{ title: 'train vs val', kind: 'multiline', tags: ['loss/train', 'loss/val'] }],
            },
          ],
        },
      ],
    });
  });

  it('answers bad requests with 400/404 and a message, and sets strict headers', async () => {
    const bad = await get<{ error: string }>(s, '/api/scalars?tag=lr&width=-3');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('"width" must be a number');
    expect((await get<{ error: string }>(s, '/api/scalars')).body.error).toBe(
      'the "tag" parameter is required.',
    );
    expect((await get(s, '/api/scalars?tag=lr&x=epoch')).status).toBe(400);
    // one response is capped: a 100M-point logdir must not be sent in one piece
    expect((await get(s, '/api/scalars?tag=lr&max_points=99999999')).status).toBe(400);
    const missing = await get<{ error: string }>(s, '/api/histograms?run=main&tag=nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('run "main" has no tag "nope".');
    const wrong = await get<{ error: string }>(s, '/api/histograms?run=main&tag=lr');
    expect(wrong).toMatchObject({
      status: 400,
      body: { error: 'tag "lr" of run "main" holds scalar data, not histogram.' },
    });
    expect((await get(s, '/api/nothing')).status).toBe(404);
    const health = await get(s, '/api/health');
    expect(health.body).toEqual({ ok: true, version: '0.1.0' });
    expect(health.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    // DNS rebinding: a loopback server refuses another Host
    const rebind = await new Promise<number>((done, fail) => {
      request({ port: s.port, path: '/api/runs', headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      })
        .on('error', fail)
        .end();
    });
    expect(rebind).toBe(403);
  });
});

/** Reads server-sent events from /api/events. */
async function openEvents(s: RunningServer) {
  const ctrl = new AbortController();
  const res = await fetch(`http://127.0.0.1:${s.port}/api/events`, { signal: ctrl.signal });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: { event: string; data: unknown; at: number }[] = [];
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data), at: Date.now() });
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  })();
  const waitFor = async (pred: (e: { event: string; data: unknown }) => boolean, ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const hit = events.find(pred);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no matching event within ${ms} ms; got ${JSON.stringify(events)}`);
  };
  return { events, waitFor, close: () => ctrl.abort() };
}

describe('live logdirs', () => {
  const servers: RunningServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it('pushes new points, new runs and deleted runs over SSE within 2 s', async () => {
    const logdir = tempDir();
    const w = new EventFileWriter(join(logdir, 'a'));
    for (let i = 0; i < 5; i++) w.scalar('loss', 1 / (i + 1), i);
    await w.flush();
    const s = await serve([logdir]);
    servers.push(s);
    const sse = await openEvents(s);

    w.scalar('loss', 42, 5);
    await w.flush();
    const t0 = Date.now();
    const data = await sse.waitFor(
      (e) => e.event === 'data' && (e.data as { run: string }).run === 'a',
      2000,
    );
    expect(data.data).toEqual({ run: 'a', tags: ['loss'] });
    expect(Date.now() - t0).toBeLessThan(2000);
    const { body } = await get<ScalarsBody>(s, '/api/scalars?tag=loss&runs=a');
    expect(body.series[0].steps).toEqual([0, 1, 2, 3, 4, 5]);
    expect(body.series[0].values[5]).toBe(42);

    const w2 = new EventFileWriter(join(logdir, 'b'));
    w2.scalar('loss', 7, 0);
    await w2.close();
    const added = await sse.waitFor((e) => e.event === 'runs', 2000);
    expect(added.data).toEqual({ added: ['b'], removed: [] });

    await w.close();
    rmSync(join(logdir, 'a'), { recursive: true });
    const removed = await sse.waitFor(
      (e) => e.event === 'runs' && (e.data as { removed: string[] }).removed.length > 0,
      2000,
    );
    expect(removed.data).toEqual({ added: [], removed: ['a'] });
    const runs = await get<{ runs: { name: string }[] }>(s, '/api/runs');
    expect(runs.body.runs.map((r) => r.name)).toEqual(['b']);
    expect((await get(s, '/api/scalars?tag=loss&runs=a')).body).toEqual({ tag: 'loss', series: [] });
    sse.close();
  });

  it('shows a run with a corrupt record, with a warning naming the file and offset', async () => {
    const logdir = tempDir();
    cpSync(join(FIXTURES, 'tensorboard-reducer/runs/strict'), logdir, { recursive: true });
    const run = readdirSync(logdir).sort()[0];
    const file = join(logdir, run, readdirSync(join(logdir, run))[0]);
    const bytes = readFileSync(file);
    // walk the framing independently to find the 10th record, then flip a byte of its data
    let offset = 0;
    for (let i = 0; i < 10; i++) offset += 12 + Number(bytes.readBigUInt64LE(offset)) + 4;
    bytes[offset + 12 + 3] ^= 0xff;
    writeFileSync(file, bytes);
    const s = await serve([logdir]);
    servers.push(s);
    const { body } = await get<{
      runs: {
        name: string;
        tags: { count: number }[];
        issues: { file: string; offset: number; message: string }[];
      }[];
    }>(s, '/api/runs');
    const bad = body.runs.find((r) => r.name === run);
    expect(bad?.issues).toEqual([{ file, offset, message: expect.stringContaining('CRC mismatch') }]);
    // the rest of the run is still there: one point fewer than a clean copy
    const clean = body.runs.find((r) => r.name !== run);
    const total = (r: typeof bad) => r?.tags.reduce((n, t) => n + t.count, 0) ?? 0;
    expect(total(bad)).toBe(total(clean) - 1);
  });

  it('refuses a logdir that does not exist with a clear error', async () => {
    await expect(startServer({ paths: ['/nonexistent/logs'], port: 0, cacheDir: tempDir() })).rejects.toThrow(
      '/nonexistent/logs: no such logdir or model file.',
    );
  });

  it('requires the token on a non-loopback host', async () => {
    const s = await serve([join(FIXTURES, 'guildai')], { host: '0.0.0.0' });
    servers.push(s);
    expect(s.token).toMatch(/^[\w-]{32}$/);
    expect(s.openUrl).toBe(`http://0.0.0.0:${s.port}/?token=${s.token}`);
    expect((await get(s, '/api/runs')).status).toBe(401);
    expect((await get(s, '/api/runs', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await get(s, '/api/runs', { headers: { authorization: `Bearer ${s.token}` } })).status).toBe(200);
    expect((await get(s, `/api/runs?token=${s.token}`)).status).toBe(200);
  });

  it('serves model files raw for the model viewer, and reuses its index across restarts', async () => {
    const model = '/work/shared/fixtures/onnx-models/tensorboardX/mnist-8.onnx';
    const cacheDir = tempDir();
    const s = await serve([join(FIXTURES, 'guildai'), model], { cacheDir });
    expect((await get(s, '/api/models')).body).toEqual({
      models: [{ index: 0, name: 'mnist-8.onnx', bytes: readFileSync(model).length }],
    });
    const res = await fetch(`http://127.0.0.1:${s.port}/api/models/0/file`);
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(model))).toBe(true);
    expect((await get(s, '/api/models/1/file')).status).toBe(404);
    const runs = (await get(s, '/api/runs')).body;
    expect(s.rebuilt).toBe('missing');
    await s.close();
    const again = await serve([join(FIXTURES, 'guildai'), model], { cacheDir });
    servers.push(again);
    expect(again.rebuilt).toBeUndefined();
    expect((await get(again, '/api/runs')).body).toEqual(runs);
  });
});

describe('the built UI', () => {
  it('serves hashed assets as immutable and the page itself revalidated', async () => {
    const ui = tempDir();
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>t</title>');
    execFileSync('mkdir', ['-p', join(ui, 'assets')]);
    writeFileSync(join(ui, 'assets', 'index-AbC123.js'), 'console.log(1)');
    const s = await startServer({ paths: [SAMPLE], port: 0, cacheDir: tempDir(), uiDir: ui });
    try {
      const asset = await get(s, '/assets/index-AbC123.js');
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const page = await get(s, '/');
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control') ?? '').not.toContain('immutable');
    } finally {
      await s.close();
    }
  });
});

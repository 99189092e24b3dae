/**
 * /api/scalars writes its answer into a reused buffer (scalars-json.ts): its bytes must be exactly
 * those of JSON.stringify({ tag, series }) over the same downsampled series, on real fixture runs and
 * on runs with NaN / +-Infinity, non-ASCII names and quotes, and from one request to the next.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventFileWriter } from '@tensorscope/formats/tfevents/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../start';
import { type ChartView, downsample, type SeriesJson } from './scalars-downsample';
import { JsonOut } from './scalars-json';

const SAMPLE = '/work/shared/fixtures/tfevents/tensorboardx-sample';

describe('JsonOut', () => {
  it('grows past its first buffer and keeps every byte, multi-byte characters included', () => {
    const out = new JsonOut(4);
    const parts = [
      '{"a":',
      JSON.stringify('é✓ "q"'),
      ',"b":[',
      Array.from({ length: 500 }, (_, i) => i / 7).join(','),
      ']}',
    ];
    for (const p of parts) out.write(p);
    expect(out.bytes().equals(Buffer.from(parts.join('')))).toBe(true);
    out.release();
    const again = new JsonOut();
    again.write('[]');
    expect(again.bytes().toString()).toBe('[]');
    again.release();
  });
});

describe('GET /api/scalars bytes', () => {
  let dir: string;
  let s: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-scalars-json-'));
    const logdir = join(dir, 'logs');
    cpSync(SAMPLE, join(logdir, 'sample'), { recursive: true });
    const odd = new EventFileWriter(join(logdir, 'ré✓ "odd"'));
    for (let i = 0; i < 3000; i++) {
      const v =
        i % 997 === 5
          ? Number.NaN
          : i === 1234
            ? Number.POSITIVE_INFINITY
            : i === 2222
              ? -Infinity
              : Math.sin(i / 50) / 3;
      odd.scalar('loss/train', v, i);
      odd.scalar('q"uote', i * 0.1, i);
    }
    await odd.close();
    s = await startServer({ paths: [logdir], port: 0, cacheDir: join(dir, 'cache') });
    await s.live.ready;
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the route answered before it wrote into a buffer: the whole object through JSON.stringify. */
  async function expected(tag: string, width: number, x: ChartView['x'] = 'step'): Promise<Buffer> {
    const runs = (await s.store.runs())
      .filter((r) => r.tags.some((t) => t.tag === tag && t.kind === 'scalar'))
      .map((r) => r.name);
    const buckets = Math.max(1, Math.min(width, Math.floor(50_000 / (4 * Math.max(1, runs.length)))));
    const series: SeriesJson[] = [];
    await s.store.scanScalars(runs, tag, (run, cols) => series.push(downsample(run, cols, { x, buckets })));
    return Buffer.from(JSON.stringify({ tag, series }));
  }

  async function answer(query: string): Promise<Buffer> {
    const res = await fetch(`${s.url}api/scalars?${query}`);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    return Buffer.from(await res.arrayBuffer());
  }

  it('equals JSON.stringify on fixture runs and on NaN / infinities, request after request', async () => {
    const cases: [string, number, ChartView['x']][] = [
      ['loss/train', 40, 'step'],
      ['loss/train', 1500, 'step'],
      ['q"uote', 30, 'wall_time'],
      ['loss/train', 40, 'wall_time'],
    ];
    for (const [tag, width, x] of cases) {
      const got = await answer(`tag=${encodeURIComponent(tag)}&width=${width}&x=${x}`);
      const want = await expected(tag, width, x);
      expect(got.toString()).toBe(want.toString());
      expect(got.equals(want)).toBe(true);
    }
    const odd = JSON.parse((await answer('tag=loss%2Ftrain&width=1500')).toString());
    const run = odd.series.find((r: SeriesJson) => r.run === 'ré✓ "odd"');
    expect(run.nonfinite).toEqual(
      expect.arrayContaining([
        { step: 5, value: 'NaN' },
        { step: 1234, value: 'Infinity' },
        { step: 2222, value: '-Infinity' },
      ]),
    );
  });

  it('answers concurrent requests each with its own bytes', async () => {
    const [a, b] = await Promise.all([
      answer('tag=loss%2Ftrain&width=1500'),
      answer('tag=q%22uote&width=30'),
    ]);
    expect(a.equals(await expected('loss/train', 1500))).toBe(true);
    expect(b.equals(await expected('q"uote', 30))).toBe(true);
  });
});

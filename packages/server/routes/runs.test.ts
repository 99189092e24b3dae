/**
 * /api/runs and /api/tags on a real server over a logdir written here: the tag list is the distinct
 * (tag, kind) pairs of the run list, and both follow new data (the cached answers are rebuilt when
 * the index changes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventFileWriter } from '@tensorscope/formats/tfevents/node';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../start';

const root = mkdtempSync(join(tmpdir(), 'ts-runs-route-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  return (await res.json()) as T;
}

interface Runs {
  runs: { name: string; tags: { tag: string; kind: string; count: number }[] }[];
}

describe('GET /api/runs and /api/tags', () => {
  it('lists every distinct tag and kind, and both answers follow new data', async () => {
    const logdir = join(root, 'logs');
    const a = new EventFileWriter(join(logdir, 'a'), { flushMillis: 60_000 });
    a.scalar('loss', 1, 0);
    a.scalar('acc', 0.5, 0);
    a.text('notes', 'hello', 0);
    await a.close();
    const b = new EventFileWriter(join(logdir, 'b'), { flushMillis: 60_000 });
    b.scalar('loss', 2, 0);
    await b.close();
    const s = await startServer({ paths: [logdir], port: 0, cacheDir: join(root, 'cache'), pollMillis: 100 });
    try {
      await s.live.ready;
      expect(await json(`${s.url}api/tags`)).toEqual({
        tags: [
          { tag: 'acc', kind: 'scalar' },
          { tag: 'loss', kind: 'scalar' },
          { tag: 'notes', kind: 'text' },
        ],
      });
      const before = await json<Runs>(`${s.url}api/runs`);
      expect(before.runs.map((r) => r.name)).toEqual(['a', 'b']);
      expect(await json<Runs>(`${s.url}api/runs`)).toEqual(before);

      const c = new EventFileWriter(join(logdir, 'c'), { flushMillis: 60_000 });
      c.scalar('lr', 0.1, 0);
      c.scalar('loss', 3, 0);
      c.scalar('loss', 4, 1);
      await c.close();
      let after = before;
      const complete = (r: Runs) => r.runs[2]?.tags.reduce((n, t) => n + t.count, 0) === 3;
      for (let i = 0; i < 100 && !complete(after); i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = await json<Runs>(`${s.url}api/runs`);
      }
      expect(after.runs[2]).toMatchObject({
        name: 'c',
        tags: [
          { tag: 'loss', count: 2 },
          { tag: 'lr', count: 1 },
        ],
      });
      expect((await json<{ tags: { tag: string }[] }>(`${s.url}api/tags`)).tags.map((t) => t.tag)).toEqual([
        'acc',
        'loss',
        'lr',
        'notes',
      ]);
    } finally {
      await s.close();
    }
  });
});

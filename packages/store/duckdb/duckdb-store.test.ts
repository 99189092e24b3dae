import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { m4 } from '@tensorscope/analysis/downsample';
import { afterEach, describe, expect, it } from 'vitest';
import { CHUNK, DuckDBStore } from './duckdb-store';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ts-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function columns(from: number, n: number) {
  const steps = new Int32Array(n);
  const wallTimes = new Float64Array(n);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    steps[i] = from + i;
    wallTimes[i] = 1_700_000_000 + (from + i) / 10;
    values[i] = Math.fround(Math.sin(from + i));
  }
  return { steps, wallTimes, values };
}

describe('DuckDBStore', () => {
  it('stores scalars across chunk boundaries, tops up the tail chunk, and persists them', async () => {
    const dir = tempDir();
    const { store, rebuilt } = await DuckDBStore.open(dir);
    expect(rebuilt).toBe('missing');
    await store.appendScalars('a', 'loss', columns(0, CHUNK + 10), CHUNK + 10);
    await store.commit();
    // live tailing: small appends go into the last chunk
    for (let k = 0; k < 5; k++) {
      await store.appendScalars('a', 'loss', columns(CHUNK + 10 + k * 3, 3), 3);
      await store.commit();
    }
    const n = CHUNK + 25;
    const got = (await store.scalars(['a', 'missing'], 'loss')).get('a');
    expect(got?.steps.length).toBe(n);
    const want = columns(0, n);
    expect(Array.from(got?.steps ?? [])).toEqual(Array.from(want.steps));
    expect(Array.from(got?.values ?? [])).toEqual(Array.from(want.values));
    expect(got?.wallTimes[n - 1]).toBe(want.wallTimes[n - 1]);
    expect(await store.runs()).toEqual([
      {
        name: 'a',
        issues: [],
        tags: [{ tag: 'loss', kind: 'scalar', count: n, first_step: 0, last_step: n - 1 }],
      },
    ]);
    await store.close();

    const again = await DuckDBStore.open(dir);
    expect(again.rebuilt).toBeUndefined();
    expect((await again.store.runs())[0].tags[0].count).toBe(n);
    // the tail chunk is found again after reopening
    await again.store.appendScalars('a', 'loss', columns(n, 1), 1);
    await again.store.commit();
    expect((await again.store.scalars(['a'], 'loss')).get('a')?.steps.length).toBe(n + 1);
    await again.store.close();
  });

  it('hides uncommitted writes from readers', async () => {
    const { store } = await DuckDBStore.open(tempDir());
    await store.appendScalars('r', 'x', columns(0, 5), 5);
    expect(await store.runs()).toEqual([]);
    await store.commit();
    expect((await store.runs())[0].tags[0].count).toBe(5);
    await store.close();
  });

  it('keeps non-scalar points with their blobs, file states and issues', async () => {
    const dir = tempDir();
    const { store } = await DuckDBStore.open(dir);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    await store.appendPoints('r', 'img', 'image', [
      { step: 3, wallTime: 10, body: '{"width":1}', blobs: [{ contentType: 'image/png', data: png }] },
    ]);
    await store.setIssues('r', [{ file: 'f', offset: 42, message: 'data CRC mismatch' }]);
    await store.setFileState('r', { path: '/x/f', size: 100, mtimeMs: 5, offset: 90 });
    await store.commit();
    await store.close();
    const { store: s2 } = await DuckDBStore.open(dir);
    expect(await s2.points('r', 'img')).toEqual([{ step: 3, wallTime: 10, body: '{"width":1}' }]);
    const b = await s2.blob('r', 'img', 3, 0);
    expect(b?.contentType).toBe('image/png');
    expect(Array.from(b?.data ?? [])).toEqual(Array.from(png));
    expect(await s2.blob('r', 'img', 3, 1)).toBeUndefined();
    expect(await s2.fileStates('r')).toEqual([{ path: '/x/f', size: 100, mtimeMs: 5, offset: 90 }]);
    expect((await s2.runs())[0].issues).toEqual([{ file: 'f', offset: 42, message: 'data CRC mismatch' }]);
    await s2.close();
  });

  it('purges points at or after a step, and removes runs', async () => {
    const { store } = await DuckDBStore.open(tempDir());
    await store.appendScalars('r', 'x', columns(0, 100), 100);
    await store.appendPoints(
      'r',
      't',
      'text',
      [0, 1, 2].map((step) => ({ step, wallTime: step, body: '{}' })),
    );
    await store.appendScalars('q', 'x', columns(0, 10), 10);
    await store.purge('r', 40);
    await store.commit();
    const got = (await store.scalars(['r'], 'x')).get('r');
    expect(got?.steps.length).toBe(40);
    expect(got?.steps[39]).toBe(39);
    expect((await store.points('r', 't')).map((p) => p.step)).toEqual([0, 1, 2]);
    await store.purge('r', 1, ['t']);
    await store.removeRun('q');
    await store.commit();
    expect((await store.points('r', 't')).map((p) => p.step)).toEqual([0]);
    expect((await store.runs()).map((r) => r.name)).toEqual(['r']);
    expect((await store.scalars(['q'], 'x')).size).toBe(0);
    await store.close();
  });

  it('keeps live tailing to a few small chunks, each point rewritten a few times', async () => {
    const dir = tempDir();
    const { store } = await DuckDBStore.open(dir);
    for (let i = 0; i < 300; i++) {
      await store.appendScalars('r', 'x', columns(i, 1), 1);
      await store.commit();
    }
    const got = (await store.scalars(['r'], 'x')).get('r');
    expect(Array.from(got?.steps ?? [])).toEqual(Array.from({ length: 300 }, (_, i) => i));
    await store.close();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(join(dir, 'index.duckdb'));
    const con = await db.connect();
    const [[chunks]] = (await con.runAndReadAll('SELECT count(*) FROM scalar_chunks')).getRows();
    con.closeSync();
    db.closeSync();
    // 300 = 0b100101100: one chunk per set bit
    expect(Number(chunks)).toBe(4);
    // 16 bytes per point as written, and at most log2(300) rewrites of each
    const { statSync } = await import('node:fs');
    expect(statSync(join(dir, 'index.columns')).size).toBeLessThan(300 * 16 * 9);
  });

  it('rebuilds an index whose column file was cut short', async () => {
    const dir = tempDir();
    const { store } = await DuckDBStore.open(dir);
    await store.appendScalars('r', 'x', columns(0, 100), 100);
    await store.commit();
    await store.close();
    const { truncateSync } = await import('node:fs');
    truncateSync(join(dir, 'index.columns'), 100);
    const again = await DuckDBStore.open(dir);
    expect(again.rebuilt).toBe('corrupt');
    expect(await again.store.runs()).toEqual([]);
    await again.store.close();
  });

  it('rebuilds an index DuckDB cannot open', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'index.duckdb'), 'this is not a database '.repeat(500));
    const { store, rebuilt } = await DuckDBStore.open(dir);
    expect(rebuilt).toBe('corrupt');
    await store.appendScalars('r', 'x', columns(0, 3), 3);
    await store.commit();
    expect((await store.runs())[0].tags[0].count).toBe(3);
    await store.close();
  });

  it('returns block summaries that make M4 keep exactly what a full scan keeps', async () => {
    const { store } = await DuckDBStore.open(tempDir());
    // a live-tailed series: appends of uneven sizes, each committed, so chunks merge and end mid-block
    const value = (step: number) =>
      step === 2_011
        ? 500
        : step === 7_777
          ? Number.NaN
          : step === 9_000
            ? Number.NEGATIVE_INFINITY
            : Math.sin(step / 50);
    const piece = (from: number, n: number) => {
      const c = columns(from, n);
      for (let i = 0; i < n; i++) c.values[i] = value(from + i);
      return c;
    };
    let step = 0;
    for (const n of [1_000, 1, 37, 64, 5_000, 3, 2_900, 129, 1_500]) {
      await store.appendScalars('a', 'loss', piece(step, n), n);
      await store.commit();
      step += n;
    }
    // a restart at step 9,500: the purge keeps steps in order, the rewritten part differs
    await store.purge('a', 9_500, ['loss']);
    const again = piece(9_500, 700);
    again.values.fill(-3, 100, 140);
    await store.appendScalars('a', 'loss', again, 700);
    await store.commit();
    const cols = (await store.scalars(['a'], 'loss')).get('a');
    if (!cols?.blocks) throw new Error('no block summaries');
    const n = cols.steps.length;
    expect(n).toBe(10_200);
    expect(cols.stepsSorted).toBe(true);
    expect(cols.wallTimesSorted).toBe(true);
    expect(cols.blocks.start.at(-1)).toBe(n);
    for (const buckets of [5, 12, 97, 1_500]) {
      for (const [lo, hi] of [
        [0, n - 1],
        [1_990, 9_641],
      ]) {
        const full = m4(cols.steps, cols.values, buckets, lo, hi);
        const fast = m4(cols.steps, cols.values, buckets, lo, hi, n, cols.blocks);
        expect(Array.from(fast.indices)).toEqual(Array.from(full.indices));
        expect(Array.from(full.indices)).toContain(2_011); // the spike
        expect(Array.from(full.indices)).toContain(9_000); // -Infinity
      }
    }
    // steps going back without a purge: readers are told the series is out of order
    await store.appendScalars('a', 'restarted', columns(100, 50), 50);
    await store.appendScalars('a', 'restarted', columns(0, 50), 50);
    await store.commit();
    expect((await store.scalars(['a'], 'restarted')).get('a')?.stepsSorted).toBe(false);
    await store.close();
  });
});

import { appendFileSync, cpSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeEvent, frameRecord, scalarValue } from '@tensorscope/formats/tfevents';
import { readLogdir } from '@tensorscope/formats/tfevents/node';
import { DuckDBStore } from '@tensorscope/store';
import { afterEach, describe, expect, it } from 'vitest';
import { Indexer } from './indexer';

const FIXTURES = '/work/shared/fixtures/tfevents';
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ts-index-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** What the tfevents reader sees when it reads the whole logdir into memory: the independent reference. */
async function reference(logdir: string) {
  const reader = await readLogdir(logdir);
  const runs = new Map<string, Map<string, { kind: string; steps: number[]; values?: number[] }>>();
  for (const [name, run] of reader.runs) {
    const tags = new Map<string, { kind: string; steps: number[]; values?: number[] }>();
    for (const [tag, s] of run.data.tags) {
      if (s.kind === 'embedding') continue; // projector configs are not part of the event index
      if (s.kind === 'scalar') {
        const n = s.columns.length;
        tags.set(tag, {
          kind: 'scalar',
          steps: Array.from(s.columns.steps.subarray(0, n)),
          values: Array.from(s.columns.values.subarray(0, n)),
        });
      } else tags.set(tag, { kind: s.kind, steps: s.points.map((p) => p.step) });
    }
    runs.set(name, tags);
  }
  return runs;
}

async function indexed(logdir: string, cache: string, threads?: number) {
  const { store } = await DuckDBStore.open(cache);
  const indexer = new Indexer([logdir], store, { threads });
  await indexer.poll();
  return { store, indexer };
}

describe('Indexer', () => {
  for (const [logdir, threads] of [
    ['tensorboardx-sample', undefined],
    ['tensorboard-reducer/runs', undefined],
    ['guildai', undefined],
    ['tensorboardx-sample', 0],
  ] as const) {
    const where = threads === 0 ? ' (decoding on the main thread)' : '';
    it(`indexes ${logdir} exactly as the tfevents reader reads it${where}`, async () => {
      const root = join(FIXTURES, logdir);
      const want = await reference(root);
      const { store } = await indexed(root, tempDir(), threads);
      const runs = await store.runs();
      expect(runs.map((r) => r.name)).toEqual([...want.keys()].sort());
      for (const run of runs) {
        const tags = want.get(run.name);
        expect(run.tags.map((t) => t.tag)).toEqual([...(tags?.keys() ?? [])].sort());
        for (const t of run.tags) {
          const ref = tags?.get(t.tag);
          expect(t.kind).toBe(ref?.kind);
          expect(t.count).toBe(ref?.steps.length);
          if (t.kind === 'scalar') {
            const got = (await store.scalars([run.name], t.tag)).get(run.name);
            expect(Array.from(got?.steps ?? [])).toEqual(ref?.steps);
            expect(Array.from(got?.values ?? [])).toEqual(ref?.values);
          } else {
            expect((await store.points(run.name, t.tag)).map((p) => p.step)).toEqual(ref?.steps);
          }
        }
      }
      await store.close();
    });
  }

  it('resumes from the stored offsets after a restart and picks up growth', async () => {
    const logdir = tempDir();
    cpSync(join(FIXTURES, 'tensorboard-reducer/runs/strict'), logdir, { recursive: true });
    const cache = tempDir();
    const first = await indexed(logdir, cache);
    const before = await first.store.runs();
    await first.store.close();
    // the file grew while no server ran: three more points of an existing tag
    const run = before[0];
    const tag = run.tags[0];
    const file = (await first.store.fileStates(run.name))[0].path;
    for (let i = 1; i <= 3; i++) {
      const ev = { wallTime: 1e9 + i, step: tag.last_step + i, summary: [scalarValue(tag.tag, i / 4)] };
      appendFileSync(file, frameRecord(encodeEvent(ev)));
    }
    const again = await indexed(logdir, cache);
    const after = await again.store.runs();
    expect(after.slice(1)).toEqual(before.slice(1));
    const grown = after[0].tags.find((t) => t.tag === tag.tag);
    expect(grown).toEqual({ ...tag, count: tag.count + 3, last_step: tag.last_step + 3 });
    const values = (await again.store.scalars([run.name], tag.tag)).get(run.name)?.values;
    expect(Array.from(values?.subarray(-3) ?? [])).toEqual([0.25, 0.5, 0.75]);
    await again.store.close();
  });

  it('re-reads a run whose file shrank, and drops a run whose files were deleted', async () => {
    const logdir = tempDir();
    cpSync(join(FIXTURES, 'tensorboard-reducer/runs/strict'), logdir, { recursive: true });
    const { store, indexer } = await indexed(logdir, tempDir());
    const names = (await store.runs()).map((r) => r.name);
    expect(names.length).toBe(3);
    const { readdirSync } = await import('node:fs');
    const runDir = join(logdir, names[0]);
    const file = join(runDir, readdirSync(runDir)[0]);
    const size = statSync(file).size;
    truncateSync(file, Math.floor(size / 2));
    let change = await indexer.poll();
    expect(change.changed.has(names[0])).toBe(true);
    const ref = await reference(logdir);
    const shrunk = (await store.runs()).find((r) => r.name === names[0]);
    for (const t of shrunk?.tags ?? []) expect(t.count).toBe(ref.get(names[0])?.get(t.tag)?.steps.length);
    rmSync(join(logdir, names[1]), { recursive: true });
    change = await indexer.poll();
    expect(change.removed).toEqual([names[1]]);
    expect((await store.runs()).map((r) => r.name)).toEqual([names[0], names[2]]);
    await store.close();
  });

  it('indexes a file of several 8 MB chunks with a restart across them, as the reader does', async () => {
    const logdir = tempDir();
    const parts: Uint8Array[] = [
      frameRecord(encodeEvent({ wallTime: 1e9, step: 0, fileVersion: 'brain.Event:2' })),
    ];
    // 280k events (~12 MB): both tags go back to step 50,000 after event 200,000, in the second chunk
    for (let i = 0; i < 280_000; i++) {
      const step = i < 200_000 ? i : 50_000 + (i - 200_000);
      const tag = i % 3 === 0 ? 'b' : 'a';
      const value = i === 250_001 ? Number.NaN : Math.fround(Math.sin(i / 100));
      parts.push(
        frameRecord(encodeEvent({ wallTime: 1e9 + i / 10, step, summary: [scalarValue(tag, value)] })),
      );
    }
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(logdir, 'big'));
    writeFileSync(join(logdir, 'big', 'events.out.tfevents.1.host'), Buffer.concat(parts));
    const want = (await reference(logdir)).get('big');
    const { store } = await indexed(logdir, tempDir());
    for (const tag of ['a', 'b']) {
      const got = (await store.scalars(['big'], tag)).get('big');
      expect(got?.steps.length).toBe(want?.get(tag)?.steps.length);
      expect(Array.from(got?.steps ?? [])).toEqual(want?.get(tag)?.steps);
      expect(Array.from(got?.values ?? [])).toEqual(want?.get(tag)?.values);
    }
    await store.close();
  });
});

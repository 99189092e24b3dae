/** Every event file in the shared fixtures: read with zero errors, values as their writers wrote them. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeEvent, type ScalarSeries } from '../index';
import { readLogdir } from '../node';
import { FIXTURES, readAll } from './helpers';

function eventFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return eventFiles(p);
    return name.includes('tfevents') ? [p] : [];
  });
}

const scalars = (s: unknown) => {
  const c = (s as ScalarSeries).columns;
  return {
    steps: Array.from(c.steps.subarray(0, c.length)),
    values: Array.from(c.values.subarray(0, c.length)),
  };
};

describe('shared tfevents fixtures', () => {
  const files = eventFiles(FIXTURES);

  it('finds every fixture file', () => {
    expect(files.length).toBe(25);
  });

  it.each(files.map((f) => [f.slice(FIXTURES.length + 1), f]))(
    '%s: every record valid, re-encodes byte for byte',
    (_, f) => {
      const buf = new Uint8Array(readFileSync(f));
      const { events, records, issues } = readAll(buf);
      expect(issues).toEqual([]);
      expect(events.length).toBeGreaterThan(0);
      expect(events[0].fileVersion).toBe('brain.Event:2');
      // same fields, same order, same defaults left out as the writers (tensorboardX, PyTorch, Keras, Guild)
      records.forEach((rec, i) =>
        expect(Buffer.from(encodeEvent(events[i])).equals(Buffer.from(rec))).toBe(true),
      );
    },
  );

  it('tensorboard-reducer strict: three runs with identical tags and steps', async () => {
    const reader = await readLogdir(join(FIXTURES, 'tensorboard-reducer/runs/strict'));
    expect([...reader.runs.keys()]).toEqual(['run_1', 'run_2', 'run_3']);
    for (const run of reader.runs.values()) {
      expect([...run.data.tags.keys()]).toEqual(['strict/foo']);
      const s = scalars(run.data.tags.get('strict/foo'));
      expect(s.steps).toHaveLength(100);
      expect([s.steps[0], s.steps[99]]).toEqual([0, 495]);
      expect(run.data.issues).toEqual([]);
    }
  });

  it('tensorboard-reducer lax: runs with differing tags and step counts', async () => {
    const reader = await readLogdir(join(FIXTURES, 'tensorboard-reducer/runs/lax'));
    const tags = Object.fromEntries([...reader.runs].map(([n, r]) => [n, [...r.data.tags.keys()].sort()]));
    expect(tags).toEqual({
      run_1: ['lax/bar_1', 'lax/bar_2', 'lax/foo'],
      run_2: ['lax/bar_2', 'lax/bar_3', 'lax/foo'],
      run_3: ['lax/bar_3', 'lax/bar_4', 'lax/foo'],
    });
    expect(scalars(reader.runs.get('run_3')?.data.tags.get('lax/foo')).steps).toHaveLength(130);
  });

  it('tensorboard-reducer duplicate_steps: the restart at step 90 replaces steps 90..99 in every tag', async () => {
    const dir = join(FIXTURES, 'tensorboard-reducer/runs/duplicate_steps/run_1');
    const reader = await readLogdir(dir);
    const run = reader.runs.get('.');
    // independent account: the raw records, where the last write of each step wins
    const { events } = readAll(new Uint8Array(readFileSync(eventFiles(dir)[0])));
    for (const tag of ['dup_steps/foo', 'dup_steps/bar']) {
      const last = new Map<number, number>();
      let writes = 0;
      for (const ev of events) {
        for (const v of ev.summary ?? []) {
          if (v.tag !== tag) continue;
          writes++;
          last.set(ev.step, v.simpleValue as number);
        }
      }
      expect(writes).toBe(210);
      const s = scalars(run?.data.tags.get(tag));
      expect(s.steps).toEqual([...Array(200).keys()]);
      expect(s.values).toEqual(s.steps.map((st) => last.get(st)));
    }
  });

  it('guild files: events with no wall_time and no step read as 0', async () => {
    const reader = await readLogdir(join(FIXTURES, 'guildai/filter-runs'));
    expect(reader.runs.size).toBe(7);
    const run = reader.runs.get('2dc1529ba06c46fda486395a61475dbe/.guild');
    const c = (run?.data.tags.get('loss') as ScalarSeries | undefined)?.columns;
    if (!c) throw new Error('no loss tag');
    expect([c.length, c.steps[0], c.wallTimes[0]]).toEqual([1, 0, 0]);
    expect(c.values[0]).toBe(Math.fround(0.478751003742218));
  });

  it('keras callback file: graph_def, meta_graph_def and simple_value scalars', async () => {
    const reader = await readLogdir(join(FIXTURES, 'guildai/projects/model-proxies'));
    const run = reader.runs.get('logs');
    expect(run?.data.issues).toEqual([]);
    const graph = run?.data.tags.get('__run_graph__');
    expect(graph?.kind).toBe('graph');
    if (graph?.kind !== 'graph') throw new Error('no graph');
    expect(graph.points[0].value.format).toBe('graph_def');
    expect(graph.points[0].value.bytes.length).toBe(108385);
    expect(run?.data.tags.get('__run_meta_graph__')?.kind).toBe('graph');
    for (const tag of ['acc', 'loss', 'val_acc', 'val_loss']) {
      const s = scalars(run?.data.tags.get(tag));
      expect(s.steps).toEqual([...Array(20).keys()]);
    }
    expect(scalars(run?.data.tags.get('val_acc')).values[0]).toBe(Math.fround(0.9587000012397766));
  });
});

/** Bad bytes never throw: truncation keeps complete records, corrupt records are reported and skipped. */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  encodeEvent,
  frameRecord,
  ingestRecord,
  RunAccumulator,
  type ScalarSeries,
  scalarValue,
  scanRecords,
} from '../index';
import { RunReader } from '../node';
import { FIXTURES, readAll, tempDir } from './helpers';

function scalarFile(n: number): { bytes: Uint8Array; offsets: number[] } {
  const parts = [frameRecord(encodeEvent({ wallTime: 1, step: 0, fileVersion: 'brain.Event:2' }))];
  for (let i = 0; i < n; i++)
    parts.push(frameRecord(encodeEvent({ wallTime: 2 + i, step: i, summary: [scalarValue('x', i * 0.5)] })));
  const offsets: number[] = [];
  let o = 0;
  for (const p of parts) {
    offsets.push(o);
    o += p.length;
  }
  // a Uint8Array of its own: Buffer#slice would share memory, and the tests mutate copies
  return { bytes: new Uint8Array(Buffer.concat(parts)), offsets: [...offsets, o] };
}

function ingestAll(buf: Uint8Array, eof: boolean) {
  const acc = new RunAccumulator('r');
  const issues: { offset: number; message: string }[] = [];
  scanRecords(
    buf,
    'f',
    (s, e) => ingestRecord(acc, buf, s, e, 'f', s - 12),
    (i) => issues.push(i),
    { eof },
  );
  const c = (acc.tags.get('x') as ScalarSeries | undefined)?.columns;
  return { values: c ? Array.from(c.values.subarray(0, c.length)) : [], issues };
}

describe('truncation', () => {
  it('a file cut at every byte offset never throws and keeps every complete record', () => {
    const { bytes, offsets } = scalarFile(6);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const complete = offsets.filter((o, i) => i > 0 && o <= cut).length - 1; // scalar records complete
      for (const eof of [false, true]) {
        const { values, issues } = ingestAll(bytes.subarray(0, cut), eof);
        expect(values).toEqual(Array.from({ length: Math.max(0, complete) }, (_, i) => i * 0.5));
        const partial = !offsets.includes(cut);
        // a cut inside a record is reported only when the file is known to be complete
        expect(issues.length).toBe(eof && partial ? 1 : 0);
        if (eof && partial) expect(issues[0].message).toMatch(/truncated/);
      }
    }
  });

  it('the real tensorboardX file cut at many offsets keeps its complete records', () => {
    const buf = new Uint8Array(
      readFileSync(join(FIXTURES, 'tensorboardx-sample/main/events.out.tfevents.1795443191.vm')),
    );
    const total = readAll(buf).events.length;
    let previous = 0;
    for (let cut = 0; cut <= buf.length; cut += 997) {
      const n = readAll(buf.subarray(0, cut), false).events.length;
      expect(n).toBeGreaterThanOrEqual(previous);
      previous = n;
    }
    expect(readAll(buf, true).events.length).toBe(total);
  });
});

describe('corruption', () => {
  it('a flipped byte in a record is reported with its offset and only that record is lost', () => {
    const { bytes, offsets } = scalarFile(6);
    for (let at = offsets[3]; at < offsets[4]; at++) {
      const bad = bytes.slice();
      bad[at] ^= 0x5a;
      const { values, issues } = ingestAll(bad, true);
      expect(values).toEqual([0, 0.5, 1.5, 2, 2.5]); // offsets[3] holds the third scalar, 1.0
      expect(issues.length).toBeGreaterThanOrEqual(1);
      expect(issues[0].offset).toBe(offsets[3]);
    }
  });

  it('an impossible length is reported and reading resynchronizes on the next valid record', () => {
    const { bytes, offsets } = scalarFile(4);
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(offsets[2] + 4, 0xffffff, true); // high length word: 1e15+ bytes
    const { values, issues } = ingestAll(bad, true);
    expect(values).toEqual([0, 1, 1.5]); // offsets[2] holds the second scalar, 0.5
    expect(issues[0]).toMatchObject({
      offset: offsets[2],
      message: expect.stringMatching(/corrupt record header; skipped \d+ bytes/),
    });
  });

  it('garbage between records is skipped', () => {
    const { bytes } = scalarFile(3);
    const junk = Uint8Array.from({ length: 50 }, (_, i) => (i * 97) & 0xff);
    const buf = Buffer.concat([bytes, junk, scalarFile(3).bytes]);
    const { values, issues } = ingestAll(buf, true);
    expect(values).toEqual([0, 0.5, 1]); // the second file's restart at step 0 replaces the first's points
    expect(issues).toHaveLength(1);
    expect(issues[0].offset).toBe(bytes.length);
  });

  it('a corrupt file in a run is reported by the run reader with file and offset, and the rest is kept', async () => {
    const dir = tempDir();
    const { bytes, offsets } = scalarFile(5);
    const bad = bytes.slice();
    bad[offsets[2] + 14] ^= 0xff;
    writeFileSync(join(dir, 'events.out.tfevents.1.host'), bad);
    const run = new RunReader('r', dir);
    await run.poll();
    expect(run.data.issues).toEqual([
      {
        file: join(dir, 'events.out.tfevents.1.host'),
        offset: offsets[2],
        message: expect.stringMatching(/CRC mismatch/),
      },
    ]);
    expect((run.data.tags.get('x') as ScalarSeries).columns.length).toBe(4);
  });
});

describe('tailing', () => {
  it('re-reading a growing file continues after the last complete record; a partial tail is not an error', async () => {
    const dir = tempDir();
    const file = join(dir, 'events.out.tfevents.1.host');
    const { bytes, offsets } = scalarFile(10);
    writeFileSync(file, bytes.subarray(0, offsets[4] + 7)); // 3 scalars and 7 bytes of the 4th
    const run = new RunReader('r', dir);
    expect([...(await run.poll())]).toEqual(['x']);
    const col = () => (run.data.tags.get('x') as ScalarSeries).columns;
    expect(col().length).toBe(3);
    expect(run.data.issues).toEqual([]);
    appendFileSync(file, bytes.subarray(offsets[4] + 7, offsets[8]));
    expect([...(await run.poll())]).toEqual(['x']);
    expect(col().length).toBe(7);
    expect(await run.poll()).toEqual(new Set()); // nothing new
    appendFileSync(file, bytes.subarray(offsets[8]));
    await run.poll();
    expect(Array.from(col().values.subarray(0, col().length))).toEqual(
      Array.from({ length: 10 }, (_, i) => i * 0.5),
    );
    expect(run.data.issues).toEqual([]);
  });

  it('a new file in the run is read after the older ones; a partial record in an older file is reported', async () => {
    const dir = tempDir();
    const a = scalarFile(3);
    writeFileSync(join(dir, 'events.out.tfevents.1.host'), a.bytes.subarray(0, a.bytes.length - 3));
    const run = new RunReader('r', dir);
    await run.poll();
    expect(run.data.issues).toEqual([]);
    const later = Buffer.concat([
      frameRecord(encodeEvent({ wallTime: 9, step: 5, summary: [scalarValue('x', 7)] })),
    ]);
    writeFileSync(join(dir, 'events.out.tfevents.2.host'), later);
    await run.poll();
    const c = (run.data.tags.get('x') as ScalarSeries).columns;
    expect(Array.from(c.steps.subarray(0, c.length))).toEqual([0, 1, 5]);
    expect(run.data.issues).toHaveLength(1);
    expect(run.data.issues[0].message).toMatch(/truncated/);
  });

  it('a file replaced by a shorter one is read again from the start', async () => {
    const dir = tempDir();
    const file = join(dir, 'events.out.tfevents.1.host');
    writeFileSync(file, scalarFile(8).bytes);
    const run = new RunReader('r', dir);
    await run.poll();
    writeFileSync(file, scalarFile(2).bytes);
    await run.poll();
    expect((run.data.tags.get('x') as ScalarSeries).columns.length).toBe(2);
  });
});

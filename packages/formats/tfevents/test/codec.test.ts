/** CRC32C, framing, and write-then-read round trips of every kind. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  crc32c,
  DT,
  frameRecord,
  type HistogramValue,
  histogramBuckets,
  maskedCrc32c,
  type Point,
  type PointKind,
  type ScalarSeries,
  shortestFloat32,
  type TagSeries,
} from '../index';
import { EventFileWriter, encodePng, readLogdir } from '../node';
import { readAll, tempDir } from './helpers';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the standard check values', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    // slicing-by-8 and the byte loop agree at every length and alignment
    const data = Uint8Array.from({ length: 100 }, (_, i) => (i * 37 + 11) & 0xff);
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= 100; end += 7) {
        let c = 0xffffffff;
        for (let i = start; i < end; i++) {
          c ^= data[i];
          for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
        }
        expect(crc32c(data, start, end)).toBe((c ^ 0xffffffff) >>> 0);
      }
    }
  });

  it('frames a record the way TensorFlow does (length, masked CRCs)', () => {
    const rec = frameRecord(ascii('hello'));
    const dv = new DataView(rec.buffer);
    expect(dv.getUint32(0, true)).toBe(5);
    expect(dv.getUint32(8, true)).toBe(maskedCrc32c(rec, 0, 8));
    expect(dv.getUint32(17, true)).toBe(maskedCrc32c(ascii('hello')));
  });
});

describe('shortestFloat32', () => {
  it('prints the fewest digits that read back as the same float32', () => {
    for (const v of [0.1, 1.05, 3.4028234663852886e38, 1e-45, -2.5, 123456.789, 0.03145579255501713]) {
      const f = Math.fround(v);
      const s = shortestFloat32(f);
      expect(Math.fround(s)).toBe(f);
      expect(String(s).replace(/e.*/, '').replace(/[-.]/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(
        9,
      );
    }
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
  });
});

function series(tags: Map<string, TagSeries>, tag: string): TagSeries {
  const s = tags.get(tag);
  if (!s) throw new Error(`missing tag ${tag}`);
  return s;
}

function points<K extends PointKind>(tags: Map<string, TagSeries>, tag: string, kind: K): Point<K>[] {
  const s = series(tags, tag);
  expect(s.kind).toBe(kind);
  return (s as unknown as { points: Point<K>[] }).points;
}

describe('EventFileWriter round trip', () => {
  it('writes every kind and reads it back identically', async () => {
    const dir = tempDir();
    const w = new EventFileWriter(dir);
    const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3 + (i % 7));
    for (let step = 0; step < 50; step++) w.scalar('loss', 1 / (step + 1), step, 1000 + step);
    w.scalar('nan', Number.NaN, 0);
    w.scalar('big', 3.5e38, 0);
    w.histogram('weights', values, 3);
    const pixels = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => i * 7);
    const png = encodePng(pixels, 4, 3, 3);
    w.image('img', png, 4, 3, 5);
    w.text('notes', '# title\n<script>x</script> ünïcode', 6);
    const samples = Array.from({ length: 800 }, (_, i) => Math.sin(i / 5));
    w.audio('sound', samples, 8000, 7);
    w.tensor('t', { dtype: DT.DOUBLE, shape: [2, 2], doubleVal: Float64Array.of(1, 2, 3, 4) }, 8);
    w.prCurve('pr', [1, 0, 1, 1, 0], [0.9, 0.2, 0.6, 0.4, 0.7], 9, 11);
    w.hparams({ lr: 0.01, opt: 'adam', bn: true }, { 'hparam/acc': 0.5 });
    w.customScalars([{ title: 'Losses', charts: [{ title: 'both', multiline: ['loss', 'val'] }] }]);
    w.graph(ascii('graph-def-bytes'));
    await w.close();

    const reader = await readLogdir(dir);
    const run = reader.runs.get('.');
    if (!run) throw new Error('no run');
    const tags = run.data.tags;
    expect(run.data.issues).toEqual([]);

    const loss = (series(tags, 'loss') as ScalarSeries).columns;
    expect(loss.length).toBe(50);
    for (let i = 0; i < 50; i++) {
      expect([loss.steps[i], loss.wallTimes[i], loss.values[i]]).toEqual([
        i,
        1000 + i,
        Math.fround(1 / (i + 1)),
      ]);
    }
    expect(Number.isNaN((series(tags, 'nan') as ScalarSeries).columns.values[0])).toBe(true);
    expect((series(tags, 'big') as ScalarSeries).columns.values[0]).toBe(Math.fround(3.5e38));

    const h = points(tags, 'weights', 'histogram')[0].value as HistogramValue;
    expect(h.num).toBe(1000);
    expect(h.min).toBe(Math.min(...values));
    expect(h.max).toBe(Math.max(...values));
    expect(h.sum).toBeCloseTo(
      values.reduce((a, b) => a + b, 0),
      9,
    );
    const buckets = histogramBuckets(h);
    expect(buckets.reduce((a, b) => a + b.count, 0)).toBe(1000);
    for (const v of values) expect(buckets.some((b) => v >= b.left && v <= b.right)).toBe(true);

    const img = points(tags, 'img', 'image')[0];
    expect([img.step, img.value.width, img.value.height, img.value.contentType]).toEqual([
      5,
      4,
      3,
      'image/png',
    ]);
    expect(Buffer.from(img.value.images[0]).equals(Buffer.from(png))).toBe(true);

    expect(points(tags, 'notes', 'text')[0].value.strings).toEqual(['# title\n<script>x</script> ünïcode']);

    const audio = points(tags, 'sound', 'audio')[0].value;
    expect([audio.sampleRate, audio.contentType]).toEqual([8000, 'audio/wav']);
    const pcm = new Int16Array(audio.clips[0].slice(44).buffer);
    expect(pcm.length).toBe(800);
    expect(pcm[10]).toBe(Math.round(Math.sin(2) * 32767));

    const t = points(tags, 't', 'tensor')[0].value;
    expect([t.dtype, t.shape, Array.from(t.doubleVal ?? [])]).toEqual([DT.DOUBLE, [2, 2], [1, 2, 3, 4]]);

    const pr = points(tags, 'pr', 'pr_curve')[0].value;
    expect(pr.numThresholds).toBe(11);
    // at threshold 0 everything is predicted positive: TP = 3 positives, FP = 2 negatives
    expect([pr.data[0], pr.data[11]]).toEqual([3, 2]);

    const start = points(tags, '_hparams_/session_start_info', 'hparams')[0].value.sessionStart;
    expect(start?.hparams).toEqual({ lr: 0.01, opt: 'adam', bn: true });
    const exp = points(tags, '_hparams_/experiment', 'hparams')[0].value.experiment;
    expect(exp?.hparamInfos.map((i) => [i.name, i.type])).toEqual([
      ['lr', 3],
      ['opt', 1],
      ['bn', 2],
    ]);
    expect(exp?.metricInfos.map((m) => m.tag)).toEqual(['hparam/acc']);

    const layout = points(tags, 'custom_scalars__config__', 'custom_scalars')[0].value.layout;
    expect(layout.categories[0].charts[0]).toEqual({
      title: 'both',
      kind: 'multiline',
      tags: ['loss', 'val'],
    });

    expect(Buffer.from(points(tags, '__run_graph__', 'graph')[0].value.bytes).toString()).toBe(
      'graph-def-bytes',
    );
  });

  it('names files like tensorboardX and starts with the file_version event', async () => {
    const dir = tempDir();
    const w = new EventFileWriter(dir);
    w.scalar('a', 1, 1);
    await w.close();
    expect(w.path).toMatch(/events\.out\.tfevents\.\d+\.[^/]+$/);
    const { events } = readAll(new Uint8Array(readFileSync(w.path)));
    expect(events[0].fileVersion).toBe('brain.Event:2');
    expect(events[0].wallTime).toBeGreaterThan(1.7e9);
    expect(events[1].summary?.[0]).toEqual({ tag: 'a', simpleValue: 1 });
  });

  it('bounds memory: past maxPendingBytes the writer writes at once', async () => {
    const dir = tempDir();
    const w = new EventFileWriter(dir, { maxPendingBytes: 4096, flushMillis: 60_000 });
    for (let i = 0; i < 1000; i++) w.scalar('x', i, i);
    // without a flush, most records are already on disk
    expect(readFileSync(w.path).length).toBeGreaterThan(30_000);
    await w.flush();
    for (let i = 1000; i < 1500; i++) w.scalar('x', i, i);
    await w.close();
    // and every record landed in the order it was written
    const { events, issues } = readAll(new Uint8Array(readFileSync(w.path)));
    expect(issues).toEqual([]);
    expect(events.slice(1).map((e) => e.step)).toEqual([...Array(1500).keys()]);
  });
});

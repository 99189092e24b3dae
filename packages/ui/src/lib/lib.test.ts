import { describe, expect, it } from 'vitest';
import { assignSlots, hashString, runColor, SLOTS } from './colors';
import { type ExportRow, toCsv, toJson } from './exportData';
import { formatDuration, formatValue } from './format';
import { commonEdges, compressHistogram, type HistogramPoint, rebin } from './histogram';
import { quantileSorted, yRange } from './range';
import { smoothEma } from './smoothing';
import { compareNatural, filterRegex, groupTags } from './tags';
import { niceTicks } from './ticks';

describe('smoothEma (TensorBoard debiased EMA)', () => {
  it('matches last = last*w + (1-w)*v; smoothed = last / (1 - w^n) on known numbers', () => {
    const s = smoothEma([1, 2, 3], 0.5);
    expect(s[0]).toBe(1); // 0.5 / 0.5
    expect(s[1]).toBeCloseTo(5 / 3, 15); // 1.25 / 0.75
    expect(s[2]).toBeCloseTo(17 / 7, 15); // 2.125 / 0.875
  });
  it('weight 0 is the identity, and non-finite points pass through without entering the average', () => {
    expect([...smoothEma([4, -1, 7], 0)]).toEqual([4, -1, 7]);
    const s = smoothEma([1, Number.NaN, 3, null], 0.5);
    expect(s[0]).toBe(1);
    expect(Number.isNaN(s[1])).toBe(true);
    expect(s[2]).toBeCloseTo(1.75 / 0.75, 15);
    expect(Number.isNaN(s[3])).toBe(true);
  });
  it('returns a constant series unchanged, even with weight 1', () => {
    expect([...smoothEma([2, 2, 2], 0.999)]).toEqual([2, 2, 2]);
  });
});

describe('yRange', () => {
  it('is the padded full range without outlier handling', () => {
    expect(yRange([0, 10], false)).toEqual([-0.5, 10.5]);
  });
  it('keeps a single spike from flattening the rest', () => {
    const values = Array.from({ length: 100 }, (_, i) => i / 100);
    values[50] = 1e6;
    const [lo, hi] = yRange(values, true)!;
    const sorted = Float64Array.from(values).sort();
    const q05 = quantileSorted(sorted, 0.05);
    const q95 = quantileSorted(sorted, 0.95);
    expect(lo).toBeCloseTo(Math.max(q05 - 0.1 * (q95 - q05), 0 - 0.05 * (q95 - q05)), 12);
    expect(hi).toBeCloseTo(q95 + 0.1 * (q95 - q05), 12);
    expect(hi).toBeLessThan(2);
  });
  it('ignores non-finite values and, in log mode, non-positive ones', () => {
    const [a, b] = yRange([null, Number.NaN, 1, 3], false)!;
    expect(a).toBeCloseTo(0.9, 12);
    expect(b).toBeCloseTo(3.1, 12);
    const [lo, hi] = yRange([-1, 0, 1, 100], false, true)!;
    expect(lo).toBeCloseTo(10 ** -0.1, 12);
    expect(hi).toBeCloseTo(10 ** 2.1, 12);
    expect(yRange([], true)).toBeNull();
  });
});

describe('runColor', () => {
  it('is stable for a name and differs between themes', () => {
    expect(runColor('main', 'light')).toBe(runColor('main', 'light'));
    expect(runColor('main', 'light')).not.toBe(runColor('main', 'dark'));
    expect(hashString('a')).toBe(0xe40c292c); // FNV-1a test vector
  });
  it('gives up to 24 runs distinct colours, and a run without a collision its hashed slot', () => {
    const names = Array.from({ length: 24 }, (_, i) => `run_${i}`);
    const slots = assignSlots(names);
    expect(new Set(names.map((n) => runColor(n, 'light', slots))).size).toBe(24);
    const alone = assignSlots(['main']);
    expect(alone.get('main')).toBe(hashString('main') % SLOTS);
    // adding runs leaves an existing run's colour alone unless they collide
    const more = assignSlots(['main', 'zzz_other']);
    if (hashString('zzz_other') % SLOTS !== hashString('main') % SLOTS)
      expect(more.get('main')).toBe(alone.get('main'));
  });
  it('spreads many runs evenly over the slots', () => {
    const slots = assignSlots(Array.from({ length: 240 }, (_, i) => `r${i}`));
    const counts = new Array(SLOTS).fill(0);
    for (const s of slots.values()) counts[s]++;
    expect(Math.max(...counts)).toBe(10);
  });
});

describe('formatValue', () => {
  it('prints the shortest decimal that reads back to the same float32', () => {
    const f = Math.fround(0.1);
    expect(formatValue(f)).toBe('0.1');
    expect(Math.fround(Number(formatValue(Math.fround(0.03145579255501713))))).toBe(
      Math.fround(0.03145579255501713),
    );
    expect(formatValue(Math.fround(1 / 3))).toBe('0.33333334');
    expect(formatValue(0.1)).toBe('0.1'); // a double that is not a float32 prints as a double
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(formatValue(Number.NEGATIVE_INFINITY)).toBe('-Infinity');
  });
  it('formats durations', () => {
    expect(formatDuration(4.25)).toBe('4.25s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(3720)).toBe('1h 02m');
  });
});

describe('compressHistogram (TensorBoard distribution percentiles)', () => {
  const h: HistogramPoint = {
    step: 0,
    wall_time: 0,
    min: 0,
    max: 3,
    num: 100,
    sum: 0,
    sum_squares: 0,
    buckets: [
      { left: 0, right: 1, count: 10 },
      { left: 1, right: 2, count: 30 },
      { left: 2, right: 3, count: 60 },
    ],
  };
  it('interpolates inside the bucket where the cumulative weight crosses each basis point', () => {
    const v = compressHistogram(h);
    // cumulative weights 1000, 4000, 10000 (of 10000)
    expect(v[0]).toBe(0);
    expect(v[1]).toBeCloseTo(0.668, 12);
    expect(v[2]).toBeCloseTo(1 + 587 / 3000, 12);
    expect(v[4]).toBeCloseTo(2 + 1000 / 6000, 12);
    expect(v[8]).toBe(3);
  });
  it('gives zeros for an empty histogram', () => {
    expect(compressHistogram({ ...h, num: 0 })).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('rebin', () => {
  it('spreads counts by overlap and conserves the total', () => {
    expect([...rebin([{ left: 0, right: 2, count: 4 }], [0, 1, 2, 3])]).toEqual([2, 2, 0]);
    expect([...rebin([{ left: 0.5, right: 1.5, count: 2 }], [0, 1, 2, 3])]).toEqual([1, 1, 0]);
    expect([...rebin([{ left: 3, right: 3, count: 5 }], [0, 1, 2, 3])]).toEqual([0, 0, 5]);
  });
  it('builds common edges over every step', () => {
    const pts = [
      { min: -1, max: 1, num: 1 },
      { min: 0, max: 3, num: 1 },
    ] as HistogramPoint[];
    expect([...commonEdges(pts, 4)]).toEqual([-1, 0, 1, 2, 3]);
  });
});

describe('tags', () => {
  it('groups by first path segment in natural order', () => {
    expect(groupTags(['loss/val', 'lr', 'loss/train', 'acc/run_10', 'acc/run_2'])).toEqual([
      { prefix: 'acc', tags: ['acc/run_2', 'acc/run_10'] },
      { prefix: 'loss', tags: ['loss/train', 'loss/val'] },
      { prefix: 'lr', tags: ['lr'] },
    ]);
    expect(compareNatural('run_2', 'run_10')).toBeLessThan(0);
  });
  it('filters by case-insensitive regex and falls back to a literal on a bad pattern', () => {
    expect(filterRegex('^LOSS').test('loss/train')).toBe(true);
    const bad = filterRegex('a(b');
    expect(bad.error).not.toBeNull();
    expect(bad.test('xa(by')).toBe(true);
    expect(bad.test('ab')).toBe(false);
  });
});

describe('export', () => {
  const rows: ExportRow[] = [
    { run: 'a,b', tag: 'loss', step: 0, wall_time: 1.5, value: Math.fround(0.1), smoothed: Math.fround(0.1) },
    { run: 'a,b', tag: 'loss', step: 1, wall_time: 2.5, value: Number.NaN, smoothed: null },
  ];
  it('writes CSV with quoting and shortest float32 values', () => {
    expect(toCsv(rows)).toBe(
      'run,tag,step,wall_time,value,smoothed\n"a,b",loss,0,1.5,0.1,0.1\n"a,b",loss,1,2.5,NaN,\n',
    );
  });
  it('writes JSON grouped by run and tag', () => {
    const j = JSON.parse(toJson(rows));
    expect(j.runs[0].name).toBe('a,b');
    expect(j.runs[0].tags[0].points[1]).toEqual({ step: 1, wall_time: 2.5, value: 'NaN', smoothed: null });
    expect(j.runs[0].tags[0].points[0].value).toBe(Math.fround(0.1));
  });
});

describe('niceTicks', () => {
  it('picks 1/2/5 steps inside the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-3.1, 2.9, 5)).toEqual([-3, -2, -1, 0, 1, 2]);
    expect(niceTicks(0, 640, 4)).toEqual([0, 200, 400, 600]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });
});

import { describe, expect, it } from 'vitest';
import { nearest, prepareLines } from './prepare';

const a = { steps: [0, 2, 4], wall_times: [100, 101, 103], values: [1, 2, 3] };
const b = { steps: [1, 2, 5], wall_times: [50, 52, 60], values: [10, null, 30] };

describe('prepareLines', () => {
  it('merges lines onto one ascending x column; missing points are undefined, non-finite null', () => {
    const p = prepareLines([a, b], 0, 'step', false);
    expect([...p.x]).toEqual([0, 1, 2, 4, 5]);
    expect(p.raw[0]).toEqual([1, undefined, 2, 3, undefined]);
    expect(p.raw[1]).toEqual([undefined, 10, null, undefined, 30]);
    expect(p.smooth[0]).toEqual(p.raw[0]); // weight 0: smoothing is the identity
  });
  it('puts relative time at each run’s own first wall time, and wall time as is', () => {
    const rel = prepareLines([a, b], 0, 'relative', false);
    expect([...rel.x]).toEqual([0, 1, 2, 3, 10]);
    expect(rel.own[1].origin).toBe(50);
    expect([...prepareLines([a], 0, 'wall', false).x]).toEqual([100, 101, 103]);
  });
  it('smooths in step order with the debiased EMA and leaves non-positive values out on a log axis', () => {
    const p = prepareLines(
      [{ steps: [0, 1, 2], wall_times: [0, 0, 0], values: [1, 2, -1] }],
      0.5,
      'step',
      true,
    );
    expect(p.smooth[0][1]).toBeCloseTo(5 / 3, 12);
    expect(p.raw[0][2]).toBeNull();
  });
  it('keeps the later point of a repeated step, and finds the nearest point for tooltips', () => {
    const p = prepareLines(
      [{ steps: [0, 1, 1, 2], wall_times: [0, 1, 2, 3], values: [5, 6, 7, 8] }],
      0,
      'step',
      false,
    );
    expect([...p.x]).toEqual([0, 1, 2]);
    expect(p.raw[0]).toEqual([5, 7, 8]);
    const own = p.own[0];
    expect(own.order[nearest(own, 2.4)]).toBe(3);
    expect(own.order[nearest(own, 0.2)]).toBe(0);
  });
  it('gives each line its own x instead of the aligned table when the table would be too big', () => {
    const p = prepareLines(
      [a, b, { steps: [3, 3], wall_times: [0, 1], values: [1, 2] }],
      0,
      'step',
      false,
      4,
    );
    expect(p.raw).toEqual([]);
    expect(p.facets!.map((f) => [...f.x])).toEqual([[0, 2, 4], [1, 2, 5], [3]]);
    expect(p.facets![1].raw).toEqual([10, null, 30]);
    expect(p.facets![2].raw).toEqual([2]); // the later point of a repeated step
    expect(prepareLines([a, b], 0, 'step', false, 1000).facets).toBeUndefined();
  });
});

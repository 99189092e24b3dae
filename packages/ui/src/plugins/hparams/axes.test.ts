import { describe, expect, it } from 'vitest';
import { buildAxis, position } from './axes';

describe('hparam axes', () => {
  it('puts learning rates spanning decades on a log axis', () => {
    const lr = buildAxis('h:lr', 'lr', 'hparam', [0.1, 0.01, 0.001]);
    expect(lr.log).toBe(true);
    expect(position(lr, 0.01)).toBeCloseTo(0.5, 12);
    const bs = buildAxis('h:bs', 'batch_size', 'hparam', [32, 64, 128]);
    expect(bs.log).toBe(false);
    expect(position(bs, 64)).toBeCloseTo(1 / 3, 12);
  });
  it('spaces categories evenly in name order and has no position for a missing value', () => {
    const opt = buildAxis('h:opt', 'optimizer', 'hparam', ['sgd', 'adam', 'adam', true]);
    expect(opt.categories).toEqual(['adam', 'sgd', 'true']);
    expect(position(opt, 'sgd')).toBe(0.5);
    expect(position(opt, undefined)).toBeNull();
  });
});

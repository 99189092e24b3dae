import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW, parseView, serializeView, type ViewState } from './viewState';

describe('view state in the URL', () => {
  it('leaves defaults out', () => {
    expect(serializeView(DEFAULT_VIEW)).toBe('');
    expect(parseView('')).toEqual(DEFAULT_VIEW);
  });
  it('round-trips every field, keeps the token and plugin extras', () => {
    const v: ViewState = {
      tab: 'scalars',
      runFilter: '^strict/',
      hidden: ['strict/run_2', 'a,b'],
      tagFilter: 'loss',
      smoothing: 0.85,
      x: 'relative',
      log: true,
      robust: false,
      zoom: [10, 250.5],
      theme: 'dark',
      extra: { hist: 'overlay' },
    };
    const s = serializeView(v, 'secret');
    expect(new URLSearchParams(s).get('token')).toBe('secret');
    expect(parseView(s)).toEqual(v);
  });
  it('ignores nonsense values', () => {
    const v = parseView('?smooth=7&x=bogus&zoom=5,1&theme=pink');
    expect(v.smoothing).toBe(0.6);
    expect(v.x).toBe('step');
    expect(v.zoom).toBeNull();
    expect(v.theme).toBeNull();
  });
});

import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunInfo } from '../../app/types';
import { DEFAULT_VIEW, type ViewState } from '../../lib/viewState';

// api.ts reads the page's query string (for a token) when it loads
vi.stubGlobal('location', { search: '' });
let cards: typeof import('./cards');
beforeAll(async () => {
  cards = await import('./cards');
});

const tag = (t: string, kind = 'scalar') => ({ tag: t, kind, count: 3, first_step: 0, last_step: 2 });
const runs = [
  { name: 'a', tags: [tag('train/loss'), tag('acc'), tag('notes', 'text')], issues: [] },
  { name: 'b', tags: [tag('train/loss'), tag('eval/loss')], issues: [] },
] as unknown as RunInfo[];
const tags = [
  { tag: 'acc', kind: 'scalar' },
  { tag: 'eval/loss', kind: 'scalar' },
  { tag: 'notes', kind: 'text' },
  { tag: 'train/loss', kind: 'scalar' },
];
const view = (v: Partial<ViewState>): ViewState => ({ ...DEFAULT_VIEW, ...v });

describe('the first chart request from the tag list', () => {
  it('is the request the run list gives when every run is selected', () => {
    for (const v of [view({}), view({ tab: 'scalars' }), view({ tagFilter: 'loss' }), view({ x: 'wall' })]) {
      const want = cards.firstChartUrl(runs, v);
      expect(want).not.toBeNull();
      expect(cards.firstChartUrlFromTags(tags, v)).toBe(want);
    }
    expect(cards.firstChartUrlFromTags(tags, view({}))).toBe(
      '/api/scalars?tag=acc&width=1500&max_points=20000&x=step',
    );
    expect(cards.firstChartUrlFromTags(tags, view({ tagFilter: 'loss' }))).toBe(
      '/api/scalars?tag=eval%2Floss&width=1500&max_points=20000&x=step',
    );
  });

  it('is left to the run list when runs are hidden or filtered, or another tab opens', () => {
    expect(cards.firstChartUrlFromTags(tags, view({ hidden: ['b'] }))).toBeNull();
    expect(cards.firstChartUrlFromTags(tags, view({ runFilter: 'a' }))).toBeNull();
    expect(cards.firstChartUrlFromTags(tags, view({ tab: 'text' }))).toBeNull();
    expect(cards.firstChartUrlFromTags([{ tag: 'notes', kind: 'text' }], view({}))).toBeNull();
    expect(cards.firstChartUrl(runs, view({ tab: 'text' }))).toBeNull();
  });
});

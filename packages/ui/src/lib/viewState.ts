/**
 * Everything a person would want a bookmark to restore, kept in the page's query string: the tab,
 * which runs are shown, the tag filter, smoothing, the x axis, log scale, outlier handling, zoom and
 * theme. Defaults are left out so a plain URL stays plain.
 */
export type XAxis = 'step' | 'relative' | 'wall';
export type Theme = 'light' | 'dark';

export interface ViewState {
  tab: string;
  runFilter: string;
  /** runs switched off by hand (a short list even with thousands of runs shown) */
  hidden: string[];
  tagFilter: string;
  smoothing: number;
  x: XAxis;
  log: boolean;
  /** ignore outliers when choosing the y range */
  robust: boolean;
  /** x range of the scalar charts, in the unit of the x axis */
  zoom: [number, number] | null;
  theme: Theme | null;
  /** plugin-specific settings, e.g. "hist=overlay" */
  extra: Record<string, string>;
}

export const DEFAULT_VIEW: ViewState = {
  tab: '',
  runFilter: '',
  hidden: [],
  tagFilter: '',
  smoothing: 0.6,
  x: 'step',
  log: false,
  robust: true,
  zoom: null,
  theme: null,
  extra: {},
};

const KNOWN = new Set([
  'tab',
  'runs',
  'hide',
  'tags',
  'smooth',
  'x',
  'log',
  'outliers',
  'zoom',
  'theme',
  'token',
]);

export function parseView(search: string): ViewState {
  const q = new URLSearchParams(search);
  const v: ViewState = { ...DEFAULT_VIEW, hidden: [], extra: {} };
  v.tab = q.get('tab') ?? '';
  v.runFilter = q.get('runs') ?? '';
  const hide = q.get('hide');
  if (hide) {
    try {
      const list: unknown = JSON.parse(hide);
      if (Array.isArray(list)) v.hidden = list.filter((r): r is string => typeof r === 'string');
    } catch {
      // a hand-edited URL: show every run
    }
  }
  v.tagFilter = q.get('tags') ?? '';
  const smooth = Number(q.get('smooth'));
  if (q.has('smooth') && smooth >= 0 && smooth < 1) v.smoothing = smooth;
  const x = q.get('x');
  if (x === 'relative' || x === 'wall') v.x = x;
  v.log = q.get('log') === '1';
  v.robust = q.get('outliers') !== 'show';
  const zoom = q.get('zoom')?.split(',').map(Number);
  if (zoom?.length === 2 && zoom.every(Number.isFinite) && zoom[0] < zoom[1]) v.zoom = [zoom[0], zoom[1]];
  const theme = q.get('theme');
  if (theme === 'light' || theme === 'dark') v.theme = theme;
  for (const [k, val] of q) if (!KNOWN.has(k)) v.extra[k] = val;
  return v;
}

/** The query string for a view; `token` (auth) is carried over untouched. */
export function serializeView(v: ViewState, token: string | null = null): string {
  const q = new URLSearchParams();
  if (v.tab) q.set('tab', v.tab);
  if (v.runFilter) q.set('runs', v.runFilter);
  if (v.hidden.length) q.set('hide', JSON.stringify(v.hidden));
  if (v.tagFilter) q.set('tags', v.tagFilter);
  if (v.smoothing !== DEFAULT_VIEW.smoothing) q.set('smooth', String(v.smoothing));
  if (v.x !== 'step') q.set('x', v.x);
  if (v.log) q.set('log', '1');
  if (!v.robust) q.set('outliers', 'show');
  if (v.zoom) q.set('zoom', v.zoom.map((n) => String(Number(n.toPrecision(8)))).join(','));
  if (v.theme) q.set('theme', v.theme);
  for (const [k, val] of Object.entries(v.extra)) if (val !== '') q.set(k, val);
  if (token) q.set('token', token);
  const s = q.toString();
  return s ? `?${s}` : '';
}

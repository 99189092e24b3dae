/**
 * Colouring the graph by a statistic of a run: each operator takes the value of its first captured
 * output, a closed module the average over its operators (the total for non-finite counts), on viridis
 * (fraction of zeros on [0, 1], mean and std on their range over the operators) or, for non-finite
 * counts, red where any NaN/Inf is. Pure functions: the page and the tests share them.
 */
import type { RunResult, RunTensor } from './runApi';
import type { ViewGraph } from './viewGraph';

export type ColorBy = 'op' | 'zeros' | 'mean' | 'std' | 'nonfinite';

export const COLOR_BY: { id: ColorBy; label: string }[] = [
  { id: 'op', label: 'operator kind' },
  { id: 'zeros', label: 'fraction of zeros' },
  { id: 'mean', label: 'mean' },
  { id: 'std', label: 'std' },
  { id: 'nonfinite', label: 'NaN/Inf count' },
];

// viridis at 9 evenly spaced points (matplotlib's table), linearly interpolated
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

const hex = ([r, g, b]: [number, number, number]) =>
  `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

export const NONFINITE_COLOR = '#dc2626';
export const FINITE_COLOR = '#64748b';

/** The statistic `by` of one tensor; undefined when it has none. */
export function tensorValue(t: RunTensor | undefined, by: ColorBy): number | undefined {
  if (!t || t.zeros === undefined) return undefined;
  if (by === 'nonfinite') return (t.nan ?? 0) + (t.inf ?? 0);
  const v = by === 'zeros' ? t.zeros : by === 'mean' ? t.mean : by === 'std' ? t.std : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** For each graph node index, its first output that was captured with statistics. */
export function nodeTensors(vg: ViewGraph, run: RunResult): Map<number, { name: string; tensor: RunTensor }> {
  const out = new Map<number, { name: string; tensor: RunTensor }>();
  vg.graph.nodes.forEach((n, i) => {
    const name = n.outputs.find((o) => o && run.tensors[o]?.zeros !== undefined);
    if (name) out.set(i, { name, tensor: run.tensors[name] });
  });
  return out;
}

/** Per item: the value shown (NaN where there is none). */
export function itemValues(vg: ViewGraph, run: RunResult, by: ColorBy): Float64Array {
  const values = new Float64Array(vg.count).fill(Number.NaN);
  const sum = new Float64Array(vg.count);
  const count = new Int32Array(vg.count);
  const tensors = nodeTensors(vg, run);
  for (let i = 0; i < vg.count; i++) {
    if (vg.kind[i] !== 'op') continue;
    const v = tensorValue(tensors.get(vg.node[i])?.tensor, by);
    if (v === undefined) continue;
    values[i] = v;
    for (let p = vg.parent[i]; p >= 0; p = vg.parent[p]) {
      sum[p] += v;
      count[p]++;
    }
  }
  for (let i = 0; i < vg.count; i++)
    if (vg.kind[i] === 'module' && count[i]) values[i] = by === 'nonfinite' ? sum[i] : sum[i] / count[i];
  return values;
}

export interface Legend {
  by: ColorBy;
  /** viridis from min to max, or (non-finite) two swatches */
  min: number;
  max: number;
}

export interface Paint {
  fill: string[];
  text: string[];
  legend: Legend;
}

/** Black or white, whichever reads better on `color` (#rrggbb). */
function textOn(color: string): string {
  const [r, g, b] = [1, 3, 5].map((k) => Number.parseInt(color.slice(k, k + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.55 ? '#111827' : '#ffffff';
}

/** The colour of `value` under `legend`. */
export function colorOf(value: number, legend: Legend): string {
  if (legend.by === 'nonfinite') return value > 0 ? NONFINITE_COLOR : FINITE_COLOR;
  const span = legend.max - legend.min;
  return hex(viridis(span > 0 ? (value - legend.min) / span : 0.5));
}

/** Fill and label colours per item, or null for the default (operator kind) colours. */
export function paintFor(vg: ViewGraph, run: RunResult, by: ColorBy, dark: boolean): Paint | null {
  if (by === 'op') return null;
  const values = itemValues(vg, run, by);
  let min = by === 'zeros' ? 0 : Number.POSITIVE_INFINITY;
  let max = by === 'zeros' ? 1 : Number.NEGATIVE_INFINITY;
  if (by !== 'zeros')
    for (let i = 0; i < vg.count; i++) {
      if (vg.kind[i] !== 'op' || Number.isNaN(values[i])) continue;
      min = Math.min(min, values[i]);
      max = Math.max(max, values[i]);
    }
  if (min > max) [min, max] = [0, 0];
  const legend: Legend = { by, min, max };
  const none = dark ? '#3a414d' : '#d1d5db';
  const fill = Array.from(values, (v) => (Number.isNaN(v) ? none : colorOf(v, legend)));
  return { fill, text: fill.map(textOn), legend };
}

/** CSS gradient of the legend bar. */
export function legendGradient(): string {
  return `linear-gradient(to right, ${VIRIDIS.map((c) => hex(c)).join(', ')})`;
}

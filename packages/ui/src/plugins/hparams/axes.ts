/** One axis of the parallel-coordinates plot: numeric (linear) or categorical (evenly spaced). */
export interface Axis {
  key: string;
  label: string;
  kind: 'hparam' | 'metric';
  numeric: boolean;
  /** positive values spanning two or more decades (learning rates, weight decay) go on a log axis */
  log: boolean;
  min: number;
  max: number;
  categories: string[];
}

export type HValue = number | string | boolean | null | undefined;

export function buildAxis(key: string, label: string, kind: Axis['kind'], values: HValue[]): Axis {
  const present = values.filter((v) => v !== null && v !== undefined);
  const numeric = present.length > 0 && present.every((v) => typeof v === 'number');
  if (numeric) {
    const nums = present as number[];
    const min = Math.min(...nums);
    const max = Math.max(...nums);
    return { key, label, kind, numeric, log: min > 0 && max / min >= 100, min, max, categories: [] };
  }
  const categories = [...new Set(present.map(String))].sort();
  return {
    key,
    label,
    kind,
    numeric,
    log: false,
    min: 0,
    max: Math.max(0, categories.length - 1),
    categories,
  };
}

/** Position of a value on an axis, 0 (bottom) .. 1 (top); null when the session has no value. */
export function position(axis: Axis, v: HValue): number | null {
  if (v === null || v === undefined) return null;
  if (axis.numeric) {
    if (typeof v !== 'number') return null;
    if (axis.max === axis.min) return 0.5;
    if (axis.log) return Math.log10(v / axis.min) / Math.log10(axis.max / axis.min);
    return (v - axis.min) / (axis.max - axis.min);
  }
  const i = axis.categories.indexOf(String(v));
  if (i < 0) return null;
  return axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1);
}

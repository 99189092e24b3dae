import { formatValue } from './format';
import { getOrCreate } from './maps';

/** One row of a chart's data as downloaded: the raw value and what the chart drew for it. */
export interface ExportRow {
  run: string;
  tag: string;
  step: number;
  wall_time: number;
  value: number | null;
  smoothed: number | null;
}

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV with the columns of `tensorscope export --format csv`, plus the smoothed value. */
export function toCsv(rows: readonly ExportRow[]): string {
  const lines = ['run,tag,step,wall_time,value,smoothed'];
  for (const r of rows) {
    lines.push(
      [
        csvField(r.run),
        csvField(r.tag),
        String(r.step),
        String(r.wall_time),
        r.value === null ? '' : formatValue(r.value),
        r.smoothed === null ? '' : formatValue(r.smoothed),
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

/** JSON shaped like `tensorscope export --format json` (runs -> tags -> points), smoothed added. */
export function toJson(rows: readonly ExportRow[]): string {
  const runs = new Map<string, Map<string, object[]>>();
  for (const r of rows) {
    const tags = getOrCreate(runs, r.run, () => new Map<string, object[]>());
    const points = getOrCreate(tags, r.tag, () => [] as object[]);
    points.push({
      step: r.step,
      wall_time: r.wall_time,
      value: jsonNumber(r.value),
      smoothed: jsonNumber(r.smoothed),
    });
  }
  return JSON.stringify(
    {
      runs: [...runs].map(([name, tags]) => ({
        name,
        tags: [...tags].map(([tag, points]) => ({ tag, kind: 'scalar', points })),
      })),
    },
    null,
    1,
  );
}

/** JSON has no NaN: non-finite values become their name as a string, as the API does. */
function jsonNumber(v: number | null): number | string | null {
  if (v === null) return null;
  return Number.isFinite(v) ? v : formatValue(v);
}

import { useMemo } from 'react';
import { apiPath } from '../../app/api';
import type { RunInfo } from '../../app/types';
import { useApi } from '../../app/useApi';
import { getOrCreate } from '../../lib/maps';
import { ScalarCard } from '../scalars/ScalarCard';
import type { LineRequest } from '../scalars/useScalarLines';
import type { PluginProps } from '../types';

interface LayoutChart {
  title: string;
  kind: 'multiline' | 'margin';
  tags: string[];
}
interface Layouts {
  layouts: { run: string; categories: { title: string; charts: LayoutChart[] }[] }[];
}

/** Categories from every run's layout, merged by title (runs usually share one layout). */
export function mergeLayouts(l: Layouts): { title: string; charts: LayoutChart[] }[] {
  const cats = new Map<string, Map<string, LayoutChart>>();
  for (const { categories } of l.layouts)
    for (const c of categories) {
      const charts = getOrCreate(cats, c.title, () => new Map<string, LayoutChart>());
      for (const ch of c.charts) if (!charts.has(ch.title)) charts.set(ch.title, ch);
    }
  return [...cats].map(([title, charts]) => ({ title, charts: [...charts.values()] }));
}

/** A multiline chart's tags are regexes over scalar tags (TensorBoard's rule); margin tags are exact. */
export function chartRequests(chart: LayoutChart, runs: RunInfo[]): LineRequest[] {
  const byTag = new Map<string, string[]>();
  const patterns = chart.tags.map((t) => {
    try {
      return new RegExp(chart.kind === 'margin' ? `^${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : t);
    } catch {
      return null;
    }
  });
  for (const r of runs)
    for (const t of r.tags)
      if (t.kind === 'scalar' && patterns.some((p) => p?.test(t.tag)))
        getOrCreate(byTag, t.tag, () => [] as string[]).push(r.name);
  return [...byTag].map(([tag, rs]) => ({ tag, runs: rs }));
}

export function CustomScalarsView({ selected, color, view, update, versionOf, theme }: PluginProps) {
  const { data, error } = useApi<Layouts>(apiPath('custom_scalars'), versionOf());
  const categories = useMemo(() => (data ? mergeLayouts(data) : []), [data]);
  if (error) return <div className="banner error">{error}</div>;
  if (!data) return <div className="empty">Loading layouts…</div>;
  if (categories.length === 0) return <div className="empty">No custom-scalar layout was written.</div>;
  return (
    <>
      <div className="toolbar">
        <span className="muted">
          Layouts written with the custom-scalars plugin; smoothing and x axis as in Scalars.
        </span>
      </div>
      {categories.map((cat) => (
        <section key={cat.title} className="group">
          <div className="group-head">{cat.title}</div>
          <div className="grid">
            {cat.charts.map((chart) => {
              const requests = chartRequests(chart, selected);
              if (requests.length === 0)
                return (
                  <div key={chart.title} className="card">
                    <header className="card-head">
                      <h3>{chart.title}</h3>
                    </header>
                    <div className="card-body empty">
                      No selected run has the tags {chart.tags.join(', ')}.
                    </div>
                  </div>
                );
              return (
                <ScalarCard
                  key={chart.title}
                  title={chart.title}
                  requests={requests}
                  color={color}
                  view={view}
                  update={update}
                  version={versionOf()}
                  theme={theme}
                  bandTags={
                    chart.kind === 'margin' && chart.tags.length === 3
                      ? [chart.tags[2], chart.tags[1]]
                      : undefined
                  }
                />
              );
            })}
          </div>
        </section>
      ))}
    </>
  );
}

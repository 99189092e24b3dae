import { useMemo, useState } from 'react';
import { apiPath } from '../../app/api';
import { useApiAll } from '../../app/useApi';
import { LazyCard } from '../../components/LazyCard';
import { StepSlider } from '../../components/StepSlider';
import { TagFilter, TagSections, tagsOfKind } from '../../components/TagSections';
import { XYPlot, type XYSeries } from '../../components/XYPlot';
import { formatValue } from '../../lib/format';
import type { Theme } from '../../lib/viewState';
import type { PluginProps } from '../types';

export interface PrPoint {
  step: number;
  wall_time: number;
  thresholds: number[];
  precision: number[];
  recall: number[];
  tp: number[];
  fp: number[];
  tn: number[];
  fn: number[];
}

export function PrCurvesView({ selected, color, view, update, versionOf, theme }: PluginProps) {
  const tags = useMemo(() => tagsOfKind(selected, ['pr_curve'], view.tagFilter), [selected, view.tagFilter]);
  return (
    <>
      <div className="toolbar">
        <TagFilter value={view.tagFilter} onChange={(tagFilter) => update({ tagFilter })} />
        <span className="muted">Hover a curve for its threshold and confusion counts.</span>
      </div>
      <TagSections
        tags={[...tags.keys()]}
        empty="No PR-curve tags in the selected runs match."
        render={(tag) => (
          <LazyCard key={tag} title={tag} testId="pr-card">
            <PrCurve tag={tag} runs={tags.get(tag)!} color={color} version={versionOf(tag)} theme={theme} />
          </LazyCard>
        )}
      />
    </>
  );
}

/** The point of a run at the chosen step: the last one at or before it, else its first. */
export function pointAt(points: PrPoint[], step: number): PrPoint | null {
  let best: PrPoint | null = null;
  for (const p of points) if (p.step <= step && (!best || p.step >= best.step)) best = p;
  return best ?? points[0] ?? null;
}

function PrCurve({
  tag,
  runs,
  color,
  version,
  theme,
}: {
  tag: string;
  runs: string[];
  color(run: string): string;
  version: number;
  theme: Theme;
}) {
  const urls = runs.map((run) => apiPath('pr_curves', { run, tag }));
  const { data, error } = useApiAll<{ points: PrPoint[] }>(urls, version);
  const [chosen, setChosen] = useState<number | null>(null);
  const steps = useMemo(
    () => [...new Set(data.flatMap((d) => d?.points.map((p) => p.step) ?? []))].sort((a, b) => a - b),
    [data],
  );
  if (error) return <div className="hint error">{error}</div>;
  if (data.some((d) => !d)) return <div className="placeholder" />;
  const index = chosen === null ? steps.length - 1 : Math.min(chosen, steps.length - 1);
  const step = steps[index];
  const chosenPoints = runs.map((run, k) => ({ run, p: pointAt(data[k]!.points, step) }));
  const shown = chosenPoints.filter((c): c is { run: string; p: PrPoint } => c.p !== null);
  const series: XYSeries[] = shown.map(({ run, p }) => ({
    key: run,
    color: color(run),
    x: p.recall,
    y: p.precision,
    mode: 'line',
  }));
  return (
    <div className="media">
      <StepSlider steps={steps} index={index} onChange={setChosen} />
      <XYPlot
        series={series}
        xLabel="recall"
        yLabel="precision"
        xDomain={[0, 1]}
        yDomain={[0, 1.02]}
        theme={theme}
        testId="pr-plot"
        describe={(s, i) => {
          const { run, p } = shown[s];
          return `${run} · step ${p.step} · threshold ${formatValue(p.thresholds[i])} · precision ${formatValue(p.precision[i])} · recall ${formatValue(p.recall[i])} · TP ${p.tp[i]} FP ${p.fp[i]} TN ${p.tn[i]} FN ${p.fn[i]}`;
        }}
      />
    </div>
  );
}

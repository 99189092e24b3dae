import { useMemo, useState } from 'react';
import { apiPath, blobUrl } from '../../app/api';
import { useApi } from '../../app/useApi';
import { RunCards } from '../../components/RunCards';
import { StepSlider } from '../../components/StepSlider';
import { TagFilter, tagsOfKind } from '../../components/TagSections';
import type { PluginProps } from '../types';

interface AudioPoint {
  step: number;
  wall_time: number;
  count: number;
  sample_rate: number;
  content_type: string;
}

export function AudioView({ selected, color, view, update, versionOf }: PluginProps) {
  const tags = useMemo(() => tagsOfKind(selected, ['audio'], view.tagFilter), [selected, view.tagFilter]);
  return (
    <>
      <div className="toolbar">
        <TagFilter value={view.tagFilter} onChange={(tagFilter) => update({ tagFilter })} />
      </div>
      <RunCards
        tags={tags}
        empty="No audio tags in the selected runs match."
        testId="audio-card"
        color={color}
      >
        {(run, tag) => <AudioSeries run={run} tag={tag} version={versionOf(tag)} />}
      </RunCards>
    </>
  );
}

function AudioSeries({ run, tag, version }: { run: string; tag: string; version: number }) {
  const { data, error } = useApi<{ points: AudioPoint[] }>(apiPath('audio', { run, tag }), version);
  const [chosen, setChosen] = useState<number | null>(null);
  if (error) return <div className="hint error">{error}</div>;
  if (!data) return <div className="placeholder" />;
  const points = data.points;
  if (points.length === 0) return <div className="empty">No clips.</div>;
  const index = chosen === null ? points.length - 1 : Math.min(chosen, points.length - 1);
  const p = points[index];
  return (
    <div className="media">
      <StepSlider steps={points.map((q) => q.step)} index={index} onChange={setChosen} />
      {Array.from({ length: p.count }, (_, k) => `${p.step}:${k}`).map((id, k) => (
        // biome-ignore lint/a11y/useMediaCaption: clips from training logs carry no captions
        <audio key={id} controls preload="metadata" src={blobUrl(run, tag, p.step, k)} data-step={p.step} />
      ))}
      <div className="chart-caption muted">
        {p.sample_rate} Hz · {p.content_type}
      </div>
    </div>
  );
}

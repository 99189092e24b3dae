import { useMemo, useState } from 'react';
import { apiPath, blobUrl } from '../../app/api';
import { useApi } from '../../app/useApi';
import { RunCards } from '../../components/RunCards';
import { StepSlider } from '../../components/StepSlider';
import { TagFilter, tagsOfKind } from '../../components/TagSections';
import type { PluginProps } from '../types';

export interface ImagePoint {
  step: number;
  wall_time: number;
  count: number;
  width: number;
  height: number;
  content_type: string;
}

export function ImagesView({ selected, color, view, update, versionOf }: PluginProps) {
  const tags = useMemo(() => tagsOfKind(selected, ['image'], view.tagFilter), [selected, view.tagFilter]);
  const brightness = Number(view.extra.bright ?? 100);
  const contrast = Number(view.extra.contrast ?? 100);
  const actual = view.extra.actual === '1';
  const setExtra = (k: string, v: string) => update({ extra: { ...view.extra, [k]: v } });
  const filter = `brightness(${brightness}%) contrast(${contrast}%)`;
  return (
    <>
      <div className="toolbar">
        <TagFilter value={view.tagFilter} onChange={(tagFilter) => update({ tagFilter })} />
        <label className="control">
          Brightness
          <input
            type="range"
            min={0}
            max={300}
            value={brightness}
            onChange={(e) => setExtra('bright', e.target.value === '100' ? '' : e.target.value)}
            aria-label="Brightness"
          />
          <output>{brightness}%</output>
        </label>
        <label className="control">
          Contrast
          <input
            type="range"
            min={0}
            max={300}
            value={contrast}
            onChange={(e) => setExtra('contrast', e.target.value === '100' ? '' : e.target.value)}
            aria-label="Contrast"
          />
          <output>{contrast}%</output>
        </label>
        <label className="control">
          <input
            type="checkbox"
            checked={actual}
            onChange={(e) => setExtra('actual', e.target.checked ? '1' : '')}
          />
          Actual size
        </label>
        {(brightness !== 100 || contrast !== 100) && (
          <button
            type="button"
            className="link"
            onClick={() => update({ extra: { ...view.extra, bright: '', contrast: '' } })}
          >
            reset
          </button>
        )}
      </div>
      <RunCards
        tags={tags}
        empty="No image tags in the selected runs match."
        testId="image-card"
        color={color}
      >
        {(run, tag) => (
          <ImageSeries run={run} tag={tag} version={versionOf(tag)} filter={filter} actual={actual} />
        )}
      </RunCards>
    </>
  );
}

function ImageSeries({
  run,
  tag,
  version,
  filter,
  actual,
}: {
  run: string;
  tag: string;
  version: number;
  filter: string;
  actual: boolean;
}) {
  const { data, error } = useApi<{ points: ImagePoint[] }>(apiPath('images', { run, tag }), version);
  const [chosen, setChosen] = useState<number | null>(null);
  const [sample, setSample] = useState(0);
  if (error) return <div className="hint error">{error}</div>;
  if (!data) return <div className="placeholder" />;
  const points = data.points;
  if (points.length === 0) return <div className="empty">No images.</div>;
  const index = chosen === null ? points.length - 1 : Math.min(chosen, points.length - 1);
  const p = points[index];
  const k = Math.min(sample, p.count - 1);
  return (
    <div className="media">
      <StepSlider steps={points.map((q) => q.step)} index={index} onChange={setChosen} />
      {p.count > 1 && (
        <label className="control">
          Image
          <input
            type="range"
            min={0}
            max={p.count - 1}
            value={k}
            onChange={(e) => setSample(Number(e.target.value))}
            aria-label="Image index"
          />
          <output>
            {k + 1}/{p.count}
          </output>
        </label>
      )}
      <div className={actual ? 'image-frame actual' : 'image-frame'}>
        <img
          src={blobUrl(run, tag, p.step, k)}
          alt={`${tag} at step ${p.step}`}
          data-step={p.step}
          decoding="async"
          style={{ filter }}
          width={actual ? p.width || undefined : undefined}
          height={actual ? p.height || undefined : undefined}
        />
      </div>
      <div className="chart-caption muted">
        {p.width}×{p.height} · {p.content_type}
      </div>
    </div>
  );
}

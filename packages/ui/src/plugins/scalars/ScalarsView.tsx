import { useMemo } from 'react';
import { TagFilter, TagSections, tagsOfKind } from '../../components/TagSections';
import type { XAxis } from '../../lib/viewState';
import type { PluginProps } from '../types';
import { ScalarCard } from './ScalarCard';

export function ScalarsView({ selected, color, view, update, versionOf, theme }: PluginProps) {
  const tags = useMemo(() => tagsOfKind(selected, ['scalar'], view.tagFilter), [selected, view.tagFilter]);
  return (
    <>
      <div className="toolbar">
        <TagFilter value={view.tagFilter} onChange={(tagFilter) => update({ tagFilter })} />
        <label className="control">
          Smoothing
          <input
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={view.smoothing}
            onChange={(e) => update({ smoothing: Number(e.target.value) })}
            aria-label="Smoothing"
          />
          <output>{view.smoothing.toFixed(2)}</output>
        </label>
        <label className="control">
          X axis
          <select
            value={view.x}
            onChange={(e) => update({ x: e.target.value as XAxis, zoom: null })}
            aria-label="X axis"
          >
            <option value="step">Step</option>
            <option value="relative">Relative time</option>
            <option value="wall">Wall time</option>
          </select>
        </label>
        <label className="control">
          <input type="checkbox" checked={view.log} onChange={(e) => update({ log: e.target.checked })} />
          Log scale
        </label>
        <label className="control">
          <input
            type="checkbox"
            checked={view.robust}
            onChange={(e) => update({ robust: e.target.checked })}
          />
          Ignore outliers
        </label>
        {view.zoom && (
          <button
            type="button"
            className="chip"
            onClick={() => update({ zoom: null })}
            title="Or double-click a chart"
          >
            Zoom {Number(view.zoom[0].toPrecision(4))} – {Number(view.zoom[1].toPrecision(4))} ✕
          </button>
        )}
      </div>
      <TagSections
        tags={[...tags.keys()]}
        empty="No scalar tags in the selected runs match."
        render={(tag) => (
          <ScalarCard
            key={tag}
            title={tag}
            requests={[{ tag, runs: tags.get(tag)! }]}
            color={color}
            view={view}
            update={update}
            version={versionOf(tag)}
            theme={theme}
          />
        )}
      />
    </>
  );
}

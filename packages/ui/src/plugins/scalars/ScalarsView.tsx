import { useMemo } from 'react';
import { TagFilter, TagSections } from '../../components/TagSections';
import type { XAxis } from '../../lib/viewState';
import type { PluginProps } from '../types';
import { scalarCards } from './cards';
import { ScalarCard } from './ScalarCard';

export function ScalarsView({ runs, selected, color, view, update, versionOf, theme }: PluginProps) {
  const cards = useMemo(() => scalarCards(runs, selected, view.tagFilter), [runs, selected, view.tagFilter]);
  const mark = parseMark(view.extra.mark, view.x);
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
        {view.extra.mark && (
          <button
            type="button"
            className="chip"
            onClick={() => update({ extra: { ...view.extra, mark: '' } })}
            title="Remove the marked step"
          >
            Mark {view.extra.mark.replace(':', ' · ')} ✕
          </button>
        )}
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
        tags={[...cards.keys()]}
        empty="No scalar tags in the selected runs match."
        render={(tag) => (
          <ScalarCard
            key={tag}
            title={tag}
            requests={[{ tag, runs: cards.get(tag)! }]}
            color={color}
            view={view}
            update={update}
            version={versionOf(tag)}
            theme={theme}
            mark={mark}
          />
        )}
      />
    </>
  );
}

/** `mark=STEP:LABEL` in the URL (a doctor finding's onset): a line on every chart, on the step axis. */
export function parseMark(value: string | undefined, x: XAxis): { x: number; label: string } | null {
  if (!value || x !== 'step') return null;
  const [step, ...rest] = value.split(':');
  const n = Number(step);
  if (!step || !Number.isFinite(n)) return null;
  const label = rest.join(':');
  return { x: n, label: label ? `${label} @ step ${n}` : `step ${n}` };
}

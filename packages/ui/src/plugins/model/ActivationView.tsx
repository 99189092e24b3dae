/**
 * One output tensor of the selected node in the last run: its statistics and histogram (computed by
 * the server's capture), and its feature maps or attention heads as the server draws them.
 */
import { useState } from 'react';
import { formatValue } from '../../lib/format';
import { HistogramBars } from './HistogramBars';
import { imageUrl, type RunResult, type RunTensor } from './runApi';
import { StatRows } from './StatRows';

const num = (v: number | null | undefined) => (typeof v === 'number' ? formatValue(v) : '—');

export function ActivationView({ name, tensor, run }: { name: string; tensor: RunTensor; run: RunResult }) {
  const featureMap = run.images.feature_maps[name];
  const heads = run.images.attention[name];
  const origin = run.nan_origin?.kind === 'node' && run.nan_origin.outputs.includes(name);
  return (
    <section className="activation" data-testid="activation" data-name={name}>
      <h4 className="weight-name" title={name}>
        {name}
      </h4>
      <div className="muted">
        {tensor.dtype} [{tensor.shape.join(' × ')}]
      </div>
      {origin && (
        <div className="banner error" data-testid="nan-origin-here">
          NaN/Inf first appear here: the inputs of this node are finite.
        </div>
      )}
      {tensor.zeros === undefined ? (
        <p className="muted">No statistics (not a numeric tensor).</p>
      ) : (
        <>
          <StatsTable t={tensor} />
          {tensor.histogram && (
            <HistogramBars
              counts={tensor.histogram.counts}
              edges={tensor.histogram.edges}
              height={80}
              testId="activation-histogram"
              label="Histogram of the activations"
            />
          )}
        </>
      )}
      {featureMap && (
        <>
          <h4>Feature maps (item 0, each map on its own scale)</h4>
          <img
            className="run-image"
            src={imageUrl(featureMap)}
            alt={`feature maps of ${name}`}
            data-testid="feature-map"
          />
        </>
      )}
      {heads && heads.length > 0 && <AttentionHeads heads={heads} name={name} t={tensor} />}
    </section>
  );
}

function StatsTable({ t }: { t: RunTensor }) {
  const count = t.shape.reduce((a, b) => a * b, 1);
  const rows: [string, string][] = [
    ['mean', num(t.mean)],
    ['std', num(t.std)],
    ['min', num(t.min)],
    ['max', num(t.max)],
    ['zeros', `${((t.zeros ?? 0) * 100).toFixed(1)}% of ${count.toLocaleString('en')}`],
    ['NaN', (t.nan ?? 0).toLocaleString('en')],
    ['Inf', (t.inf ?? 0).toLocaleString('en')],
  ];
  if (t.dead_channels) rows.push(['dead channels', deadText(t.dead_channels, t.shape[1])]);
  if (t.saturation !== undefined) rows.push(['saturated', `${(t.saturation * 100).toFixed(1)}%`]);
  if (t.attention)
    rows.push([
      'attention',
      `${t.attention.heads} maps of ${t.attention.queries} queries × ${t.attention.keys} keys`,
    ]);
  return <StatRows rows={rows} testId="activation-stats" />;
}

function deadText(dead: number[], channels: number): string {
  if (!dead.length) return `none of ${channels}`;
  const list = dead.slice(0, 12).join(', ');
  return `${dead.length} of ${channels} (${list}${dead.length > 12 ? ', …' : ''})`;
}

function AttentionHeads({ heads, name, t }: { heads: string[]; name: string; t: RunTensor }) {
  const [head, setHead] = useState(0);
  const shown = Math.min(head, heads.length - 1);
  return (
    <>
      <h4>Attention (queries down, keys across)</h4>
      <label className="muted">
        map{' '}
        <select
          className="control"
          aria-label="Attention map"
          value={shown}
          onChange={(e) => setHead(Number(e.target.value))}
        >
          {heads.map((_, h) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: heads are positions
            <option key={h} value={h}>
              {h + 1} of {heads.length}
            </option>
          ))}
        </select>
      </label>
      <img
        className="run-image"
        src={imageUrl(heads[shown])}
        alt={`attention map ${shown + 1} of ${name}`}
        data-testid="attention-map"
        title={`${t.attention?.queries ?? '?'} queries × ${t.attention?.keys ?? '?'} keys`}
      />
    </>
  );
}

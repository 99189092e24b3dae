import { useMemo, useState } from 'react';
import { apiPath } from '../../app/api';
import { useApi } from '../../app/useApi';
import { RunCards } from '../../components/RunCards';
import { TagFilter, tagsOfKind } from '../../components/TagSections';
import { renderMarkdown } from '../../lib/markdown';
import type { PluginProps } from '../types';

interface TextPoint {
  step: number;
  wall_time: number;
  shape: number[];
  strings: string[];
  truncated?: boolean;
}

export function TextView({ selected, color, view, update, versionOf }: PluginProps) {
  const tags = useMemo(() => tagsOfKind(selected, ['text'], view.tagFilter), [selected, view.tagFilter]);
  return (
    <>
      <div className="toolbar">
        <TagFilter value={view.tagFilter} onChange={(tagFilter) => update({ tagFilter })} />
      </div>
      <RunCards
        tags={tags}
        empty="No text tags in the selected runs match."
        testId="text-card"
        wide
        color={color}
      >
        {(run, tag) => <TextSeries run={run} tag={tag} version={versionOf(tag)} />}
      </RunCards>
    </>
  );
}

const PAGE = 10;

function TextSeries({ run, tag, version }: { run: string; tag: string; version: number }) {
  const { data, error } = useApi<{ points: TextPoint[] }>(apiPath('text', { run, tag }), version);
  const [shown, setShown] = useState(PAGE);
  if (error) return <div className="hint error">{error}</div>;
  if (!data) return <div className="placeholder" />;
  const newestFirst = [...data.points].reverse();
  return (
    <div className="text-steps">
      {newestFirst.slice(0, shown).map((p) => (
        <article key={`${p.step}-${p.wall_time}`} className="text-step" data-step={p.step}>
          <div className="step-label muted">step {p.step}</div>
          <TextValue point={p} />
        </article>
      ))}
      {newestFirst.length > shown && (
        <button type="button" className="link" onClick={() => setShown(shown + PAGE)}>
          Show {Math.min(PAGE, newestFirst.length - shown)} older steps
        </button>
      )}
    </div>
  );
}

/** A scalar string, a list, or a 2-D string tensor shown as a table, every cell as safe markdown. */
function TextValue({ point }: { point: TextPoint }) {
  const { shape, strings } = point;
  const note = point.truncated ? (
    <div className="hint">Truncated by the server: the string is over 1 MB.</div>
  ) : null;
  if (shape.length === 2 && shape[0] * shape[1] === strings.length && strings.length > 1) {
    const [rows, cols] = shape;
    return (
      <>
        <table className="text-table">
          <tbody>
            {Array.from({ length: rows }, (_, r) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: cells of a fixed tensor
              <tr key={r}>
                {Array.from({ length: cols }, (_, c) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: cells of a fixed tensor
                  <td key={c}>
                    <Markdown src={strings[r * cols + c]} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {note}
      </>
    );
  }
  return (
    <>
      {strings.map((s, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: strings of a fixed tensor
        <Markdown key={i} src={s} />
      ))}
      {note}
    </>
  );
}

function Markdown({ src }: { src: string }) {
  const r = useMemo(() => renderMarkdown(src), [src]);
  if (r.html !== null)
    // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitized by DOMPurify in renderMarkdown
    return <div className="markdown" data-testid="markdown" dangerouslySetInnerHTML={{ __html: r.html }} />;
  return (
    <div className="markdown">
      <pre className="plain">{r.plain}</pre>
      <div className="hint">
        Shown as plain text: too long to render as markdown
        {r.truncated > 0 ? `; ${r.truncated.toLocaleString()} more characters not shown` : ''}.
      </div>
    </div>
  );
}

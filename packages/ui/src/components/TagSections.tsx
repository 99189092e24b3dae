import { type ReactNode, useMemo, useState } from 'react';
import type { Kind, RunInfo } from '../app/types';
import { getOrCreate } from '../lib/maps';
import { filterRegex, groupTags } from '../lib/tags';

/** Tags of the given kinds among the selected runs, each with the runs that have it. */
export function tagsOfKind(runs: RunInfo[], kinds: readonly Kind[], filter: string): Map<string, string[]> {
  const re = filterRegex(filter);
  const out = new Map<string, string[]>();
  for (const r of runs)
    for (const t of r.tags) {
      if (!kinds.includes(t.kind) || !re.test(t.tag)) continue;
      getOrCreate(out, t.tag, () => [] as string[]).push(r.name);
    }
  return out;
}

/** Tags grouped by prefix into collapsible sections of cards. */
export function TagSections({
  tags,
  render,
  empty,
}: {
  tags: string[];
  render(tag: string): ReactNode;
  empty: string;
}) {
  const key = tags.join('\n');
  // biome-ignore lint/correctness/useExhaustiveDependencies: the joined names are the identity of the list
  const groups = useMemo(() => groupTags(tags), [key]);
  const [closed, setClosed] = useState<Set<string>>(new Set());
  if (groups.length === 0) return <div className="empty">{empty}</div>;
  return (
    <>
      {groups.map((g) => {
        const open = !closed.has(g.prefix);
        return (
          <section key={g.prefix} className="group" data-group={g.prefix}>
            <button
              type="button"
              className="group-head"
              aria-expanded={open}
              onClick={() => {
                const next = new Set(closed);
                if (open) next.add(g.prefix);
                else next.delete(g.prefix);
                setClosed(next);
              }}
            >
              <span className="chevron">{open ? '▾' : '▸'}</span>
              {g.prefix}
              <span className="count">{g.tags.length}</span>
            </button>
            {open && <div className="grid">{g.tags.map((t) => render(t))}</div>}
          </section>
        );
      })}
    </>
  );
}

export function TagFilter({ value, onChange }: { value: string; onChange(v: string): void }) {
  const error = filterRegex(value).error;
  return (
    <input
      type="search"
      className="tag-filter"
      placeholder="Filter tags (regex)"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      aria-label="Filter tags"
      aria-invalid={!!error}
      spellCheck={false}
    />
  );
}

/** The small "run" label with its colour, used in cards that show one run. */
export function RunLabel({ run, color }: { run: string; color: string }) {
  return (
    <span className="run-label">
      <span className="swatch" style={{ background: color, borderColor: color }} />
      {run}
    </span>
  );
}

import { useState } from 'react';
import type { RunInfo } from './types';

/** Runs with unreadable records are still shown; this says which file and byte offset went wrong. */
export function IssuesBanner({ runs }: { runs: RunInfo[] }) {
  const [open, setOpen] = useState(false);
  const bad = runs.filter((r) => r.issues?.length);
  if (bad.length === 0) return null;
  const count = bad.reduce((n, r) => n + (r.issues?.length ?? 0), 0);
  return (
    <div className="banner warning" data-testid="issues-banner">
      <button type="button" className="link" onClick={() => setOpen(!open)} aria-expanded={open}>
        ⚠ {count} read problem{count === 1 ? '' : 's'} in {bad.length} run{bad.length === 1 ? '' : 's'}; the
        rest of each file was kept. {open ? 'Hide' : 'Show'}
      </button>
      {open && (
        <ul>
          {bad.flatMap((r) =>
            (r.issues ?? []).map((i) => (
              <li key={`${r.name}|${i.file}|${i.offset}`}>
                <b>{r.name}</b>: {i.file} at byte {i.offset}: {i.message}
              </li>
            )),
          )}
        </ul>
      )}
    </div>
  );
}

import { useEffect } from 'react';
import type { Finding } from './doctor';

export interface Toast {
  key: number;
  run: string;
  finding: Finding;
}

/** Newest toasts shown at most; older ones are summed up in a line. */
const SHOWN = 4;
const LIFETIME_MS = 30_000;

/**
 * In-page notifications of new doctor findings (announced to screen readers through a live region).
 * Each can be opened (its chart) or dismissed; they go away on their own after half a minute.
 */
export function Toasts({
  toasts,
  dismiss,
  open,
}: {
  toasts: Toast[];
  dismiss(keys: number[]): void;
  open(t: Toast): void;
}) {
  const oldest = toasts[0]?.key;
  useEffect(() => {
    if (oldest === undefined) return;
    const t = setTimeout(() => dismiss([oldest]), LIFETIME_MS);
    return () => clearTimeout(t);
  }, [oldest, dismiss]);
  const shown = toasts.slice(-SHOWN);
  const hidden = toasts.length - shown.length;
  return (
    <section className="toasts" role="status" aria-live="polite" aria-label="Notifications">
      {hidden > 0 && (
        <div className="toast more">
          and {hidden} more new finding{hidden > 1 ? 's' : ''}{' '}
          <button type="button" className="link" onClick={() => dismiss(toasts.map((t) => t.key))}>
            dismiss all
          </button>
        </div>
      )}
      {shown.map((t) => (
        <div key={t.key} className={`toast ${t.finding.severity}`} data-testid="toast">
          <div className="toast-text">
            <strong>{t.finding.id}</strong> in <span className="mono">{t.run}</span> at step {t.finding.step}
          </div>
          <button type="button" className="link" onClick={() => open(t)}>
            show
          </button>
          <button
            type="button"
            className="icon-button small"
            aria-label={`Dismiss ${t.finding.id} in ${t.run}`}
            onClick={() => dismiss([t.key])}
          >
            ✕
          </button>
        </div>
      ))}
    </section>
  );
}

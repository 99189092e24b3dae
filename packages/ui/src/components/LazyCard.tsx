import { type ReactNode, useEffect, useLayoutEffect, useRef, useState } from 'react';

/** How far outside the viewport a card counts as near: it starts loading before it scrolls in. */
const MARGIN = 200;

/**
 * A card whose content mounts only once it scrolls near the viewport, so a dashboard with hundreds
 * of tags fetches and draws only what a person can see (and the first chart appears at once).
 * With `release`, content that scrolls away again is unmounted (its requests in flight are
 * cancelled); the card keeps its height so the page does not jump, and cached data redraws it.
 */
export function LazyCard({
  title,
  actions,
  children,
  wide,
  testId,
  release,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  wide?: boolean;
  testId?: string;
  release?: boolean;
}) {
  const ref = useRef<HTMLElement>(null);
  const body = useRef<HTMLDivElement>(null);
  const [near, setNear] = useState(false);
  const height = useRef(0);
  // cards already on screen mount before the first paint, without waiting for the observer's callback
  useLayoutEffect(() => {
    const r = ref.current?.getBoundingClientRect();
    if (r && r.top < window.innerHeight + MARGIN && r.bottom > -MARGIN) setNear(true);
  }, []);
  useEffect(() => {
    const el = ref.current;
    if (!el || (near && !release)) return;
    const io = new IntersectionObserver(
      (entries) => {
        const e = entries[entries.length - 1];
        if (!e.isIntersecting && body.current) height.current = body.current.offsetHeight;
        setNear(e.isIntersecting);
      },
      { rootMargin: `${MARGIN}px` },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [near, release]);
  return (
    <section ref={ref} className={wide ? 'card wide' : 'card'} data-testid={testId} data-title={title}>
      <header className="card-head">
        <h3 title={title}>{title}</h3>
        {actions && <div className="card-actions">{actions}</div>}
      </header>
      <div className="card-body" ref={body}>
        {near ? (
          children
        ) : (
          <div className="placeholder" style={height.current ? { height: height.current - 14 } : undefined} />
        )}
      </div>
    </section>
  );
}

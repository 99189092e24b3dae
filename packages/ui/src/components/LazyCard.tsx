import { type ReactNode, useEffect, useLayoutEffect, useRef, useState } from 'react';

/**
 * A card whose content mounts only once it scrolls near the viewport, so a dashboard with hundreds
 * of tags fetches and draws only what a person can see (and the first chart appears at once).
 */
export function LazyCard({
  title,
  actions,
  children,
  wide,
  testId,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  wide?: boolean;
  testId?: string;
}) {
  const ref = useRef<HTMLElement>(null);
  const [seen, setSeen] = useState(false);
  // cards already on screen mount before the first paint, without waiting for the observer's callback
  useLayoutEffect(() => {
    const top = ref.current?.getBoundingClientRect().top;
    if (top !== undefined && top < window.innerHeight + 300) setSeen(true);
  }, []);
  useEffect(() => {
    const el = ref.current;
    if (!el || seen) return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setSeen(true), {
      rootMargin: '300px',
    });
    io.observe(el);
    return () => io.disconnect();
  }, [seen]);
  return (
    <section ref={ref} className={wide ? 'card wide' : 'card'} data-testid={testId} data-title={title}>
      <header className="card-head">
        <h3 title={title}>{title}</h3>
        {actions && <div className="card-actions">{actions}</div>}
      </header>
      <div className="card-body">{seen ? children : <div className="placeholder" />}</div>
    </section>
  );
}

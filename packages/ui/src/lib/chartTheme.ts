/** Colours and fonts of charts, read from the page's CSS variables so both themes stay in one place. */
export interface ChartTheme {
  axis: string;
  grid: string;
  text: string;
  font: string;
  background: string;
}

export function chartTheme(): ChartTheme {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    axis: v('--chart-axis', '#6b7280'),
    grid: v('--chart-grid', 'rgba(128,128,128,0.15)'),
    text: v('--text', '#111'),
    font: `11px ${v('--font-sans', 'system-ui, sans-serif')}`,
    background: v('--surface', '#fff'),
  };
}

/** "hsl(210 60% 40%)" -> "hsl(210 60% 40% / 0.3)"; other colour syntaxes are returned unchanged. */
export function withAlpha(color: string, alpha: number): string {
  return color.startsWith('hsl(') && !color.includes('/') ? `${color.slice(0, -1)} / ${alpha})` : color;
}

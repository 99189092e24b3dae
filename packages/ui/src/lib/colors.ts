/** FNV-1a over UTF-16 code units: a small, stable hash so a run keeps its colour across sessions. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// Hand-picked hues that stay distinct on white and on near-black; a hash picks one and nudges it,
// so two runs rarely share a colour and a run's colour never depends on which other runs exist.
const BASE_HUES = [210, 25, 140, 350, 270, 45, 185, 310, 95, 0, 230, 160];

export function runColor(name: string, theme: 'light' | 'dark'): string {
  const h = hashString(name);
  const hue = (BASE_HUES[h % BASE_HUES.length] + ((h >>> 8) % 17) - 8 + 360) % 360;
  const sat = 62 + ((h >>> 16) % 4) * 6;
  const light = theme === 'dark' ? 62 + ((h >>> 20) % 3) * 5 : 42 + ((h >>> 20) % 3) * 5;
  return `hsl(${hue} ${sat}% ${light}%)`;
}

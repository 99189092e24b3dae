/** FNV-1a over UTF-16 code units: a small, stable hash so a run keeps its colour across sessions. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// 12 hues 30° apart, ordered so neighbouring slots differ most, each in two lightnesses: 24 slots.
const HUES = [212, 28, 150, 330, 90, 270, 185, 0, 120, 300, 50, 240];
export const SLOTS = HUES.length * 2;

export function slotColor(slot: number, theme: 'light' | 'dark'): string {
  const hue = HUES[slot % HUES.length];
  const second = slot >= HUES.length;
  const light = theme === 'dark' ? (second ? 50 : 66) : second ? 30 : 46;
  return `hsl(${hue} ${second ? 60 : 72}% ${light}%)`;
}

/**
 * A colour slot per run: the slot its name hashes to, or (when another run already holds it) the
 * next free one, runs taken in name order. A run's colour depends only on its name unless it
 * collides, and the first 24 runs never share a colour.
 */
export function assignSlots(names: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  const taken = new Uint16Array(SLOTS);
  const sorted = [...names].sort();
  for (const name of sorted) {
    const want = hashString(name) % SLOTS;
    let best = want;
    for (let k = 0; k < SLOTS; k++) {
      const s = (want + k) % SLOTS;
      if (taken[s] < taken[best]) best = s;
      if (taken[s] === 0) {
        best = s;
        break;
      }
    }
    taken[best]++;
    out.set(name, best);
  }
  return out;
}

/** The colour of a run given the slots of all runs (a run not in `slots` falls back to its hash). */
export function runColor(name: string, theme: 'light' | 'dark', slots?: Map<string, number>): string {
  return slotColor(slots?.get(name) ?? hashString(name) % SLOTS, theme);
}

import { getOrCreate } from './maps';

/** Tags grouped by their first path segment ("loss/train" -> "loss"), groups and tags in name order. */
export function groupTags(tags: Iterable<string>): { prefix: string; tags: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const tag of tags) {
    const slash = tag.indexOf('/');
    const prefix = slash > 0 ? tag.slice(0, slash) : tag;
    const list = getOrCreate(groups, prefix, () => [] as string[]);
    if (!list.includes(tag)) list.push(tag);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compareNatural(a, b))
    .map(([prefix, list]) => ({ prefix, tags: list.sort(compareNatural) }));
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
/** "run_2" before "run_10". */
export function compareNatural(a: string, b: string): number {
  return collator.compare(a, b);
}

/** A user-typed filter as a case-insensitive regex; an invalid pattern falls back to a literal match. */
export function filterRegex(pattern: string): { test(s: string): boolean; error: string | null } {
  if (!pattern) return { test: () => true, error: null };
  try {
    const re = new RegExp(pattern, 'i');
    return { test: (s) => re.test(s), error: null };
  } catch (e) {
    const lower = pattern.toLowerCase();
    return { test: (s) => s.toLowerCase().includes(lower), error: (e as Error).message };
  }
}

/** Where a logdir's index lives: $XDG_CACHE_HOME/tensorscope (or ~/.cache/tensorscope), keyed by path. */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'tensorscope');
}

/** `<root>/<basename>-<hash of the absolute path>`: readable, and unique per logdir set. */
export function cacheDirFor(logdirs: readonly string[], root = cacheRoot()): string {
  const abs = logdirs.map((d) => resolve(d)).sort();
  const hash = createHash('sha256').update(abs.join('\0')).digest('hex').slice(0, 16);
  const name = (abs.length === 1 ? basename(abs[0]) : 'multi').replace(/[^\w.-]/g, '_') || 'root';
  return join(root, `${name}-${hash}`);
}

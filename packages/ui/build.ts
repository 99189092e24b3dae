/**
 * Builds packages/ui/dist when it is missing or older than any source file: the browser tests and
 * `tensorscope serve` need the built page. `ensureUiBuilt()` returns the dist folder.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = import.meta.dirname;
export const distDir = join(root, 'dist');

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const f of readdirSync(path)) m = Math.max(m, newest(join(path, f)));
  return m;
}

export function uiIsStale(): boolean {
  const index = join(distDir, 'index.html');
  if (!existsSync(index)) return true;
  // the page bundles code from the format readers and analysis too (the model view parses in the browser)
  const sources = Math.max(
    newest(join(root, 'src')),
    newest(join(root, 'index.html')),
    newest(join(root, 'vite.config.ts')),
    newest(join(root, '../formats')),
    newest(join(root, '../analysis')),
  );
  return sources > statSync(index).mtimeMs;
}

/** One build at a time across processes (test files run in parallel and all need the UI). */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(root, '.build.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // a lock left by a killed process is taken over after five minutes
      const since = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (since > 300_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function ensureUiBuilt(): Promise<string> {
  if (!uiIsStale()) return distDir;
  await withBuildLock(async () => {
    if (!uiIsStale()) return; // another process built it while this one waited
    const { build } = await import('vite');
    // vitest sets NODE_ENV=test, which would make Vite bundle React's development build
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
    } finally {
      process.env.NODE_ENV = env;
    }
  });
  return distDir;
}

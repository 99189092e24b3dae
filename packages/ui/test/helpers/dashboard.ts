/** The real server over some logdirs, with the built UI, on an ephemeral loopback port. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '@tensorscope/server';
import { ensureUiBuilt } from '../../build';

export interface Dashboard {
  server: RunningServer;
  url: string;
  api<T>(path: string): Promise<T>;
  close(): Promise<void>;
}

export async function startDashboard(paths: string[]): Promise<Dashboard> {
  const uiDir = await ensureUiBuilt();
  const cacheDir = mkdtempSync(join(tmpdir(), 'tensorscope-ui-cache-'));
  const server = await startServer({ paths, port: 0, cacheDir, uiDir, pollMillis: 200 });
  return {
    server,
    url: server.url,
    async api<T>(path: string): Promise<T> {
      const res = await fetch(new URL(path, server.url));
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    async close() {
      await server.close();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or `ms` pass. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

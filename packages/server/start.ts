/**
 * Starts a dashboard server over logdirs (and model files): opens the index in the cache directory,
 * listens on the first free port from `port`, then indexes in the background and keeps tailing.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { cacheDirFor, DuckDBStore, type OpenResult, type Store } from '@tensorscope/store';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app';
import { type IndexChange, Indexer } from './ingest/indexer';
import { LiveIndex } from './live';
import { isLoopback } from './security';
import { EventHub } from './sse';

export interface ServeOptions {
  /** directories (logdirs) and files (models) */
  paths: readonly string[];
  host?: string;
  /** first port to try; 0 = any free port */
  port?: number;
  cacheDir?: string;
  uiDir?: string;
  /** required on a non-loopback host; generated when omitted */
  token?: string;
  pollMillis?: number;
  onChange?: (c: IndexChange) => void;
  /** points indexed so far in the current poll (the first one is the long one) */
  onProgress?: (points: number) => void;
}

export interface RunningServer {
  url: string;
  /** the URL to open, with the token when one is needed */
  openUrl: string;
  port: number;
  host: string;
  token?: string;
  logdirs: string[];
  models: string[];
  app: FastifyInstance;
  store: Store;
  rebuilt: OpenResult['rebuilt'];
  live: LiveIndex;
  hub: EventHub;
  close(): Promise<void>;
}

/** Splits paths into logdirs and model files; throws a one-sentence error for a path that is neither. */
export function classifyPaths(paths: readonly string[]): { logdirs: string[]; models: string[] } {
  const logdirs: string[] = [];
  const models: string[] = [];
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new Error(`${p}: no such logdir or model file.`);
    }
    if (st.isDirectory()) logdirs.push(resolve(p));
    else if (st.isFile()) models.push(resolve(p));
    else throw new Error(`${p}: not a directory or a regular file.`);
  }
  return { logdirs, models };
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { logdirs, models } = classifyPaths(opts.paths);
  const host = opts.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  const token = loopback ? opts.token : (opts.token ?? randomBytes(24).toString('base64url'));
  const { store, rebuilt } = await DuckDBStore.open(
    opts.cacheDir ?? cacheDirFor(logdirs.length ? logdirs : models),
  );
  const hub = new EventHub();
  const app = await buildApp({ store, hub, uiDir: opts.uiDir, models, token, loopback });
  const port = await listen(app, host, opts.port ?? 6006);
  const indexer = new Indexer(logdirs, store);
  const live = new LiveIndex(indexer, hub, opts.pollMillis ?? 1000, opts.onChange, opts.onProgress);
  live.start();
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/`;
  return {
    url,
    openUrl: token ? `${url}?token=${token}` : url,
    port,
    host,
    token,
    logdirs,
    models,
    app,
    store,
    rebuilt,
    live,
    hub,
    async close() {
      await live.stop();
      await indexer.close();
      hub.close();
      await app.close();
      await store.close();
    },
  };
}

/** Listens on `port`, or the next free one (up to 100 further); port 0 takes any free port. */
async function listen(app: FastifyInstance, host: string, port: number): Promise<number> {
  let p = port;
  while (port !== 0 && !(await isFree(host, p))) {
    if (++p > port + 100)
      throw new Error(`ports ${port} to ${p - 1} on ${host} are all in use; pass --port.`);
  }
  await app.listen({ host, port: p });
  const addr = app.server.address();
  return typeof addr === 'object' && addr ? addr.port : p;
}

function isFree(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => done(true)));
  });
}

/**
 * `tensorscope serve [PATH...] [--port 6006] [--host 127.0.0.1]`: the dashboards over logdirs (and
 * the model viewer over model files). Indexes in the background, keeps tailing, and serves the
 * built UI, building it first (vite build) when packages/ui/dist is missing or stale.
 */

import { startServer } from '@tensorscope/server';
import { ensureUiBuilt, uiIsStale } from '@tensorscope/ui/build';
import { parseArgs, stringFlag } from '../args';
import { UsageError } from '../errors';

export const usage =
  'serve [PATH...] [--port 6006] [--host 127.0.0.1]  logdirs and/or model files; opens the UI';

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const portText = stringFlag(args, 'port') ?? '6006';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port ${JSON.stringify(portText)} is not a port number (0 to 65535).`);
  }
  const host = stringFlag(args, 'host') ?? '127.0.0.1';
  for (const flag of args.flags.keys()) {
    if (!['port', 'host', 'cache-dir', 'token'].includes(flag))
      throw new UsageError(`serve has no --${flag} option.`);
  }
  const uiDir = await buildUi();
  const tty = process.stderr.isTTY;
  const started = Date.now();
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      paths: args.positionals,
      host,
      port,
      uiDir,
      cacheDir: stringFlag(args, 'cache-dir'),
      token: stringFlag(args, 'token'),
      onProgress: tty
        ? (n) => process.stderr.write(`\rindexing: ${n.toLocaleString('en-US')} points`)
        : undefined,
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\.?$/, '.'));
  }
  const what =
    [...server.logdirs, ...server.models].join(', ') || 'no logdir (drop a model file on the page)';
  process.stdout.write(`tensorscope serving ${what} at ${server.openUrl}\n`);
  if (server.token)
    process.stdout.write('the API needs the token in that URL: this server is reachable from other hosts\n');
  void server.live.ready.then(() => {
    if (tty) process.stderr.write('\r\x1b[K');
    const runs = server.store.runs().then((r) => r.length);
    void runs.then((n) =>
      process.stderr.write(
        `indexed ${n} runs in ${((Date.now() - started) / 1000).toFixed(1)} s; watching for new data\n`,
      ),
    );
  });
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

/** The built UI, building it when missing or stale; without it the API still serves. */
async function buildUi(): Promise<string | undefined> {
  try {
    if (uiIsStale()) process.stderr.write('building the UI (vite build)...\n');
    return await ensureUiBuilt();
  } catch (err) {
    process.stderr.write(
      `tensorscope: could not build the UI (${(err as Error).message.split('\n')[0]}); ` +
        'run `npm run build -w @tensorscope/ui`. Serving the API only.\n',
    );
    return undefined;
  }
}

/**
 * `tensorscope demo`: the main job on a fresh machine. Starts the dashboard over ./runs/demo, then
 * trains a small CNN on real MNIST digits with TF.js, instrumented by the SDK, twice: a healthy run
 * and one with a learning rate far too high. The runs appear live in the dashboard; at the end the
 * doctor says what went wrong with the second. `--quick` trains a handful of steps (for tests).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DemoRun, Progress, RunResult } from '@tensorscope/sdk/demo';
import { parseArgs, stringFlag } from '../args';
import { UsageError } from '../errors';

export const usage =
  'demo [--quick] [--no-serve] [--port 6006] [--logdir runs/demo] [--seconds 90]   train a CNN on MNIST, live';

interface Dashboard {
  openUrl: string;
  close(): Promise<void>;
}

const say = (s: string) => process.stdout.write(`${s}\n`);

/** A one-line progress bar on a TTY; a plain line every tenth of the run otherwise. */
class Bar {
  private lastTenth = -1;
  private readonly tty = process.stdout.isTTY === true;

  update(p: Progress): void {
    const pct = Math.floor(p.fraction * 100);
    const text = `step ${p.step}  loss ${p.loss.toFixed(3)}  acc ${p.acc.toFixed(2)}`;
    if (this.tty) {
      const filled = Math.round(p.fraction * 30);
      process.stdout.write(
        `\r${p.run.padEnd(18)} [${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${String(pct).padStart(3)}%  ${text}\x1b[K`,
      );
    } else if (Math.floor(pct / 10) !== this.lastTenth) {
      this.lastTenth = Math.floor(pct / 10);
      say(`${p.run}: ${pct}%  ${text}`);
    }
  }

  /** Clears the bar's line so a message can be printed over it. */
  clear(): void {
    if (this.tty) process.stdout.write('\r\x1b[K');
  }

  done(r: RunResult): void {
    this.clear();
    this.lastTenth = -1;
    const acc = r.valAcc === undefined ? '' : `, validation accuracy ${(r.valAcc * 100).toFixed(1)}%`;
    const nan = r.nan ? `; NaN sentinel: ${r.nan.layer} at step ${r.nan.step} (${r.nan.message})` : '';
    say(`${r.name}: ${r.steps} steps in ${r.seconds.toFixed(0)} s${acc}${nan}`);
  }
}

async function startDashboard(
  logdir: string,
  port: number,
  cacheDir: string | undefined,
  log: (s: string) => void,
): Promise<Dashboard> {
  const { ensureUiBuilt, uiIsStale } = await import('@tensorscope/ui/build');
  let uiDir: string | undefined;
  try {
    if (uiIsStale()) log('building the dashboard UI (first run only)...');
    uiDir = await ensureUiBuilt();
  } catch (err) {
    log(`could not build the UI (${(err as Error).message.split('\n')[0]}); serving the API only`);
  }
  const { startServer } = await import('@tensorscope/server');
  return startServer({ paths: [logdir], host: '127.0.0.1', port, uiDir, cacheDir });
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['quick', 'no-serve']);
  for (const flag of args.flags.keys()) {
    if (!['quick', 'no-serve', 'port', 'logdir', 'seconds', 'cache-dir'].includes(flag))
      throw new UsageError(`demo has no --${flag} option.`);
  }
  if (args.positionals.length) throw new UsageError(`demo takes no arguments, got "${args.positionals[0]}".`);
  const port = Number(stringFlag(args, 'port') ?? '6006');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(
      `--port ${JSON.stringify(stringFlag(args, 'port'))} is not a port number (0 to 65535).`,
    );
  const seconds = Number(stringFlag(args, 'seconds') ?? '90');
  if (!(seconds > 0))
    throw new UsageError(
      `--seconds ${JSON.stringify(stringFlag(args, 'seconds'))} is not a positive number.`,
    );
  const quick = args.flags.has('quick') || process.env.TENSORSCOPE_DEMO_QUICK === '1';
  const serve = !args.flags.has('no-serve');
  const logdir = resolve(stringFlag(args, 'logdir') ?? 'runs/demo');

  const runs: DemoRun[] = [
    {
      name: 'cnn_adam_lr0.001',
      optimizer: 'adam',
      lr: 1e-3,
      seconds: 0.65 * seconds,
      maxSteps: quick ? 6 : 1_000_000,
      about:
        'A small CNN (two strided 3x3 convolutions, 64 features) on MNIST digits with **Adam, lr 0.001**: healthy training.',
    },
    {
      name: 'cnn_sgd_lr2',
      optimizer: 'sgd',
      lr: 2,
      seconds: 0.35 * seconds,
      maxSteps: quick ? 6 : 1_000_000,
      about:
        'The same CNN with **plain SGD at lr 2.0**, a learning rate about 100x too high: see what the doctor says.',
    },
  ];
  for (const r of runs) rmSync(resolve(logdir, r.name), { recursive: true, force: true });
  mkdirSync(logdir, { recursive: true });

  const bar = new Bar();
  const log = (s: string) => {
    bar.clear();
    say(s);
  };
  say(`tensorscope demo: a small CNN learns MNIST digits in TF.js (cpu backend), logged to ${logdir}`);
  let dashboard: Dashboard | undefined;
  const dashboardUp = serve
    ? startDashboard(logdir, port, stringFlag(args, 'cache-dir'), log).then(
        (d) => {
          dashboard = d;
          log(`dashboard: ${d.openUrl}  (the runs appear there live as they train)`);
        },
        (err: Error) =>
          log(`the dashboard could not start (${err.message}); showing a summary at the end instead`),
      )
    : Promise.resolve();

  const { loadData, trainRun } = await import('@tensorscope/sdk/demo');
  const data = loadData(quick ? 20 : 600, quick ? 5 : 50);
  for (const spec of runs) {
    const result = await trainRun(spec, data, logdir, {
      every: quick ? 2 : 10,
      onProgress: (p) => bar.update(p),
    });
    bar.done(result);
  }
  await dashboardUp;

  say("\nthe doctor's findings:");
  try {
    const doctor = await import('./doctor');
    await doctor.run([logdir]);
  } catch (err) {
    say(`(the doctor could not run: ${(err as Error).message})`);
  }

  if (!dashboard) {
    say('\nwhat was logged:');
    const ls = await import('./ls');
    await ls.run([logdir]);
    say(`\nview it with: tensorscope serve ${logdir}`);
    return 0;
  }
  if (quick) {
    await dashboard.close();
    return 0;
  }
  say(`\nthe dashboard stays up at ${dashboard.openUrl}; press Ctrl-C to stop`);
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  await dashboard.close();
  return 0;
}

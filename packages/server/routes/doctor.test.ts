/**
 * /api/doctor against a real server over logdirs written here with the tfevents writer (a loss that
 * goes NaN at a known step, a healthy run, ReLU activations that die, a Keras train/validation pair,
 * a run with nothing to diagnose) and the tensorboardX fixture. The server's findings are compared
 * with `tensorscope doctor --json`, which reads the event files itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventFileWriter } from '@tensorscope/formats/tfevents/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../start';

const SAMPLE = '/work/shared/fixtures/tfevents/tensorboardx-sample';
const CLI = join(import.meta.dirname, '../../../node_modules/.bin/tensorscope');
const NAN_STEP = 60;
const DEAD_STEP = 30;

interface Problem {
  id: string;
  severity: string;
  step: number;
  evidence: string;
  suggestion: string;
  tags: string[];
}
interface RunDoctor {
  run: string;
  problems: Problem[];
  checked: string[];
  missing: { signal: string; enables: string[] }[];
  folded_into?: string;
}
interface Summary {
  runs: { run: string; counts: { error: number; warning: number; info: number }; ids: string[] }[];
  pending: number;
}

let dir: string;
let cache: string;
let server: RunningServer;
let live: EventFileWriter;

/** A smooth decreasing loss with a little deterministic noise. */
const loss = (s: number, k = 1) => Math.exp(-s / 40) + 0.05 + 0.005 * k * Math.sin(s * 1.7);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ts-doctor-api-'));
  cache = mkdtempSync(join(tmpdir(), 'ts-doctor-cache-'));
  const nan = new EventFileWriter(join(dir, 'nan'));
  for (let s = 0; s < 100; s++) nan.scalar('loss', s >= NAN_STEP ? Number.NaN : loss(s), s);
  await nan.close();
  const ok = new EventFileWriter(join(dir, 'ok'));
  for (let s = 0; s < 100; s++) ok.scalar('loss', loss(s, 2), s);
  await ok.close();
  // ReLU outputs: about half zero (healthy), then all zero from DEAD_STEP on
  const relu = new EventFileWriter(join(dir, 'relu'));
  for (let s = 0; s < 60; s++) {
    const acts = Float64Array.from({ length: 400 }, (_, i) =>
      s >= DEAD_STEP || i % 2 ? 0 : 0.1 + (i % 7) / 7,
    );
    relu.histogram('activations/relu1', acts, s);
    relu.scalar('loss', loss(s, 3), s);
  }
  await relu.close();
  // Keras siblings: the validation loss turns up while training keeps going down
  const train = new EventFileWriter(join(dir, 'keras/train'));
  const val = new EventFileWriter(join(dir, 'keras/validation'));
  for (let e = 0; e < 60; e++) {
    train.scalar('epoch_loss', 1 / (1 + e / 5), e);
    val.scalar('epoch_loss', 0.6 + 0.0004 * (e - 20) ** 2, e);
  }
  await train.close();
  await val.close();
  const text = new EventFileWriter(join(dir, 'notes'));
  text.text('readme', 'nothing numeric here', 0);
  await text.close();
  // a run that is still being written (healthy so far)
  live = new EventFileWriter(join(dir, 'live'), { flushMillis: 20 });
  for (let s = 0; s < 80; s++) live.scalar('train/loss', loss(s, 4), s);
  await live.flush();
  server = await startServer({ paths: [dir], port: 0, cacheDir: cache, pollMillis: 100 });
  await server.live.ready;
}, 60_000);

afterAll(async () => {
  await live?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
});

async function get<T>(s: RunningServer, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${s.url}${path.slice(1)}`);
  return { status: res.status, body: (await res.json()) as T };
}

function cliDoctor(logdir: string): Map<string, Problem[]> {
  let out: string;
  try {
    out = execFileSync(CLI, ['doctor', logdir, '--json'], { encoding: 'utf8' });
  } catch (e) {
    out = (e as { stdout: string }).stdout;
  }
  const json = JSON.parse(out) as { runs: { run: string; problems: Problem[] }[] };
  return new Map(json.runs.map((r) => [r.run, r.problems]));
}

describe('/api/doctor', () => {
  it('summarizes every run: the NaN run has one error, nan_loss; the healthy run none', async () => {
    const { status, body } = await get<Summary>(server, '/api/doctor');
    expect(status).toBe(200);
    expect(body.pending).toBe(0);
    const byRun = new Map(body.runs.map((r) => [r.run, r]));
    expect(byRun.get('nan')).toEqual({
      run: 'nan',
      counts: { error: 1, warning: 0, info: 0 },
      ids: ['nan_loss'],
    });
    expect(byRun.get('ok')).toEqual({ run: 'ok', counts: { error: 0, warning: 0, info: 0 }, ids: [] });
    expect(byRun.get('relu')?.ids).toEqual(['dead_relu']);
    expect(byRun.get('keras/train')?.ids).toEqual(['overfitting']);
    expect(byRun.get('keras/validation')).toMatchObject({ ids: [], folded_into: 'keras/train' });
    expect([...byRun.keys()].sort()).toEqual([
      'keras/train',
      'keras/validation',
      'live',
      'nan',
      'notes',
      'ok',
      'relu',
    ]);
  });

  it('gives one run the doctor --json element: nan_loss at the step the loss became NaN', async () => {
    const { body } = await get<{ runs: RunDoctor[] }>(server, '/api/doctor?run=nan');
    expect(body.runs).toHaveLength(1);
    const [p] = body.runs[0].problems;
    expect(body.runs[0].problems).toHaveLength(1);
    expect(p).toMatchObject({ id: 'nan_loss', severity: 'error', step: NAN_STEP, tags: ['loss'] });
    expect(Object.keys(p).sort()).toEqual(['evidence', 'id', 'severity', 'step', 'suggestion', 'tags']);
    const relu = (await get<{ runs: RunDoctor[] }>(server, '/api/doctor?run=relu')).body.runs[0];
    expect(relu.problems.map((q) => [q.id, q.step, q.tags[0]])).toEqual([
      ['dead_relu', DEAD_STEP, 'activations/relu1'],
    ]);
  });

  it('finds what the CLI finds in the same files, run by run (histograms and Keras pairs included)', async () => {
    const cli = cliDoctor(dir);
    const { body } = await get<{ runs: (RunDoctor & { problems: Problem[] })[] }>(
      server,
      '/api/doctor?detail=1',
    );
    const api = new Map(body.runs.filter((r) => !r.folded_into).map((r) => [r.run, r.problems]));
    expect(new Set(api.keys())).toEqual(new Set(cli.keys()));
    for (const [run, problems] of cli) expect(api.get(run), run).toEqual(problems);
  });

  it('matches the CLI on the tensorboardX fixture (histograms of a real writer)', async () => {
    const c = mkdtempSync(join(tmpdir(), 'ts-doctor-cache-'));
    const s = await startServer({ paths: [SAMPLE], port: 0, cacheDir: c, pollMillis: 100 });
    try {
      await s.live.ready;
      const cli = cliDoctor(SAMPLE);
      for (const [run, problems] of cli) {
        const { body } = await get<{ runs: RunDoctor[] }>(s, `/api/doctor?run=${encodeURIComponent(run)}`);
        expect(body.runs[0].problems, run).toEqual(problems);
      }
      const main = (await get<{ runs: RunDoctor[] }>(s, '/api/doctor?run=main')).body.runs[0];
      expect(main.checked).toEqual(expect.arrayContaining(['dead_relu', 'bad_init', 'broken_weights']));
    } finally {
      await s.close();
      rmSync(c, { recursive: true, force: true });
    }
  });

  it('says which signals would allow more on a run with nothing to diagnose; 404/400 on bad runs', async () => {
    const notes = (await get<{ runs: RunDoctor[] }>(server, '/api/doctor?run=notes')).body.runs[0];
    expect(notes.problems).toEqual([]);
    expect(notes.checked).toEqual([]);
    expect(notes.missing.flatMap((m) => m.enables)).toEqual(
      expect.arrayContaining(['nan_loss', 'dead_relu']),
    );
    const missing = await get<{ error: string }>(server, '/api/doctor?run=nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('no run "nope".');
    expect((await get(server, '/api/doctor?run=')).status).toBe(400);
  });

  it('pushes a doctor event with the new finding when a live run goes NaN', async () => {
    await get(server, '/api/doctor'); // the live run is diagnosed (healthy)
    const ctrl = new AbortController();
    const res = await fetch(`${server.url}api/events`, { signal: ctrl.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const t0 = Date.now();
    for (let s = 80; s < 90; s++) live.scalar('train/loss', s >= 85 ? Number.NaN : loss(s, 4), s);
    await live.flush();
    let text = '';
    let event: { run: string; ids: string[]; new: Problem[] } | undefined;
    while (!event && Date.now() - t0 < 10_000) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const m = /event: doctor\ndata: (.*)\n/.exec(text);
      if (m) event = JSON.parse(m[1]);
    }
    ctrl.abort();
    expect(event?.run).toBe('live');
    expect(event?.ids).toEqual(['nan_loss']);
    expect(event?.new.map((p) => [p.id, p.step, p.tags[0]])).toEqual([['nan_loss', 85, 'train/loss']]);
    const after = (await get<{ runs: RunDoctor[] }>(server, '/api/doctor?run=live')).body.runs[0];
    expect(after.problems.map((p) => p.id)).toEqual(['nan_loss']);
  }, 20_000);
});

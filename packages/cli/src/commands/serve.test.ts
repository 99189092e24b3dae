import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '../../../../node_modules/.bin/tensorscope');
const LOGDIR = '/work/shared/fixtures/tfevents/tensorboard-reducer/runs/strict';
const cache = mkdtempSync(join(tmpdir(), 'ts-serve-cli-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

describe('tensorscope serve', () => {
  it('prints its URL, takes the next port when the first is busy, serves the API and stops on SIGTERM', async () => {
    // hold a port so serve has to take the next one
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: 0 }, r));
    const busy = (blocker.address() as { port: number }).port;
    const child = spawn(CLI, ['serve', LOGDIR, '--port', String(busy), '--cache-dir', cache], {
      stdio: 'pipe',
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 90_000);
      child.stdout.on('data', () => {
        const m = /at (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
    });
    expect(out).toContain(`tensorscope serving ${LOGDIR} at `);
    expect(Number(new URL(url).port)).toBeGreaterThan(busy);
    blocker.close();
    expect(await (await fetch(`${url}api/health`)).json()).toEqual({ ok: true, version: '0.1.0' });
    const code = new Promise((r) => child.on('exit', r));
    child.kill('SIGTERM');
    expect(await code).toBe(0);
  });

  it('refuses a logdir that does not exist, with exit code 2', () => {
    const r = spawnSync(CLI, ['serve', '/no/such/logdir', '--cache-dir', cache], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('tensorscope: /no/such/logdir: no such logdir or model file.\n');
  });
});

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverRuns } from '../node/discover';

const root = mkdtempSync(join(tmpdir(), 'ts-discover-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('discoverRuns', () => {
  it('finds nested runs, follows a symlinked run once and stops at a symlink cycle', async () => {
    const logdir = join(root, 'logs');
    const outside = join(root, 'outside-run');
    for (const d of ['a', 'b/c', 'b/empty']) mkdirSync(join(logdir, d), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(logdir, 'a', 'events.out.tfevents.2.host'), '');
    writeFileSync(join(logdir, 'a', 'events.out.tfevents.1.host'), '');
    writeFileSync(join(logdir, 'b/c', 'events.out.tfevents.1.host'), '');
    writeFileSync(join(logdir, 'b/c', 'notes.txt'), '');
    writeFileSync(join(outside, 'events.out.tfevents.1.host'), '');
    symlinkSync(outside, join(logdir, 'linked'));
    symlinkSync(logdir, join(logdir, 'b', 'loop')); // back to the root: must not be walked again
    symlinkSync(join(logdir, 'a'), join(logdir, 'z-again')); // the same run under a second name
    const runs = await discoverRuns(logdir);
    expect(runs.map((r) => r.name)).toEqual(['a', 'b/c', 'linked']);
    expect(runs[0].files).toEqual([
      join(logdir, 'a', 'events.out.tfevents.1.host'),
      join(logdir, 'a', 'events.out.tfevents.2.host'),
    ]);
    expect(runs[2].dir).toBe(join(logdir, 'linked'));
  });

  it('names the logdir itself "." when it holds event files, and rejects a missing one', async () => {
    const flat = join(root, 'flat');
    mkdirSync(flat);
    writeFileSync(join(flat, 'events.out.tfevents.1.host'), '');
    expect((await discoverRuns(flat)).map((r) => r.name)).toEqual(['.']);
    await expect(discoverRuns(join(root, 'nope'))).rejects.toThrow(
      `${join(root, 'nope')}: no such directory`,
    );
  });
});

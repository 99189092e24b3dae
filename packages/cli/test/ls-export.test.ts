/** The ls/export contract of DESIGN.md: JSON shapes, csv/jsonl, filters, errors with exit code 2. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED, tensorscope } from './cli';

const TBX = join(SHARED, 'fixtures/tfevents/tensorboardx-sample');
const REDUCER = join(SHARED, 'fixtures/tfevents/tensorboard-reducer/runs');

describe('tensorscope ls', () => {
  it('--json lists runs, tags, kinds, counts and step ranges', () => {
    const r = tensorscope('ls', REDUCER, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.runs.map((x: { name: string }) => x.name)).toEqual([
      'duplicate_steps/run_1',
      'duplicate_steps/run_2',
      'duplicate_steps/run_3',
      'lax/run_1',
      'lax/run_2',
      'lax/run_3',
      'strict/run_1',
      'strict/run_2',
      'strict/run_3',
    ]);
    expect(out.runs[6].tags).toEqual([
      { tag: 'strict/foo', kind: 'scalar', count: 100, first_step: 0, last_step: 495 },
    ]);
    expect(out.runs[6].issues).toEqual([]);
  });

  it('prints a readable table', () => {
    const r = tensorscope('ls', TBX);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^run\s+tag\s+kind\s+points\s+steps$/m);
    expect(r.stdout).toMatch(/^main\s+loss\/train\s+scalar\s+640\s+0\.\.639$/m);
    expect(r.stdout).toMatch(/^main\s+weights\/layer1\s+histogram\s+37\s+0\.\.36$/m);
  });

  it('a logdir that does not exist: one sentence, exit code 2', () => {
    const r = tensorscope('ls', '/no/such/logdir');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tensorscope: /no/such/logdir: no such file or directory.\n');
    expect(r.stdout).toBe('');
  });

  it('reports a corrupt file on stderr and still lists the run', () => {
    const dir = join(tmpdir(), `ts-cli-${process.pid}-${Date.now()}`);
    const src = readFileSync(join(TBX, 'multi/compare/sin/events.out.tfevents.1795443192.vm'));
    const bad = Uint8Array.from(src);
    bad[500] ^= 0xff;
    const run = join(dir, 'bad');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'events.out.tfevents.1.x'), bad);
    const r = tensorscope('ls', dir, '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: .*events\.out\.tfevents\.1\.x at byte \d+: data CRC mismatch/);
    const out = JSON.parse(r.stdout);
    expect(out.runs[0].tags[0].count).toBe(99);
    expect(out.runs[0].issues).toHaveLength(1);
  });
});

describe('tensorscope export', () => {
  it('csv: run,tag,step,wall_time,value for scalars, filtered by run and tag', () => {
    const r = tensorscope('export', TBX, '--format', 'csv', '--run', '^main$', '--tag', '^lr$');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('run,tag,step,wall_time,value');
    expect(lines).toHaveLength(641);
    expect(lines[1]).toMatch(/^main,lr,0,1795443191\.\d+,0\.1$/);
    expect(lines[640]).toMatch(/^main,lr,639,\d+\.\d+,0\.025$/);
  });

  it('jsonl: one point per line with run, tag and kind', () => {
    const r = tensorscope('export', TBX, '--format', 'jsonl', '--kind', 'histogram');
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(74);
    expect(lines[0]).toMatchObject({
      run: 'main',
      tag: 'weights/layer1',
      kind: 'histogram',
      step: 0,
      num: 1000,
    });
    expect(lines[0].buckets[0]).toEqual({
      left: expect.any(Number),
      right: expect.any(Number),
      count: expect.any(Number),
    });
  });

  it('json written to a file with -o equals stdout', () => {
    const file = join(tmpdir(), `ts-export-${process.pid}.json`);
    const a = tensorscope('export', REDUCER, '--format', 'json', '--run', 'strict', '-o', file);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe('');
    const b = tensorscope('export', REDUCER, '--format', 'json', '--run', 'strict');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(b.stdout));
    expect(JSON.parse(b.stdout).runs).toHaveLength(3);
  });

  it('bad flags: one sentence, exit code 2', () => {
    const cases: [string[], RegExp][] = [
      [['export', TBX, '--format', 'xml'], /--format "xml" is not csv, json or jsonl\./],
      [
        ['export', TBX, '--kind', 'pictures'],
        /--kind "pictures" is not a kind; use one of scalar, histogram/,
      ],
      [['export', TBX, '--format', 'csv', '--kind', 'image'], /csv holds scalars only/],
      [['export', TBX, '--tag', '('], /--tag "\(" is not a valid regular expression\./],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    for (const [args, msg] of cases) {
      const r = tensorscope(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

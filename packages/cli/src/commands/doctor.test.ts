/**
 * The doctor end to end on real PyTorch training runs generated here (a subset of the benchmark suite,
 * bench/doctor/torch_runs.py): the headline numbers held above the floors of docs/BENCHMARKS.md, and the
 * CLI contract (JSON shape, --fail-on exit codes, bad input).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSuite, score } from '../../../../bench/doctor/score';

const repo = join(__dirname, '..', '..', '..', '..');
const bin = join(repo, 'node_modules', '.bin', 'tensorscope');
const RUNS = [
  'healthy_mlp_adam',
  'healthy_benign_spike',
  'nan_corrupt_batch',
  'divergence_lr_bug',
  'overfit_small_data',
];
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'doctor-suite-'));
  const r = spawnSync('/usr/bin/python3', [join(repo, 'bench', 'doctor', 'torch_runs.py'), dir, ...RUNS], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`generating runs failed: ${r.stderr}`);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => spawnSync(bin, args, { encoding: 'utf8', cwd: repo });

describe('doctor on real PyTorch runs', () => {
  it('finds every labeled problem near its onset and stays quiet on the healthy runs', async () => {
    const runs = await loadSuite(dir);
    expect(runs.map((r) => r.name)).toEqual([...RUNS].sort());
    const s = score(runs);
    expect(s.labeled).toBe(3);
    expect(s.recall).toBeGreaterThanOrEqual(0.95);
    expect(s.healthy).toBe(2);
    expect(s.healthyFpRate).toBeLessThanOrEqual(0.05);
    expect(s.onsetWithin10).toBeGreaterThanOrEqual(0.95);
    expect(s.fp).toBe(0);
  });

  it('prints the DESIGN.md JSON shape and exits 1 when --fail-on error is reached', () => {
    const r = cli('doctor', dir, '--json', '--fail-on', 'error');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { runs: { run: string; problems: Record<string, unknown>[] }[] };
    const byRun = new Map(out.runs.map((x) => [x.run, x.problems]));
    expect([...byRun.keys()].sort()).toEqual([...RUNS].sort());
    expect(byRun.get('healthy_mlp_adam')).toEqual([]);
    const nan = byRun.get('nan_corrupt_batch')!.find((p) => p.id === 'nan_loss')!;
    expect(Object.keys(nan).sort()).toEqual(['evidence', 'id', 'severity', 'step', 'suggestion', 'tags']);
    expect(nan).toMatchObject({ severity: 'error', step: 160, tags: ['Loss/train'] });
  });

  it('exits 0 on a healthy run even with --fail-on warning, and prints what it checked', () => {
    const r = cli('doctor', join(dir, 'healthy_mlp_adam'), '--fail-on', 'warning');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/healthy \(checked: nan_loss, divergence/);
  });

  it("checks a model file's weights: NaN in a safetensors matrix is broken_weights", () => {
    const data = new Float32Array(64).map((_, i) => Math.sin(i) * 0.1);
    data[5] = Number.NaN;
    const header = Buffer.from(
      JSON.stringify({ 'fc1.weight': { dtype: 'F32', shape: [8, 8], data_offsets: [0, 256] } }),
    );
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const file = join(dir, 'broken.safetensors');
    writeFileSync(file, Buffer.concat([len, header, Buffer.from(data.buffer)]));
    const r = cli('doctor', file, '--json', '--fail-on', 'error');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as {
      runs: { run: string; problems: { id: string; step: number; tags: string[] }[] }[];
    };
    expect(out.runs[0].run).toBe('broken.safetensors');
    expect(out.runs[0].problems[0]).toMatchObject({ id: 'broken_weights', step: 0, tags: ['fc1.weight'] });
  });

  it('rejects bad input with one sentence and exit 2', () => {
    const bad = join(dir, 'not-a-model.bin');
    writeFileSync(bad, 'hello');
    for (const args of [
      ['doctor', join(dir, 'missing')],
      ['doctor', dir, '--fail-on', 'sometimes'],
      ['doctor', bad],
    ]) {
      const r = cli(...args);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

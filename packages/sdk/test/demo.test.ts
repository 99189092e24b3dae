import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { exportLogdir, tagOf, tempDir } from './helpers';

const BIN = join(import.meta.dirname, '../../cli/bin/tensorscope.mjs');

it('tensorscope demo --quick trains both runs, runs the doctor and summarizes the logdir', () => {
  const logdir = join(tempDir('sdk-demo'), 'demo');
  const r = spawnSync(process.execPath, [BIN, 'demo', '--quick', '--no-serve', '--logdir', logdir], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('cnn_adam_lr0.001: 6 steps in');
  expect(r.stdout).toContain('cnn_sgd_lr2: 6 steps in');
  expect(r.stdout).toMatch(/the doctor's findings:\ncnn_adam_lr0\.001: /);
  expect(r.stdout).toContain(`view it with: tensorscope serve ${logdir}`);
  const runs = exportLogdir(logdir);
  expect(runs.map((x) => x.name).sort()).toEqual(['cnn_adam_lr0.001', 'cnn_sgd_lr2']);
  for (const run of runs) {
    expect(tagOf(run, 'loss').points.map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(tagOf(run, 'grad_norm/conv1/kernel').points.map((p) => p.step)).toEqual([0, 2, 4]);
    expect(tagOf(run, 'activations/conv2').kind).toBe('histogram');
    expect(run.tags.some((t) => t.tag === 'activations/classifier')).toBe(false);
    expect(tagOf(run, 'lr').points[0].value).toBe(run.name === 'cnn_sgd_lr2' ? 2 : 0.001);
  }
  const good = runs.find((x) => x.name === 'cnn_adam_lr0.001');
  expect(tagOf(good, 'features').points[0].shape).toEqual([50, 64]);
  expect(tagOf(good, 'pr/digit_3').kind).toBe('pr_curve');
}, 150_000);

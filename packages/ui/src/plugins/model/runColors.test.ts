/**
 * Colour-by on a real run: a CNN with nested modules exported by Debian's PyTorch, run by the real
 * server; each operator's value is its first output's statistic, each module's the average over the
 * operators under it (found here through the node names' module paths, independently of the view
 * graph's parent links), and the colours follow the legend.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSource } from '@tensorscope/formats/node-source';
import { openModel } from '@tensorscope/formats/open';
import { type RunningServer, startServer } from '@tensorscope/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from './runApi';
import { colorOf, FINITE_COLOR, itemValues, paintFor, viridis } from './runColors';
import { buildViewGraph, type ViewGraph } from './viewGraph';

const EXPORT = `
import sys, torch, torch.nn as nn
from collections import OrderedDict
torch.manual_seed(0)
block = lambda c_in, c_out: nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.Conv2d(c_out, c_out, 3, padding=1), nn.ReLU())
m = nn.Sequential(OrderedDict(stem=block(3, 8), body=block(8, 8), head=nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4)))).eval()
torch.onnx.export(m, torch.randn(1, 3, 16, 16), sys.argv[1], opset_version=13)
`;

let dir: string;
let server: RunningServer;
let vg: ViewGraph;
let run: RunResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ts-run-colors-'));
  const path = join(dir, 'nested.onnx');
  execFileSync('/usr/bin/python3', ['-c', EXPORT, path], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  server = await startServer({ paths: [path], port: 0, cacheDir: join(dir, 'cache') });
  const res = await fetch(`${server.url}api/models/0/run?input=random`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  run = (await res.json()) as RunResult;
  vg = buildViewGraph((await openModel(await fileSource(path))).graph!);
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const item = (name: string) => vg.name.indexOf(name);

describe('colour by a statistic', () => {
  it('gives operators their first output value and modules the average of their operators', () => {
    const values = itemValues(vg, run, 'zeros');
    const ops = Object.values(run.tensors);
    for (const t of ops) expect(values[item(t.node)]).toBe(t.zeros);
    for (const module of ['stem', 'body', 'head']) {
      const inside = ops.filter((t) => t.node.startsWith(`/${module}/`));
      expect(inside.length).toBeGreaterThan(1);
      const mean = inside.reduce((a, t) => a + t.zeros!, 0) / inside.length;
      expect(values[item(module)]).toBeCloseTo(mean, 12);
    }
    // the ReLUs zero part of their input; a module's average lies between its operators' values
    const relu = ops.find((t) => t.node === '/stem/stem.1/Relu')!;
    expect(relu.zeros).toBeGreaterThan(0.1);
    const nonfinite = itemValues(vg, run, 'nonfinite');
    expect(nonfinite[item('stem')]).toBe(0);
  });

  it('maps values to the legend: zeros on [0, 1], mean over the operators range', () => {
    const zeros = paintFor(vg, run, 'zeros', false)!;
    expect(zeros.legend).toEqual({ by: 'zeros', min: 0, max: 1 });
    const relu =
      run.tensors[Object.keys(run.tensors).find((k) => run.tensors[k].node === '/stem/stem.1/Relu')!];
    expect(zeros.fill[item('/stem/stem.1/Relu')]).toBe(colorOf(relu.zeros!, zeros.legend));
    const mean = paintFor(vg, run, 'mean', false)!;
    const means = Object.values(run.tensors).map((t) => t.mean!);
    expect(mean.legend.min).toBe(Math.min(...means));
    expect(mean.legend.max).toBe(Math.max(...means));
    expect(paintFor(vg, run, 'nonfinite', false)!.fill[item('/stem/stem.0/Conv')]).toBe(FINITE_COLOR);
    expect(paintFor(vg, run, 'op', false)).toBeNull();
    // viridis ends: matplotlib's first and last colours
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
  });
});

/**
 * The model view's graph (items, module groups, edges, first expansion, search) and its layout, on real
 * models exported by PyTorch during the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compound } from '@tensorscope/analysis/layout';
import type { Model } from '@tensorscope/formats/model';
import { fileSource } from '@tensorscope/formats/node-source';
import { openModel } from '@tensorscope/formats/open';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildViewGraph, initialExpansion, revealed, search } from '../src/plugins/model/viewGraph';
import { exportTorchModel } from './model-torch';

let dir: string;
let resnet: Model;
let transformer: Model;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ts-model-graph-'));
  resnet = await openModel(await fileSource(exportTorchModel('resnet18', join(dir, 'resnet18.onnx'))));
  transformer = await openModel(
    await fileSource(exportTorchModel('transformer:12', join(dir, 'transformer12.onnx'))),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildViewGraph', () => {
  it('has one item per operator, graph input and output, and one edge per producer-consumer pair', () => {
    const g = resnet.graph!;
    const vg = buildViewGraph(g);
    const ops = vg.kind.filter((k) => k === 'op').length;
    // PyTorch writes a weight used twice once, plus Identity nodes copying it: those are weights, not boxes
    const copies = g.nodes.filter((n) => n.op === 'Identity' && g.initializers.has(n.inputs[0]));
    expect(copies.length).toBeGreaterThan(0);
    expect(ops).toBe(g.nodes.length - copies.length);
    for (const c of copies) expect(vg.weights.get(c.outputs[0])).toBe(g.initializers.get(c.inputs[0]));
    expect(vg.kind.filter((k) => k === 'input').length).toBe(1);
    expect(vg.kind.filter((k) => k === 'output').length).toBe(1);
    // independent count of producer -> consumer pairs
    const producedBy = new Map<string, number>();
    g.nodes.forEach((n, i) => !copies.includes(n) && n.outputs.forEach((o) => producedBy.set(o, i)));
    const pairs = new Set<string>();
    g.nodes.forEach((n, i) => {
      if (copies.includes(n)) return;
      for (const v of n.inputs) {
        const p = producedBy.get(v);
        if (p !== undefined && p !== i) pairs.add(`${p},${i}`);
        if (g.inputs.some((x) => x.name === v) && !g.initializers.has(v)) pairs.add(`in,${i}`);
      }
    });
    expect(vg.source.length).toBe(pairs.size + 1); // + the edge into the graph output
  });

  it('groups operators by module, dissolving modules with a single operator', () => {
    const vg = buildViewGraph(resnet.graph!);
    const layer1 = vg.name.indexOf('layer1');
    expect(vg.kind[layer1]).toBe('module');
    const under = resnet.graph!.nodes.filter((n) => n.name.startsWith('/layer1/')).length;
    expect(under).toBe(10); // two BasicBlocks of Conv, Relu, Conv, Add, Relu (BatchNorm folded)
    expect(vg.leaves[layer1]).toBe(under);
    const block = vg.name.indexOf('layer1.0');
    expect(vg.parent[block]).toBe(layer1);
    // conv1 holds one Conv: no module box around it
    expect(vg.name.indexOf('conv1')).toBe(-1);
    const conv1 = vg.name.indexOf('/conv1/Conv');
    expect(vg.op[conv1]).toBe('Conv');
    expect(vg.parent[conv1]).toBe(-1);
  });

  it('opens a small model fully and a deep one to its top-level structure', () => {
    const small = buildViewGraph(resnet.graph!);
    const e1 = initialExpansion(small);
    expect(small.kind.every((k, i) => k !== 'module' || e1[i] === 1)).toBe(true);

    const big = buildViewGraph(transformer.graph!);
    expect(big.count).toBeGreaterThan(600);
    const e2 = initialExpansion(big);
    const layout = compound({ ...big, expanded: e2 });
    const shown = layout.visible.reduce((s, v) => s + v, 0) - e2.reduce((s, v) => s + v, 0);
    expect(shown).toBeLessThanOrEqual(160);
    // the twelve layers are on screen, their attention blocks closed
    const layers = Array.from({ length: 12 }, (_, i) => big.name.indexOf(`0.layers.${i}`));
    expect(layers.every((i) => i >= 0 && big.kind[i] === 'module' && layout.visible[i] === 1)).toBe(true);
    const attention = Array.from({ length: 12 }, (_, i) => big.name.indexOf(`0.layers.${i}.self_attn`));
    expect(attention.every((i) => i >= 0 && e2[i] === 0)).toBe(true);
  });

  it('finds by op or name, and opens the modules around a hit', () => {
    const vg = buildViewGraph(transformer.graph!);
    const softmax = search(vg, 'softmax', 100);
    expect(softmax.length).toBe(12);
    expect(softmax.every((i) => vg.op[i] === 'Softmax')).toBe(true);
    const hit = search(vg, '/0/layers.7/self_attn/Softmax')[0];
    expect(vg.name[hit]).toBe('/0/layers.7/self_attn/Softmax');
    const closed = new Uint8Array(vg.count);
    const open = revealed(vg, closed, hit);
    const layout = compound({ ...vg, expanded: open });
    expect(layout.visible[hit]).toBe(1);
    expect(Number.isFinite(layout.x[hit])).toBe(true);
  });

  it('lays every module out inside its frame when all are open', () => {
    const vg = buildViewGraph(transformer.graph!);
    const all = Uint8Array.from(vg.kind, (k) => (k === 'module' ? 1 : 0));
    const l = compound({ ...vg, expanded: all });
    for (let i = 0; i < vg.count; i++) {
      expect(l.visible[i]).toBe(1);
      const p = vg.parent[i];
      if (p < 0) continue;
      expect(l.x[i] - l.w[i] / 2).toBeGreaterThanOrEqual(l.x[p] - l.w[p] / 2);
      expect(l.x[i] + l.w[i] / 2).toBeLessThanOrEqual(l.x[p] + l.w[p] / 2 + 1e-6);
      expect(l.y[i] - l.h[i] / 2).toBeGreaterThanOrEqual(l.y[p] - l.h[p] / 2);
      expect(l.y[i] + l.h[i] / 2).toBeLessThanOrEqual(l.y[p] + l.h[p] / 2 + 1e-6);
    }
  });
});

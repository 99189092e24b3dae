/**
 * `npm run bench -- graph`: the model view's layout plus first render in Chromium for transformer graphs
 * of about 200, 2,000 and 10,000 nodes, against elkjs (layered) and @dagrejs/dagre laying out the same
 * flat graphs in the same run.
 *
 * Graphs: nn.TransformerEncoder stacks exported to ONNX by PyTorch 1.13 at run time (4 and 38 layers);
 * the 10,000-node graph is the 38-layer export joined end to end 5 times (PyTorch's exporter takes time
 * quadratic in the node count, so a real 190-layer export would take the better part of an hour).
 * Chromium figures are the median of 5 runs and the first (cold) run; elkjs and dagre run once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import dagre from '@dagrejs/dagre';
import { layered } from '@tensorscope/analysis/layout';
import type { Graph } from '@tensorscope/formats/model';
import { fileSource } from '@tensorscope/formats/node-source';
import { openModel } from '@tensorscope/formats/open';
import ELK from 'elkjs';
import { build, type Rollup } from 'vite';
import { buildViewGraph, type ViewGraph } from '../packages/ui/src/plugins/model/viewGraph';
import { launchBrowser } from '../packages/ui/test/helpers/browser';
import { exportTorchModel, stackGraph } from '../packages/ui/test/model-torch';

const ROOT = resolve(import.meta.dirname, '..');
const BASELINE_LIMIT = 2500; // elkjs and dagre take minutes beyond this; they are not run on the 10k graph

interface Flat {
  width: Float64Array;
  height: Float64Array;
  source: Int32Array;
  target: Int32Array;
}

/** The graph with every module open and no module boxes: operators, inputs and outputs. */
function flatten(vg: ViewGraph): Flat {
  const index = new Int32Array(vg.count).fill(-1);
  let n = 0;
  for (let i = 0; i < vg.count; i++) if (vg.kind[i] !== 'module') index[i] = n++;
  const width = new Float64Array(n);
  const height = new Float64Array(n);
  for (let i = 0; i < vg.count; i++) {
    if (index[i] < 0) continue;
    width[index[i]] = vg.width[i];
    height[index[i]] = vg.height[i];
  }
  return { width, height, source: vg.source.map((v) => index[v]), target: vg.target.map((v) => index[v]) };
}

async function elkLayout(g: Flat): Promise<number> {
  const elk = new ELK();
  const t0 = performance.now();
  await elk.layout({
    id: 'root',
    layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'DOWN' },
    children: Array.from(g.width, (w, i) => ({ id: `n${i}`, width: w, height: g.height[i] })),
    edges: Array.from(g.source, (s, e) => ({
      id: `e${e}`,
      sources: [`n${s}`],
      targets: [`n${g.target[e]}`],
    })),
  });
  return performance.now() - t0;
}

function dagreLayout(g: Flat): number {
  const t0 = performance.now();
  const d = new dagre.graphlib.Graph();
  d.setGraph({ rankdir: 'TB' });
  d.setDefaultEdgeLabel(() => ({}));
  g.width.forEach((w, i) => d.setNode(`n${i}`, { width: w, height: g.height[i] }));
  g.source.forEach((s, e) => d.setEdge(`n${s}`, `n${g.target[e]}`));
  dagre.layout(d);
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The layout and renderer the page uses, bundled for a plain page. */
async function pageBundle(tmp: string): Promise<string> {
  const entry = join(tmp, 'entry.ts');
  writeFileSync(
    entry,
    `
    export { compound } from '${ROOT}/packages/analysis/layout/index.ts';
    export { prepareScene, drawScene, palette } from '${ROOT}/packages/ui/src/plugins/model/draw.ts';`,
  );
  const out = (await build({
    configFile: false,
    logLevel: 'silent',
    root: tmp,
    build: { write: false, minify: true, lib: { entry, formats: ['iife'], name: 'GraphBench' } },
  })) as Rollup.RollupOutput[];
  return out[0].output[0].type === 'chunk' ? out[0].output[0].code : '';
}

interface PageResult {
  layout: number;
  overview: number;
  firstView: number;
  boxes: number;
}

const dir = mkdtempSync(join(tmpdir(), 'ts-bench-graph-'));
try {
  process.stdout.write('exporting transformers with PyTorch (4 and 38 layers)...\n');
  const small = await openModel(await fileSource(exportTorchModel('transformer:4', join(dir, 't4.onnx'))));
  const deep = await openModel(await fileSource(exportTorchModel('transformer:38', join(dir, 't38.onnx'))));
  const graphs: [string, Graph][] = [
    ['transformer 4 layers', small.graph!],
    ['transformer 38 layers', deep.graph!],
    ['transformer 38 layers x5', stackGraph(deep.graph!, 5)],
  ];

  const code = await pageBundle(dir);
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.setContent('<canvas id="c" width="1400" height="900"></canvas>');
  await page.addScriptTag({ content: code });

  const rows: string[] = [];
  for (const [label, graph] of graphs) {
    const vg = buildViewGraph(graph);
    const flat = flatten(vg);
    const nodes = flat.width.length;
    const all = Uint8Array.from(vg.kind, (k) => (k === 'module' ? 1 : 0));
    const arrays = {
      kind: vg.kind,
      label: vg.label,
      name: vg.name,
      op: vg.op,
      parent: Array.from(vg.parent),
      depth: Array.from(vg.depth),
      leaves: Array.from(vg.leaves),
      width: Array.from(vg.width),
      height: Array.from(vg.height),
      source: Array.from(vg.source),
      target: Array.from(vg.target),
      expanded: Array.from(all),
    };
    // in Chromium: compound layout with every module open, then the first frame drawn two ways
    const runs: PageResult[] = [];
    for (let r = 0; r < 5; r++) {
      runs.push(
        await page.evaluate((a) => {
          type Api = {
            compound: (i: unknown) => { width: number; height: number };
            prepareScene: (vg: unknown, l: unknown, e: Uint8Array) => unknown;
            drawScene: (...args: unknown[]) => number;
            palette: (dark: boolean) => unknown;
          };
          const B = (window as unknown as { GraphBench: Api }).GraphBench;
          const vg = {
            ...a,
            count: a.kind.length,
            parent: Int32Array.from(a.parent),
            depth: Int32Array.from(a.depth),
            leaves: Int32Array.from(a.leaves),
            width: Float64Array.from(a.width),
            height: Float64Array.from(a.height),
            source: Int32Array.from(a.source),
            target: Int32Array.from(a.target),
          };
          const expanded = Uint8Array.from(a.expanded);
          const ctx = (document.getElementById('c') as HTMLCanvasElement).getContext('2d')!;
          const t0 = performance.now();
          const layout = B.compound({ ...vg, expanded });
          const t1 = performance.now();
          const scene = B.prepareScene(vg, layout, expanded);
          const pal = B.palette(false);
          // the whole graph in view: every box and edge drawn (the worst case)
          const fit = Math.min(1400 / layout.width, 900 / layout.height);
          const boxes = B.drawScene(ctx, scene, { x: 0, y: 0, scale: fit }, 1400, 900, pal);
          ctx.getImageData(0, 0, 1, 1); // waits for the pixels
          const t2 = performance.now();
          // what the view shows first: the top of the graph at a readable scale
          B.drawScene(ctx, scene, { x: layout.width / 2 - 700 / 0.6, y: 0, scale: 0.6 }, 1400, 900, pal);
          ctx.getImageData(0, 0, 1, 1);
          const t3 = performance.now();
          return { layout: t1 - t0, overview: t2 - t1, firstView: t3 - t2, boxes };
        }, arrays),
      );
    }
    const lay = median(runs.map((r) => r.layout));
    const over = median(runs.map((r) => r.overview));
    const first = median(runs.map((r) => r.firstView));
    const cold = runs[0].layout + runs[0].overview;
    const nodeTimes: number[] = [];
    for (let r = 0; r < 7; r++) {
      const t0 = performance.now();
      layered(flat);
      if (r >= 2) nodeTimes.push(performance.now() - t0); // after two warm-up runs; elkjs and dagre run once (their seconds dwarf any warm-up)
    }
    const ours = median(nodeTimes);
    let elk = Number.NaN;
    let dg = Number.NaN;
    if (nodes <= BASELINE_LIMIT) {
      elk = await elkLayout(flat);
      dg = dagreLayout(flat);
    }
    const ratio = (x: number) => (Number.isNaN(x) ? 'not run' : `${(x / ours).toFixed(0)}x`);
    const line =
      `${label}: ${nodes} nodes, ${flat.source.length} edges | chromium: layout ${lay.toFixed(1)} ms + ` +
      `whole-graph draw ${over.toFixed(1)} ms = ${(lay + over).toFixed(1)} ms (cold ${cold.toFixed(0)} ms; ` +
      `first-view draw ${first.toFixed(1)} ms) | ` +
      `node, flat: ours ${ours.toFixed(1)} ms, elkjs ${Number.isNaN(elk) ? '-' : `${elk.toFixed(0)} ms`} (${ratio(elk)}), ` +
      `dagre ${Number.isNaN(dg) ? '-' : `${dg.toFixed(0)} ms`} (${ratio(dg)})`;
    process.stdout.write(`${line}\n`);
    rows.push(line);
  }
  await browser.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

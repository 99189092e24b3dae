/**
 * The graph the view draws, built from a model's graph: one item per operator, graph input and graph
 * output, plus one item per module of the hierarchy (a group). Edges join the operator that produces a
 * value to each operator that reads it; weights are not items (the node panel shows them), and neither
 * are constants (Constant nodes, and the Identity copies of weights PyTorch writes for shared tensors).
 * Parallel arrays, so the layout worker gets typed arrays and the renderer loops without objects.
 */
import { assignModules } from '@tensorscope/analysis/model';
import type { Graph, GraphNode, TensorInfo } from '@tensorscope/formats/model';

export type ItemKind = 'op' | 'input' | 'output' | 'module';

export interface ViewGraph {
  count: number;
  kind: ItemKind[];
  /** what the box shows: the op type, the module's own name, the value name */
  label: string[];
  /** what search matches: node name, module path, value name */
  name: string[];
  /** the op type ('' for modules, inputs and outputs) */
  op: string[];
  /** the group holding each item, -1 at the top */
  parent: Int32Array;
  /** nesting depth (0 at the top) */
  depth: Int32Array;
  /** graph.nodes index of an op item, else -1 */
  node: Int32Array;
  /** operators inside each module (1 for an op) */
  leaves: Int32Array;
  /** box sizes of leaves and collapsed modules */
  width: Float64Array;
  height: Float64Array;
  source: Int32Array;
  target: Int32Array;
  graph: Graph;
  /** values that are weights: initializers, plus the outputs of folded constants */
  weights: Map<string, TensorInfo>;
}

/** A node that only turns stored data into a value: shown as a weight of its consumers, not as a box. */
function isConstant(n: GraphNode, graph: Graph): boolean {
  if (n.op === 'Constant') return n.inputs.every((v) => !v);
  return n.op === 'Identity' && n.inputs.length === 1 && graph.initializers.has(n.inputs[0]);
}

const CHAR = 7;
export const OP_HEIGHT = 28;
export const MODULE_HEIGHT = 38;

function boxWidth(text: string, min: number): number {
  return Math.max(min, Math.min(260, text.length * CHAR + 24));
}

export function buildViewGraph(graph: Graph): ViewGraph {
  if (!graph.nodes.some((n) => n.modulePath?.length)) assignModules(graph);
  const kind: ItemKind[] = [];
  const label: string[] = [];
  const name: string[] = [];
  const op: string[] = [];
  const parent: number[] = [];
  const node: number[] = [];
  const add = (k: ItemKind, l: string, nm: string, o: string, p: number, n = -1) => {
    kind.push(k);
    label.push(l);
    name.push(nm);
    op.push(o);
    parent.push(p);
    node.push(n);
    return kind.length - 1;
  };

  // modules with a single operator are dissolved: a box around one box says nothing
  const opsUnder = new Map<string, number>();
  for (const n of graph.nodes) {
    if (isConstant(n, graph)) continue;
    const path = n.modulePath ?? [];
    for (let d = 1; d <= path.length; d++) {
      const key = path.slice(0, d).join('.');
      opsUnder.set(key, (opsUnder.get(key) ?? 0) + 1);
    }
  }
  const moduleItem = new Map<string, number>();
  const groupFor = (path: string[]): number => {
    let g = -1;
    for (let d = 1; d <= path.length; d++) {
      const key = path.slice(0, d).join('.');
      if ((opsUnder.get(key) ?? 0) < 2) break;
      let item = moduleItem.get(key);
      if (item === undefined) {
        item = add('module', path[d - 1], key, '', g);
        moduleItem.set(key, item);
      }
      g = item;
    }
    return g;
  };

  const weights = new Map(graph.initializers);
  const constant = graph.nodes.map((n) => isConstant(n, graph));
  graph.nodes.forEach((n, i) => {
    if (!constant[i] || !n.outputs[0]) return;
    const value = n.attributes.value;
    const t =
      n.op === 'Identity'
        ? graph.initializers.get(n.inputs[0])
        : value && typeof value === 'object' && 'tensor' in value
          ? value.tensor
          : undefined;
    if (t) weights.set(n.outputs[0], t);
  });

  const producer = new Map<string, number>();
  for (const v of graph.inputs) {
    if (graph.initializers.has(v.name)) continue;
    producer.set(v.name, add('input', v.name, v.name, '', -1));
  }
  graph.nodes.forEach((n: GraphNode, i) => {
    if (constant[i]) return;
    const item = add('op', n.op, n.name || n.outputs[0] || n.op, n.op, groupFor(n.modulePath ?? []), i);
    for (const o of n.outputs) if (o) producer.set(o, item);
  });
  const src: number[] = [];
  const dst: number[] = [];
  const seen = new Set<string>();
  const link = (from: number | undefined, to: number) => {
    if (from === undefined || from === to) return;
    const key = `${from},${to}`;
    if (seen.has(key)) return;
    seen.add(key);
    src.push(from);
    dst.push(to);
  };
  const opItem = new Int32Array(graph.nodes.length).fill(-1);
  node.forEach((n, item) => {
    if (n >= 0) opItem[n] = item;
  });
  graph.nodes.forEach((n, i) => {
    if (constant[i]) return;
    for (const v of [...n.inputs, ...(n.controlInputs ?? [])]) if (v) link(producer.get(v), opItem[i]);
  });
  for (const v of graph.outputs) {
    const item = add('output', v.name, v.name, '', -1);
    link(producer.get(v.name), item);
  }

  const count = kind.length;
  const depth = new Int32Array(count);
  const leaves = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    depth[i] = parent[i] < 0 ? 0 : depth[parent[i]] + 1; // groups are created before their members
    if (kind[i] !== 'module') for (let p = parent[i]; p >= 0; p = parent[p]) leaves[p]++;
  }
  const width = new Float64Array(count);
  const height = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    if (kind[i] === 'module') {
      width[i] = boxWidth(`${label[i]}  ${leaves[i]} ops`, 90);
      height[i] = MODULE_HEIGHT;
    } else {
      leaves[i] = 1;
      width[i] = boxWidth(label[i], 56);
      height[i] = OP_HEIGHT;
    }
  }
  return {
    count,
    kind,
    label,
    name,
    op,
    parent: Int32Array.from(parent),
    depth,
    node: Int32Array.from(node),
    leaves,
    width,
    height,
    source: Int32Array.from(src),
    target: Int32Array.from(dst),
    graph,
    weights,
  };
}

/**
 * The modules to open first: one level of the hierarchy at a time, while the number of boxes on screen
 * stays within `budget` (a level opens entirely or not at all, so repeated blocks look alike). A small
 * graph opens fully; a big one shows its top-level structure.
 */
export function initialExpansion(vg: ViewGraph, budget = 160): Uint8Array {
  const expanded = new Uint8Array(vg.count);
  const children = childrenOf(vg);
  let level = children.get(-1) ?? [];
  let visible = level.length;
  for (;;) {
    const modules = level.filter((i) => vg.kind[i] === 'module');
    if (!modules.length) break;
    const next = modules.flatMap((g) => children.get(g) ?? []);
    const after = visible - modules.length + next.length;
    if (after > budget) break;
    for (const g of modules) expanded[g] = 1;
    visible = after;
    level = next;
  }
  return expanded;
}

export function childrenOf(vg: ViewGraph): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let i = 0; i < vg.count; i++) {
    const p = vg.parent[i];
    let list = m.get(p);
    if (!list) m.set(p, (list = []));
    list.push(i);
  }
  return m;
}

/** Items whose name or op contains the query (case-insensitive), best first: exact op, then name order. */
export function search(vg: ViewGraph, query: string, limit = 50): number[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const hits: number[] = [];
  for (let i = 0; i < vg.count && hits.length < 5000; i++) {
    if (vg.name[i].toLowerCase().includes(q) || vg.op[i].toLowerCase().includes(q)) hits.push(i);
  }
  const exact = (i: number) => (vg.op[i].toLowerCase() === q || vg.name[i].toLowerCase() === q ? 0 : 1);
  hits.sort((a, b) => exact(a) - exact(b) || a - b);
  return hits.slice(0, limit);
}

/** Opens every module around `item`; returns a new array when something changed. */
export function revealed(vg: ViewGraph, expanded: Uint8Array, item: number): Uint8Array {
  let out = expanded;
  for (let p = vg.parent[item]; p >= 0; p = vg.parent[p]) {
    if (!out[p]) {
      if (out === expanded) out = expanded.slice();
      out[p] = 1;
    }
  }
  return out;
}

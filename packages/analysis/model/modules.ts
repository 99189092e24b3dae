/**
 * A module hierarchy from names, the way frameworks name things:
 * ONNX node names from PyTorch (`/layer1/layer1.0/conv1/Conv`), weight names (`layer1.0.conv1.weight`),
 * TensorFlow / Keras scopes (`dense_1/MatMul`, `conv2d/kernel:0`).
 */
import type { Graph, GraphNode } from '@tensorscope/formats/model';

/** `layer1.0.conv1.weight` -> ['layer1', '0', 'conv1']; `dense_1/kernel:0` -> ['dense_1'] */
export function tensorModulePath(name: string): string[] {
  const clean = name.replace(/:\d+$/, '');
  const parts = clean.includes('/') ? clean.split('/') : clean.split('.');
  return parts.slice(0, -1).filter(Boolean);
}

/** `/layer1/layer1.0/conv1/Conv` -> ['layer1', '0', 'conv1']: PyTorch prefixes a scope with its parent's name */
function scopedPath(name: string): string[] {
  const parts = name.split('/').filter(Boolean).slice(0, -1);
  const out: string[] = [];
  parts.forEach((p, i) => {
    const prefix = i ? `${parts[i - 1]}.` : '';
    const rest = prefix && p.startsWith(prefix) ? p.slice(prefix.length) : p;
    out.push(...rest.split('.').filter(Boolean));
  });
  return out;
}

/** True for names an exporter invented (`onnx::Conv_193`, `Conv_0`, `123`). */
function generated(name: string): boolean {
  return name.startsWith('onnx::') || /^\d+$/.test(name) || !/[./]/.test(name);
}

/** The module a node belongs to: from its scoped name, else from the name of a weight it reads. */
export function nodeModulePath(node: GraphNode, graph: Graph): string[] {
  if (node.name.includes('/')) return scopedPath(node.name);
  for (const input of node.inputs) {
    if (graph.initializers.has(input) && !generated(input)) return tensorModulePath(input);
  }
  return [];
}

/** Sets `modulePath` on every node of the graph and its subgraphs (subgraph nodes under their parent's module). */
export function assignModules(graph: Graph, parent: string[] = []): void {
  for (const node of graph.nodes) {
    const own = nodeModulePath(node, graph);
    node.modulePath = own.length ? own : parent;
    for (const sub of Object.values(node.subgraphs ?? {})) assignModules(sub, node.modulePath);
  }
}

export interface ModuleTotals {
  /** dotted path ('' for the root) */
  path: string;
  depth: number;
  nodes: number;
  tensors: number;
  parameters: number;
  bytes: number;
  macs: number;
}

/** Adds each item's numbers to its module and every ancestor; returns modules in depth-first name order. */
export function moduleTotals(
  items: {
    path: string[];
    nodes?: number;
    tensors?: number;
    parameters?: number;
    bytes?: number;
    macs?: number;
  }[],
): ModuleTotals[] {
  const byPath = new Map<string, ModuleTotals>();
  const get = (parts: string[]) => {
    const path = parts.join('.');
    let m = byPath.get(path);
    if (!m) {
      m = { path, depth: parts.length, nodes: 0, tensors: 0, parameters: 0, bytes: 0, macs: 0 };
      byPath.set(path, m);
    }
    return m;
  };
  for (const it of items) {
    for (let d = 0; d <= it.path.length; d++) {
      const m = get(it.path.slice(0, d));
      m.nodes += it.nodes ?? 0;
      m.tensors += it.tensors ?? 0;
      m.parameters += it.parameters ?? 0;
      m.bytes += it.bytes ?? 0;
      m.macs += it.macs ?? 0;
    }
  }
  const natural = new Intl.Collator('en', { numeric: true });
  return [...byPath.values()].sort((a, b) => {
    const pa = a.path.split('.');
    const pb = b.path.split('.');
    for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
      const c = natural.compare(pa[i], pb[i]);
      if (c) return c;
    }
    return pa.length - pb.length;
  });
}

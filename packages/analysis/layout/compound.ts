/**
 * Layout of a graph with collapsible groups (a network's module hierarchy). A collapsed group is one box;
 * an expanded group lays out its visible children with `layered` and becomes a box of that size in its
 * parent's layout, so expanding a module opens it in place. Edges are lifted to the children of the
 * groups that contain both ends. Each group's layout is independent, so the whole costs one `layered`
 * pass over the visible items.
 */
import { type LayeredOptions, layered } from './layered';

export interface CompoundInput {
  /** each item's group (an item index), -1 at the top level; leaves and groups are both items */
  parent: Int32Array;
  /** 1 for a group whose children are shown */
  expanded: Uint8Array;
  /** sizes of leaves and collapsed groups (expanded groups get the size of their contents) */
  width: Float64Array;
  height: Float64Array;
  /** edges between leaves */
  source: Int32Array;
  target: Int32Array;
}

export interface CompoundOptions extends LayeredOptions {
  /** space inside an expanded group's border */
  padding?: number;
  /** space above an expanded group's contents, for its title */
  header?: number;
}

export interface CompoundLayout {
  /** 1 when every ancestor of the item is expanded */
  visible: Uint8Array;
  /** centre and size of every visible item (NaN for hidden ones), expanded groups included */
  x: Float64Array;
  y: Float64Array;
  w: Float64Array;
  h: Float64Array;
  width: number;
  height: number;
  /** the edges to draw, between visible items, one per connected pair */
  edgeSource: Int32Array;
  edgeTarget: Int32Array;
  /** drawn edge e's polyline: edgePoints[2*edgeOffsets[e] .. 2*edgeOffsets[e+1]) */
  edgeOffsets: Int32Array;
  edgePoints: Float64Array;
}

export function compound(input: CompoundInput, options: CompoundOptions = {}): CompoundLayout {
  const pad = options.padding ?? 12;
  const header = options.header ?? 22;
  const { parent, expanded } = input;
  const n = parent.length;

  // visibility and depth, parents first (memoised walk up)
  const depth = new Int32Array(n).fill(-1);
  const visible = new Uint8Array(n);
  const rep = new Int32Array(n); // the visible item standing for each item
  const resolve = (v: number): void => {
    const stack: number[] = [];
    let u = v;
    while (u >= 0 && depth[u] < 0) {
      stack.push(u);
      u = parent[u];
    }
    for (let i = stack.length - 1; i >= 0; i--) {
      const w = stack[i];
      const p = parent[w];
      if (p < 0) {
        depth[w] = 0;
        visible[w] = 1;
        rep[w] = w;
      } else {
        depth[w] = depth[p] + 1;
        visible[w] = visible[p] && expanded[p] ? 1 : 0;
        rep[w] = visible[w] ? w : rep[p];
      }
    }
  };
  for (let v = 0; v < n; v++) resolve(v);

  // visible children per group (slot n = the top level)
  const groupOf = (v: number) => (parent[v] < 0 ? n : parent[v]);
  const childCount = new Int32Array(n + 2);
  for (let v = 0; v < n; v++) if (visible[v]) childCount[groupOf(v) + 1]++;
  for (let g = 0; g <= n; g++) childCount[g + 1] += childCount[g];
  const childStart = childCount;
  const children = new Int32Array(childStart[n + 1]);
  const local = new Int32Array(n); // index of a visible item among its siblings
  const fillAt = childStart.slice(0, n + 1);
  for (let v = 0; v < n; v++) {
    if (!visible[v]) continue;
    const g = groupOf(v);
    local[v] = fillAt[g] - childStart[g];
    children[fillAt[g]++] = v;
  }

  // lift each edge to the pair of siblings under the lowest common group; one drawn edge per pair
  const pairs = new Set<number>(); // a * n + b: exact in a double for any graph that fits in memory
  const drawnS: number[] = [];
  const drawnT: number[] = [];
  const liftedS: number[] = []; // the siblings each drawn edge was laid out between
  const liftedT: number[] = [];
  for (let e = 0; e < input.source.length; e++) {
    const a = rep[input.source[e]];
    const b = rep[input.target[e]];
    if (a === b) continue;
    const id = a * n + b;
    if (pairs.has(id)) continue;
    let ca = a;
    let cb = b;
    while (depth[ca] > depth[cb]) ca = parent[ca];
    while (depth[cb] > depth[ca]) cb = parent[cb];
    while (parent[ca] !== parent[cb]) {
      ca = parent[ca];
      cb = parent[cb];
    }
    if (ca === cb) continue; // one end inside the other (an edge into its own group): nothing to draw
    pairs.add(id);
    drawnS.push(a);
    drawnT.push(b);
    liftedS.push(ca);
    liftedT.push(cb);
  }
  // local edges per group, in drawn-edge order
  const edgesOf = new Map<number, number[]>();
  const liftedPairs = new Set<number>(); // one laid-out edge per sibling pair
  for (let d = 0; d < drawnS.length; d++) {
    const id = liftedS[d] * n + liftedT[d];
    if (liftedPairs.has(id)) continue;
    liftedPairs.add(id);
    const g = groupOf(liftedS[d]);
    let list = edgesOf.get(g);
    if (!list) edgesOf.set(g, (list = []));
    list.push(d);
  }

  // lay out groups deepest first, so every child's size is known
  const w = new Float64Array(n).fill(Number.NaN);
  const h = new Float64Array(n).fill(Number.NaN);
  const x = new Float64Array(n).fill(Number.NaN);
  const y = new Float64Array(n).fill(Number.NaN);
  for (let v = 0; v < n; v++) {
    if (visible[v] && !expanded[v]) {
      w[v] = input.width[v];
      h[v] = input.height[v];
    }
  }
  const groups: number[] = [];
  for (let v = 0; v < n; v++) if (visible[v] && expanded[v]) groups.push(v);
  groups.sort((a, b) => depth[b] - depth[a]);
  groups.push(n);
  const routes = new Map<number, { g: number; offsets: Int32Array; points: Float64Array; e: number }>();
  const localX = new Float64Array(n);
  const localY = new Float64Array(n);
  let totalW = 0;
  let totalH = 0;
  for (const g of groups) {
    const kids = children.subarray(childStart[g], childStart[g + 1]);
    const k = kids.length;
    const cw = new Float64Array(k);
    const ch = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      cw[i] = w[kids[i]];
      ch[i] = h[kids[i]];
    }
    const list = edgesOf.get(g) ?? [];
    const src = new Int32Array(list.length);
    const dst = new Int32Array(list.length);
    list.forEach((d, i) => {
      src[i] = local[liftedS[d]];
      dst[i] = local[liftedT[d]];
    });
    const lay = layered({ width: cw, height: ch, source: src, target: dst }, options);
    for (let i = 0; i < k; i++) {
      localX[kids[i]] = lay.x[i];
      localY[kids[i]] = lay.y[i];
    }
    list.forEach((d, i) => {
      routes.set(d, { g, offsets: lay.edgeOffsets, points: lay.edgePoints, e: i });
    });
    if (g === n) {
      totalW = lay.width;
      totalH = lay.height;
    } else {
      w[g] = Math.max(lay.width + 2 * pad, input.width[g]);
      h[g] = lay.height + pad + header;
    }
  }

  // absolute positions, top level first
  const originX = (g: number) => (g === n ? 0 : x[g] - w[g] / 2 + pad);
  const originY = (g: number) => (g === n ? 0 : y[g] - h[g] / 2 + header);
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i];
    const ox = originX(g);
    const oy = originY(g);
    for (let c = childStart[g]; c < childStart[g + 1]; c++) {
      const v = children[c];
      x[v] = ox + localX[v];
      y[v] = oy + localY[v];
    }
  }

  // drawn edges: the sibling route when both ends are the siblings, else a direct line
  const count = drawnS.length;
  const edgeOffsets = new Int32Array(count + 1);
  for (let d = 0; d < count; d++) {
    const r = routes.get(d);
    const own = r && drawnS[d] === liftedS[d] && drawnT[d] === liftedT[d];
    edgeOffsets[d + 1] = edgeOffsets[d] + (own ? r.offsets[r.e + 1] - r.offsets[r.e] : 2);
  }
  const edgePoints = new Float64Array(2 * edgeOffsets[count]);
  for (let d = 0; d < count; d++) {
    const r = routes.get(d);
    let p = 2 * edgeOffsets[d];
    if (r && drawnS[d] === liftedS[d] && drawnT[d] === liftedT[d]) {
      const ox = originX(r.g);
      const oy = originY(r.g);
      for (let q = 2 * r.offsets[r.e]; q < 2 * r.offsets[r.e + 1]; q += 2) {
        edgePoints[p++] = r.points[q] + ox;
        edgePoints[p++] = r.points[q + 1] + oy;
      }
    } else {
      const a = drawnS[d];
      const b = drawnT[d];
      edgePoints[p++] = x[a];
      edgePoints[p++] = y[a] + h[a] / 2;
      edgePoints[p++] = x[b];
      edgePoints[p++] = y[b] - h[b] / 2;
    }
  }
  return {
    visible,
    x,
    y,
    w,
    h,
    width: totalW,
    height: totalH,
    edgeSource: Int32Array.from(drawnS),
    edgeTarget: Int32Array.from(drawnT),
    edgeOffsets,
    edgePoints,
  };
}

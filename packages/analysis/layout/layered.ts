/**
 * A layered layout for neural-network graphs: DAGs that are mostly long chains with skip connections.
 * Every step is linear or n log n, so a 10,000-node graph takes milliseconds (elkjs and dagre, built for
 * general graphs, take tens of seconds at 2,000 nodes):
 *
 * 1. ranks by longest path over a depth-first topological order (cycles broken where found), then
 *    sources and fan-out nodes pulled down next to their consumers (a cheap network-simplex step);
 * 2. order within ranks from the depth-first order (chains stay together), then three barycenter sweeps
 *    over edges between adjacent ranks only;
 * 3. x by least-squares placement under each node's parents (a chain is a straight vertical line),
 *    one pass down and one up; y by rank;
 * 4. edges spanning more than one rank (skip connections) are not threaded through dummy nodes but
 *    routed as vertical side lanes just outside the ranks they pass, lanes packed like intervals.
 */
import { placeRow } from './isotonic';

export interface LayeredInput {
  /** node sizes; the node count is their length */
  width: Float64Array;
  height: Float64Array;
  /** edge endpoints (node indices), one pair per edge */
  source: Int32Array;
  target: Int32Array;
}

export interface LayeredOptions {
  /** vertical space between ranks */
  rankGap?: number;
  /** horizontal space between nodes of a rank */
  nodeGap?: number;
  /** horizontal space between side lanes */
  laneGap?: number;
}

export interface LayeredLayout {
  /** node centres; the bounding box starts at (0, 0) */
  x: Float64Array;
  y: Float64Array;
  rank: Int32Array;
  width: number;
  height: number;
  /** edge e's polyline is edgePoints[2*edgeOffsets[e] .. 2*edgeOffsets[e+1]) as x, y pairs */
  edgeOffsets: Int32Array;
  edgePoints: Float64Array;
}

interface Adjacency {
  start: Int32Array;
  list: Int32Array;
}

/** CSR adjacency: neighbours of v are list[start[v] .. start[v+1]); self loops dropped. */
function adjacency(n: number, from: Int32Array, to: Int32Array): Adjacency {
  const start = ints(n + 1);
  for (let e = 0; e < from.length; e++) if (from[e] !== to[e]) start[from[e] + 1]++;
  for (let v = 0; v < n; v++) start[v + 1] += start[v];
  const fill = ints(n);
  fill.set(start.subarray(0, n));
  const list = ints(start[n]);
  for (let e = 0; e < from.length; e++) if (from[e] !== to[e]) list[fill[from[e]]++] = to[e];
  return { start, list };
}

/** Depth-first topological order (a stack instead of Kahn's queue keeps chains contiguous); a cycle is
 * broken at the lowest-numbered node still waiting. Returns each node's position in the order. */
function topoPositions(n: number, out: Adjacency, indeg: Int32Array): Int32Array {
  const pos = ints(n, -1);
  const left = ints(n);
  left.set(indeg);
  const stack = ints(n);
  let top = 0;
  for (let v = n - 1; v >= 0; v--) if (left[v] === 0) stack[top++] = v;
  let next = 0;
  let scan = 0;
  while (next < n) {
    if (top === 0) {
      while (pos[scan] !== -1) scan++;
      stack[top++] = scan;
      left[scan] = 0;
    }
    const v = stack[--top];
    if (pos[v] !== -1) continue;
    pos[v] = next++;
    for (let i = out.start[v + 1] - 1; i >= out.start[v]; i--) {
      const w = out.list[i];
      if (pos[w] === -1 && --left[w] === 0) stack[top++] = w;
    }
  }
  return pos;
}

/**
 * Temporaries of one `layered` call are carved out of buffers kept between calls: a compound layout calls
 * it once per open module, and allocating dozens of small typed arrays each time costs more than the
 * layout itself (in Chromium especially, where every ArrayBuffer is an external allocation).
 */
let intPool = new Int32Array(1 << 12);
let floatPool = new Float64Array(1 << 12);
let intUsed = 0;
let floatUsed = 0;

function ints(n: number, value = 0): Int32Array {
  if (intUsed + n > intPool.length) {
    intPool = new Int32Array(Math.max(2 * intPool.length, n)); // earlier views keep the old buffer
    intUsed = 0;
  }
  const a = intPool.subarray(intUsed, intUsed + n);
  intUsed += n;
  return a.fill(value);
}

function floats(n: number, value = 0): Float64Array {
  if (floatUsed + n > floatPool.length) {
    floatPool = new Float64Array(Math.max(2 * floatPool.length, n));
    floatUsed = 0;
  }
  const a = floatPool.subarray(floatUsed, floatUsed + n);
  floatUsed += n;
  return a.fill(value);
}

export function layered(input: LayeredInput, options: LayeredOptions = {}): LayeredLayout {
  intUsed = 0;
  floatUsed = 0;
  const rankGap = options.rankGap ?? 36;
  const nodeGap = options.nodeGap ?? 24;
  const laneGap = options.laneGap ?? 10;
  const { width, height, source, target } = input;
  const n = width.length;
  const m = source.length;
  const out = adjacency(n, source, target);
  const inn = adjacency(n, target, source);
  const indeg = ints(n);
  for (let v = 0; v < n; v++) indeg[v] = inn.start[v + 1] - inn.start[v];

  // 1. ranks
  const pos = topoPositions(n, out, indeg);
  const byPos = ints(n);
  for (let v = 0; v < n; v++) byPos[pos[v]] = v;
  const rank = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = byPos[i];
    let r = 0;
    for (let k = inn.start[v]; k < inn.start[v + 1]; k++) {
      const u = inn.list[k];
      if (pos[u] < i && rank[u] + 1 > r) r = rank[u] + 1;
    }
    rank[v] = r;
  }
  for (let i = n - 1; i >= 0; i--) {
    const v = byPos[i];
    let fwdOut = 0;
    let lowest = 0x7fffffff;
    for (let k = out.start[v]; k < out.start[v + 1]; k++) {
      const w = out.list[k];
      if (pos[w] > i) {
        fwdOut++;
        if (rank[w] - 1 < lowest) lowest = rank[w] - 1;
      }
    }
    let fwdIn = 0;
    for (let k = inn.start[v]; k < inn.start[v + 1]; k++) if (pos[inn.list[k]] < i) fwdIn++;
    if (fwdOut > 0 && fwdOut >= fwdIn && lowest > rank[v]) rank[v] = lowest;
  }
  let ranks = 0;
  for (let v = 0; v < n; v++) if (rank[v] + 1 > ranks) ranks = rank[v] + 1;

  // 2. order within ranks: counting sort by rank, topological position within a rank
  const rankStart = ints(ranks + 1);
  for (let v = 0; v < n; v++) rankStart[rank[v] + 1]++;
  for (let r = 0; r < ranks; r++) rankStart[r + 1] += rankStart[r];
  const order = ints(n);
  const fill = ints(ranks);
  fill.set(rankStart.subarray(0, ranks));
  for (let i = 0; i < n; i++) {
    const v = byPos[i];
    order[fill[rank[v]]++] = v;
  }
  const index = ints(n); // position of a node within its rank
  const renumber = (r: number) => {
    for (let i = rankStart[r]; i < rankStart[r + 1]; i++) index[order[i]] = i - rankStart[r];
  };
  for (let r = 0; r < ranks; r++) renumber(r);
  const key = floats(n);
  const sweep = (down: boolean) => {
    const adj = down ? inn : out;
    const step = down ? -1 : 1;
    for (let s = 1; s < ranks; s++) {
      const r = down ? s : ranks - 1 - s;
      for (let i = rankStart[r]; i < rankStart[r + 1]; i++) {
        const v = order[i];
        let sum = 0;
        let cnt = 0;
        for (let k = adj.start[v]; k < adj.start[v + 1]; k++) {
          const u = adj.list[k];
          if (rank[u] === r + step) {
            sum += index[u];
            cnt++;
          }
        }
        // nodes without neighbours there keep their place; ties keep the current order
        key[v] = (cnt ? sum / cnt : index[v]) + index[v] * 1e-9;
      }
      const row = order.subarray(rankStart[r], rankStart[r + 1]);
      if (row.length > 1) {
        row.sort((a, b) => key[a] - key[b]);
        renumber(r);
      }
    }
  };
  sweep(true);
  sweep(false);
  sweep(true);

  // 3. coordinates
  const rankY = floats(ranks);
  const rankH = floats(ranks);
  for (let v = 0; v < n; v++) if (height[v] > rankH[rank[v]]) rankH[rank[v]] = height[v];
  let yy = 0;
  for (let r = 0; r < ranks; r++) {
    rankY[r] = yy + rankH[r] / 2;
    yy += rankH[r] + rankGap;
  }
  const y = new Float64Array(n);
  for (let v = 0; v < n; v++) y[v] = rankY[rank[v]];

  const x = new Float64Array(n);
  const desired = floats(n);
  let widest = 0;
  for (let r = 0; r < ranks; r++) widest = Math.max(widest, rankStart[r + 1] - rankStart[r]);
  const scratch = floats(3 * widest);
  /** desired x = mean of neighbours in the adjacent rank; nodes with none follow their left neighbour */
  const place = (r: number, adj: Adjacency, other: number, keepOthers: boolean) => {
    const row = order.subarray(rankStart[r], rankStart[r + 1]);
    let prev = Number.NaN;
    let prevV = -1;
    let firstFree = -1;
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      let sum = 0;
      let cnt = 0;
      if (other >= 0) {
        for (let k = adj.start[v]; k < adj.start[v + 1]; k++) {
          const u = adj.list[k];
          if (rank[u] === other) {
            sum += x[u];
            cnt++;
          }
        }
      }
      if (cnt) desired[v] = sum / cnt;
      else if (keepOthers) desired[v] = x[v];
      else if (prevV >= 0) desired[v] = prev + (width[prevV] + width[v]) / 2 + nodeGap;
      else {
        desired[v] = Number.NaN;
        if (firstFree < 0) firstFree = i;
      }
      if (!Number.isNaN(desired[v])) {
        // leading free nodes line up to the left of the first placed one
        if (firstFree >= 0) {
          for (let j = i - 1; j >= firstFree; j--) {
            const a = row[j];
            const b = row[j + 1];
            desired[a] = desired[b] - (width[a] + width[b]) / 2 - nodeGap;
          }
          firstFree = -1;
        }
        prev = desired[v];
        prevV = v;
      }
    }
    if (firstFree >= 0) {
      // nothing in the row had neighbours: centre it on 0
      let w = 0;
      for (let i = 0; i < row.length; i++) w += width[row[i]] + (i ? nodeGap : 0);
      let left = -w / 2;
      for (let i = 0; i < row.length; i++) {
        desired[row[i]] = left + width[row[i]] / 2;
        left += width[row[i]] + nodeGap;
      }
    }
    placeRow(row, desired, width, nodeGap, x, scratch);
  };
  for (let r = 0; r < ranks; r++) place(r, inn, r - 1, false);
  for (let r = ranks - 2; r >= 0; r--) place(r, out, r + 1, true);

  // 4. side lanes for edges that are not between adjacent ranks
  const rankLeft = floats(ranks, Number.POSITIVE_INFINITY);
  const rankRight = floats(ranks, Number.NEGATIVE_INFINITY);
  for (let v = 0; v < n; v++) {
    const r = rank[v];
    rankLeft[r] = Math.min(rankLeft[r], x[v] - width[v] / 2);
    rankRight[r] = Math.max(rankRight[r], x[v] + width[v] / 2);
  }
  const edgeOffsets = new Int32Array(m + 1);
  const laneLo = ints(m);
  const laneHi = ints(m, -1); // -1: no lane
  for (let e = 0; e < m; e++) {
    const s = source[e];
    const t = target[e];
    const rs = rank[s];
    const rt = rank[t];
    if (s === t) edgeOffsets[e + 1] = 0;
    else if (rt === rs + 1) edgeOffsets[e + 1] = 2;
    else {
      edgeOffsets[e + 1] = 4;
      laneLo[e] = Math.min(rs, rt) + (rt > rs ? 1 : 0);
      laneHi[e] = Math.max(rs, rt) - (rt > rs ? 1 : 0);
    }
  }
  for (let e = 0; e < m; e++) edgeOffsets[e + 1] += edgeOffsets[e];
  const edgePoints = new Float64Array(2 * edgeOffsets[m]);
  const laneX = assignLanes(m, laneLo, laneHi, source, target, x, rankRight, rankLeft, laneGap);
  for (let e = 0; e < m; e++) {
    const s = source[e];
    const t = target[e];
    let p = 2 * edgeOffsets[e];
    if (p === 2 * edgeOffsets[e + 1]) continue;
    const ys = y[s] + height[s] / 2;
    const yt = y[t] - height[t] / 2;
    edgePoints[p++] = x[s];
    edgePoints[p++] = ys;
    if (laneHi[e] >= 0) {
      const lx = laneX[e];
      const down = rank[t] > rank[s];
      edgePoints[p++] = lx;
      edgePoints[p++] = down ? rankY[laneLo[e]] - rankH[laneLo[e]] / 2 : ys + rankGap / 2;
      edgePoints[p++] = lx;
      edgePoints[p++] = down ? rankY[laneHi[e]] + rankH[laneHi[e]] / 2 : yt - rankGap / 2;
    }
    edgePoints[p++] = x[t];
    edgePoints[p++] = yt;
  }
  const box = shiftToOrigin(x, y, width, height, edgePoints);
  return { x, y, rank, width: box.width, height: box.height, edgeOffsets, edgePoints };
}

/** Moves everything so the bounding box of nodes and edge points starts at (0, 0); returns its size. */
function shiftToOrigin(
  x: Float64Array,
  y: Float64Array,
  width: Float64Array,
  height: Float64Array,
  points: Float64Array,
): { width: number; height: number } {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < x.length; v++) {
    x0 = Math.min(x0, x[v] - width[v] / 2);
    x1 = Math.max(x1, x[v] + width[v] / 2);
    y0 = Math.min(y0, y[v] - height[v] / 2);
    y1 = Math.max(y1, y[v] + height[v] / 2);
  }
  for (let i = 0; i < points.length; i += 2) {
    x0 = Math.min(x0, points[i]);
    x1 = Math.max(x1, points[i]);
    y0 = Math.min(y0, points[i + 1]);
    y1 = Math.max(y1, points[i + 1]);
  }
  if (x.length === 0) return { width: 0, height: 0 };
  for (let v = 0; v < x.length; v++) {
    x[v] -= x0;
    y[v] -= y0;
  }
  for (let i = 0; i < points.length; i += 2) {
    points[i] -= x0;
    points[i + 1] -= y0;
  }
  return { width: x1 - x0, height: y1 - y0 };
}

/** O(1) range max/min over ranks after an n log n build. */
function sparseTable(values: Float64Array, pick: (a: number, b: number) => number) {
  const n = values.length;
  const levels = [values];
  for (let k = 1; 1 << k <= n; k++) {
    const prev = levels[k - 1];
    const half = 1 << (k - 1);
    const cur = floats(n - (1 << k) + 1);
    for (let i = 0; i < cur.length; i++) cur[i] = pick(prev[i], prev[i + half]);
    levels.push(cur);
  }
  return (lo: number, hi: number): number => {
    const k = 31 - Math.clz32(hi - lo + 1);
    return pick(levels[k][lo], levels[k][hi - (1 << k) + 1]);
  };
}

/** Each lane goes on the side its endpoints lean to (right on a tie), just outside the ranks it passes;
 * overlapping lanes on a side get successive tracks (greedy interval colouring, lowest free track). */
function assignLanes(
  m: number,
  lo: Int32Array,
  hi: Int32Array,
  source: Int32Array,
  target: Int32Array,
  x: Float64Array,
  rankRight: Float64Array,
  rankLeft: Float64Array,
  gap: number,
): Float64Array {
  const laneX = floats(m);
  const edges: number[] = [];
  for (let e = 0; e < m; e++) if (hi[e] >= 0) edges.push(e);
  if (edges.length === 0) return laneX;
  const maxRight = sparseTable(rankRight, Math.max);
  const minLeft = sparseTable(rankLeft, Math.min);
  edges.sort((a, b) => lo[a] - lo[b] || hi[a] - hi[b]);
  // per side: the last rank each track is busy up to
  const busy: [number[], number[]] = [[], []];
  for (const e of edges) {
    const right = maxRight(lo[e], hi[e]);
    const left = minLeft(lo[e], hi[e]);
    const ends = (x[source[e]] + x[target[e]]) / 2;
    const side = ends < (left + right) / 2 ? 1 : 0;
    const tracks = busy[side];
    let k = 0;
    while (k < tracks.length && tracks[k] >= lo[e]) k++;
    tracks[k] = hi[e];
    laneX[e] = side === 0 ? right + gap * (k + 1) : left - gap * (k + 1);
  }
  return laneX;
}

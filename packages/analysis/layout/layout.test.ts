import { describe, expect, it } from 'vitest';
import { compound } from './compound';
import { placeRow } from './isotonic';
import { type LayeredLayout, layered } from './layered';

function graph(n: number, edges: [number, number][], w = 40, h = 20) {
  return {
    width: new Float64Array(n).fill(w),
    height: new Float64Array(n).fill(h),
    source: Int32Array.from(edges.map((e) => e[0])),
    target: Int32Array.from(edges.map((e) => e[1])),
  };
}

function route(l: LayeredLayout, e: number): number[] {
  return Array.from(l.edgePoints.subarray(2 * l.edgeOffsets[e], 2 * l.edgeOffsets[e + 1]));
}

/** A seeded random DAG shaped like a network: a main chain, branches, and skips back to the chain. */
function randomNet(n: number, seed: number): [number, number][] {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const edges: [number, number][] = [];
  for (let v = 1; v < n; v++) {
    edges.push([v - 1 - (rnd() < 0.2 ? Math.floor(rnd() * Math.min(v, 3)) : 0), v]);
    if (rnd() < 0.15 && v > 6) edges.push([v - 2 - Math.floor(rnd() * 5), v]);
  }
  return edges;
}

describe('placeRow', () => {
  it('pools boxes that all want the same place around that place', () => {
    const x = new Float64Array(3);
    placeRow(
      Int32Array.of(0, 1, 2),
      new Float64Array(3),
      new Float64Array(3).fill(10),
      2,
      x,
      new Float64Array(9),
    );
    expect(Array.from(x)).toEqual([-12, 0, 12]);
  });
  it('leaves boxes that already fit where they want to be, in the given order', () => {
    const x = new Float64Array(3);
    placeRow(
      Int32Array.of(2, 0, 1),
      Float64Array.of(100, 130, 5),
      new Float64Array(3).fill(10),
      2,
      x,
      new Float64Array(9),
    );
    expect(Array.from(x)).toEqual([100, 130, 5]);
  });
  it('moves only the colliding pair, each by half the overlap', () => {
    const x = new Float64Array(3);
    placeRow(
      Int32Array.of(0, 1, 2),
      Float64Array.of(0, 50, 54),
      new Float64Array(3).fill(10),
      2,
      x,
      new Float64Array(9),
    );
    expect(Array.from(x)).toEqual([0, 46, 58]);
  });
});

describe('layered', () => {
  it('draws a chain as one straight vertical line, one rank per node', () => {
    const l = layered(
      graph(5, [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
      ]),
      { rankGap: 30 },
    );
    expect(Array.from(l.rank)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(l.x).size).toBe(1);
    expect(Array.from(l.y)).toEqual([10, 60, 110, 160, 210]);
    expect(l.width).toBe(40);
    expect(l.height).toBe(220);
    expect(route(l, 0)).toEqual([20, 20, 20, 50]);
  });

  it('keeps the chain straight and routes a skip connection in a lane beside it', () => {
    // a residual block: 0 -> 1 -> 2 -> 3 (Add) with the skip 0 -> 3
    const l = layered(
      graph(4, [
        [0, 1],
        [1, 2],
        [2, 3],
        [0, 3],
      ]),
      { rankGap: 30, laneGap: 10 },
    );
    expect(Array.from(l.rank)).toEqual([0, 1, 2, 3]);
    expect(new Set(l.x).size).toBe(1);
    const skip = route(l, 3);
    expect(skip.length).toBe(8);
    const chainRight = l.x[1] + 20;
    expect(skip[2]).toBe(chainRight + 10); // one lane gap right of the nodes it passes
    expect(skip[4]).toBe(skip[2]);
    expect([skip[3], skip[5]]).toEqual([l.y[1] - 10, l.y[2] + 10]);
    expect(l.width).toBe(50);
  });

  it('stacks overlapping skips in separate lanes and reuses a lane once it is free', () => {
    const edges: [number, number][] = [
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6],
      [0, 3],
      [1, 4],
      [4, 6],
    ];
    const l = layered(graph(7, edges));
    const lane = (e: number) => route(l, e)[2];
    expect(lane(7)).toBeGreaterThan(lane(6));
    expect(lane(8)).toBe(lane(6));
  });

  it('centres a node over its two branches and joins them under it', () => {
    const l = layered(
      graph(4, [
        [0, 1],
        [0, 2],
        [1, 3],
        [2, 3],
      ]),
      { nodeGap: 20 },
    );
    expect(Array.from(l.rank)).toEqual([0, 1, 1, 2]);
    expect(Math.abs(l.x[1] - l.x[2])).toBe(60);
    expect(l.x[0]).toBe((l.x[1] + l.x[2]) / 2);
    expect(l.x[3]).toBe(l.x[0]);
  });

  it('pulls a constant down next to the node that reads it', () => {
    const l = layered(
      graph(5, [
        [0, 1],
        [1, 2],
        [2, 3],
        [4, 3],
      ]),
    );
    expect(l.rank[4]).toBe(2);
    expect(l.edgeOffsets[4] - l.edgeOffsets[3]).toBe(2);
  });

  it('breaks cycles and still places every node', () => {
    const l = layered(
      graph(3, [
        [0, 1],
        [1, 2],
        [2, 0],
      ]),
    );
    expect(new Set(l.rank).size).toBe(3);
    expect(route(l, 2).length).toBe(8); // the back edge goes round in a lane
    for (const v of [...l.x, ...l.y, ...l.edgePoints]) expect(Number.isFinite(v)).toBe(true);
  });

  it('never overlaps nodes, and every edge starts and ends on its nodes (random networks)', () => {
    for (const seed of [1, 2, 3]) {
      const edges = randomNet(600, seed);
      const g = graph(600, edges);
      for (let v = 0; v < 600; v++) g.width[v] = 20 + ((v * 37) % 60);
      const l = layered(g, { nodeGap: 8 });
      const byRank = new Map<number, number[]>();
      l.rank.forEach((r, v) => byRank.set(r, [...(byRank.get(r) ?? []), v]));
      for (const row of byRank.values()) {
        row.sort((a, b) => l.x[a] - l.x[b]);
        for (let i = 1; i < row.length; i++) {
          const [a, b] = [row[i - 1], row[i]];
          expect(l.x[b] - l.x[a]).toBeGreaterThanOrEqual((g.width[a] + g.width[b]) / 2 + 8 - 1e-9);
        }
      }
      edges.forEach(([s, t], e) => {
        const p = route(l, e);
        expect([p[0], p[1]]).toEqual([l.x[s], l.y[s] + 10]);
        expect(p.slice(-2)).toEqual([l.x[t], l.y[t] - 10]);
        expect(l.rank[t]).toBeGreaterThan(l.rank[s]);
      });
      for (let v = 0; v < 600; v++) {
        expect(l.x[v] - g.width[v] / 2).toBeGreaterThanOrEqual(0);
        expect(l.x[v] + g.width[v] / 2).toBeLessThanOrEqual(l.width + 1e-9);
      }
    }
  });
});

describe('compound', () => {
  // items: 0 = group A (expanded) holding 2, 3; 1 = group B (collapsed) holding 4, 5; 6 at the top
  const parent = Int32Array.of(-1, -1, 0, 0, 1, 1, -1);
  const input = (expandB: boolean) => ({
    parent,
    expanded: Uint8Array.of(1, expandB ? 1 : 0, 0, 0, 0, 0, 0),
    width: Float64Array.of(60, 70, 40, 40, 40, 40, 40),
    height: Float64Array.of(20, 24, 20, 20, 20, 20, 20),
    source: Int32Array.of(2, 3, 4, 5),
    target: Int32Array.of(3, 4, 5, 6),
  });

  it('draws a collapsed group as one box and lifts the edges through it', () => {
    const l = compound(input(false), { padding: 10, header: 20, rankGap: 30 });
    expect(Array.from(l.visible)).toEqual([1, 1, 1, 1, 0, 0, 1]);
    const drawn = Array.from(l.edgeSource, (s, e) => [s, l.edgeTarget[e]]);
    expect(drawn).toEqual([
      [2, 3],
      [3, 1],
      [1, 6],
    ]);
    expect([l.w[1], l.h[1]]).toEqual([70, 24]);
    expect(Number.isNaN(l.x[4])).toBe(true);
    // A holds its two children stacked: 20 + 30 + 20 high, plus header and padding
    expect([l.w[0], l.h[0]]).toEqual([60, 70 + 20 + 10]);
    for (const c of [2, 3]) {
      expect(l.x[c] - 20).toBeGreaterThanOrEqual(l.x[0] - l.w[0] / 2);
      expect(l.y[c] - 10).toBeGreaterThanOrEqual(l.y[0] - l.h[0] / 2 + 20);
      expect(l.y[c] + 10).toBeLessThanOrEqual(l.y[0] + l.h[0] / 2);
    }
    expect(l.y[0] < l.y[1] && l.y[1] < l.y[6]).toBe(true);
  });

  it('expanding a group lays its children out inside it', () => {
    const l = compound(input(true), { padding: 10, header: 20, rankGap: 30 });
    expect(Array.from(l.visible)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    const drawn = Array.from(l.edgeSource, (s, e) => [s, l.edgeTarget[e]]);
    expect(drawn).toEqual([
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6],
    ]);
    expect(l.h[1]).toBe(100);
    expect(l.y[4]).toBeLessThan(l.y[5]);
    expect(l.y[4] - 10).toBeGreaterThanOrEqual(l.y[1] - 50 + 20);
    // the edge from A's child to B's child is a direct line between the two nodes
    const e = 1;
    const p = Array.from(l.edgePoints.subarray(2 * l.edgeOffsets[e], 2 * l.edgeOffsets[e + 1]));
    expect(p).toEqual([l.x[3], l.y[3] + 10, l.x[4], l.y[4] - 10]);
  });
});

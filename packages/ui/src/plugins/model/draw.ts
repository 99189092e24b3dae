/**
 * Draws the laid-out graph on a 2-D canvas: only what intersects the viewport (culling), labels and
 * arrowheads only when they are big enough to read (level of detail), edges batched into one path per
 * style. The same code draws the screen, the minimap and the PNG export.
 */
import type { CompoundLayout } from '@tensorscope/analysis/layout';
import type { ViewGraph } from './viewGraph';

export interface Scene {
  vg: ViewGraph;
  layout: CompoundLayout;
  expanded: Uint8Array;
  /** visible expanded modules, outermost first */
  groups: Int32Array;
  /** visible leaves and collapsed modules */
  boxes: Int32Array;
}

/** world -> screen: (wx - x) * scale */
export interface View {
  x: number;
  y: number;
  scale: number;
}

export interface Palette {
  background: string;
  text: string;
  muted: string;
  edge: string;
  groupFill: string;
  groupStroke: string;
  moduleFill: string;
  selected: string;
  hit: string;
  dark: boolean;
}

export function palette(dark: boolean): Palette {
  return dark
    ? {
        background: '#0e1116',
        text: '#e6e8ec',
        muted: '#9099a8',
        edge: 'rgba(160,170,185,0.55)',
        groupFill: 'rgba(110,168,255,0.05)',
        groupStroke: 'rgba(110,168,255,0.35)',
        moduleFill: '#233047',
        selected: '#fbbf24',
        hit: '#f472b6',
        dark,
      }
    : {
        background: '#ffffff',
        text: '#1a1d23',
        muted: '#6b7280',
        edge: 'rgba(75,85,99,0.55)',
        groupFill: 'rgba(37,99,235,0.035)',
        groupStroke: 'rgba(37,99,235,0.3)',
        moduleFill: '#dbe6fb',
        selected: '#d97706',
        hit: '#db2777',
        dark,
      };
}

const CATEGORY: [RegExp, string, string][] = [
  [/conv/i, '#3b6fd8', '#2f5bb5'],
  [/matmul|gemm|attention|einsum|linear/i, '#7c4dcc', '#6a3fb5'],
  [/norm/i, '#15918a', '#11766f'],
  [
    /relu|gelu|sigmoid|tanh|softmax|silu|swish|elu|erf|clip|hardswish|mish|prelu|selu|softplus/i,
    '#d9731a',
    '#b85f12',
  ],
  [/pool|resize|upsample/i, '#3c8d3f', '#2f7032'],
  [
    /add|sub|mul|div|pow|sqrt|exp|log|neg|reciprocal|abs|max|min|mean|sum|where|equal|less|greater|not|and|or/i,
    '#64748b',
    '#55637a',
  ],
];

/** Fill colour of an op box by its kind of computation; data-movement ops stay grey. */
export function opColor(op: string, dark: boolean): string {
  for (const [re, light, darkC] of CATEGORY) if (re.test(op)) return dark ? darkC : light;
  return dark ? '#3a414d' : '#9aa3af';
}

export function prepareScene(vg: ViewGraph, layout: CompoundLayout, expanded: Uint8Array): Scene {
  const groups: number[] = [];
  const boxes: number[] = [];
  for (let i = 0; i < vg.count; i++) {
    if (!layout.visible[i]) continue;
    if (vg.kind[i] === 'module' && expanded[i]) groups.push(i);
    else boxes.push(i);
  }
  groups.sort((a, b) => vg.depth[a] - vg.depth[b]);
  return { vg, layout, expanded, groups: Int32Array.from(groups), boxes: Int32Array.from(boxes) };
}

export interface Marks {
  selected: number;
  hits: ReadonlySet<number>;
  /** colours by a run's statistic (fill and label per item) instead of by operator kind */
  paint?: { fill: readonly string[]; text: readonly string[] } | null;
  /** an item outlined in red: where NaN/Inf first appeared */
  alert?: number;
}

export const ALERT_COLOR = '#dc2626';

const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';

/** Draws the scene into a `width` x `height` (CSS pixels) area; returns how many boxes were drawn. */
export function drawScene(
  ctx: CanvasRenderingContext2D,
  scene: Scene,
  view: View,
  width: number,
  height: number,
  pal: Palette,
  marks: Marks = { selected: -1, hits: new Set() },
): number {
  const { vg, layout } = scene;
  const { x, y, w, h } = layout;
  const s = view.scale;
  const x0 = view.x;
  const y0 = view.y;
  const x1 = x0 + width / s;
  const y1 = y0 + height / s;
  const labels = s >= 0.45;
  const detail = s >= 0.2;
  // far out, boxes are specks: one per 2x2-pixel cell is all that can be seen, and edges between
  // neighbouring ranks vanish under them
  const coarse = s < 0.08;
  const cols = Math.ceil(width / 2);
  const taken = coarse ? new Uint8Array(cols * Math.ceil(height / 2)) : null;
  const inView = (i: number) =>
    x[i] + w[i] / 2 >= x0 && x[i] - w[i] / 2 <= x1 && y[i] + h[i] / 2 >= y0 && y[i] - h[i] / 2 <= y1;

  ctx.save();
  ctx.fillStyle = pal.background;
  ctx.fillRect(0, 0, width, height);
  ctx.setTransform(ctx.getTransform().scale(s, s).translate(-x0, -y0));
  ctx.textBaseline = 'middle';
  ctx.font = FONT;

  // expanded modules: frames with their names
  for (const g of scene.groups) {
    if (!inView(g)) continue;
    const gx = x[g] - w[g] / 2;
    const gy = y[g] - h[g] / 2;
    ctx.fillStyle = pal.groupFill;
    ctx.fillRect(gx, gy, w[g], h[g]);
    ctx.strokeStyle = g === marks.selected ? pal.selected : pal.groupStroke;
    ctx.lineWidth = 1 / Math.min(1, s);
    ctx.strokeRect(gx, gy, w[g], h[g]);
    if (labels) {
      ctx.fillStyle = pal.muted;
      ctx.textAlign = 'left';
      ctx.fillText(`▾ ${vg.label[g]}`, gx + 6, gy + 11, w[g] - 12);
    }
  }

  // edges: one path
  const pts = layout.edgePoints;
  const off = layout.edgeOffsets;
  ctx.beginPath();
  for (let e = 0; e + 1 < off.length; e++) {
    const a = 2 * off[e];
    const b = 2 * off[e + 1];
    let ex0 = pts[a];
    let ex1 = pts[a];
    for (let p = a + 2; p < b; p += 2) {
      if (pts[p] < ex0) ex0 = pts[p];
      else if (pts[p] > ex1) ex1 = pts[p];
    }
    const ey0 = Math.min(pts[a + 1], pts[b - 1]);
    const ey1 = Math.max(pts[a + 1], pts[b - 1]);
    if (ex1 < x0 || ex0 > x1 || ey1 < y0 || ey0 > y1) continue;
    if (coarse && b - a === 4 && (ex1 - ex0 + ey1 - ey0) * s < 3) continue;
    edgePath(ctx, pts, a, b, detail);
  }
  ctx.strokeStyle = pal.edge;
  ctx.lineWidth = 1.2 / Math.min(1, s);
  ctx.stroke();
  if (detail) {
    ctx.beginPath();
    for (let e = 0; e + 1 < off.length; e++) {
      const b = 2 * off[e + 1];
      const tx = pts[b - 2];
      const ty = pts[b - 1];
      if (tx < x0 || tx > x1 || ty < y0 || ty > y1) continue;
      ctx.moveTo(tx, ty);
      ctx.lineTo(tx - 3.5, ty - 7);
      ctx.lineTo(tx + 3.5, ty - 7);
      ctx.closePath();
    }
    ctx.fillStyle = pal.edge;
    ctx.fill();
  }

  // boxes
  let drawn = 0;
  ctx.textAlign = 'center';
  for (const i of scene.boxes) {
    if (!inView(i)) continue;
    if (taken && w[i] * s < 2 && h[i] * s < 2) {
      const cell = Math.floor(((y[i] - y0) * s) / 2) * cols + Math.floor(((x[i] - x0) * s) / 2);
      if (taken[cell]) continue;
      taken[cell] = 1;
    }
    drawn++;
    const bx = x[i] - w[i] / 2;
    const by = y[i] - h[i] / 2;
    const kind = vg.kind[i];
    const paint = marks.paint;
    ctx.fillStyle = paint
      ? paint.fill[i]
      : kind === 'module'
        ? pal.moduleFill
        : kind === 'op'
          ? opColor(vg.op[i], pal.dark)
          : pal.dark
            ? '#2d6a4f'
            : '#52b788';
    if (detail) {
      ctx.beginPath();
      ctx.roundRect(bx, by, w[i], h[i], kind === 'op' ? 6 : 4);
      ctx.fill();
    } else ctx.fillRect(bx, by, w[i], h[i]);
    if (kind === 'module' && detail) {
      ctx.strokeStyle = pal.groupStroke;
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    const mark =
      i === marks.selected
        ? pal.selected
        : marks.hits.has(i)
          ? pal.hit
          : i === marks.alert
            ? ALERT_COLOR
            : '';
    if (mark) {
      ctx.strokeStyle = mark;
      ctx.lineWidth = 3 / Math.min(1, s);
      ctx.strokeRect(bx - 2, by - 2, w[i] + 4, h[i] + 4);
    }
    if (labels) {
      ctx.fillStyle = paint ? paint.text[i] : kind === 'module' ? pal.text : '#ffffff';
      const text = kind === 'module' ? `▸ ${vg.label[i]}  ${vg.leaves[i]} ops` : vg.label[i];
      ctx.fillText(text, x[i], y[i], w[i] - 10);
    }
  }
  ctx.restore();
  return drawn;
}

/** A polyline with vertical tangents at its ends (edges leave and enter boxes vertically). */
function edgePath(ctx: CanvasRenderingContext2D, p: Float64Array, a: number, b: number, curved: boolean) {
  ctx.moveTo(p[a], p[a + 1]);
  if (!curved) {
    for (let q = a + 2; q < b; q += 2) ctx.lineTo(p[q], p[q + 1]);
    return;
  }
  if (b - a === 4) {
    const my = (p[a + 1] + p[a + 3]) / 2;
    ctx.bezierCurveTo(p[a], my, p[a + 2], my, p[a + 2], p[a + 3]);
    return;
  }
  // lane: curve into the lane, run along it, curve out
  const c1 = (p[a + 1] + p[a + 3]) / 2;
  ctx.bezierCurveTo(p[a], c1, p[a + 2], c1, p[a + 2], p[a + 3]);
  for (let q = a + 4; q < b - 2; q += 2) ctx.lineTo(p[q], p[q + 1]);
  const c2 = (p[b - 3] + p[b - 1]) / 2;
  ctx.bezierCurveTo(p[b - 4], c2, p[b - 2], c2, p[b - 2], p[b - 1]);
}

/** The topmost item under a world point: a box, else the innermost expanded module; -1 for none. */
export function hitTest(scene: Scene, wx: number, wy: number): number {
  const { x, y, w, h } = scene.layout;
  const inside = (i: number) => Math.abs(wx - x[i]) <= w[i] / 2 && Math.abs(wy - y[i]) <= h[i] / 2;
  for (const i of scene.boxes) if (inside(i)) return i;
  for (let k = scene.groups.length - 1; k >= 0; k--) if (inside(scene.groups[k])) return scene.groups[k];
  return -1;
}

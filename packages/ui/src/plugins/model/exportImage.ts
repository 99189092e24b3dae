/** SVG and PNG pictures of the whole graph as it is laid out (expanded modules open, others closed). */
import { drawScene, opColor, type Palette, type Scene } from './draw';

const escapeXml = (s: string) =>
  s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

const n = (v: number) => String(Math.round(v * 10) / 10);

export function sceneToSvg(scene: Scene, pal: Palette): string {
  const { vg, layout } = scene;
  const { x, y, w, h } = layout;
  const pad = 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(layout.width + 2 * pad)}" height="${n(layout.height + 2 * pad)}" ` +
      `viewBox="${-pad} ${-pad} ${n(layout.width + 2 * pad)} ${n(layout.height + 2 * pad)}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect x="${-pad}" y="${-pad}" width="100%" height="100%" fill="${pal.background}"/>`,
  ];
  for (const g of scene.groups) {
    out.push(
      `<g class="module"><rect x="${n(x[g] - w[g] / 2)}" y="${n(y[g] - h[g] / 2)}" width="${n(w[g])}" height="${n(h[g])}" fill="${pal.groupFill}" stroke="${pal.groupStroke}"/>` +
        `<text x="${n(x[g] - w[g] / 2 + 6)}" y="${n(y[g] - h[g] / 2 + 15)}" fill="${pal.muted}">${escapeXml(vg.label[g])}</text></g>`,
    );
  }
  const pts = layout.edgePoints;
  const off = layout.edgeOffsets;
  const d: string[] = [];
  for (let e = 0; e + 1 < off.length; e++) {
    let path = '';
    for (let p = 2 * off[e]; p < 2 * off[e + 1]; p += 2)
      path += `${path ? 'L' : 'M'}${n(pts[p])} ${n(pts[p + 1])}`;
    d.push(path);
  }
  out.push(`<path d="${d.join('')}" fill="none" stroke="${pal.edge}" stroke-width="1.2"/>`);
  for (const i of scene.boxes) {
    const kind = vg.kind[i];
    const fill = kind === 'module' ? pal.moduleFill : kind === 'op' ? opColor(vg.op[i], pal.dark) : '#52b788';
    const text = kind === 'module' ? `${vg.label[i]}  ${vg.leaves[i]} ops` : vg.label[i];
    out.push(
      `<g class="${kind}"><title>${escapeXml(vg.name[i])}</title><rect x="${n(x[i] - w[i] / 2)}" y="${n(y[i] - h[i] / 2)}" width="${n(w[i])}" height="${n(h[i])}" rx="5" fill="${fill}"/>` +
        `<text x="${n(x[i])}" y="${n(y[i] + 4)}" text-anchor="middle" fill="${kind === 'module' ? pal.text : '#fff'}">${escapeXml(text)}</text></g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

/** The whole graph on one canvas, scaled down to fit `maxSide` pixels if needed. */
export function sceneToCanvas(scene: Scene, pal: Palette, maxSide = 8192): HTMLCanvasElement {
  const pad = 20;
  const W = scene.layout.width + 2 * pad;
  const H = scene.layout.height + 2 * pad;
  const scale = Math.min(2, maxSide / W, maxSide / H);
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(W * scale));
  canvas.height = Math.max(1, Math.round(H * scale));
  const ctx = canvas.getContext('2d')!;
  drawScene(ctx, scene, { x: -pad, y: -pad, scale }, canvas.width, canvas.height, pal);
  return canvas;
}

export function download(blob: Blob, filename: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

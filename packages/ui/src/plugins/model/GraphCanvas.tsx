/**
 * The graph on a canvas with pan (drag), zoom (wheel, around the pointer), click to pick, and a minimap.
 * The view lives in a ref and frames are drawn on requestAnimationFrame, so panning never re-renders React.
 */
import { useEffect, useRef } from 'react';
import { drawScene, hitTest, type Marks, opColor, type Palette, type Scene, type View } from './draw';

export interface Anchor {
  /** keep this item's top-left corner where it is on screen across a re-layout */
  item: number;
  sx: number;
  sy: number;
}

interface Props {
  scene: Scene;
  marks: Marks;
  pal: Palette;
  /** centre on this item whenever `seq` changes */
  focus: { item: number; seq: number } | null;
  anchor: Anchor | null;
  onPick(item: number, anchor: Anchor | null): void;
  onDrawn?(millis: number): void;
}

const MINI_W = 180;
const MINI_H = 140;

export function GraphCanvas({ scene, marks, pal, focus, anchor, onPick, onDrawn }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const miniRef = useRef<HTMLCanvasElement>(null);
  const view = useRef<View>({ x: 0, y: 0, scale: 1 });
  const size = useRef({ width: 0, height: 0 });
  const frame = useRef(0);
  const state = useRef({ scene, marks, pal, onDrawn });
  state.current = { scene, marks, pal, onDrawn };
  const miniCache = useRef<{
    scene: Scene;
    paint: Marks['paint'];
    image: HTMLCanvasElement;
    scale: number;
    ox: number;
    oy: number;
  } | null>(null);

  const draw = () => {
    frame.current = 0;
    const c = canvasRef.current;
    if (!c) return;
    const { width, height } = size.current;
    const t0 = performance.now();
    const dpr = window.devicePixelRatio || 1;
    const ctx = c.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const { scene: sc, marks: mk, pal: p, onDrawn: done } = state.current;
    drawScene(ctx, sc, view.current, width, height, p, mk);
    drawMinimap();
    done?.(performance.now() - t0);
  };
  const request = () => {
    if (!frame.current) frame.current = requestAnimationFrame(draw);
  };

  const drawMinimap = () => {
    const m = miniRef.current;
    if (!m) return;
    const { scene: sc, pal: p, marks: mk } = state.current;
    let cache = miniCache.current;
    if (!cache || cache.scene !== sc || cache.paint !== mk.paint) {
      const image = document.createElement('canvas');
      image.width = MINI_W;
      image.height = MINI_H;
      const scale = Math.min(MINI_W / Math.max(1, sc.layout.width), MINI_H / Math.max(1, sc.layout.height));
      const ox = (MINI_W - sc.layout.width * scale) / 2;
      const oy = (MINI_H - sc.layout.height * scale) / 2;
      const ctx = image.getContext('2d')!;
      ctx.fillStyle = p.background;
      ctx.fillRect(0, 0, MINI_W, MINI_H);
      const { x, y, w, h } = sc.layout;
      for (const i of sc.boxes) {
        ctx.fillStyle =
          mk.paint?.fill[i] ?? (sc.vg.kind[i] === 'module' ? p.groupStroke : opColor(sc.vg.op[i], p.dark));
        ctx.fillRect(
          ox + (x[i] - w[i] / 2) * scale,
          oy + (y[i] - h[i] / 2) * scale,
          Math.max(1, w[i] * scale),
          Math.max(1, h[i] * scale),
        );
      }
      cache = miniCache.current = { scene: sc, paint: mk.paint, image, scale, ox, oy };
    }
    const ctx = m.getContext('2d')!;
    ctx.drawImage(cache.image, 0, 0);
    const v = view.current;
    ctx.strokeStyle = p.selected;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(
      cache.ox + v.x * cache.scale,
      cache.oy + v.y * cache.scale,
      (size.current.width / v.scale) * cache.scale,
      (size.current.height / v.scale) * cache.scale,
    );
  };

  // size follows the element
  // biome-ignore lint/correctness/useExhaustiveDependencies: handlers read everything through refs
  useEffect(() => {
    const c = canvasRef.current!;
    const ro = new ResizeObserver(() => {
      const dpr = window.devicePixelRatio || 1;
      size.current = { width: c.clientWidth, height: c.clientHeight };
      c.width = Math.round(c.clientWidth * dpr);
      c.height = Math.round(c.clientHeight * dpr);
      draw();
    });
    ro.observe(c);
    return () => ro.disconnect();
  }, []);

  // a new layout: keep the anchor in place, or show the top of the graph
  const first = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the layout changes
  useEffect(() => {
    const { x, y, w, h, width, height } = scene.layout;
    const c = canvasRef.current!;
    const cw = c.clientWidth || 800;
    const ch = c.clientHeight || 600;
    if (anchor && !first.current && Number.isFinite(x[anchor.item])) {
      const v = view.current;
      v.x = x[anchor.item] - w[anchor.item] / 2 - anchor.sx / v.scale;
      v.y = y[anchor.item] - h[anchor.item] / 2 - anchor.sy / v.scale;
    } else {
      const fit = Math.min((cw - 40) / Math.max(1, width), (ch - 40) / Math.max(1, height));
      const scale = Math.min(1.2, Math.max(fit, 0.6));
      view.current = { scale, x: width / 2 - cw / 2 / scale, y: -20 / scale };
    }
    first.current = false;
    draw();
  }, [scene]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: redraw on new marks or colours
  useEffect(request, [marks, pal]);

  const focused = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: centre when asked
  useEffect(() => {
    // once per request, as soon as the item is laid out (a search may first open its modules)
    if (!focus || focused.current === focus.seq) return;
    const { x, y } = scene.layout;
    if (!Number.isFinite(x[focus.item])) return;
    focused.current = focus.seq;
    const v = view.current;
    v.scale = Math.max(v.scale, 0.8);
    v.x = x[focus.item] - size.current.width / 2 / v.scale;
    v.y = y[focus.item] - size.current.height / 2 / v.scale;
    request();
  }, [focus, scene]);

  // pointer: drag pans, a click without movement picks
  // biome-ignore lint/correctness/useExhaustiveDependencies: handlers read everything through refs
  useEffect(() => {
    const c = canvasRef.current!;
    let down: { x: number; y: number; vx: number; vy: number; moved: boolean } | null = null;
    const onDown = (e: PointerEvent) => {
      down = { x: e.clientX, y: e.clientY, vx: view.current.x, vy: view.current.y, moved: false };
      c.setPointerCapture(e.pointerId);
    };
    const onMove = (e: PointerEvent) => {
      if (!down) return;
      const dx = e.clientX - down.x;
      const dy = e.clientY - down.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) down.moved = true;
      if (!down.moved) return;
      view.current.x = down.vx - dx / view.current.scale;
      view.current.y = down.vy - dy / view.current.scale;
      request();
    };
    const onUp = (e: PointerEvent) => {
      const wasClick = down && !down.moved;
      down = null;
      if (!wasClick) return;
      const r = c.getBoundingClientRect();
      const v = view.current;
      const sc = state.current.scene;
      const item = hitTest(sc, v.x + (e.clientX - r.left) / v.scale, v.y + (e.clientY - r.top) / v.scale);
      const { x, y, w, h } = sc.layout;
      onPickRef.current(
        item,
        item >= 0
          ? { item, sx: (x[item] - w[item] / 2 - v.x) * v.scale, sy: (y[item] - h[item] / 2 - v.y) * v.scale }
          : null,
      );
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      const v = view.current;
      const px = e.clientX - r.left;
      const py = e.clientY - r.top;
      const wx = v.x + px / v.scale;
      const wy = v.y + py / v.scale;
      const scale = Math.min(4, Math.max(0.01, v.scale * Math.exp(-e.deltaY * 0.0015)));
      view.current = { scale, x: wx - px / scale, y: wy - py / scale };
      request();
    };
    c.addEventListener('pointerdown', onDown);
    c.addEventListener('pointermove', onMove);
    c.addEventListener('pointerup', onUp);
    c.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      c.removeEventListener('pointerdown', onDown);
      c.removeEventListener('pointermove', onMove);
      c.removeEventListener('pointerup', onUp);
      c.removeEventListener('wheel', onWheel);
    };
  }, []);
  const onPickRef = useRef(onPick);
  onPickRef.current = onPick;

  // minimap: click or drag centres the view there
  // biome-ignore lint/correctness/useExhaustiveDependencies: handlers read everything through refs
  useEffect(() => {
    const m = miniRef.current!;
    let dragging = false;
    const go = (e: PointerEvent) => {
      const cache = miniCache.current;
      if (!cache) return;
      const r = m.getBoundingClientRect();
      const wx = (e.clientX - r.left - cache.ox) / cache.scale;
      const wy = (e.clientY - r.top - cache.oy) / cache.scale;
      const v = view.current;
      v.x = wx - size.current.width / 2 / v.scale;
      v.y = wy - size.current.height / 2 / v.scale;
      request();
    };
    const onDown = (e: PointerEvent) => {
      dragging = true;
      m.setPointerCapture(e.pointerId);
      go(e);
    };
    const onMove = (e: PointerEvent) => dragging && go(e);
    const onUp = () => {
      dragging = false;
    };
    m.addEventListener('pointerdown', onDown);
    m.addEventListener('pointermove', onMove);
    m.addEventListener('pointerup', onUp);
    return () => {
      m.removeEventListener('pointerdown', onDown);
      m.removeEventListener('pointermove', onMove);
      m.removeEventListener('pointerup', onUp);
    };
  }, []);

  // for tests and tools: where an item is on screen (client coordinates), or null when hidden
  // biome-ignore lint/correctness/useExhaustiveDependencies: handlers read everything through refs
  useEffect(() => {
    window.__tensorscopeGraph = {
      boxOf(name: string) {
        const sc = state.current.scene;
        const i = sc.vg.name.indexOf(name);
        if (i < 0 || !sc.layout.visible[i]) return null;
        const r = canvasRef.current!.getBoundingClientRect();
        const v = view.current;
        const { x, y, w, h } = sc.layout;
        return {
          x: r.left + (x[i] - w[i] / 2 - v.x) * v.scale,
          y: r.top + (y[i] - h[i] / 2 - v.y) * v.scale,
          width: w[i] * v.scale,
          height: h[i] * v.scale,
        };
      },
      centre(name: string) {
        const sc = state.current.scene;
        const i = sc.vg.name.indexOf(name);
        if (i < 0 || !sc.layout.visible[i]) return false;
        const v = view.current;
        v.scale = 1;
        v.x = sc.layout.x[i] - size.current.width / 2;
        v.y = sc.layout.y[i] - size.current.height / 2;
        draw();
        return true;
      },
    };
    return () => {
      window.__tensorscopeGraph = undefined;
    };
  }, []);

  return (
    <div className="model-canvas-wrap">
      <canvas ref={canvasRef} className="model-canvas" data-testid="model-canvas" />
      <canvas
        ref={miniRef}
        className="model-minimap"
        width={MINI_W}
        height={MINI_H}
        data-testid="model-minimap"
        aria-label="Minimap"
      />
    </div>
  );
}

declare global {
  interface Window {
    __tensorscopeGraph?: {
      boxOf(name: string): { x: number; y: number; width: number; height: number } | null;
      centre(name: string): boolean;
    };
  }
}

/** Lays out the model graph off the main thread, so the page stays responsive on big graphs. */
import { type CompoundInput, type CompoundLayout, compound } from '@tensorscope/analysis/layout';

export interface LayoutRequest {
  id: number;
  input: CompoundInput;
}

export interface LayoutReply {
  id: number;
  layout: CompoundLayout;
  millis: number;
}

self.onmessage = (e: MessageEvent<LayoutRequest>) => {
  const t0 = performance.now();
  const layout = compound(e.data.input);
  const reply: LayoutReply = { id: e.data.id, layout, millis: performance.now() - t0 };
  const buffers = [layout.visible, layout.x, layout.y, layout.w, layout.h, layout.edgeSource]
    .concat([layout.edgeTarget, layout.edgeOffsets, layout.edgePoints] as never[])
    .map((a) => a.buffer as ArrayBuffer);
  (self as unknown as Worker).postMessage(reply, buffers);
};

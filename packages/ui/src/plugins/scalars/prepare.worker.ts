/// <reference lib="webworker" />

import type { XAxis } from '../../lib/viewState';
import { type LineInput, prepareLines } from './prepare';

/** Smoothing and merging many runs off the main thread, so zooming and hovering stay smooth. */
export interface PrepareRequest {
  id: number;
  lines: LineInput[];
  smoothing: number;
  mode: XAxis;
  log: boolean;
}

self.onmessage = (e: MessageEvent<PrepareRequest>) => {
  const { id, lines, smoothing, mode, log } = e.data;
  const out = prepareLines(lines, smoothing, mode, log);
  (self as unknown as Worker).postMessage({ id, out });
};
